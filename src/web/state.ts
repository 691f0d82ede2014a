// The page's shared state: the device, the model, the current image, one GPU job at a time with its timing,
// and the test hook on window.gradsight.
import type { Device } from '../core.js';
import type { AdapterReport } from '../gpu/adapter.js';
import type { SqueezeNet } from '../nn/squeezenet.js';
import type { RgbImage } from '../image/types.js';
import { toast } from './dom.js';

export interface CurrentImage {
  /** Bumped on every change, so views can tell their results are stale. */
  id: number;
  name: string;
  /** File name of the sample in /samples/, or null for a user image. */
  sample: string | null;
  label: number | null;
  /** Normalized network input, CHW 3×224×224. */
  chw: Float32Array;
  /** The same picture as 8-bit RGB (what the network sees). */
  rgb: RgbImage;
}

export interface KernelStat {
  name: string;
  ms: number;
  count: number;
}

export interface TimingRecord {
  id: number;
  label: string;
  ms: number;
  /** Repeated steps inside the job (iterations, samples) and their mean wall time. */
  steps: number;
  perStepMs: number | null;
  stepUnit: string;
  /** Per-kernel GPU time, when profiling with timestamp-query was on. */
  kernels: KernelStat[] | null;
  gpuMs: number | null;
  at: Date;
}

/** What the e2e tests read. Plain data only. */
export interface Hook {
  state: {
    phase: 'starting' | 'no-webgpu' | 'ready' | 'error';
    adapter: AdapterReport | null;
    noWebGpuReason: string | null;
    weights: 'none' | 'loading' | 'ready' | 'error';
    weightsName: string | null;
    weightsError: string | null;
    image: { name: string; sample: string | null; label: number | null } | null;
    busy: string | null;
    view: string;
  };
  last: {
    predict?: { image: string; logits: number[]; top5: { class: number; name: string; prob: number }[]; ms: number };
    saliency?: { image: string; method: string; class: number; shape: number[]; maps: number[]; ms: number; samples: number | null };
    fooling?: {
      image: string; target: number; iterations: number; success: boolean; predicted: number; targetProb: number; linf255: number; l2_255: number;
      ms: number; msPerIteration: number | null; stopped: boolean; probs: number[];
    };
    classviz?: { target: number; iterations: number; requested: number; ms: number; msPerIteration: number | null; score: number | null; stopped: boolean; frames: number };
    trace?: {
      image: string; class: number; score: number; ms: number;
      layers: { name: string; kind: string; pooledBy: string | null; shape: number[]; gradNorm: number; gradZeros: number; gatedZeros: number | null; actZeros: number }[];
    };
    compare?: {
      image: string; class: number; ms: number; stopped: boolean;
      methods: { method: string; ms: number; shape: number[]; max: number; signedShape: number[]; settings: Record<string, unknown> }[];
    };
    explorer?: {
      layer: string; channel: number | null; shape: number[]; kind: string; panels: string[];
      /** Max-pool input: fraction of elements that are no window's maximum; gradient values nonzero there (0 when routing explains the zeros). */
      routing?: { blocked: number; gradZeros: number; nonzeroWhereBlocked: number };
      /** ReLU output: fraction of inactive units, gradient zeros at the output and after the gate. */
      relu?: { inactive: number; gradZeros: number; gatedZeros: number };
      text: string;
    };
  };
  /** File names of the downloads offered, in order. */
  downloads: string[];
  live: { foolingIteration: number; classvizIteration: number };
  timings: TimingRecord[];
  errors: string[];
  canvasStats?: (id: string) => { mean: number; std: number; opaque: number; hash: number };
}

export const hook: Hook = {
  state: {
    phase: 'starting', adapter: null, noWebGpuReason: null, weights: 'none', weightsName: null, weightsError: null, image: null, busy: null, view: 'predict',
  },
  last: {},
  live: { foolingIteration: 0, classvizIteration: 0 },
  downloads: [],
  timings: [],
  errors: [],
};
(globalThis as unknown as { gradsight: Hook }).gradsight = hook;

export const app = {
  device: null as Device | null,
  model: null as SqueezeNet | null,
  image: null as CurrentImage | null,
  /** Latest logits of the current image (set by predict). */
  logits: null as Float32Array | null,
  logitsFor: -1,
  profiling: false,
};

let imageCounter = 0;
export function nextImageId(): number {
  return ++imageCounter;
}

type Listener = () => void;
const imageListeners: Listener[] = [];
const modelListeners: Listener[] = [];
const busyListeners: Listener[] = [];
const timingListeners: Listener[] = [];

