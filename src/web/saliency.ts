// Saliency view: one method at a time as a heat-map overlay with an opacity slider, in four sign modes
// (|·| max over channels, positive, negative, blended), with the CLI's settings; computed maps of the current
// image stay as thumbnails to compare; PNG, .npy and JSON downloads.
import { IMAGENET_CLASSES } from '../nn/classes.js';
import type { SaliencyMethod } from '../viz/saliency.js';
import { $, h, fmtMs, ProgressBar, yieldToBrowser } from './dom.js';
import { clearCanvas, composite, drawRgb, type SignMode } from './draw.js';
import { bindDownload, downloadJson, downloadNpy, downloadPng, slug, stem } from './download.js';
import { ClassPicker } from './picker.js';
import { afterPredict } from './predict.js';
import { app, hook, onImage, runJob } from './state.js';
import { computeOne, drawAttribution, initSign, LABELS, readSettings, setLegend, settingsText, signText, type Computed } from './attrib.js';

let method: SaliencyMethod = 'vanilla';
let sign: SignMode = 'abs';
let picker: ClassPicker;
let computed: Computed[] = [];
let shown: Computed | null = null;

/** The class a fresh image is explained for: its true label when known (as the CLI does), else the top-1. */
export function defaultClass(): number {
  const img = app.image;
  if (img?.label != null) return img.label;
  if (app.logits && app.logitsFor === img?.id) {
    let b = 0;
    for (let i = 1; i < app.logits.length; i++) if (app.logits[i] > app.logits[b]) b = i;
    return b;
  }
  return 0;
}

/** Suggestions for a class picker after a prediction: the true label, then the top-5. */
export function suggestFromPredict(p: ClassPicker, top: { class: number }[], setTop1: boolean): void {
  const img = app.image;
  p.setSuggestions([
    ...(img?.label != null ? [{ id: img.label, tag: 'true label' }] : []),
    ...top.map((t, i) => ({ id: t.class, tag: `top-${i + 1}` })).filter((t) => t.id !== img?.label),
  ]);
  if (img?.label == null && setTop1) p.set(top[0].class);
}

function fileBase(c: Computed): string {
  return `saliency_${stem(app.image?.name ?? 'image')}_${c.method}_${c.cls}_${slug(IMAGENET_CLASSES[c.cls] ?? '')}`;
}

function show(c: Computed): void {
  shown = c;
  drawRgb($<HTMLCanvasElement>('sal-image'), app.image!.rgb);
  drawAttribution($<HTMLCanvasElement>('sal-heat'), c, sign);
  setLegend($('sal-legend'), sign);
  let mx = 0;
  for (const v of c.maps) mx = Math.max(mx, v);
  $('sal-meta').textContent = `${LABELS[c.method]} for class ${c.cls} (${IMAGENET_CLASSES[c.cls]}) · ${settingsText(c.method, c.settings)} · ${fmtMs(c.ms)} · max ${mx.toExponential(2)} · ${signText(sign, c.method)}`;
  const base = fileBase(c);
  bindDownload('sal-dl-png', () => {
    const alpha = Number($<HTMLInputElement>('sal-opacity').value) / 100;
    downloadPng(composite($<HTMLCanvasElement>('sal-image'), $<HTMLCanvasElement>('sal-heat'), alpha), `${base}_${sign}.png`);
  });
  bindDownload('sal-dl-npy', () => downloadNpy(c.maps, [1, c.h, c.w], `${base}.npy`));
  bindDownload('sal-dl-signed', () => downloadNpy(c.signed, c.signedShape, `${base}_signed.npy`));
  bindDownload('sal-dl-json', () => downloadJson(resultJson(c), `${base}.json`));
  renderThumbs();
}

/** A result's description (settings used, statistics) without the maps. */
export function resultJson(c: Computed): Record<string, unknown> {
  let mx = 0, pos = 0, neg = 0;
  for (const v of c.maps) mx = Math.max(mx, v);
  for (const v of c.summed) v > 0 ? (pos += v) : (neg += v);
  return {
    image: app.image?.name ?? null, method: c.method, class: c.cls, className: IMAGENET_CLASSES[c.cls], settings: c.settings,
    shape: [1, c.h, c.w], signedShape: c.signedShape, max: mx, signedSum: { positive: pos, negative: neg }, ms: c.ms,
  };
}

