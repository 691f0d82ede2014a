// `gradsight trace`: how the input gradient is built, layer by layer, for one image.
import { className } from '../../nn/classes.js';
import { gradientTrace } from '../../viz/trace.js';
import { UsageError, parse, strings, type Command } from '../args.js';
import { batchTensor, classArg, classesFor, getDevice, getModel } from '../context.js';
import { loadInputs } from '../inputs.js';
import { IMAGE_OPTION, JSON_OPTION, WEIGHTS_NOTE, WEIGHTS_OPTION } from './common.js';

export const trace: Command = {
  name: 'trace',
  summary: 'per-layer statistics of the activations and of the gradient of a class score, for one image',
  usage: '--image <file> [options]',
  gpu: true,
  options: {
    image: { ...IMAGE_OPTION, help: 'one input image (PNG/JPEG, an .npz selection of one image, a (1, 3, H, W) .npy)' },
    weights: WEIGHTS_OPTION,
    class: { type: 'string', arg: '<N|name>', help: 'the class whose score is traced (default: the label the input carries, else the prediction)' },
    json: JSON_OPTION,
  },
  notes: [WEIGHTS_NOTE],
  async run(argv) {
    const { values } = parse('trace', argv, this.options);
    const given = classArg('trace', values.class, '--class');
    const batch = loadInputs(strings(values.image));
    if (batch.shape[0] !== 1) throw new UsageError(`gradsight trace: one image at a time; got ${batch.shape[0]}`);
    const model = await getModel(values.weights);
    const d = await getDevice();
    const [cls] = await classesFor(model, d, batch, given);
    const x = batchTensor(d, batch);
    const tr = await gradientTrace(model, x, cls);
    x.dispose();
    const { classId, ...rest } = tr;
    if (!Number.isFinite(tr.score)) throw new Error(`trace: the score of class ${cls} for ${batch.names[0]} is not finite (${tr.score})`);
    if (values.json) {
      console.log(JSON.stringify({ command: 'trace', image: batch.names[0], ...rest, class: classId, className: className(cls) }));
      return;
    }
    console.log(`gradient of score[${cls}] (${className(cls)}) = ${tr.score.toFixed(3)} w.r.t. each layer of ${batch.names[0]}, from the scores back to the input:`);
    const head = ['layer', 'shape', 'act min', 'act max', 'act mean', 'act 0s', '|grad|₂', 'max|grad|', 'grad 0s'];
    const rows = tr.layers.map((l) => [
      l.name, l.shape.join('×'), l.activation.min.toPrecision(3), l.activation.max.toPrecision(3), l.activation.mean.toPrecision(3),
      `${(l.activation.zeros * 100).toFixed(1)}%`, l.gradient.norm.toExponential(2), l.gradient.maxAbs.toExponential(2), `${(l.gradient.zeros * 100).toFixed(1)}%`,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log(line(head));
    console.log(widths.map((w) => '─'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
  },
};
