// Saliency map of your own image: node examples/saliency.mjs photo.jpg [--method smoothgrad] [--class 958]
//   [--samples 25] [--weights file.pth] [--out saliency.png]
// Prints the top-1 class and writes the picture with the map laid over it (inferno, cold regions see-through).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Device, SqueezeNet, importSqueezeNet, decodeImage, preprocess, deprocess, saliency, softmax, tidy,
  applyColormap, normalizeMap, overlay, encodePng, IMAGENET_CLASSES,
} from 'gradsight';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    method: { type: 'string', default: 'vanilla' },
    class: { type: 'string' },
    samples: { type: 'string' },
    weights: { type: 'string' },
    out: { type: 'string', default: 'saliency.png' },
  },
});
const imagePath = positionals[0] ?? new URL('../samples/00_958.png', import.meta.url).pathname;
const weightsPath = values.weights ?? process.env.GRADSIGHT_WEIGHTS ?? new URL('../weights/squeezenet1_1.safetensors', import.meta.url).pathname;

const device = await Device.create(); // Dawn in Node (the `webgpu` package), navigator.gpu in a browser
const model = SqueezeNet.fromStateDict(device, importSqueezeNet(readFileSync(weightsPath), weightsPath).dict);
const chw = preprocess(decodeImage(readFileSync(imagePath), imagePath), 224); // resize, center-crop, normalize
const x = device.tensor(chw, [1, 3, 224, 224]);

// Top-1, then the map for that class (or the one asked for).
const probs = tidy(() => softmax(model.logits(x), 1));
const p = await probs.toArray();
probs.dispose();
const top = p.indexOf(Math.max(...p));
const cls = values.class !== undefined ? Number(values.class) : top;
console.log(`top-1: ${top} ${IMAGENET_CLASSES[top]} (p ${p[top].toFixed(3)})`);

const r = await saliency(model, x, [cls], { method: values.method, samples: values.samples ? Number(values.samples) : undefined });
const t = normalizeMap(r.maps, 99); // min → 0, 99th percentile → 1
const heat = applyColormap(t, 224, 224, 'inferno', { min: 0, max: 1 });
writeFileSync(values.out, encodePng(overlay(deprocess(chw, 224, 224), heat, t.map((v) => Math.min(1, 1.25 * v ** 0.6)))));
console.log(`${values.method} saliency for class ${cls} (${IMAGENET_CLASSES[cls]}): max ${Math.max(...r.maps).toExponential(2)} → ${values.out}`);

x.dispose();
model.dispose();
device.destroy(); // lets Node exit
