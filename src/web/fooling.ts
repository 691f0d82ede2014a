// Fooling view: push the current image towards a target class with gradsight's makeFoolingImages, one step
// per call so the page can show the iteration, the target probability and the prediction live, and stop.
// One call with maxIter 1 is exactly one step of the algorithm (clamping is idempotent), followed by the
// library's own prediction of the result.
import { keep, type Tensor } from '../core.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { makeFoolingImages, type FoolingImageReport } from '../viz/fooling.js';
import { STD } from '../viz/common.js';
import { $, fmtMs, toast } from './dom.js';
import { clearCanvas, drawDifference, drawRgb, drawSparkline } from './draw.js';
import { ClassPicker } from './picker.js';
import { afterPredict } from './predict.js';
import { app, hook, onBusy, onImage, runJob } from './state.js';
import { bindDownload, downloadJson, downloadNpy, downloadPng, slug, stem } from './download.js';

let picker: ClassPicker;
let stopRequested = false;
const DOWNLOADS = ['fool-dl-png', 'fool-dl-diff', 'fool-dl-npy', 'fool-dl-json'];

function setLive(iter: number | string, prob: number | null, pred: number | null): void {
  $('fool-iter').textContent = String(iter);
  $('fool-prob').textContent = prob === null ? '—' : prob.toFixed(4);
  $('fool-pred').textContent = pred === null ? '—' : `${pred} · ${IMAGENET_CLASSES[pred]}`;
  $('fool-pred').title = $('fool-pred').textContent!;
}

function softmaxAt(logits: Float32Array, c: number): number {
  let m = -Infinity;
  for (const v of logits) m = Math.max(m, v);
  let s = 0;
  for (const v of logits) s += Math.exp(v - m);
  return Math.exp(logits[c] - m) / s;
}

