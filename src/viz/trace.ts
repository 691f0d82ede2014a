// Gradient trace: for one image and class, how the input gradient is built layer by layer — each layer's
// activation statistics and the statistics of ∂score/∂activation, from the scores back to the input.
// Gating shows up as exact zeros: a max pool passes gradient only to each window's maximum, so zeros appear
// in the gradient at a pool's input; a ReLU passes the gradient arriving at its output only where the unit
// is active, so its zeros appear after the gate (at the pre-activation: `gated`), not at the output.
import { gatherRows, grad, sum, tidy, type Tensor } from '../core.js';
import { LAYER_NAMES } from '../nn/squeezenet.js';
import { checkClasses, checkInput, countNonFinite, NonFiniteError, type Classifier } from './common.js';

export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Fraction of elements exactly 0. */
  zeros: number;
}

/** What produces a traced layer's output. */
export type TraceLayerKind = 'input' | 'relu' | 'maxpool' | 'avgpool' | 'flatten';

export interface TraceLayer {
  name: string;
  shape: number[];
  /** What produced this output: a ReLU (conv + ReLU, or a fire module's two expand ReLUs), a pool, … */
  kind: TraceLayerKind;
  /** The max pool this output feeds, if any (torchvision name); its gradient is routed to window maxima. */
  pooledBy: string | null;
  activation: TensorStats;
  /** ∂score/∂(this layer's output). */
  gradient: TensorStats & { norm: number; maxAbs: number };
  /**
   * ReLU layers: ∂score/∂(pre-activation) = gradient ⊙ [activation > 0], the gradient after the ReLU gate
   * (what flows on to the conv below). Null for other layers.
   */
  gated: (TensorStats & { norm: number; maxAbs: number }) | null;
  /** With `keepData`: the activation and the gradient, row-major in `shape`. */
  data?: { activation: Float32Array; gradient: Float32Array };
}

export interface TraceOptions {
  /** Return every layer's activation and gradient values (`TraceLayer.data`). */
  keepData?: boolean;
}

/** The kind of SqueezeNet layer output `name` (a LAYER_NAMES entry or 'input'). */
export function traceLayerKind(name: string): TraceLayerKind {
  if (name === 'input') return 'input';
  if (name === 'logits') return 'flatten';
  if (name === 'classifier.3') return 'avgpool';
  if (name === 'features.2' || name === 'features.5' || name === 'features.8') return 'maxpool';
  return 'relu';
}

export interface GradientTrace {
  classId: number;
  score: number;
  /** From the scores back to the input. */
  layers: TraceLayer[];
}

export function stats(v: Float32Array): TensorStats {
  let min = Infinity, max = -Infinity, s = 0, zeros = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
    s += x;
    if (x === 0) zeros++;
  }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(q / v.length), zeros: zeros / v.length };
}

function gradStats(g: Float32Array): TensorStats & { norm: number; maxAbs: number } {
  let n2 = 0, ma = 0;
  for (let j = 0; j < g.length; j++) {
    n2 += g[j] * g[j];
    ma = Math.max(ma, Math.abs(g[j]));
  }
  return { ...stats(g), norm: Math.sqrt(n2), maxAbs: ma };
}

export async function gradientTrace(model: Classifier, x: Tensor, classId: number, opts: TraceOptions = {}): Promise<GradientTrace> {
  checkInput('trace', x);
  if (x.shape[0] !== 1) throw new Error(`trace: one image at a time; got a batch of ${x.shape[0]}`);
  checkClasses('trace', [classId], 1, model.numClasses);
  const names = LAYER_NAMES;
  const { acts, grads, score } = tidy(() => {
    const xi = x.detach();
    xi.requiresGrad = true;
    const { logits, activations } = model.forward(xi, { capture: 'all' });
    const s = gatherRows(logits, [classId]);
    // Forward order (input first), reversed at the end: from the scores back to the input.
    const list = [xi, ...names.map((n) => activations.get(n)!)];
    const gs = grad(sum(s), list);
    return { acts: list, grads: gs, score: s };
  });
  const layers: TraceLayer[] = [];
  const all = await Promise.all([...acts.map((t) => t.toArray()), ...grads.map((t) => t.toArray()), score.toArray()]);
  const labels = ['input', ...names];
  const sc = all[all.length - 1][0];
  try {
    checkTraceFinite(labels, all.slice(0, acts.length), all.slice(acts.length, 2 * acts.length), sc, classId);
  } catch (e) {
    for (const t of [...acts, ...grads, score]) t.dispose();
    throw e;
  }
  for (let i = 0; i < labels.length; i++) {
    const a = all[i];
    const g = all[acts.length + i];
    const kind = traceLayerKind(labels[i]);
    const next = labels[i + 1];
    let gated = null;
    if (kind === 'relu') {
      const pre = new Float32Array(g.length);
      for (let j = 0; j < g.length; j++) pre[j] = a[j] > 0 ? g[j] : 0;
      gated = gradStats(pre);
    }
    layers.push({
      name: labels[i], shape: [...acts[i].shape], kind, pooledBy: next && traceLayerKind(next) === 'maxpool' ? next : null,
      activation: stats(a), gradient: gradStats(g), gated, ...(opts.keepData ? { data: { activation: a, gradient: g } } : {}),
    });
  }
  for (const t of [...acts, ...grads, score]) t.dispose();
  return { classId, score: sc, layers: layers.reverse() };
}

/**
 * NonFiniteError naming where NaN / Inf first appears: the score, else the first activation from the input up
 * that has non-finite values (where the forward pass goes wrong), else the first gradient from the scores down.
 */
function checkTraceFinite(labels: string[], acts: Float32Array[], grads: Float32Array[], score: number, classId: number): void {
  const what = (i: number) => (i === 0 ? 'the input' : `layer ${labels[i]}`);
  if (!Number.isFinite(score)) {
    const i = acts.findIndex((a) => countNonFinite(a) > 0);
    const where = i >= 0 ? `; the activation of ${what(i)} is the first with non-finite values (${countNonFinite(acts[i])} of ${acts[i].length})` : '';
    throw new NonFiniteError(`trace: the score of class ${classId} for image 0 is ${score}${where}`);
  }
  for (let i = acts.length - 1; i >= 0; i--) {
    const k = countNonFinite(grads[i]);
    if (k) throw new NonFiniteError(`trace: the gradient at ${what(i)} has ${k} non-finite values (of ${grads[i].length})`);
  }
  const i = acts.findIndex((a) => countNonFinite(a) > 0);
  if (i >= 0) throw new NonFiniteError(`trace: the activation of ${what(i)} has ${countNonFinite(acts[i])} non-finite values (of ${acts[i].length})`);
}
