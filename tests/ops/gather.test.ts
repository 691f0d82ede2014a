import { describe, it, expect } from 'vitest';
import { getDevice, randn, relErr, finiteDiff, rng } from '../helpers/device.js';
import { grad, dispose, sum, tidy, type Tensor } from '../../src/index.js';
import { gatherRows, takeRows } from '../../src/ops/gather.js';
import { logSoftmax } from '../../src/ops/softmax.js';
import { cpuTensor, dot, type CpuTensor } from '../../src/ops/cpu/elementwise.js';
import * as cpu from '../../src/ops/cpu/gather.js';
import * as cpuSoftmax from '../../src/ops/cpu/softmax.js';

const d = await getDevice();

function randT(shape: number[], seed: number, scale = 1): CpuTensor {
  return cpuTensor(randn(shape.reduce((a, b) => a * b, 1), seed, scale), shape);
}

function up(c: CpuTensor, requiresGrad = false): Tensor {
  return d.tensor(Float32Array.from(c.data), c.shape, { requiresGrad });
}

function randIndex(N: number, K: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: N }, () => Math.floor(r() * K));
}

describe('gatherRows', () => {
  it.each([
    [1, 7],
    [3, 5],
    [5, 13],
    [25, 1000], // an ImageNet batch
  ])('forward and backward match the CPU on [%i, %i]', async (N, K) => {
    const x = randT([N, K], N * 100 + K, 3);
    const idx = randIndex(N, K, K);
    if (N > 2) idx[1] = idx[2]; // repeated classes are fine
    idx[0] = K - 1; // the last column
    const g = randT([N], N + K);
    const xt = up(x, true);
    const y = gatherRows(xt, idx);
    expect(y.shape).toEqual([N]);
    expect(relErr(await y.toArray(), cpu.gatherRows(x, idx).data)).toBe(0);
    const gt = up(g);
    const [gx] = grad(y, [xt], gt);
    expect(gx.shape).toEqual([N, K]);
    expect(relErr(await gx.toArray(), cpu.gatherRowsBackward(g, idx, K).data)).toBe(0);
    dispose(xt, y, gt, gx);
  });

  it('CPU backward matches finite differences (float64)', () => {
    const x = randT([4, 6], 1);
    const g = randT([4], 2);
    const idx = [5, 0, 3, 3];
    const fd = finiteDiff((v) => dot(cpu.gatherRows(cpuTensor(v, [4, 6]), idx), g), Float64Array.from(x.data));
    expect(relErr(cpu.gatherRowsBackward(g, idx, 6).data, fd)).toBeLessThan(1e-9);
  });

  it('accepts number[], Int32Array and Uint32Array', async () => {
    const x = d.tensor([0, 1, 2, 10, 11, 12], [2, 3]);
    for (const idx of [[2, 0], Int32Array.of(2, 0), Uint32Array.of(2, 0)]) {
      const y = gatherRows(x, idx);
      expect(Array.from(await y.toArray())).toEqual([2, 10]);
      y.dispose();
    }
    x.dispose();
  });

  it('gives the saliency / cross-entropy gradient through logSoftmax', async () => {
    const N = 3;
    const K = 300;
    const xc = randT([N, K], 9, 4);
    const idx = randIndex(N, K, 10);
    const x = up(xc, true);
    const loss = sum(gatherRows(logSoftmax(x), idx)); // Σ log p[n, idx[n]]
    const [gx] = grad(loss, [x]);
    const ones = cpuTensor(new Float64Array(N).fill(1), [N]);
    const ref = cpuSoftmax.logSoftmaxBackward(cpu.gatherRowsBackward(ones, idx, K), cpuSoftmax.logSoftmax(xc));
    expect(relErr(await gx.toArray(), ref.data)).toBeLessThan(1e-5);
    dispose(x, loss, gx);
  });

  it('frees its saved indices with the output', async () => {
    const x = up(randT([4, 9], 3), true);
    const step = () => tidy(() => grad(sum(gatherRows(x, [1, 8, 0, 4])), [x])[0]);
    step().dispose();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 20; i++) step().dispose();
    await d.sync();
    const after = d.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveTensors).toBe(before.liveTensors);
    x.dispose();
  });

  it('rejects bad class ids and shapes with the op, row and range', () => {
    const logits = d.zeros([4, 1000]);
    expect(() => gatherRows(logits, [1, 2, 3, 1000])).toThrow('gatherRows: unknown class id 1000 at row 3 (valid 0..999)');
    expect(() => gatherRows(logits, [-1, 2, 3, 4])).toThrow('gatherRows: unknown class id -1 at row 0 (valid 0..999)');
    expect(() => gatherRows(logits, [1, 2.5, 3, 4])).toThrow('gatherRows: unknown class id 2.5 at row 1 (valid 0..999)');
    expect(() => gatherRows(logits, Int32Array.of(0, 0, -5, 0))).toThrow(/unknown class id -5 at row 2/);
    expect(() => gatherRows(logits, [1, 2])).toThrow('gatherRows: index has 2 entries for x of shape [4, 1000] (one per row)');
    expect(() => gatherRows(d.zeros([1000]), [1])).toThrow(/gatherRows: 'x' must have rank 2; got shape \[1000\]/);
    expect(() => gatherRows(logits, logits as never)).toThrow(/gatherRows: index must be an array of class ids .* got a Tensor/);
    expect(() => gatherRows(logits, 3 as never)).toThrow(/gatherRows: index must be an array of class ids/);
    expect(() => gatherRows(null as never, [1])).toThrow(/gatherRows: 'x' must be a Tensor/);
    expect(() => gatherRows(d.zeros([2, 0]), [0, 0])).toThrow('gatherRows: x of shape [2, 0] has no classes to gather');
    expect(gatherRows(d.zeros([0, 5]), []).shape).toEqual([0]);
    expect(() => cpu.gatherRows(cpuTensor([0, 0], [1, 2]), [2])).toThrow('gatherRows: unknown class id 2 at row 0 (valid 0..1)');
  });
});

