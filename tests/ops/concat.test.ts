import { describe, it, expect } from 'vitest';
import { getDevice, randn, relErr, finiteDiff } from '../helpers/device.js';
import { concat, slice, grad, sum, mul, tidy, type Tensor } from '../../src/index.js';
import { concatCpu, concatBackwardCpu, sliceCpu, sliceBackwardCpu } from '../../src/ops/cpu/concat.js';

const TOL = 1e-5;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('concat', () => {
  // [input shapes, axis]: every axis, negative axes, odd sizes, batch > 1, H ≠ W.
  const CASES: [number[][], number][] = [
    [[[2, 3, 5, 7], [1, 3, 5, 7], [3, 3, 5, 7]], 0],
    [[[2, 3, 5, 7], [2, 4, 5, 7]], 1],
    [[[2, 16, 5, 3], [2, 16, 5, 3]], 1], // a SqueezeNet fire module's expand1x1 ‖ expand3x3
    [[[2, 3, 5, 7], [2, 3, 1, 7], [2, 3, 2, 7]], 2],
    [[[2, 3, 5, 7], [2, 3, 5, 2]], -1],
    [[[3, 1], [3, 4], [3, 2]], -1],
    [[[5], [2], [7]], 0],
    [[[2, 0, 3], [2, 2, 3]], 1], // an empty piece
  ];

  it('forward and backward match the CPU reference on every axis', async () => {
    const d = await getDevice();
    let seed = 1;
    for (const [shapes, axis] of CASES) {
      const datas = shapes.map((s) => randn(size(s), seed++));
      const xs = shapes.map((s, i) => d.tensor(datas[i], s, { requiresGrad: true }));
      const y = concat(xs, axis);
      const ax = axis < 0 ? axis + shapes[0].length : axis;
      const ref = concatCpu(datas, shapes, ax);
      const what = `${JSON.stringify(shapes)} axis ${axis}`;
      expect([...y.shape], what).toEqual(ref.shape);
      expect(relErr(await y.toArray(), ref.out), what).toBeLessThan(TOL);
      const g = randn(y.size, seed++);
      const seedT = d.tensor(g, y.shape);
      const gx = grad(y, xs, seedT);
      const gref = concatBackwardCpu(g, shapes, ax);
      for (let i = 0; i < xs.length; i++) {
        expect([...gx[i].shape]).toEqual(shapes[i]);
        expect(relErr(await gx[i].toArray(), gref[i]), `${what} input ${i}`).toBeLessThan(TOL);
      }
      for (const t of [...xs, ...gx, y, seedT]) t.dispose();
    }
  });

  it('only computes gradients that are needed; a repeated input gets both pieces', async () => {
    const d = await getDevice();
    const a = d.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const b = d.tensor([5, 6], [2, 1]);
    const [ga] = tidy(() => grad(sum(mul(concat([a, b, a], 1), d.tensor([1, 2, 3, 4, 5, 10, 20, 30, 40, 50], [2, 5]))), [a]));
    // columns of a are at 0,1 and 3,4: weights (1+4, 2+5) and (10+40, 20+50)
    expect(Array.from(await ga.toArray())).toEqual([5, 7, 50, 70]);
    for (const t of [a, b, ga]) t.dispose();
  });

  it('CPU backward passes a finite-difference check', () => {
    const shapes = [[2, 3, 4], [2, 1, 4], [2, 2, 4]];
    const datas = shapes.map((s, i) => Float64Array.from(randn(size(s), 30 + i)));
    const g = Float64Array.from(randn(2 * 6 * 4, 40));
    const gref = concatBackwardCpu(g, shapes, 1);
    for (let k = 0; k < shapes.length; k++) {
      const f = (v: Float64Array) => concatCpu(datas.map((x, i) => (i === k ? v : x)), shapes, 1).out.reduce((s, o, i) => s + o * g[i], 0);
      expect(relErr(gref[k], finiteDiff(f, datas[k], 1e-4))).toBeLessThan(1e-7);
    }
  });

  it('rejects mismatched shapes naming the op, the axis and the shapes', async () => {
    const d = await getDevice();
    const a = d.tensor(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    const b = d.tensor(new Float32Array(2 * 5 * 4 * 3), [2, 5, 4, 3]);
    const c = d.tensor(new Float32Array(12), [3, 4]);
    expect(() => concat([a, b], 1)).toThrow(/concat: along axis 1, xs\[1\] has shape \[2, 5, 4, 3\] but xs\[0\] has shape \[2, 3, 4, 4\]/);
    expect(() => concat([a, c], 0)).toThrow(/concat: along axis 0, xs\[1\] has shape \[3, 4\]/);
    expect(() => concat([a, b], 4)).toThrow(/concat: axis 4 is out of range for rank 4/);
    expect(() => concat([], 0)).toThrow(/concat: needs a non-empty array/);
    for (const t of [a, b, c]) t.dispose();
  });
});

describe('slice', () => {
  // [shape, axis, start, end]
  const CASES: [number[], number, number, number][] = [
    [[2, 3, 5, 7], 0, 1, 2],
    [[2, 3, 5, 7], 1, 1, 3],
    [[2, 3, 5, 7], 2, 0, 4],
    [[2, 3, 5, 7], 3, 2, 7],
    [[2, 3, 5, 7], -1, -4, -1],
    [[3, 9], 1, 4, 4], // empty
    [[11], 0, 3, 10],
  ];

  it('forward and backward match the CPU reference', async () => {
    const d = await getDevice();
    let seed = 50;
    for (const [shape, axis, start, end] of CASES) {
      const data = randn(size(shape), seed++);
      const x = d.tensor(data, shape, { requiresGrad: true });
      const y = slice(x, axis, start, end);
      const ax = axis < 0 ? axis + shape.length : axis;
      const s = start < 0 ? start + shape[ax] : start;
      const e = end < 0 ? end + shape[ax] : end;
      const ref = sliceCpu(data, shape, ax, s, e);
      const what = `${shape} axis ${axis} [${start}, ${end})`;
      expect([...y.shape], what).toEqual(ref.shape);
      expect(relErr(await y.toArray(), ref.out), what).toBeLessThan(TOL);
      const g = randn(y.size, seed++);
      const seedT = d.tensor(g, y.shape);
      const [gx] = grad(y, [x], seedT);
      const gref = sliceBackwardCpu(g, shape, ax, s, e);
      const got = await gx.toArray();
      if (y.size) expect(relErr(got, gref), what).toBeLessThan(TOL);
      else expect(got.every((v) => v === 0), what).toBe(true);
      for (const t of [x, y, seedT, gx] as Tensor[]) t.dispose();
    }
  });

  it('slice of a concat gives the pieces back', async () => {
    const d = await getDevice();
    const a = d.tensor(randn(2 * 3 * 4, 1), [2, 3, 4]);
    const b = d.tensor(randn(2 * 5 * 4, 2), [2, 5, 4]);
    const c = concat([a, b], 1);
    const a2 = slice(c, 1, 0, 3);
    const b2 = slice(c, 1, 3, 8);
    expect(Array.from(await a2.toArray())).toEqual(Array.from(await a.toArray()));
    expect(Array.from(await b2.toArray())).toEqual(Array.from(await b.toArray()));
    for (const t of [a, b, c, a2, b2]) t.dispose();
  });

  it('CPU backward passes a finite-difference check', () => {
    const shape = [2, 5, 3];
    const x = Float64Array.from(randn(30, 60));
    const g = Float64Array.from(randn(2 * 2 * 3, 61));
    const f = (v: Float64Array) => sliceCpu(v, shape, 1, 1, 3).out.reduce((s, o, i) => s + o * g[i], 0);
    expect(relErr(sliceBackwardCpu(g, shape, 1, 1, 3), finiteDiff(f, x, 1e-4))).toBeLessThan(1e-7);
  });

  it('rejects out-of-range slices naming the op and the shape', async () => {
    const d = await getDevice();
    const x = d.tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    expect(() => slice(x, 1, 2, 4)).toThrow(/slice: range \[2, 4\) is out of bounds for axis 1 of size 3 \(x has shape \[2, 3, 4\]\)/);
    expect(() => slice(x, 2, 3, 1)).toThrow(/slice: range \[3, 1\)/);
    expect(() => slice(x, 3, 0, 1)).toThrow(/slice: axis 3 is out of range for rank 3/);
    expect(() => slice(x, 0, 0.5, 1)).toThrow(/slice: start and end must be integers/);
    x.dispose();
  });
});
