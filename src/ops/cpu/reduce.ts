// CPU references (float64) for src/ops/reduce.ts: sum, mean, maxOverAxis (first arg-max on ties), sumTo, and
// their gradients.
import type { CpuTensor } from './elementwise.js';
import { fmtShape, shapeSize } from '../../shape.js';

const fmt = fmtShape;

/** Normalised, sorted reduction axes (all by default); the same errors as the GPU ops. */
export function reduceAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) throw new Error(`${op}: axis ${a} is out of range for rank ${rank}`);
    return n;
  });
  const uniq = [...new Set(out)].sort((a, b) => a - b);
  if (uniq.length !== out.length) throw new Error(`${op}: repeated axis in ${JSON.stringify(axes)}`);
  return uniq;
}

interface Layout {
  outShape: number[];
  nOut: number;
  nRed: number;
  /** For each input element: its output index and its index within the reduced group. */
  o: Int32Array;
  r: Int32Array;
}

function layout(shape: readonly number[], red: number[], keepDims: boolean): Layout {
  const kept = shape.map((_, i) => i).filter((i) => !red.includes(i));
  const outShape = keepDims ? shape.map((d, i) => (red.includes(i) ? 1 : d)) : kept.map((i) => shape[i]);
  const n = shapeSize(shape);
  const o = new Int32Array(n);
  const r = new Int32Array(n);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let oi = 0;
    let ri = 0;
    for (let d = 0; d < shape.length; d++) {
      if (red.includes(d)) ri = ri * shape[d] + idx[d];
      else oi = oi * shape[d] + idx[d];
    }
    o[i] = oi;
    r[i] = ri;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return {
    outShape,
    nOut: kept.reduce((a, i) => a * shape[i], 1),
    nRed: red.reduce((a, i) => a * shape[i], 1),
    o,
    r,
  };
}

/** Sum over `axes` (all by default). */
export function sum(x: CpuTensor, axes?: number | readonly number[], keepDims = false): CpuTensor {
  const L = layout(x.shape, reduceAxes('sum', axes, x.shape.length), keepDims);
  const out = new Float64Array(L.nOut);
  for (let i = 0; i < x.data.length; i++) out[L.o[i]] += x.data[i];
  return { shape: L.outShape, data: out };
}

/** Mean over `axes` (all by default). */
export function mean(x: CpuTensor, axes?: number | readonly number[], keepDims = false): CpuTensor {
  const s = sum(x, axes, keepDims);
  const nRed = x.data.length / Math.max(s.data.length, 1);
  return { shape: s.shape, data: s.data.map((v) => v / nRed) };
}

/** d sum / d x: g broadcast back to the input shape (g has the output shape, with or without kept dims). */
export function sumBackward(g: CpuTensor, inShape: readonly number[], axes?: number | readonly number[]): CpuTensor {
  const L = layout(inShape, reduceAxes('sum', axes, inShape.length), false);
  const out = new Float64Array(L.o.length);
  for (let i = 0; i < out.length; i++) out[i] = g.data[L.o[i]];
  return { shape: [...inShape], data: out };
}

export function meanBackward(g: CpuTensor, inShape: readonly number[], axes?: number | readonly number[]): CpuTensor {
  const s = sumBackward(g, inShape, axes);
  const L = layout(inShape, reduceAxes('mean', axes, inShape.length), false);
  return { shape: s.shape, data: s.data.map((v) => v / L.nRed) };
}

/** Max over `axes`, with the first arg-max (index within the reduced group, row-major) of each output. */
export function maxOverAxis(x: CpuTensor, axes: number | readonly number[], keepDims = false): { value: CpuTensor; index: Int32Array } {
  const L = layout(x.shape, reduceAxes('maxOverAxis', axes, x.shape.length), keepDims);
  if (L.nRed === 0) throw new Error(`maxOverAxis: empty axis in shape ${fmt(x.shape)}`);
  const out = new Float64Array(L.nOut).fill(-Infinity);
  const index = new Int32Array(L.nOut).fill(-1);
  // Input order visits each group's elements by increasing reduced index, so a strict '>' keeps the first.
  // A NaN is the maximum: the first NaN of a group wins (torch.max(dim)).
  for (let i = 0; i < x.data.length; i++) {
    const o = L.o[i];
    const v = x.data[i];
    if (index[o] < 0 || v > out[o] || (Number.isNaN(v) && !Number.isNaN(out[o]))) {
      out[o] = x.data[i];
      index[o] = L.r[i];
    }
  }
  return { value: { shape: L.outShape, data: out }, index };
}

/** The gradient goes to the first arg-max of each group. */
export function maxOverAxisBackward(g: CpuTensor, x: CpuTensor, axes: number | readonly number[]): CpuTensor {
  const { index } = maxOverAxis(x, axes);
  const L = layout(x.shape, reduceAxes('maxOverAxis', axes, x.shape.length), false);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) if (L.r[i] === index[L.o[i]]) out[i] = g.data[L.o[i]];
  return { shape: [...x.shape], data: out };
}

/** Sum `x` down to `shape` (the reverse of broadcasting). */
export function sumTo(x: CpuTensor, shape: readonly number[]): CpuTensor {
  const off = x.shape.length - shape.length;
  if (off < 0) throw new Error(`sumTo: cannot reduce ${fmt(x.shape)} to the larger rank of ${fmt(shape)}`);
  const red: number[] = [];
  for (let i = 0; i < x.shape.length; i++) {
    const d = i < off ? 1 : shape[i - off];
    if (i < off || (d === 1 && x.shape[i] !== 1)) red.push(i);
    else if (d !== x.shape[i]) throw new Error(`sumTo: ${fmt(x.shape)} does not broadcast from ${fmt(shape)}`);
  }
  const s = sum(x, red, false);
  return { shape: [...shape], data: s.data };
}