function renderThumbs(): void {
  const box = $('sal-thumbs');
  box.replaceChildren(
    ...computed.map((c) => {
      const cv = h('canvas', { width: c.w, height: c.h });
      drawAttribution(cv, c, sign, { transparent: false });
      const label = `${LABELS[c.method]} · class ${c.cls}`;
      const fig = h('button', { type: 'button', class: `thumb${c === shown ? ' active' : ''}`, title: label, 'aria-pressed': String(c === shown) }, cv, h('span', { class: 'cap', text: `${LABELS[c.method]} · ${c.cls}` }));
      fig.addEventListener('click', () => show(c));
      return fig;
    }),
  );
}

function selectMethod(m: SaliencyMethod): void {
  method = m;
  for (const b of $('sal-methods').querySelectorAll<HTMLButtonElement>('button')) {
    const on = b.dataset.method === m;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', String(on));
  }
  // The settings that matter for this method stand out.
  for (const [id, mm] of [['set-smoothgrad', 'smoothgrad'], ['set-ig', 'integrated-gradients'], ['set-gradcam', 'gradcam']] as const) $(id).classList.toggle('current', mm === m);
}

export async function runSaliency(): Promise<void> {
  const img = app.image, model = app.model, d = app.device;
  if (!img || !model || !d) return;
  const m = method;
  const cls = picker.value;
  const s = readSettings();
  const bar = new ProgressBar($('sal-progress'));
  bar.busy(`${LABELS[m]}: running on the GPU…`);
  const r = await runJob(`saliency: ${LABELS[m]}, class ${cls}`, async (ctx) => {
    const c = await computeOne(img, m, cls, s, (done, n) => bar.busy(`${LABELS[m]}: ${n} ${m === 'smoothgrad' ? 'samples' : 'steps'} queued, running on the GPU…`));
    if (m === 'smoothgrad') ctx.steps(s.sgSamples, 'sample');
    if (m === 'integrated-gradients') ctx.steps(s.igSteps, 'step');
    return c;
  });
  bar.hide();
  if (!r || app.image !== img) return;
  computed = computed.filter((o) => !(o.method === m && o.cls === cls)).concat(r);
  show(r);
  const samples = m === 'smoothgrad' ? s.sgSamples : m === 'integrated-gradients' ? s.igSteps : null;
  hook.last.saliency = { image: img.name, method: m, class: cls, shape: [1, r.h, r.w], maps: Array.from(r.maps), ms: r.ms, samples };
  await yieldToBrowser();
}

export function initSaliency(): void {
  picker = new ClassPicker($('sal-class'), 0);
  for (const b of $('sal-methods').querySelectorAll('button')) {
    b.addEventListener('click', () => selectMethod((b as HTMLElement).dataset.method as SaliencyMethod));
  }
  selectMethod('vanilla');
  initSign($('sal-sign'), (mode) => {
    sign = mode;
    setLegend($('sal-legend'), sign);
    if (shown) show(shown);
  });
  $('sal-run').addEventListener('click', () => void runSaliency());
  const slider = $<HTMLInputElement>('sal-opacity');
  const apply = (): void => {
    $('sal-heat').style.opacity = String(Number(slider.value) / 100);
    $('sal-opacity-val').textContent = `${slider.value}%`;
  };
  slider.addEventListener('input', apply);
  apply();
  onImage(() => {
    computed = [];
    shown = null;
    drawRgb($<HTMLCanvasElement>('sal-image'), app.image!.rgb);
    clearCanvas($<HTMLCanvasElement>('sal-heat'));
    $('sal-thumbs').replaceChildren();
    $('sal-meta').textContent = 'Choose a method and press Compute.';
    for (const id of ['sal-dl-png', 'sal-dl-npy', 'sal-dl-signed', 'sal-dl-json']) bindDownload(id, null);
    picker.set(defaultClass());
  });
  afterPredict((top) => suggestFromPredict(picker, top, !computed.length));
}

/** For the test hook: select a method / sign mode from code. */
export function setSaliencyMethod(m: SaliencyMethod): void {
  selectMethod(m);
}