export function onImage(f: Listener): void {
  imageListeners.push(f);
}
export function onModel(f: Listener): void {
  modelListeners.push(f);
}
export function onBusy(f: Listener): void {
  busyListeners.push(f);
}
export function onTiming(f: Listener): void {
  timingListeners.push(f);
}

export function setImage(img: CurrentImage): void {
  app.image = img;
  app.logits = null;
  hook.state.image = { name: img.name, sample: img.sample, label: img.label };
  for (const f of imageListeners) f();
}

export function setModel(m: SqueezeNet): void {
  app.model?.dispose();
  app.model = m;
  app.logits = null;
  for (const f of modelListeners) f();
}

export function isBusy(): boolean {
  return hook.state.busy !== null;
}

export class Stopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'Stopped';
  }
}

export interface JobContext {
  /** Record the number of repeated steps (iterations, samples) for the per-step time. */
  steps(n: number, unit: string): void;
}

export interface JobOptions {
  /** How to stop the job early (shows a Stop button in the busy bar); absent when it cannot be stopped. */
  stop?: () => void;
}

let stopCurrent: (() => void) | null = null;

/** The busy bar: what is running, and Stop where the job can stop. */
function renderBusy(): void {
  const bar = document.getElementById('busy');
  if (!bar) return;
  bar.hidden = !hook.state.busy;
  const text = document.getElementById('busy-text')!;
  text.textContent = hook.state.busy ? `Running: ${hook.state.busy}${stopCurrent ? '' : ' (runs to the end)'}` : '';
  (document.getElementById('busy-stop') as HTMLButtonElement).hidden = !stopCurrent;
  for (const b of document.querySelectorAll<HTMLButtonElement>('.run-guard')) {
    b.setAttribute('aria-disabled', String(!!hook.state.busy));
    b.title = hook.state.busy ? `Busy with ${hook.state.busy}` : '';
  }
}

/** Update the busy bar's text while a job runs (e.g. which method of several). */
export function setBusyText(label: string): void {
  if (!hook.state.busy) return;
  hook.state.busy = label;
  renderBusy();
}

/** The busy bar's Stop button. */
export function initBusy(): void {
  document.getElementById('busy-stop')?.addEventListener('click', () => {
    stopCurrent?.();
    const t = document.getElementById('busy-text');
    if (t) t.textContent = `Stopping ${hook.state.busy ?? ''}…`;
  });
}

let timingId = 0;

/**
 * Run one GPU job (nothing else runs meanwhile): wall time, and per-kernel GPU time when profiling is on.
 * Errors are shown and recorded; the job's result (or null) is returned.
 */
export async function runJob<T>(label: string, fn: (ctx: JobContext) => Promise<T>, opts: JobOptions = {}): Promise<T | null> {
  if (!app.device) {
    toast('WebGPU is not available: nothing can run.', 'error');
    return null;
  }
  if (hook.state.busy) {
    toast(`Busy with ${hook.state.busy}; wait for it to finish (or stop it).`);
    return null;
  }
  hook.state.busy = label;
  stopCurrent = opts.stop ?? null;
  document.body.classList.add('busy');
  renderBusy();
  for (const f of busyListeners) f();
  const rt = app.device.runtime;
  const profiling = app.profiling && rt.setProfiling(true);
  let steps = 0;
  let unit = '';
  const t0 = performance.now();
  try {
    const r = await fn({ steps: (n, u) => ((steps = n), (unit = u)) });
    await app.device.sync();
    const ms = performance.now() - t0;
    let kernels: KernelStat[] | null = null;
    let gpuMs: number | null = null;
    if (profiling) {
      const all = await rt.takeTimings();
      const by = new Map<string, KernelStat>();
      for (const t of all) {
        const k = by.get(t.name) ?? { name: t.name, ms: 0, count: 0 };
        k.ms += t.ms;
        k.count++;
        by.set(t.name, k);
      }
      kernels = [...by.values()].sort((a, b) => b.ms - a.ms);
      gpuMs = kernels.reduce((s, k) => s + k.ms, 0);
    }
    const rec: TimingRecord = { id: ++timingId, label, ms, steps, perStepMs: steps > 0 ? ms / steps : null, stepUnit: unit, kernels, gpuMs, at: new Date() };
    hook.timings.push(rec);
    for (const f of timingListeners) f();
    return r;
  } catch (e) {
    if (e instanceof Stopped) return null;
    const msg = `${label}: ${(e as Error).message}`;
    hook.errors.push(msg);
    console.error(e);
    toast(msg, 'error');
    return null;
  } finally {
    if (profiling) {
      rt.setProfiling(false);
      await rt.takeTimings().catch(() => []);
    }
    hook.state.busy = null;
    stopCurrent = null;
    document.body.classList.remove('busy');
    renderBusy();
    for (const f of busyListeners) f();
  }
}
