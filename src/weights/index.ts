// Weight import: detect the file format, parse it into a torchvision-layout state dict (name → float32
// tensor), and check it against SqueezeNet 1.1's manifest. Pure TypeScript, runs in Node and browsers.
import manifestJson from '../../weights/manifest.json';
import { isZip } from '../io/zip.js';
import { checkFinite, eager, fmt, numel, type LazyStateDict, type StateDict, type TensorData } from './dtypes.js';
import { isLegacyPth, materializeAll, readPthLazy } from './pth.js';
import { looksLikeOnnx, readOnnx, squeezeNetFromOnnx } from './onnx.js';
import { isSafetensors, readSafetensorsLazy } from './safetensors.js';

export type { StateDict, TensorData };
export { findNonFinite } from './dtypes.js';
export { readSafetensors, writeSafetensors } from './safetensors.js';
export type { Safetensors } from './safetensors.js';

export type WeightsFormat = 'pth-zip' | 'pth-legacy' | 'onnx' | 'safetensors';

export interface Manifest {
  /** Human name used in messages, e.g. 'SqueezeNet 1.1'. */
  model: string;
  /** Tensors in state-dict order. */
  tensors: { name: string; shape: number[] }[];
}

/** torchvision's squeezenet1_1: 52 tensors, 1,235,496 parameters (weights/manifest.json). */
export const SQUEEZENET1_1: Manifest & { parameters: number } = manifestJson;

/** The file's format from its first bytes, or null when it is none of the supported ones. */
export function detectFormat(bytes: Uint8Array): WeightsFormat | null {
  if (isZip(bytes)) return 'pth-zip';
  if (isLegacyPth(bytes)) return 'pth-legacy';
  if (isSafetensors(bytes)) return 'safetensors';
  if (looksLikeOnnx(bytes)) return 'onnx';
  return null;
}

function describeStart(bytes: Uint8Array): string {
  const hex = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length ? `it starts with ${hex}` : 'it is empty';
}

/**
 * Parse any supported file into a state dict (float32, torchvision names for ONNX graphs): every tensor,
 * values as stored (not checked for NaN/Infinity; importSqueezeNet checks the model's). Views that would
 * expand far beyond the file's size are refused before anything is allocated.
 */
export function loadStateDict(bytes: Uint8Array, name = 'weights'): StateDict {
  return materializeAll(parse(bytes, name).dict, bytes.length, name);
}

/** Shapes checked against the file; values decoded on load(). */
function parse(bytes: Uint8Array, name: string): { dict: LazyStateDict; format: WeightsFormat } {
  const format = detectFormat(bytes);
  switch (format) {
    case 'pth-zip':
    case 'pth-legacy':
      return { dict: readPthLazy(bytes, name), format };
    case 'onnx': {
      // Every initializer is decoded while parsing (its byte count is checked first, so at most ~2x the file).
      const dict: LazyStateDict = new Map();
      for (const [k, t] of squeezeNetFromOnnx(readOnnx(bytes, name), name)) dict.set(k, eager(t));
      return { dict, format };
    }
    case 'safetensors':
      return { dict: readSafetensorsLazy(bytes, name).tensors, format };
    default:
      throw new Error(`${name}: not a weights file (${describeStart(bytes)}); supported: torch .pth (zip or legacy), .onnx, .safetensors`);
  }
}

function list(names: string[], n = 6): string {
  return names.slice(0, n).join(', ') + (names.length > n ? `, ... (${names.length} in all)` : '');
}

/**
 * Check a state dict against a manifest (default: SqueezeNet 1.1): every tensor present with its shape.
 * Returns the names of tensors the model does not use. Throws, naming tensors and shapes, otherwise.
 */
export function validateSqueezeNet(
  dict: ReadonlyMap<string, { shape: number[]; data?: Float32Array }>, manifest: Manifest = SQUEEZENET1_1, name = 'weights',
): { extras: string[] } {
  const expected = manifest.tensors;
  const found = expected.filter((t) => dict.has(t.name));
  if (found.length < Math.ceil(expected.length / 2)) {
    throw new Error(`${name}: this does not look like a ${manifest.model} state dict: ${found.length} of ${expected.length} expected tensors found; it has ${list([...dict.keys()]) || 'no tensors'}`);
  }
  const wrong = found.filter((t) => {
    const got = dict.get(t.name)!;
    return got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i]) || (got.data !== undefined && got.data.length !== numel(t.shape));
  });
  if (wrong.length) {
    const parts = wrong.slice(0, 4).map((t) => `'${t.name}' has shape ${fmt(dict.get(t.name)!.shape)}, ${manifest.model} needs ${fmt(t.shape)}`);
    throw new Error(`${name}: ${wrong.length} tensor${wrong.length > 1 ? 's have' : ' has'} the wrong shape: ${parts.join('; ')}${wrong.length > 4 ? '; ...' : ''}`);
  }
  const missing = expected.filter((t) => !dict.has(t.name));
  if (missing.length) {
    throw new Error(`${name}: ${missing.length} of ${expected.length} ${manifest.model} tensors are missing: ${list(missing.map((t) => `${t.name} ${fmt(t.shape)}`))}`);
  }
  const want = new Set(expected.map((t) => t.name));
  return { extras: [...dict.keys()].filter((k) => !want.has(k)) };
}

export interface ImportResult {
  /** Exactly the manifest's tensors, in manifest order. */
  dict: StateDict;
  /** Tensors in the file that the model does not use (not in `dict`). */
  extras: string[];
  format: WeightsFormat;
  parameters: number;
  timings: { parseMs: number; validateMs: number; totalMs: number };
}

/**
 * Load + validate: the model's tensors, or an error (never a partial load). Names and shapes are checked
 * against the manifest before any value is decoded (tensors the model does not use are never decoded), and
 * every value the model uses must be finite (a NaN or Infinity is an error naming the tensor and index).
 */
export function importSqueezeNet(bytes: Uint8Array, name = 'weights', manifest: Manifest = SQUEEZENET1_1): ImportResult {
  const t0 = performance.now();
  const { dict: all, format } = parse(bytes, name);
  const t1 = performance.now();
  const { extras } = validateSqueezeNet(all, manifest, name);
  const t2 = performance.now();
  const dict: StateDict = new Map();
  for (const t of manifest.tensors) {
    const lazy = all.get(t.name)!;
    const data = lazy.load();
    if (data.length !== numel(t.shape)) throw new Error(`${name}: tensor '${t.name}' decoded to ${data.length} values for shape ${fmt(t.shape)}`);
    dict.set(t.name, { shape: lazy.shape, data });
  }
  const t3 = performance.now();
  for (const [k, t] of dict) checkFinite(k, t, name);
  const t4 = performance.now();
  // parse: reading the file and decoding the model's tensors; validate: names, shapes and finiteness.
  const parseMs = t1 - t0 + (t3 - t2);
  const validateMs = t2 - t1 + (t4 - t3);
  let parameters = 0;
  for (const t of dict.values()) parameters += t.data.length;
  return { dict, extras, format, parameters, timings: { parseMs, validateMs, totalMs: t4 - t0 } };
}
