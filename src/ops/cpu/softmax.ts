// CPU references (float64) for src/ops/softmax.ts: softmax and log-softmax along one axis (max-subtracted)
// and their gradients.
import type { CpuTensor } from './elementwise.js';

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** View the shape as [outer, K, inner] around `axis`: calls f(base, stride, K) once per row. */
function eachRow(op: string, shape: readonly number[], axis: number, f: (base: number, stride: number, K: number) => void): void {
  const a = normAxis(op, axis, shape.length);
  const K = shape[a];
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, a).reduce((p, d) => p * d, 1);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * K * inner + i, inner, K);
}

function rows(op: string, x: CpuTensor, axis: number, log: boolean): CpuTensor {
  const y = new Float64Array(x.data.length);
  eachRow(op, x.shape, axis, (base, st, K) => {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, x.data[base + k * st]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(x.data[base + k * st] - m);
    const ls = Math.log(s);
    for (let k = 0; k < K; k++) {
      const j = base + k * st;
      y[j] = log ? x.data[j] - m - ls : Math.exp(x.data[j] - m) / s;
    }
  });
  return { shape: [...x.shape], data: y };
}

/** exp(x - max) / Σ exp(x - max) along `axis` (default the last). */
export function softmax(x: CpuTensor, axis = -1): CpuTensor {
  return rows('softmax', x, axis, false);
}

/** (x - max) - log Σ exp(x - max) along `axis`. */
export function logSoftmax(x: CpuTensor, axis = -1): CpuTensor {
  return rows('logSoftmax', x, axis, true);
}

/** dx = y ⊙ (g − Σ_k g·y), from the softmax output y. */
export function softmaxBackward(g: CpuTensor, y: CpuTensor, axis = -1): CpuTensor {
  const gx = new Float64Array(y.data.length);
  eachRow('softmax', y.shape, axis, (base, st, K) => {
    let dotv = 0;
    for (let k = 0; k < K; k++) dotv += g.data[base + k * st] * y.data[base + k * st];
    for (let k = 0; k < K; k++) {
      const j = base + k * st;
      gx[j] = y.data[j] * (g.data[j] - dotv);
    }
  });
  return { shape: [...y.shape], data: gx };
}

/** dx = g − exp(y) · Σ_k g, from the log-softmax output y. */
export function logSoftmaxBackward(g: CpuTensor, y: CpuTensor, axis = -1): CpuTensor {
  const gx = new Float64Array(y.data.length);
  eachRow('logSoftmax', y.shape, axis, (base, st, K) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += g.data[base + k * st];
    for (let k = 0; k < K; k++) {
      const j = base + k * st;
      gx[j] = g.data[j] - Math.exp(y.data[j]) * s;
    }
  });
  return { shape: [...y.shape], data: gx };
}
