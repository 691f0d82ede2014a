import { describe, it, expect } from 'vitest';
import { getDevice, randn, relErr, finiteDiff, rng } from '../helpers/device.js';
import {
  neg, abs, square, sqrt, exp, log, relu, clamp, affine, clone, add, sub, mul, div, maximum,
  grad, dispose, tidy, noGrad, sum, type Tensor,
} from '../../src/index.js';
import * as cpu from '../../src/ops/cpu/elementwise.js';
import { cpuTensor, dot, type CpuTensor } from '../../src/ops/cpu/elementwise.js';
import { broadcastShapes, shapeSize } from '../../src/shape.js';

const d = await getDevice();

type Domain = 'any' | 'positive' | 'nonzero';

/** Float32-representable random data (the GPU gets exactly these values), kept away from kinks and poles. */
function randT(shape: readonly number[], seed: number, dom: Domain = 'any', scale = 1): CpuTensor {
  const v = randn(shapeSize(shape), seed, scale);
  for (let i = 0; i < v.length; i++) {
    if (dom === 'positive') v[i] = 0.2 + Math.abs(v[i]);
    else if (dom === 'nonzero') v[i] = v[i] >= 0 ? v[i] + 0.1 : v[i] - 0.1;
  }
  return cpuTensor(v, shape);
}

function up(c: CpuTensor, requiresGrad = true): Tensor {
  return d.tensor(Float32Array.from(c.data), c.shape, { requiresGrad });
}

/** Run f on the GPU; the gradients of every input for upstream gradient g (of the output's shape). */
async function run(f: (...xs: Tensor[]) => Tensor, inputs: CpuTensor[], g: CpuTensor) {
  const xs = inputs.map((c) => up(c));
  const y = f(...xs);
  const gt = up(g, false);
  const gs = grad(y, xs, gt);
  const out = { shape: [...y.shape], y: await y.toArray(), grads: await Promise.all(gs.map((t) => t.toArray())) };
  dispose(xs, y, gt, gs);
  return out;
}

/** The CPU backward against central finite differences of the CPU forward (float64), for each input. */
function checkFD(fwd: (xs: CpuTensor[]) => CpuTensor, inputs: CpuTensor[], g: CpuTensor, analytic: CpuTensor[], tol = 1e-6): void {
  inputs.forEach((inp, k) => {
    const fd = finiteDiff(
      (v) => dot(fwd(inputs.map((t, j) => (j === k ? cpuTensor(v, t.shape) : t))), g),
      Float64Array.from(inp.data),
    );
    expect(analytic[k].shape).toEqual(inp.shape);
    expect(relErr(analytic[k].data, fd)).toBeLessThan(tol);
  });
}

const SHAPES = [[2, 3, 5, 7], [3, 9, 11], [], [1]]; // odd sizes, batch > 1, H ≠ W, 297 > one workgroup, 0-d

