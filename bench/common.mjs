// Shared helpers of the benchmarks: building and loading the library, timing, tables, random weights.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = join(ROOT, '..', 'shared');
export const CACHE = join(ROOT, 'node_modules', '.cache', 'gradsight-bench');

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newestMtime(join(path, e)));
  return m;
}

/** Newest modification time of the library's inputs (sources, shaders, build script). */
export function sourcesMtime() {
  return Math.max(...['src', 'shaders', 'weights/manifest.json', 'build.mjs', 'package.json'].map((p) => newestMtime(join(ROOT, p))));
}

/**
 * Run `npm run build` (node build.mjs) when dist/index.js or dist/cli.js is missing or older than the sources.
 * A failing build is fatal only when the file a benchmark needs is still missing or stale afterwards.
 */
export function ensureBuilt({ needCli = false, log = (m) => console.error(m) } = {}) {
  if (process.env.GRADSIGHT_BENCH_NO_BUILD) return; // use dist/ as it is (e.g. copied to a machine without esbuild)
  const src = sourcesMtime();
  const targets = ['dist/index.js', ...(needCli ? ['dist/cli.js'] : [])].map((p) => join(ROOT, p));
  const stale = () => targets.filter((t) => !existsSync(t) || statSync(t).mtimeMs < src);
  if (!stale().length) return;
  log(`building (npm run build): ${stale().map((t) => t.slice(ROOT.length + 1)).join(', ')} missing or older than the sources`);
  const r = spawnSync(process.execPath, ['build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  const still = stale();
  if (still.length) {
    throw new Error(`build failed; ${still.map((t) => t.slice(ROOT.length + 1)).join(', ')} not up to date:\n${(r.stderr || r.stdout || '').trim().split('\n').slice(0, 20).join('\n')}`);
  }
  if (r.status !== 0) log(`note: the build reported errors (${(r.stderr || '').trim().split('\n')[0]}), but what this benchmark needs was built`);
}

/** The built library (dist/index.js), building it first when needed. */
export async function loadLibrary() {
  ensureBuilt();
  return import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
}

/**
 * Weight import functions (loadStateDict, importSqueezeNet, detectFormat, writeSafetensors): from dist/index.js
 * when it exports them, else from a small esbuild bundle of src/weights/index.ts.
 */
export async function loadWeightsModule(g) {
  if (g && typeof g.importSqueezeNet === 'function' && typeof g.loadStateDict === 'function') return g;
  const out = join(CACHE, 'weights.mjs');
  if (!existsSync(out) || (!process.env.GRADSIGHT_BENCH_NO_BUILD && statSync(out).mtimeMs < sourcesMtime())) {
    mkdirSync(CACHE, { recursive: true });
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [join(ROOT, 'src', 'weights', 'index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      outfile: out,
      logLevel: 'error',
    });
  }
  return import(pathToFileURL(out).href);
}

export function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Time an async function: `warmup` runs, then up to `runs` timed runs, stopping early (after at least one)
 * once `budgetMs` of timed runs have passed. Returns {median, min, runs, times}.
 */
export async function timeAsync(fn, { runs = 5, warmup = 1, budgetMs = Infinity } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (performance.now() - start > budgetMs) break;
  }
  return { median: median(times), min: Math.min(...times), runs: times.length, times };
}

/** Seeded uniform (0, 1) generator (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** n seeded N(0, std²) values. */
export function randn(n, seed, std = 1) {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())) * std;
    const th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** A random torchvision-layout state dict from the library's manifest (~N(0, 0.05²)). */
export function randomStateDict(g, seed = 1, std = 0.05) {
  const d = new Map();
  g.squeezeNetManifest().forEach(([name, shape], i) => {
    d.set(name, { shape: [...shape], data: randn(shape.reduce((a, b) => a * b, 1), seed * 7919 + i, std) });
  });
  return d;
}

/** SqueezeNet with the shared pretrained weights when present (and --random-weights not given), else random. */
export async function makeModel(g, device, { random = false } = {}) {
  const path = join(SHARED, 'weights', 'squeezenet1_1.pth');
  if (!random && existsSync(path)) {
    try {
      const w = await loadWeightsModule(g);
      const { readFileSync } = await import('node:fs');
      const r = w.importSqueezeNet(new Uint8Array(readFileSync(path)), path);
      return { model: g.SqueezeNet.fromStateDict(device, r.dict), weights: '../shared/weights/squeezenet1_1.pth' };
    } catch (e) {
      console.error(`note: could not load ${path} (${e.message.split('\n')[0]}); using random weights`);
    }
  }
  return { model: g.SqueezeNet.fromStateDict(device, randomStateDict(g)), weights: 'random N(0, 0.05)' };
}

export function adapterLine(a) {
  return `${a.vendor || '?'} / ${a.architecture || '?'}${a.device ? ` / ${a.device}` : ''}${a.description ? ` (${a.description})` : ''}`;
}

/** Print rows (arrays of strings/numbers) under `head`; first column left-aligned. */
export function table(head, rows) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtNum(c) : String(c ?? ''))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)];
  console.log(out.join('\n'));
}

export function fmtNum(v) {
  if (!Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** parseArgs with the benchmark's own name in errors. */
export function args(name, argv, options) {
  try {
    return parseArgs({ args: argv, options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new Error(`bench ${name}: ${e.message.replace(/\. To specify a positional argument.*$/s, '')}`);
  }
}

export function intList(name, flag, v, def) {
  if (v === undefined) return def;
  const out = String(v).split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`bench ${name}: --${flag} expects positive integers like 1,5; got '${v}'`);
  return out;
}

export function posInt(name, flag, v, def, min = 1) {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new Error(`bench ${name}: --${flag} expects an integer >= ${min}; got '${v}'`);
  return x;
}

/** A time budget across a whole benchmark: cases past it are skipped (and listed). */
export class Budget {
  constructor(seconds) {
    this.end = performance.now() + seconds * 1000;
    this.skipped = [];
  }
  left() {
    return Math.max(0, this.end - performance.now());
  }
  /**
   * False (and the case is recorded as skipped) once the budget is spent, or when the case is predicted to
   * take longer (predictedMs, e.g. scaled from a smaller batch) than what is left.
   */
  take(what, predictedMs = 0) {
    const left = this.left();
    if (left > 0 && !(predictedMs > left)) return true;
    this.skipped.push(predictedMs > 0 && left > 0 ? `${what} (would take ~${Math.round(predictedMs / 1000)} s)` : what);
    return false;
  }
  note() {
    if (this.skipped.length) console.log(`skipped (time budget spent; raise --budget): ${this.skipped.join(', ')}`);
  }
}

export function today() {
  return new Date().toISOString().slice(0, 10);
}

/** CPU count and 1-minute load average: on a CPU adapter (lavapipe) other processes slow every number down. */
export function machineLine() {
  return `${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}`;
}
