// The page of `npm run bench -- browser` (bundled by bench/browser.mjs with esbuild, served on 127.0.0.1):
// gradsight, TensorFlow.js (WebGPU backend), jax-js (WebGPU, jit) and ONNX Runtime Web (WebGPU EP), each on
// its own device from the navigator.gpu adapter; bench/browser.mjs opens one page per engine (or, with
// --one-page, one page for all) and drives it through window.B: setup() loads the weights into the page's
// engines, output() gives an engine's result for comparison, bench() times one workload at one batch
// size (the engines of one page alternating run by run).
import { Device, tidy, noGrad, maxOverAxis, abs, type Tensor } from '../../src/core.js';
import { SqueezeNet } from '../../src/nn/squeezenet.js';
import { inputGradient } from '../../src/viz/saliency.js';
import { hostNormal } from '../../src/viz/common.js';
import { importSqueezeNet } from '../../src/weights/index.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import * as jax from '@jax-js/jax';
import * as ort from 'onnxruntime-web/webgpu';
// @ts-expect-error: a plain JS module of the Node benchmarks (no type declarations)
import { TfjsSqueezeNet } from '../tfjs_squeezenet.mjs';
import { JaxSqueezeNet, type JaxPool, type StateTensor } from './jax_squeezenet.js';

type Workload = 'forward' | 'saliency';
type Engine = 'gradsight' | 'tfjs' | 'jax' | 'ort';
interface Runner { forward(n: number): () => Promise<Float32Array>; saliency?(n: number): () => Promise<Float32Array> }

const log = (m: string) => console.log(`[bench] ${m}`);
const SIZE = 224;


const inputs = new Map<number, Float32Array>();
/** The same NCHW batch for every engine. */
function input(n: number): Float32Array {
  let x = inputs.get(n);
  if (!x) inputs.set(n, (x = hostNormal(n * 3 * SIZE * SIZE, 3 + n)));
  return x;
}
const classesOf = (n: number) => Array.from({ length: n }, (_, i) => (i * 97 + 1) % 1000);

// ---------- engines ----------

async function gradsightEngine(dict: Map<string, StateTensor>, tiles: unknown): Promise<Runner & { device: Device }> {
  const device = await Device.create();
  // As the app page: the tiles measured for this kind of adapter (src/web/tuning.ts), unless --tiles says otherwise.
  const { applyStoredTiles } = await import('../../src/web/tuning.js');
  applyStoredTiles(device);
  if (tiles) {
    const { applyConvTiles } = await import('../../src/ops/conv_tune.js');
    applyConvTiles(device, tiles as Parameters<typeof applyConvTiles>[1]);
  }
  const model = SqueezeNet.fromStateDict(device, dict as never);
  const xs = new Map<number, Tensor>();
  const x = (n: number) => {
    let t = xs.get(n);
    if (!t) xs.set(n, (t = device.tensor(input(n), [n, 3, SIZE, SIZE])));
    return t;
  };
  return {
    device,
    forward: (n) => async () => {
      const xi = x(n);
      const y = tidy(() => noGrad(() => model.logits(xi)));
      const a = await y.toArray();
      y.dispose();
      return a;
    },
    saliency: (n) => async () => {
      const xi = x(n);
      const m = tidy(() => maxOverAxis(abs(inputGradient(model, xi, classesOf(n))), 1));
      const a = await m.toArray();
      m.dispose();
      return a;
    },
  };
}

async function tfjsEngine(dict: Map<string, StateTensor>): Promise<Runner & { version: string }> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend failed to initialise');
  await tf.ready();
  tf.enableProdMode();
  const net = new TfjsSqueezeNet(tf, dict);
  const xs = new Map<number, tf.Tensor4D>();
  const x = (n: number) => {
    let t = xs.get(n);
    if (!t) xs.set(n, (t = tf.keep(tf.tidy(() => tf.transpose(tf.tensor4d(input(n), [n, 3, SIZE, SIZE]), [0, 2, 3, 1])))));
    return t;
  };
  const grads = new Map<number, (xi: tf.Tensor) => tf.Tensor>();
  const gradOf = (n: number) => {
    let g = grads.get(n);
    if (!g) {
      const idx = tf.keep(tf.tensor1d(classesOf(n), 'int32'));
      // The one-class shortcut, as gradsight's classScores (bench/tfjs_squeezenet.mjs).
      g = tf.grad((xi: tf.Tensor) => tf.sum(net.classScores(xi, idx)));
      grads.set(n, g);
    }
    return g;
  };
  return {
    version: tf.version_core,
    forward: (n) => async () => {
      const y = tf.tidy(() => net.forward(x(n)));
      const a = (await y.data()) as Float32Array;
      y.dispose();
      return a;
    },
    saliency: (n) => async () => {
      const g = gradOf(n);
      const m = tf.tidy(() => tf.max(tf.abs(g(x(n))), 3));
      const a = (await m.data()) as Float32Array;
      m.dispose();
      return a;
    },
  };
}

