import { describe, it, expect } from 'vitest';
import { nextWaitEstimate, WAIT_WINDOW } from '../../src/gpu/runtime.js';

// The idle-wait estimator (src/gpu/queue.ts): one slow run must not inflate the runs after it.
describe('idle-wait estimator', () => {
  it('one slow run does not raise the estimate; a lasting slow-down does once it fills the window', () => {
    const s: number[] = [];
    for (let i = 0; i < 5; i++) expect(nextWaitEstimate(s, 100, false)).toBe(100);
    // One run at 3x (a busy machine): the next estimate stays at the usual time.
    expect(nextWaitEstimate(s, 300, false)).toBe(100);
    expect(nextWaitEstimate(s, 101, false)).toBe(100);
    // A lasting slow-down to 200 ms: the estimate follows after WAIT_WINDOW runs.
    const est: number[] = [];
    for (let i = 0; i < WAIT_WINDOW; i++) est.push(nextWaitEstimate(s, 200, false));
    expect(est[0]).toBe(100);
    expect(est[WAIT_WINDOW - 1]).toBe(200);
  });

  it('oversleeping lowers the estimate by 30% per run', () => {
    const s: number[] = [];
    nextWaitEstimate(s, 100, false);
    expect(nextWaitEstimate(s, 95, true)).toBeCloseTo(70);
    expect(nextWaitEstimate(s, 70, true)).toBeCloseTo(49);
    // A real wait afterwards is kept as a sample but the smaller ones still rule the window.
    expect(nextWaitEstimate(s, 60, false)).toBeCloseTo(49);
    expect(s.length).toBeLessThanOrEqual(WAIT_WINDOW);
  });
});

describe('idle waits on this adapter', () => {
  it('a batch that built a pipeline is not sampled; the next run of the same work is', async () => {
    const { getDevice } = await import('../helpers/device.js');
    const { kernel } = await import('../../src/gpu/library.js');
    const d = await getDevice();
    const rt = d.runtime;
    const was = rt.idleWaits;
    rt.idleWaits = true;
    try {
      const buf = rt.acquire(4096);
      // E = 3: a fill pipeline no op builds (they use ITEMS = 4), so the first run compiles it.
      const run = async () => {
        rt.dispatch(kernel(rt, 'fill', { WG: 64, E: 3 }), { y: buf }, { n4: 256, value: 2 }, [2]);
        return new Float32Array(await rt.read(buf, 0, 16));
      };
      const before = new Map(rt.queue.waitEstimates);
      expect(Array.from(await run())).toEqual([2, 2, 2, 2]);
      const added = () => [...rt.queue.waitEstimates.keys()].filter((k) => !before.has(k));
      expect(added()).toEqual([]); // the compile run left no estimate
      await run();
      expect(added().length).toBe(1); // a warm run does
      rt.release(buf);
    } finally {
      rt.idleWaits = was;
    }
  });
});
