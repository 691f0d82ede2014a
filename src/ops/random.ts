// Random tensors from a counter-based, stateless generator (Philox4x32-10): element i of a call with seed s
// depends only on (s, i), so the numbers are the same in Node, in a browser, in the TypeScript reference
// (src/ops/cpu/random.ts) and in NumPy (scripts/rng.py). The algorithm is specified in shaders/random.wgsl.
import { emptyLike, fmtShape, type Tensor, type Device, type Shape } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { groups1d } from './util.js';

const WG = 256;

function checkArgs(op: string, device: unknown, shape: unknown, seed: unknown): void {
  if (!device || typeof device !== 'object' || !('runtime' in device)) throw new Error(`${op}: 'device' must be a Device`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: invalid shape ${Array.isArray(shape) ? fmtShape(shape) : String(shape)} (an array of non-negative integers)`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${op}: seed must be an integer in [0, 2^53); got ${String(seed)}`);
  }
}

function checkFinite(op: string, what: Record<string, number>): void {
  for (const [k, v] of Object.entries(what)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${k} must be a finite number; got ${String(v)}`);
  }
}

function generate(device: Device, shape: Shape, seed: number, dist: 0 | 1, shift: number, scale: number): Tensor {
  const t = emptyLike(device, shape);
  if (!t.size) return t;
  if (t.size > 2 ** 32) throw new Error(`random: ${t.size} elements exceed the generator's 2^32 counters`);
  const rt = device.runtime;
  const k = kernel(rt, 'random', { DIST: dist, WG });
  rt.dispatch(
    k,
    { y: t.buffer },
    { n: t.size, key0: seed % 2 ** 32, key1: Math.floor(seed / 2 ** 32), shift, scale },
    groups1d(t.size, WG),
  );
  return t;
}

/**
 * Normal samples, mean + std·z (defaults 0 and 1), by Box–Muller on Philox4x32-10 of (seed, element index).
 * `seed` is an integer in [0, 2^53). The tensor is a leaf without requiresGrad.
 */
export function randn(device: Device, shape: Shape, seed: number, opts: { mean?: number; std?: number } = {}): Tensor {
  checkArgs('randn', device, shape, seed);
  const { mean = 0, std = 1 } = opts;
  checkFinite('randn', { mean, std });
  return generate(device, shape, seed, 1, mean, std);
}

/**
 * Uniform samples in (lo, hi) (defaults 0 and 1; with them the values are exactly ((w >> 9) + 0.5) / 2^23
 * for the Philox word w of each element, never 0 or 1).
 */
export function rand(device: Device, shape: Shape, seed: number, opts: { lo?: number; hi?: number } = {}): Tensor {
  checkArgs('rand', device, shape, seed);
  const { lo = 0, hi = 1 } = opts;
  checkFinite('rand', { lo, hi });
  if (!(lo <= hi)) throw new Error(`rand: lo (${lo}) must be <= hi (${hi})`);
  return generate(device, shape, seed, 0, lo, hi - lo);
}
