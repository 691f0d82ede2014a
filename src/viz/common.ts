// Shared pieces of the visualization algorithms: the model interface they need and pixel-space constants.
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/preprocess.js';
import { fmtShape, gatherRows, type Tensor } from '../core.js';
import type { ForwardOptions, ForwardResult } from '../nn/squeezenet.js';

/** What the algorithms need from a classifier: logits, and (for Grad-CAM and traces) captured layers. */
export interface Classifier {
  forward(x: Tensor, opts?: ForwardOptions): ForwardResult;
  readonly numClasses: number;
  /** Optional: logits[i, classes[i]] ([N]) without computing the other classes (SqueezeNet has it). */
  classScores?(x: Tensor, classes: readonly number[]): Tensor;
}

/** logits[i, classes[i]] ([N]): the model's classScores when it has one, else gathered from all logits. */
export function classScores(model: Classifier, x: Tensor, classes: readonly number[]): Tensor {
  return model.classScores ? model.classScores(x, classes) : gatherRows(model.forward(x).logits, classes);
}

/** The ImageNet normalization (one definition, in src/image/preprocess.ts). */
export const MEAN = IMAGENET_MEAN;
export const STD = IMAGENET_STD;
/** Per-channel bounds of the normalized input that deprocess into [0, 1]. */
export const LO = MEAN.map((m, c) => -m / STD[c]);
export const HI = MEAN.map((m, c) => (1 - m) / STD[c]);

export function checkClasses(what: string, classes: readonly number[], n: number, numClasses: number): void {
  if (classes.length !== n) throw new Error(`${what}: ${classes.length} class ids for a batch of ${n} images`);
  classes.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new Error(`${what}: unknown class id ${c} for image ${i} (valid 0..${numClasses - 1})`);
  });
}

export function checkInput(what: string, x: Tensor): void {
  if (x.shape.length !== 4 || x.shape[1] !== 3) throw new Error(`${what}: images must have shape [N, 3, H, W]; got ${fmtShape(x.shape)}`);
}

/** Seeded PRNG (mulberry32) for jitter offsets and other host-side choices. */
export function hostRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n seeded N(0, std²) values on the host (hostRng + Box–Muller): benchmark inputs and random weights. */
export function hostNormal(n: number, seed: number, std = 1): Float32Array {
  const u = hostRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u() + 1e-12)) * std;
    const th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** Row-wise softmax of logits on the CPU. */
export function softmaxRows(logits: Float32Array, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[i * k + j]);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(logits[i * k + j] - m);
    for (let j = 0; j < k; j++) out[i * k + j] = Math.exp(logits[i * k + j] - m) / s;
  }
  return out;
}

export function argmaxRows(v: Float32Array, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j] > v[i * k + b]) b = j;
    out.push(b);
  }
  return out;
}

/** Top-k (index, value) per row. */
export function topkRows(v: Float32Array, n: number, k: number, top: number): { index: number; value: number }[][] {
  const out: { index: number; value: number }[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(v.subarray(i * k, (i + 1) * k), (value, index) => ({ index, value }));
    row.sort((a, b) => b.value - a.value || a.index - b.index);
    out.push(row.slice(0, top));
  }
  return out;
}

/**
 * A score, gradient or map the algorithms computed is NaN or ±Inf (non-finite weights or inputs, or an overflow):
 * the algorithms stop with this error instead of drawing a map or taking another step.
 */
export class NonFiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

/** Number of NaN / ±Inf values in v[from, to). */
export function countNonFinite(v: ArrayLike<number>, from = 0, to = v.length): number {
  let k = 0;
  for (let i = from; i < to; i++) if (!Number.isFinite(v[i])) k++;
  return k;
}

/** 'NaN', 'Infinity' or '-Infinity'. */
function nonFiniteName(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * Throws NonFiniteError for the first image whose score is not finite: "<what>: the score of class c for image i
 * is NaN<where>".
 */
export function checkScores(what: string, scores: ArrayLike<number>, classes: readonly number[], where = ''): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new NonFiniteError(`${what}: the score of class ${classes[i]} for image ${i} is ${nonFiniteName(scores[i])}${where}`);
  }
}

/**
 * Throws NonFiniteError for the first image whose values (n images of `per` values each, e.g. a map) are not all
 * finite: "<what>: <subject> of image i has k non-finite values (of per)".
 */
export function checkFinite(what: string, subject: string, v: ArrayLike<number>, n: number, per: number): void {
  for (let i = 0; i < n; i++) {
    const k = countNonFinite(v, i * per, (i + 1) * per);
    if (k) throw new NonFiniteError(`${what}: ${subject} of image ${i} has ${k} non-finite values (of ${per})`);
  }
}
