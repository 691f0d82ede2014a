import { describe, it, expect, vi } from 'vitest';
import { getDevice, randn, relErr, finiteDiff } from '../helpers/device.js';
import { maxPool2d, avgPool2d, globalAvgPool2d, conv2d, grad, noGrad, sum, mul, tidy, poolTuning, type Tensor, type Device } from '../../src/index.js';
import { conv2dCpu, conv2dBackwardCpu } from '../../src/ops/cpu/conv.js';
import {
  maxPool2dCpu, maxPool2dBackwardCpu, avgPool2dCpu, avgPool2dBackwardCpu, globalAvgPool2dCpu, globalAvgPool2dBackwardCpu,
  type Pool2dParams,
} from '../../src/ops/cpu/pool.js';

type Shape4 = [number, number, number, number];
const TOL = 1e-5;

/** GPU forward and backward (seeded with g) of op at x. */
async function gpuRun(d: Device, op: (t: Tensor) => Tensor, x: Float32Array, shape: Shape4, g?: (n: number) => Float32Array) {
  const xt = d.tensor(x, shape, { requiresGrad: true });
  const y = op(xt);
  const gData = g ? g(y.size) : randn(y.size, 99);
  const seed = d.tensor(gData, y.shape);
  const [gx] = grad(y, [xt], seed);
  const res = { shape: [...y.shape], out: await y.toArray(), gin: await gx.toArray(), g: gData };
  for (const t of [xt, y, seed, gx]) t.dispose();
  return res;
}

const params = (k: number, s: number, p: number, ceilMode: boolean): Pool2dParams => ({ kH: k, kW: k, sH: s, sW: s, pH: p, pW: p, ceilMode });

// [shape, kernel, stride, padding, ceilMode]: odd sizes, H ≠ W, batch > 1, stride 2, padding 1, partial ceil windows.
const CASES: [Shape4, number, number, number, boolean][] = [
  [[2, 3, 7, 9], 3, 2, 0, true],
  [[2, 3, 7, 9], 3, 2, 1, true],
  [[1, 2, 8, 8], 3, 2, 0, true],
  [[1, 2, 8, 8], 3, 2, 1, true],
  [[2, 1, 13, 11], 3, 2, 0, true],
  [[2, 1, 13, 11], 3, 2, 1, true],
  [[2, 2, 13, 11], 3, 2, 1, false],
  [[3, 2, 6, 5], 2, 2, 0, false],
  [[1, 3, 5, 7], 3, 1, 1, false],
  [[2, 2, 9, 6], 2, 3, 1, true],
  [[1, 2, 10, 7], 5, 2, 2, true],
  [[1, 1, 2, 2], 3, 2, 0, true], // a single window larger than the input (PyTorch allows it in ceil mode)
];

