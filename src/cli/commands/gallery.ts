// `npm start` / `gradsight gallery`: all three visualizations on five images (the first five of the samples
// embedded in the package, samples/, unless --image names others), written as PNG figures plus out/index.html.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keep, tidy } from '../../core.js';
import { className } from '../../nn/classes.js';
import { saliency, SALIENCY_METHODS } from '../../viz/saliency.js';
import { makeFoolingImages } from '../../viz/fooling.js';
import { classVisualization, CLASSVIZ_DEFAULTS } from '../../viz/classviz.js';
import { argmaxRows, softmaxRows, topkRows } from '../../viz/common.js';
import { loadInputs } from '../inputs.js';
import { LIMITS, UsageError, int, parse, str, strings, type Command } from '../args.js';
import { ROOT, classArg, getDevice, getModel, gpuDone } from '../context.js';
import { checkFiniteResult, guardOutputs, writeAtomic } from '../output.js';
import { Progress } from '../progress.js';
import { saliencyFigure, foolingFigure, classVizFigure } from '../figures.js';
import { WEIGHTS_OPTION } from './common.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The fooling target (stingray, as in cs231n), the classes visualized and the SmoothGrad / IG samples. */
const TARGET = 6;
const CLASSES = [76, 366, 113]; // tarantula, gorilla, snail
const SAMPLES = 16;
const FILES = [...SALIENCY_METHODS.map((m) => `saliency_${m}.png`), 'fooling.png', ...CLASSES.map((c) => `classviz_${c}.png`), 'index.html'];

export const gallery: Command = {
  name: 'gallery',
  summary: 'all three visualizations on five sample images, as PNG figures and an index.html',
  usage: '[options]',
  gpu: true,
  options: {
    image: { type: 'string', variadic: true, arg: '<file>', help: 'input images (default: the first five of samples/)' },
    weights: WEIGHTS_OPTION,
    out: { type: 'string', arg: '<dir/>', help: 'output folder', def: 'out/' },
    target: { type: 'string', arg: '<N|name>', help: 'the fooling target', def: TARGET },
    iterations: { type: 'string', arg: '<n>', help: `class visualization steps (at most ${LIMITS.iterations})`, def: CLASSVIZ_DEFAULTS.iterations },
  },
  notes: [`Saliency with every method (SmoothGrad and Integrated Gradients with ${SAMPLES} samples), fooling into the target, class visualizations of ${CLASSES.map((c) => `${c} ${className(c)}`).join(', ')}.`],
  async run(argv) {
    const { values } = parse('gallery', argv, this.options);
    let images = strings(values.image);
    if (!images.length) {
      const dir = resolve(ROOT, 'samples');
      if (!existsSync(dir)) throw new UsageError(`gradsight gallery: no sample images (${dir} is absent): pass --image <files>`);
      images = readdirSync(dir).filter((f) => f.endsWith('.png')).sort().slice(0, 5).map((f) => join(dir, f));
    }
    const iterations = int('gallery', 'iterations', values.iterations, CLASSVIZ_DEFAULTS.iterations, 1, LIMITS.iterations);
    const target = classArg('gallery', values.target, '--target') ?? TARGET;
    const outDir = resolve(str(values.out) ?? join(ROOT, 'out'));
    const batch = loadInputs(images);
    guardOutputs('gallery', FILES.map((f) => ({ flag: 'out', path: join(outDir, f) })), [...batch.sources, ...strings(values.weights)]);
    try {
      mkdirSync(outDir, { recursive: true });
    } catch (e) {
      throw new UsageError(`gradsight gallery: cannot create --out ${outDir}: ${(e as Error).message}`);
    }
    const model = await getModel(values.weights);
    const d = await getDevice();
    const n = batch.shape[0], k = model.numClasses;
    const x = keep(d.tensor(batch.data, batch.shape));
    const t0 = performance.now();

    const logitsT = tidy(() => model.logits(x));
    const logits = await logitsT.toArray();
    logitsT.dispose();
    checkFiniteResult('gallery', 'logits', logits, k, batch.names);
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
      const steps = method === 'smoothgrad' || method === 'integrated-gradients' ? SAMPLES : undefined;
      const bar = new Progress(`saliency ${method}`, steps ?? 1);
      const s0 = performance.now();
      const res = await saliency(model, x, classes, { method, samples: steps, onProgress: (i) => bar.follow(gpuDone(d), i) });
      bar.update(steps ?? 1);
      bar.done();
      checkFiniteResult('gallery', `${method} map`, res.maps, res.shape[1] * res.shape[2], batch.names);
      const file = `saliency_${method}.png`;
      writeAtomic('out', join(outDir, file), saliencyFigure(batch, res, preds));
      salFigs.push(`<figure><img src="${file}" alt="${method} saliency"><figcaption>${method} — ${(performance.now() - s0).toFixed(0)} ms</figcaption></figure>`);
    }
    sections.push(`<h2>Saliency maps</h2><p>Gradient of the true class score with respect to the input pixels (absolute value, max over color channels), and three refinements.</p>${salFigs.join('')}`);

    // Fooling images: every image pushed to one target class.
    const fb = new Progress('fooling', 100); // makeFoolingImages's default steps; each reads back, so the bar follows finished work
    const f0 = performance.now();
    const fool = await makeFoolingImages(model, x, classes.map(() => target), { onStep: (i) => fb.update(i) });
    fb.done();
    const fooled = await fool.fooled.toArray();
    fool.fooled.dispose();
    checkFiniteResult('gallery', 'fooled image', fooled, batch.shape[1] * batch.shape[2] * batch.shape[3], batch.names);
    writeAtomic('out', join(outDir, 'fooling.png'), foolingFigure(batch, fooled, fool.reports, preds));
    const ok = fool.reports.filter((r) => r.success).length;
    sections.push(`<h2>Fooling images</h2><p>Target: ${esc(className(target))} (${target}). ${ok}/${n} fooled in ${(performance.now() - f0).toFixed(0)} ms; steps ${fool.reports.map((r) => r.iterations).join(', ')}; max pixel change ${fool.reports.map((r) => r.linf255.toFixed(1)).join(', ')} (0–255).</p><figure><img src="fooling.png" alt="fooling images"></figure>`);

    // Class visualization for three classes.
    const cvFigs: string[] = [];
    for (const cls of CLASSES) {
      const cb = new Progress(`classviz ${className(cls)}`, iterations);
      const c0 = performance.now();
      const res = await classVisualization(model, d, cls, { iterations, scoreEvery: 0, onStep: (i) => cb.follow(gpuDone(d), i) });
      cb.done();
      const img = await res.image.toArray();
      const lg = tidy(() => model.logits(res.image));
      const lgv = await lg.toArray();
      lg.dispose();
      res.image.dispose();
      checkFiniteResult('gallery', `class visualization of ${cls}`, img, img.length, [className(cls)]);
      checkFiniteResult('gallery', `scores of the class visualization of ${cls}`, lgv, lgv.length, [className(cls)]);
      const p = softmaxRows(lgv, 1, k);
      const file = `classviz_${cls}.png`;
      writeAtomic('out', join(outDir, file), classVizFigure(img, cls, topkRows(p, 1, k, 5)[0]));
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
    writeAtomic('out', join(outDir, 'index.html'), new TextEncoder().encode(html));
    console.log(`gallery written to ${join(outDir, 'index.html')}`);
  },
};