describe('unary ops', () => {
  const unary = [
    { name: 'neg', gpu: neg, dom: 'any' },
    { name: 'abs', gpu: abs, dom: 'nonzero' },
    { name: 'square', gpu: square, dom: 'any' },
    { name: 'sqrt', gpu: sqrt, dom: 'positive' },
    { name: 'exp', gpu: exp, dom: 'any' },
    { name: 'log', gpu: log, dom: 'positive' },
    { name: 'relu', gpu: relu, dom: 'nonzero' },
    { name: 'clone', gpu: clone, dom: 'any' },
  ] as const;

  it.each(unary)('$name: forward, backward vs CPU, CPU backward vs finite differences', async ({ name, gpu, dom }) => {
    for (const [s, shape] of SHAPES.entries()) {
      const x = randT(shape, 100 + s, dom);
      const g = randT(shape, 200 + s);
      const { y, grads, shape: outShape } = await run(gpu, [x], g);
      expect(outShape).toEqual(shape);
      expect(relErr(y, cpu.unary(name, x).data)).toBeLessThan(2e-6);
      const gRef = cpu.unaryBackward(name, g, x);
      expect(relErr(grads[0], gRef.data)).toBeLessThan(2e-6);
      checkFD(([t]) => cpu.unary(name, t), [x], g, [gRef]);
    }
  });

  it('clamp: forward, backward (passes at the bounds, as PyTorch), finite differences', async () => {
    const [lo, hi] = [-0.5, 0.7];
    for (const [s, shape] of SHAPES.entries()) {
      const x = randT(shape, 300 + s);
      for (let i = 0; i < x.data.length; i++) {
        const v = Math.fround(x.data[i]);
        x.data[i] = Math.abs(v - lo) < 0.01 || Math.abs(v - hi) < 0.01 ? v + 0.03 : v;
      }
      const g = randT(shape, 400 + s);
      const { y, grads } = await run((t) => clamp(t, lo, hi), [x], g);
      expect(relErr(y, cpu.clamp(x, lo, hi).data)).toBeLessThan(1e-7);
      const gRef = cpu.clampBackward(g, x, lo, hi);
      expect(relErr(grads[0], gRef.data)).toBe(0);
      checkFD(([t]) => cpu.clamp(t, lo, hi), [x], g, [gRef]);
    }
    const edge = cpuTensor([-0.5, 0.5, 0, 1, -1], [5]);
    const ones = cpuTensor([1, 1, 1, 1, 1], [5]);
    const r = await run((t) => clamp(t, -0.5, 0.5), [edge], ones);
    expect(Array.from(r.y)).toEqual([-0.5, 0.5, 0, 0.5, -0.5]);
    expect(Array.from(r.grads[0])).toEqual([1, 1, 1, 0, 0]);
  });

  it('affine: a·x + b (and a = 1 passes the gradient through)', async () => {
    for (const [a, b] of [[-1.5, 0.25], [1, -3], [0, 2]]) {
      const x = randT([2, 3, 5, 7], 7);
      const g = randT([2, 3, 5, 7], 8);
      const { y, grads } = await run((t) => affine(t, a, b), [x], g);
      expect(relErr(y, cpu.affine(x, a, b).data)).toBeLessThan(1e-7);
      const gRef = cpu.affineBackward(g, a);
      expect(relErr(grads[0], gRef.data)).toBeLessThan(1e-7);
      checkFD(([t]) => cpu.affine(t, a, b), [x], g, [gRef]);
    }
    const z = d.tensor([1, 2], [2]);
    expect(Array.from(await affine(z, 3).toArray())).toEqual([3, 6]); // b defaults to 0
  });

  it('gradients at 0 follow PyTorch: abs and relu give 0', async () => {
    const x = cpuTensor([0, -0, 2, -2], [4]);
    const g = cpuTensor([1, 1, 1, 1], [4]);
    expect(Array.from((await run(abs, [x], g)).grads[0])).toEqual([0, 0, 1, -1]);
    expect(Array.from((await run(relu, [x], g)).grads[0])).toEqual([0, 0, 1, 0]);
    expect(Array.from(cpu.unaryBackward('abs', g, x).data)).toEqual([0, 0, 1, -1]);
    expect(Array.from(cpu.unaryBackward('relu', g, x).data)).toEqual([0, 0, 1, 0]);
  });
});

