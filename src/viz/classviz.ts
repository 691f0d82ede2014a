// Class visualization (cs231n, after Simonyan et al. 2014 and Yosinski et al. 2015): starting from seeded
// noise, repeat: jitter (roll by up to `jitter` pixels), one gradient-ascent step on
// score_target − l2 · ‖img‖², undo the jitter, clamp each channel to the range that deprocesses into [0, 1],
// and every `blurEvery` iterations blur with a Gaussian of `blurSigma`.
import {
  add, affine, clampChannels, div, gaussianBlur, grad, keep, randn, roll, sqrt, square, sub, sum, tidy,
  type Device, type Tensor,
} from '../core.js';
import { HI, LO, classScores, countNonFinite, hostRng, NonFiniteError, type Classifier } from './common.js';

export interface ClassVizOptions {
  iterations?: number;
  l2?: number;
  lr?: number;
  blurEvery?: number;
  blurSigma?: number;
  jitter?: number;
  seed?: number;
  normalizeGrad?: boolean;
  /** Image size (default 224). */
  size?: number;
  /** Read the target score back every this many iterations for onStep (default 10; 0 = never). */
  scoreEvery?: number;
  onStep?: (iteration: number, score: number | null) => void;
  /** Called with the current image every `frameEvery` iterations (and at the end). */
  onFrame?: (iteration: number, image: Tensor) => Promise<void> | void;
  frameEvery?: number;
}

export interface ClassVizResult {
  /** [1, 3, size, size], normalized network input; the caller disposes it. */
  image: Tensor;
  target: number;
  /** The jitter offsets used, [oy, ox] per iteration (reproducible from the seed). */
  offsets: [number, number][];
}

export const CLASSVIZ_DEFAULTS = { iterations: 100, l2: 1e-3, lr: 25, blurEvery: 10, blurSigma: 0.5, jitter: 16, seed: 0, size: 224 } as const;

/** The seeded initial image: standard normal noise [1, 3, size, size]. */
export function classVizInit(device: Device, size: number, seed: number): Tensor {
  return randn(device, [1, 3, size, size], seed);
}

/**
 * One class-visualization step, to be called inside tidy(): roll `img` [N, 3, H, W] by (oy, ox), one gradient
 * ascent step on Σ score[i, classes[i]] − l2 · ‖x‖², roll back, clamp to the valid pixel range, and blur with
 * `blurSigma` when it is given. Returns the next image (detached) and the scores [N] at the rolled image.
 */
export function classVizStep(
  model: Classifier, img: Tensor, classes: readonly number[],
  o: { oy: number; ox: number; l2: number; lr: number; normalizeGrad?: boolean; blurSigma?: number | null },
): { next: Tensor; score: Tensor } {
  const xi = roll(img, o.oy, o.ox).detach();
  xi.requiresGrad = true;
  const s = classScores(model, xi, classes);
  const objective = sub(sum(s), affine(sum(square(xi)), o.l2));
  let [g] = grad(objective, [xi]);
  if (o.normalizeGrad) g = div(g, add(sqrt(sum(square(g))), 1e-12));
  let y = clampChannels(roll(add(xi, affine(g, o.lr)), -o.oy, -o.ox), LO, HI);
  if (o.blurSigma != null) y = gaussianBlur(y, o.blurSigma);
  return { next: y.detach(), score: s };
}

export async function classVisualization(model: Classifier, device: Device, target: number, opts: ClassVizOptions = {}): Promise<ClassVizResult> {
  const o = { ...CLASSVIZ_DEFAULTS, ...opts };
  if (!Number.isInteger(target) || target < 0 || target >= model.numClasses) throw new Error(`classviz: unknown class id ${target} (valid 0..${model.numClasses - 1})`);
  if (!(o.iterations >= 0)) throw new Error(`classviz: iterations must be >= 0; got ${o.iterations}`);
  if (!(o.jitter >= 0) || o.jitter >= o.size) throw new Error(`classviz: jitter must be in [0, ${o.size}); got ${o.jitter}`);
  const rand = hostRng(o.seed ^ 0x9e3779b9);
  const offsets: [number, number][] = [];
  let img = keep(classVizInit(device, o.size, o.seed));
  const scoreEvery = opts.scoreEvery ?? 10;
  const frameEvery = opts.frameEvery ?? 0;
  for (let t = 0; t < o.iterations; t++) {
    const ox = Math.floor(rand() * (o.jitter + 1));
    const oy = Math.floor(rand() * (o.jitter + 1));
    offsets.push([oy, ox]);
    const [next, score] = tidy(() => {
      const blur = o.blurEvery > 0 && t % o.blurEvery === 0;
      const r = classVizStep(model, img, [target], { oy, ox, l2: o.l2, lr: o.lr, normalizeGrad: o.normalizeGrad, blurSigma: blur ? o.blurSigma : null });
      return [r.next, r.score];
    });
    img.dispose();
    img = keep(next);
    // The score is read back every scoreEvery iterations, and the image's sum before a frame is handed out and
    // at the end: a NaN / Inf stops the loop there (no read-back on the other iterations).
    const frame = !!opts.onFrame && frameEvery > 0 && (t + 1) % frameEvery === 0;
    const scoreDue = scoreEvery > 0 && ((t + 1) % scoreEvery === 0 || t === o.iterations - 1);
    const value = scoreDue ? await score.item() : null;
    score.dispose();
    if (value !== null && !Number.isFinite(value)) {
      const why = await pixelsCause(img);
      img.dispose();
      throw new NonFiniteError(`classviz: the score of class ${target} is ${value} at iteration ${t + 1}${why}`);
    }
    opts.onStep?.(t + 1, value);
    if (frame) {
      await checkImage(img, `at iteration ${t + 1}`);
      await opts.onFrame!(t + 1, img);
    }
  }
  await checkImage(img, `after ${o.iterations} iterations`);
  return { image: img, target, offsets };
}

/** NonFiniteError (disposing img) when the image holds NaN / Inf: a step's gradient was not finite. */
async function checkImage(img: Tensor, when: string): Promise<void> {
  const total = tidy(() => sum(img));
  const v = await total.item();
  total.dispose();
  if (Number.isFinite(v)) return;
  const why = await pixelsCause(img);
  img.dispose();
  throw new NonFiniteError(`classviz: the image is not finite ${when}${why || ' (its sum overflows)'}`);
}

/** ": k of its pixels are non-finite (...)" when the image holds NaN / Inf (a step's gradient was not finite). */
async function pixelsCause(img: Tensor): Promise<string> {
  const k = countNonFinite(await img.toArray());
  return k ? `: ${k} of the image's pixels are not finite (the input gradient of a step was not finite)` : '';
}
