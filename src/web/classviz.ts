// Class visualization view: the CLI's parameters, the canvas redrawn after every iteration, stop, and PNG
// download.
import { tidy, type Tensor } from '../core.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { classVisualization, CLASSVIZ_DEFAULTS } from '../viz/classviz.js';
import { softmaxRows, topkRows } from '../viz/common.js';
import { $, fmtMs, ProgressBar, toast } from './dom.js';
import { drawChw } from './draw.js';
import { bindDownload, downloadJson, downloadNpy, downloadPng, slug } from './download.js';
import { ClassPicker } from './picker.js';
import { afterPredict, renderTop } from './predict.js';
import { app, hook, onBusy, runJob, Stopped } from './state.js';

let picker: ClassPicker;
let stopRequested = false;
let lastTarget = 76;
/** The classes cs231n's notebook visualizes: tarantula, tick, snail, flamingo, gorilla, oboe. */
const CS231N = [76, 78, 113, 130, 366, 683];

function val(id: string): number {
  return Number($<HTMLInputElement>(id).value);
}

export interface ClassVizParams {
  iterations: number;
  l2: number;
  lr: number;
  blurEvery: number;
  blurSigma: number;
  jitter: number;
  seed: number;
  normalizeGrad: boolean;
}

function params(): ClassVizParams | string {
  const p: ClassVizParams = {
    iterations: Math.round(val('cv-iterations')),
    l2: val('cv-l2'),
    lr: val('cv-lr'),
    blurEvery: Math.round(val('cv-blur-every')),
    blurSigma: val('cv-blur-sigma'),
    jitter: Math.round(val('cv-jitter')),
    seed: Math.round(val('cv-seed')),
    normalizeGrad: $<HTMLInputElement>('cv-normalize').checked,
  };
  if (!(p.iterations >= 1)) return 'iterations must be ≥ 1';
  if (!(p.l2 >= 0)) return 'l2 must be ≥ 0';
  if (!(p.lr > 0)) return 'lr must be > 0';
  if (!(p.blurEvery >= 0)) return 'blur every must be ≥ 0';
  if (!(p.blurSigma > 0)) return 'blur σ must be > 0';
  if (!(p.jitter >= 0 && p.jitter < 224)) return 'jitter must be in [0, 224)';
  if (!(p.seed >= 0)) return 'seed must be ≥ 0';
  return p;
}

