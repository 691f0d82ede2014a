// `gradsight predict`: the top classes of each image.
import { className } from '../../nn/classes.js';
import { softmaxRows, topkRows } from '../../viz/common.js';
import { writeNpy } from '../../io/npy.js';
import { parse, int, strings, type Command } from '../args.js';
import { getDevice, getModel, logitsOf } from '../context.js';
import { loadInputs } from '../inputs.js';
import { checkFiniteResult, checkWritable, guardOutputs, writeAtomic } from '../output.js';
import { IMAGE_OPTION, JSON_OPTION, WEIGHTS_NOTE, WEIGHTS_OPTION } from './common.js';

const TOP = 5;

export const predict: Command = {
  name: 'predict',
  summary: 'the top classes of each image',
  usage: '--image <file>... [options]',
  gpu: true,
  options: {
    image: IMAGE_OPTION,
    weights: WEIGHTS_OPTION,
    top: { type: 'string', arg: '<k>', help: 'classes shown per image', def: TOP },
    raw: { type: 'string', arg: '<logits.npy>', help: 'write the logits as float32 (N, 1000) .npy' },
    json: JSON_OPTION,
  },
  notes: [WEIGHTS_NOTE],
  async run(argv) {
    const { values } = parse('predict', argv, this.options);
    const k = 1000;
    const topN = int('predict', 'top', values.top, TOP, 1, k);
    const raw = checkWritable('predict', 'raw', values.raw);
    const batch = loadInputs(strings(values.image));
    guardOutputs('predict', [{ flag: 'raw', path: raw }], [...batch.sources, ...strings(values.weights)]);
    const model = await getModel(values.weights);
    const d = await getDevice();
    const logits = await logitsOf(model, d, batch);
    const n = batch.shape[0];
    checkFiniteResult('predict', 'logits', logits, k, batch.names);
    const probs = softmaxRows(logits, n, k);
    const tops = topkRows(probs, n, k, topN);
    if (raw) writeAtomic('raw', raw, writeNpy(logits, [n, k]));
    const results = batch.names.map((name, i) => ({
      image: name,
      label: batch.labels[i],
      labelName: batch.labels[i] !== null ? className(batch.labels[i]!) : null,
      top: tops[i].map((t) => ({ class: t.index, className: className(t.index), prob: t.value, logit: logits[i * k + t.index] })),
    }));
    const labelled = results.filter((r) => r.label !== null).length;
    const correct = results.filter((r) => r.label !== null && r.top[0].class === r.label).length;
    if (values.json) {
      console.log(JSON.stringify({ command: 'predict', adapter: d.adapter, settings: { top: topN }, results, accuracy: labelled ? { top1: correct, of: labelled } : null, raw: raw ?? null }));
      return;
    }
    for (const r of results) {
      console.log(`${r.image}${r.label !== null ? `  (true: ${r.label} ${r.labelName})` : ''}`);
      for (const t of r.top) console.log(`  ${(t.prob * 100).toFixed(2).padStart(6)}%  ${String(t.class).padStart(4)}  ${t.className}`);
    }
    if (labelled > 0) console.log(`top-1 correct: ${correct}/${labelled}`);
  },
};
