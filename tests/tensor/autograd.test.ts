import { describe, it, expect } from 'vitest';
import { getDevice, relErr } from '../helpers/device.js';
import { add, mul, sub, sum, mean, square, relu, tidy, noGrad, grad, keep } from '../../src/index.js';

describe('autograd', () => {
  it('computes a simple gradient', async () => {
    const d = await getDevice();
    const x = d.tensor([1, -2, 3], [3], { requiresGrad: true });
    const y = sum(square(x)); // dy/dx = 2x
    y.backward();
    expect(Array.from(await x.grad!.toArray())).toEqual([2, -4, 6]);
    expect(await y.item()).toBe(14);
    x.dispose();
    y.dispose();
  });

  it('accumulates fan-out gradients', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const a = relu(x);
    const y = sum(add(mul(a, 3), mul(a, a))); // d/dx = 3 + 2x
    y.backward();
    expect(Array.from(await x.grad!.toArray())).toEqual([5, 7, 9, 11]);
  });

  it('broadcasts and reduces gradients', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2, 3, 4, 5, 6], [2, 3], { requiresGrad: true });
    const b = d.tensor([10, 20, 30], [3], { requiresGrad: true });
    const y = sum(mul(add(x, b), x));
    y.backward();
    // dy/dx = 2x + b ; dy/db = sum over rows of x
    expect(Array.from(await x.grad!.toArray())).toEqual([12, 24, 36, 18, 30, 42]);
    expect(Array.from(await b.grad!.toArray())).toEqual([5, 7, 9]);
  });

  it('rejects backward on a non-scalar', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2], [2], { requiresGrad: true });
    expect(() => square(x).backward()).toThrow(/scalar.*\[2\]/);
  });

  it('no-grad records nothing', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2], [2], { requiresGrad: true });
    const y = noGrad(() => sum(x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });

  it('use after dispose names the problem', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2], [2]);
    x.dispose();
    expect(() => add(x, 1)).toThrow(/disposed/);
  });

  it('a 1000-iteration forward+backward loop keeps GPU memory flat', async () => {
    const d = await getDevice();
    const x = d.tensor(new Float32Array(64).fill(0.5), [4, 16], { requiresGrad: true });
    const step = () => tidy(() => {
      const [g] = grad(mean(square(sub(relu(x), 0.25))), [x]);
      return mean(g);
    });
    for (let i = 0; i < 10; i++) step().dispose();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 1000; i++) step().dispose();
    await d.sync();
    const after = d.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.allocatedBytes).toBe(before.allocatedBytes);
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.uniformBuffers).toBe(before.uniformBuffers);
  });

  it('mean/sum over axes match the CPU', async () => {
    const d = await getDevice();
    const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i));
    const x = d.tensor(data, [2, 3, 4, 5]);
    const s = await sum(x, [0, 2, 3]).toArray();
    const ref = [0, 0, 0];
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let k = 0; k < 20; k++) ref[c] += data[n * 60 + c * 20 + k];
    expect(relErr(s, ref)).toBeLessThan(1e-5);
    keep(x).dispose();
  });
});

describe('autograd and scopes', () => {
  it('backward inside tidy works; after tidy freed the graph it names the problem', async () => {
    const d = await getDevice();
    const x = d.tensor([1, 2, 3], [3], { requiresGrad: true });
    const loss = tidy(() => {
      const l = sum(square(relu(x)));
      l.backward();
      return l;
    });
    expect(Array.from(await x.grad!.toArray())).toEqual([2, 4, 6]);
    const late = tidy(() => sum(square(relu(x))));
    expect(() => late.backward()).toThrow(/disposed.*inside the tidy\(\)/);
    loss.dispose();
    late.dispose();
    x.dispose();
  });
});
