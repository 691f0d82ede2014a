// Fooling images (cs231n): gradient ascent on the target class score until the model predicts the target.
// Each step: X ← clamp(X + lr · g / ‖g‖₂), the L2 norm per image, only for images not yet fooled; an image
// stops as soon as its prediction is the target. X stays inside the valid pixel range.
import {
  add, affine, clampChannels, concat, div, gatherRows, grad, greater, keep, maxOverAxis, mul, slice, softmax, sqrt, square, sum, tidy,
  type Tensor,
} from '../core.js';
import { argmaxRows, checkClasses, checkInput, countNonFinite, HI, LO, NonFiniteError, softmaxRows, STD, type Classifier } from './common.js';

export interface FoolingOptions {
  /** Step size (default 1). */
  lr?: number;
  /** At most this many steps per image (default 100). */
  maxIter?: number;
  /**
   * Called after each step with the iteration, the number of images still being pushed, and each image's
   * target probability at its latest forward pass.
   */
  onStep?: (iteration: number, remaining: number, targetProbs: readonly number[]) => void;
  /** Checked before each step: return true to stop early (e.g. a Stop button); the result so far is returned. */
  shouldStop?: () => boolean;
}

export interface FoolingImageReport {
  target: number;
  /** Steps taken (0 when the image was already classified as the target). */
  iterations: number;
  success: boolean;
  predicted: number;
  targetProb: number;
  /** Size of the change in 0–255 pixel units. */
  linf255: number;
  l2_255: number;
}

export interface FoolingResult {
  /** The fooled network inputs [N, 3, H, W] (normalized); the caller disposes it. */
  fooled: Tensor;
  reports: FoolingImageReport[];
}

/** The defaults of FoolingOptions (one definition: the CLI's help shows these). */
export const FOOLING_DEFAULTS = { lr: 1, maxIter: 100 } as const;

/**
 * One fooling step on a batch `xb` [a, 3, H, W] towards `targets` (one per image), to be called inside tidy():
 * `stepped` = clamp(xb + lr · g/‖g‖₂ · still), `still` [a] = 1 where the target score is below the top score
 * (that image is not fooled yet and moves), `pTarget` [a] = the target probabilities at xb.
 */
export function foolingStep(model: Classifier, xb: Tensor, targets: readonly number[], lr: number): { stepped: Tensor; still: Tensor; pTarget: Tensor } {
  const a = xb.shape[0];
  const xi = xb.detach();
  xi.requiresGrad = true;
  const logits = model.forward(xi).logits;
  const tgt = gatherRows(logits, targets);
  // Still to fool: the target score is below the top score (else this image is done, and not stepped).
  const still = greater(maxOverAxis(logits, 1), tgt);
  const [g] = grad(sum(tgt), [xi]);
  const norm = sqrt(sum(square(g), [1, 2, 3], { keepDims: true }));
  const step = mul(div(g, add(norm, 1e-12)), affine(still.reshape([a, 1, 1, 1]), lr));
  return { stepped: clampChannels(add(xb, step), LO, HI), still, pTarget: gatherRows(softmax(logits, 1), targets) };
}

