// Fooling image: nudge a photo until SqueezeNet calls it the target class.
//   node examples/fooling.mjs photo.jpg [--target 6] [--max-iter 100] [--lr 1] [--weights file] [--out fooled.png]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Device, SqueezeNet, importSqueezeNet, decodeImage, preprocess, deprocess, makeFoolingImages, encodePng, IMAGENET_CLASSES } from 'gradsight';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: 'string', default: '6' }, // stingray, as in cs231n
    'max-iter': { type: 'string', default: '100' },
    lr: { type: 'string', default: '1' },
    weights: { type: 'string' },
    out: { type: 'string', default: 'fooled.png' },
  },
});
const imagePath = positionals[0] ?? new URL('../samples/00_958.png', import.meta.url).pathname;
const weightsPath = values.weights ?? process.env.GRADSIGHT_WEIGHTS ?? new URL('../weights/squeezenet1_1.safetensors', import.meta.url).pathname;
const target = Number(values.target);

const device = await Device.create();
const model = SqueezeNet.fromStateDict(device, importSqueezeNet(readFileSync(weightsPath), weightsPath).dict);
const x = device.tensor(preprocess(decodeImage(readFileSync(imagePath), imagePath), 224), [1, 3, 224, 224]);

const { fooled, reports } = await makeFoolingImages(model, x, [target], {
  lr: Number(values.lr),
  maxIter: Number(values['max-iter']),
  onStep: (it, _left, [p]) => process.stdout.write(`\riteration ${it}: p(target) ${p.toFixed(4)}`),
});
process.stdout.write('\n');
const r = reports[0];
console.log(`${r.success ? 'fooled' : 'not fooled'} after ${r.iterations} iteration(s): predicted ${r.predicted} ${IMAGENET_CLASSES[r.predicted]}, ` +
  `p(${IMAGENET_CLASSES[target]}) ${r.targetProb.toFixed(3)}, change L∞ ${r.linf255.toFixed(2)} / 255`);
writeFileSync(values.out, encodePng(deprocess(await fooled.toArray(), 224, 224)));
console.log(`→ ${values.out}`);

fooled.dispose();
x.dispose();
model.dispose();
device.destroy();
