import { describe, it, expect } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { dispose, type Tensor } from '../../src/index.js';
import { rand, randn } from '../../src/ops/random.js';
import * as ref from '../../src/ops/cpu/random.js';
import fixture from '../fixtures/rng/seed7_n64.json';

async function values(t: Tensor): Promise<Float32Array> {
  const a = await t.toArray();
  t.dispose();
  return a;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** max_i |a − b| / max(1, |b|): relative error, absolute near zero (normals cross zero). */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

function moments(a: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / a.length), min, max };
}

describe('Philox4x32-10 reference', () => {
  it('matches the Random123 known answers', () => {
    const hex = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0')).join(' ');
    expect(hex(ref.philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    const f = 0xffffffff;
    expect(hex(ref.philox4x32([f, f, f, f], [f, f]))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(ref.philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe(
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    );
  });

  it('mulhilo is the exact 64-bit product', () => {
    const pairs: [number, number][] = [[0xffffffff, 0xffffffff], [0xd2511f53, 0x12345678], [1, 0xffffffff], [0x80000000, 2], [0, 7]];
    for (const [a, b] of pairs) {
      const p = BigInt(a) * BigInt(b);
      expect(ref.mulhilo(a, b)).toEqual([Number(p >> 32n), Number(p & 0xffffffffn)]);
    }
  });

  it('matches the NumPy generator (scripts/rng.py fixture)', () => {
    const n = fixture.n;
    const words = [0, 1, 2, 3].map((w) => Array.from({ length: n }, (_, i) => ref.block(fixture.seed, i)[w]));
    expect(words[0]).toEqual(fixture.x0);
    expect(words[1]).toEqual(fixture.x1);
    expect(words[2]).toEqual(fixture.x2);
    expect(words[3]).toEqual(fixture.x3);
    expect(Array.from(ref.rand(fixture.seed, n))).toEqual(fixture.rand);
    const [lo, hi] = fixture.rand_lo_hi;
    expect(Array.from(ref.rand(fixture.seed, n, lo, hi))).toEqual(fixture.rand_range);
    // Same float64 formula in NumPy and V8: equal up to libm's last bit before the float32 rounding.
    expect(maxRel(ref.randn(fixture.seed, n), fixture.randn)).toBeLessThan(1e-7);
    const [mean, std] = fixture.randn_mean_std;
    expect(maxRel(ref.randn(fixture.seed, n, mean, std), fixture.randn_scaled)).toBeLessThan(1e-7);
  });

  it('rejects bad seeds', () => {
    expect(() => ref.seedKey('rand', -1)).toThrow(/rand: seed must be an integer in \[0, 2\^53\); got -1/);
    expect(() => ref.seedKey('rand', 1.5)).toThrow(/got 1.5/);
  });
});

describe('rand / randn on the GPU', () => {
  it('rand is bit-exact against the reference and the NumPy fixture', async () => {
    const d = await getDevice();
    const shape = [3, 5, 7]; // 105 elements: odd, not a multiple of the workgroup size
    const gpu = await values(rand(d, shape, 7));
    const cpu = ref.rand(7, 105);
    expect(bits(gpu)).toEqual(bits(cpu));
    expect(Array.from(gpu.subarray(0, fixture.n))).toEqual(fixture.rand);
    // Element i depends only on (seed, i): the shape does not matter.
    const flat = await values(rand(d, [64], 7));
    expect(bits(flat)).toEqual(bits(gpu.slice(0, 64)));
    // A seed above 2^32 uses the second key word.
    const big = 2 ** 40 + 12345;
    expect(bits(await values(rand(d, [50], big)))).toEqual(bits(ref.rand(big, 50)));
  });

  it('rand with a range', async () => {
    const d = await getDevice();
    const gpu = await values(rand(d, [2, 33], 7, { lo: -2, hi: 3 }));
    expect(maxRel(gpu.subarray(0, 64), fixture.rand_range)).toBeLessThan(1e-6);
    expect(maxRel(gpu, ref.rand(7, 66, -2, 3))).toBeLessThan(1e-6);
  });

  it('randn matches the reference and the NumPy fixture within 1e-6', async () => {
    const d = await getDevice();
    const gpu = await values(randn(d, [5, 3, 11, 13], 7)); // 2145 elements
    const cpu = ref.randnF64(7, gpu.length);
    expect(maxRel(gpu, cpu)).toBeLessThan(1e-6);
    expect(maxRel(gpu.subarray(0, fixture.n), fixture.randn)).toBeLessThan(1e-6);
    const scaled = await values(randn(d, [64], 7, { mean: 0.5, std: 2 }));
    expect(maxRel(scaled, fixture.randn_scaled)).toBeLessThan(1e-6);
    const big = 2 ** 52 + 1;
    expect(maxRel(await values(randn(d, [40], big)), ref.randnF64(big, 40))).toBeLessThan(1e-6);
  });

  it('has the right moments on 1e5 samples', async () => {
    const d = await getDevice();
    const n = 100_000;
    const u = moments(await values(rand(d, [n], 123)));
    // mean 1/2 ± 4σ/√n, std 1/√12
    expect(Math.abs(u.mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(u.std - Math.sqrt(1 / 12))).toBeLessThan(0.005);
    expect(u.min).toBeGreaterThan(0);
    expect(u.max).toBeLessThan(1);
    const z = moments(await values(randn(d, [n], 123)));
    expect(Math.abs(z.mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(z.std - 1)).toBeLessThan(0.01);
    expect(z.max).toBeLessThan(6); // sqrt(-2 ln 2^-24) = 5.77 is the largest possible |z|
    expect(z.min).toBeGreaterThan(-6);
    const w = moments(await values(randn(d, [n], 5, { mean: 3, std: 0.5 })));
    expect(Math.abs(w.mean - 3)).toBeLessThan(4 * 0.5 / Math.sqrt(n));
    expect(Math.abs(w.std - 0.5)).toBeLessThan(0.005);
  });

  it('different seeds give different numbers; the same seed the same', async () => {
    const d = await getDevice();
    const a = await values(randn(d, [1000], 1));
    const b = await values(randn(d, [1000], 2));
    const a2 = await values(randn(d, [1000], 1));
    expect(bits(a2)).toEqual(bits(a));
    let same = 0;
    let corr = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) same++;
      corr += a[i] * b[i];
    }
    expect(same).toBe(0);
    expect(Math.abs(corr / a.length)).toBeLessThan(0.15); // ~N(0, 1/√1000)
    // rand and randn with one seed use different Philox words: no correlation.
    const u = await values(rand(d, [1000], 1));
    let cu = 0;
    for (let i = 0; i < a.length; i++) cu += (u[i] - 0.5) * a[i];
    expect(Math.abs(cu / a.length)).toBeLessThan(0.05);
  });

  it('handles empty shapes and rejects bad arguments', async () => {
    const d = await getDevice();
    const e = rand(d, [0, 3], 1);
    expect(e.shape).toEqual([0, 3]);
    e.dispose();
    const s = randn(d, [], 9);
    expect(await s.item()).toBeCloseTo(ref.randn(9, 1)[0], 5);
    dispose(s);
    expect(() => rand(d, [2, 3], -1)).toThrow(/rand: seed must be an integer in \[0, 2\^53\); got -1/);
    expect(() => randn(d, [2, 3], 0.5)).toThrow(/randn: seed must be an integer/);
    expect(() => randn(d, [2, -3], 1)).toThrow(/randn: invalid shape \[2, -3\]/);
    expect(() => rand(d, [2], 1, { lo: 1, hi: 0 })).toThrow(/rand: lo \(1\) must be <= hi \(0\)/);
    expect(() => randn(d, [2], 1, { std: NaN })).toThrow(/randn: std must be a finite number/);
    expect(() => rand(null as never, [2], 1)).toThrow(/rand: 'device' must be a Device/);
  });
});
