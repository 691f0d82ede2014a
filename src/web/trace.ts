// Gradient trace view and backward-pass explorer. Per layer, from the scores back to the input: the norm of
// ∂score/∂(layer output) (log scale), the fraction of its entries that are exactly zero, the same after the
// ReLU gate for ReLU layers (at the pre-activation), and the activation's zeros. Each row is a button: focus
// or click opens the explorer under it — the gradient arriving there as an image (channel-summed or one
// channel) beside the activation, the ReLU mask and the max-pool routing it passes through, with text
// computed from the same numbers.
import { keep } from '../core.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { gradientTrace, type GradientTrace, type TraceLayer } from '../viz/trace.js';
import { channelMap, gatingSummary, maxPoolRouting, planeShape, reluMaskMap, routingMap, SQUEEZENET_POOL } from '../viz/explorer.js';
import { $, h, fmtMs } from './dom.js';
import { drawMap, drawRgb } from './draw.js';
import { bindDownload, downloadCsv, downloadJson, stem } from './download.js';
import { ClassPicker } from './picker.js';
import { afterPredict } from './predict.js';
import { defaultClass, suggestFromPredict } from './saliency.js';
import { app, hook, onImage, runJob } from './state.js';

let picker: ClassPicker;
let current: { tr: GradientTrace; image: string; cls: number } | null = null;
let selected: string | null = null;
let channel: number | null = null;
const routingCache = new Map<string, Uint16Array>();

function sci(x: number): string {
  return x === 0 ? '0' : x.toExponential(2);
}
const pct = (f: number): string => `${(f * 100).toFixed(1)}%`;

const KIND_TEXT: Record<string, string> = {
  input: 'network input',
  relu: 'ReLU output',
  maxpool: 'max-pool output',
  avgpool: 'global average pool',
  flatten: 'logits',
};

function bar(frac: number, cls: string): HTMLElement {
  return h('span', { class: 'cell-bar' }, h('span', { class: 'track' }, h('span', { class: `fill ${cls}`, style: `width:${(Math.max(0, Math.min(1, frac)) * 100).toFixed(2)}%` })), h('span', { class: 'v', text: pct(frac) }));
}

/** The table of layers (one focusable row per layer). */
export function traceTable(tr: GradientTrace): HTMLElement {
  const norms = tr.layers.map((r) => r.gradient.norm).filter((v) => v > 0);
  const hi = Math.log10(Math.max(...norms, 1e-30));
  const lo = Math.min(Math.log10(Math.min(...norms, 1e30)), hi) - 0.5;
  const span = Math.max(1e-9, hi - lo);
  const head = h('div', { class: 'trace-head', 'aria-hidden': 'true' },
    h('span', { text: 'layer (scores → input)' }), h('span', { text: 'shape' }), h('span', { text: '‖∂score/∂output‖₂' }),
    h('span', { text: 'gradient zeros' }), h('span', { text: 'after ReLU gate' }), h('span', { text: 'activation zeros' }));
  const rows = tr.layers.map((r) => {
    const nw = r.gradient.norm > 0 ? (Math.log10(r.gradient.norm) - lo) / span : 0;
    const label = `${r.name}, ${KIND_TEXT[r.kind]}, ${r.shape.join('×')}: gradient norm ${sci(r.gradient.norm)}, gradient zeros ${pct(r.gradient.zeros)}${r.gated ? `, after the ReLU gate ${pct(r.gated.zeros)}` : ''}, activation zeros ${pct(r.activation.zeros)}`;
    const row = h('button', { type: 'button', class: 'trace-row', 'data-layer': r.name, 'aria-expanded': 'false', 'aria-controls': 'explorer', 'aria-label': label },
      h('span', { class: 'c-name' }, h('span', { class: 'n', text: r.name }), h('span', { class: 'k', text: KIND_TEXT[r.kind] + (r.pooledBy ? ` → ${r.pooledBy}` : '') })),
      h('span', { class: 'c-shape mono', text: r.shape.join('×') }),
      h('span', { class: 'cell-bar c-norm' }, h('span', { class: 'track' }, h('span', { class: 'fill bar-norm', style: `width:${Math.max(0.5, nw * 100).toFixed(2)}%` })), h('span', { class: 'v', text: sci(r.gradient.norm) })),
      bar(r.gradient.zeros, 'bar-gzeros'),
      r.gated ? bar(r.gated.zeros, 'bar-gated') : h('span', { class: 'cell-bar none', text: '—' }),
      bar(r.activation.zeros, 'bar-azeros'),
    );
    row.addEventListener('focus', () => select(r.name));
    row.addEventListener('click', () => select(r.name));
    row.addEventListener('keydown', (e) => {
      const all = [...document.querySelectorAll<HTMLButtonElement>('#trace-chart .trace-row')];
      const i = all.indexOf(row);
      let j = -1;
      if (e.key === 'ArrowDown') j = Math.min(all.length - 1, i + 1);
      else if (e.key === 'ArrowUp') j = Math.max(0, i - 1);
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = all.length - 1;
      if (j >= 0) {
        e.preventDefault();
        all[j].focus();
      }
    });
    return row;
  });
  return h('div', { class: 'trace-table', role: 'group', 'aria-label': 'layers, from the scores back to the input; focus a row for its backward-pass details' }, head, ...rows);
}

