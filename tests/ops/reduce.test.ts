import { describe, it, expect } from 'vitest';
import { getDevice, randn, relErr, finiteDiff, rng } from '../helpers/device.js';
import { sum, mean, maxOverAxis, sumTo, grad, dispose, type Tensor } from '../../src/index.js';
import { cpuTensor, dot, type CpuTensor } from '../../src/ops/cpu/elementwise.js';
import { shapeSize } from '../../src/shape.js';
import * as cpu from '../../src/ops/cpu/reduce.js';

const d = await getDevice();

function randT(shape: readonly number[], seed: number, scale = 1): CpuTensor {
  return cpuTensor(randn(shapeSize(shape), seed, scale), shape);
}

/** Small integers: many ties. */
function tiedT(shape: readonly number[], seed: number, levels = 3): CpuTensor {
  const r = rng(seed);
  return cpuTensor(Array.from({ length: shapeSize(shape) }, () => Math.floor(r() * levels)), shape);
}

function up(c: CpuTensor, requiresGrad = true): Tensor {
  return d.tensor(Float32Array.from(c.data), c.shape, { requiresGrad });
}

async function run(f: (x: Tensor) => Tensor, x: CpuTensor, gOf: (shape: readonly number[]) => CpuTensor) {
  const xt = up(x);
  const y = f(xt);
  const g = gOf(y.shape);
  const gt = up(g, false);
  const [gx] = grad(y, [xt], gt);
  const out = { shape: [...y.shape], y: await y.toArray(), g, gx: await gx.toArray() };
  dispose(xt, y, gt, gx);
  return out;
}

type Axes = number | number[] | undefined;
const AXES: [number[], Axes][] = [
  [[2, 3, 5, 7], undefined],
  [[2, 3, 5, 7], 1],
  [[2, 3, 5, 7], -1],
  [[2, 3, 5, 7], [0, 2]],
  [[2, 3, 5, 7], [1, 2, 3]],
  [[2, 3, 5, 7], [3, -4]],
  [[2, 3, 5, 7], []],
  [[2, 3, 17, 19], [1, 2, 3]], // 969 per output: workgroup-per-output kernel
  [[3, 300], 1], // workgroup per output
  [[2, 300], undefined], // workgroup per output, a single output
  [[300, 3], 0], // long strided reduction
  [[2, 260, 9, 8], 1], // long channel sum over a wide inner block (72): a thread per output
  [[7], 0],
  [[], undefined], // 0-d
];

describe.each([
  { name: 'sum', gpu: sum, fwd: cpu.sum, bwd: cpu.sumBackward },
  { name: 'mean', gpu: mean, fwd: cpu.mean, bwd: cpu.meanBackward },
] as const)('$name', ({ gpu, fwd, bwd }) => {
  it.each(AXES)('over %j axes %j, with and without keepDims', async (shape, axes) => {
    for (const keepDims of [false, true]) {
      const x = randT(shape, shapeSize(shape) + 3);
      const r = await run((t) => gpu(t, axes, { keepDims }), x, (s) => randT(s, 17));
      const yRef = fwd(x, axes, keepDims);
      expect(r.shape).toEqual(yRef.shape);
      expect(relErr(r.y, yRef.data)).toBeLessThan(1e-5);
      const gRef = bwd(r.g, shape, axes);
      expect(relErr(r.gx, gRef.data)).toBeLessThan(1e-6);
    }
  });

  it('CPU backward matches finite differences (float64)', () => {
    for (const [shape, axes] of AXES.slice(0, 7)) {
      const x = randT(shape, 5);
      const y = fwd(x, axes);
      const g = randT(y.shape, 6);
      const fd = finiteDiff((v) => dot(fwd(cpuTensor(v, shape), axes), g), Float64Array.from(x.data));
      expect(relErr(bwd(g, shape, axes).data, fd)).toBeLessThan(1e-8);
    }
  });
});