async function jaxEngine(dict: Map<string, StateTensor>, pool: JaxPool): Promise<Runner> {
  const ok = await jax.init('webgpu');
  if (!ok.includes('webgpu')) throw new Error(`jax-js: no webgpu backend (available: ${ok.join(', ')})`);
  jax.defaultDevice('webgpu');
  const net = new JaxSqueezeNet(dict, pool);
  const xs = new Map<number, jax.Array>();
  const x = (n: number) => {
    let t = xs.get(n);
    if (!t) xs.set(n, (t = jax.numpy.array(input(n)).reshape([n, 3, SIZE, SIZE])));
    return t.ref;
  };
  const cls = new Map<number, jax.Array>();
  const c = (n: number) => {
    let t = cls.get(n);
    if (!t) cls.set(n, (t = jax.numpy.array(classesOf(n), { dtype: jax.numpy.int32 })));
    return t.ref;
  };
  return {
    forward: (n) => () => net.forward(x(n)),
    saliency: (n) => () => net.saliency(x(n), c(n)),
  };
}

async function ortEngine(bytes: Uint8Array): Promise<Runner & { version: string }> {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 0 });
  const name = session.inputNames[0];
  const out = session.outputNames[0];
  return {
    version: ort.env.versions.web ?? '',
    forward: (n) => async () => {
      const r = await session.run({ [name]: new ort.Tensor('float32', input(n), [n, 3, SIZE, SIZE]) });
      const a = (await r[out].getData()) as Float32Array;
      r[out].dispose();
      return a;
    },
  };
}

// ---------- driver ----------

