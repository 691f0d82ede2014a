// Compare view: the four saliency methods on the current image, full size side by side, from one click (with
// the Saliency tab's settings); Stop between methods; per-panel PNG/.npy and an all-in-one figure, the maps
// as one .npy, the settings and statistics as JSON.
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { $, h, fmtMs, ProgressBar } from './dom.js';
import { composite, drawRgb, type SignMode } from './draw.js';
import { bindDownload, downloadJson, downloadNpy, downloadPng, slug, stem } from './download.js';
import { ClassPicker } from './picker.js';
import { afterPredict } from './predict.js';
import { defaultClass, resultJson, suggestFromPredict } from './saliency.js';
import { app, hook, onBusy, onImage, runJob, setBusyText } from './state.js';
import { computeOne, drawAttribution, initSign, LABELS, METHODS, methodSettings, readSettings, setLegend, settingsText, type Computed } from './attrib.js';

let picker: ClassPicker;
let sign: SignMode = 'abs';
let results: Computed[] = [];
let stopRequested = false;

const slot = (m: string): string => m.replace(/[^a-z]/g, '');

const SIGN_TITLES: Record<SignMode, string> = {
  abs: '|attribution|, max over channels',
  positive: 'positive attribution (raises the score)',
  negative: 'negative attribution (lowers the score)',
  blended: 'attribution: red raises the score, blue lowers it',
};

function opacity(): number {
  return Number($<HTMLInputElement>('cmp-opacity').value) / 100;
}

function base(cls: number): string {
  return `compare_${stem(app.image?.name ?? 'image')}_${cls}_${slug(IMAGENET_CLASSES[cls] ?? '')}`;
}

function buildGrid(): void {
  $('cmp-grid').replaceChildren(
    ...METHODS.map((m) => {
      const s = slot(m);
      return h('figure', { class: 'cmp-panel', id: `cmp-${s}`, 'data-method': m },
        h('div', { class: 'stack' },
          h('canvas', { id: `cmp-img-${s}`, width: 224, height: 224, 'aria-label': `${LABELS[m]}: input` }),
          h('canvas', { id: `cmp-heat-${s}`, class: 'heat', width: 224, height: 224, 'aria-label': `${LABELS[m]} map` })),
        h('figcaption', {},
          h('b', { text: LABELS[m] }), ' ', h('span', { class: 'muted', id: `cmp-cap-${s}`, text: 'not computed yet' }),
          h('span', { class: 'row downloads' },
            h('button', { type: 'button', class: 'button secondary small', id: `cmp-dl-png-${s}`, disabled: true, text: 'PNG' }),
            h('button', { type: 'button', class: 'button secondary small', id: `cmp-dl-npy-${s}`, disabled: true, text: '.npy' }))));
    }),
  );
  applyOpacity();
}

function applyOpacity(): void {
  for (const c of document.querySelectorAll<HTMLCanvasElement>('#cmp-grid canvas.heat')) c.style.opacity = String(opacity());
  $('cmp-opacity-val').textContent = `${$<HTMLInputElement>('cmp-opacity').value}%`;
}

function clearPanels(): void {
  for (const m of METHODS) {
    const s = slot(m);
    if (app.image) drawRgb($<HTMLCanvasElement>(`cmp-img-${s}`), app.image.rgb);
    const heat = $<HTMLCanvasElement>(`cmp-heat-${s}`);
    heat.getContext('2d')!.clearRect(0, 0, heat.width, heat.height);
    $(`cmp-cap-${s}`).textContent = 'not computed yet';
    bindDownload(`cmp-dl-png-${s}`, null);
    bindDownload(`cmp-dl-npy-${s}`, null);
  }
  for (const id of ['cmp-dl-all', 'cmp-dl-npy', 'cmp-dl-signed', 'cmp-dl-json']) bindDownload(id, null);
  $('cmp-meta').textContent = '';
}

function renderPanel(c: Computed): void {
  const s = slot(c.method);
  drawRgb($<HTMLCanvasElement>(`cmp-img-${s}`), app.image!.rgb);
  drawAttribution($<HTMLCanvasElement>(`cmp-heat-${s}`), c, sign);
  $(`cmp-cap-${s}`).textContent = `${settingsText(c.method, c.settings)} · ${fmtMs(c.ms)}`;
  const b = `${base(c.cls)}_${c.method}`;
  bindDownload(`cmp-dl-png-${s}`, () => downloadPng(composite($<HTMLCanvasElement>(`cmp-img-${s}`), $<HTMLCanvasElement>(`cmp-heat-${s}`), opacity()), `${b}_${sign}.png`));
  bindDownload(`cmp-dl-npy-${s}`, () => downloadNpy(c.maps, [1, c.h, c.w], `${b}.npy`));
}

