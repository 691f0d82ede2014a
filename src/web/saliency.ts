// Saliency view: the four methods as a heat-map overlay with an opacity slider; computed maps of the current
// image stay as thumbnails to compare.
import { keep, isCpuAdapter } from '../core.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { saliency, type SaliencyMethod } from '../viz/saliency.js';
import { $, h, fmtMs, ProgressBar, yieldToBrowser } from './dom.js';
import { clearCanvas, drawHeat, drawRgb } from './draw.js';
import { ClassPicker } from './picker.js';
import { afterPredict } from './predict.js';
import { app, hook, onImage, runJob } from './state.js';

const LABELS: Record<SaliencyMethod, string> = {
  vanilla: 'Vanilla gradient',
  smoothgrad: 'SmoothGrad',
  'integrated-gradients': 'Integrated gradients',
  gradcam: 'Grad-CAM',
};

interface Computed {
  method: SaliencyMethod;
  cls: number;
  maps: Float32Array;
  h: number;
  w: number;
  ms: number;
  samples: number | null;
}

let method: SaliencyMethod = 'vanilla';
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

function show(c: Computed): void {
  shown = c;
  drawRgb($<HTMLCanvasElement>('sal-image'), app.image!.rgb);
  drawHeat($<HTMLCanvasElement>('sal-heat'), c.maps, c.h, c.w);
  let mx = 0;
  for (const v of c.maps) mx = Math.max(mx, v);
  $('sal-meta').textContent = `${LABELS[c.method]} for class ${c.cls} (${IMAGENET_CLASSES[c.cls]})${c.samples ? `, ${c.samples} ${c.method === 'smoothgrad' ? 'samples' : 'steps'}` : ''} · ${fmtMs(c.ms)} · max ${mx.toExponential(2)} · colors scaled to the 99th percentile`;
  renderThumbs();
}

function renderThumbs(): void {
  const box = $('sal-thumbs');
  box.replaceChildren(
    ...computed.map((c) => {
      const cv = h('canvas', { width: c.w, height: c.h });
      drawHeat(cv, c.maps, c.h, c.w, { transparent: false });
      const fig = h('figure', { class: c === shown ? 'active' : '', title: `${LABELS[c.method]} · class ${c.cls}` }, cv, h('figcaption', { text: `${LABELS[c.method]} · ${c.cls}` }));
      fig.addEventListener('click', () => show(c));
      return fig;
    }),
  );
}

/** The CLI's defaults (25 SmoothGrad samples, 32 IG steps); fewer on a software adapter, which is slow. */
function samplesDefault(m: SaliencyMethod): number {
  const soft = app.device ? isCpuAdapter(app.device.adapter) : false;
  if (m === 'smoothgrad') return soft ? 8 : 25;
  return soft ? 8 : 32;
}

function selectMethod(m: SaliencyMethod): void {
  method = m;
  for (const b of $('sal-methods').querySelectorAll('button')) b.classList.toggle('active', (b as HTMLElement).dataset.method === m);
  const needs = m === 'smoothgrad' || m === 'integrated-gradients';
  $('sal-samples-field').hidden = !needs;
  if (needs) $<HTMLInputElement>('sal-samples').value = String(samplesDefault(m));
}

export async function runSaliency(): Promise<void> {
  const img = app.image, model = app.model, d = app.device;
  if (!img || !model || !d) return;
  const m = method;
  const cls = picker.value;
  const needs = m === 'smoothgrad' || m === 'integrated-gradients';
  const samples = needs ? Math.max(1, Math.min(500, Math.round(Number($<HTMLInputElement>('sal-samples').value) || 1))) : null;
  const bar = new ProgressBar($('sal-progress'));
  bar.busy(`${LABELS[m]}: running on the GPU…`);
  const r = await runJob(`saliency ${m}`, async (ctx) => {
    const t0 = performance.now();
    const x = keep(d.tensor(img.chw, [1, 3, 224, 224]));
    try {
      const p = saliency(model, x, [cls], {
        method: m,
        samples: samples ?? undefined,
        // The library records every sample / step without waiting for the GPU, so progress here is recording.
        onProgress: (done, n) => bar.busy(`${LABELS[m]}: ${n} ${m === 'smoothgrad' ? 'samples' : 'steps'} queued, running on the GPU…`),
      });
      const res = await p;
      if (samples) ctx.steps(samples, m === 'smoothgrad' ? 'sample' : 'step');
      return { res, ms: performance.now() - t0 };
    } finally {
      x.dispose();
    }
  });
  bar.hide();
  if (!r || app.image !== img) return;
  const [, hh, ww] = r.res.shape;
  const c: Computed = { method: m, cls, maps: r.res.maps, h: hh, w: ww, ms: r.ms, samples };
  computed = computed.filter((o) => !(o.method === m && o.cls === cls)).concat(c);
  show(c);
  hook.last.saliency = { image: img.name, method: m, class: cls, shape: [...r.res.shape], maps: Array.from(r.res.maps), ms: r.ms, samples };
  await yieldToBrowser();
}

export function initSaliency(): void {
  picker = new ClassPicker($('sal-class'), 0);
  for (const b of $('sal-methods').querySelectorAll('button')) {
    b.addEventListener('click', () => selectMethod((b as HTMLElement).dataset.method as SaliencyMethod));
  }
  selectMethod('vanilla');
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
    picker.set(defaultClass());
  });
  afterPredict((top) => {
    const img = app.image;
    picker.setSuggestions([
      ...(img?.label != null ? [{ id: img.label, tag: 'true label' }] : []),
      ...top.map((t, i) => ({ id: t.class, tag: `top-${i + 1}` })).filter((t) => t.id !== img?.label),
    ]);
    if (img?.label == null && !computed.length) picker.set(top[0].class);
  });
}

/** For the test hook: select a method from code. */
export function setSaliencyMethod(m: SaliencyMethod): void {
  selectMethod(m);
}
