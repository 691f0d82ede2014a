// Fooling images (cs231n): gradient ascent on the target class score until the model predicts the target.
// Each step: X ← clamp(X + lr · g / ‖g‖₂), the L2 norm per image, only for images not yet fooled; an image
// stops as soon as its prediction is the target. X stays inside the valid pixel range.
import {
  add, affine, clampChannels, div, gatherRows, grad, greater, keep, maxOverAxis, mul, sqrt, square, sum, tidy,
  type Tensor,
} from '../core.js';
import { argmaxRows, checkClasses, checkInput, HI, LO, softmaxRows, STD, type Classifier } from './common.js';

export interface FoolingOptions {
  /** Step size (default 1). */
  lr?: number;
  /** At most this many steps per image (default 100). */
  maxIter?: number;
  /** Called after each step with the iteration and the number of images still being pushed. */
  onStep?: (iteration: number, remaining: number) => void;
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

export async function makeFoolingImages(model: Classifier, x: Tensor, targets: readonly number[], opts: FoolingOptions = {}): Promise<FoolingResult> {
  checkInput('fool', x);
  const n = x.shape[0];
  checkClasses('fool', targets, n, model.numClasses);
  const lr = opts.lr ?? 1;
  const maxIter = opts.maxIter ?? 100;
  if (!(maxIter >= 0)) throw new Error(`fool: maxIter must be >= 0; got ${maxIter}`);

  let X = keep(tidy(() => clampChannels(x, LO, HI)));
  let iters = keep(x.device.zeros([n]));
  for (let it = 0; it < maxIter; it++) {
    const [nextX, nextIters, remaining] = tidy(() => {
      const xi = X.detach();
      xi.requiresGrad = true;
      const logits = model.forward(xi).logits;
      const tgt = gatherRows(logits, targets);
      // Still to fool: the target score is below the top score.
      const active = greater(maxOverAxis(logits, 1), tgt);
      const [g] = grad(sum(tgt), [xi]);
      const norm = sqrt(sum(square(g), [1, 2, 3], { keepDims: true }));
      const step = mul(div(g, add(norm, 1e-12)), affine(active.reshape([n, 1, 1, 1]), lr));
      return [clampChannels(add(X, step), LO, HI), add(iters, active), sum(active)];
    });
    X.dispose();
    iters.dispose();
    X = keep(nextX);
    iters = keep(nextIters);
    const left = await remaining.item();
    remaining.dispose();
    opts.onStep?.(it + 1, left);
    if (left === 0) break;
  }

  // Final predictions, and the size of the change in pixel units.
  const logits = tidy(() => model.forward(X).logits);
  const [lg, its, x0, xf] = await Promise.all([logits.toArray(), iters.toArray(), x.toArray(), X.toArray()]);
  logits.dispose();
  iters.dispose();
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