describe('maxOverAxis', () => {
  const cases: [number[], number | number[]][] = [
    [[2, 3, 9, 7], 1], // the saliency map: max over channels of [N, 3, H, W]
    [[2, 3, 5, 7], [2, 3]],
    [[2, 3, 5, 7], -1],
    [[2, 3, 5, 7], [0, 1, 2, 3]],
    [[3, 300], 1], // workgroup per output
    [[2, 3, 11, 13], [1, 2, 3]], // workgroup per output, 429 each
    [[2, 260, 9, 8], 1], // long over a wide inner block: a thread per output
  ];

  it.each(cases)('over %j axis %j: forward, first arg-max gradient, keepDims', async (shape, axes) => {
    for (const keepDims of [false, true]) {
      const x = randT(shape, shapeSize(shape));
      const r = await run((t) => maxOverAxis(t, axes, { keepDims }), x, (s) => randT(s, 3));
      const { value } = cpu.maxOverAxis(x, axes, keepDims);
      expect(r.shape).toEqual(value.shape);
      expect(Array.from(r.y)).toEqual(Array.from(value.data).map(Math.fround));
      expect(Array.from(r.gx)).toEqual(Array.from(cpu.maxOverAxisBackward(r.g, x, axes).data).map(Math.fround));
    }
  });

  it.each(cases)('ties go to the first index: %j axis %j', async (shape, axes) => {
    const x = tiedT(shape, shapeSize(shape) + 1);
    const r = await run((t) => maxOverAxis(t, axes), x, (s) => randT(s, 4));
    expect(Array.from(r.y)).toEqual(Array.from(cpu.maxOverAxis(x, axes).value.data));
    expect(Array.from(r.gx)).toEqual(Array.from(cpu.maxOverAxisBackward(r.g, x, axes).data).map(Math.fround));
  });

  it('ties across a whole long row pick index 0', async () => {
    const x = cpuTensor(new Float64Array(2 * 512).fill(-2), [2, 512]);
    x.data[512 + 300] = 1;
    x.data[512 + 400] = 1;
    const r = await run((t) => maxOverAxis(t, 1), x, () => cpuTensor([5, 7], [2]));
    expect(Array.from(r.y)).toEqual([-2, 1]);
    const want = new Array(1024).fill(0);
    want[0] = 5;
    want[512 + 300] = 7;
    expect(Array.from(r.gx)).toEqual(want);
    expect(Array.from(cpu.maxOverAxis(x, 1).index)).toEqual([0, 300]);
  });

  it('CPU backward matches finite differences (float64, no ties)', () => {
    for (const [shape, axes] of cases.slice(0, 4)) {
      const x = randT(shape, 9);
      const y = cpu.maxOverAxis(x, axes).value;
      const g = randT(y.shape, 10);
      const fd = finiteDiff((v) => dot(cpu.maxOverAxis(cpuTensor(v, shape), axes).value, g), Float64Array.from(x.data));
      expect(relErr(cpu.maxOverAxisBackward(g, x, axes).data, fd)).toBeLessThan(1e-8);
    }
  });
});

describe('sumTo', () => {
  it.each([
    [[2, 3, 4, 5], [3, 1, 1]],
    [[2, 3, 4, 5], [5]],
    [[2, 3, 4, 5], []],
    [[2, 3, 4, 5], [1, 4, 1]],
    [[2, 3, 4, 5], [2, 1, 4, 5]],
    [[2, 3, 4, 5], [2, 3, 4, 5]],
    [[3, 9, 11], [1]],
    [[1, 7], [7]],
  ])('%j → %j', async (from, to) => {
    const x = randT(from, 1);
    const t = up(x, false);
    const y = sumTo(t, to);
    expect(y.shape).toEqual(to);
    expect(relErr(await y.toArray(), cpu.sumTo(x, to).data)).toBeLessThan(1e-5);
    dispose(t, y);
  });

  it('is the gradient of broadcasting (CPU: finite differences of expand)', async () => {
    const { expand } = await import('../../src/ops/cpu/elementwise.js');
    const x = randT([3, 1, 5], 2);
    const g = randT([2, 3, 4, 5], 3);
    const fd = finiteDiff((v) => dot(expand(cpuTensor(v, [3, 1, 5]), [2, 3, 4, 5]), g), Float64Array.from(x.data));
    expect(relErr(cpu.sumTo(g, [3, 1, 5]).data, fd)).toBeLessThan(1e-8);
  });
});

describe('reduction errors', () => {
  it('bad axes name the op and the rank', () => {
    const x = d.zeros([2, 3]);
    expect(() => sum(x, 2)).toThrow('sum: axis 2 is out of range for rank 2');
    expect(() => mean(x, -3)).toThrow('mean: axis -3 is out of range for rank 2');
    expect(() => maxOverAxis(x, [0, 5])).toThrow('maxOverAxis: axis 5 is out of range for rank 2');
    expect(() => sum(x, 0.5)).toThrow('sum: axis 0.5 is out of range for rank 2');
    expect(() => sum(x, [1, -1])).toThrow('sum: repeated axis in [1,-1]');
    expect(() => cpu.sum(cpuTensor([1, 2], [2]), 1)).toThrow('sum: axis 1 is out of range for rank 1');
    expect(() => cpu.sum(cpuTensor([1, 2], [1, 2]), [1, -1])).toThrow('sum: repeated axis in [1,-1]');
  });

  it('empty reductions and non-tensors', () => {
    expect(() => mean(d.zeros([2, 0]), 1)).toThrow('mean: mean over an empty axis of shape [2, 0]');
    expect(() => maxOverAxis(d.zeros([2, 0]), 1)).toThrow('maxOverAxis: empty axis in shape [2, 0]');
    expect(() => sum(null as never)).toThrow("sum: 'x' must be a Tensor");
    expect(() => mean([1, 2] as never)).toThrow("mean: 'x' must be a Tensor");
    expect(() => maxOverAxis({} as never, 0)).toThrow("maxOverAxis: 'x' must be a Tensor");
  });

  it('sumTo rejects shapes that do not broadcast', () => {
    const x = d.zeros([2, 3]);
    expect(() => sumTo(x, [4])).toThrow('sumTo: [2, 3] does not broadcast from [4]');
    expect(() => sumTo(x, [1, 2, 3])).toThrow('sumTo: cannot reduce [2, 3] to the larger rank of [1, 2, 3]');
    expect(() => cpu.sumTo(cpuTensor([0, 0, 0, 0, 0, 0], [2, 3]), [4])).toThrow('sumTo: [2, 3] does not broadcast from [4]');
  });
});