describe('binary ops with broadcasting', () => {
  const binary = [
    { name: 'add', gpu: add },
    { name: 'sub', gpu: sub },
    { name: 'mul', gpu: mul },
    { name: 'div', gpu: div },
    { name: 'maximum', gpu: maximum },
  ] as const;

  const pairs: [number[], number[]][] = [
    [[2, 3, 5, 7], [2, 3, 5, 7]],
    [[2, 3, 4, 5], [3, 1, 1]],
    [[2, 3, 4, 5], [5]],
    [[2, 3, 4, 5], []],
    [[3, 1, 1], [2, 3, 4, 5]],
    [[2, 1, 4, 1], [3, 1, 5]], // both broadcast
    [[1], [3, 9, 11]],
    [[2, 3, 4, 5], [2, 1, 1, 1]], // per-image scalar (prefix form: b[i / 60])
    [[2, 3, 1, 1], [2, 3, 4, 5]], // per-channel, a in prefix form
  ];

  it.each(binary)('$name: tensor ⊙ tensor on broadcast shapes', async ({ name, gpu }) => {
    for (const [s, [sa, sb]] of pairs.entries()) {
      const a = randT(sa, 500 + s);
      const b = randT(sb, 600 + s, name === 'div' ? 'nonzero' : 'any', 1.3);
      const outShape = broadcastShapes(name, sa, sb);
      const g = randT(outShape, 700 + s);
      const { y, grads, shape } = await run(gpu, [a, b], g);
      expect(shape).toEqual(outShape);
      expect(relErr(y, cpu.binary(name, a, b).data)).toBeLessThan(2e-6);
      const [ga, gb] = cpu.binaryBackward(name, g, a, b);
      expect(relErr(grads[0], ga.data)).toBeLessThan(5e-6);
      expect(relErr(grads[1], gb.data)).toBeLessThan(5e-6);
      checkFD(([ta, tb]) => cpu.binary(name, ta, tb), [a, b], g, [ga, gb]);
    }
  });

  it.each(binary)('$name: tensor ⊙ number and number ⊙ tensor', async ({ name, gpu }) => {
    const k = name === 'maximum' ? 0.3 : 2.5;
    for (const [s, shape] of SHAPES.entries()) {
      const x = randT(shape, 800 + s, name === 'div' ? 'nonzero' : 'any');
      const g = randT(shape, 900 + s);
      // tensor ⊙ number
      let r = await run((t) => gpu(t, k), [x], g);
      expect(r.shape).toEqual(shape);
      expect(relErr(r.y, cpu.binary(name, x, k).data)).toBeLessThan(2e-6);
      const [ga] = cpu.binaryBackward(name, g, x, k);
      expect(relErr(r.grads[0], ga.data)).toBeLessThan(2e-6);
      checkFD(([t]) => cpu.binary(name, t, k), [x], g, [ga]);
      // number ⊙ tensor
      r = await run((t) => gpu(k, t), [x], g);
      expect(r.shape).toEqual(shape);
      expect(relErr(r.y, cpu.binary(name, k, x).data)).toBeLessThan(2e-6);
      const [, gb] = cpu.binaryBackward(name, g, k, x);
      expect(relErr(r.grads[0], gb.data)).toBeLessThan(2e-6);
      checkFD(([t]) => cpu.binary(name, k, t), [x], g, [gb]);
    }
  });

  it('random shapes and ops', async () => {
    const r = rng(42);
    const names = ['add', 'sub', 'mul', 'div', 'maximum'] as const;
    const fns = { add, sub, mul, div, maximum };
    for (let it = 0; it < 12; it++) {
      const rank = 1 + Math.floor(r() * 4);
      const full = Array.from({ length: rank }, () => 1 + Math.floor(r() * 6));
      // b: a suffix of the shape with some dimensions set to 1
      const sb = full.slice(Math.floor(r() * rank)).map((v) => (r() < 0.3 ? 1 : v));
      const sa = full.map((v) => (r() < 0.2 ? 1 : v));
      const [s1, s2] = r() < 0.5 ? [sa, sb] : [sb, sa];
      const name = names[Math.floor(r() * names.length)];
      const a = randT(s1, 1000 + it);
      const b = randT(s2, 2000 + it, name === 'div' ? 'nonzero' : 'any');
      const outShape = broadcastShapes(name, s1, s2);
      const g = randT(outShape, 3000 + it);
      const res = await run(fns[name], [a, b], g);
      expect(res.shape).toEqual(outShape);
      expect(relErr(res.y, cpu.binary(name, a, b).data)).toBeLessThan(2e-6);
      const [ga, gb] = cpu.binaryBackward(name, g, a, b);
      expect(relErr(res.grads[0], ga.data)).toBeLessThan(5e-6);
      expect(relErr(res.grads[1], gb.data)).toBeLessThan(5e-6);
      checkFD(([ta, tb]) => cpu.binary(name, ta, tb), [a, b], g, [ga, gb]);
    }
  });

  it('maximum splits the gradient in halves on ties and gives it whole to both operands at NaN (torch 1.13)', async () => {
    const a = cpuTensor([1, 2, 3, -1, NaN, 4, NaN], [7]);
    const b = cpuTensor([1, 0, 3, 5, 2, NaN, NaN], [7]);
    const g = cpuTensor([1, 1, 1, 1, 1, 1, 1], [7]);
    const r = await run(maximum, [a, b], g);
    expect(Array.from(r.y)).toEqual([1, 2, 3, 5, NaN, NaN, NaN]);
    expect(Array.from(r.grads[0])).toEqual([0.5, 1, 0.5, 0, 1, 1, 1]);
    expect(Array.from(r.grads[1])).toEqual([0.5, 0, 0.5, 1, 1, 1, 1]);
    const [ga, gb] = cpu.binaryBackward('maximum', g, a, b);
    expect(Array.from(ga.data)).toEqual([0.5, 1, 0.5, 0, 1, 1, 1]);
    expect(Array.from(gb.data)).toEqual([0.5, 0, 0.5, 1, 1, 1, 1]);
  });

  it('the same tensor on both sides accumulates both gradients', async () => {
    const x = randT([3, 5], 5);
    const g = randT([3, 5], 6);
    const r = await run((t) => mul(t, t), [x], g);
    expect(relErr(r.grads[0], cpu.unaryBackward('square', g, x).data)).toBeLessThan(1e-6);
    const r2 = await run((t) => add(t, t), [x], g);
    expect(relErr(r2.grads[0], g.data.map((v) => 2 * v))).toBe(0);
  });

  it('number operands leave no buffers behind', async () => {
    const x = up(randT([4, 6], 1, 'nonzero'));
    const step = () => tidy(() => grad(sum(maximum(div(2, x), sub(1, mul(3, x)))), [x])[0]);
    const fwd = () => tidy(() => noGrad(() => maximum(0.5, div(1, x))));
    step().dispose();
    fwd().dispose();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 20; i++) {
      step().dispose();
      fwd().dispose();
    }
    await d.sync();
    const after = d.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveTensors).toBe(before.liveTensors);
    x.dispose();
  });
});