function layer(name: string): TraceLayer | undefined {
  return current?.tr.layers.find((l) => l.name === name);
}

function figure(title: string, sub: string, draw: (c: HTMLCanvasElement) => void, cls = ''): HTMLElement {
  const c = h('canvas', { width: 8, height: 8, 'aria-label': title });
  draw(c);
  return h('figure', { class: `ex-fig ${cls}` }, c, h('figcaption', {}, h('b', { text: title }), h('span', { class: 'muted', text: sub })));
}

function routingFor(l: TraceLayer): Uint16Array {
  let r = routingCache.get(l.name);
  if (!r) {
    const { c, h: hh, w } = planeShape(l.shape);
    r = maxPoolRouting(l.data!.activation, c, hh, w, SQUEEZENET_POOL);
    routingCache.set(l.name, r);
  }
  return r;
}

/** Fire module outputs are two ReLUs concatenated: expand 1×1 then expand 3×3. */
function fireNote(name: string, c: number): string {
  return /^features\.\d+$/.test(name) && name !== 'features.1' ? ` (a fire module: channels 0–${c / 2 - 1} from the expand 1×1 ReLU, ${c / 2}–${c - 1} from the expand 3×3 ReLU)` : '';
}

/** Render the explorer for the selected layer and channel. */
function renderExplorer(): void {
  const ex = $('explorer');
  const l = selected ? layer(selected) : undefined;
  if (!l || !current) {
    ex.hidden = true;
    return;
  }
  ex.hidden = false;
  const { c, h: hh, w } = planeShape(l.shape);
  if (channel !== null && channel >= c) channel = c - 1;
  const ch = channel;
  const input = $<HTMLInputElement>('ex-channel');
  input.max = String(c - 1);
  if (document.activeElement !== input) input.value = ch === null ? '' : String(ch);
  $('ex-channels').textContent = `${c} channel${c > 1 ? 's' : ''} of ${hh}×${w}; showing ${ch === null ? 'the sum over channels' : `channel ${ch}`}`;
  $('ex-title').textContent = `Backward pass at ${l.name} (${KIND_TEXT[l.kind]}${l.pooledBy ? `, feeds max pool ${l.pooledBy}` : ''})`;
  const { activation: act, gradient: grad } = l.data!;
  const n = hh * w;
  const figs: HTMLElement[] = [];
  const panels: string[] = [];
  const text: string[] = [];
  const chText = ch === null ? 'Σ over channels' : `channel ${ch}`;
  text.push(`∂score/∂(output of ${l.name}), ${l.shape.join('×')}: ‖·‖₂ ${sci(l.gradient.norm)}, max |·| ${sci(l.gradient.maxAbs)}; exactly zero at ${pct(l.gradient.zeros)} of its ${grad.length.toLocaleString('en-US')} values.`);
  const info: NonNullable<typeof hook.last.explorer> = { layer: l.name, channel: ch, shape: l.shape, kind: l.kind, panels, text: '' };

  if (n > 1) {
    if (l.kind === 'input') {
      figs.push(figure('input', 'what the network sees', (cv) => drawRgb(cv, app.image!.rgb)));
      panels.push('input');
    } else {
      const a = channelMap(act, c, hh, w, ch);
      let r = { lo: 0, hi: 0 };
      figs.push(figure('activation', chText, (cv) => (r = drawMap(cv, a, hh, w, 'viridis'))));
      (figs[figs.length - 1].querySelector('figcaption span') as HTMLElement).textContent = `${chText}, ${r.lo.toPrecision(3)} … ${r.hi.toPrecision(3)}`;
      panels.push('activation');
    }
    const g = channelMap(grad, c, hh, w, ch);
    figs.push(figure('gradient arriving', `∂score/∂output, ${chText}; red +, blue −`, (cv) => drawMap(cv, g, hh, w, 'signed'), 'grad'));
    panels.push('gradient');
  }

  if (l.kind === 'relu') {
    const inactive = l.activation.zeros;
    if (n > 1) {
      const mask = reluMaskMap(act, c, hh, w, ch);
      figs.push(figure('ReLU mask', ch === null ? 'fraction of channels active (white: all)' : 'white: active, black: blocked', (cv) => drawMap(cv, mask, hh, w, 'gray')));
      const gated = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gated[i] = act[i] > 0 ? grad[i] : 0;
      const gg = channelMap(gated, c, hh, w, ch);
      figs.push(figure('after the ReLU gate', `∂score/∂pre-activation, ${chText}`, (cv) => drawMap(cv, gg, hh, w, 'signed'), 'grad'));
      panels.push('relu-mask', 'gated');
    }
    text.push(`This is a ReLU's output${fireNote(l.name, c)}. Backward, the ReLU passes the gradient arriving here only where its unit is active (> 0): ${pct(inactive)} of the units are inactive${n > 1 ? ' (dark in the mask)' : ''}. The gradient arriving at the output is zero at ${pct(l.gradient.zeros)}; after the gate — at the pre-activation, what reaches the conv below — at ${pct(l.gated!.zeros)}.`);
    info.relu = { inactive, gradZeros: l.gradient.zeros, gatedZeros: l.gated!.zeros };
  }

  if (l.pooledBy) {
    const routing = routingFor(l);
    const s = gatingSummary(grad, (i) => routing[i] > 0);
    if (n > 1) {
      const rm = routingMap(routing, c, hh, w, ch);
      figs.push(figure('max-pool routing', ch === null ? `fraction of channels where the value is a window maximum of ${l.pooledBy}` : `white: a window maximum of ${l.pooledBy}`, (cv) => drawMap(cv, rm, hh, w, 'gray')));
      panels.push('routing');
    }
    const rest = s.gradZeros - s.zerosWhereBlocked;
    text.push(`This output feeds max pool ${l.pooledBy} (${SQUEEZENET_POOL.kernel}×${SQUEEZENET_POOL.kernel} windows, stride ${SQUEEZENET_POOL.stride}). Backward, each window sends its gradient only to its maximum: ${pct(s.blocked)} of these values are no window's maximum, and the gradient is zero at ${pct(s.gradZeros)}` +
      (s.nonzeroWhereBlocked === 0
        ? ` — zero at every value that is no maximum${rest > 0 ? `, plus ${pct(rest)} that are maxima of windows whose gradient was itself zero` : ''}.`
        : `; ${s.nonzeroWhereBlocked} values that are no maximum still carry gradient.`));
    info.routing = { blocked: s.blocked, gradZeros: s.gradZeros, nonzeroWhereBlocked: s.nonzeroWhereBlocked };
  }
  if (ch !== null && n > 1) {
    // The same numbers for the channel on show.
    const off = ch * n;
    let inactive = 0, gz = 0, gated = 0, blocked = 0;
    const routing = l.pooledBy ? routingFor(l) : null;
    for (let i = off; i < off + n; i++) {
      if (!(act[i] > 0)) inactive++;
      if (grad[i] === 0) gz++;
      if (grad[i] === 0 || !(act[i] > 0)) gated++;
      if (routing && routing[i] === 0) blocked++;
    }
    text.push(`Channel ${ch} alone: the gradient arriving is zero at ${pct(gz / n)} of its ${n.toLocaleString('en-US')} values` +
      (l.kind === 'relu' ? `; ${pct(inactive / n)} of its units are inactive, and after the gate the gradient is zero at ${pct(gated / n)}` : '') +
      (routing ? `; ${pct(blocked / n)} of its values are no window maximum of ${l.pooledBy}` : '') + '.');
  }
  if (l.kind === 'maxpool') text.push(`This is a max pool's output: the gradient arriving here goes on only to the window maxima of the layer below it (the next row).`);
  if (l.kind === 'avgpool') text.push(`Global average pool: backward, each channel's gradient is spread evenly over the positions of classifier.2, so only channel ${current.cls} (the class) carries gradient: ${pct(1 - l.gradient.zeros)} of the values are nonzero.`);
  if (l.kind === 'flatten') text.push(`∂score/∂logits is one-hot: 1 at class ${current.cls} (${IMAGENET_CLASSES[current.cls]}), 0 at the other ${l.shape[1] - 1} — ${pct(l.gradient.zeros)} zeros.`);
  if (l.kind === 'input') text.push('The gradient at the input is what saliency maps are made of: vanilla saliency is its |·| max over the three color channels.');
  if (n === 1 && l.kind !== 'flatten') text.push(`One value per channel (${c} channels): no image to show.`);

  $('ex-figs').replaceChildren(...figs);
  $('ex-text').replaceChildren(...text.map((t) => h('p', { text: t })));
  info.text = text.join(' ');
  hook.last.explorer = info;
}