describe('takeRows', () => {
  it.each([
    [[7], [3, 0, 6]],
    [[5, 4], [4, 4, 0, 2, 1]], // repeated rows: their gradients add
    [[1000, 512], [7, 999, 7]], // classifier weights of some classes
    [[6, 2, 3], [5]],
  ])('forward and backward match the CPU on %j taking %j', async (shape, idx) => {
    const x = randT(shape, shape.length * 10 + idx.length, 2);
    const outShape = [idx.length, ...shape.slice(1)];
    const g = randT(outShape, 77);
    const xt = up(x, true);
    const y = takeRows(xt, idx);
    expect(y.shape).toEqual(outShape);
    expect(relErr(await y.toArray(), cpu.takeRows(x, idx).data)).toBe(0);
    const gt = up(g);
    const [gx] = grad(y, [xt], gt);
    expect(gx.shape).toEqual(shape);
    expect(relErr(await gx.toArray(), cpu.takeRowsBackward(g, idx, shape).data)).toBeLessThan(1e-7);
    dispose(xt, y, gt, gx);
  });

  it('CPU backward matches finite differences (float64)', () => {
    const x = randT([4, 3], 5);
    const idx = [2, 0, 2];
    const g = randT([3, 3], 6);
    const fd = finiteDiff((v) => dot(cpu.takeRows(cpuTensor(v, [4, 3]), idx), g), Float64Array.from(x.data));
    expect(relErr(cpu.takeRowsBackward(g, idx, [4, 3]).data, fd)).toBeLessThan(1e-9);
  });

  it('rejects bad rows with the op, position and range', () => {
    const w = d.zeros([10, 4]);
    expect(() => takeRows(w, [1, 10])).toThrow('takeRows: unknown row 10 at position 1 (valid 0..9 for x of shape [10, 4])');
    expect(() => takeRows(w, [-1])).toThrow(/takeRows: unknown row -1 at position 0/);
    expect(() => takeRows(w, 3 as never)).toThrow(/takeRows: index must be an array of row numbers/);
    expect(() => takeRows(null as never, [0])).toThrow(/takeRows: 'x' must be a Tensor/);
    expect(takeRows(w, []).shape).toEqual([0, 4]);
    w.dispose();
  });
});
