import { describe, it, expect, vi } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { restoreTuningAfterEach } from '../helpers/tuning.js';
import { convTuning, poolTuning, currentConvTiles, type Device } from '../../src/index.js';
import { applyStoredTiles, presetTiles, tuneAndStore } from '../../src/web/tuning.js';
import { applyConvTiles } from '../../src/ops/conv_tune.js';

restoreTuningAfterEach();

/** The test device seen as another adapter (same runtime, another adapter report). */
function asAdapter(d: Device, description: string): Device {
  const fake = Object.create(d) as Device;
  Object.defineProperty(fake, 'adapter', { value: { ...d.adapter, vendor: '', architecture: '', device: '', description } });
  return fake;
}

describe('per-adapter presets in the page (src/web/tuning.ts)', () => {
  it('SwiftShader without stored tiles: its tiles, the flat max-pool, one tap at a time, input gradients as forward convs, flat rows', async () => {
    const d = await getDevice();
    const ss = asAdapter(d, 'SwiftShader Device (Subzero)');
    expect(presetTiles(ss.adapter)).not.toBeNull();
    convTuning.rowTaps = true;
    poolTuning.flat = false;
    expect(applyStoredTiles(ss)).toBeNull(); // nothing stored (no localStorage in Node)
    expect(convTuning.rowTaps).toBe(false);
    expect(convTuning.inputGradAsForward).toBe(true);
    expect(convTuning.flatRows).toBe(true);
    expect(poolTuning.flat).toBe(true);
    const t = currentConvTiles(d) as unknown as Record<string, { tc: number; tp: number }>;
    expect(t.forward).toMatchObject({ wg: 16, tc: 16, tp: 8 });
    expect(t.backwardInput).toMatchObject({ wg: 16, tc: 16, tp: 8 });
    expect(t.forwardStrided).toMatchObject({ wg: 64, tc: 16, tp: 8 });
    expect(t.pointwise).toMatchObject({ tc: 32, tp: 4 });
    expect(t.pointwiseBackward).toMatchObject({ wg: 16, tc: 32, tp: 4 });
  });

  it('an adapter without a preset keeps the defaults (lavapipe: three-tap rows, wide tiles)', async () => {
    const d = await getDevice();
    const other = asAdapter(d, 'llvmpipe (LLVM 15.0.6, 256 bits)');
    const before = JSON.stringify(currentConvTiles(d));
    expect(presetTiles(other.adapter)).toBeNull();
    expect(applyStoredTiles(other)).toBeNull();
    expect(convTuning.rowTaps).toBe(true);
    expect(convTuning.inputGradAsForward).toBe(false);
    expect(convTuning.flatRows).toBe(false);
    expect(JSON.stringify(currentConvTiles(d))).toBe(before);
  });
});

describe('tuneAndStore: the whole-model check', () => {
  // conv1's family alone, from a tile the tuner is sure to replace; `check` stands for the model step and is
  // slow with whichever set the test wants to lose.
  const bad = { wg: 8, tc: 4, tp: 1 };
  for (const loser of ['tuned', 'previous'] as const) {
    it(`keeps the faster set (the ${loser} tiles made the step slower)`, async () => {
      const d = await getDevice();
      if (typeof navigator === 'undefined') vi.stubGlobal('navigator', { userAgent: 'vitest' });
      applyConvTiles(d, { forwardStrided: bad });
      const isBad = () => JSON.stringify(currentConvTiles(d).forwardStrided) === JSON.stringify(bad);
      let calls = 0;
      const check = async () => {
        calls++;
        const slow = loser === 'previous' ? isBad() : !isBad();
        await new Promise((r) => setTimeout(r, slow ? 60 : 1));
      };
      try {
        const { results, stored } = await tuneAndStore(d, { rounds: 1, families: ['forwardStrided'], check });
        expect(results.map((r) => r.family)).toEqual(['forwardStrided']);
        expect(results[0].chosen).not.toEqual(bad);
        expect(calls).toBe(8); // two sets, a warm-up round and three timed ones
        expect(stored.check?.kept).toBe(loser === 'tuned' ? 'previous' : 'tuned');
        expect(stored.check!.tunedMs > stored.check!.previousMs).toBe(loser === 'tuned');
        expect(isBad()).toBe(loser === 'tuned');
        expect(stored.tiles.forwardStrided).toEqual(currentConvTiles(d).forwardStrided);
      } finally {
        vi.unstubAllGlobals();
      }
    }, 300_000);
  }
});
