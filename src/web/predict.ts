// Predict view: one forward pass, top-5 classes with probabilities.
import { tidy } from '../core.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { softmaxRows, topkRows } from '../viz/common.js';
import { $, h, fmtMs } from './dom.js';
import { drawRgb } from './draw.js';
import { app, hook, onImage, onModel, runJob } from './state.js';
import { bindDownload, downloadJson, downloadNpy, stem } from './download.js';

export interface Top {
  class: number;
  name: string;
  prob: number;
}

/** A top-k list with bars; the entry of class `mark` gets the tag `markText`. */
export function renderTop(list: HTMLElement, top: Top[], mark: number | null, markText = 'true label'): void {
  list.replaceChildren(
    ...top.map((t) =>
      h(
        'li',
        {},
        h('span', { class: 'name' }, h('span', { class: 'id', text: t.class }), t.name, t.class === mark ? h('span', { class: 'mark', text: markText }) : null),
        h('span', { class: 'pct', text: `${(t.prob * 100).toFixed(2)}%` }),
        h('div', { class: 'bar' }, h('div', { style: `width:${Math.max(0.5, t.prob * 100).toFixed(2)}%` })),
      ),
    ),
  );
}

/** Top-5 of the current image (cached per image and model). */
export async function predict(): Promise<Float32Array | null> {
  const img = app.image;
  const model = app.model;
  if (!img || !model || !app.device) return null;
  const d = app.device;
  const r = await runJob('predict', async () => {
    const t0 = performance.now();
    const t = tidy(() => model.logits(d.tensor(img.chw, [1, 3, 224, 224])));
    const logits = await t.toArray();
    t.dispose();
    return { logits, ms: performance.now() - t0 };
  });
  if (!r || app.image !== img) return null;
  app.logits = r.logits;
  app.logitsFor = img.id;
  const k = model.numClasses;
  const probs = softmaxRows(r.logits, 1, k);
  const top = topkRows(probs, 1, k, 5)[0].map((t) => ({ class: t.index, name: IMAGENET_CLASSES[t.index] ?? `class ${t.index}`, prob: t.value }));
  renderTop($('top5'), top, img.label);
  const right = img.label === null ? '' : top[0].class === img.label ? ' · top-1 correct' : ` · true label ${img.label} (${IMAGENET_CLASSES[img.label]}) ranks ${rank(probs, img.label)} of ${k}`;
  $('predict-meta').textContent = `${img.name} · forward pass ${fmtMs(r.ms)}${right}`;
  const base = `predict_${stem(img.name)}`;
  const logits = r.logits;
  bindDownload('pred-dl-json', () => downloadJson({ image: img.name, label: img.label, top5: top, ms: r.ms }, `${base}.json`));
  bindDownload('pred-dl-npy', () => downloadNpy(logits, [1, k], `${base}_logits.npy`));
  hook.last.predict = { image: img.name, logits: Array.from(r.logits), top5: top, ms: r.ms };
  onPredicted.forEach((f) => f(top));
  return r.logits;
}

function rank(probs: Float32Array, c: number): number {
  let n = 1;
  for (let i = 0; i < probs.length; i++) if (probs[i] > probs[c]) n++;
  return n;
}

const onPredicted: ((top: Top[]) => void)[] = [];
/** Called with the top-5 after each prediction (the class pickers suggest them). */
export function afterPredict(f: (top: Top[]) => void): void {
  onPredicted.push(f);
}

export function initPredict(): void {
  onImage(() => {
    drawRgb($<HTMLCanvasElement>('predict-canvas'), app.image!.rgb);
    $('top5').replaceChildren(h('li', { class: 'muted', text: app.model ? 'predicting…' : 'Load weights to predict.' }));
    $('predict-meta').textContent = '';
    bindDownload('pred-dl-json', null);
    bindDownload('pred-dl-npy', null);
    if (app.model) void predict();
  });
  onModel(() => {
    if (app.image) void predict();
  });
}