describe('elementwise errors', () => {
  it('names the op and the shapes', () => {
    const a = d.zeros([2, 3]);
    const b = d.zeros([4]);
    expect(() => add(a, b)).toThrow('add: shapes [2, 3] and [4] cannot be broadcast together');
    expect(() => maximum(d.zeros([2, 3, 4, 5]), d.zeros([3, 2, 1]))).toThrow('maximum: shapes [2, 3, 4, 5] and [3, 2, 1] cannot be broadcast together');
    expect(() => div(b, a)).toThrow('div: shapes [4] and [2, 3] cannot be broadcast together');
    expect(() => broadcastShapes('mul', [2, 3], [4])).toThrow('mul: shapes [2, 3] and [4] cannot be broadcast together');
    expect(() => clamp(a, 2, 1)).toThrow('clamp: lo (2) must be <= hi (1)');
  });

  it('rejects non-tensor inputs', () => {
    const x = d.zeros([2]);
    const bad = [null, undefined, [1, 2], { shape: [2] }, 'x'] as unknown as Tensor[];
    for (const v of bad) {
      expect(() => neg(v)).toThrow("neg: 'x' must be a Tensor");
      expect(() => relu(v)).toThrow("relu: 'x' must be a Tensor");
      expect(() => clamp(v, 0, 1)).toThrow("clamp: 'x' must be a Tensor");
      expect(() => affine(v, 2)).toThrow("affine: 'x' must be a Tensor");
      expect(() => add(x, v)).toThrow("add: 'b' must be a Tensor");
      expect(() => add(v, x)).toThrow("add: 'a' must be a Tensor");
      expect(() => add(2, v)).toThrow("add: 'b' must be a Tensor");
      expect(() => sub(1, v)).toThrow("sub: 'b' must be a Tensor");
      expect(() => mul(v, 3)).toThrow("mul: 'a' must be a Tensor");
      expect(() => div(2, v)).toThrow("div: 'b' must be a Tensor");
      expect(() => maximum(0, v)).toThrow("maximum: 'b' must be a Tensor");
      expect(() => maximum(v, 0)).toThrow("maximum: 'a' must be a Tensor");
    }
    expect(() => mul(2, 3 as never)).toThrow('mul: at least one operand must be a Tensor');
    const gone = d.zeros([2]);
    gone.dispose();
    expect(() => exp(gone)).toThrow(/disposed tensor of shape \[2\]/);
    expect(() => add(x, gone)).toThrow(/disposed/);
  });
});
