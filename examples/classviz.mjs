// Class visualization: paint what SqueezeNet thinks a class looks like, from seeded noise.
//   node examples/classviz.mjs [--target 76] [--iterations 100] [--seed 0] [--weights file] [--out classviz.png]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Device, SqueezeNet, importSqueezeNet, classVisualization, deprocess, encodePng, IMAGENET_CLASSES } from 'gradsight';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: '76' }, // tarantula
    iterations: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    weights: { type: 'string' },
    out: { type: 'string', default: 'classviz.png' },
  },
});
const weightsPath = values.weights ?? process.env.GRADSIGHT_WEIGHTS ?? new URL('../weights/squeezenet1_1.safetensors', import.meta.url).pathname;
const target = Number(values.target);

const device = await Device.create();
const model = SqueezeNet.fromStateDict(device, importSqueezeNet(readFileSync(weightsPath), weightsPath).dict);

const { image } = await classVisualization(model, device, target, {
  iterations: Number(values.iterations),
  seed: Number(values.seed),
  scoreEvery: 10,
  onStep: (i, score) => score !== null && console.log(`iteration ${i}: score ${score.toFixed(2)}`),
});
const scores = model.classScores(image, [target]);
const score = (await scores.toArray())[0];
scores.dispose();
console.log(`class ${target} (${IMAGENET_CLASSES[target]}): final score ${score.toFixed(2)}`);
writeFileSync(values.out, encodePng(deprocess(await image.toArray(), 224, 224)));
console.log(`→ ${values.out}`);

image.dispose();
model.dispose();
device.destroy();
