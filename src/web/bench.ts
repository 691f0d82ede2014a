// Bench view: gradsight's speed on the visitor's own adapter, nothing to install. The measuring is bench_suite.ts
// (model workloads, as `gradsight bench`; the per-layer conv kernel suite, as `npm run bench -- kernels`; optionally
// side by side with TensorFlow.js, loaded only when asked, see bench_tfjs.ts); this file is the page side: the tab
// and panel (and a few style rules) it adds at start-up, the charts and tables of the results, the JSON download,
// and the buttons that tune the conv tiles for this adapter and remember them (tuning.ts).
import { $, h, toast } from './dom.js';
import { app, hook, runJob } from './state.js';
import { applyStoredTiles, cheapToTune, forgetTiles, loadStoredTiles, tilesFrom, tuneAndStore } from './tuning.js';
import { tfjsUnavailable } from './bench_tfjs.js';
import { collectBench, saliencyStep, PASSES, type BenchOptions, type BenchResults } from './bench_suite.js';
import { currentConvTiles } from '../ops/conv_tune.js';

export type { BenchOptions, BenchResults };

const COLORS: Record<string, string> = { gradsight: '#3b82f6', tfjs: '#f59e0b', forward: '#3b82f6', 'input-gradient': '#10b981', 'weight-gradient': '#a855f7' };

let last: BenchResults | null = null;

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

// ---------- running ----------

export async function runBench(opts: BenchOptions = {}): Promise<BenchResults | null> {
  const status = (s: string) => ($('bench-status').textContent = s);
  return runJob('benchmark', async () => {
    const r = await collectBench(app.device!, opts, status, (why) => toast(`TensorFlow.js is unavailable: ${why}`, 'error'));
    last = r;
    (hook.last as Record<string, unknown>).bench = r;
    render(r);
    ($('bench-download') as HTMLButtonElement).disabled = false;
    status(`done: ${r.workloads.length} workloads${r.kernels.length ? `, ${r.kernels.length} conv kernel timings` : ''}${r.tfjs.unavailable ? ` (TensorFlow.js unavailable: ${r.tfjs.unavailable})` : ''}.`);
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
    const { results, stored } = await tuneAndStore(device, { rounds, check: saliencyStep(device), onProgress: (t) => ($('bench-status').textContent = `tuning: ${t}`) });
    showTiles();
    const changed = results.filter((r) => JSON.stringify(r.before) !== JSON.stringify(r.chosen));
    const c = stored.check;
    const checked = c ? ` A saliency step took ${c.tunedMs.toFixed(0)} ms with the tuned tiles, ${c.previousMs.toFixed(0)} ms with the previous ones: kept the ${c.kept} tiles.` : '';
    $('bench-status').textContent = `tuned ${results.length} conv families on this adapter (${changed.length} changed); remembered in this browser.${checked}`;
    (hook.last as Record<string, unknown>).tuningCheck = c ?? null;
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
