// Bench view: gradsight's speed on the visitor's own adapter, nothing to install. It times the model workloads
// (forward and vanilla saliency, as `gradsight bench`) and the per-layer conv kernel suite (every SqueezeNet 1.1
// conv shape: forward, input gradient, weight gradient; as `npm run bench -- kernels`), optionally side by side
// with TensorFlow.js (loaded only when asked, see bench_tfjs.ts), draws the results, and downloads them as JSON.
// It also tunes the conv tiles for this adapter and remembers them (tuning.ts).
// The view adds its own tab and panel (and a few style rules) to the page at start-up.
import { conv2d, grad, tidy, noGrad, dispose, maxOverAxis, abs, shapeSize, type Device, type Tensor } from '../core.js';
import { SqueezeNet, squeezeNetManifest } from '../nn/squeezenet.js';
import { inputGradient } from '../viz/saliency.js';
import { $, h, toast } from './dom.js';
import { app, hook, runJob } from './state.js';
import { applyStoredTiles, cheapToTune, forgetTiles, loadStoredTiles, tilesFrom, tuneAndStore } from './tuning.js';
import { loadTfjs, tfjsPeer, tfjsUnavailable, type TfjsPeer } from './bench_tfjs.js';
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
const PASSES = ['forward', 'input-gradient', 'weight-gradient'] as const;
type Pass = (typeof PASSES)[number];
const COLORS: Record<string, string> = { gradsight: '#3b82f6', tfjs: '#f59e0b', forward: '#3b82f6', 'input-gradient': '#10b981', 'weight-gradient': '#a855f7' };

export interface BenchOptions {
  batches?: number[];
  runs?: number;
  warmup?: number;
  kernels?: boolean;
  tfjs?: boolean;
}

interface Stat { median_ms: number; min_ms: number; times: number[] }
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

let last: BenchResults | null = null;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stat = (v: number[]): Stat => ({ median_ms: median(v), min_ms: Math.min(...v), times: v.map((x) => Math.round(x * 10) / 10) });

