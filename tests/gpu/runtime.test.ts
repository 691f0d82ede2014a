import { describe, it, expect } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { conv2d, relu, sum, tidy, noGrad, dispose } from '../../src/index.js';

// The runtime's idle waits (src/gpu/queue.ts, `idleWaits`): before handing a wait to dawn.node, which polls
// in a busy loop, it sleeps for most of the time the same batch of kernels took before.
describe('runtime waits', () => {
  it('a repeated step gets a finite estimate and gives the same results with idle waits on and off', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const saved = rt.idleWaits;
    const x = d.tensor(Float32Array.from({ length: 2 * 8 * 30 * 30 }, (_, i) => Math.sin(i)), [2, 8, 30, 30]);
    const w = d.tensor(Float32Array.from({ length: 16 * 8 * 9 }, (_, i) => Math.cos(i) * 0.2), [16, 8, 3, 3]);
    const step = () => tidy(() => noGrad(() => sum(relu(conv2d(x, w, null, { padding: 1 })), [1, 2, 3])));
    const results: Float32Array[] = [];
    try {
      for (const on of [true, false, true]) {
        rt.idleWaits = on;
        for (let i = 0; i < 6; i++) {
          const y = step();
          results.push(await y.toArray());
          y.dispose();
        }
      }
      for (const r of results) expect(Array.from(r)).toEqual(Array.from(results[0]));
      expect(rt.queue.waitEstimates.size).toBeGreaterThan(0);
      for (const v of rt.queue.waitEstimates.values()) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThan(0);
        expect(v).toBeLessThan(10_000);
      }
    } finally {
      rt.idleWaits = saved;
      dispose(x, w);
    }
  });

  it('several reads at once: one times the batch, all resolve, the estimates stay sane', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const saved = rt.idleWaits;
    rt.idleWaits = true;
    const x = d.tensor(Float32Array.from({ length: 4096 }, (_, i) => i), [4096]);
    try {
      for (let i = 0; i < 5; i++) {
        const [a, b, c] = tidy(() => [relu(x), sum(x), x.reshape([64, 64])]);
        const [va, vb, vc] = await Promise.all([a.toArray(), b.toArray(), c.toArray()]);
        expect(va[4095]).toBe(4095);
        expect(vb[0]).toBe((4095 * 4096) / 2);
        expect(vc.length).toBe(4096);
        dispose(a, b, c);
        await d.sync();
      }
      for (const v of rt.queue.waitEstimates.values()) expect(v).toBeLessThan(10_000);
    } finally {
      rt.idleWaits = saved;
      x.dispose();
    }
  });
});
