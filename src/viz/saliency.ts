// Saliency maps: how much each input pixel moves the class score.
//   vanilla:   |∂ score_y / ∂x|, max over the color channels (Simonyan et al. 2014; cs231n)
//   smoothgrad: the gradient averaged over n noisy copies x + N(0, σ²), σ = noise · (max x − min x) per image
//              (Smilkov et al. 2017), then |·| and the channel max
//   integrated-gradients: (x − x₀) ⊙ ∫₀¹ ∇score(x₀ + α(x − x₀)) dα by a Riemann (right) or trapezoid sum
//              over n steps from a baseline x₀ (Sundararajan et al. 2017), then |·| and the channel max
//   gradcam:   ReLU(Σ_c mean_hw(∂score/∂A_c) · A_c) on a layer A, bilinearly upsampled (Selvaraju et al. 2017)
import {
  abs, add, affine, gatherRows, grad, keep, maxOverAxis, mean, mul, neg, randn, sub, sum, tidy, gaussianBlur,
  fmtShape, type Tensor,
} from '../core.js';
import { checkClasses, checkFinite, checkInput, checkScores, classScores, LO, type Classifier } from './common.js';

export type SaliencyMethod = 'vanilla' | 'smoothgrad' | 'integrated-gradients' | 'gradcam';
export const SALIENCY_METHODS: readonly SaliencyMethod[] = ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'];

/** The defaults of SaliencyOptions (one definition: the CLI's help and JSON show these). */
export const SALIENCY_DEFAULTS = {
  method: 'vanilla', smoothgradSamples: 25, igSteps: 32, noise: 0.15, seed: 0, baseline: 'zeros', rule: 'riemann', blurSigma: 10, layer: 'features.12',
} as const;

export interface SaliencyOptions {
  method?: SaliencyMethod;
  /** SmoothGrad / Integrated Gradients: number of samples or steps (default 25 / 32). */
  samples?: number;
  /** SmoothGrad: noise σ as a fraction of each image's value range (default 0.15). */
  noise?: number;
  /** SmoothGrad: RNG seed (default 0). */
  seed?: number;
  /** Integrated Gradients: baseline ('zeros' = the all-zero network input, i.e. the mean image; 'black'; 'blur'). */
  baseline?: 'zeros' | 'black' | 'blur';
  /** Integrated Gradients: 'riemann' (right Riemann sum) or 'trapezoid'. */
  rule?: 'riemann' | 'trapezoid';
  /** Integrated Gradients with baseline 'blur': Gaussian sigma in pixels (default 10). */
  blurSigma?: number;
  /** Grad-CAM: the layer to explain (default the last fire module, features.12). */
  layer?: string;
  /** Called after each SmoothGrad sample / IG step (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SaliencyResult {
  method: SaliencyMethod;
  /** [N, H, W] row-major, non-negative. */
  maps: Float32Array;
  shape: [number, number, number];
  classes: number[];
  /** Integrated Gradients: per image, Σ attributions − (score(x) − score(x₀)) (completeness check). */
  completenessGap?: number[];
}

/** ∂(Σᵢ score[i, yᵢ]) / ∂x for a batch, as a tensor [N, 3, H, W]. */
export function inputGradient(model: Classifier, x: Tensor, classes: readonly number[]): Tensor {
  const { g, scores } = inputGradientAndScores(model, x, classes);
  scores.dispose();
  return g;
}

/** The input gradient and the scores [N] it is the gradient of (checked for NaN / Inf at the end). */
function inputGradientAndScores(model: Classifier, x: Tensor, classes: readonly number[]): { g: Tensor; scores: Tensor } {
  const [g, scores] = tidy(() => {
    const xi = x.detach();
    xi.requiresGrad = true;
    const s = classScores(model, xi, classes);
    return [grad(sum(s), [xi])[0], s.detach()];
  });
  return { g, scores };
}

/**
 * Reads the map [N, H, W] and the scores [N] back together (one wait) and raises NonFiniteError when a score
 * (`scoreWhere` says which evaluation: a sum over samples or steps is non-finite when one of them is) or the
 * map is NaN / ±Inf, before any map is drawn. No read-back inside the loops: the sums carry a non-finite
 * value to the end. Disposes both.
 */
async function finishChecked(
  method: SaliencyMethod, t: Tensor, scores: Tensor, classes: readonly number[], subject: string, scoreWhere = '',
): Promise<SaliencyResult> {
  const [s, maps] = await Promise.all([scores.toArray(), t.toArray()]);
  const [n, h, w] = t.shape;
  t.dispose();
  scores.dispose();
  const what = method === 'vanilla' ? 'saliency' : method;
  checkScores(what, s, classes, scoreWhere);
  checkFinite(what, subject, maps, n, h * w);
  return { method, maps, shape: [n, h, w], classes: [...classes] };
}

