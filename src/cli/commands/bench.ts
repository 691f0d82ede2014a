// `gradsight bench`: time the four workloads the visualizations are made of, at one batch size.
//   forward          logits of N images (224×224)
//   saliency         vanilla saliency: forward, ∂(Σ score[i, yᵢ])/∂x (viz inputGradient), |·|, max over channels
//   fooling_iter     one step of src/viz/fooling.ts (its foolingStep): forward, target scores and probabilities,
//                    still-active mask, gradient, x ← clampChannels(x + lr · g/‖g‖₂ · active)
//   classviz_step    one step of src/viz/classviz.ts (its classVizStep, default settings): roll by a jitter,
//                    forward, ∂(score − l2‖x‖²)/∂x, x + lr·g, roll back, clampChannels, gaussianBlur (the step
//                    that blurs — classviz blurs on steps 0, 10, 20, ...) — at batch N (the algorithm uses 1)
// Each run awaits a read-back of its output; median and min over --runs after --warmup. Host cost per step
// (host_ms): the JavaScript from the start of the step to the return of its queue.submit, without the GPU work,
// the read-back or the wait. --profile adds GPU timestamps per kernel (gpu_ms, gpu_conv_ms, gpu_kernels_ms). Per workload the
// peak pool allocation (the pool is trimmed before it, so the peak is the weights plus the workload's own
// buffers) and GFLOP/s from the convolution shapes (forward ≈ 0.70 GFLOP per 224×224 image; workloads with
// an input gradient count 2× the forward).
import { existsSync } from 'node:fs';
import { abs, currentConvTiles, maxOverAxis, noGrad, shapeSize, tidy, type Device, type Tensor } from '../../core.js';
import { SqueezeNet, FIRES, squeezeNetManifest } from '../../nn/squeezenet.js';
import type { StateDict } from '../../state_dict.js';
import { hostNormal, hostRng } from '../../viz/common.js';
import { inputGradient } from '../../viz/saliency.js';
import { foolingStep, FOOLING_DEFAULTS } from '../../viz/fooling.js';
import { classVizStep, CLASSVIZ_DEFAULTS as CV } from '../../viz/classviz.js';
import { LIMITS, UsageError, int, parse, str, type Command } from '../args.js';
import { getDevice, getModel, tilesSource } from '../context.js';
import { JSON_OPTION, WEIGHTS_OPTION } from './common.js';

export const BENCH_WORKLOADS = ['forward', 'saliency', 'fooling', 'classviz'] as const;
export type BenchWorkload = (typeof BENCH_WORKLOADS)[number];
const KEY: Record<BenchWorkload, string> = { forward: 'forward', saliency: 'saliency', fooling: 'fooling_iter', classviz: 'classviz_step' };

export interface BenchStat {
  median_ms: number;
  min_ms: number;
  runs: number;
  /** Median ms divided by the batch size. */
  per_image_ms: number;
  /** Highest pool allocation during the workload (weights included), bytes. */
  peak_bytes: number;
  /** Convolution GFLOP of one run. */
  gflop: number;
  /** gflop / median seconds. */
  gflop_per_s: number;
  /**
   * Host-side cost of one step, ms (median and min over the runs): the JavaScript that builds the step's graph
   * and records its dispatches (bind groups, uniforms, passes) up to and including the queue.submit of its
   * command buffer; not the GPU's work, the read-back or the wait for it.
   */
  host_ms: number;
  host_min_ms: number;
  /** The part of host_ms before the submit: building the graph and recording the dispatches (median). */
  record_ms: number;
  /** Compute dispatches recorded per step. */
  dispatches: number;
  /**
   * With --profile on an adapter with timestamp queries: GPU time of one step (the sum of its dispatches'
   * timestamps, each dispatch in its own pass; median over 5 profiled runs after the timed ones), in total,
   * of the conv kernels (conv2d_*), and per kernel name.
   */
  gpu_ms?: number;
  gpu_conv_ms?: number;
  gpu_kernels_ms?: Record<string, number>;
}

