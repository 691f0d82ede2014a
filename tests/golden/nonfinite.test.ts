// NaN and ±Inf: every op whose kernel decides what happens to them (relu and the conv's fused ReLU in each conv
// path and fireExpand, with their gradient masks; max-pool and its gradient routing; maximum, clamp,
// clampChannels; softmax / logSoftmax; sum / mean / maxOverAxis) plus a few that only carry them, against
// PyTorch 1.13 (tests/fixtures/ops/nonfinite.json, scripts/gen_op_fixtures.py) on the GPU AND in the CPU
// reference. NaN must meet NaN and ±Inf the same infinity at the same positions; the finite rest agrees to 1e-4
// (relative to the largest finite torch value). Larger shapes (the workgroup-per-row softmax and reduction
// kernels, every conv tile variant) are checked GPU against the CPU reference.
import { describe, it, expect } from 'vitest';
import { getDevice, randn } from '../helpers/device.js';
import { grad, tidy, dispose, conv2d, fireExpand, softmax, logSoftmax, maxOverAxis, maxPool2d, relu, convTuning, type Tensor } from '../../src/index.js';
import { tileTable } from '../../src/ops/conv/tuning.js';
import { FORWARDS, load, type Arr, type Case } from './forwards.js';
import * as ew from '../../src/ops/cpu/elementwise.js';
import * as red from '../../src/ops/cpu/reduce.js';
import * as sm from '../../src/ops/cpu/softmax.js';
import { maxPool2dCpu, maxPool2dBackwardCpu, avgPool2dCpu, avgPool2dBackwardCpu, type Pool2dParams } from '../../src/ops/cpu/pool.js';
import { clampChannelsCpu, clampChannelsBackwardCpu } from '../../src/ops/cpu/image.js';
import { conv2dCpu, conv2dBackwardCpu, convShapeOf, concatChannelsCpu } from '../../src/ops/cpu/conv.js';
import { restoreTuningAfterEach } from '../helpers/tuning.js';

const TOL = 1e-4;
const d = await getDevice();
const fx = load('nonfinite.json');

/** null when `ours` has the non-finite values of `ref` at the same places and the finite rest within TOL. */
export function compareNonFinite(ours: ArrayLike<number>, ref: ArrayLike<number>, tol = TOL): string | null {
  if (ours.length !== ref.length) return `length ${ours.length}, expected ${ref.length}`;
  let md = 0;
  let mb = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ours[i];
    const b = ref[i];
    if (Number.isNaN(b) || !Number.isFinite(b)) {
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) return `element ${i} is ${a}, expected ${b}`;
      continue;
    }
    if (!Number.isFinite(a)) return `element ${i} is ${a}, expected ${b}`;
    md = Math.max(md, Math.abs(a - b));
    mb = Math.max(mb, Math.abs(b));
  }
  const e = md / Math.max(mb, 1e-30);
  return e <= tol ? null : `max|ours − ref| / max|ref| = ${e.toExponential(2)} over the finite values`;
}

function nonFiniteCount(a: Arr): number {
  return a.data.filter((v) => !Number.isFinite(v)).length;
}

/** The case on the GPU: output and the gradient of sum(out * R) for every input. */
async function gpu(c: Case): Promise<{ out: Float32Array; grads: Record<string, Float32Array> }> {
  const leaves = c.inputs.map((i) => d.tensor(Float32Array.from(i.data), i.shape, { requiresGrad: true }));
  const byName: Record<string, Tensor> = {};
  c.inputs.forEach((i, k) => (byName[i.name] = leaves[k]));
  const [out, ...gs] = tidy(() => {
    const y = FORWARDS[c.op](c, byName);
    return [y, ...grad(y, leaves, d.tensor(Float32Array.from(c.R.data), y.shape))];
  });
  const arrays = await Promise.all([out, ...gs].map((t) => t.toArray()));
  dispose([out, ...gs, ...leaves]);
  const grads: Record<string, Float32Array> = {};
  c.inputs.forEach((i, k) => (grads[i.name] = arrays[k + 1]));
  return { out: arrays[0], grads };
}

