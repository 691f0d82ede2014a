// SqueezeNet 1.1 exactly as torchvision defines it, on the public tensor API.
//   features: conv 3→64 k3 s2, ReLU, maxpool 3/2 ceil, fire(64,16,64,64), fire(128,16,64,64), maxpool,
//             fire(128,32,128,128), fire(256,32,128,128), maxpool, fire(256,48,192,192), fire(384,48,192,192),
//             fire(384,64,256,256), fire(512,64,256,256)
//   classifier: dropout (identity at inference), conv 512→1000 k1, ReLU, global average pool, flatten.
import {
  conv2d, fireExpand, maxPool2d, globalAvgPool2d, concat, keep, takeRows, channelDot, add, relu, mean,
  type Device, type Tensor,
  shapeSize, fmtShape,
} from '../core.js';
import type { StateDict } from '../state_dict.js';


/** [name, in, squeeze, expand1x1, expand3x3] of the eight fire modules, by torchvision index. */
export const FIRES: readonly [number, number, number, number, number][] = [
  [3, 64, 16, 64, 64],
  [4, 128, 16, 64, 64],
  [6, 128, 32, 128, 128],
  [7, 256, 32, 128, 128],
  [9, 256, 48, 192, 192],
  [10, 384, 48, 192, 192],
  [11, 384, 64, 256, 256],
  [12, 512, 64, 256, 256],
];
const POOLS = [2, 5, 8];

/** Tensor names and shapes of torchvision's squeezenet1_1 state dict, in order. */
export function squeezeNetManifest(numClasses = 1000): [string, number[]][] {
  const m: [string, number[]][] = [
    ['features.0.weight', [64, 3, 3, 3]],
    ['features.0.bias', [64]],
  ];
  for (const [i, cin, s, e1, e3] of FIRES) {
    m.push([`features.${i}.squeeze.weight`, [s, cin, 1, 1]], [`features.${i}.squeeze.bias`, [s]]);
    m.push([`features.${i}.expand1x1.weight`, [e1, s, 1, 1]], [`features.${i}.expand1x1.bias`, [e1]]);
    m.push([`features.${i}.expand3x3.weight`, [e3, s, 3, 3]], [`features.${i}.expand3x3.bias`, [e3]]);
  }
  m.push(['classifier.1.weight', [numClasses, 512, 1, 1]], ['classifier.1.bias', [numClasses]]);
  return m;
}

/** Names of the layer outputs that forward() can capture, in network order (torchvision module names). */
/** The smallest input side the architecture takes (conv1 and three ceil-mode max pools leave at least 1×1). */
export const MIN_INPUT_SIZE = 17;

export const LAYER_NAMES: readonly string[] = (() => {
  const names = ['features.1']; // conv1 + ReLU (fused)
  for (const [i] of FIRES) {
    if (POOLS.includes(i - 1)) names.push(`features.${i - 1}`);
    names.push(`features.${i}.squeeze_activation`, `features.${i}`);
  }
  names.push('classifier.2', 'classifier.3', 'logits'); // conv 512→1000 + ReLU, global average pool, flattened
  return names;
})();

export interface ForwardOptions {
  /** Layer outputs to keep (names from LAYER_NAMES, or 'all'). They stay in the graph, so gradients w.r.t. them can be taken. */
  capture?: readonly string[] | 'all';
  /**
   * Compute each fire module's expand convs separately followed by a concat (the textbook graph) instead
   * of the fused kernel that writes both into one buffer. Same numbers; for tests and for teaching.
   */
  unfused?: boolean;
}

export interface ForwardResult {
  logits: Tensor;
  activations: Map<string, Tensor>;
}

export class SqueezeNet {
  readonly params: Map<string, Tensor>;
  readonly numClasses: number;
  private constructor(readonly device: Device, params: Map<string, Tensor>, numClasses: number) {
    this.params = params;
    this.numClasses = numClasses;
  }

