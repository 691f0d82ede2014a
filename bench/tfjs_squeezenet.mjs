// SqueezeNet 1.1 (torchvision layout) written with TensorFlow.js ops, run by @tensorflow/tfjs-backend-webgpu on
// Dawn (the npm `webgpu` package) in Node — the peer that `npm run bench -- peers` compares gradsight against.
//
//   import { initTfjsWebGPU, TfjsSqueezeNet, tfjsWorkloads } from './tfjs_squeezenet.mjs';
//   const tf = await initTfjsWebGPU();            // tfjs on the same Dawn adapter gradsight uses
//   const net = new TfjsSqueezeNet(tf, seed);     // random weights ~N(0, 0.05) (timing only)
//   const w = tfjsWorkloads(tf, net, batch);      // { forward, saliency, foolingIter, classvizStep }: async, read back
//
// Layout: NHWC (tfjs' native layout; its WebGPU convs are written for it). Weights are generated in the
// torchvision shapes [Cout, Cin, kh, kw] and transposed to tfjs' [kh, kw, Cin, Cout], so a torchvision
// state dict can be loaded too (fromStateDict) — then the logits match PyTorch's up to float rounding.
// Max pooling is 3×3 / 2 with ceil mode: when ceil and floor disagree the input is padded with -∞ on the
// bottom/right before a 'valid' pool (at 224×224 they agree everywhere, so no padding happens).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const FIRES = [
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
export const MEAN = [0.485, 0.456, 0.406];
export const STD = [0.229, 0.224, 0.225];
export const LO = MEAN.map((m, c) => -m / STD[c]);
export const HI = MEAN.map((m, c) => (1 - m) / STD[c]);

/** torchvision squeezenet1_1 state-dict names and shapes. */
export function manifest(numClasses = 1000) {
  const m = [['features.0.weight', [64, 3, 3, 3]], ['features.0.bias', [64]]];
  for (const [i, cin, s, e1, e3] of FIRES) {
    m.push([`features.${i}.squeeze.weight`, [s, cin, 1, 1]], [`features.${i}.squeeze.bias`, [s]]);
    m.push([`features.${i}.expand1x1.weight`, [e1, s, 1, 1]], [`features.${i}.expand1x1.bias`, [e1]]);
    m.push([`features.${i}.expand3x3.weight`, [e3, s, 3, 3]], [`features.${i}.expand3x3.bias`, [e3]]);
  }
  m.push(['classifier.1.weight', [numClasses, 512, 1, 1]], ['classifier.1.bias', [numClasses]]);
  return m;
}

/** Seeded N(0, std²) values (mulberry32 + Box–Muller). */
export function randomNormal(n, seed, std = 1) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())) * std;
    const th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** A state dict (Map name → {shape, data}) of random weights ~N(0, std²), torchvision shapes. */
export function randomStateDict(seed = 1, std = 0.05) {
  const d = new Map();
  manifest().forEach(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    d.set(name, { shape, data: randomNormal(n, seed * 7919 + i, std) });
  });
  return d;
}

/**
 * tfjs-core's Node entry (CommonJS) has no gradients registered, and its ES modules use extension-less
 * imports Node cannot load: bundle core + all gradients + the WebGPU backend into one ES module (one copy of
 * the engine and kernel registry) with esbuild, cached under node_modules/.cache.
 */
async function tfjsBundle() {
  const outDir = join(ROOT, 'node_modules', '.cache', 'gradsight-bench');
  const outfile = join(outDir, 'tfjs-webgpu.mjs');
  const pkg = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu', 'package.json');
  if (process.env.GRADSIGHT_BENCH_NO_BUILD && existsSync(outfile)) return outfile;
  if (!existsSync(pkg)) {
    throw new Error('tfjs peer: @tensorflow/tfjs-backend-webgpu is not installed (npm i -D @tensorflow/tfjs-core@4.22 @tensorflow/tfjs-backend-webgpu@4.22)');
  }
  if (existsSync(outfile) && statSync(outfile).mtimeMs > statSync(pkg).mtimeMs) return outfile;
  mkdirSync(outDir, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: {
      contents: [
        "export * from '@tensorflow/tfjs-core';",
        "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
        "import '@tensorflow/tfjs-backend-webgpu';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

/**
 * Install Dawn's WebGPU into globalThis (navigator.gpu, GPUBufferUsage, ...) and load tfjs with its WebGPU
 * backend. The Dawn GPU object is kept referenced on globalThis for the life of the process.
 */
export async function initTfjsWebGPU() {
  const webgpu = await import('webgpu');
  for (const [k, v] of Object.entries(webgpu.globals)) if (!(k in globalThis)) globalThis[k] = v;
  if (!globalThis.navigator?.gpu) {
    const gpu = webgpu.create([]);
    globalThis.__dawnGPU = gpu; // keep alive
    Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu }, configurable: true, writable: true });
  }
  const tf = await import(pathToFileURL(await tfjsBundle()).href);
  // Quiet the "install tfjs-node" hint and the production-mode checks (no NaN scans: fair timing).
  tf.env().set('IS_TEST', false);
  tf.enableProdMode();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend failed to initialise on this adapter');
  await tf.ready();
  return tf;
}

/** Describe the adapter tfjs' backend runs on. */
export function tfjsAdapter(tf) {
  const b = tf.backend();
  const info = b.adapterInfo ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    timestampQuery: !!b.supportTimestampQuery,
  };
}

