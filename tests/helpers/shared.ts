// Access to ../shared (the sample images and pretrained weights) and the committed model fixtures.
// When ../shared exists, the tests that use it run (never skip); without it they are reported as not
// applicable by the caller via `describe.runIf(HAVE_SHARED)`... only where the data is the point of the test.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSqueezeNet } from '../../src/weights/index.js';
import { decodeImage } from '../../src/image/decode.js';
import { preprocess } from '../../src/image/preprocess.js';
import { readNpy, npyToFloat32 } from '../../src/io/npy.js';
import type { StateDict } from '../../src/state_dict.js';

export const ROOT = resolve(__dirname, '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared');
export const HAVE_SHARED = existsSync(join(SHARED, 'weights', 'squeezenet1_1.pth'));
export const FIXTURES = join(ROOT, 'tests', 'fixtures');

let weights: StateDict | null = null;
export function sharedWeights(): StateDict {
  weights ??= importSqueezeNet(new Uint8Array(readFileSync(join(SHARED, 'weights', 'squeezenet1_1.pth'))), 'squeezenet1_1.pth').dict;
  return weights;
}

export interface Samples {
  files: string[];
  labels: number[];
  /** [25, 3, 224, 224] normalized */
  data: Float32Array;
}

let samples: Samples | null = null;
export function sharedSamples(): Samples {
  if (samples) return samples;
  const dir = join(SHARED, 'images', 'imagenet_val_25');
  const meta = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { file: string; label: number }[];
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  const data = new Float32Array(files.length * 3 * 224 * 224);
  files.forEach((f, i) => data.set(preprocess(decodeImage(new Uint8Array(readFileSync(join(dir, f))), f), 224), i * 3 * 224 * 224));
  samples = { files, labels: files.map((f) => meta.find((m) => m.file === f)!.label), data };
  return samples;
}

export function fixtureNpy(rel: string): { shape: number[]; data: Float32Array } {
  const a = readNpy(new Uint8Array(readFileSync(join(FIXTURES, rel))), rel);
  return { shape: a.shape, data: npyToFloat32(a) };
}

export function fixtureJson<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8')) as T;
}
