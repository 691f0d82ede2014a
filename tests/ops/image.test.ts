import { describe, it, expect } from 'vitest';
import { getDevice, randn, relErr, finiteDiff } from '../helpers/device.js';
import { roll, gaussianBlur, clampChannels, grad, type Tensor, type Device } from '../../src/index.js';
import {
  rollCpu, rollBackwardCpu, gaussianBlurCpu, gaussianBlurBackwardCpu, gaussianWeights, blurRadius,
  clampChannelsCpu, clampChannelsBackwardCpu,
} from '../../src/ops/cpu/image.js';

const TOL = 1e-5;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** GPU forward and backward (seeded with a random g) of op at x. */
async function gpuRun(d: Device, op: (t: Tensor) => Tensor, x: Float32Array, shape: number[], seed = 99) {
  const xt = d.tensor(x, shape, { requiresGrad: true });
  const y = op(xt);
  const g = randn(y.size, seed);
  const seedT = d.tensor(g, y.shape);
  const [gx] = grad(y, [xt], seedT);
  const res = { shape: [...y.shape], out: await y.toArray(), gin: await gx.toArray(), g };
  for (const t of [xt, y, seedT, gx]) t.dispose();
  return res;
}

/** Σ g·f(x) as a function of x, for finite differences. */
const dot = (f: (v: Float64Array) => Float64Array, g: ArrayLike<number>) => (v: Float64Array) => f(v).reduce((s, o, i) => s + o * g[i], 0);

describe('roll', () => {
  it('matches torch.roll on a small example', async () => {
    const d = await getDevice();
    const x = d.tensor(Float32Array.from({ length: 12 }, (_, i) => i), [1, 1, 3, 4]);
    const y = roll(x, 1, -1);
    // torch.roll(torch.arange(12.).reshape(1, 1, 3, 4), (1, -1), (2, 3))
    expect(Array.from(await y.toArray())).toEqual([9, 10, 11, 8, 1, 2, 3, 0, 5, 6, 7, 4]);
    x.dispose();
    y.dispose();
  });

  it('forward and backward match the CPU reference', async () => {
    const d = await getDevice();
    const cases: [number[], number, number][] = [
      [[2, 3, 5, 7], 1, 2], [[2, 3, 5, 7], -3, 4], [[2, 3, 5, 7], 10, -9], [[1, 2, 4, 4], 0, 0], [[3, 1, 1, 6], 2, -13], [[4, 5], -1, 3],
    ];
    let seed = 1;
    for (const [shape, sy, sx] of cases) {
      const x = randn(size(shape), seed++);
      const r = await gpuRun(d, (t) => roll(t, sy, sx), x, shape);
      const what = `${shape} (${sy}, ${sx})`;
      expect(relErr(r.out, rollCpu(x, shape, sy, sx)), what).toBe(0);
      expect(relErr(r.gin, rollBackwardCpu(r.g, shape, sy, sx)), what).toBe(0);
    }
  });

  it('CPU backward passes a finite-difference check', () => {
    const shape = [2, 2, 3, 5];
    const x = Float64Array.from(randn(60, 5));
    const g = Float64Array.from(randn(60, 6));
    const fd = finiteDiff(dot((v) => rollCpu(v, shape, 2, -3), g), x, 1e-4);
    expect(relErr(rollBackwardCpu(g, shape, 2, -3), fd)).toBeLessThan(1e-7);
  });

  it('rejects bad inputs', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2, 3], [3]);
    const y = d.tensor(new Float32Array(4), [1, 1, 2, 2]);
    expect(() => roll(x, 1, 1)).toThrow(/roll: .*at least 2 dims.*\[3\]/);
    expect(() => roll(y, 0.5, 1)).toThrow(/roll: shifts must be integers/);
    x.dispose();
    y.dispose();
  });
});