/** Seeded N(0, std²) values (mulberry32 + Box–Muller). */
function randn(n: number, seed: number, std = 1): Float32Array {
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

// ---------- the panel ----------

const STYLE = `
#view-bench .bench-controls{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:center;margin:.6rem 0}
#view-bench .bench-controls label{display:flex;gap:.35rem;align-items:center}
#view-bench .bench-controls input[type=text],#view-bench .bench-controls input[type=number]{width:4.5rem}
#view-bench .bench-chart svg{width:100%;height:auto;display:block}
#view-bench .bench-chart text{font:11px system-ui,sans-serif;fill:currentColor}
#view-bench table.bench-table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
#view-bench table.bench-table td,#view-bench table.bench-table th{padding:.15rem .6rem;text-align:right}
#view-bench table.bench-table td:first-child,#view-bench table.bench-table th:first-child{text-align:left}
#view-bench .legend span{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem;font-size:.85rem}
#view-bench .legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px}
`;

function buildPanel(): void {
  const tabs = document.querySelector('.tabs');
  if (!tabs || document.getElementById('view-bench')) return;
  tabs.append(h('button', { type: 'button', role: 'tab', id: 'tab-bench', 'aria-controls': 'view-bench', 'data-view': 'bench', text: 'Bench' }));
  const section = h('section', { class: 'view', id: 'view-bench', role: 'tabpanel', 'aria-labelledby': 'tab-bench', tabindex: 0 },
    h('div', { class: 'view-head' },
      h('h2', { text: 'Bench' }),
      h('p', { class: 'muted', text: 'Times gradsight on this browser\'s own WebGPU adapter: the model workloads (forward, vanilla saliency) and every SqueezeNet 1.1 conv shape (forward, input gradient, weight gradient). Random weights (timing does not depend on the values). Nothing is sent anywhere: download the JSON to share it.' }),
    ),
    h('div', { class: 'bench-controls' },
      h('label', {}, 'batch sizes', h('input', { type: 'text', id: 'bench-batches', value: '1' })),
      h('label', {}, 'runs', h('input', { type: 'number', id: 'bench-runs', value: 3, min: 1, max: 50 })),
      h('label', {}, h('input', { type: 'checkbox', id: 'bench-kernels', checked: true }), 'conv kernel suite'),
      h('label', {}, h('input', { type: 'checkbox', id: 'bench-tfjs' }), 'side by side with TensorFlow.js (WebGPU)'),
      h('span', { class: 'muted small', id: 'bench-tfjs-note' }),
    ),
    h('div', { class: 'bench-controls' },
      h('button', { type: 'button', id: 'bench-run', class: 'button run-guard', text: 'Run benchmark' }),
      h('button', { type: 'button', id: 'bench-tune', class: 'button secondary run-guard', text: 'Tune conv tiles for this adapter' }),
      h('button', { type: 'button', id: 'bench-forget', class: 'button secondary small', text: 'Forget tuned tiles' }),
      h('button', { type: 'button', id: 'bench-download', class: 'button secondary', text: 'Download JSON', disabled: true }),
    ),
    h('p', { class: 'muted small', id: 'bench-tiles' }),
    h('p', { class: 'muted small', id: 'bench-status' }),
    h('h3', { text: 'Model workloads (ms per step, median)' }),
    h('div', { class: 'bench-chart', id: 'bench-chart-model' }),
    h('div', { id: 'bench-table-model' }),
    h('h3', { text: 'Conv kernels' }),
    h('div', { class: 'legend', id: 'bench-legend' }),
    h('div', { class: 'bench-chart', id: 'bench-chart-gflops' }),
    h('div', { class: 'bench-chart', id: 'bench-chart-gbs' }),
    h('div', { id: 'bench-table-kernels' }),
  );
  const after = document.getElementById('view-timing');
  if (after) after.after(section);
  else document.querySelector('.content')?.append(section);
  document.head.append(h('style', { text: STYLE }));
}

function showTiles(): void {
  const d = app.device;
  if (!d) return;
  const t = currentConvTiles(d);
  const fmt = Object.entries(t).map(([f, v]) => `${f} ${v.tc}×${v.tp}/${v.wg}${(v as { gemm?: boolean }).gemm ? ' gemm' : ''}`).join(', ');
  const s = loadStoredTiles(d.adapter);
  const from = tilesFrom === 'default' ? 'built-in defaults' : tilesFrom === 'preset' ? `measured for ${d.adapter.architecture} adapters (tune to measure this one)` : `tuned on this adapter ${s ? new Date(s.at).toLocaleString() : ''}, remembered in this browser`;
  $('bench-tiles').textContent = `Conv tiles (channels × pixels / lanes): ${fmt} — ${from}.`;
}

// ---------- charts ----------

/** Horizontal grouped bars: one row per label, one bar per series. */
function barChart(rows: { label: string; values: Record<string, number> }[], series: string[], unit: string, title: string): SVGSVGElement {
  const NS = 'http://www.w3.org/2000/svg';
  const el = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const left = 190, width = 760, barH = 11, gap = 7;
  const rowH = series.length * barH + gap;
  const height = 24 + rows.length * rowH;
  const max = Math.max(1e-9, ...rows.flatMap((r) => series.map((s) => r.values[s] ?? 0)));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'bench-svg' }) as SVGSVGElement;
  svg.append(el('text', { x: 0, y: 12, 'font-weight': 600 }, title));
  rows.forEach((r, i) => {
    const y0 = 20 + i * rowH;
    svg.append(el('text', { x: 0, y: y0 + (series.length * barH) / 2 + 4 }, r.label));
    series.forEach((s, j) => {
      const v = r.values[s];
      if (v === undefined || !Number.isFinite(v)) return;
      const w = ((width - left - 70) * v) / max;
      const rect = el('rect', { x: left, y: y0 + j * barH, width: Math.max(1, w), height: barH - 2, fill: COLORS[s] ?? '#888', class: `bar bar-${s}` });
      rect.append(el('title', {}, `${r.label} · ${s}: ${v.toFixed(2)} ${unit}`));
      svg.append(rect, el('text', { x: left + w + 4, y: y0 + j * barH + barH - 3 }, `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)}`));
    });
  });
  return svg;
}

