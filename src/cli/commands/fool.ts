// `gradsight fool`: fooling images — each input pushed by gradient ascent until the model predicts the target.
import { className } from '../../nn/classes.js';
import { makeFoolingImages, FOOLING_DEFAULTS as D } from '../../viz/fooling.js';
import { argmaxRows, softmaxRows } from '../../viz/common.js';
import { writeNpy } from '../../io/npy.js';
import { LIMITS, UsageError, int, num, parse, strings, type Command } from '../args.js';
import { batchTensor, classArg, getDevice, getModel, logitsOf } from '../context.js';
import { loadInputs } from '../inputs.js';
import { checkFiniteResult, checkWritable, guardOutputs, writeAtomic } from '../output.js';
import { Progress } from '../progress.js';
import { foolingFigure } from '../figures.js';
import { IMAGE_OPTION, JSON_OPTION, WEIGHTS_NOTE, WEIGHTS_OPTION } from './common.js';

export const fool: Command = {
  name: 'fool',
  summary: 'fooling images: small changes that make the model predict a chosen class',
  usage: '--image <file>... --target <N|name> [options]',
  gpu: true,
  options: {
    image: IMAGE_OPTION,
    weights: WEIGHTS_OPTION,
    target: { type: 'string', arg: '<N|name>', help: 'the class to fool the model into (required)' },
    lr: { type: 'string', arg: '<x>', help: 'step size (each step moves the image by lr along the normalized gradient)', def: D.lr },
    'max-iter': { type: 'string', arg: '<n>', help: `at most this many steps per image (at most ${LIMITS.maxIter})`, def: D.maxIter },
    out: { type: 'string', arg: '<f.png>', help: 'write a figure: original, fooled, difference ×10' },
    raw: { type: 'string', arg: '<f.npy>', help: 'write the fooled network inputs as float32 (N, 3, H, W) .npy' },
    json: JSON_OPTION,
  },
  notes: [WEIGHTS_NOTE],
  async run(argv) {
    const { values } = parse('fool', argv, this.options);
    if (values.target === undefined) throw new UsageError('gradsight fool: --target N|name is required');
    const target = classArg('fool', values.target, '--target')!;
    const lr = num('fool', 'lr', values.lr, D.lr, (x) => x > 0, 'a positive number');
    const maxIter = int('fool', 'max-iter', values['max-iter'], D.maxIter, 0, LIMITS.maxIter);
    const out = checkWritable('fool', 'out', values.out);
    const raw = checkWritable('fool', 'raw', values.raw);
    const batch = loadInputs(strings(values.image));
    guardOutputs('fool', [{ flag: 'out', path: out }, { flag: 'raw', path: raw }], [...batch.sources, ...strings(values.weights)]);
    const model = await getModel(values.weights);
    const d = await getDevice();
    const x = batchTensor(d, batch);
    const before = await logitsOf(model, d, batch);
    // Each step reads its results back, so the bar follows finished work as it is.
    const bar = new Progress('fool', maxIter, !!values.json);
    const t0 = performance.now();
    const res = await makeFoolingImages(model, x, batch.names.map(() => target), { lr, maxIter, onStep: (i, left) => bar.update(i, `${left} left`) });
    bar.done();
    const ms = performance.now() - t0;
    const fooled = await res.fooled.toArray();
    res.fooled.dispose();
    x.dispose();
    const [n, c, h, w] = batch.shape;
    const k = model.numClasses;
    checkFiniteResult('fool', 'fooled image', fooled, c * h * w, batch.names);
    const p0 = softmaxRows(before, n, k), pred0 = argmaxRows(before, n, k);
    if (raw) writeAtomic('raw', raw, writeNpy(fooled, batch.shape));
    if (out) writeAtomic('out', out, foolingFigure(batch, fooled, res.reports, pred0.map((p, i) => ({ pred: p, prob: p0[i * k + p] }))));
    const results = res.reports.map((r, i) => ({
      image: batch.names[i], originalPredicted: pred0[i], originalPredictedName: className(pred0[i]),
      target: r.target, targetName: className(r.target), predicted: r.predicted, predictedName: className(r.predicted),
      success: r.success, iterations: r.iterations, targetProb: r.targetProb, linf255: r.linf255, l2_255: r.l2_255,
    }));
    if (values.json) {
      console.log(JSON.stringify({ command: 'fool', target, targetName: className(target), settings: { lr, maxIter }, ms, results, out: out ?? null, raw: raw ?? null }));
      return;
    }
    for (const r of results) {
      console.log(`${r.image}: ${r.originalPredictedName} → ${r.success ? 'fooled' : 'NOT fooled'} as ${r.predicted} ${r.predictedName} after ${r.iterations} step(s); p(target) ${r.targetProb.toFixed(3)}; change L∞ ${r.linf255.toFixed(2)}, L2 ${r.l2_255.toFixed(1)} (0–255 scale)`);
    }
    const ok = results.filter((r) => r.success).length;
    console.log(`${ok}/${results.length} fooled into ${target} ${className(target)} in ${ms.toFixed(0)} ms${out ? `; figure: ${out}` : ''}`);
  },
};
