import { describe, it, expect, vi } from 'vitest';
import { getDevice, randn, relErr, finiteDiff } from '../helpers/device.js';
import { grad, tidy, dispose, channelDot, mul, sum } from '../../src/index.js';
import { channelDotCpu, channelDotBackwardCpu } from '../../src/ops/cpu/channel_dot.js';

const d = await getDevice();

describe('channelDot', () => {
  // Spatial sizes around the four-pixel groups (1, 3, 4, 5, 13 x 13), batches of one and three.
  const cases: [number, number, number[]][] = [[1, 7, [13, 13]], [3, 5, [3]], [2, 9, [1, 1]], [1, 4, [2, 2]], [3, 2, [5]], [2, 33, [2, 3, 2]]];

  it('matches the CPU reference, forward and both gradients', async () => {
    for (const [i, [N, C, rest]] of cases.entries()) {
      const Q = rest.reduce((a, b) => a * b, 1);
      const xd = randn(N * C * Q, 10 + i);
      const wd = randn(N * C, 20 + i);
      const gd = randn(N * Q, 30 + i);
      const res = tidy(() => {
        const x = d.tensor(xd, [N, C, ...rest], { requiresGrad: true });
        const w = d.tensor(wd, [N, C], { requiresGrad: true });
        const y = channelDot(x, w);
        expect(y.shape).toEqual([N, ...rest]);
        return [y, ...grad(y, [x, w], d.tensor(gd, y.shape))];
      });
      const [y, dx, dw] = await Promise.all(res.map((t) => t.toArray()));
      dispose(res);
      const ref = channelDotBackwardCpu(gd, xd, wd, N, C, Q);
      expect(relErr(y, channelDotCpu(xd, wd, N, C, Q)), `out ${i}`).toBeLessThan(1e-5);
      expect(relErr(dx, ref.dx), `dx ${i}`).toBeLessThan(1e-6);
      expect(relErr(dw, ref.dw), `dw ${i}`).toBeLessThan(1e-5);
    }
  });

  it('CPU backward agrees with finite differences of the CPU forward', () => {
    const [N, C, Q] = [2, 3, 5];
    const xd = Float64Array.from(randn(N * C * Q, 40));
    const wd = Float64Array.from(randn(N * C, 41));
    const g = randn(N * Q, 42);
    const loss = (x: ArrayLike<number>, w: ArrayLike<number>) => channelDotCpu(x, w, N, C, Q).reduce((s, v, i) => s + v * g[i], 0);
    const ref = channelDotBackwardCpu(g, xd, wd, N, C, Q);
    expect(relErr(ref.dx, finiteDiff((v) => loss(v, wd), xd))).toBeLessThan(1e-8);
    expect(relErr(ref.dw, finiteDiff((v) => loss(xd, v), wd))).toBeLessThan(1e-8);
  });

  it('equals the broadcast product summed over channels, and its input gradient alone skips the weight gradient', async () => {
    const [N, C, H, W] = [2, 6, 4, 3];
    const xd = randn(N * C * H * W, 50);
    const wd = randn(N * C, 51);
    const spy = vi.spyOn(d.runtime, 'kernel');
    const res = tidy(() => {
      const x = d.tensor(xd, [N, C, H, W], { requiresGrad: true });
      const w = d.tensor(wd, [N, C]);
      const a = channelDot(x, w);
      const b = sum(mul(x, w.reshape([N, C, 1, 1])), 1);
      return [a, b, ...grad(sum(a), [x])];
    });
    const entries = spy.mock.calls.filter((c) => c[0].name === 'channel_dot').map((c) => c[1] ?? 'main');
    spy.mockRestore();
    const [a, b, dx] = await Promise.all(res.map((t) => t.toArray()));
    dispose(res);
    expect(relErr(a, b)).toBeLessThan(1e-6);
    // d sum(a) / dx[n, c, q] = w[n, c]
    expect(relErr(dx, Array.from({ length: dx.length }, (_, i) => wd[Math.floor(i / (H * W))]))).toBe(0);
    expect(entries).toContain('backward_x');
    expect(entries).not.toContain('backward_w');
  });

  it('names bad shapes', () => {
    tidy(() => {
      const x = d.tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
      expect(() => channelDot(x, d.tensor(new Float32Array(6), [3, 2]))).toThrow("channelDot: 'w' must have shape [2, 3] (one weight per image and channel of x [2, 3, 4]); got [3, 2]");
      expect(() => channelDot(x, d.tensor(new Float32Array(6), [6]))).toThrow(/'w' must have shape \[2, 3\].*got \[6\]/);
      expect(() => channelDot(d.tensor(new Float32Array(3), [3]), d.tensor(new Float32Array(3), [1, 3]))).toThrow(/'x' must have rank >= 2.*got shape \[3\]/);
    });
  });
});