/** |g| max over channels → [N, H, W] */
function channelMaxAbs(g: Tensor): Tensor {
  return tidy(() => maxOverAxis(abs(g), 1));
}

export async function saliency(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions = {}): Promise<SaliencyResult> {
  checkInput('saliency', x);
  checkClasses('saliency', classes, x.shape[0], model.numClasses);
  const method = opts.method ?? SALIENCY_DEFAULTS.method;
  switch (method) {
    case 'vanilla': {
      const { g, scores } = inputGradientAndScores(model, x, classes);
      const m = channelMaxAbs(g);
      g.dispose();
      return finishChecked(method, m, scores, classes, 'the input gradient');
    }
    case 'smoothgrad':
      return smoothGrad(model, x, classes, opts);
    case 'integrated-gradients':
      return integratedGradients(model, x, classes, opts);
    case 'gradcam':
      return gradCam(model, x, classes, opts);
    default:
      throw new Error(`saliency: unknown method '${method}' (use ${SALIENCY_METHODS.join(', ')})`);
  }
}

/** Per-image value range (max − min) as [N, 1, 1, 1]. */
function valueRange(x: Tensor): Tensor {
  return tidy(() => {
    const mx = maxOverAxis(x, [1, 2, 3], { keepDims: true });
    const mn = neg(maxOverAxis(neg(x), [1, 2, 3], { keepDims: true }));
    return sub(mx, mn);
  });
}

async function smoothGrad(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions): Promise<SaliencyResult> {
  const { mean: g, scores } = smoothGradMean(model, x, classes, opts);
  const m = tidy(() => channelMaxAbs(g));
  g.dispose();
  return finishChecked('smoothgrad', m, scores, classes, 'the mean input gradient', SAMPLES_WHERE);
}

const SAMPLES_WHERE = ' in at least one noisy sample (their sum is not finite)';

/**
 * SmoothGrad's mean gradient over the noisy copies, [N, 3, H, W] (signed), and the sum of the scores over the
 * samples [N] (for the non-finite check); the caller disposes both.
 */
function smoothGradMean(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions): { mean: Tensor; scores: Tensor } {
  const n = opts.samples ?? SALIENCY_DEFAULTS.smoothgradSamples;
  const noise = opts.noise ?? SALIENCY_DEFAULTS.noise;
  const seed = opts.seed ?? SALIENCY_DEFAULTS.seed;
  if (!(n >= 1)) throw new Error(`smoothgrad: samples must be >= 1; got ${n}`);
  const sigma = keep(tidy(() => affine(valueRange(x), noise)));
  let acc: Tensor | null = null;
  let scoreSum: Tensor | null = null;
  for (let s = 0; s < n; s++) {
    const [next, nextScores] = tidy(() => {
      const eps = mul(randn(x.device, x.shape, smoothGradSeed(seed, s)), sigma);
      const { g, scores } = inputGradientAndScores(model, add(x, eps), classes);
      return [acc ? add(acc, g) : g, scoreSum ? add(scoreSum, scores) : scores];
    });
    acc?.dispose();
    scoreSum?.dispose();
    acc = keep(next);
    scoreSum = keep(nextScores);
    opts.onProgress?.(s + 1, n);
  }
  sigma.dispose();
  const mean = keep(tidy(() => affine(acc!, 1 / n)));
  acc!.dispose();
  return { mean, scores: scoreSum! };
}

/** The RNG seed of SmoothGrad sample s (documented so other frameworks can reproduce the noise). */
export function smoothGradSeed(seed: number, s: number): number {
  return (seed * 1000003 + s) >>> 0;
}

/** The IG baseline for x. */
export function igBaseline(x: Tensor, kind: 'zeros' | 'black' | 'blur', blurSigma: number = SALIENCY_DEFAULTS.blurSigma): Tensor {
  if (kind === 'zeros') return x.device.zeros(x.shape);
  if (kind === 'black') {
    const [n, c, h, w] = x.shape;
    const data = new Float32Array(n * c * h * w);
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) data.fill(LO[k], (i * c + k) * h * w, (i * c + k + 1) * h * w);
    return x.device.tensor(data, x.shape);
  }
  if (kind === 'blur') return gaussianBlur(x, blurSigma);
  throw new Error(`integrated-gradients: unknown baseline '${kind}' (use zeros, black or blur)`);
}