  /**
   * Upload a torchvision-layout state dict. Every tensor the model needs must be present with the
   * expected shape; the error names the tensor and both shapes otherwise.
   */
  static fromStateDict(device: Device, dict: StateDict): SqueezeNet {
    const cls = dict.get('classifier.1.weight')?.shape[0] ?? 1000;
    const manifest = squeezeNetManifest(cls);
    const missing = manifest.filter(([n]) => !dict.has(n)).map(([n]) => n);
    if (missing.length) {
      throw new Error(`SqueezeNet 1.1: missing ${missing.length} of ${manifest.length} tensors: ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', ...' : ''}`);
    }
    for (const [n, shape] of manifest) {
      const t = dict.get(n)!;
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`SqueezeNet 1.1: tensor '${n}' has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
      }
      const size = shapeSize(shape);
      if (t.data.length !== size) throw new Error(`SqueezeNet 1.1: tensor '${n}' holds ${t.data.length} values for shape ${fmtShape(shape)}`);
      // A NaN or ±Infinity weight would turn every answer into NaN (or, through a max, a confident wrong one).
      let bad = -1, count = 0;
      for (let i = 0; i < size; i++) if (!Number.isFinite(t.data[i])) { if (bad < 0) bad = i; count++; }
      if (bad >= 0) {
        const index = shape.map((_, k) => Math.floor(bad / shapeSize(shape.slice(k + 1))) % shape[k]);
        throw new Error(`SqueezeNet 1.1: tensor '${n}' holds ${t.data[bad]} at index [${index.join(', ')}] (${count} non-finite value${count > 1 ? 's' : ''})`);
      }
    }
    const params = new Map<string, Tensor>();
    for (const [n, shape] of manifest) params.set(n, keep(device.tensor(dict.get(n)!.data, shape, { name: n })));
    return new SqueezeNet(device, params, cls);
  }

  /** Number of parameters (1,235,496 for ImageNet). */
  get parameterCount(): number {
    let n = 0;
    for (const t of this.params.values()) n += t.size;
    return n;
  }

  private p(name: string): Tensor {
    return this.params.get(name)!;
  }

  private checkInput(x: Tensor): void {
    if (x.shape.length !== 4 || x.shape[1] !== 3) {
      throw new Error(`SqueezeNet: input must have shape [N, 3, H, W]; got ${fmtShape(x.shape)}`);
    }
    const [, , H, W] = x.shape;
    if (H < MIN_INPUT_SIZE || W < MIN_INPUT_SIZE) throw new Error(`SqueezeNet: input ${H}×${W} is too small (the architecture needs at least ${MIN_INPUT_SIZE}×${MIN_INPUT_SIZE})`);
  }

  /**
   * The scores logits[i, classes[i]] ([N]) of one class per image, without the other classes' logits: the
   * classifier conv runs for the selected weight rows only (channelDot: each image's row over its features),
   * then ReLU and the average over positions, as forward() does for every class. Equal to
   * gatherRows(forward(x).logits, classes) up to float rounding (another summation order than the conv's);
   * the gradient w.r.t. x is that of those scores. What saliency and class visualization need,
   * at 1/1000 of the classifier's cost.
   */
  classScores(x: Tensor, classes: readonly number[]): Tensor {
    this.checkInput(x);
    const N = x.shape[0];
    if (classes.length !== N) throw new Error(`SqueezeNet.classScores: ${classes.length} class ids for a batch of ${N} images`);
    classes.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= this.numClasses) {
        throw new Error(`SqueezeNet.classScores: unknown class id ${c} for image ${i} (valid 0..${this.numClasses - 1})`);
      }
    });
    const f = this.features(x, {}).h; // [N, 512, h, w]
    const C = f.shape[1];
    const w = takeRows(this.p('classifier.1.weight').reshape([this.numClasses, C]), classes);
    const b = takeRows(this.p('classifier.1.bias').reshape([this.numClasses, 1]), classes).reshape([N, 1, 1]);
    return mean(relu(add(channelDot(f, w), b)), [1, 2]);
  }

  /** Logits [N, numClasses] for a normalized input batch [N, 3, H, W] (H, W ≥ 17). */
  forward(x: Tensor, opts: ForwardOptions = {}): ForwardResult {
    this.checkInput(x);
    const { h: f, cap, acts } = this.features(x, opts);
    let h = cap('classifier.2', conv2d(f, this.p('classifier.1.weight'), this.p('classifier.1.bias'), { activation: 'relu' }));
    h = cap('classifier.3', globalAvgPool2d(h));
    const logits = cap('logits', h.reshape([x.shape[0], this.numClasses]));
    return { logits, activations: acts };
  }

  /** The output of the last fire module [N, 512, h, w], with the captured layers up to there. */
  private features(x: Tensor, opts: ForwardOptions): { h: Tensor; cap: (name: string, t: Tensor) => Tensor; acts: Map<string, Tensor> } {
    const want = opts.capture === 'all' ? new Set(LAYER_NAMES) : new Set(opts.capture ?? []);
    for (const n of want) if (!LAYER_NAMES.includes(n)) throw new Error(`SqueezeNet: unknown layer '${n}' (known: ${LAYER_NAMES.join(', ')})`);
    const acts = new Map<string, Tensor>();
    const cap = (name: string, t: Tensor): Tensor => {
      if (want.has(name)) acts.set(name, t);
      return t;
    };
    const pool = (t: Tensor) => maxPool2d(t, { kernel: 3, stride: 2, ceilMode: true });

    let h = cap('features.1', conv2d(x, this.p('features.0.weight'), this.p('features.0.bias'), { stride: 2, activation: 'relu' }));
    for (const [i] of FIRES) {
      if (POOLS.includes(i - 1)) h = cap(`features.${i - 1}`, pool(h));
      const f = `features.${i}`;
      const s = cap(`${f}.squeeze_activation`, conv2d(h, this.p(`${f}.squeeze.weight`), this.p(`${f}.squeeze.bias`), { activation: 'relu' }));
      const w1 = this.p(`${f}.expand1x1.weight`), b1 = this.p(`${f}.expand1x1.bias`);
      const w3 = this.p(`${f}.expand3x3.weight`), b3 = this.p(`${f}.expand3x3.bias`);
      h = cap(f, opts.unfused
        ? concat([conv2d(s, w1, b1, { activation: 'relu' }), conv2d(s, w3, b3, { padding: 1, activation: 'relu' })], 1)
        : fireExpand(s, w1, b1, w3, b3));
    }
    return { h, cap, acts };
  }

  /** Logits only. */
  logits(x: Tensor): Tensor {
    return this.forward(x).logits;
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }
}