/** GPU time per kernel name of one step, median over `runs` profiled runs (see BenchStat.gpu_ms). */
export async function profileStep(device: Device, step: BenchStep, runs = 5): Promise<{ total: number; conv: number; kernels: Record<string, number> } | null> {
  const rt = device.runtime;
  if (!rt.setProfiling(true)) return null;
  const perRun: Map<string, number>[] = [];
  try {
    for (let r = 0; r < runs + 1; r++) {
      const out = step();
      await out.toArray();
      out.dispose();
      const t = await rt.takeTimings();
      if (r === 0) continue; // the first profiled run pays for the extra passes' setup
      const m = new Map<string, number>();
      for (const { name, ms } of t) m.set(name, (m.get(name) ?? 0) + ms);
      perRun.push(m);
    }
  } finally {
    rt.setProfiling(false);
  }
  const names = [...new Set(perRun.flatMap((m) => [...m.keys()]))];
  const kernels: Record<string, number> = {};
  for (const n of names) kernels[n] = round(median(perRun.map((m) => m.get(n) ?? 0)), 4);
  const sum = (m: Map<string, number>, f: (n: string) => boolean) => [...m].reduce((a, [n, v]) => a + (f(n) ? v : 0), 0);
  const sorted = Object.fromEntries(Object.entries(kernels).sort((a, b) => b[1] - a[1]));
  return {
    total: round(median(perRun.map((m) => sum(m, () => true))), 4),
    conv: round(median(perRun.map((m) => sum(m, (n) => n.startsWith('conv2d_')))), 4),
    kernels: sorted,
  };
}