function select(name: string): void {
  if (selected === name && !$('explorer').hidden) return;
  selected = name;
  const row = document.querySelector<HTMLElement>(`#trace-chart .trace-row[data-layer="${CSS.escape(name)}"]`);
  for (const r of document.querySelectorAll<HTMLElement>('#trace-chart .trace-row')) {
    r.classList.toggle('active', r === row);
    r.setAttribute('aria-expanded', String(r === row));
  }
  if (row) row.after($('explorer'));
  renderExplorer();
}

function traceJson(): Record<string, unknown> {
  const { tr, image, cls } = current!;
  return {
    image, class: cls, className: IMAGENET_CLASSES[cls], score: tr.score,
    layers: tr.layers.map((l) => ({ name: l.name, kind: l.kind, pooledBy: l.pooledBy, shape: l.shape, activation: l.activation, gradient: l.gradient, gated: l.gated })),
  };
}

const CSV_COLUMNS = ['layer', 'kind', 'pooled_by', 'shape', 'grad_norm', 'grad_max_abs', 'grad_zeros', 'gated_norm', 'gated_zeros', 'act_min', 'act_max', 'act_mean', 'act_zeros'];

function traceRows(): Record<string, unknown>[] {
  return current!.tr.layers.map((l) => ({
    layer: l.name, kind: l.kind, pooled_by: l.pooledBy ?? '', shape: l.shape.join('x'), grad_norm: l.gradient.norm, grad_max_abs: l.gradient.maxAbs, grad_zeros: l.gradient.zeros,
    gated_norm: l.gated?.norm ?? '', gated_zeros: l.gated?.zeros ?? '', act_min: l.activation.min, act_max: l.activation.max, act_mean: l.activation.mean, act_zeros: l.activation.zeros,
  }));
}