/** The (α, weight) pairs of the IG quadrature rule. */
export function igSchedule(steps: number, rule: 'riemann' | 'trapezoid'): [number, number][] {
  if (!(steps >= 1)) throw new Error(`integrated-gradients: steps must be >= 1; got ${steps}`);
  if (rule === 'riemann') return Array.from({ length: steps }, (_, k) => [(k + 1) / steps, 1 / steps]);
  if (rule === 'trapezoid') return Array.from({ length: steps + 1 }, (_, k) => [k / steps, k === 0 || k === steps ? 0.5 / steps : 1 / steps]);
  throw new Error(`integrated-gradients: unknown rule '${rule}' (use riemann or trapezoid)`);
}

async function integratedGradients(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions): Promise<SaliencyResult> {
  const { ig, gap, scores } = integratedGradientsAttribution(model, x, classes, opts);
  const attr = tidy(() => channelMaxAbs(ig));
  ig.dispose();
  const gapRead = gap.toArray(); // read back in the same wait as the map and the scores
  gap.dispose();
  const res = await finishChecked('integrated-gradients', attr, scores, classes, 'the attribution', IG_WHERE);
  return { ...res, completenessGap: Array.from(await gapRead) };
}

const IG_WHERE = ' at the input, the baseline or a step of the path (their sum is not finite)';

/**
 * IG's signed attributions (x − x₀) ⊙ mean gradient, [N, 3, H, W], the completeness gap per image [N], and the
 * sum of the scores at every step, the input and the baseline [N] (for the non-finite check).
 */
function integratedGradientsAttribution(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions): { ig: Tensor; gap: Tensor; scores: Tensor } {
  const sched = igSchedule(opts.samples ?? SALIENCY_DEFAULTS.igSteps, opts.rule ?? SALIENCY_DEFAULTS.rule);
  const base = keep(tidy(() => igBaseline(x, opts.baseline ?? SALIENCY_DEFAULTS.baseline, opts.blurSigma)));
  const delta = keep(tidy(() => sub(x, base)));
  let acc: Tensor | null = null;
  let scoreSum: Tensor | null = null;
  for (let k = 0; k < sched.length; k++) {
    const [alpha, w] = sched[k];
    const [next, nextScores] = tidy(() => {
      const { g, scores } = inputGradientAndScores(model, add(base, affine(delta, alpha)), classes);
      const gw = affine(g, w);
      return [acc ? add(acc, gw) : gw, scoreSum ? add(scoreSum, scores) : scores];
    });
    acc?.dispose();
    scoreSum?.dispose();
    acc = keep(next);
    scoreSum = keep(nextScores);
    opts.onProgress?.(k + 1, sched.length);
  }
  const [ig, gap, scores] = tidy(() => {
    const ig = mul(delta, acc!);
    const scoreX = classScores(model, x, classes);
    const scoreB = classScores(model, base, classes);
    const g = sub(sum(ig, [1, 2, 3]), sub(scoreX, scoreB));
    return [ig, g, add(scoreSum!, add(scoreX, scoreB))];
  });
  acc!.dispose();
  scoreSum!.dispose();
  base.dispose();
  delta.dispose();
  return { ig: keep(ig), gap: keep(gap), scores: keep(scores) };
}

async function gradCam(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions): Promise<SaliencyResult> {
  const cam = await gradCamSmall(model, x, classes, opts);
  return { method: 'gradcam', maps: upsampleCam(cam, x, true), shape: [cam.n, x.shape[2], x.shape[3]], classes: [...classes] };
}

/** The signed class activation map Σ_c mean_hw(∂score/∂A_c) · A_c at the layer's resolution, [N, h, w]. */
async function gradCamSmall(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions): Promise<{ data: Float32Array; n: number; h: number; w: number }> {
  const layer = opts.layer ?? SALIENCY_DEFAULTS.layer;
  const [cam, scores] = tidy(() => {
    const xi = x.detach();
    xi.requiresGrad = true; // so the captured activation is part of the graph
    const { logits, activations } = model.forward(xi, { capture: [layer] });
    const a = activations.get(layer)!;
    if (a.shape.length !== 4) throw new Error(`gradcam: layer '${layer}' has shape ${fmtShape(a.shape)}; a spatial layer [N, C, h, w] is needed`);
    const s = gatherRows(logits, classes);
    const [gA] = grad(sum(s), [a]);
    const alpha = mean(gA, [2, 3], { keepDims: true });
    return [sum(mul(a, alpha), 1), s.detach()];
  });
  const [n, h, w] = cam.shape;
  const [data, s] = await Promise.all([cam.toArray(), scores.toArray()]);
  cam.dispose();
  scores.dispose();
  checkScores('gradcam', s, classes);
  checkFinite('gradcam', `the class activation map (layer ${layer}: its activation or gradient is not finite)`, data, n, h * w);
  return { data, n, h, w };
}