describe('gaussianBlur', () => {
  it('weights follow scipy: radius int(4·sigma + 0.5), normalised', () => {
    expect(blurRadius(0.5)).toBe(2);
    expect(blurRadius(1)).toBe(4);
    expect(blurRadius(1.2)).toBe(5);
    const w = gaussianWeights(1);
    expect(w.length).toBe(9);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(w[4] / w[5]).toBeCloseTo(Math.exp(0.5), 12);
  });

  it('matches a golden scipy-style value (radius 6 on a 3x4 image: repeated reflection)', async () => {
    const d = await getDevice();
    const x = d.tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 0.37 + 0.1) * 2), [1, 1, 3, 4]);
    const y = gaussianBlur(x, 1.5);
    // gaussian_filter1d(gaussian_filter1d(x, 1.5, axis=2), 1.5, axis=3) with mode 'reflect'
    // (computed with numpy.pad(mode='symmetric'), which extends the same way)
    const ref = [0.8683665, 0.8871728, 0.9023602, 0.9050551, 0.7233731, 0.6647624, 0.5740848, 0.5043206, 0.5545986, 0.4204978, 0.2269362, 0.08700652];
    expect(relErr(await y.toArray(), ref)).toBeLessThan(TOL);
    x.dispose();
    y.dispose();
  });

  it('forward and backward (the exact adjoint) match the CPU reference', async () => {
    const d = await getDevice();
    const cases: [number[], number][] = [
      [[2, 3, 7, 9], 0.5], [[1, 2, 5, 6], 1], [[1, 1, 3, 4], 1.5], [[2, 1, 1, 5], 2], [[1, 3, 9, 4], 0.3], [[1, 1, 16, 13], 3],
    ];
    let seed = 10;
    for (const [shape, sigma] of cases) {
      const x = randn(size(shape), seed++);
      const r = await gpuRun(d, (t) => gaussianBlur(t, sigma), x, shape);
      const what = `${shape} sigma ${sigma}`;
      expect(relErr(r.out, gaussianBlurCpu(x, shape, sigma)), what).toBeLessThan(TOL);
      expect(relErr(r.gin, gaussianBlurBackwardCpu(r.g, shape, sigma)), what).toBeLessThan(TOL);
    }
  });

  it('CPU backward passes a finite-difference check (reflect boundaries, radius above the size)', () => {
    for (const [shape, sigma] of [[[1, 2, 4, 5], 1], [[2, 1, 3, 2], 1.5]] as [number[], number][]) {
      const x = Float64Array.from(randn(size(shape), 20));
      const g = Float64Array.from(randn(size(shape), 21));
      const fd = finiteDiff(dot((v) => gaussianBlurCpu(v, shape, sigma), g), x, 1e-4);
      expect(relErr(gaussianBlurBackwardCpu(g, shape, sigma), fd)).toBeLessThan(1e-7);
    }
  });

  it('rejects bad inputs', async () => {
    const d = await getDevice();
    const x = d.tensor(new Float32Array(4), [1, 1, 2, 2]);
    const v = d.tensor([1, 2, 3], [3]);
    expect(() => gaussianBlur(x, 0)).toThrow(/gaussianBlur: sigma must be a finite number > 0; got 0/);
    expect(() => gaussianBlur(x, NaN)).toThrow(/gaussianBlur: sigma/);
    expect(() => gaussianBlur(x, 40)).toThrow(/gaussianBlur: sigma 40 gives a kernel radius of 160/);
    expect(() => gaussianBlur(v, 1)).toThrow(/gaussianBlur: .*\[3\]/);
    x.dispose();
    v.dispose();
  });
});

describe('clampChannels', () => {
  const lo3 = [-2.1, -0.5, -1.0];
  const hi3 = [2.2, 0.7, 0.1];

  it('forward and backward match the CPU reference', async () => {
    const d = await getDevice();
    const cases: [number[], number[], number[]][] = [
      [[2, 3, 5, 7], lo3, hi3],
      [[1, 3, 4, 4], lo3, hi3],
      [[3, 2], [-0.1, 0], [0.1, Infinity]],
      [[2, 5, 3], [-1, -0.5, 0, -2, -0.2], [1, 0.5, 0.3, -1, 0.2]],
    ];
    let seed = 40;
    for (const [shape, lo, hi] of cases) {
      const x = randn(size(shape), seed++);
      const r = await gpuRun(d, (t) => clampChannels(t, lo, hi), x, shape);
      const what = `${shape}`;
      expect(relErr(r.out, clampChannelsCpu(x, shape, lo, hi)), what).toBeLessThan(TOL);
      expect(relErr(r.gin, clampChannelsBackwardCpu(r.g, x, shape, lo, hi)), what).toBe(0);
    }
  });

  it('the gradient passes at the bounds themselves (as torch.clamp)', async () => {
    const d = await getDevice();
    const r = await gpuRun(d, (t) => clampChannels(t, [0, -1], [1, 1]), Float32Array.from([-0.5, 0, 1, 1.5, -1, 2]), [1, 2, 3]);
    expect(Array.from(r.out)).toEqual([0, 0, 1, 1, -1, 1]);
    expect(Array.from(r.gin).map((v, i) => (v === 0 ? 0 : v === r.g[i] ? 1 : NaN))).toEqual([0, 1, 1, 0, 1, 0]);
  });

  it('CPU backward passes a finite-difference check', () => {
    const shape = [2, 3, 4, 3];
    const x = Float64Array.from(randn(72, 50));
    const g = Float64Array.from(randn(72, 51));
    const fd = finiteDiff(dot((v) => clampChannelsCpu(v, shape, lo3, hi3), g), x, 1e-6);
    expect(relErr(clampChannelsBackwardCpu(g, x, shape, lo3, hi3), fd)).toBeLessThan(1e-7);
  });

  it('rejects a wrong number of bounds, lo > hi and a missing channel dim', async () => {
    const d = await getDevice();
    const x = d.tensor(new Float32Array(2 * 3 * 4), [2, 3, 2, 2]);
    expect(() => clampChannels(x, [0, 0], [1, 1])).toThrow(/clampChannels: x of shape \[2, 3, 2, 2\] has 3 channels but lo has 2 and hi has 2 bounds/);
    expect(() => clampChannels(x, [0, 0, 0], [1, 1])).toThrow(/clampChannels: .*3 channels.*hi has 2/);
    expect(() => clampChannels(x, [0, 2, 0], [1, 1, 1])).toThrow(/clampChannels: channel 1 needs numbers lo <= hi; got lo 2, hi 1/);
    const v = d.tensor([1, 2, 3], [3]);
    expect(() => clampChannels(v, [0], [1])).toThrow(/clampChannels: .*\[3\]/);
    x.dispose();
    v.dispose();
  });
});
