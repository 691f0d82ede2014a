// `gradsight saliency`: saliency maps (vanilla, SmoothGrad, Integrated Gradients, Grad-CAM) as a figure, raw
// maps and a summary; the JSON names the settings used.
import { LAYER_NAMES } from '../../nn/squeezenet.js';
import { className } from '../../nn/classes.js';
import { saliency, SALIENCY_DEFAULTS as D, SALIENCY_METHODS, type SaliencyMethod } from '../../viz/saliency.js';
import { argmaxRows, softmaxRows } from '../../viz/common.js';
import { writeNpy } from '../../io/npy.js';
import { LIMITS, UsageError, int, num, parse, str, strings, type Command } from '../args.js';
import { batchTensor, classArg, classesFor, getDevice, getModel, gpuDone, logitsOf } from '../context.js';
import { loadInputs } from '../inputs.js';
import { checkFiniteResult, checkWritable, guardOutputs, writeAtomic } from '../output.js';
import { Progress } from '../progress.js';
import { saliencyFigure } from '../figures.js';
import { IMAGE_OPTION, JSON_OPTION, WEIGHTS_NOTE, WEIGHTS_OPTION } from './common.js';

const BASELINES = ['zeros', 'black', 'blur'] as const;
const RULES = ['riemann', 'trapezoid'] as const;
/** Grad-CAM needs a spatial layer [N, C, h, w]: every captured layer but the flattened logits. */
const CAM_LAYERS = LAYER_NAMES.filter((l) => l !== 'logits');

