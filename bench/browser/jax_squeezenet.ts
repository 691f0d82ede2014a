// SqueezeNet 1.1 (torchvision layout, NCHW) written with jax-js (@jax-js/jax) — the peer of `npm run bench --
// browser`. Weights come from the same state dict as gradsight's. jax-js arrays follow move semantics: every
// use consumes an array unless `.ref` is taken, so the parameters are passed as an argument tree with
// tree.ref() on each call. Functions are wrapped in jit (kernel fusion) once per batch size.
//
// Max pooling (3×3, stride 2; every SqueezeNet 1.1 pool input is odd-sized, 2·O + 1, so ceil and floor modes
// agree): 'slices' (default) takes the max of a reshaped pair of slices per axis (rows 2i and max(2i+1, 2i+2)),
// which jax-js differentiates cheaply; 'window' is lax.reduceWindow with np.max, the textbook JAX spelling,
// whose pool-transpose backward costs far more in jax-js 0.1.x.
import { jit, grad, lax, nn, numpy as np, tree, type Array as JArray } from '@jax-js/jax';

const FIRES: [number, number, number, number, number][] = [
  [3, 64, 16, 64, 64], [4, 128, 16, 64, 64], [6, 128, 32, 128, 128], [7, 256, 32, 128, 128],
  [9, 256, 48, 192, 192], [10, 384, 48, 192, 192], [11, 384, 64, 256, 256], [12, 512, 64, 256, 256],
];
const POOLS = [2, 5, 8];

export type JaxPool = 'slices' | 'window';
type Params = Record<string, JArray>;
export interface StateTensor { shape: number[]; data: Float32Array }

function conv(p: Params, x: JArray, name: string, stride = 1, pad = 0): JArray {
  const w = p[`${name}.weight`];
  const b = p[`${name}.bias`];
  const y = lax.conv(x, w, [stride, stride], [[pad, pad], [pad, pad]]);
  return nn.relu(y.add(b.reshape([1, -1, 1, 1])));
}

/** Max over rows 2i, 2i+1, 2i+2 along `axis` (length 2·O + 1) → O. */
function pool1d(x: JArray, axis: number): JArray {
  const L = x.shape[axis];
  const O = (L - 1) / 2;
  const idx = (lo: number, hi: number) => x.shape.map((_, i) => (i === axis ? [lo, hi] : [])) as [number, number][];
  const split = (t: JArray) => {
    const s = [...t.shape];
    s.splice(axis, 1, O, 2);
    return t.reshape(s);
  };
  const a = split(x.ref.slice(...idx(0, 2 * O))); // rows (2i, 2i+1)
  const even = a.slice(...(a.shape.map((_, i) => (i === axis + 1 ? 0 : [])) as (number | [])[])); // rows 2i
  const b = split(x.slice(...idx(1, L))); // rows (2i+1, 2i+2)
  return np.maximum(even, np.max(b, axis + 1));
}

function pool(x: JArray, mode: JaxPool): JArray {
  if (mode === 'window') return lax.reduceWindow(x, (w: JArray) => np.max(w), [1, 1, 3, 3], [1, 1, 2, 2]);
  return pool1d(pool1d(x, 2), 3);
}

function features(p: Params, x: JArray, mode: JaxPool): JArray {
  let h = conv(p, x, 'features.0', 2);
  for (const [i] of FIRES) {
    if (POOLS.includes(i - 1)) h = pool(h, mode);
    const s = conv(p, h, `features.${i}.squeeze`);
    h = np.concatenate([conv(p, s.ref, `features.${i}.expand1x1`), conv(p, s, `features.${i}.expand3x3`, 1, 1)], 1);
  }
  return h;
}

/** logits [N, 1000] */
function logits(p: Params, x: JArray, mode: JaxPool): JArray {
  const h = conv(p, features(p, x, mode), 'classifier.1');
  return np.mean(h, [2, 3]);
}

/**
 * Σᵢ score[i, cᵢ] with the classifier conv for the selected class of each image only (gradsight's
 * model.classScores shortcut): relu(Σ_c h[i, c] · W[cᵢ, c] + b[cᵢ]) averaged over positions.
 */
function scoreSum(x: JArray, p: Params, cls: JArray, mode: JaxPool): JArray {
  const h = features(p, x, mode); // [N, 512, 13, 13]
  const N = h.shape[0];
  const w = np.take(p['classifier.1.weight'].reshape([1000, 512]), cls.ref, 0).reshape([N, 512, 1, 1]);
  const b = np.take(p['classifier.1.bias'], cls, 0).reshape([N, 1, 1]);
  const s = nn.relu(np.sum(h.mul(w), 1).add(b)); // [N, 13, 13]
  return np.sum(np.mean(s, [1, 2]));
}

export class JaxSqueezeNet {
  private p: Params;
  private fwd: ReturnType<typeof jit>;
  private sal: ReturnType<typeof jit>;
  constructor(dict: Map<string, StateTensor>, readonly mode: JaxPool = 'slices') {
    this.p = {};
    for (const [name, t] of dict) {
      if (name.startsWith('features.') || name.startsWith('classifier.')) this.p[name] = np.array(t.data).reshape(t.shape);
    }
    this.fwd = jit((p: Params, x: JArray) => logits(p, x, mode));
    const g = grad((x: JArray, p: Params, cls: JArray) => scoreSum(x, p, cls, mode));
    // |∂ score / ∂x| max over channels → [N, H, W]
    this.sal = jit((x: JArray, p: Params, cls: JArray) => np.max(np.abs(g(x, p, cls)), 1));
  }

  /** logits of x [N, 3, H, W] (consumes x), as a Float32Array. */
  async forward(x: JArray): Promise<Float32Array> {
    const y = (this.fwd as unknown as (p: Params, x: JArray) => JArray)(tree.ref(this.p), x);
    return (await y.data()) as Float32Array;
  }

  /** Vanilla saliency [N, H, W] (consumes x and cls). */
  async saliency(x: JArray, cls: JArray): Promise<Float32Array> {
    const y = (this.sal as unknown as (x: JArray, p: Params, c: JArray) => JArray)(x, tree.ref(this.p), cls);
    return (await y.data()) as Float32Array;
  }

  dispose(): void {
    tree.dispose(this.p);
    (this.fwd as unknown as { dispose(): void }).dispose();
    (this.sal as unknown as { dispose(): void }).dispose();
  }
}