describe('maxPool2d', () => {
  it('folds the ReLU mask of a pooled conv output into its scatter, unless that gradient is asked for', async () => {
    const d = await getDevice();
    // conv1-like: ReLU conv (a negative bias: many zeros, whole windows at 0), 3/2 ceil pool.
    const N = 2, Cin = 2, H = 9, W = 11, Cout = 3;
    const s = { N, Cin, H, W, Cout, KH: 3, KW: 3, stride: 2, pad: 0, Ho: 4, Wo: 5 };
    const xv = randn(N * Cin * H * W, 310);
    const wv = randn(Cout * Cin * 9, 311);
    const bv = Float32Array.from([-0.8, -0.2, -1.5]);
    const pool = { kernel: 3, stride: 2, ceilMode: true };
    const yCpu = conv2dCpu(xv, wv, bv, s, 'relu');
    const p = maxPool2dCpu(yCpu, [N, Cout, s.Ho, s.Wo], params(3, 2, 0, true));
    const r = randn(p.out.length, 312);
    const gy = maxPool2dBackwardCpu(r, p.idx, [N, Cout, s.Ho, s.Wo], p.shape);
    const dxRef = conv2dBackwardCpu(xv, wv, gy, s, yCpu).dx;
    expect(yCpu.filter((v) => v === 0).length).toBeGreaterThan(yCpu.length / 3);
    // The true gradient of the ReLU output is nonzero at some of its zeros (arg-max of an all-zero window).
    expect(gy.some((v, i) => v !== 0 && yCpu[i] === 0)).toBe(true);
    const run = async (askY: boolean) => {
      const spy = vi.spyOn(d.runtime, 'kernel');
      const [dx, dy] = tidy(() => {
        const x = d.tensor(xv, [N, Cin, H, W], { requiresGrad: true });
        const y = conv2d(x, d.tensor(wv, [Cout, Cin, 3, 3]), d.tensor(bv, [Cout]), { stride: 2, activation: 'relu' });
        const out = maxPool2d(y, pool);
        const gs = grad(out, askY ? [x, y] : [x], d.tensor(r, out.shape));
        return [gs[0], gs[1] ?? null];
      });
      const names = spy.mock.calls.map((a) => a[0].name);
      spy.mockRestore();
      const res = { dx: await dx.toArray(), dy: dy ? await dy.toArray() : null, names };
      dx.dispose();
      dy?.dispose();
      return res;
    };
    const folded = await run(false);
    expect(relErr(folded.dx, dxRef)).toBeLessThan(1e-5);
    expect(folded.names).not.toContain('conv2d_relu_mask');
    expect(folded.names.filter((n) => n.startsWith('conv2d_bias_grad'))).toEqual([]);
    // Asking for the ReLU output's gradient: it is the true (unmasked) one, and the conv masks as before.
    const asked = await run(true);
    expect(relErr(asked.dy!, gy)).toBeLessThan(1e-6);
    expect(relErr(asked.dx, dxRef)).toBeLessThan(1e-5);
    expect(asked.names.some((n) => n === 'conv2d_relu_mask' || n === 'conv2d_bias_grad')).toBe(true);
  });

  it('matches golden PyTorch values (3/2, padding 1, ceil mode on 7x9)', async () => {
    const d = await getDevice();
    const x = Float32Array.from({ length: 63 }, (_, i) => Math.sin(i * 0.37 + 0.1) * 2);
    const r = await gpuRun(d, (t) => maxPool2d(t, { kernel: 3, stride: 2, padding: 1, ceilMode: true }), x, [1, 1, 7, 9],
      (n) => Float32Array.from({ length: n }, (_, j) => Math.cos(j * 0.7)));
    expect(r.shape).toEqual([1, 1, 4, 5]);
    // torch.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True) and x.grad for y.backward(cos(0.7 j))
    const out = [0.9057726, 1.871232, 1.999915, 1.857919, 0.8727982, 1.498349, 1.999743, 1.999743, 1.455147, 0.9299907, 1.880681, 1.999479, 1.847657, 0.9420353, 1.516264, 1.999121, 1.999121, 1.436312, 0.9420353, 1.516264];
    const gin = new Array(63).fill(0);
    const nz: [number, number][] = [[1, 1], [3, 0.7648422], [4, 0.1699671], [5, -0.5048461], [7, -0.9422223], [19, -0.9364567], [21, -0.3037485], [23, 0.7755659], [35, 0.9998586], [37, 0.7539023], [38, 0.1533739], [39, -0.5192887], [52, 0.05171298], [53, -0.1876771], [55, -0.2725321], [57, 0.7860703]];
    for (const [i, v] of nz) gin[i] = v;
    expect(relErr(r.out, out)).toBeLessThan(TOL);
    expect(relErr(r.gin, gin)).toBeLessThan(TOL);
  });

  it('forward and backward match the CPU reference', async () => {
    const d = await getDevice();
    let seed = 1;
    for (const [shape, k, s, p, c] of CASES) {
      const x = randn(shape.reduce((a, b) => a * b, 1), seed++);
      const r = await gpuRun(d, (t) => maxPool2d(t, { kernel: k, stride: s, padding: p, ceilMode: c }), x, shape);
      const ref = maxPool2dCpu(x, shape, params(k, s, p, c));
      const what = `${shape} k${k} s${s} p${p}${c ? ' ceil' : ''}`;
      expect(r.shape, what).toEqual(ref.shape);
      expect(relErr(r.out, ref.out), what).toBeLessThan(TOL);
      const gref = maxPool2dBackwardCpu(r.g, ref.idx, shape, ref.shape);
      expect(relErr(r.gin, gref), what).toBeLessThan(TOL);
    }
  });

  it('backward over long rows with overlapping (several scatter classes) and gapped windows', async () => {
    const d = await getDevice();
    const cases: [Shape4, number, number, number, boolean][] = [
      [[2, 3, 5, 37], 3, 2, 0, true],
      [[1, 2, 6, 33], 3, 2, 1, false],
      [[2, 1, 4, 41], 2, 3, 1, true],
      [[1, 2, 9, 24], 5, 1, 2, false],
      [[1, 1, 3, 17], 1, 1, 0, false],
    ];
    let seed = 40;
    for (const [shape, k, s, p, c] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const x of [randn(n, seed++), new Float32Array(n).fill(0.75)]) {
        const r = await gpuRun(d, (t) => maxPool2d(t, { kernel: k, stride: s, padding: p, ceilMode: c }), x, shape);
        const ref = maxPool2dCpu(x, shape, params(k, s, p, c));
        const what = `${shape} k${k} s${s} p${p}${c ? ' ceil' : ''}`;
        expect(relErr(r.out, ref.out), what).toBeLessThan(TOL);
        expect(relErr(r.gin, maxPool2dBackwardCpu(r.g, ref.idx, shape, ref.shape)), what).toBeLessThan(TOL);
      }
    }
  });

  it('the flat forward (poolTuning.flat, SwiftShader\'s) gives main\'s outputs and arg-max, NaN and -inf included', async () => {
    const d = await getDevice();
    let seed = 70;
    try {
      for (const [shape, k, s, p, c] of [...CASES, [[1, 2, 9, 37], 3, 2, 0, true] as (typeof CASES)[number]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = randn(n, seed++);
        // Ties, NaNs (the last one of a window wins) and -inf (never beats the first in-bounds element).
        for (let i = 0; i < n; i += 7) x[i] = 0.5;
        for (let i = 3; i < n; i += 11) x[i] = NaN;
        for (let i = 5; i < n; i += 13) x[i] = -Infinity;
        const op = (t: Tensor) => maxPool2d(t, { kernel: k, stride: s, padding: p, ceilMode: c });
        const g = (m: number) => Float32Array.from({ length: m }, (_, j) => 1 + j);
        poolTuning.flat = false;
        const a = await gpuRun(d, op, x, shape, g);
        poolTuning.flat = true;
        const b = await gpuRun(d, op, x, shape, g);
        const what = `${shape} k${k} s${s} p${p}${c ? ' ceil' : ''}`;
        expect(Array.from(b.out), what).toEqual(Array.from(a.out));
        expect(Array.from(b.gin), what).toEqual(Array.from(a.gin));
        const ref = maxPool2dCpu(x, shape, params(k, s, p, c));
        expect(Array.from(b.out), what).toEqual(Array.from(ref.out));
      }
    } finally {
      poolTuning.flat = false;
    }
  });

  it('SqueezeNet sizes: 111 → 55 → 27 → 13 with kernel 3, stride 2, ceil mode', async () => {
    const d = await getDevice();
    let x = d.tensor(randn(2 * 111 * 111, 5), [1, 2, 111, 111]);
    for (const want of [55, 27, 13]) {
      const y = maxPool2d(x, { kernel: 3, stride: 2, ceilMode: true });
      expect(y.shape).toEqual([1, 2, want, want]);
      x.dispose();
      x = y;
    }
    expect((await x.toArray()).length).toBe(2 * 13 * 13);
    x.dispose();
  });

  it('ties: the first element of each window (row-major) gets the gradient', async () => {
    const d = await getDevice();
    const ones = (n: number) => new Float32Array(n).fill(1);
    // 4x4, kernel 2 stride 2: the top-left of each window.
    const r = await gpuRun(d, (t) => maxPool2d(t, { kernel: 2 }), new Float32Array(16).fill(0.5), [1, 1, 4, 4], ones);
    expect(Array.from(r.gin)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    // Overlapping 3/2 ceil windows with padding 1 on constant inputs: the first in-bounds element of each clipped window.
    for (const [shape, k, s, p, c] of CASES) {
      const n = shape.reduce((a, b) => a * b, 1);
      const q = await gpuRun(d, (t) => maxPool2d(t, { kernel: k, stride: s, padding: p, ceilMode: c }), new Float32Array(n).fill(-1.25), shape);
      const ref = maxPool2dCpu(new Float32Array(n).fill(-1.25), shape, params(k, s, p, c));
      expect(relErr(q.gin, maxPool2dBackwardCpu(q.g, ref.idx, shape, ref.shape))).toBeLessThan(TOL);
    }
  });

  it('CPU backward passes a finite-difference check', () => {
    for (const [shape, k, s, p, c] of CASES.slice(0, 8)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Float64Array.from(randn(n, 7 + n));
      const q = params(k, s, p, c);
      const ref = maxPool2dCpu(x, shape, q);
      const g = Float64Array.from(randn(ref.out.length, 3));
      const f = (v: Float64Array) => maxPool2dCpu(v, shape, q).out.reduce((a, o, i) => a + o * g[i], 0);
      const fd = finiteDiff(f, x, 1e-6);
      expect(relErr(maxPool2dBackwardCpu(g, ref.idx, shape, ref.shape), fd)).toBeLessThan(1e-6);
    }
  });

  it('without grad it saves nothing; the saved arg-max is freed with the output', async () => {
    const d = await getDevice();
    const x = d.tensor(randn(2 * 3 * 9 * 7, 3), [2, 3, 9, 7], { requiresGrad: true });
    const a = noGrad(() => maxPool2d(x, { kernel: 3, stride: 2, ceilMode: true }));
    expect(a.node).toBeNull();
    const step = () => tidy(() => {
      const y = maxPool2d(x, { kernel: 3, stride: 2, ceilMode: true });
      const [g] = grad(sum(mul(y, y)), [x]);
      return g;
    });
    step().dispose();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 20; i++) {
      const g = step();
      g.dispose();
    }
    await d.sync();
    const after = d.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveTensors).toBe(before.liveTensors);
    const b = maxPool2d(x, { kernel: 3, stride: 2, ceilMode: true });
    expect(relErr(await a.toArray(), await b.toArray())).toBe(0);
    for (const t of [a, b, x]) t.dispose();
  });

  it('rejects bad inputs with the op and the shapes', async () => {
    const d = await getDevice();
    const x3 = d.tensor(new Float32Array(2 * 5 * 5), [2, 5, 5]);
    expect(() => maxPool2d(x3, { kernel: 2 })).toThrow(/maxPool2d: .*\[N, C, H, W\].*\[2, 5, 5\]/);
    const x = d.tensor(new Float32Array(2 * 3 * 3), [1, 2, 3, 3]);
    expect(() => maxPool2d(x, { kernel: 4 })).toThrow(/maxPool2d: kernel 4 .*too large.*\[1, 2, 3, 3\]/);
    expect(() => maxPool2d(x, { kernel: 6, padding: 1 })).toThrow(/maxPool2d: kernel 6 .*too large/);
    maxPool2d(x, { kernel: 5, padding: 1 }).dispose(); // the padded input is 5x5: fine
    expect(() => maxPool2d(x, { kernel: 3, padding: 2 })).toThrow(/maxPool2d: padding 2 must be at most half the kernel size 3/);
    expect(() => avgPool2d(x, { kernel: 2, padding: 2 })).toThrow(/avgPool2d: padding 2/);
    expect(() => maxPool2d(x, { kernel: 0 })).toThrow(/maxPool2d: kernel must be an integer >= 1/);
    expect(() => maxPool2d(x, { kernel: 2, stride: 1.5 })).toThrow(/maxPool2d: stride/);
    expect(() => globalAvgPool2d(x3)).toThrow(/globalAvgPool2d: .*\[2, 5, 5\]/);
    x3.dispose();
    x.dispose();
  });
});