/** The original and every computed panel in one row, with captions: one PNG. */
function allInOne(): HTMLCanvasElement {
  const n = results.length + 1, S = 224, gap = 12, top = 34, cap = 40;
  const c = h('canvas', { width: n * S + (n + 1) * gap, height: top + S + cap + gap });
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = '#1b1e27';
  ctx.font = '600 15px system-ui, sans-serif';
  const cls = results[0]?.cls ?? picker.value;
  ctx.fillText(`${app.image?.name ?? ''} · class ${cls} (${IMAGENET_CLASSES[cls]}) · ${SIGN_TITLES[sign]}`, gap, 22);
  const panels: [HTMLCanvasElement, string, string][] = [[composite($<HTMLCanvasElement>(`cmp-img-${slot('vanilla')}`), null, 1), 'input', '224×224']];
  for (const r of results) {
    const s = slot(r.method);
    panels.push([composite($<HTMLCanvasElement>(`cmp-img-${s}`), $<HTMLCanvasElement>(`cmp-heat-${s}`), opacity()), LABELS[r.method], settingsText(r.method, r.settings)]);
  }
  panels.forEach(([cv, title, sub], i) => {
    const x = gap + i * (S + gap);
    ctx.drawImage(cv, x, top, S, S);
    ctx.fillStyle = '#1b1e27';
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.fillText(title, x, top + S + 17);
    ctx.fillStyle = '#667085';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(sub, x, top + S + 33, S);
  });
  return c;
}

function rerender(): void {
  setLegend($('cmp-legend'), sign);
  for (const r of results) renderPanel(r);
}

function bindAll(cls: number): void {
  if (!results.length) return;
  const b = base(cls);
  const hw = results[0].h * results[0].w;
  const stackMaps = (pick: (c: Computed) => Float32Array): Float32Array => {
    const out = new Float32Array(results.length * hw);
    results.forEach((r, i) => out.set(pick(r), i * hw));
    return out;
  };
  const shape = [results.length, results[0].h, results[0].w];
  bindDownload('cmp-dl-all', () => downloadPng(allInOne(), `${b}_${sign}.png`));
  bindDownload('cmp-dl-npy', () => downloadNpy(stackMaps((r) => r.maps), shape, `${b}_maps.npy`));
  bindDownload('cmp-dl-signed', () => downloadNpy(stackMaps((r) => r.summed), shape, `${b}_signed.npy`));
  bindDownload('cmp-dl-json', () => downloadJson({ order: results.map((r) => r.method), npyShape: shape, results: results.map(resultJson) }, `${b}.json`));
}

function settingsLine(): void {
  const s = readSettings();
  $('cmp-settings').textContent = `Settings: ${METHODS.filter((m) => m !== 'vanilla').map((m) => `${LABELS[m]} ${settingsText(m, methodSettings(m, s))}`).join(' · ')} (change them in the Saliency tab).`;
}

export async function runCompare(): Promise<void> {
  const img = app.image, model = app.model, d = app.device;
  if (!img || !model || !d) return;
  const cls = picker.value;
  const s = readSettings();
  settingsLine();
  stopRequested = false;
  results = [];
  clearPanels();
  $<HTMLButtonElement>('cmp-stop').disabled = false;
  const bar = new ProgressBar($('cmp-progress'));
  const t0 = performance.now();
  const r = await runJob(`compare: ${LABELS.vanilla} (1 of 4)`, async () => {
    for (let i = 0; i < METHODS.length; i++) {
      if (stopRequested) break;
      const m = METHODS[i];
      setBusyText(`compare: ${LABELS[m]} (${i + 1} of ${METHODS.length}), class ${cls}`);
      bar.set(i / METHODS.length, `${LABELS[m]} (${i + 1} of ${METHODS.length})…`);
      const c = await computeOne(img, m, cls, s);
      if (app.image !== img) return null;
      results.push(c);
      renderPanel(c);
      bindAll(cls);
    }
    return results.length;
  }, { stop: () => (stopRequested = true) });
  bar.hide();
  $<HTMLButtonElement>('cmp-stop').disabled = true;
  if (r === null || app.image !== img) return;
  const ms = performance.now() - t0;
  const stopped = results.length < METHODS.length;
  $('cmp-meta').textContent = `${results.length} of ${METHODS.length} methods for class ${cls} (${IMAGENET_CLASSES[cls]}) in ${fmtMs(ms)}${stopped ? ' (stopped)' : ''}.`;
  hook.last.compare = {
    image: img.name, class: cls, ms, stopped,
    methods: results.map((c) => ({ method: c.method, ms: c.ms, shape: [1, c.h, c.w], max: c.maps.reduce((a, v) => Math.max(a, v), 0), signedShape: [...c.signedShape], settings: c.settings })),
  };
}

export function initCompare(): void {
  picker = new ClassPicker($('cmp-class'), 0);
  buildGrid();
  $('cmp-run').addEventListener('click', () => void runCompare());
  $('cmp-stop').addEventListener('click', () => (stopRequested = true));
  initSign($('cmp-sign'), (mode) => {
    sign = mode;
    rerender();
    if (results.length) bindAll(results[0].cls);
  });
  $('cmp-opacity').addEventListener('input', applyOpacity);
  for (const id of ['sg-samples', 'sg-noise', 'sg-seed', 'ig-steps', 'ig-baseline', 'ig-rule', 'cam-layer']) for (const ev of ['input', 'change']) $(id).addEventListener(ev, settingsLine);
  settingsLine();
  onImage(() => {
    results = [];
    clearPanels();
    picker.set(defaultClass());
  });
  afterPredict((top) => suggestFromPredict(picker, top, !results.length));
  onBusy(() => {
    if (!hook.state.busy) $<HTMLButtonElement>('cmp-stop').disabled = true;
  });
}
