// CPU reference for src/ops/random.ts: Philox4x32-10 on (seed, element index), uniforms and Box–Muller
// normals. The algorithm is specified at the top of shaders/random.wgsl; scripts/rng.py is the NumPy twin.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The 64-bit product of two u32 as [high, low] words (exact). */
export function mulhilo(a: number, b: number): [number, number] {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const p0 = al * bl;
  const p1 = al * bh;
  const p2 = ah * bl;
  const p3 = ah * bh;
  const mid = (p0 >>> 16) + (p1 & 0xffff) + (p2 & 0xffff);
  const hi = (p3 + (p1 >>> 16) + (p2 >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

/** Philox4x32-10 of a counter (4 words) under a key (2 words). */
export function philox4x32(ctr: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr.map((v) => v >>> 0);
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const [hi0, lo0] = mulhilo(M0, c0);
    const [hi1, lo1] = mulhilo(M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The Philox key of a seed (a non-negative integer below 2^53). */
export function seedKey(op: string, seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${op}: seed must be an integer in [0, 2^53); got ${seed}`);
  return [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
}

/** The block (x0, x1, x2, x3) of element i. */
export function block(seed: number, i: number): [number, number, number, number] {
  return philox4x32([i, 0, 0, 0], seedKey('block', seed));
}

/** ((w >> 9) + 0.5) / 2^23: in (0, 1), exact in float32. */
export function uniformOf(w: number): number {
  return ((w >>> 9) + 0.5) * 2 ** -23;
}

/** The first n words x0 (the raw bits behind rand). */
export function uniformWords(seed: number, n: number): Uint32Array {
  const key = seedKey('rand', seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = philox4x32([i, 0, 0, 0], key)[0];
  return out;
}

/** rand: lo + float32(hi − lo)·u(x0), rounded to float32 (exact for lo = 0, hi = 1). */
export function rand(seed: number, n: number, lo = 0, hi = 1): Float32Array {
  const key = seedKey('rand', seed);
  const shift = Math.fround(lo);
  const scale = Math.fround(hi - lo);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = shift + scale * uniformOf(philox4x32([i, 0, 0, 0], key)[0]);
  return out;
}

/** randn in float64 before the final rounding: mean + std·sqrt(−2 ln u(x1))·cos(2π u(x2)). */
export function randnF64(seed: number, n: number, mean = 0, std = 1): Float64Array {
  const key = seedKey('randn', seed);
  const shift = Math.fround(mean);
  const scale = Math.fround(std);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = philox4x32([i, 0, 0, 0], key);
    const z = Math.sqrt(-2 * Math.log(uniformOf(x[1]))) * Math.cos(2 * Math.PI * uniformOf(x[2]));
    out[i] = shift + scale * z;
  }
  return out;
}

/** randn rounded to float32. */
export function randn(seed: number, n: number, mean = 0, std = 1): Float32Array {
  return Float32Array.from(randnF64(seed, n, mean, std));
}