export async function runClassViz(): Promise<void> {
  const model = app.model, d = app.device;
  if (!model || !d) return;
  const p = params();
  if (typeof p === 'string') {
    toast(`class visualization: ${p}`, 'error');
    return;
  }
  const target = picker.value;
  lastTarget = target;
  stopRequested = false;
  const canvas = $<HTMLCanvasElement>('cv-canvas');
  const bar = new ProgressBar($('cv-progress'));
  bar.set(0, `0 / ${p.iterations}`);
  $<HTMLButtonElement>('cv-stop').disabled = false;
  $<HTMLButtonElement>('cv-download').disabled = true;
  $('cv-top5').replaceChildren();
  $('cv-iter').textContent = '0';
  $('cv-score').textContent = '—';
  $('cv-rate').textContent = '—';
  hook.live.classvizIteration = 0;
  let frames = 0;
  let done = 0;
  let score: number | null = null;

  bindDownload('cv-dl-npy', null);
  bindDownload('cv-dl-json', null);
  let finalImage: Float32Array | null = null;
  const r = await runJob(`class visualization of class ${target}`, async (ctx) => {
    const t0 = performance.now();
    let image: Tensor | null = null;
    let stopped = false;
    try {
      const res = await classVisualization(model, d, target, {
        ...p,
        scoreEvery: 1,
        frameEvery: 1,
        onStep: (i, s) => {
          done = i;
          if (s !== null) score = s;
          hook.live.classvizIteration = i;
          $('cv-iter').textContent = `${i} / ${p.iterations}`;
          if (score !== null) $('cv-score').textContent = score.toFixed(2);
          $('cv-rate').textContent = fmtMs((performance.now() - t0) / i);
          bar.set(i / p.iterations, `${i} / ${p.iterations}`);
        },
        onFrame: async (_i, img) => {
          const data = await img.toArray();
          drawChw(canvas, data, 224, 224);
          frames++;
          if (stopRequested) {
            // The library hands us its current image; stopping here ends the loop, so free it ourselves.
            img.dispose();
            throw new Stopped();
          }
        },
      });
      image = res.image;
    } catch (e) {
      if (!(e instanceof Stopped)) throw e;
      stopped = true;
    }
    const ms = performance.now() - t0;
    ctx.steps(done, 'iteration');
    let top: { class: number; name: string; prob: number }[] = [];
    let finalScore = score;
    if (image) {
      const img = image;
      finalImage = await img.toArray();
      drawChw(canvas, finalImage, 224, 224);
      const lg = tidy(() => model.logits(img));
      const logits = await lg.toArray();
      lg.dispose();
      img.dispose();
      const probs = softmaxRows(logits, 1, model.numClasses);
      top = topkRows(probs, 1, model.numClasses, 5)[0].map((t) => ({ class: t.index, name: IMAGENET_CLASSES[t.index], prob: t.value }));
      finalScore = logits[target];
    }
    return { ms, stopped, top, finalScore };
  }, { stop: () => (stopRequested = true) });
  bar.hide();
  $<HTMLButtonElement>('cv-stop').disabled = true;
  if (frames > 0) $<HTMLButtonElement>('cv-download').disabled = false;
  if (!r) return;
  if (r.top.length) renderTop($('cv-top5'), r.top, target, 'target');
  if (r.finalScore !== null) $('cv-score').textContent = r.finalScore.toFixed(2);
  $('cv-iter').textContent = `${done} / ${p.iterations}${r.stopped ? ' (stopped)' : ''}`;
  const perIt = done > 0 ? r.ms / done : null;
  if (perIt) $('cv-rate').textContent = fmtMs(perIt);
  const base = `classviz_${target}_${slug(IMAGENET_CLASSES[target] ?? `class${target}`)}`;
  const fin = finalImage as Float32Array | null;
  if (fin) bindDownload('cv-dl-npy', () => downloadNpy(fin, [1, 3, 224, 224], `${base}.npy`));
  const report = { target, targetName: IMAGENET_CLASSES[target], settings: p, iterations: done, stopped: r.stopped, score: r.finalScore, top5: r.top, ms: r.ms, msPerIteration: perIt };
  bindDownload('cv-dl-json', () => downloadJson(report, `${base}.json`));
  hook.last.classviz = { target, iterations: done, requested: p.iterations, ms: r.ms, msPerIteration: perIt, score: r.finalScore, stopped: r.stopped, frames };
}

export function initClassViz(): void {
  picker = new ClassPicker($('cv-target'), lastTarget);
  const D = CLASSVIZ_DEFAULTS;
  $<HTMLInputElement>('cv-iterations').value = String(D.iterations);
  $<HTMLInputElement>('cv-l2').value = String(D.l2);
  $<HTMLInputElement>('cv-lr').value = String(D.lr);
  $<HTMLInputElement>('cv-blur-every').value = String(D.blurEvery);
  $<HTMLInputElement>('cv-blur-sigma').value = String(D.blurSigma);
  $<HTMLInputElement>('cv-jitter').value = String(D.jitter);
  $<HTMLInputElement>('cv-seed').value = String(D.seed);
  picker.setSuggestions(CS231N.map((id) => ({ id, tag: 'cs231n' })));
  $('cv-run').addEventListener('click', () => void runClassViz());
  $('cv-stop').addEventListener('click', () => {
    stopRequested = true;
  });
  $('cv-download').addEventListener('click', () => {
    downloadPng($<HTMLCanvasElement>('cv-canvas'), `classviz_${lastTarget}_${slug(IMAGENET_CLASSES[lastTarget] ?? `class${lastTarget}`)}.png`);
  });
  afterPredict((top) => {
    picker.setSuggestions([...CS231N.map((id) => ({ id, tag: 'cs231n' })), ...top.map((t, i) => ({ id: t.class, tag: `image top-${i + 1}` }))]);
  });
  onBusy(() => {
    if (!hook.state.busy) $<HTMLButtonElement>('cv-stop').disabled = true;
  });
}