type CpuRun = (c: Case, x: Record<string, ew.CpuTensor>, R: ew.CpuTensor) => { out: ArrayLike<number>; grads: Record<string, ArrayLike<number>> };
const P = (c: Case) => c.params as Record<string, number & number[] & boolean & null>;

const unaryCpu = (op: ew.UnaryName): CpuRun => (_c, t, R) => ({ out: ew.unary(op, t.x).data, grads: { x: ew.unaryBackward(op, R, t.x).data } });
function poolQ(c: Case): Pool2dParams {
  const p = P(c);
  return { kH: p.kernel, kW: p.kernel, sH: p.stride, sW: p.stride, pH: p.padding, pW: p.padding, ceilMode: p.ceilMode };
}
type S4 = [number, number, number, number];

const CPU: Record<string, CpuRun> = {
  relu: unaryCpu('relu'),
  abs: unaryCpu('abs'),
  neg: unaryCpu('neg'),
  square: unaryCpu('square'),
  sqrt: unaryCpu('sqrt'),
  exp: unaryCpu('exp'),
  log: unaryCpu('log'),
  clamp: (c, t, R) => ({ out: ew.clamp(t.x, P(c).lo, P(c).hi).data, grads: { x: ew.clampBackward(R, t.x, P(c).lo, P(c).hi).data } }),
  maximum: (c, t, R): ReturnType<CpuRun> => {
    if (typeof P(c).b === 'number') {
      const [ga] = ew.binaryBackward('maximum', R, t.x, P(c).b);
      return { out: ew.binary('maximum', t.x, P(c).b).data, grads: { x: ga.data } };
    }
    const [ga, gb] = ew.binaryBackward('maximum', R, t.a, t.b);
    return { out: ew.binary('maximum', t.a, t.b).data, grads: { a: ga.data, b: gb.data } };
  },
  softmax: (c, t, R) => {
    const y = sm.softmax(t.x, P(c).axis);
    return { out: y.data, grads: { x: sm.softmaxBackward(R, y, P(c).axis).data } };
  },
  log_softmax: (c, t, R) => {
    const y = sm.logSoftmax(t.x, P(c).axis);
    return { out: y.data, grads: { x: sm.logSoftmaxBackward(R, y, P(c).axis).data } };
  },
  sum: (c, t, R) => ({ out: red.sum(t.x, P(c).axes, P(c).keepDims).data, grads: { x: red.sumBackward(R, t.x.shape, P(c).axes).data } }),
  mean: (c, t, R) => ({ out: red.mean(t.x, P(c).axes, P(c).keepDims).data, grads: { x: red.meanBackward(R, t.x.shape, P(c).axes).data } }),
  max_over_axis: (c, t, R) => ({
    out: red.maxOverAxis(t.x, P(c).axes, P(c).keepDims).value.data,
    grads: { x: red.maxOverAxisBackward(R, t.x, P(c).axes).data },
  }),
  max_pool2d: (c, t, R) => {
    const s = t.x.shape as S4;
    const f = maxPool2dCpu(t.x.data, s, poolQ(c));
    return { out: f.out, grads: { x: maxPool2dBackwardCpu(R.data, f.idx, s, f.shape) } };
  },
  avg_pool2d: (c, t, R) => {
    const s = t.x.shape as S4;
    const inc = P(c).countIncludePad;
    return { out: avgPool2dCpu(t.x.data, s, poolQ(c), inc).out, grads: { x: avgPool2dBackwardCpu(R.data, s, poolQ(c), inc) } };
  },
  clamp_channels: (c, t, R) => ({
    out: clampChannelsCpu(t.x.data, t.x.shape, P(c).lo, P(c).hi),
    grads: { x: clampChannelsBackwardCpu(R.data, t.x.data, t.x.shape, P(c).lo, P(c).hi) },
  }),
  conv2d: (c, t, R) => {
    const s = convShapeOf(t.x.shape, t.w.shape, P(c).stride, P(c).padding);
    const y = conv2dCpu(t.x.data, t.w.data, t.b.data, s, 'relu');
    const g = conv2dBackwardCpu(t.x.data, t.w.data, R.data, s, y);
    return { out: y, grads: { x: g.dx, w: g.dw, b: g.db } };
  },
  fire_expand: (_c, t, R) => {
    // concat([relu(conv(s, w1, b1)), relu(conv(s, w3, b3, padding 1))], 1)
    const [N, , H, W] = t.s.shape;
    const HW = H * W;
    const C1 = t.w1.shape[0];
    const C3 = t.w3.shape[0];
    const s1 = convShapeOf(t.s.shape, t.w1.shape, 1, 0);
    const s3 = convShapeOf(t.s.shape, t.w3.shape, 1, 1);
    const y1 = conv2dCpu(t.s.data, t.w1.data, t.b1.data, s1, 'relu');
    const y3 = conv2dCpu(t.s.data, t.w3.data, t.b3.data, s3, 'relu');
    const r1 = new Float64Array(N * C1 * HW);
    const r3 = new Float64Array(N * C3 * HW);
    for (let n = 0; n < N; n++) {
      r1.set(R.data.subarray(n * (C1 + C3) * HW, (n * (C1 + C3) + C1) * HW), n * C1 * HW);
      r3.set(R.data.subarray((n * (C1 + C3) + C1) * HW, (n + 1) * (C1 + C3) * HW), n * C3 * HW);
    }
    const g1 = conv2dBackwardCpu(t.s.data, t.w1.data, r1, s1, y1);
    const g3 = conv2dBackwardCpu(t.s.data, t.w3.data, r3, s3, y3);
    return {
      out: concatChannelsCpu([{ data: y1, C: C1 }, { data: y3, C: C3 }], N, HW),
      grads: { s: g1.dx.map((v, i) => v + g3.dx[i]), w1: g1.dw, b1: g1.db, w3: g3.dw, b3: g3.db },
    };
  },
};

