// `npm start` / `gradsight gallery`: all three visualizations on five images (the first five of the samples
// embedded in the package, samples/, unless --image names others), written as PNG figures plus out/index.html.
import { existsSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keep, tidy, type Device } from '../core.js';
import type { SqueezeNet } from '../nn/squeezenet.js';
import { className, resolveClass } from '../nn/classes.js';
import { saliency, SALIENCY_METHODS } from '../viz/saliency.js';
import { makeFoolingImages } from '../viz/fooling.js';
import { classVisualization } from '../viz/classviz.js';
import { argmaxRows, softmaxRows, topkRows } from '../viz/common.js';
import { loadInputs } from './inputs.js';
import { parse, int, UsageError } from './args.js';
import { Progress } from './progress.js';
import { saliencyFigure, foolingFigure, classVizFigure } from './figures.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export async function galleryCommand(
  argv: string[], root: string, getDevice: () => Promise<Device>, getModel: (w?: string) => Promise<SqueezeNet>,
): Promise<void> {
  const { values } = parse('gallery', argv, {
    image: { type: 'string', multiple: true }, weights: { type: 'string' }, out: { type: 'string' },
    target: { type: 'string' }, iterations: { type: 'string' },
  });
  let images = (values.image as string[] | undefined) ?? [];
  if (!images.length) {
    const dir = resolve(root, 'samples');
    if (!existsSync(dir)) throw new UsageError(`gradsight gallery: no sample images (${dir} is absent): pass --image <files>`);
    images = readdirSync(dir).filter((f) => f.endsWith('.png')).sort().slice(0, 5).map((f) => join(dir, f));
  }
  const iterations = int('gallery', 'iterations', values.iterations, 100, 1);
  let target = 6; // stingray, as in cs231n
  if (values.target !== undefined) {
    try {
      target = resolveClass(String(values.target));
    } catch (e) {
      throw new UsageError(`gradsight gallery: --target: ${(e as Error).message}`);
    }
  }
  const outDir = resolve(typeof values.out === 'string' ? values.out : join(root, 'out'));
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UsageError(`gradsight gallery: cannot create --out ${outDir}: ${(e as Error).message}`);
  }
  const batch = loadInputs(images);
  const model = await getModel(values.weights as string | undefined);
  const d = await getDevice();
  const n = batch.shape[0], k = model.numClasses;
  const x = keep(d.tensor(batch.data, batch.shape));
  const t0 = performance.now();

  const logitsT = tidy(() => model.logits(x));
  const logits = await logitsT.toArray();
  logitsT.dispose();
  const probs = softmaxRows(logits, n, k);
  const pred = argmaxRows(logits, n, k);
  const preds = pred.map((p, i) => ({ pred: p, prob: probs[i * k + p] }));
  const classes = batch.labels.map((l, i) => l ?? pred[i]);
  const sections: string[] = [];
  const top = topkRows(probs, n, k, 5);
  sections.push(`<h2>Predictions</h2><table><tr><th>image</th><th>true</th><th>top-5</th></tr>${batch.names.map((name, i) =>
    `<tr><td>${esc(name)}</td><td>${batch.labels[i] !== null ? esc(className(batch.labels[i]!)) : '—'}</td><td>${top[i].map((t) => `${esc(className(t.index))} ${(t.value * 100).toFixed(1)}%`).join(', ')}</td></tr>`).join('')}</table>`);

  // Saliency, each method.
  const salFigs: string[] = [];
  for (const method of SALIENCY_METHODS) {
    const bar = new Progress(`saliency ${method}`, 1);
    const s0 = performance.now();
    const res = await saliency(model, x, classes, { method, samples: method === 'smoothgrad' ? 16 : method === 'integrated-gradients' ? 16 : undefined });
    bar.update(1);
    bar.done();
    const file = `saliency_${method}.png`;
    writeFileSync(join(outDir, file), saliencyFigure(batch, res, preds));
    salFigs.push(`<figure><img src="${file}" alt="${method} saliency"><figcaption>${method} — ${(performance.now() - s0).toFixed(0)} ms</figcaption></figure>`);
  }
  sections.push(`<h2>Saliency maps</h2><p>Gradient of the true class score with respect to the input pixels (absolute value, max over color channels), and three refinements.</p>${salFigs.join('')}`);

  // Fooling images: every image pushed to one target class.
  const fb = new Progress('fooling', 100);
  const f0 = performance.now();
  const fool = await makeFoolingImages(model, x, classes.map(() => target), { onStep: (i) => fb.update(i) });
  fb.done();
  const fooled = await fool.fooled.toArray();
  fool.fooled.dispose();
  writeFileSync(join(outDir, 'fooling.png'), foolingFigure(batch, fooled, fool.reports, preds));
  const ok = fool.reports.filter((r) => r.success).length;
  sections.push(`<h2>Fooling images</h2><p>Target: ${esc(className(target))} (${target}). ${ok}/${n} fooled in ${(performance.now() - f0).toFixed(0)} ms; steps ${fool.reports.map((r) => r.iterations).join(', ')}; max pixel change ${fool.reports.map((r) => r.linf255.toFixed(1)).join(', ')} (0–255).</p><figure><img src="fooling.png" alt="fooling images"></figure>`);

  // Class visualization for three classes.
  const cvFigs: string[] = [];
  for (const cls of [76, 366, 113]) { // tarantula, gorilla, snail
    const cb = new Progress(`classviz ${className(cls)}`, iterations);
    const c0 = performance.now();
    const res = await classVisualization(model, d, cls, { iterations, scoreEvery: 0, onStep: (i) => cb.update(i) });
    cb.done();
    const img = await res.image.toArray();
    const lg = tidy(() => model.logits(res.image));
    const p = softmaxRows(await lg.toArray(), 1, k);
    lg.dispose();
    res.image.dispose();
    const file = `classviz_${cls}.png`;
    writeFileSync(join(outDir, file), classVizFigure(img, cls, topkRows(p, 1, k, 5)[0]));
    cvFigs.push(`<figure><img src="${file}" alt="class visualization ${esc(className(cls))}"><figcaption>${esc(className(cls))} — ${iterations} iterations, ${(performance.now() - c0).toFixed(0)} ms</figcaption></figure>`);
  }
  sections.push(`<h2>Class visualization</h2><p>Gradient ascent on the class score from random noise, with jitter, L2 regularization and periodic blur.</p>${cvFigs.join('')}`);
  x.dispose();

  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gradsight gallery</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}h1{font-weight:600}
figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #eee;text-align:left}
figcaption{color:#555}</style></head><body><h1>gradsight gallery</h1>
<p>SqueezeNet 1.1 on ${esc(d.adapter.vendor)} / ${esc(d.adapter.architecture)} (WebGPU ${d.adapter.mode}); ${n} images; total ${((performance.now() - t0) / 1000).toFixed(1)} s.</p>
${sections.join('\n')}</body></html>`;
  writeFileSync(join(outDir, 'index.html'), html);
  console.log(`gallery written to ${join(outDir, 'index.html')}`);
}
