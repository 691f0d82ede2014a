// Elementwise ops: unary (one WGSL kernel, the function chosen by the constant OP) and binary with
// NumPy broadcasting. Each op's gradient rule is the closure next to it; rules use the raw kernels
// (no graph) and free their temporaries.
import { record, noGrad, type Tensor, type Shape } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { emptyLike, groups1d, checkTensor, sameDevice, sameShape, strides, pad8, ITEMS } from './util.js';
import { elementTypes } from '../tensor/device.js';
import { broadcastShapes, shapeSize } from '../shape.js';
import { sumTo } from './reduce.js';

export const UNARY_OPS = { copy: 0, neg: 1, abs: 2, square: 3, sqrt: 4, exp: 5, log: 6, relu: 7, sign: 8, affine: 9, clamp: 10, step: 11 } as const;
type UnaryName = keyof typeof UNARY_OPS;

export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, max: 4, maskPos: 6, ge: 7, lt: 8, maxShareA: 10, maxShareB: 11 } as const;
type BinaryName = keyof typeof BINARY_OPS;

/** @internal y = f(x) with no graph. */
export function unaryRaw(x: Tensor, op: UnaryName, a = 0, b = 0): Tensor {
  const out = emptyLike(x.device, x.shape);
  if (!x.size) return out;
  const rt = x.device.runtime;
  const v4 = x.size % 4 === 0;
  const n = v4 ? x.size / 4 : x.size;
  const k = kernel(rt, 'unary', { ...elementTypes(v4), OP: UNARY_OPS[op], WG: 256, E: ITEMS });
  rt.dispatch(k, { x: x.buffer, y: out.buffer }, { n, a, b }, groups1d(Math.ceil(n / ITEMS), 256));
  return out;
}

function bstrides(shape: Shape, out: Shape): number[] {
  const s = strides(shape);
  const off = out.length - shape.length;
  return out.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : s[i - off]));
}

/**
 * When `s` (left-padded with 1s to the rank of `out`) equals `out` on a prefix of dims and is 1 on the rest,
 * the flat index of an output element in s is i / div with div = the product of the rest; returns div (1 for
 * the same shape), else 0.
 */
function prefixDiv(s: Shape, out: Shape): number {
  const off = out.length - s.length;
  const dims = out.map((_, i) => (i < off ? 1 : s[i - off]));
  let k = 0;
  while (k < out.length && dims[k] === out[k]) k++;
  for (let i = k; i < out.length; i++) if (dims[i] !== 1) return 0;
  return shapeSize(out.slice(k));
}

/** @internal a (op) b with broadcasting and no graph. */
export function binaryRaw(a: Tensor, b: Tensor, op: BinaryName, opName: string = op, outShape?: Shape): Tensor {
  const same = sameShape(a.shape, b.shape) && (!outShape || sameShape(outShape, a.shape));
  const shape = outShape ? [...outShape] : same ? [...a.shape] : broadcastShapes(opName, a.shape, b.shape);
  const out = emptyLike(a.device, shape);
  if (!out.size) return out;
  const rt = a.device.runtime;
  const v4 = same && out.size % 4 === 0;
  const n = v4 ? out.size / 4 : out.size;
  const divA = same ? 1 : prefixDiv(a.shape, shape);
  const divB = same ? 1 : prefixDiv(b.shape, shape);
  const mode = same ? 0 : divA && divB ? 2 : 1;
  const k = kernel(rt, 'binary', { ...elementTypes(v4), OP: BINARY_OPS[op], BCAST: mode, RANK: shape.length, WG: 256, E: ITEMS });
  rt.dispatch(
    k,
    { a: a.buffer, b: b.buffer, out: out.buffer },
    { n, rank: shape.length, divA: divA || 1, divB: divB || 1, shape: pad8(shape), sa: pad8(bstrides(a.shape, shape)), sb: pad8(bstrides(b.shape, shape)) },
    groups1d(Math.ceil(n / ITEMS), 256),
  );
  return out;
}

/** g · m, freeing the temporary m. */
function mulFree(g: Tensor, m: Tensor): Tensor {
  const r = binaryRaw(g, m, 'mul');
  m.dispose();
  return r;
}
function divFree(g: Tensor, m: Tensor): Tensor {
  const r = binaryRaw(g, m, 'div');
  m.dispose();
  return r;
}

// ---------- unary ops: forward kernel + gradient rule ----------

function unaryOp(name: UnaryName, grad: (g: Tensor, x: Tensor, y: Tensor) => Tensor) {
  return (x: Tensor): Tensor => {
    checkTensor(name, 'x', x);
    const y = unaryRaw(x, name);
    return record(y, name, [x], (g) => [grad(g, x, y)]);
  };
}

/** −x */
export const neg = unaryOp('neg', (g) => unaryRaw(g, 'neg'));
/** |x| (gradient sign(x): 0 at 0 and at NaN, as PyTorch) */
export const abs = unaryOp('abs', (g, x) => mulFree(g, unaryRaw(x, 'sign')));
/** x² */
export const square = unaryOp('square', (g, x) => mulFree(g, unaryRaw(x, 'affine', 2, 0)));
/** √x */
export const sqrt = unaryOp('sqrt', (g, _x, y) => divFree(g, unaryRaw(y, 'affine', 2, 0)));
/** eˣ */
export const exp = unaryOp('exp', (g, _x, y) => binaryRaw(g, y, 'mul'));
/** ln x */
export const log = unaryOp('log', (g, x) => binaryRaw(g, x, 'div'));
/** max(x, 0) with NaN passed through (PyTorch); the gradient is 0 where the output is <= 0 (so it passes at NaN). */
export const relu = unaryOp('relu', (g, _x, y) => binaryRaw(g, y, 'maskPos'));