function table(head: string[], rows: (string | number)[][]): HTMLTableElement {
  const fmt = (c: string | number) => (typeof c === 'number' ? (Math.abs(c) >= 100 ? c.toFixed(0) : Math.abs(c) >= 10 ? c.toFixed(1) : c.toFixed(2)) : c);
  return h('table', { class: 'bench-table' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { text: c })))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', { text: fmt(c) }))))),
  );
}

function render(r: BenchResults): void {
  const series = r.workloads.some((w) => w.tfjs) ? ['gradsight', 'tfjs'] : ['gradsight'];
  $('bench-chart-model').replaceChildren(barChart(r.workloads.map((w) => ({ label: w.workload, values: { gradsight: w.gradsight.median_ms, ...(w.tfjs ? { tfjs: w.tfjs.median_ms } : {}) } })), series, 'ms', 'ms per step (lower is faster)'));
  $('bench-table-model').replaceChildren(table(
    ['workload', 'gradsight ms', 'min', ...(series.length > 1 ? ['tfjs ms', 'min', 'tfjs / gradsight'] : [])],
    r.workloads.map((w) => [w.workload, w.gradsight.median_ms, w.gradsight.min_ms, ...(w.tfjs ? [w.tfjs.median_ms, w.tfjs.min_ms, w.tfjs_over_gradsight ?? NaN] : [])]),
  ));
  const byLayer = new Map<string, Record<string, { gflops: number; gbs: number }>>();
  for (const k of r.kernels) {
    const m = byLayer.get(k.layer) ?? {};
    m[k.pass] = { gflops: k.gflops, gbs: k.gbs };
    byLayer.set(k.layer, m);
  }
  const rows = (what: 'gflops' | 'gbs') => [...byLayer].map(([layer, m]) => ({ label: layer, values: Object.fromEntries(Object.entries(m).map(([p, v]) => [p, v[what]])) }));
  if (r.kernels.length) {
    $('bench-legend').replaceChildren(...PASSES.map((p) => h('span', {}, h('i', { style: `background:${COLORS[p]}` }), p)));
    $('bench-chart-gflops').replaceChildren(barChart(rows('gflops'), [...PASSES], 'GFLOP/s', 'GFLOP/s per conv shape (higher is faster)'));
    $('bench-chart-gbs').replaceChildren(barChart(rows('gbs'), [...PASSES], 'GB/s', 'GB/s per conv shape (each input read once, each output written once)'));
    $('bench-table-kernels').replaceChildren(table(['layer', 'shape', 'pass', 'ms', 'GFLOP/s', 'GB/s'], r.kernels.map((k) => [k.layer, k.shape, k.pass, k.ms, k.gflops, k.gbs])));
  } else {
    for (const id of ['bench-legend', 'bench-chart-gflops', 'bench-chart-gbs', 'bench-table-kernels']) $(id).replaceChildren();
  }
}

// ---------- measuring ----------

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
  const tensor = (shape: number[], requiresGrad = false) => device.tensor(randn(shapeSize(shape), seed++, 0.5), shape, { requiresGrad });
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
  if (!x) inputs.set(n, (x = randn(n * 3 * 224 * 224, 3 + n)));
  return x;
};
const classesOf = (n: number) => Array.from({ length: n }, (_, i) => (i * 97 + 1) % 1000);