describe('non-finite values follow PyTorch (fixtures)', () => {
  it('the fixtures hold NaN and ±Inf in the inputs, outputs and gradients', () => {
    expect(fx.cases.length).toBeGreaterThanOrEqual(30);
    const ins = fx.cases.reduce((a, c) => a + c.inputs.reduce((b, i) => b + nonFiniteCount(i), 0), 0);
    const outs = fx.cases.reduce((a, c) => a + nonFiniteCount(c.out), 0);
    const gs = fx.cases.reduce((a, c) => a + Object.values(c.grads).reduce((b, g) => b + nonFiniteCount(g), 0), 0);
    expect(ins).toBeGreaterThan(50);
    expect(outs).toBeGreaterThan(100);
    expect(gs).toBeGreaterThan(100);
  });

  for (const c of fx.cases) {
    it(`${c.op} ${c.name}: GPU and CPU reference = torch`, async () => {
      const failures: string[] = [];
      const ours = await gpu(c);
      const x: Record<string, ew.CpuTensor> = {};
      for (const i of c.inputs) x[i.name] = ew.cpuTensor(i.data, i.shape);
      const ref = CPU[c.op](c, x, ew.cpuTensor(c.R.data, c.R.shape));
      const check = (who: string, what: string, got: ArrayLike<number>, want: Arr) => {
        const e = compareNonFinite(got, want.data);
        if (e) failures.push(`${who} ${what}: ${e}`);
      };
      check('GPU', 'out', ours.out, c.out);
      check('CPU', 'out', ref.out, c.out);
      for (const i of c.inputs) {
        check('GPU', `d/d ${i.name}`, ours.grads[i.name], c.grads[i.name]);
        check('CPU', `d/d ${i.name}`, ref.grads[i.name], c.grads[i.name]);
      }
      expect(failures).toEqual([]);
    });
  }
});

restoreTuningAfterEach();

