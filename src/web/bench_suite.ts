// Bench measurements, no DOM: the model workloads (forward and vanilla saliency on a random-weight SqueezeNet 1.1,
// as `gradsight bench`; optionally alternating run by run with TensorFlow.js, see bench_tfjs.ts) and the per-layer
// conv kernel suite (every SqueezeNet 1.1 conv shape: forward, input gradient, weight gradient; as
// `npm run bench -- kernels`), gathered into one BenchResults record. The Bench view (bench.ts) runs it as a job,
// draws the record and downloads it; progress and warnings come back through callbacks.
import { conv2d, grad, tidy, noGrad, dispose, maxOverAxis, abs, shapeSize, type Device, type Tensor } from '../core.js';
import { SqueezeNet, squeezeNetManifest } from '../nn/squeezenet.js';
import { inputGradient } from '../viz/saliency.js';
import { hostNormal } from '../viz/common.js';
import { tilesFrom } from './tuning.js';
import { loadTfjs, tfjsPeer, type TfjsPeer } from './bench_tfjs.js';
import { currentConvTiles } from '../ops/conv_tune.js';

// name, Cin, H, Cout, K, stride, pad (SqueezeNet 1.1 at 224×224; the expand pairs occur twice in the network)
const CONVS: [string, number, number, number, number, number, number][] = [
  ['features.0', 3, 224, 64, 3, 2, 0],
  ['features.3.squeeze', 64, 55, 16, 1, 1, 0],
  ['features.4.squeeze', 128, 55, 16, 1, 1, 0],
  ['features.3/4.expand1x1', 16, 55, 64, 1, 1, 0],
  ['features.3/4.expand3x3', 16, 55, 64, 3, 1, 1],
  ['features.6.squeeze', 128, 27, 32, 1, 1, 0],
  ['features.7.squeeze', 256, 27, 32, 1, 1, 0],
  ['features.6/7.expand1x1', 32, 27, 128, 1, 1, 0],
  ['features.6/7.expand3x3', 32, 27, 128, 3, 1, 1],
  ['features.9.squeeze', 256, 13, 48, 1, 1, 0],
  ['features.10.squeeze', 384, 13, 48, 1, 1, 0],
  ['features.9/10.expand1x1', 48, 13, 192, 1, 1, 0],
  ['features.9/10.expand3x3', 48, 13, 192, 3, 1, 1],
  ['features.11.squeeze', 384, 13, 64, 1, 1, 0],
  ['features.12.squeeze', 512, 13, 64, 1, 1, 0],
  ['features.11/12.expand1x1', 64, 13, 256, 1, 1, 0],
  ['features.11/12.expand3x3', 64, 13, 256, 3, 1, 1],
  ['classifier.1', 512, 13, 1000, 1, 1, 0],
];
export const PASSES = ['forward', 'input-gradient', 'weight-gradient'] as const;
export type Pass = (typeof PASSES)[number];

export interface BenchOptions {
  batches?: number[];
  runs?: number;
  warmup?: number;
  kernels?: boolean;
  tfjs?: boolean;
}

