// The forward of every op a PyTorch fixture names (tests/fixtures/ops/*.json, see README.md), shared by the
// golden tests (ops.test.ts) and the non-finite tests (nonfinite.test.ts).
import { readFileSync } from 'node:fs';
import {
  conv2d,
  fireExpand,
  maxPool2d,
  avgPool2d,
  globalAvgPool2d,
  concat,
  relu,
  mul,
  sum,
  add,
  sub,
  div,
  neg,
  abs,
  square,
  sqrt,
  exp,
  log,
  clamp,
  maximum,
  softmax,
  logSoftmax,
  roll,
  gaussianBlur,
  clampChannels,
  mean,
  maxOverAxis,
  gatherRows,
  takeRows,
  channelDot,
  slice,
  type Tensor,
} from '../../src/index.js';

export interface Arr {
  shape: number[];
  data: number[];
}
export interface Case {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: (Arr & { name: string })[];
  R: Arr;
  out: Arr;
  grads: Record<string, Arr>;
  f32_rel_err: number;
}
export interface Fixture {
  op: string;
  cases: Case[];
}

/** A fixture file; the strings "NaN", "Infinity" and "-Infinity" (nonfinite.json) become those numbers. */
export function load(file: string): Fixture {
  const text = readFileSync(new URL(`../fixtures/ops/${file}`, import.meta.url), 'utf8');
  return JSON.parse(text, (_k, v: unknown) => (v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : v)) as Fixture;
}

export type Forward = (c: Case, t: Record<string, Tensor>) => Tensor;
type P = Record<string, number | boolean | string | null>;

const conv: Forward = (c, t) => {
  const p = c.params as P;
  const act = p.activation === 'relu' ? ('relu' as const) : undefined;
  return conv2d(t.x, t.w, t.b ?? null, { stride: p.stride as number, padding: p.padding as number, activation: act });
};
const maxPool: Forward = (c, t) => {
  const p = c.params as P;
  return maxPool2d(t.x, { kernel: p.kernel as number, stride: p.stride as number, padding: p.padding as number, ceilMode: p.ceilMode as boolean });
};
const avgPool: Forward = (c, t) => {
  const p = c.params as P;
  return avgPool2d(t.x, {
    kernel: p.kernel as number,
    stride: p.stride as number,
    padding: p.padding as number,
    ceilMode: p.ceilMode as boolean,
    countIncludePad: p.countIncludePad as boolean,
  });
};
const globalPool: Forward = (_c, t) => globalAvgPool2d(t.x);
const cat: Forward = (c, t) => concat(c.inputs.map((i) => t[i.name]), (c.params as P).axis as number);

/** fire1 → max_pool2d(3, 2, ceil) → fire2 → global average pool → flatten. */
function fireChain(fire: (t: Record<string, Tensor>, x: Tensor, f: string) => Tensor): Forward {
  return (c, t) => {
    const pool = (c.params as { pool: P }).pool;
    let y = fire(t, t.x, 'fire1');
    y = maxPool2d(y, { kernel: pool.kernel as number, stride: pool.stride as number, padding: pool.padding as number, ceilMode: pool.ceilMode as boolean });
    y = fire(t, y, 'fire2');
    const g = globalAvgPool2d(y);
    return g.reshape([g.shape[0], g.size / g.shape[0]]);
  };
}
// Separate ops: conv2d, then relu, then concat of the two expand branches.
export const fireSeparate = fireChain((t, x, f) => {
  const w = (part: string, k: string) => t[`${f}.${part}.${k}`];
  const s = relu(conv2d(x, w('squeeze', 'weight'), w('squeeze', 'bias'), { stride: 1, padding: 0 }));
  const a = relu(conv2d(s, w('expand1x1', 'weight'), w('expand1x1', 'bias'), { stride: 1, padding: 0 }));
  const b = relu(conv2d(s, w('expand3x3', 'weight'), w('expand3x3', 'bias'), { stride: 1, padding: 1 }));
  return concat([a, b], 1);
});
// Fused ops: conv2d with the ReLU epilogue for the squeeze, fireExpand for both expand branches and the concat.
export const fireFused = fireChain((t, x, f) => {
  const w = (part: string, k: string) => t[`${f}.${part}.${k}`];
  const s = conv2d(x, w('squeeze', 'weight'), w('squeeze', 'bias'), { stride: 1, padding: 0, activation: 'relu' });
  return fireExpand(s, w('expand1x1', 'weight'), w('expand1x1', 'bias'), w('expand3x3', 'weight'), w('expand3x3', 'bias'));
});

type Operand = Tensor | number;
/** A binary op on the tensors a and b, or on x and the number in params.a / params.b. */
function binary(f: (a: Operand, b: Operand) => Tensor): Forward {
  return (c, t) => {
    const p = c.params as P;
    if (typeof p.a === 'number') return f(p.a, t.x);
    if (typeof p.b === 'number') return f(t.x, p.b);
    return f(t.a, t.b);
  };
}
const unary = (f: (x: Tensor) => Tensor): Forward => (_c, t) => f(t.x);
/** axes null = all; keepDims. */
function reduction(f: (x: Tensor, axes: number[] | undefined, o: { keepDims: boolean }) => Tensor): Forward {
  return (c, t) => {
    const p = c.params as { axes: number[] | null; keepDims: boolean };
    return f(t.x, p.axes ?? undefined, { keepDims: p.keepDims });
  };
}
const num = (c: Case, k: string) => (c.params as P)[k] as number;
const nums = (c: Case, k: string) => (c.params as Record<string, number[]>)[k];

export const FORWARDS: Record<string, Forward> = {
  conv2d: conv,
  max_pool2d: maxPool,
  avg_pool2d: avgPool,
  global_avg_pool2d: globalPool,
  cat,
  add: binary(add),
  sub: binary(sub),
  mul: binary(mul),
  div: binary(div),
  maximum: binary((a, b) => maximum(a as Tensor, b)),
  neg: unary(neg),
  abs: unary(abs),
  square: unary(square),
  sqrt: unary(sqrt),
  exp: unary(exp),
  log: unary(log),
  relu: unary(relu),
  clamp: (c, t) => clamp(t.x, num(c, 'lo'), num(c, 'hi')),
  softmax: (c, t) => softmax(t.x, num(c, 'axis')),
  log_softmax: (c, t) => logSoftmax(t.x, num(c, 'axis')),
  roll: (c, t) => roll(t.x, num(c, 'shiftY'), num(c, 'shiftX')),
  gaussian_blur: (c, t) => gaussianBlur(t.x, num(c, 'sigma')),
  clamp_channels: (c, t) => clampChannels(t.x, nums(c, 'lo'), nums(c, 'hi')),
  sum: reduction(sum),
  mean: reduction(mean),
  max_over_axis: reduction((x, axes, o) => maxOverAxis(x, axes!, o)),
  gather_rows: (c, t) => gatherRows(t.x, nums(c, 'index')),
  take_rows: (c, t) => takeRows(t.x, nums(c, 'index')),
  channel_dot: (_c, t) => channelDot(t.x, t.w),
  slice: (c, t) => slice(t.x, num(c, 'axis'), num(c, 'start'), num(c, 'end')),
  fire_expand: (_c, t) => fireExpand(t.s, t.w1, t.b1, t.w3, t.b3),
};