/** clamp(x, lo, hi), NaN staying NaN; the gradient passes where lo <= x <= hi (as PyTorch: not at NaN). */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  checkTensor('clamp', 'x', x);
  if (!(lo <= hi)) throw new Error(`clamp: lo (${lo}) must be <= hi (${hi})`);
  const y = unaryRaw(x, 'clamp', lo, hi);
  return record(y, 'clamp', [x], (g) => {
    // inside = (x >= lo) · (x <= hi) = ge(x, lo) · ge(hi, x), computed as ge(y, x)·ge(x, y) = (y == x)
    const m1 = binaryRaw(x, y, 'ge');
    const m2 = binaryRaw(y, x, 'ge');
    const m = binaryRaw(m1, m2, 'mul');
    m1.dispose();
    m2.dispose();
    return [mulFree(g, m)];
  });
}

/** a·x + b with numbers a, b. */
export function affine(x: Tensor, a: number, b = 0): Tensor {
  checkTensor('affine', 'x', x);
  return affineNamed(x, a, b, 'affine');
}

function affineNamed(x: Tensor, a: number, b: number, name: string): Tensor {
  const y = unaryRaw(x, 'affine', a, b);
  return record(y, name, [x], (g) => [a === 1 ? g : unaryRaw(g, 'affine', a, 0)]);
}

/** An independent copy (differentiable). */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'x', x);
  return record(unaryRaw(x, 'copy'), 'clone', [x], (g) => [g]);
}

// ---------- binary ops ----------

export type Operand = Tensor | number;

type Rule = (g: Tensor, a: Tensor, b: Tensor) => Tensor;

/** `name` picks the kernel; `label` (the exported name) is used in errors and the graph. */
function binaryOp(name: 'add' | 'sub' | 'mul' | 'div' | 'max', gradA: Rule, gradB: Rule, label: string = name) {
  const op = (a: Operand, b: Operand): Tensor => {
    if (typeof a === 'number' && typeof b === 'number') throw new Error(`${label}: at least one operand must be a Tensor`);
    if (typeof a !== 'number') checkTensor(label, 'a', a);
    if (typeof b !== 'number') checkTensor(label, 'b', b);
    // A number operand folds into the affine kernel (no extra buffer) where the op allows it.
    if (typeof b === 'number' && name !== 'max') {
      const x = a as Tensor;
      if (name === 'add') return affineNamed(x, 1, b, label);
      if (name === 'sub') return affineNamed(x, 1, -b, label);
      if (name === 'mul') return affineNamed(x, b, 0, label);
      return affineNamed(x, 1 / b, 0, label);
    }
    if (typeof a === 'number' && (name === 'add' || name === 'mul')) return op(b, a);
    if (typeof a === 'number' && name === 'sub') return affineNamed(b as Tensor, -1, a, label);
    const ta = typeof a === 'number' ? noGrad(() => (b as Tensor).device.full([], a)) : a;
    const tb = typeof b === 'number' ? noGrad(() => (a as Tensor).device.full([], b)) : b;
    sameDevice(label, ta, tb);
    const out = binaryRaw(ta, tb, name, label);
    const consts = [ta, tb].filter((_, i) => typeof [a, b][i] === 'number');
    record(out, label, [ta, tb], (g, needs) => [
      needs[0] ? reduceTo(gradA(g, ta, tb), ta.shape, g) : null,
      needs[1] ? reduceTo(gradB(g, ta, tb), tb.shape, g) : null,
    ], consts);
    return out;
  };
  return op;
}

/** Sum a broadcast gradient back down to `shape`. */
function reduceTo(t: Tensor, shape: Shape, incoming: Tensor): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const r = sumTo(t, shape);
  if (t !== incoming) t.dispose();
  return r;
}

const pass: Rule = (g) => g;

/** a + b (tensors broadcast; either may be a number) */
export const add = binaryOp('add', pass, pass);
/** a − b */
export const sub = binaryOp('sub', pass, (g) => unaryRaw(g, 'neg'));
/** a · b */
export const mul = binaryOp('mul', (g, _a, b) => binaryRaw(g, b, 'mul'), (g, a) => binaryRaw(g, a, 'mul'));
/** a / b */
export const div = binaryOp(
  'div',
  (g, _a, b) => binaryRaw(g, b, 'div'),
  (g, a, b) => {
    // −g·a/b²
    const ga = binaryRaw(g, a, 'mul');
    const q = divFree(ga, unaryRaw(b, 'square'));
    ga.dispose();
    const r = unaryRaw(q, 'neg');
    q.dispose();
    return r;
  },
);
/**
 * Elementwise max(a, b), NaN where either is NaN (torch.maximum). The gradient goes to the larger one, half to
 * each on ties, and whole to both where either is NaN (torch 1.13's rule).
 */
export const maximum = binaryOp(
  'max',
  (g, a, b) => mulFree(g, binaryRaw(a, b, 'maxShareA')),
  (g, a, b) => mulFree(g, binaryRaw(a, b, 'maxShareB')),
  'maximum',
);

// ---------- comparisons (masks of 0/1; no gradient flows through them) ----------

/** 1 where a > b, else 0 (broadcasting). Not differentiable: the result has no graph. */
export function greater(a: Tensor, b: Operand): Tensor {
  checkTensor('greater', 'a', a);
  if (typeof b === 'number') return unaryRaw(a, 'step', b);
  checkTensor('greater', 'b', b);
  return binaryRaw(b, a, 'lt', 'greater');
}