/** The cam (ReLU'd first when `rectify`, as Grad-CAM's map) bilinearly upsampled to the input size. */
function upsampleCam(cam: { data: Float32Array; n: number; h: number; w: number }, x: Tensor, rectify: boolean): Float32Array {
  const { n, h, w } = cam;
  const src = rectify ? cam.data.map((v) => Math.max(0, v)) : cam.data;
  const H = x.shape[2], W = x.shape[3];
  const maps = new Float32Array(n * H * W);
  for (let i = 0; i < n; i++) bilinearResize(src.subarray(i * h * w, (i + 1) * h * w), h, w, maps.subarray(i * H * W, (i + 1) * H * W), H, W);
  return maps;
}

export interface AttributionResult extends SaliencyResult {
  /**
   * The signed attribution before |·| and the channel max: the input gradient (vanilla), the mean gradient
   * over the noisy copies (SmoothGrad) or (x − x₀) ⊙ mean gradient (Integrated Gradients), [N, 3, H, W];
   * for Grad-CAM the class activation map before its ReLU, upsampled, [N, 1, H, W].
   */
  signed: Float32Array;
  signedShape: [number, number, number, number];
}

/**
 * saliency() and the signed attribution it is made from, from one computation: `maps` equals what saliency()
 * returns with the same options (|signed| max over channels; for Grad-CAM ReLU(cam) upsampled), and
 * `signed` keeps the sign (positive: raising that pixel raises the score).
 */
export async function attribution(model: Classifier, x: Tensor, classes: readonly number[], opts: SaliencyOptions = {}): Promise<AttributionResult> {
  checkInput('attribution', x);
  checkClasses('attribution', classes, x.shape[0], model.numClasses);
  const method = opts.method ?? SALIENCY_DEFAULTS.method;
  const [n, , H, W] = x.shape;
  if (method === 'gradcam') {
    const cam = await gradCamSmall(model, x, classes, opts);
    return { method, maps: upsampleCam(cam, x, true), shape: [n, H, W], classes: [...classes], signed: upsampleCam(cam, x, false), signedShape: [n, 1, H, W] };
  }
  let raw: Tensor;
  let scores: Tensor;
  let gap: Tensor | null = null;
  let subject = 'the input gradient';
  let where = '';
  if (method === 'vanilla') ({ g: raw, scores } = inputGradientAndScores(model, x, classes));
  else if (method === 'smoothgrad') {
    ({ mean: raw, scores } = smoothGradMean(model, x, classes, opts));
    [subject, where] = ['the mean input gradient', SAMPLES_WHERE];
  } else if (method === 'integrated-gradients') {
    ({ ig: raw, gap, scores } = integratedGradientsAttribution(model, x, classes, opts));
    [subject, where] = ['the attribution', IG_WHERE];
  } else throw new Error(`attribution: unknown method '${method}' (use ${SALIENCY_METHODS.join(', ')})`);
  const m = tidy(() => channelMaxAbs(raw));
  // Everything read back in one wait; the checks run before anything is returned.
  const signedRead = raw.toArray();
  const gapRead = gap?.toArray();
  const signedShape = [...raw.shape] as [number, number, number, number];
  raw.dispose();
  gap?.dispose();
  const res = await finishChecked(method, m, scores, classes, subject, where);
  const [signed, gaps] = await Promise.all([signedRead, gapRead]);
  return { ...res, ...(gaps ? { completenessGap: Array.from(gaps) } : {}), signed, signedShape };
}

/** Bilinear resize with align_corners = false (as torch.nn.functional.interpolate). */
export function bilinearResize(src: Float32Array, h: number, w: number, dst: Float32Array, H: number, W: number): void {
  const sy = h / H, sx = w / W;
  for (let y = 0; y < H; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(Math.floor(fy), h - 1), y1 = Math.min(y0 + 1, h - 1), ly = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(Math.floor(fx), w - 1), x1 = Math.min(x0 + 1, w - 1), lx = fx - x0;
      dst[y * W + x] =
        (1 - ly) * ((1 - lx) * src[y0 * w + x0] + lx * src[y0 * w + x1]) + ly * ((1 - lx) * src[y1 * w + x0] + lx * src[y1 * w + x1]);
    }
  }
}