export async function makeFoolingImages(model: Classifier, x: Tensor, targets: readonly number[], opts: FoolingOptions = {}): Promise<FoolingResult> {
  checkInput('fool', x);
  const n = x.shape[0];
  checkClasses('fool', targets, n, model.numClasses);
  const lr = opts.lr ?? FOOLING_DEFAULTS.lr;
  const maxIter = opts.maxIter ?? FOOLING_DEFAULTS.maxIter;
  if (!(maxIter >= 0)) throw new Error(`fool: maxIter must be >= 0; got ${maxIter}`);

  // Each image is stepped until the model predicts its target; finished images leave the batch, so the work
  // is the sum of the images' iteration counts, not N × the slowest one.
  const imgs: Tensor[] = Array.from({ length: n }, (_, i) => keep(tidy(() => clampChannels(slice(x, 0, i, i + 1), LO, HI))));
  const done = new Array<boolean>(n).fill(false);
  const iters = new Array<number>(n).fill(0);
  const lastProb = new Array<number>(n).fill(0);
  for (let it = 0; it < maxIter; it++) {
    const active = done.flatMap((d, i) => (d ? [] : [i]));
    if (!active.length || opts.shouldStop?.()) break;
    const tg = active.map((i) => targets[i]);
    const [stepped, moving, pTarget] = tidy(() => {
      const xb = active.length === 1 ? imgs[active[0]] : concat(active.map((i) => imgs[i]), 0);
      const r = foolingStep(model, xb, tg, lr);
      return [r.stepped, r.still, r.pTarget];
    });
    const [mv, pt] = await Promise.all([moving.toArray(), pTarget.toArray()]);
    moving.dispose();
    pTarget.dispose();
    // pTarget is NaN when the image's scores are (a NaN or +Inf logit): checked on the values already read
    // back, before the image is stepped or counted as fooled.
    const bad = active.findIndex((_, j) => !Number.isFinite(pt[j]));
    if (bad >= 0) {
      stepped.dispose();
      const i = active[bad];
      const why = it === 0 ? '' : await stepCause(imgs[i]);
      for (const t of imgs) t.dispose();
      throw new NonFiniteError(`fool: the scores of image ${i} are not finite at step ${it + 1} (target probability ${pt[bad]})${why}`);
    }
    active.forEach((i, j) => {
      lastProb[i] = pt[j];
      if (mv[j] === 0) {
        done[i] = true;
        return;
      }
      iters[i]++;
      imgs[i].dispose();
      imgs[i] = keep(tidy(() => slice(stepped, 0, j, j + 1)));
    });
    stepped.dispose();
    opts.onStep?.(it + 1, done.filter((d) => !d).length, lastProb);
  }
  const X = keep(tidy(() => concat(imgs, 0)));
  for (const t of imgs) t.dispose();

  // Final predictions, and the size of the change in pixel units.
  const logits = tidy(() => model.forward(X).logits);
  const [lg, x0, xf] = await Promise.all([logits.toArray(), x.toArray(), X.toArray()]);
  logits.dispose();
  const per = xf.length / n;
  for (let i = 0; i < n; i++) {
    const bad = countNonFinite(xf, i * per, (i + 1) * per);
    if (bad) {
      X.dispose();
      throw new NonFiniteError(`fool: image ${i} has ${bad} non-finite pixels after ${iters[i]} steps (the input gradient of a step was not finite)`);
    }
    const badScores = countNonFinite(lg, i * model.numClasses, (i + 1) * model.numClasses);
    if (badScores) {
      X.dispose();
      throw new NonFiniteError(`fool: ${badScores} scores of image ${i} are not finite after ${iters[i]} steps`);
    }
  }
  const its = iters;
  const k = model.numClasses;
  const probs = softmaxRows(lg, n, k);
  const pred = argmaxRows(lg, n, k);
  const [, c, h, w] = x.shape;
  const reports: FoolingImageReport[] = [];
  for (let i = 0; i < n; i++) {
    let linf = 0;
    let l2 = 0;
    for (let ch = 0; ch < c; ch++) {
      const s = STD[ch] * 255;
      for (let j = (i * c + ch) * h * w, e = j + h * w; j < e; j++) {
        const d = (xf[j] - x0[j]) * s;
        linf = Math.max(linf, Math.abs(d));
        l2 += d * d;
      }
    }
    reports.push({
      target: targets[i],
      iterations: its[i],
      success: pred[i] === targets[i],
      predicted: pred[i],
      targetProb: probs[i * k + targets[i]],
      linf255: linf,
      l2_255: Math.sqrt(l2),
    });
  }
  return { fooled: X, reports };
}

/** Why an image's scores became non-finite after steps: its pixels are (a step's gradient was not finite), or not. */
async function stepCause(img: Tensor): Promise<string> {
  const v = await img.toArray();
  const k = countNonFinite(v);
  return k ? `: the previous step made ${k} of its pixels non-finite (the input gradient was not finite)` : '';
}
