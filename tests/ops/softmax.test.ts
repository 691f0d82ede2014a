import { describe, it, expect } from 'vitest';
import { getDevice, randn, relErr, finiteDiff } from '../helpers/device.js';
import { grad, dispose, sum, mul, tidy, type Tensor } from '../../src/index.js';
import { softmax, logSoftmax } from '../../src/ops/softmax.js';
import { cpuTensor, dot, type CpuTensor } from '../../src/ops/cpu/elementwise.js';
import * as cpu from '../../src/ops/cpu/softmax.js';

const d = await getDevice();

/** Random float32-representable data, as a CPU tensor (the GPU gets exactly these values). */
function randT(shape: number[], seed: number, scale = 1): CpuTensor {
  return cpuTensor(randn(shape.reduce((a, b) => a * b, 1), seed, scale), shape);
}

function up(c: CpuTensor, requiresGrad = false): Tensor {
  return d.tensor(Float32Array.from(c.data), c.shape, { requiresGrad });
}

/** Forward on the GPU, and the gradient for upstream gradient g. */
async function run(op: (x: Tensor) => Tensor, x: CpuTensor, g: CpuTensor): Promise<{ y: Float32Array; gx: Float32Array }> {
  const xt = up(x, true);
  const y = op(xt);
  const gt = up(g);
  const [gx] = grad(y, [xt], gt);
  const out = { y: await y.toArray(), gx: await gx.toArray() };
  dispose(xt, y, gt, gx);
  return out;
}

type Case = { shape: number[]; axis?: number; scale?: number };
const cases: Case[] = [
  { shape: [3, 7], axis: -1 }, // thread per row
  { shape: [2, 5, 4, 3], axis: 1 }, // strided rows (inner 12)
  { shape: [4, 3, 5], axis: 0 },
  { shape: [2, 3, 5], axis: -2, scale: 10 },
  { shape: [3, 300], axis: -1 }, // workgroup per row
  { shape: [2, 1000], axis: -1, scale: 8 }, // ImageNet logits
  { shape: [3, 257, 2], axis: 1 }, // workgroup per row, strided
];

const ops = [
  { name: 'softmax', gpu: softmax, fwd: cpu.softmax, bwd: cpu.softmaxBackward },
  { name: 'logSoftmax', gpu: logSoftmax, fwd: cpu.logSoftmax, bwd: cpu.logSoftmaxBackward },
] as const;

describe.each(ops)('$name', ({ name, gpu, fwd, bwd }) => {
  it.each(cases)('forward and backward match the CPU on $shape axis $axis', async ({ shape, axis = -1, scale = 2 }) => {
    const seed = shape.reduce((a, b) => a * 31 + b, axis + 7);
    const x = randT(shape, seed, scale);
    const g = randT(shape, seed + 1);
    const { y, gx } = await run((t) => gpu(t, axis), x, g);
    const yRef = fwd(x, axis);
    expect(relErr(y, yRef.data)).toBeLessThan(2e-6);
    const gRef = bwd(g, yRef, axis);
    expect(relErr(gx, gRef.data)).toBeLessThan(1e-5);
  });

  it('CPU backward matches finite differences (float64)', () => {
    for (const { shape, axis = -1 } of [{ shape: [2, 3, 5], axis: 1 }, { shape: [3, 7] }, { shape: [2, 3, 4], axis: 0 }]) {
      const x = randT(shape, 11, 2);
      const g = randT(shape, 12);
      const fd = finiteDiff((v) => dot(fwd(cpuTensor(v, shape), axis), g), Float64Array.from(x.data));
      expect(relErr(bwd(g, fwd(x, axis), axis).data, fd)).toBeLessThan(1e-7);
    }
  });

  it('is stable for large logits', async () => {
    const x = cpuTensor([1000, 0, -1000, 999.5, 1e4, -1e4, 3e4, 3e4], [4, 2]);
    const g = cpuTensor([1, 0, 0, 1, 1, -1, 0.5, 0.25], [4, 2]);
    const { y, gx } = await run((t) => gpu(t), x, g);
    expect(y.every(Number.isFinite)).toBe(true);
    expect(gx.every(Number.isFinite)).toBe(true);
    const yRef = fwd(x);
    expect(relErr(y, yRef.data)).toBeLessThan(1e-6);
    expect(relErr(gx, bwd(g, yRef).data)).toBeLessThan(1e-6);
    if (name === 'logSoftmax') expect(Array.from(y.subarray(0, 2))).toEqual([0, -1000]);
    else expect(Array.from(y.subarray(0, 2))).toEqual([1, 0]);
  });
});

describe('softmax family', () => {
  it('rows of softmax sum to 1 and exp(logSoftmax) = softmax', async () => {
    const x = up(randT([5, 300], 3, 4));
    const s = await sum(softmax(x), 1).toArray();
    for (const v of s) expect(v).toBeCloseTo(1, 5);
    const a = await softmax(x).toArray();
    const b = await logSoftmax(x).toArray();
    expect(relErr(b.map(Math.exp), a)).toBeLessThan(2e-6);
  });

  it('composes in the graph (cross-entropy-like loss)', async () => {
    const xc = randT([3, 11], 21, 3);
    const w = randT([3, 11], 22);
    const x = up(xc, true);
    const loss = sum(mul(logSoftmax(x), up(w)));
    const [gx] = grad(loss, [x]);
    const ref = cpu.logSoftmaxBackward(w, cpu.logSoftmax(xc));
    expect(relErr(await gx.toArray(), ref.data)).toBeLessThan(1e-5);
  });

  it('handles empty tensors and single-element rows', async () => {
    expect(softmax(d.zeros([0, 5])).shape).toEqual([0, 5]);
    expect(Array.from(await softmax(d.tensor([3, -2], [2, 1])).toArray())).toEqual([1, 1]);
    expect(Array.from(await logSoftmax(d.tensor([3, -2], [2, 1])).toArray())).toEqual([0, 0]);
  });

  it('keeps GPU memory flat over forward + backward loops', async () => {
    const x = up(randT([2, 300], 5), true);
    const g = up(randT([2, 300], 6));
    const step = () => tidy(() => grad(logSoftmax(softmax(x)), [x], g)[0]);
    step().dispose();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 20; i++) step().dispose();
    await d.sync();
    const after = d.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveTensors).toBe(before.liveTensors);
    dispose(x, g);
  });

  it('names the op, axis and shape in errors', () => {
    const x = d.zeros([2, 3]);
    expect(() => softmax(x, 2)).toThrow(/softmax: axis 2 is out of range for rank 2/);
    expect(() => logSoftmax(x, -3)).toThrow(/logSoftmax: axis -3 is out of range for rank 2/);
    expect(() => softmax(d.zeros([]))).toThrow(/softmax: axis -1 is out of range for rank 0/);
    expect(() => softmax([1, 2] as unknown as Tensor)).toThrow(/softmax: 'x' must be a Tensor/);
    expect(() => logSoftmax(x, 0.5)).toThrow(/logSoftmax: axis 0.5 is out of range/);
  });
});
