import { describe, it, expect } from 'vitest';
import { getDevice, randn } from '../helpers/device.js';
import { autotuneConv, applyConvTiles, currentConvTiles, conv2d, convTuning, noGrad, tidy, dispose } from '../../src/index.js';
import { tileTable } from '../../src/ops/conv/tuning.js';
import { restoreTuningAfterEach } from '../helpers/tuning.js';

restoreTuningAfterEach();

describe('conv tile autotuner', () => {
  it('times the candidates of a family and keeps one of them in the adapter table', async () => {
    const d = await getDevice();
    const before = { ...tileTable(d.runtime).pointwise };
    const [r] = await autotuneConv(d, { rounds: 1, families: ['pointwise'] });
    expect(r.family).toBe('pointwise');
    expect(r.before).toEqual(before);
    expect(r.candidates[0].tile).toEqual(before);
    expect(r.candidates.map((c) => JSON.stringify(c.tile))).toContain(JSON.stringify(r.chosen));
    for (const c of r.candidates) expect(c.medianMs).toBeGreaterThan(0);
    expect(tileTable(d.runtime).pointwise).toEqual(r.chosen);
    expect(currentConvTiles(d).pointwise).toEqual(r.chosen);
    // margin 1: only a candidate twice as fast would replace the tile.
    Object.assign(tileTable(d.runtime).pointwise, before);
    const [r2] = await autotuneConv(d, { rounds: 1, families: ['pointwise'], margin: 1 });
    expect(r2.chosen).toEqual(before);
  }, 120_000);

  it('tiles change speed only: every candidate gives bit-identical convolutions', async () => {
    const d = await getDevice();
    const x = d.tensor(randn(2 * 12 * 11 * 9, 1), [2, 12, 11, 9]);
    const w = d.tensor(randn(40 * 12 * 9, 2, 0.3), [40, 12, 3, 3]);
    const b = d.tensor(randn(40, 3), [40]);
    const outs: Float32Array[] = [];
    for (const tile of [{ wg: 64, tc: 32, tp: 8 }, { wg: 64, tc: 16, tp: 4 }, { wg: 32, tc: 8, tp: 3 }]) {
      applyConvTiles(d, { forward: tile });
      const y = tidy(() => noGrad(() => conv2d(x, w, b, { padding: 1, activation: 'relu' })));
      outs.push(await y.toArray());
      y.dispose();
    }
    expect(Buffer.from(outs[1].buffer).equals(Buffer.from(outs[0].buffer))).toBe(true);
    expect(Buffer.from(outs[2].buffer).equals(Buffer.from(outs[0].buffer))).toBe(true);
    dispose(x, w, b);
  });

  it('rejects unknown families, bad tiles and bad rounds', async () => {
    const d = await getDevice();
    expect(() => applyConvTiles(d, { conv3d: { wg: 64, tc: 16, tp: 4 } } as never)).toThrow("applyConvTiles: unknown kernel family 'conv3d'");
    expect(() => applyConvTiles(d, { forward: { wg: 64, tc: 0, tp: 4 } })).toThrow(/applyConvTiles: tile of 'forward' must have integer wg, tc, tp/);
    await expect(autotuneConv(d, { rounds: 0 })).rejects.toThrow('autotuneConv: rounds must be an integer >= 1; got 0');
    await expect(autotuneConv(d, { families: ['conv3d' as never] })).rejects.toThrow(/autotuneConv: unknown kernel family 'conv3d'/);
  });
});