export async function runTrace(): Promise<void> {
  const img = app.image, model = app.model, d = app.device;
  if (!img || !model || !d) return;
  const cls = picker.value;
  const r = await runJob(`gradient trace, class ${cls}`, async () => {
    const t0 = performance.now();
    const x = keep(d.tensor(img.chw, [1, 3, 224, 224]));
    try {
      const tr = await gradientTrace(model, x, cls, { keepData: true });
      return { tr, ms: performance.now() - t0 };
    } finally {
      x.dispose();
    }
  });
  if (!r || app.image !== img) return;
  current = { tr: r.tr, image: img.name, cls };
  routingCache.clear();
  selected = null;
  channel = null;
  const ex = $('explorer');
  ex.hidden = true;
  $('view-trace').append(ex);
  $('trace-chart').replaceChildren(traceTable(r.tr));
  $('trace-meta').textContent = `${img.name}: score[${cls}] (${IMAGENET_CLASSES[cls]}) = ${r.tr.score.toFixed(3)} · ${r.tr.layers.length} layers · ${fmtMs(r.ms)} (forward, backward and reading back every activation and gradient). Focus or click a row to see the gradient there.`;
  const base = `trace_${stem(img.name)}_${cls}`;
  bindDownload('trace-dl-json', () => downloadJson(traceJson(), `${base}.json`));
  bindDownload('trace-dl-csv', () => downloadCsv(CSV_COLUMNS, traceRows(), `${base}.csv`));
  hook.last.trace = {
    image: img.name, class: cls, score: r.tr.score, ms: r.ms,
    layers: r.tr.layers.map((l) => ({
      name: l.name, kind: l.kind, pooledBy: l.pooledBy, shape: l.shape, gradNorm: l.gradient.norm, gradZeros: l.gradient.zeros, gatedZeros: l.gated?.zeros ?? null, actZeros: l.activation.zeros,
    })),
  };
}

export function initTrace(): void {
  picker = new ClassPicker($('trace-class'), 0);
  $('trace-run').addEventListener('click', () => void runTrace());
  const input = $<HTMLInputElement>('ex-channel');
  const apply = (): void => {
    const v = input.value.trim();
    channel = v === '' || !Number.isFinite(Number(v)) ? null : Math.max(0, Math.round(Number(v)));
    renderExplorer();
  };
  input.addEventListener('change', apply);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') apply();
  });
  $('ex-all').addEventListener('click', () => {
    input.value = '';
    channel = null;
    renderExplorer();
  });
  onImage(() => {
    picker.set(defaultClass());
    current = null;
    const ex = $('explorer');
    ex.hidden = true;
    $('view-trace').append(ex);
    $('trace-chart').replaceChildren(h('p', { class: 'muted', text: 'Press Trace.' }));
    $('trace-meta').textContent = '';
    bindDownload('trace-dl-json', null);
    bindDownload('trace-dl-csv', null);
  });
  afterPredict((top) => suggestFromPredict(picker, top, true));
}

/** For the test hook: open the explorer at a layer and channel (null = Σ over channels). */
export function exploreLayer(name: string, ch: number | null = null): void {
  channel = ch;
  selected = null;
  select(name);
}