export class TfjsSqueezeNet {
  /** @param dict a torchvision-layout state dict (Map name → {shape, data}); random when omitted. */
  constructor(tf, dict = randomStateDict()) {
    this.tf = tf;
    this.p = new Map();
    for (const [name, shape] of manifest()) {
      const t = dict.get(name);
      if (!t) throw new Error(`tfjs SqueezeNet: missing tensor '${name}'`);
      if (t.shape.join() !== shape.join()) throw new Error(`tfjs SqueezeNet: tensor '${name}' has shape [${t.shape}], expected [${shape}]`);
      const v = tf.tensor(t.data, shape, 'float32');
      // [Cout, Cin, kh, kw] → [kh, kw, Cin, Cout]
      this.p.set(name, shape.length === 4 ? tf.keep(tf.transpose(v, [2, 3, 1, 0])) : tf.keep(v));
      if (shape.length === 4) v.dispose();
    }
  }

  conv(x, name, stride = 1, pad = 'valid') {
    const tf = this.tf;
    return tf.relu(tf.add(tf.conv2d(x, this.p.get(`${name}.weight`), stride, pad), this.p.get(`${name}.bias`)));
  }

  pool(x) {
    // 3×3 / 2, ceil mode (torchvision): pad bottom/right with -inf when ceil adds a window.
    const tf = this.tf;
    const [, h, w] = x.shape;
    const out = (n) => Math.ceil((n - 3) / 2) + 1;
    const ph = (out(h) - 1) * 2 + 3 - h;
    const pw = (out(w) - 1) * 2 + 3 - w;
    if (ph > 0 || pw > 0) x = tf.pad(x, [[0, 0], [0, Math.max(0, ph)], [0, Math.max(0, pw)], [0, 0]], -Infinity);
    return tf.maxPool(x, 3, 2, 'valid');
  }

  /** The last fire module's output [N, h, w, 512] for x [N, H, W, 3] (normalized). */
  features(x) {
    const tf = this.tf;
    let h = this.conv(x, 'features.0', 2);
    for (const [i] of FIRES) {
      if (POOLS.includes(i - 1)) h = this.pool(h);
      const s = this.conv(h, `features.${i}.squeeze`);
      h = tf.concat([this.conv(s, `features.${i}.expand1x1`), this.conv(s, `features.${i}.expand3x3`, 1, 'same')], 3);
    }
    return h;
  }

  /** logits [N, 1000] for x [N, H, W, 3] (normalized). */
  forward(x) {
    return this.tf.mean(this.conv(this.features(x), 'classifier.1'), [1, 2]);
  }

  /**
   * Each image's score of one class ([N]; `idx` an int32 tensor [N] of class ids), as gradsight's
   * SqueezeNet.classScores: relu(Σ_c h·W[:, cᵢ] + b[cᵢ]) averaged over positions — the classifier conv for the
   * one class only instead of all 1000 logits.
   */
  classScores(x, idx) {
    const tf = this.tf;
    const n = x.shape[0];
    const h = this.features(x); // [N, h, w, 512]
    const w = tf.transpose(tf.gather(tf.reshape(this.p.get('classifier.1.weight'), [512, -1]), idx, 1)); // [N, 512]
    const b = tf.gather(this.p.get('classifier.1.bias'), idx); // [N]
    const s = tf.relu(tf.add(tf.sum(tf.mul(h, tf.reshape(w, [n, 1, 1, 512])), 3), tf.reshape(b, [n, 1, 1])));
    return tf.mean(s, [1, 2]);
  }

  dispose() {
    for (const t of this.p.values()) t.dispose();
  }
}

/** Roll by (dy, dx) along H, W of an NHWC tensor (torch.roll semantics). */
function roll(tf, x, dy, dx) {
  const [, h, w] = x.shape;
  const r = (t, s, axis, n) => {
    s = ((s % n) + n) % n;
    if (s === 0) return t;
    const begin = t.shape.map(() => 0);
    const size = t.shape.map(() => -1);
    const a = [...begin]; a[axis] = n - s;
    const b = [...size]; b[axis] = s;
    const c = [...size]; c[axis] = n - s;
    return tf.concat([tf.slice(t, a, b), tf.slice(t, begin, c)], axis);
  };
  return r(r(x, dy, 1, h), dx, 2, w);
}

