// Gradient trace view: per layer, from the scores back to the input, the norm of ∂score/∂layer (log scale),
// the fraction of its entries that are exactly zero (ReLU / max-pool gating), and the activation's zeros —
// drawn as inline SVG.
import { keep } from '../core.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { gradientTrace, type GradientTrace } from '../viz/trace.js';
import { $, fmtMs } from './dom.js';
import { ClassPicker } from './picker.js';
import { afterPredict } from './predict.js';
import { defaultClass } from './saliency.js';
import { app, hook, onImage, runJob } from './state.js';

let picker: ClassPicker;

const SVG = 'http://www.w3.org/2000/svg';

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function sci(x: number): string {
  return x === 0 ? '0' : x.toExponential(2);
}

/** The chart for one trace. */
export function traceChart(tr: GradientTrace): SVGSVGElement {
  const rows = tr.layers;
  const rowH = 24, top = 34;
  const colName = 10, colShape = 204, colNorm = 312, normW = 200, colGz = 602, zW = 140, colAz = 760;
  const width = colAz + zW + 4;
  const height = top + rows.length * rowH + 10;
  const svg = s('svg', { width: '100%', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'gradient trace chart', style: `max-width:${width}px` });
  const heads: [number, string][] = [[colName, 'layer (scores → input)'], [colShape, 'shape'], [colNorm, '‖∂score/∂layer‖₂ (log scale)'], [colGz, 'gradient zeros'], [colAz, 'activation zeros']];
  for (const [x, t] of heads) svg.append(s('text', { x, y: 18, class: 'head' }, t));
  const norms = rows.map((r) => r.gradient.norm).filter((v) => v > 0);
  const hi = Math.log10(Math.max(...norms, 1e-30));
  const lo = Math.min(Math.log10(Math.min(...norms, 1e30)), hi) - 0.5;
  const span = Math.max(1e-9, hi - lo);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = s('g', { 'data-layer': r.name });
    g.append(s('title', {}, `${r.name} ${r.shape.join('×')}\n‖grad‖₂ ${sci(r.gradient.norm)}, max|grad| ${sci(r.gradient.maxAbs)}, grad zeros ${(r.gradient.zeros * 100).toFixed(1)}%\nactivation min ${r.activation.min.toPrecision(3)}, max ${r.activation.max.toPrecision(3)}, mean ${r.activation.mean.toPrecision(3)}, zeros ${(r.activation.zeros * 100).toFixed(1)}%`));
    if (i % 2 === 0) g.append(s('rect', { x: 0, y: y - 2, width, height: rowH, class: 'band', rx: 4 }));
    g.append(s('text', { x: colName, y: y + 14 }, r.name));
    g.append(s('text', { x: colShape, y: y + 14, class: 'mono' }, r.shape.join('×')));
    const nw = r.gradient.norm > 0 ? ((Math.log10(r.gradient.norm) - lo) / span) * normW : 0;
    g.append(s('rect', { x: colNorm, y: y + 4, width: normW, height: 12, fill: '#eceef4', rx: 3 }));
    g.append(s('rect', { x: colNorm, y: y + 4, width: Math.max(1, nw), height: 12, fill: '#4f46e5', rx: 3, class: 'bar-norm' }));
    g.append(s('text', { x: colNorm + normW + 8, y: y + 14, class: 'mono' }, sci(r.gradient.norm)));
    const bar = (x: number, frac: number, color: string, cls: string): void => {
      g.append(s('rect', { x, y: y + 4, width: zW - 48, height: 12, fill: '#eceef4', rx: 3 }));
      g.append(s('rect', { x, y: y + 4, width: Math.max(0, frac * (zW - 48)), height: 12, fill: color, rx: 3, class: cls }));
      g.append(s('text', { x: x + zW - 44, y: y + 14, class: 'mono' }, `${(frac * 100).toFixed(1)}%`));
    };
    bar(colGz, r.gradient.zeros, '#f59e0b', 'bar-gzeros');
    bar(colAz, r.activation.zeros, '#10b981', 'bar-azeros');
    svg.append(g);
  });
  return svg;
}

export async function runTrace(): Promise<void> {
  const img = app.image, model = app.model, d = app.device;
  if (!img || !model || !d) return;
  const cls = picker.value;
  const r = await runJob('gradient trace', async () => {
    const t0 = performance.now();
    const x = keep(d.tensor(img.chw, [1, 3, 224, 224]));
    try {
      const tr = await gradientTrace(model, x, cls);
      return { tr, ms: performance.now() - t0 };
    } finally {
      x.dispose();
    }
  });
  if (!r || app.image !== img) return;
  $('trace-chart').replaceChildren(traceChart(r.tr));
  $('trace-meta').textContent = `${img.name}: score[${cls}] (${IMAGENET_CLASSES[cls]}) = ${r.tr.score.toFixed(3)} · ${r.tr.layers.length} layers · ${fmtMs(r.ms)} (forward, backward and reading back every activation and gradient). Hover a row for the full statistics.`;
  hook.last.trace = {
    image: img.name, class: cls, score: r.tr.score, ms: r.ms,
    layers: r.tr.layers.map((l) => ({ name: l.name, shape: l.shape, gradNorm: l.gradient.norm, gradZeros: l.gradient.zeros, actZeros: l.activation.zeros })),
  };
}

export function initTrace(): void {
  picker = new ClassPicker($('trace-class'), 0);
  $('trace-run').addEventListener('click', () => void runTrace());
  onImage(() => {
    picker.set(defaultClass());
    $('trace-chart').innerHTML = '<p class="muted">Press Trace.</p>';
    $('trace-meta').textContent = '';
  });
  afterPredict((top) => {
    const img = app.image;
    picker.setSuggestions([
      ...(img?.label != null ? [{ id: img.label, tag: 'true label' }] : []),
      ...top.map((t, i) => ({ id: t.class, tag: `top-${i + 1}` })).filter((t) => t.id !== img?.label),
    ]);
    if (img?.label == null) picker.set(top[0].class);
  });
}
