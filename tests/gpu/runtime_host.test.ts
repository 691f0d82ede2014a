import { describe, it, expect } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { ShaderLibrary } from '../../src/gpu/compose.js';

// Host-side cost cuts in src/gpu/runtime.ts and kernels.ts: small uploads between dispatches go through cached staging
// buffers recorded in the encoder (no mid-step submit), parameter blocks are filled in a per-kernel scratch.
describe('runtime host path', () => {
  it('a small write after recorded commands lands in command order without an extra submit', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const a = rt.acquire(16);
    const b = rt.acquire(16);
    const c = rt.acquire(16);
    rt.write(a, new Float32Array([1, 2, 3, 4]));
    const submits = rt.submits;
    rt.copy(a, 0, b, 0, 16); // recorded, not submitted
    rt.write(a, new Float32Array([5, 6, 7, 8])); // must not overtake the copy above
    rt.copy(a, 0, c, 0, 16);
    rt.write(a, new Float32Array([5, 6, 7, 8])); // same bytes: the cached staging buffer
    rt.copy(a, 0, b, 8, 8);
    expect(rt.submits).toBe(submits);
    const staged = (rt as unknown as { stagedWrites: Map<string, GPUBuffer> }).stagedWrites;
    const key = [5, 6, 7, 8].map((v) => new Uint32Array(new Float32Array([v]).buffer)[0]).join(',') + ',';
    expect(staged.has(key)).toBe(true);
    const sizeBefore = staged.size;
    expect(Array.from(new Float32Array(await rt.read(b, 0, 16)))).toEqual([1, 2, 5, 6]);
    expect(Array.from(new Float32Array(await rt.read(c, 0, 16)))).toEqual([5, 6, 7, 8]);
    // An upload too large for staging still submits first and then writes.
    const big = rt.acquire(20000);
    rt.copy(a, 0, big, 0, 16);
    const s0 = rt.submits;
    rt.write(big, new Float32Array(5000).fill(9), 0);
    expect(rt.submits).toBe(s0 + 1);
    expect(Array.from(new Float32Array(await rt.read(big, 0, 8)))).toEqual([9, 9]);
    expect(staged.size).toBe(sizeBefore);
    for (const buf of [a, b, c, big]) rt.release(buf);
  });

  it('parameter blocks: cached per distinct values, missing and unknown names refused', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const src = `
struct P { n: u32, s: f32, o: i32, _p0: u32, }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(1) fn main() { y[0] = f32(p.n) + p.s + f32(p.o); }`;
    const k = rt.kernel(new ShaderLibrary({ host_params_test: src }).compose('host_params_test'));
    const y = rt.acquire(16);
    rt.dispatch(k, { y }, { n: 3, s: 0.5, o: -2 }, [1]);
    const n0 = rt.memory().uniformBuffers;
    rt.dispatch(k, { y }, { n: 3, s: 0.5, o: -2 }, [1]);
    expect(rt.memory().uniformBuffers).toBe(n0);
    expect(new Float32Array(await rt.read(y, 0, 4))[0]).toBe(1.5);
    rt.dispatch(k, { y }, { n: 4, s: 0.25, o: -1 }, [1]);
    expect(rt.memory().uniformBuffers).toBe(n0 + 1);
    expect(new Float32Array(await rt.read(y, 0, 4))[0]).toBe(3.25);
    expect(() => rt.dispatch(k, { y }, { n: 3, s: 0.5 }, [1])).toThrow("kernel 'host_params_test': missing parameter 'o'");
    expect(() => rt.dispatch(k, { y }, { n: 3, s: 0.5, o: 1, q: 2 }, [1])).toThrow("kernel 'host_params_test': unknown parameter 'q'");
    rt.release(y);
  });

  it('parameter blocks stay bounded when values never repeat (least recently used retired, destroyed after their work)', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const src = `
struct P { v: f32, i: u32, _p0: u32, _p1: u32, }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(1) fn main() { y[p.i] = y[p.i] + p.v; }`;
    const k = rt.kernel(new ShaderLibrary({ host_params_lru: src }).compose('host_params_lru'));
    const cache = (rt as unknown as { kernels: { uniformLimit: number } }).kernels;
    const limit = cache.uniformLimit;
    cache.uniformLimit = 16;
    try {
      const y = rt.acquire(64);
      rt.write(y, new Float32Array(16));
      // 300 distinct blocks recorded without a wait in between: retirements happen while commands that use the
      // retired blocks sit in the encoder; they must still run with their own values.
      let want = 0;
      for (let j = 0; j < 300; j++) {
        rt.dispatch(k, { y }, { v: j + 1, i: j % 4 }, [1]);
        if (j % 4 === 0) want += j + 1;
        expect(rt.memory().uniformBuffers).toBeLessThanOrEqual(16);
      }
      expect(new Float32Array(await rt.read(y, 0, 4))[0]).toBe(want);
      // A long loop with waits: the count stays at the limit, results stay right.
      for (let round = 0; round < 20; round++) {
        for (let j = 0; j < 10; j++) rt.dispatch(k, { y }, { v: 1000 + round * 10 + j, i: 1 }, [1]);
        await rt.read(y, 4, 4);
      }
      expect(rt.memory().uniformBuffers).toBeLessThanOrEqual(16);
      let sum1 = 0;
      for (let j = 0; j < 300; j++) if (j % 4 === 1) sum1 += j + 1;
      for (let v = 1000; v < 1200; v++) sum1 += v;
      expect(new Float32Array(await rt.read(y, 4, 4))[0]).toBe(sum1);
      await rt.sync();
      rt.release(y);
    } finally {
      cache.uniformLimit = limit;
    }
  });
});