export const saliencyCommand: Command = {
  name: 'saliency',
  summary: 'saliency maps: how much each input pixel moves a class score',
  usage: '--image <file>... [options]',
  gpu: true,
  options: {
    image: IMAGE_OPTION,
    weights: WEIGHTS_OPTION,
    class: { type: 'string', arg: '<N|name>', help: 'the class to explain (default: the label the input carries, else the prediction)' },
    method: { type: 'string', arg: '<name>', help: SALIENCY_METHODS.join(' | '), def: D.method },
    samples: { type: 'string', arg: '<n>', help: `SmoothGrad samples (default: ${D.smoothgradSamples}) / Integrated Gradients steps (default: ${D.igSteps}); at most ${LIMITS.samples}` },
    noise: { type: 'string', arg: '<σ>', help: "SmoothGrad noise as a fraction of each image's value range", def: D.noise },
    seed: { type: 'string', arg: '<n>', help: 'SmoothGrad noise seed', def: D.seed },
    baseline: { type: 'string', arg: '<name>', help: `Integrated Gradients baseline: ${BASELINES.join(' | ')} (blur: Gaussian σ ${D.blurSigma} px)`, def: D.baseline },
    rule: { type: 'string', arg: '<name>', help: `Integrated Gradients quadrature: ${RULES.join(' | ')}`, def: D.rule },
    layer: { type: 'string', arg: '<name>', help: 'Grad-CAM layer (features.1 … features.12, classifier.2, classifier.3)', def: D.layer },
    out: { type: 'string', arg: '<s.png>', help: 'write a figure: each image, its heat map and the overlay' },
    raw: { type: 'string', arg: '<s.npy>', help: 'write the maps as float32 (N, H, W) .npy' },
    json: JSON_OPTION,
  },
  notes: [WEIGHTS_NOTE],
  async run(argv) {
    const { values } = parse('saliency', argv, this.options);
    const method = (values.method ?? D.method) as SaliencyMethod;
    if (!SALIENCY_METHODS.includes(method)) throw new UsageError(`gradsight saliency: unknown --method '${method}' (use ${SALIENCY_METHODS.join(', ')})`);
    const baseline = (values.baseline ?? D.baseline) as (typeof BASELINES)[number];
    if (!BASELINES.includes(baseline)) throw new UsageError(`gradsight saliency: unknown --baseline '${baseline}' (use zeros, black or blur)`);
    const rule = (values.rule ?? D.rule) as (typeof RULES)[number];
    if (!RULES.includes(rule)) throw new UsageError(`gradsight saliency: unknown --rule '${rule}' (use riemann or trapezoid)`);
    const layer = str(values.layer) ?? D.layer;
    if (!CAM_LAYERS.includes(layer)) throw new UsageError(`gradsight saliency: unknown --layer '${layer}' (use one of ${CAM_LAYERS.join(', ')})`);
    const samples = values.samples === undefined ? undefined : int('saliency', 'samples', values.samples, 1, 1, LIMITS.samples);
    const noise = num('saliency', 'noise', values.noise, D.noise, (x) => x >= 0, 'a number ≥ 0');
    const seed = int('saliency', 'seed', values.seed, D.seed, 0, LIMITS.seed);
    const given = classArg('saliency', values.class, '--class');
    const out = checkWritable('saliency', 'out', values.out);
    const raw = checkWritable('saliency', 'raw', values.raw);
    const batch = loadInputs(strings(values.image));
    guardOutputs('saliency', [{ flag: 'out', path: out }, { flag: 'raw', path: raw }], [...batch.sources, ...strings(values.weights)]);
    const settings =
      method === 'smoothgrad' ? { samples: samples ?? D.smoothgradSamples, noise, seed }
      : method === 'integrated-gradients' ? { steps: samples ?? D.igSteps, baseline, rule, ...(baseline === 'blur' ? { blurSigma: D.blurSigma } : {}) }
      : method === 'gradcam' ? { layer }
      : {};

    const model = await getModel(values.weights);
    const d = await getDevice();
    const classes = await classesFor(model, d, batch, given);
    const x = batchTensor(d, batch);
    const total = method === 'smoothgrad' ? samples ?? D.smoothgradSamples : method === 'integrated-gradients' ? (samples ?? D.igSteps) + (rule === 'trapezoid' ? 1 : 0) : 1;
    const bar = new Progress(`saliency ${method}`, total, !!values.json);
    const t0 = performance.now();
    const res = await saliency(model, x, classes, {
      method, samples, noise, seed, baseline, rule, layer,
      onProgress: (i) => bar.follow(gpuDone(d), i),
    });
    bar.done();
    const ms = performance.now() - t0;
    const logits = await logitsOf(model, d, batch);
    x.dispose();
    const [n, h, w] = res.shape;
    checkFiniteResult('saliency', `${method} map`, res.maps, h * w, batch.names);
    checkFiniteResult('saliency', 'logits', logits, model.numClasses, batch.names);
    const k = model.numClasses;
    const probs = softmaxRows(logits, n, k);
    const pred = argmaxRows(logits, n, k);
    if (raw) writeAtomic('raw', raw, writeNpy(res.maps, [n, h, w]));
    if (out) writeAtomic('out', out, saliencyFigure(batch, res, pred.map((p, i) => ({ pred: p, prob: probs[i * k + p] }))));
    const results = batch.names.map((name, i) => {
      const m = res.maps.subarray(i * h * w, (i + 1) * h * w);
      let mx = 0, s = 0;
      for (const v of m) {
        mx = Math.max(mx, v);
        s += v;
      }
      return {
        image: name, class: classes[i], className: className(classes[i]), predicted: pred[i], predictedName: className(pred[i]),
        max: mx, mean: s / m.length, ...(res.completenessGap ? { completenessGap: res.completenessGap[i] } : {}),
      };
    });
    if (values.json) {
      console.log(JSON.stringify({ command: 'saliency', method, settings, shape: res.shape, ms, results, out: out ?? null, raw: raw ?? null }));
      return;
    }
    for (const r of results) {
      const gap = 'completenessGap' in r ? `, IG completeness gap ${(r.completenessGap as number).toExponential(2)}` : '';
      console.log(`${r.image}: class ${r.class} ${r.className} — saliency max ${r.max.toExponential(3)}, mean ${r.mean.toExponential(3)}${gap}`);
    }
    const shown = Object.entries(settings).map(([key, v]) => `${key} ${v}`).join(', ');
    console.log(`${method}${shown ? ` (${shown})` : ''} for ${n} image(s) in ${ms.toFixed(0)} ms${out ? `; figure: ${out}` : ''}${raw ? `; maps: ${raw}` : ''}`);
  },
};
