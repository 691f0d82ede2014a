// One WebGPU device per test file, on the real adapter (lavapipe in CI). No adapter → the test fails with
// the doctor's message; GPU tests are never skipped.
import { Device } from '../../src/index.js';

let dev: Promise<Device> | null = null;
export function getDevice(): Promise<Device> {
  dev ??= Device.create();
  return dev;
}

/** Seeded PRNG (mulberry32) for reproducible test data: the one the algorithms use for jitter. */
import { hostRng } from '../../src/viz/common.js';
export const rng = hostRng;

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()) * scale;
  }
  return out;
}

export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** max |a-b| / max(|b|max, tiny): relative to the largest reference magnitude. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let md = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    md = Math.max(md, Math.abs(a[i] - b[i]));
    mb = Math.max(mb, Math.abs(b[i]));
  }
  return md / Math.max(mb, 1e-30);
}

/** ||a-b||₂ / ||b||₂ */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

/**
 * Central finite differences (float64) of a scalar function f at x: df/dx. For checking backward rules
 * against the CPU reference.
 */
export function finiteDiff(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  const xp = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const v = xp[i];
    xp[i] = v + eps;
    const fp = f(xp);
    xp[i] = v - eps;
    const fm = f(xp);
    xp[i] = v;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}