export async function runFooling(): Promise<void> {
  const img = app.image, model = app.model, d = app.device;
  if (!img || !model || !d) return;
  const target = picker.value;
  const lr = Number($<HTMLInputElement>('fool-lr').value);
  const maxIter = Math.round(Number($<HTMLInputElement>('fool-max').value));
  if (!(lr > 0) || !(maxIter >= 1)) {
    toast('fooling: lr must be > 0 and max iterations ≥ 1', 'error');
    return;
  }
  stopRequested = false;
  const probs: number[] = [];
  if (app.logits && app.logitsFor === img.id) probs.push(softmaxAt(app.logits, target));
  drawSparkline($<HTMLCanvasElement>('fool-spark'), probs);
  drawRgb($<HTMLCanvasElement>('fool-orig'), img.rgb);
  clearCanvas($<HTMLCanvasElement>('fool-fooled'));
  clearCanvas($<HTMLCanvasElement>('fool-diff'));
  $('fool-fooled-cap').textContent = 'fooled';
  $('fool-diff-cap').textContent = 'difference (magnified)';
  $('fool-meta').textContent = '';
  setLive(0, probs[0] ?? null, null);
  hook.live.foolingIteration = 0;
  $<HTMLButtonElement>('fool-stop').disabled = false;

  for (const id of DOWNLOADS) bindDownload(id, null);
  const r = await runJob(`fooling towards class ${target}`, async (ctx) => {
    const t0 = performance.now();
    const X: Tensor = keep(d.tensor(img.chw, [1, 3, 224, 224]));
    let iterations = 0;
    let last = t0;
    let stepMs = 0;
    try {
      // One call: finished images stop by themselves; onStep streams p(target) after every step.
      const res = await makeFoolingImages(model, X, [target], {
        lr,
        maxIter,
        shouldStop: () => stopRequested,
        onStep: (it, _remaining, p) => {
          const now = performance.now();
          stepMs += now - last;
          last = now;
          iterations = it;
          probs[it - 1] = p[0]; // the forward of iteration `it` sees the image after it − 1 steps
          hook.live.foolingIteration = it;
          setLive(it, p[0], null);
          drawSparkline($<HTMLCanvasElement>('fool-spark'), probs);
        },
      });
      const report: FoolingImageReport = res.reports[0];
      iterations = report.iterations;
      probs.length = iterations; // states after 0 .. iterations − 1 steps, then the final one
      probs.push(report.targetProb);
      drawSparkline($<HTMLCanvasElement>('fool-spark'), probs);
      setLive(iterations, report.targetProb, report.predicted);
      const fooled = await res.fooled.toArray();
      res.fooled.dispose();
      ctx.steps(iterations, 'iteration');
      return { fooled, report, iterations, ms: performance.now() - t0, stepMs };
    } finally {
      X.dispose();
    }
  }, { stop: () => (stopRequested = true) });
  $<HTMLButtonElement>('fool-stop').disabled = true;
  if (!r || app.image !== img) return;

  // The change in 0–255 pixel units, against the original input (as the library reports it per call).
  let linf = 0, l2 = 0;
  const n = 224 * 224;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const dd = (r.fooled[c * n + i] - img.chw[c * n + i]) * STD[c] * 255;
      linf = Math.max(linf, Math.abs(dd));
      l2 += dd * dd;
    }
  }
  l2 = Math.sqrt(l2);
  const { factor, fooled } = drawDifference($<HTMLCanvasElement>('fool-diff'), img.rgb, r.fooled, 224, 224);
  drawRgb($<HTMLCanvasElement>('fool-fooled'), fooled);
  const rep = r.report;
  const ok = rep.success;
  $('fool-fooled-cap').innerHTML = '';
  $('fool-fooled-cap').append(
    ok ? 'fooled: ' : 'not fooled: ',
    Object.assign(document.createElement('b'), { textContent: `${rep.predicted} · ${IMAGENET_CLASSES[rep.predicted]}`, className: ok ? 'good' : 'bad' }),
    ` (p ${rep.targetProb.toFixed(3)} for the target)`,
  );
  $('fool-diff-cap').textContent = `difference ×${factor.toFixed(1)} around gray · L∞ ${linf.toFixed(2)}, L2 ${l2.toFixed(1)} (0–255)`;
  const perIt = r.iterations > 0 ? r.stepMs / r.iterations : null;
  $('fool-meta').textContent = `${ok ? 'Reached' : stopRequested ? 'Stopped before reaching' : 'Did not reach'} ${target} (${IMAGENET_CLASSES[target]}) after ${r.iterations} iteration(s) in ${fmtMs(r.ms)}${perIt ? ` · ${fmtMs(perIt)} per iteration (step + check)` : ''}.`;
  const base = `fooling_${stem(img.name)}_to_${target}_${slug(IMAGENET_CLASSES[target] ?? '')}`;
  const report = {
    image: img.name, target, targetName: IMAGENET_CLASSES[target], settings: { lr, maxIter }, iterations: r.iterations, success: ok,
    predicted: rep.predicted, predictedName: IMAGENET_CLASSES[rep.predicted], targetProb: rep.targetProb, linf255: linf, l2_255: l2,
    stopped: stopRequested && !ok, probs: [...probs], ms: r.ms, diffFactor: factor,
  };
  bindDownload('fool-dl-png', () => downloadPng($<HTMLCanvasElement>('fool-fooled'), `${base}.png`));
  bindDownload('fool-dl-diff', () => downloadPng($<HTMLCanvasElement>('fool-diff'), `${base}_difference.png`));
  bindDownload('fool-dl-npy', () => downloadNpy(r.fooled, [1, 3, 224, 224], `${base}.npy`));
  bindDownload('fool-dl-json', () => downloadJson(report, `${base}.json`));
  hook.last.fooling = {
    image: img.name, target, iterations: r.iterations, success: ok, predicted: rep.predicted, targetProb: rep.targetProb, linf255: linf, l2_255: l2,
    ms: r.ms, msPerIteration: perIt, stopped: stopRequested && !ok, probs: [...probs],
  };
}

export function initFooling(): void {
  picker = new ClassPicker($('fool-target'), 6);
  $('fool-run').addEventListener('click', () => void runFooling());
  $('fool-stop').addEventListener('click', () => {
    stopRequested = true;
  });
  onImage(() => {
    drawRgb($<HTMLCanvasElement>('fool-orig'), app.image!.rgb);
    clearCanvas($<HTMLCanvasElement>('fool-fooled'));
    clearCanvas($<HTMLCanvasElement>('fool-diff'));
    $('fool-fooled-cap').textContent = 'fooled';
    $('fool-diff-cap').textContent = 'difference (magnified)';
    $('fool-meta').textContent = '';
    setLive('—', null, null);
    drawSparkline($<HTMLCanvasElement>('fool-spark'), []);
    for (const id of DOWNLOADS) bindDownload(id, null);
  });
  afterPredict((top) => {
    picker.setSuggestions([{ id: 6, tag: 'cs231n' }, ...top.slice(1).map((t, i) => ({ id: t.class, tag: `top-${i + 2}` }))]);
    if (app.logits && app.image) setLive(0, softmaxAt(app.logits, picker.value), top[0].class);
  });
  onBusy(() => {
    if (!hook.state.busy) $<HTMLButtonElement>('fool-stop').disabled = true;
  });
}
