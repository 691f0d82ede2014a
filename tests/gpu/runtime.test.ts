import { describe, it, expect } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { conv2d, relu, sum, tidy, noGrad, dispose } from '../../src/index.js';

// The runtime's idle waits (src/gpu/queue.ts, `idleWaits`): while a wait is pending, dawn.node's polling loop
// (native functions handed to the global setImmediate) runs on a 1 ms timer instead of spinning.
describe('runtime waits', () => {
  it('a repeated step gives the same results with idle waits on and off', async () => {
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
    } finally {
      rt.idleWaits = saved;
      dispose(x, w);
    }
  });

  it('several reads at once all resolve, and setImmediate is restored when the last one ends', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const saved = rt.idleWaits;
    rt.idleWaits = true;
    const x = d.tensor(Float32Array.from({ length: 4096 }, (_, i) => i), [4096]);
    const original = globalThis.setImmediate;
    try {
      for (let i = 0; i < 5; i++) {
        const [a, b, c] = tidy(() => [relu(x), sum(x), x.reshape([64, 64])]);
        const [va, vb, vc] = await Promise.all([a.toArray(), b.toArray(), c.toArray()]);
        expect(va[4095]).toBe(4095);
        expect(vb[0]).toBe((4095 * 4096) / 2);
        expect(vc.length).toBe(4096);
        dispose(a, b, c);
        await d.sync();
        expect(globalThis.setImmediate).toBe(original);
      }
    } finally {
      rt.idleWaits = saved;
      x.dispose();
    }
  });

  it('during a quiet wait, native ticks go through a timer and JavaScript callbacks of setImmediate still run at once', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const saved = rt.idleWaits;
    rt.idleWaits = true;
    const original = globalThis.setImmediate;
    const x = d.tensor(Float32Array.from({ length: 1024 }, (_, i) => i), [1024]);
    try {
      let during: typeof setImmediate | null = null;
      let jsRan = false;
      const y = tidy(() => relu(x));
      const read = rt.queue.wait(async () => {
        during = globalThis.setImmediate;
        // A JavaScript callback keeps setImmediate's semantics (runs before any timer of 1 ms).
        await new Promise<void>((r) => during!(() => ((jsRan = true), r())));
        // A native function (as dawn.node's tick) is deferred by a 1 ms timer.
        const t = (during as unknown as (f: () => number) => { constructor: { name: string } })(Math.random);
        expect(t.constructor.name).toBe('Timeout');
        clearTimeout(t as unknown as ReturnType<typeof setTimeout>);
        return y.toArray();
      });
      const v = await read;
      expect(during).not.toBe(original);
      expect(jsRan).toBe(true);
      expect(v[1023]).toBe(1023);
      expect(globalThis.setImmediate).toBe(original);
      y.dispose();
    } finally {
      rt.idleWaits = saved;
      x.dispose();
    }
  });
});