describe('avgPool2d', () => {
  it('matches golden PyTorch values (3/2, padding 1, ceil mode on 7x9, both divisor rules)', async () => {
    const d = await getDevice();
    const x = Float32Array.from({ length: 63 }, (_, i) => Math.sin(i * 0.37 + 0.1) * 2);
    const cosG = (n: number) => Float32Array.from({ length: n }, (_, j) => Math.cos(j * 0.7));
    const ti = await gpuRun(d, (t) => avgPool2d(t, { kernel: 3, stride: 2, padding: 1, ceilMode: true }), x, [1, 1, 7, 9], cosG);
    const tf = await gpuRun(d, (t) => avgPool2d(t, { kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), x, [1, 1, 7, 9], cosG);
    expect(ti.shape).toEqual([1, 1, 4, 5]);
    const outT = [-0.07634753, -0.07119294, 0.0123621, 0.08945098, 0.08096787, -0.2589705, -0.5759878, -0.5688742, -0.2642037, 0.04635347, -0.3631236, -0.6138994, -0.4438921, -0.04170137, 0.1972186, 0.02029779, -0.03601411, -0.1036108, -0.1170126, -0.05902239];
    const outF = [-0.171782, -0.1067894, 0.01854315, 0.1341765, 0.1821777, -0.3884558, -0.5759878, -0.5688742, -0.2642037, 0.0695302, -0.5446853, -0.6138994, -0.4438921, -0.04170137, 0.2958279, 0.04567003, -0.05402116, -0.1554162, -0.1755189, -0.1328004];
    const gradF = [0.25, 0.3774737, 0.1274737, 0.1558016, 0.02832786, -0.05581316, -0.08414102, -0.3196966, -0.2355556, 0.09392389, 0.1669242, 0.07300027, 0.1220517, 0.04905145, 0.05108442, 0.002032969, -0.06687951, -0.06891248, -0.1560761, -0.2105495, -0.05447342, -0.03374983, 0.0207236, 0.1068976, 0.08617399, 0.2528171, 0.1666431, -0.03042574, -0.06785762, -0.03743188, -0.07440703, -0.03697514, -0.05610356, -0.01912841, -0.007556353, 0.01157206, 0.1256504, 0.1426919, 0.01704154, -0.0406572, -0.05769874, -0.1630011, -0.1053024, -0.2603734, -0.155071, 0.006766144, 0.05764183, 0.05087568, 0.1241887, 0.07331298, 0.134583, 0.06127003, 0.09188628, 0.03061625, -0.1188842, -0.08505009, 0.03383414, 0.1648459, 0.1310117, 0.2975841, 0.1665724, 0.3522597, 0.1856873];
    expect(relErr(ti.out, outT)).toBeLessThan(TOL);
    expect(relErr(tf.out, outF)).toBeLessThan(TOL);
    expect(relErr(tf.gin, gradF)).toBeLessThan(TOL);
    expect(ti.gin[0]).toBeCloseTo(1 / 9, 6); // the corner's only window, divided by the full 3x3
  });

  it('forward and backward match the CPU reference (countIncludePad true and false)', async () => {
    const d = await getDevice();
    let seed = 100;
    for (const [shape, k, s, p, c] of CASES) {
      for (const inc of [true, false]) {
        const x = randn(shape.reduce((a, b) => a * b, 1), seed++);
        const r = await gpuRun(d, (t) => avgPool2d(t, { kernel: k, stride: s, padding: p, ceilMode: c, countIncludePad: inc }), x, shape);
        const q = params(k, s, p, c);
        const ref = avgPool2dCpu(x, shape, q, inc);
        const what = `${shape} k${k} s${s} p${p}${c ? ' ceil' : ''} inc=${inc}`;
        expect(r.shape, what).toEqual(ref.shape);
        expect(relErr(r.out, ref.out), what).toBeLessThan(TOL);
        expect(relErr(r.gin, avgPool2dBackwardCpu(r.g, shape, q, inc)), what).toBeLessThan(TOL);
      }
    }
  });

  it('CPU backward passes a finite-difference check', () => {
    for (const [shape, k, s, p, c] of CASES.slice(0, 8)) {
      for (const inc of [true, false]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = Float64Array.from(randn(n, 17 + n));
        const q = params(k, s, p, c);
        const out = avgPool2dCpu(x, shape, q, inc).out;
        const g = Float64Array.from(randn(out.length, 4));
        const f = (v: Float64Array) => avgPool2dCpu(v, shape, q, inc).out.reduce((a, o, i) => a + o * g[i], 0);
        expect(relErr(avgPool2dBackwardCpu(g, shape, q, inc), finiteDiff(f, x, 1e-4))).toBeLessThan(1e-7);
      }
    }
  });
});

describe('globalAvgPool2d', () => {
  it('forward and backward match the CPU reference', async () => {
    const d = await getDevice();
    for (const shape of [[2, 3, 7, 9], [1, 5, 13, 13], [3, 2, 1, 4]] as Shape4[]) {
      const x = randn(shape.reduce((a, b) => a * b, 1), shape[2]);
      const r = await gpuRun(d, globalAvgPool2d, x, shape);
      expect(r.shape).toEqual([shape[0], shape[1], 1, 1]);
      expect(relErr(r.out, globalAvgPool2dCpu(x, shape))).toBeLessThan(TOL);
      expect(relErr(r.gin, globalAvgPool2dBackwardCpu(r.g, shape))).toBeLessThan(TOL);
    }
  });

  it('backward is a plain broadcast kernel (g / HW)', async () => {
    const d = await getDevice();
    const spy = vi.spyOn(d.runtime, 'kernel');
    const shape: Shape4 = [2, 3, 5, 11];
    const x = randn(330, 4);
    const r = await gpuRun(d, globalAvgPool2d, x, shape);
    const names = spy.mock.calls.map(([shader, entry]) => `${shader.name}:${entry ?? 'main'}`);
    spy.mockRestore();
    expect(names).toContain('avgpool:broadcast');
    expect(names).not.toContain('avgpool:backward');
    expect(relErr(r.gin, globalAvgPool2dBackwardCpu(r.g, shape))).toBeLessThan(TOL);
  });

  it('CPU backward passes a finite-difference check', () => {
    const shape: Shape4 = [2, 3, 5, 4];
    const x = Float64Array.from(randn(120, 8));
    const g = Float64Array.from(randn(6, 9));
    const f = (v: Float64Array) => globalAvgPool2dCpu(v, shape).reduce((a, o, i) => a + o * g[i], 0);
    expect(relErr(globalAvgPool2dBackwardCpu(g, shape), finiteDiff(f, x, 1e-4))).toBeLessThan(1e-7);
  });
});