const engines = new Map<Engine, Runner>();
const info: Record<string, unknown> = {};

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url} → ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function setup(cfg: { engines: Engine[]; jaxPool: JaxPool; tiles: unknown }): Promise<Record<string, unknown>> {
  const pth = await fetchBytes('/weights/squeezenet1_1.pth');
  const dict = importSqueezeNet(pth, 'squeezenet1_1.pth').dict as unknown as Map<string, StateTensor>;
  for (const e of cfg.engines) {
    const t0 = performance.now();
    if (e === 'gradsight') {
      const g = await gradsightEngine(dict, cfg.tiles);
      engines.set(e, g);
      info.adapter = g.device.adapter;
      const { currentConvTiles } = await import('../../src/ops/conv_tune.js');
      info.tiles = currentConvTiles(g.device);
      info.idleWaits = (g.device.runtime as unknown as { idleWaits: boolean }).idleWaits;
      info.tilesFrom = cfg.tiles ? '--tiles' : (await import('../../src/web/tuning.js')).tilesFrom;
    } else if (e === 'tfjs') {
      const t = await tfjsEngine(dict);
      engines.set(e, t);
      info.tfjs = t.version;
    } else if (e === 'jax') {
      engines.set(e, await jaxEngine(dict, cfg.jaxPool));
      info.jax = { pool: cfg.jaxPool };
    } else if (e === 'ort') {
      const o = await ortEngine(await fetchBytes('/weights/squeezenet1_1.onnx'));
      engines.set(e, o);
      info.ort = o.version;
    }
    log(`${e} ready in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  return info;
}

/** One engine's result of `workload` at batch n (bench/browser.mjs compares the engines' results). */
async function output(engine: Engine, workload: Workload, n: number): Promise<number[] | null> {
  const f = engines.get(engine)?.[workload];
  return f ? Array.from(await f(n)()) : null;
}

/**
 * Times `workload` at batch n: `warmup` runs per engine, then `runs` rounds of one run per engine, alternating.
 * `gc`: collect garbage (the page's gc(), Chromium started with --js-flags=--expose-gc) before each timed run.
 */
async function bench(workload: Workload, n: number, which: Engine[], runs: number, warmup: number, gc = false): Promise<Record<string, number[]>> {
  const collect = (globalThis as unknown as { gc?: () => void }).gc;
  if (gc && !collect) throw new Error('bench: gc requested but the page has no gc() (start Chromium with --js-flags=--expose-gc)');
  const fns = which.filter((e) => engines.get(e)?.[workload]).map((e) => [e, engines.get(e)![workload]!(n)] as const);
  for (const [e, f] of fns) {
    const t0 = performance.now();
    for (let i = 0; i < warmup; i++) await f();
    if (warmup) log(`${workload} b${n} ${e}: ${warmup} warm-ups in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  const times: Record<string, number[]> = Object.fromEntries(fns.map(([e]) => [e, []]));
  for (let r = 0; r < runs; r++) {
    // Rotate the order per round, so no engine always runs right after the same other one.
    for (let j = 0; j < fns.length; j++) {
      const [e, f] = fns[(j + r) % fns.length];
      if (gc) collect!();
      const t0 = performance.now();
      await f();
      times[e].push(performance.now() - t0);
    }
  }
  return times;
}

/**
 * gradsight's GPU time per kernel (timestamp queries, where the adapter has them) for one run of `workload` at
 * batch n, after one warm-up: [{name, ms, count}] sorted by time, plus the run's wall time. `tiles` sets conv
 * tiles by family name (they stay) and `tiles.tuning` convTuning switches for this call only.
 */
async function profile(workload: Workload, n: number, tiles?: unknown): Promise<{ wallMs: number; gpuMs: number; kernels: { name: string; ms: number; count: number }[]; dispatches: { name: string; ms: number }[] }> {
  const g = engines.get('gradsight') as Runner & { device: Device };
  const { convTuning } = await import('../../src/index.js');
  const saved = { ...convTuning };
  if (tiles) {
    const { tuning, ...t } = tiles as { tuning?: Record<string, unknown> };
    Object.assign(convTuning, tuning ?? {});
    const { applyConvTiles } = await import('../../src/ops/conv_tune.js');
    applyConvTiles(g.device, t as Parameters<typeof applyConvTiles>[1]);
  }
  const f = g[workload]!(n);
  await f();
  const rt = g.device.runtime;
  if (!rt.setProfiling(true)) throw new Error('no timestamp-query on this adapter');
  const t0 = performance.now();
  await f();
  const wallMs = performance.now() - t0;
  rt.setProfiling(false);
  Object.assign(convTuning, saved);
  const t = await rt.takeTimings();
  const by = new Map<string, { name: string; ms: number; count: number }>();
  for (const k of t) {
    const e = by.get(k.name) ?? { name: k.name, ms: 0, count: 0 };
    e.ms += k.ms;
    e.count++;
    by.set(k.name, e);
  }
  const kernels = [...by.values()].sort((a, b) => b.ms - a.ms);
  // dispatches: every dispatch in recording order (name, GPU ms).
  return { wallMs, gpuMs: kernels.reduce((s, k) => s + k.ms, 0), kernels, dispatches: t.map((k) => ({ name: k.name, ms: k.ms })) };
}

/**
 * Wall ms of `workload` at batch n for each variant (alternating, `rounds` rounds after a warm-up): a variant
 * overrides conv tiles by family name, `tuning` convTuning's scalar switches (e.g. `{ tuning: { subgroups:
 * false } }` for the vec4 weight taps) and `pool` poolTuning's (`{ pool: { flat: true } }`).
 */
async function tileAB(workload: Workload, n: number, variants: unknown[], rounds: number): Promise<number[][]> {
  const g = engines.get('gradsight') as Runner & { device: Device };
  const { applyConvTiles, currentConvTiles } = await import('../../src/ops/conv_tune.js');
  const { convTuning, poolTuning } = await import('../../src/index.js');
  const base = currentConvTiles(g.device);
  const baseTuning = { ...convTuning };
  const basePool = { ...poolTuning };
  const f = g[workload]!(n);
  const times = variants.map(() => [] as number[]);
  for (let r = -1; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const { tuning, pool, ...tiles } = variants[i] as { tuning?: Record<string, unknown>; pool?: Record<string, unknown> };
      Object.assign(convTuning, baseTuning, tuning ?? {});
      Object.assign(poolTuning, basePool, pool ?? {});
      applyConvTiles(g.device, { ...base, ...tiles });
      const t0 = performance.now();
      await f();
      if (r >= 0) times[i].push(performance.now() - t0);
    }
  }
  Object.assign(convTuning, baseTuning);
  Object.assign(poolTuning, basePool);
  applyConvTiles(g.device, base);
  return times;
}

/** autotuneConv on gradsight's device (as the page's Bench view does): what it timed and chose. */
async function tune(rounds: number): Promise<unknown> {
  const g = engines.get('gradsight') as Runner & { device: Device };
  const { autotuneConv, currentConvTiles } = await import('../../src/ops/conv_tune.js');
  const t0 = performance.now();
  const results = await autotuneConv(g.device, { rounds, onProgress: (f, done, total) => log(`tuning ${f}: ${done}/${total}`) });
  info.tiles = currentConvTiles(g.device);
  return { ms: performance.now() - t0, tiles: info.tiles, results };
}

(window as unknown as { B: unknown }).B = { setup, output, bench, profile, tileAB, tune, ready: true };