export async function runBench(opts: BenchOptions = {}): Promise<BenchResults | null> {
  const batches = opts.batches ?? [1];
  const runs = opts.runs ?? 3;
  const warmup = opts.warmup ?? 1;
  const withKernels = opts.kernels ?? true;
  const withTfjs = opts.tfjs ?? false;
  const status = (s: string) => ($('bench-status').textContent = s);
  return runJob('benchmark', async () => {
    const device = app.device!;
    const rt = device.runtime;
    rt.setProfiling(false);
    await rt.takeTimings();
    if (!random) {
      const dict = new Map(squeezeNetManifest().map(([name, shape], i) => [name, { shape: [...shape], data: randn(shapeSize(shape), 7919 + i, 0.05) }]));
      random = { dict, model: SqueezeNet.fromStateDict(device, dict) };
    }
    const model = random.model;
    const tfjs: BenchResults['tfjs'] = { requested: withTfjs };
    if (withTfjs && !tfPeer) {
      status('loading TensorFlow.js…');
      try {
        tfPeer = tfjsPeer(await loadTfjs(), random.dict, input, classesOf);
      } catch (e) {
        tfjs.unavailable = (e as Error).message;
        toast(`TensorFlow.js is unavailable: ${tfjs.unavailable}`, 'error');
      }
    }
    const peer = withTfjs ? tfPeer : null;
    if (peer) tfjs.version = peer.version;
    const workloads: BenchResults['workloads'] = [];
    for (const n of batches) {
      const x = device.tensor(input(n), [n, 3, 224, 224]);
      const ours = {
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
    const r: BenchResults = {
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
    last = r;
    (hook.last as Record<string, unknown>).bench = r;
    render(r);
    ($('bench-download') as HTMLButtonElement).disabled = false;
    status(`done: ${workloads.length} workloads${kernels.length ? `, ${kernels.length} conv kernel timings` : ''}${tfjs.unavailable ? ` (TensorFlow.js unavailable: ${tfjs.unavailable})` : ''}.`);
    return r;
  });
}

function download(): void {
  if (!last) return;
  const a = (last.adapter ?? {}) as { vendor?: string; architecture?: string };
  const name = `gradsight-bench-${[a.vendor, a.architecture].filter(Boolean).join('-').replace(/[^\w.-]+/g, '_') || 'adapter'}-${last.date.slice(0, 10)}.json`;
  const url = URL.createObjectURL(new Blob([JSON.stringify(last, null, 2)], { type: 'application/json' }));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  hook.downloads.push(name);
}

export async function tuneTiles(rounds?: number): Promise<unknown> {
  return runJob('tuning conv tiles', async () => {
    const device = app.device!;
    const { results } = await tuneAndStore(device, { rounds, onProgress: (t) => ($('bench-status').textContent = `tuning: ${t}`) });
    showTiles();
    const changed = results.filter((r) => JSON.stringify(r.before) !== JSON.stringify(r.chosen));
    $('bench-status').textContent = `tuned ${results.length} conv families on this adapter (${changed.length} changed); remembered in this browser.`;
    (hook.last as Record<string, unknown>).tuning = results;
    return results;
  });
}

/** Adds the tab and the panel; call before the tabs are wired. */
export function initBench(): void {
  buildPanel();
  $('bench-run').addEventListener('click', () => {
    const batches = $<HTMLInputElement>('bench-batches').value.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n >= 1 && n <= 64);
    const runs = Math.max(1, Math.min(50, Math.floor(Number($<HTMLInputElement>('bench-runs').value)) || 3));
    void runBench({ batches: batches.length ? batches : [1], runs, kernels: $<HTMLInputElement>('bench-kernels').checked, tfjs: $<HTMLInputElement>('bench-tfjs').checked });
  });
  $('bench-tune').addEventListener('click', () => void tuneTiles());
  $('bench-forget').addEventListener('click', () => {
    if (app.device) forgetTiles(app.device.adapter);
    toast('The tuned tiles of this adapter are forgotten: the defaults apply after a reload.');
  });
  $('bench-download').addEventListener('click', download);
  Object.assign(hook, { runBench, tuneTiles, convTiles: () => (app.device ? { tiles: currentConvTiles(app.device), from: tilesFrom } : null) });
}

/** After the device exists: apply this adapter's remembered tiles, check for tfjs, tune on first use where cheap. */
export function benchAdapterReady(): void {
  const d = app.device;
  if (!d) return;
  const stored = applyStoredTiles(d);
  showTiles();
  void tfjsUnavailable().then((why) => {
    const box = $<HTMLInputElement>('bench-tfjs');
    box.disabled = !!why;
    $('bench-tfjs-note').textContent = why ? `unavailable: ${why}` : '';
  });
  if (!stored && cheapToTune(d.adapter)) {
    // A GPU: one quick tuning pass now (a second or two), remembered for the next visit.
    setTimeout(() => void tuneTiles(2), 0);
  }
}