export interface Stat { median_ms: number; min_ms: number; times: number[] }
export interface BenchResults {
  date: string;
  userAgent: string;
  adapter: unknown;
  tiles: unknown;
  tilesFrom: string;
  timing: { workloads: string; kernels: string };
  runs: number;
  warmup: number;
  weights: string;
  work: Record<string, string>;
  tfjs: { requested: boolean; version?: string; unavailable?: string };
  workloads: { workload: string; batch: number; gradsight: Stat; tfjs?: Stat; tfjs_over_gradsight?: number }[];
  kernels: { layer: string; shape: string; pass: Pass; ms: number; gflops: number; gbs: number; kernels: string }[];
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stat = (v: number[]): Stat => ({ median_ms: median(v), min_ms: Math.min(...v), times: v.map((x) => Math.round(x * 10) / 10) });


/** ms of one call of `fn`: GPU time from timestamps where the adapter has them, else batched wall time. */
async function measure(device: Device, fn: () => Tensor | Tensor[], runs: number, warmup: number): Promise<{ ms: number; kernels: string }> {
  const rt = device.runtime;
  const once = () => dispose(tidy(fn));
  for (let i = 0; i < warmup; i++) once();
  await device.sync();
  if (rt.hasTimestamps) {
    const per: number[] = [];
    let names = '';
    for (let r = 0; r < runs; r++) {
      rt.setProfiling(true);
      once();
      rt.setProfiling(false);
      const t = await rt.takeTimings();
      per.push(t.reduce((s, k) => s + k.ms, 0));
      const count = new Map<string, number>();
      for (const k of t) count.set(k.name, (count.get(k.name) ?? 0) + 1);
      names = [...count].map(([n, c]) => (c > 1 ? `${n}×${c}` : n)).join(' ');
    }
    return { ms: median(per), kernels: names };
  }
  const t0 = performance.now();
  for (let r = 0; r < runs; r++) once();
  await device.sync();
  return { ms: (performance.now() - t0) / runs, kernels: '' };
}

async function kernelSuite(device: Device, runs: number, status: (s: string) => void): Promise<BenchResults['kernels']> {
  const out: BenchResults['kernels'] = [];
  let seed = 11;
  const tensor = (shape: number[], requiresGrad = false) => device.tensor(hostNormal(shapeSize(shape), seed++, 0.5), shape, { requiresGrad });
  for (const [i, [layer, Cin, H, Cout, K, s, p]] of CONVS.entries()) {
    status(`conv kernels: ${layer} (${i + 1} of ${CONVS.length})`);
    const Ho = Math.floor((H + 2 * p - K) / s) + 1;
    const xs = [1, Cin, H, H], ws = [Cout, Cin, K, K];
    const nx = Cin * H * H, nw = Cout * Cin * K * K, ny = Cout * Ho * Ho;
    const flops = 2 * Cout * Ho * Ho * Cin * K * K;
    const shape = `x[${xs}] w[${ws}] s${s} p${p}`;
    const x = tensor(xs), w = tensor(ws), b = tensor([Cout]);
    const opts = { stride: s, padding: p, activation: 'relu' as const };
    const add = (pass: Pass, m: { ms: number; kernels: string }, bytes: number) => out.push({ layer, shape, pass, ms: m.ms, gflops: flops / m.ms / 1e6, gbs: bytes / m.ms / 1e6, kernels: m.kernels });
    add('forward', await measure(device, () => noGrad(() => conv2d(x, w, b, opts)), runs, 1), 4 * (nx + nw + Cout + ny));
    // Backward passes: the graph is built once; each run calls grad() on it.
    const xr = tensor(xs, true), wr = tensor(ws, true);
    const y = conv2d(xr, w, b, { stride: s, padding: p });
    const gy = tensor([1, Cout, Ho, Ho]);
    add('input-gradient', await measure(device, () => grad(y, [xr], gy), runs, 1), 4 * (ny + nw + nx));
    const y2 = conv2d(x, wr, b, { stride: s, padding: p });
    add('weight-gradient', await measure(device, () => grad(y2, [wr], gy), runs, 1), 4 * (ny + nx + nw));
    dispose(x, w, b, xr, wr, y, y2, gy);
  }
  return out;
}

let random: { dict: Map<string, { shape: number[]; data: Float32Array }>; model: SqueezeNet } | null = null;
let tfPeer: TfjsPeer | null = null;
const inputs = new Map<number, Float32Array>();
const input = (n: number) => {
  let x = inputs.get(n);
  if (!x) inputs.set(n, (x = hostNormal(n * 3 * 224 * 224, 3 + n)));
  return x;
};
const classesOf = (n: number) => Array.from({ length: n }, (_, i) => (i * 97 + 1) % 1000);

/** The random-weight SqueezeNet 1.1 on `device`, made once. */
function randomModel(device: Device): NonNullable<typeof random> {
  if (!random) {
    const dict = new Map(squeezeNetManifest().map(([name, shape], i) => [name, { shape: [...shape], data: hostNormal(shapeSize(shape), 7919 + i, 0.05) }]));
    random = { dict, model: SqueezeNet.fromStateDict(device, dict) };
  }
  return random;
}

/** The model workloads on batch x (n images), each read back: all logits, and the vanilla saliency maps. */
function modelSteps(model: SqueezeNet, x: Tensor, n: number): Record<'forward' | 'saliency', () => Promise<void>> {
  return {
    forward: async () => {
      const y = tidy(() => noGrad(() => model.logits(x)));
      await y.toArray();
      y.dispose();
    },
    saliency: async () => {
      const m = tidy(() => maxOverAxis(abs(inputGradient(model, x, classesOf(n))), 1));
      await m.toArray();
      m.dispose();
    },
  };
}

let stepInput: Tensor | null = null;

/** The saliency workload at batch 1 on the random-weight model: the whole-model check of a tuning (tuneAndStore). */
export function saliencyStep(device: Device): () => Promise<void> {
  stepInput ??= device.tensor(input(1), [1, 3, 224, 224]);
  return modelSteps(randomModel(device).model, stepInput, 1).saliency;
}

/**
 * Runs the model workloads for each batch size, then (unless `opts.kernels` is false) the conv kernel suite, on
 * `device`; `status` hears each step, `warn` hears why TensorFlow.js could not be loaded when it was asked for.
 */
export async function collectBench(device: Device, opts: BenchOptions, status: (s: string) => void, warn: (s: string) => void): Promise<BenchResults> {
  const batches = opts.batches ?? [1];
  const runs = opts.runs ?? 3;
  const warmup = opts.warmup ?? 1;
  const withKernels = opts.kernels ?? true;
  const withTfjs = opts.tfjs ?? false;
  const rt = device.runtime;
  rt.setProfiling(false);
  await rt.takeTimings();
  const model = randomModel(device).model;
  const tfjs: BenchResults['tfjs'] = { requested: withTfjs };
  if (withTfjs && !tfPeer) {
    status('loading TensorFlow.js…');
    try {
      tfPeer = tfjsPeer(await loadTfjs(), randomModel(device).dict, input, classesOf);
    } catch (e) {
      tfjs.unavailable = (e as Error).message;
      warn(tfjs.unavailable);
    }
  }
  const peer = withTfjs ? tfPeer : null;
  if (peer) tfjs.version = peer.version;
  const workloads: BenchResults['workloads'] = [];
  for (const n of batches) {
    const x = device.tensor(input(n), [n, 3, 224, 224]);
    const ours = modelSteps(model, x, n);
    for (const w of ['forward', 'saliency'] as const) {
      const fns: [string, () => Promise<void>][] = [['gradsight', ours[w]], ...(peer ? [['tfjs', peer[w](n)] as [string, () => Promise<void>]] : [])];
      for (const [e, f] of fns) {
        status(`${w} b${n}: ${e} warm-up`);
        for (let i = 0; i < warmup; i++) await f();
      }
      const times: Record<string, number[]> = Object.fromEntries(fns.map(([e]) => [e, []]));
      for (let r = 0; r < runs; r++) {
        for (let j = 0; j < fns.length; j++) {
          const [e, f] = fns[(j + r) % fns.length];
          status(`${w} b${n}: ${e} run ${r + 1} of ${runs}`);
          const t0 = performance.now();
          await f();
          times[e].push(performance.now() - t0);
        }
      }
      const row: BenchResults['workloads'][number] = { workload: `${w}_b${n}`, batch: n, gradsight: stat(times.gradsight) };
      if (times.tfjs) {
        row.tfjs = stat(times.tfjs);
        row.tfjs_over_gradsight = row.tfjs.median_ms / row.gradsight.median_ms;
      }
      workloads.push(row);
    }
    x.dispose();
  }
  const kernels = withKernels ? await kernelSuite(device, runs, status) : [];
  return {
    date: new Date().toISOString(),
    userAgent: navigator.userAgent,
    adapter: device.adapter,
    tiles: currentConvTiles(device),
    tilesFrom,
    timing: {
      workloads: 'wall time of one step, result read back; median of the runs after the warm-ups; engines alternate run by run',
      kernels: rt.hasTimestamps ? 'GPU time: sum of the per-dispatch timestamps of one call (timestamp-query), median of the runs' : 'batched wall time: the runs in one submit, synced, divided',
    },
    runs,
    warmup,
    weights: 'random N(0, 0.05) (timing does not depend on the values)',
    work: {
      forward: 'all 1000 logits of N 224×224 images, read back',
      saliency: "vanilla saliency with one-class scores (the classifier conv for the selected class only) in both engines; |∂score/∂x| max over channels, read back",
    },
    tfjs,
    workloads,
    kernels,
  };
}
