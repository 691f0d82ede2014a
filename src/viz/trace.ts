// Gradient trace: for one image and class, how the input gradient is built layer by layer — each layer's
// activation statistics and the statistics of ∂score/∂activation, from the scores back to the input.
// ReLU and max-pool gating show up as the fraction of exact zeros in the gradient.
import { gatherRows, grad, sum, tidy, type Tensor } from '../core.js';
import { LAYER_NAMES } from '../nn/squeezenet.js';
import { checkClasses, checkInput, type Classifier } from './common.js';

export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Fraction of elements exactly 0. */
  zeros: number;
}

export interface TraceLayer {
  name: string;
  shape: number[];
  activation: TensorStats;
  gradient: TensorStats & { norm: number; maxAbs: number };
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

export async function gradientTrace(model: Classifier, x: Tensor, classId: number): Promise<GradientTrace> {
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
  const all = await Promise.all([...acts.map((t) => t.toArray()), ...grads.map((t) => t.toArray())]);
  const labels = ['input', ...names];
  for (let i = 0; i < labels.length; i++) {
    const a = all[i];
    const g = all[acts.length + i];
    let n2 = 0, ma = 0;
    for (let j = 0; j < g.length; j++) {
      n2 += g[j] * g[j];
      ma = Math.max(ma, Math.abs(g[j]));
    }
    layers.push({ name: labels[i], shape: [...acts[i].shape], activation: stats(a), gradient: { ...stats(g), norm: Math.sqrt(n2), maxAbs: ma } });
  }
  const sc = await score.item();
  for (const t of [...acts, ...grads, score]) t.dispose();
  return { classId, score: sc, layers: layers.reverse() };
}
