// CPU references (float64) for src/ops/elementwise.ts: every forward op and its gradient rule, with NumPy
// broadcasting. Used by the tests (forward and backward against the GPU, backward against finite differences).
import { sumTo } from './reduce.js';
import { broadcastShapes, fmtShape, shapeSize, strides } from '../../shape.js';

/** A dense row-major float64 array with a shape. */
export interface CpuTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

const fmt = fmtShape;

/** Wrap values (copied to float64) with a shape. */
export function cpuTensor(data: ArrayLike<number>, shape: readonly number[]): CpuTensor {
  const n = shapeSize(shape);
  if (data.length !== n) throw new Error(`cpuTensor: ${data.length} values do not fill shape ${fmt(shape)} (${n} elements)`);
  return { shape: [...shape], data: Float64Array.from(data) };
}

// ---------- unary ----------

interface UnaryRule {
  f: (v: number) => number;
  /** dy/dx at x (y = f(x)). */
  df: (x: number, y: number) => number;
}

/** f and f' of each unary op; the derivative conventions match the GPU rules (and PyTorch). */
export const UNARY = {
  neg: { f: (v) => -v, df: () => -1 },
  abs: { f: Math.abs, df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) }, // 0 at 0 and at NaN (torch's sign(NaN) = 0)
  square: { f: (v) => v * v, df: (x) => 2 * x },
  sqrt: { f: Math.sqrt, df: (_x, y) => 1 / (2 * y) },
  exp: { f: Math.exp, df: (_x, y) => y },
  log: { f: Math.log, df: (x) => 1 / x },
  // torch's threshold: x <= 0 ? 0 : x, so NaN passes; the gradient is 0 where y <= 0 (0 at 0, 1 at NaN).
  relu: { f: (v) => (v <= 0 ? 0 : v), df: (_x, y) => (y <= 0 ? 0 : 1) },
  clone: { f: (v) => v, df: () => 1 },
} satisfies Record<string, UnaryRule>;
export type UnaryName = keyof typeof UNARY;

function map(x: CpuTensor, f: (v: number, i: number) => number): CpuTensor {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i], i);
  return { shape: [...x.shape], data: out };
}

export function unary(op: UnaryName, x: CpuTensor): CpuTensor {
  const r: UnaryRule = UNARY[op];
  return map(x, (v) => r.f(v));
}

/** g · f'(x) */
export function unaryBackward(op: UnaryName, g: CpuTensor, x: CpuTensor): CpuTensor {
  const r: UnaryRule = UNARY[op];
  return map(x, (v, i) => g.data[i] * r.df(v, r.f(v)));
}

/** NaN stays NaN (torch.clamp). */
export function clamp(x: CpuTensor, lo: number, hi: number): CpuTensor {
  return map(x, (v) => (v < lo ? lo : v > hi ? hi : v));
}

/** The gradient passes where lo <= x <= hi (as PyTorch; not at NaN). */
export function clampBackward(g: CpuTensor, x: CpuTensor, lo: number, hi: number): CpuTensor {
  return map(x, (v, i) => (v >= lo && v <= hi ? g.data[i] : 0));
}

export function affine(x: CpuTensor, a: number, b = 0): CpuTensor {
  return map(x, (v) => a * v + b);
}

export function affineBackward(g: CpuTensor, a: number): CpuTensor {
  return map(g, (v) => a * v);
}

// ---------- binary with broadcasting ----------

/** Broadcast `x` to `shape` (a copy). */
export function expand(x: CpuTensor, shape: readonly number[]): CpuTensor {
  broadcastShapes('expand', x.shape, shape);
  const off = shape.length - x.shape.length;
  const xs = strides(x.shape);
  const bs = shape.map((_, i) => (i < off || x.shape[i - off] === 1 ? 0 : xs[i - off]));
  const n = shapeSize(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      j += c * bs[d];
    }
    out[i] = x.data[j];
  }
  return { shape: [...shape], data: out };
}

interface BinaryRule {
  f: (a: number, b: number) => number;
  /** ∂f/∂a and ∂f/∂b */
  da: (a: number, b: number) => number;
  db: (a: number, b: number) => number;
}

export const BINARY = {
  add: { f: (a, b) => a + b, da: () => 1, db: () => 1 },
  sub: { f: (a, b) => a - b, da: () => 1, db: () => -1 },
  mul: { f: (a, b) => a * b, da: (_a, b) => b, db: (a) => a },
  div: { f: (a, b) => a / b, da: (_a, b) => 1 / b, db: (a, b) => -a / (b * b) },
  // NaN if either is NaN (Math.max does that). The gradient goes to the larger operand, half to each on ties,
  // and whole to both where either is NaN (torch 1.13: where(a == b, g/2, g).masked_fill_(a < b, 0)).
  maximum: {
    f: (a, b) => Math.max(a, b),
    da: (a, b) => (a === b ? 0.5 : a < b ? 0 : 1),
    db: (a, b) => (a === b ? 0.5 : a > b ? 0 : 1),
  },
} satisfies Record<string, BinaryRule>;
export type BinaryName = keyof typeof BINARY;

function operand(v: CpuTensor | number): CpuTensor {
  return typeof v === 'number' ? { shape: [], data: Float64Array.of(v) } : v;
}

/** a (op) b; either may be a number (a 0-d operand). */
export function binary(op: BinaryName, a: CpuTensor | number, b: CpuTensor | number): CpuTensor {
  const ta = operand(a);
  const tb = operand(b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const ea = expand(ta, shape);
  const eb = expand(tb, shape);
  const r: BinaryRule = BINARY[op];
  return map(ea, (v, i) => r.f(v, eb.data[i]));
}

/** Gradients for a and b, summed back to their own shapes (number operands get 0-d gradients). */
export function binaryBackward(op: BinaryName, g: CpuTensor, a: CpuTensor | number, b: CpuTensor | number): [CpuTensor, CpuTensor] {
  const ta = operand(a);
  const tb = operand(b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const ea = expand(ta, shape);
  const eb = expand(tb, shape);
  const r: BinaryRule = BINARY[op];
  const ga = map(ea, (v, i) => g.data[i] * r.da(v, eb.data[i]));
  const gb = map(ea, (v, i) => g.data[i] * r.db(v, eb.data[i]));
  return [sumTo(ga, ta.shape), sumTo(gb, tb.shape)];
}

/** Σ x·w (the scalar whose finite differences check a backward rule with upstream gradient w). */
export function dot(x: CpuTensor | ArrayLike<number>, w: CpuTensor | ArrayLike<number>): number {
  const xa = 'data' in x ? x.data : x;
  const wa = 'data' in w ? w.data : w;
  if (xa.length !== wa.length) throw new Error(`dot: length mismatch ${xa.length} vs ${wa.length}`);
  let s = 0;
  for (let i = 0; i < xa.length; i++) s += xa[i] * wa[i];
  return s;
}