/** Output size of a conv / pool window along one dim. */
function outDim(n: number, k: number, s: number, p: number, ceil = false): number {
  const v = (n + 2 * p - k) / s;
  let o = (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--; // PyTorch: the last window must start inside the input
  return o;
}

/**
 * Convolution FLOPs (2 × multiply–adds) of one SqueezeNet 1.1 forward pass on an H×W image, walking the
 * architecture (conv1, the eight fire modules with their three max-pools, the classifier conv).
 * 224×224: 698,400,960 (≈ 0.70 GFLOP).
 */
export function squeezeNetForwardFlops(h = 224, w = 224, numClasses = 1000): number {
  let flops = 0;
  const conv = (cin: number, cout: number, k: number, hh: number, ww: number) => (flops += 2 * cin * cout * k * k * hh * ww);
  h = outDim(h, 3, 2, 0);
  w = outDim(w, 3, 2, 0);
  conv(3, 64, 3, h, w);
  for (const [i, cin, s, e1, e3] of FIRES) {
    if ([3, 6, 9].includes(i)) {
      h = outDim(h, 3, 2, 0, true);
      w = outDim(w, 3, 2, 0, true);
    }
    conv(cin, s, 1, h, w);
    conv(s, e1, 1, h, w);
    conv(s, e3, 3, h, w);
  }
  conv(512, numClasses, 1, h, w);
  return flops;
}


/** A torchvision-layout state dict of random weights ~N(0, std²) (timing does not depend on the values). */
export function randomSqueezeNetWeights(seed = 1, std = 0.05): StateDict {
  const dict: StateDict = new Map();
  squeezeNetManifest().forEach(([name, shape], i) => {
    dict.set(name, { shape: [...shape], data: hostNormal(shapeSize(shape), seed * 7919 + i, std) });
  });
  return dict;
}

/** One step of a workload: records the GPU work and returns the tensor to read back (the caller disposes it). */
export type BenchStep = () => Tensor;

/** The four workloads as steps on `x` [N, 3, 224, 224] (see the file comment). */
export function benchSteps(model: SqueezeNet, x: Tensor): Record<BenchWorkload, BenchStep> {
  const n = x.shape[0];
  const classes = Array.from({ length: n }, (_, i) => (i * 97 + 1) % model.numClasses);
  const jitter = hostRng(7);
  return {
    forward: () => tidy(() => noGrad(() => model.logits(x))),
    saliency: () => tidy(() => maxOverAxis(abs(inputGradient(model, x, classes)), 1)),
    fooling: () => tidy(() => foolingStep(model, x, classes, FOOLING_DEFAULTS.lr).stepped),
    classviz: () =>
      tidy(() => {
        const oy = Math.floor(jitter() * (CV.jitter + 1)), ox = Math.floor(jitter() * (CV.jitter + 1));
        return classVizStep(model, x, classes, { oy, ox, l2: CV.l2, lr: CV.lr, blurSigma: CV.blurSigma }).next;
      }),
  };
}

/**
 * Time `step`: warm-up runs, then `runs` timed runs, each awaiting a read-back of its output. `host` per run:
 * from the start of the step to the return of the submit of everything it recorded (runtime.flush), before the
 * read-back is recorded and awaited (see BenchStat.host_ms).
 */
export async function timeStep(device: Device, step: BenchStep, runs: number, warmup: number): Promise<{ times: number[]; host: number[]; record: number[]; dispatches: number; peakBytes: number }> {
  const rt = device.runtime;
  rt.trim();
  rt.resetPeak();
  const times: number[] = [];
  const host: number[] = [];
  const record: number[] = [];
  let dispatches = 0;
  for (let r = 0; r < warmup + runs; r++) {
    const d0 = rt.dispatches;
    const t0 = performance.now();
    const out = step();
    const tr = performance.now();
    rt.flush();
    const t1 = performance.now();
    await out.toArray();
    const ms = performance.now() - t0;
    out.dispose();
    if (r >= warmup) {
      times.push(ms);
      host.push(t1 - t0);
      record.push(tr - t0);
      dispatches = rt.dispatches - d0;
    }
  }
  return { times, host, record, dispatches, peakBytes: device.memory().peakBytes };
}

export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(v: number, d = 3): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

const BATCH = 1, RUNS = 10, WARMUP = 2;

export const bench: Command = {
  name: 'bench',
  summary: 'time forward, saliency, fooling and class-visualization steps at one batch size',
  usage: '[options]',
  gpu: true,
  options: {
    batch: { type: 'string', arg: '<n>', help: `images per step (at most ${LIMITS.batch})`, def: BATCH },
    runs: { type: 'string', arg: '<n>', help: `timed runs per workload (at most ${LIMITS.runs})`, def: RUNS },
    warmup: { type: 'string', arg: '<n>', help: `untimed runs first (at most ${LIMITS.runs})`, def: WARMUP },
    only: { type: 'string', arg: '<list>', help: `comma list of workloads (${BENCH_WORKLOADS.join(', ')})`, def: BENCH_WORKLOADS.join(',') },
    weights: WEIGHTS_OPTION,
    'random-weights': { type: 'boolean', help: 'time with random weights (the speed does not depend on the values)', def: false },
    profile: { type: 'boolean', help: 'GPU timestamps per kernel (adapters with timestamp queries)', def: false },
    json: JSON_OPTION,
  },
  run: (argv) => benchCommand(argv),
};

async function benchCommand(argv: string[]): Promise<void> {
  const { values } = parse('bench', argv, bench.options);
  const batch = int('bench', 'batch', values.batch, BATCH, 1, LIMITS.batch);
  const runs = int('bench', 'runs', values.runs, RUNS, 1, LIMITS.runs);
  const warmup = int('bench', 'warmup', values.warmup, WARMUP, 0, LIMITS.runs);
  const json = !!values.json;
  if (values.weights !== undefined && values['random-weights']) throw new UsageError('gradsight bench: --weights and --random-weights exclude each other');
  let only: BenchWorkload[] = [...BENCH_WORKLOADS];
  const list = str(values.only);
  if (list !== undefined) {
    only = list.split(',').map((s) => s.trim()).filter(Boolean) as BenchWorkload[];
    const bad = only.filter((w) => !BENCH_WORKLOADS.includes(w));
    if (bad.length || !only.length) throw new UsageError(`gradsight bench: --only takes a comma list of ${BENCH_WORKLOADS.join(', ')}; got '${list}'`);
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);

  const device = await getDevice();
  let model: SqueezeNet;
  let weights: string;
  if (values['random-weights']) {
    model = SqueezeNet.fromStateDict(device, randomSqueezeNetWeights());
    weights = 'random N(0, 0.05)';
  } else if (typeof values.weights === 'string') {
    if (!existsSync(values.weights)) throw new UsageError(`gradsight bench: --weights ${values.weights}: no such file`);
    model = await getModel(values.weights);
    weights = values.weights;
  } else {
    try {
      model = await getModel();
      weights = 'default (--weights / $GRADSIGHT_WEIGHTS / user cache / embedded weights/)';
    } catch (e) {
      if (!json) log(`no weights file usable (${(e as Error).message.split('\n')[0]}); timing with random weights`);
      model = SqueezeNet.fromStateDict(device, randomSqueezeNetWeights());
      weights = 'random N(0, 0.05) (no weights file found)';
    }
  }

  const a = device.adapter;
  const adapter = {
    vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description,
    mode: a.mode, fallback: a.fallback, runtime: a.runtime, timestampQuery: a.features.includes('timestamp-query'),
  };
  const x = device.tensor(hostNormal(batch * 3 * 224 * 224, 3, 1), [batch, 3, 224, 224]);
  const steps = benchSteps(model, x);
  const fwdGflop = (squeezeNetForwardFlops(224, 224, model.numClasses) * batch) / 1e9;
  const weightBytes = model.parameterCount * 4;
  const results: Record<string, BenchStat> = {};
  if (!json) log(`gradsight bench: batch ${batch}, ${runs} runs after ${warmup} warm-up; ${adapter.vendor} ${adapter.architecture}${adapter.description ? ` (${adapter.description})` : ''}; weights: ${weights}; conv tiles: ${tilesSource()}`);
  try {
    for (const w of only) {
      const { times, host, record, dispatches, peakBytes } = await timeStep(device, steps[w], runs, warmup);
      const med = median(times);
      const gflop = w === 'forward' ? fwdGflop : 2 * fwdGflop;
      results[`${KEY[w]}_b${batch}`] = {
        median_ms: round(med), min_ms: round(Math.min(...times)), runs, per_image_ms: round(med / batch),
        peak_bytes: peakBytes, gflop: round(gflop, 4), gflop_per_s: round(gflop / (med / 1000), 2),
        host_ms: round(median(host)), host_min_ms: round(Math.min(...host)), record_ms: round(median(record)), dispatches,
      };
      if (values.profile) {
        const p = await profileStep(device, steps[w]);
        if (p) Object.assign(results[`${KEY[w]}_b${batch}`], { gpu_ms: p.total, gpu_conv_ms: p.conv, gpu_kernels_ms: p.kernels });
        else if (!json) log('  --profile: this adapter has no timestamp queries');
      }
      const gp = results[`${KEY[w]}_b${batch}`].gpu_ms;
      if (!json) log(`  ${KEY[w]}_b${batch}: ${med.toFixed(1)} ms (host ${median(host).toFixed(2)} ms, ${dispatches} dispatches${gp !== undefined ? `, GPU ${gp.toFixed(2)} ms` : ''})`);
    }
  } finally {
    x.dispose();
    model.dispose();
  }

  if (json) {
    console.log(JSON.stringify({ command: 'bench', adapter, config: { batch, runs, warmup, weights, size: 224, tiles: currentConvTiles(device), tiles_from: tilesSource() }, results }));
    return;
  }
  const head = ['workload', 'median ms', 'min ms', 'ms/image', 'GFLOP/s', 'peak MiB', 'host ms', 'dispatches'];
  const rows = Object.entries(results).map(([k, r]) => [
    k, r.median_ms.toFixed(1), r.min_ms.toFixed(1), r.per_image_ms.toFixed(1), r.gflop_per_s.toFixed(1), mb(r.peak_bytes),
    r.host_ms.toFixed(2), String(r.dispatches),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((wd) => '─'.repeat(wd)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(`forward = ${fwdGflop.toFixed(2)} GFLOP (convolutions, ${batch} × 224×224); saliency, fooling and classviz count 2× (forward + input gradient).`);
  console.log(`peak = the most GPU memory the buffer pool held during the workload, the ${mb(weightBytes)} MiB of weights included.`);
  console.log('host = median JavaScript time per step from its start to the return of its queue.submit (graph, autograd, dispatch recording, submit), without the GPU work, the read-back or the wait.');
}