describe('non-finite values: larger shapes and every kernel variant, GPU against the CPU reference', () => {
  /** x with NaN, +Inf and −Inf sprinkled at fixed positions. */
  function poisoned(n: number, seed: number): Float32Array {
    const v = randn(n, seed);
    for (let i = 3; i < n; i += 97) v[i] = NaN;
    for (let i = 50; i < n; i += 211) v[i] = Infinity;
    for (let i = 120; i < n; i += 157) v[i] = -Infinity;
    return v;
  }

  it('softmax / logSoftmax with a workgroup per row (K = 300) and a thread per row', async () => {
    for (const [rows, K] of [[3, 300], [40, 9]] as const) {
      const v = poisoned(rows * K, 11 + K);
      const r = randn(rows * K, 12);
      for (const log of [false, true]) {
        const [y, g] = tidy(() => {
          const x = d.tensor(v, [rows, K], { requiresGrad: true });
          const out = log ? logSoftmax(x, 1) : softmax(x, 1);
          return [out, grad(out, [x], d.tensor(r, [rows, K]))[0]];
        });
        const [yy, gg] = [await y.toArray(), await g.toArray()];
        dispose([y, g]);
        const xc = ew.cpuTensor(v, [rows, K]);
        const yc = log ? sm.logSoftmax(xc, 1) : sm.softmax(xc, 1);
        const gc = log ? sm.logSoftmaxBackward(ew.cpuTensor(r, [rows, K]), yc, 1) : sm.softmaxBackward(ew.cpuTensor(r, [rows, K]), yc, 1);
        expect(compareNonFinite(yy, yc.data), `${log ? 'logSoftmax' : 'softmax'} ${rows}x${K} forward`).toBeNull();
        expect(compareNonFinite(gg, gc.data), `${log ? 'logSoftmax' : 'softmax'} ${rows}x${K} backward`).toBeNull();
      }
    }
  });

  it('maxOverAxis with a workgroup per output (300 reduced) and a thread per output, first NaN wins', async () => {
    for (const [shape, axes] of [[[2, 300], [1]], [[4, 5, 60], [1, 2]], [[30, 7], [1]], [[6, 5, 4], [0, 2]]] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = poisoned(n, 21 + n);
      // a row whose first element is NaN, and one with two NaNs
      v[0] = NaN;
      v[n - 1] = NaN;
      v[n - 3] = NaN;
      const xc = ew.cpuTensor(v, shape);
      const ref = red.maxOverAxis(xc, axes);
      const r = randn(ref.value.data.length, 22);
      const [y, g] = tidy(() => {
        const x = d.tensor(v, shape, { requiresGrad: true });
        const out = maxOverAxis(x, axes);
        return [out, grad(out, [x], d.tensor(r, out.shape))[0]];
      });
      const [yy, gg] = [await y.toArray(), await g.toArray()];
      dispose([y, g]);
      expect(ref.value.data.some((q) => Number.isNaN(q))).toBe(true);
      expect(compareNonFinite(yy, ref.value.data), `maxOverAxis [${shape}] over ${axes} forward`).toBeNull();
      expect(compareNonFinite(gg, red.maxOverAxisBackward(ew.cpuTensor(r, ref.value.shape), xc, axes).data), `maxOverAxis [${shape}] backward`).toBeNull();
    }
  });

  it('max-pool 3/2 ceil (SqueezeNet) forward and routing with NaN and Inf windows', async () => {
    const shape: S4 = [2, 3, 13, 15];
    const n = shape.reduce((a, b) => a * b, 1);
    const v = poisoned(n, 31);
    const q: Pool2dParams = { kH: 3, kW: 3, sH: 2, sW: 2, pH: 0, pW: 0, ceilMode: true };
    const ref = maxPool2dCpu(v, shape, q);
    const r = randn(ref.out.length, 32);
    const [y, g] = tidy(() => {
      const x = d.tensor(v, shape, { requiresGrad: true });
      const out = maxPool2d(x, { kernel: 3, stride: 2, ceilMode: true });
      return [out, grad(out, [x], d.tensor(r, out.shape))[0]];
    });
    const [yy, gg] = [await y.toArray(), await g.toArray()];
    dispose([y, g]);
    expect(ref.out.some((q2) => Number.isNaN(q2))).toBe(true);
    expect(compareNonFinite(yy, ref.out)).toBeNull();
    expect(compareNonFinite(gg, maxPool2dBackwardCpu(r, ref.idx, shape, ref.shape))).toBeNull();
  });

  it('relu on vec4 and scalar sizes passes NaN forward and its gradient', async () => {
    for (const n of [400, 401]) {
      const v = poisoned(n, 41 + n);
      const r = randn(n, 42);
      const [y, g] = tidy(() => {
        const x = d.tensor(v, [n], { requiresGrad: true });
        const out = relu(x);
        return [out, grad(out, [x], d.tensor(r, [n]))[0]];
      });
      const [yy, gg] = [await y.toArray(), await g.toArray()];
      dispose([y, g]);
      const xc = ew.cpuTensor(v, [n]);
      expect(compareNonFinite(yy, ew.unary('relu', xc).data)).toBeNull();
      expect(compareNonFinite(gg, ew.unaryBackward('relu', ew.cpuTensor(r, [n]), xc).data)).toBeNull();
    }
  });

  // The conv's fused ReLU lives in each kernel's epilogue and its gradient mask in two passes: every tile
  // variant (narrow and wide, vec4 and subgroup taps, channel tiles) and both mask passes meet NaN and Inf.
  // Tiles are set in the table of the adapter under test (tileTable).
  const FAMILIES = ['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward'] as const;
  const table = () => tileTable(d.runtime) as Record<string, unknown>;
  const variants: { label: string; set: () => void }[] = [
    { label: 'default tiles', set: () => {} },
    ...([[true, 32], [false, 8]] as const).map(([sub, tc]) => ({
      label: `wide tiles tc ${tc}${sub ? ' subgroups' : ' vec4 taps'}`,
      set: () => {
        convTuning.subgroups = sub;
        for (const f of ['forward', 'pointwise', 'pointwiseBackward']) table()[f] = { wg: 32, tc, tp: 8 };
      },
    })),
    {
      label: 'narrow tiles tc 4 tp 1 subgroups',
      set: () => {
        convTuning.subgroups = true;
        for (const f of FAMILIES) table()[f] = { wg: 32, tc: 4, tp: 1 };
      },
    },
    {
      label: 'implicit-GEMM tiles 32 x 32',
      set: () => {
        for (const f of FAMILIES) table()[f] = { wg: 64, tc: 32, tp: 32, gemm: true };
        table().backwardWeight = { wg: 64, tc: 32, tp: 32, gemm: true, chunk: 512 };
      },
    },
  ];
  const convCases = [
    { label: '3x3 s1 p1', N: 2, Cin: 5, H: 9, W: 11, Cout: 12, k: 3, stride: 1, pad: 1, bias: true },
    { label: '3x3 s2 p0 (SqueezeNet conv1)', N: 1, Cin: 3, H: 15, W: 13, Cout: 16, k: 3, stride: 2, pad: 0, bias: true },
    { label: '1x1 (pointwise)', N: 2, Cin: 6, H: 7, W: 9, Cout: 9, k: 1, stride: 1, pad: 0, bias: true },
    // Cout 8 with HW = 35: the flat vec4 ReLU-mask pass (input gradient only, no bias gradient)
    { label: '3x3 s1 p1, vec4 mask pass', N: 2, Cin: 3, H: 5, W: 7, Cout: 8, k: 3, stride: 1, pad: 1, bias: false },
  ];
  const SLOW = 400_000; // pipelines for every tile variant compile on the CPU (lavapipe)

  it('conv2d with the fused ReLU in every tile variant: NaN / Inf inputs and a NaN weight', { timeout: SLOW }, async () => {
    for (const v of variants) {
      v.set();
      for (const [ci, c] of convCases.entries()) {
        const xv = randn(c.N * c.Cin * c.H * c.W, 51 + ci);
        const wv = randn(c.Cout * c.Cin * c.k * c.k, 52 + ci, 0.5);
        const bv = c.bias ? randn(c.Cout, 53 + ci) : null;
        xv[7] = NaN;
        xv[xv.length - 5] = Infinity;
        xv[Math.floor(xv.length / 2)] = -Infinity;
        wv[(3 * c.Cin + 1) * c.k * c.k] = NaN; // one weight of output channel 3 (input channel 1)
      const s = convShapeOf([c.N, c.Cin, c.H, c.W], [c.Cout, c.Cin, c.k, c.k], c.stride, c.pad);
        const yc = conv2dCpu(xv, wv, bv, s, 'relu');
        const r = randn(yc.length, 54 + ci);
        const gc = conv2dBackwardCpu(xv, wv, r, s, yc);
        const out = tidy(() => {
          const x = d.tensor(xv, [c.N, c.Cin, c.H, c.W], { requiresGrad: true });
          const w = d.tensor(wv, [c.Cout, c.Cin, c.k, c.k], { requiresGrad: c.bias });
          const b = bv ? d.tensor(bv, [c.Cout], { requiresGrad: true }) : null;
          const y = conv2d(x, w, b, { stride: c.stride, padding: c.pad, activation: 'relu' });
          return [y, ...grad(y, c.bias ? [x, w, b!] : [x], d.tensor(r, y.shape))];
        });
        const arr = await Promise.all(out.map((t) => t.toArray()));
        dispose(out);
        const tag = `${v.label}, ${c.label}`;
        expect(yc.some((q) => Number.isNaN(q)), tag).toBe(true);
        expect(compareNonFinite(arr[0], yc), `forward ${tag}`).toBeNull();
        expect(compareNonFinite(arr[1], gc.dx), `dx ${tag}`).toBeNull();
        if (c.bias) {
          expect(compareNonFinite(arr[2], gc.dw), `dw ${tag}`).toBeNull();
          expect(compareNonFinite(arr[3], gc.db), `db ${tag}`).toBeNull();
        }
      }
    }
  });

  it('fireExpand (both expand convs into one buffer, fused ReLUs) with NaN / Inf in its input', { timeout: SLOW }, async () => {
    for (const v of variants) {
      v.set();
      const [N, S, H, W, E1, E3] = [2, 6, 7, 9, 8, 12];
      const sv = randn(N * S * H * W, 61).map(Math.abs);
      sv[10] = NaN;
      sv[200] = Infinity;
      const w1 = randn(E1 * S, 62, 0.5);
      const b1 = randn(E1, 63);
      const w3 = randn(E3 * S * 9, 64, 0.3);
      const b3 = randn(E3, 65);
      const s1 = convShapeOf([N, S, H, W], [E1, S, 1, 1]);
      const s3 = convShapeOf([N, S, H, W], [E3, S, 3, 3], 1, 1);
      const y1 = conv2dCpu(sv, w1, b1, s1, 'relu');
      const y3 = conv2dCpu(sv, w3, b3, s3, 'relu');
      const yc = concatChannelsCpu([{ data: y1, C: E1 }, { data: y3, C: E3 }], N, H * W);
      const r = randn(yc.length, 66);
      const r1 = new Float64Array(y1.length);
      const r3 = new Float64Array(y3.length);
      for (let n = 0; n < N; n++) {
        r1.set(r.subarray(n * (E1 + E3) * H * W, (n * (E1 + E3) + E1) * H * W), n * E1 * H * W);
        r3.set(r.subarray((n * (E1 + E3) + E1) * H * W, (n + 1) * (E1 + E3) * H * W), n * E3 * H * W);
      }
      const ds = conv2dBackwardCpu(sv, w1, r1, s1, y1).dx.map((q, i) => q + conv2dBackwardCpu(sv, w3, r3, s3, y3).dx[i]);
      const out = tidy(() => {
        const s = d.tensor(sv, [N, S, H, W], { requiresGrad: true });
        const y = fireExpand(s, d.tensor(w1, [E1, S, 1, 1]), d.tensor(b1, [E1]), d.tensor(w3, [E3, S, 3, 3]), d.tensor(b3, [E3]));
        return [y, grad(y, [s], d.tensor(r, y.shape))[0]];
      });
      const [yy, gg] = await Promise.all(out.map((t: Tensor) => t.toArray()));
      dispose(out);
      expect(yc.some((q) => Number.isNaN(q))).toBe(true);
      expect(compareNonFinite(yy, yc), `forward, ${v.label}`).toBeNull();
      expect(compareNonFinite(gg, ds), `ds, ${v.label}`).toBeNull();
    }
  });
});