/** Separable Gaussian blur (radius int(4σ + 0.5) as gradsight and scipy; 'same' zero padding) per channel, NHWC. */
function gaussianBlur(tf, x, sigma) {
  const r = Math.max(1, Math.floor(4 * sigma + 0.5));
  const k = [];
  for (let i = -r; i <= r; i++) k.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  const c = x.shape[3];
  const taps = k.map((v) => v / s);
  const kx = tf.tensor4d(taps.flatMap((v) => Array(c).fill(v)), [1, 2 * r + 1, c, 1]);
  const ky = tf.tensor4d(taps.flatMap((v) => Array(c).fill(v)), [2 * r + 1, 1, c, 1]);
  return tf.depthwiseConv2d(tf.depthwiseConv2d(x, kx, 1, 'same'), ky, 1, 'same');
}

/**
 * The workloads of `gradsight bench`, in tfjs: each is an async function that runs one step and awaits a
 * read-back of its result.
 *   forward:      logits
 *   saliency:     |∂(Σ score[i, yᵢ]) / ∂x| max over channels ([N, H, W]); the scores by classScores (the
 *                 one-class shortcut, as gradsight's saliency)
 *   foolingIter:  x ← clamp(x + g / ‖g‖₂ · active) per image (one step of src/viz/fooling.ts; g of the target
 *                 scores, active = not yet classified as the target: all logits, as gradsight's fooling step)
 *   classvizStep: roll, ∂(score − λ‖x‖²)/∂x, x + lr·g, roll back, clamp, blur (a step that blurs, like step 0;
 *                 the score by classScores, as gradsight's class visualization)
 */
export function tfjsWorkloads(tf, net, batch, { size = 224, seed = 3 } = {}) {
  const n = batch;
  const x = tf.keep(tf.tensor4d(randomNormal(n * size * size * 3, seed), [n, size, size, 3]));
  const targets = Array.from({ length: n }, (_, i) => (i * 97 + 1) % 1000);
  const onehot = tf.keep(tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), 1000), 'float32')));
  const lo = tf.keep(tf.tensor4d(LO, [1, 1, 1, 3]));
  const hi = tf.keep(tf.tensor4d(HI, [1, 1, 1, 3]));
  const idx = tf.keep(tf.tensor1d(targets, 'int32'));
  const gradFn = tf.grad((xi) => tf.sum(net.classScores(xi, idx)));
  const x1 = tf.keep(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]));
  const idx1 = tf.keep(tf.slice(idx, [0], [1]));
  const cvGrad = tf.grad((xi) => tf.sub(tf.sum(net.classScores(xi, idx1)), tf.mul(tf.sum(tf.square(xi)), 1e-3)));
  let jit = 0;
  return {
    async forward() {
      const y = tf.tidy(() => net.forward(x));
      await y.data();
      y.dispose();
    },
    async saliency() {
      const m = tf.tidy(() => tf.max(tf.abs(gradFn(x)), 3));
      await m.data();
      m.dispose();
    },
    async foolingIter() {
      const y = tf.tidy(() => {
        // As src/viz/fooling.ts: step only the images not yet fooled (target score below the top score).
        let logits = null;
        const g = tf.grad((xi) => {
          logits = tf.keep(net.forward(xi));
          return tf.sum(tf.mul(logits, onehot));
        })(x);
        const tgt = tf.sum(tf.mul(logits, onehot), 1);
        const active = tf.cast(tf.greater(tf.max(logits, 1), tgt), 'float32');
        logits.dispose();
        const norm = tf.sqrt(tf.sum(tf.square(g), [1, 2, 3], true));
        const step = tf.mul(tf.div(g, tf.add(norm, 1e-12)), tf.reshape(active, [n, 1, 1, 1]));
        return tf.minimum(tf.maximum(tf.add(x, step), lo), hi);
      });
      await y.data();
      y.dispose();
    },
    async classvizStep() {
      jit = (jit + 5) % 17;
      const oy = jit, ox = (jit * 7) % 17;
      const y = tf.tidy(() => {
        const xi = roll(tf, x1, oy, ox);
        const g = cvGrad(xi);
        const stepped = roll(tf, tf.add(xi, tf.mul(g, 25)), -oy, -ox);
        return gaussianBlur(tf, tf.minimum(tf.maximum(stepped, lo), hi), 0.5);
      });
      await y.data();
      y.dispose();
    },
    dispose() {
      tf.dispose([x, onehot, idx, lo, hi, x1, idx1]);
    },
  };
}
