// The data the tests run on, all inside the repository so that a clone with no ../shared beside it runs
// every test: the embedded default weights (weights/squeezenet1_1.safetensors, converted from
// ../shared/weights/squeezenet1_1.pth by scripts/embed_weights.mjs) and the sample images (samples/: the first
// ten of ../shared/images/imagenet_val_25, with labels.json). Golden fixtures live in tests/fixtures.
// SHARED / HAVE_SHARED exist only for the one test that also compares the embedded weights with the source
// file when ../shared is there; no test is collected or skipped depending on it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { zipSync } from 'fflate';
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
export const DEFAULT_WEIGHTS = join(ROOT, 'weights', 'squeezenet1_1.safetensors');
export const SAMPLES = join(ROOT, 'samples');

let weights: StateDict | null = null;
/** The embedded default weights (ImageNet-pretrained SqueezeNet 1.1). */
export function pretrainedWeights(): StateDict {
  weights ??= importSqueezeNet(new Uint8Array(readFileSync(DEFAULT_WEIGHTS)), 'squeezenet1_1.safetensors').dict;
  return weights;
}

export interface Samples {
  /** File names, sorted: 00_958.png ... (the first rows of the 25-image fixtures in tests/fixtures/model). */
  files: string[];
  labels: number[];
  n: number;
  /** [n, 3, 224, 224] normalized */
  data: Float32Array;
}

let samples: Samples | null = null;
/** The embedded sample images, decoded and normalized as the CLI does. */
export function sampleImages(): Samples {
  if (samples) return samples;
  const meta = JSON.parse(readFileSync(join(SAMPLES, 'labels.json'), 'utf8')) as { file: string; label: number }[];
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).sort();
  const data = new Float32Array(files.length * 3 * 224 * 224);
  files.forEach((f, i) => data.set(preprocess(decodeImage(new Uint8Array(readFileSync(join(SAMPLES, f))), f), 224), i * 3 * 224 * 224));
  samples = { files, labels: files.map((f) => meta.find((m) => m.file === f)!.label), n: files.length, data };
  return samples;
}

/** A .npy file of raw little-endian bytes with numpy dtype `descr` (e.g. '|u1', '<i8'). */
function npyBytes(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

/** The embedded samples as cs231n's .npz layout: X uint8 (N, 224, 224, 3), y int64 (N,). */
export function samplesNpz(): Uint8Array {
  const s = sampleImages();
  const px = 224 * 224 * 3;
  const X = new Uint8Array(s.n * px);
  s.files.forEach((f, i) => X.set(decodeImage(new Uint8Array(readFileSync(join(SAMPLES, f))), f).data, i * px));
  const y = new BigInt64Array(s.labels.map((l) => BigInt(l)));
  return zipSync({ 'X.npy': npyBytes('|u1', [s.n, 224, 224, 3], X), 'y.npy': npyBytes('<i8', [s.n], new Uint8Array(y.buffer)) }, { level: 1 });
}

export function fixtureNpy(rel: string): { shape: number[]; data: Float32Array } {
  const a = readNpy(new Uint8Array(readFileSync(join(FIXTURES, rel))), rel);
  return { shape: a.shape, data: npyToFloat32(a) };
}

export function fixtureJson<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8')) as T;
}
