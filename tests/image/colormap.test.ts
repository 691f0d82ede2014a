// Colormaps: table endpoints and sample entries against matplotlib's float tables (round(255·v)), smoothness,
// matplotlib's value → index rule, percentile normalization (NumPy's linear method), overlays, errors.
import { describe, it, expect } from 'vitest';
import { COLORMAPS, colormapLut, applyColormap, normalizeMap, percentile, overlay, colormapBar } from '../../src/image/colormap.js';

const entry = (name: (typeof COLORMAPS)[number], i: number) => [...colormapLut(name).subarray(i * 3, i * 3 + 3)];
const to8 = (v: number[]) => v.map((x) => Math.round(x * 255));

describe('lookup tables', () => {
  it('match matplotlib (_cm_listed.py) at the endpoints and sample entries', () => {
    expect(entry('viridis', 0)).toEqual(to8([0.267004, 0.004874, 0.329415]));
    expect(entry('viridis', 127)).toEqual(to8([0.128729, 0.563265, 0.551229]));
    expect(entry('viridis', 128)).toEqual(to8([0.127568, 0.566949, 0.550556]));
    expect(entry('viridis', 255)).toEqual(to8([0.993248, 0.906157, 0.143936]));
    expect(entry('magma', 0)).toEqual(to8([0.001462, 0.000466, 0.013866]));
    expect(entry('magma', 1)).toEqual(to8([0.002258, 0.001295, 0.018331]));
    expect(entry('magma', 254)).toEqual(to8([0.987387, 0.984288, 0.742002]));
    expect(entry('magma', 255)).toEqual(to8([0.987053, 0.991438, 0.749504]));
    expect(entry('inferno', 0)).toEqual(to8([0.001462, 0.000466, 0.013866]));
    expect(entry('inferno', 1)).toEqual(to8([0.002267, 0.00127, 0.01857]));
    expect(entry('inferno', 255)).toEqual(to8([0.988362, 0.998364, 0.644924]));
    expect(entry('plasma', 0)).toEqual(to8([0.050383, 0.029803, 0.527975]));
    expect(entry('plasma', 255)).toEqual(to8([0.940015, 0.975158, 0.131326]));
    expect(entry('hot', 0)).toEqual([11, 0, 0]);
    expect(entry('hot', 255)).toEqual([255, 255, 255]);
    expect(entry('hot', 93)).toEqual([255, 0, 0]); // red saturates at 0.365
    expect(entry('gray', 0)).toEqual([0, 0, 0]);
    expect(entry('gray', 200)).toEqual([200, 200, 200]);
    expect(entry('bwr', 0)).toEqual([0, 0, 255]);
    expect(entry('bwr', 255)).toEqual([255, 0, 0]);
    expect(entry('bwr', 128)).toEqual([255, 254, 254]);
  });

  it('every table is 256 smooth entries (no transcription glitches)', () => {
    for (const name of COLORMAPS) {
      const lut = colormapLut(name);
      expect(lut.length).toBe(768);
      for (let i = 1; i < 255; i++) {
        for (let c = 0; c < 3; c++) {
          const d2 = Math.abs(lut[(i + 1) * 3 + c] - 2 * lut[i * 3 + c] + lut[(i - 1) * 3 + c]);
          // piecewise-linear maps have kinks at their breakpoints
          expect(d2, `${name}[${i}]`).toBeLessThanOrEqual(name === 'hot' || name === 'bwr' ? 4 : 2);
        }
      }
    }
    expect(() => colormapLut('jet' as never)).toThrow(/unknown colormap 'jet'; available: viridis, inferno/);
  });
});

describe('applyColormap', () => {
  it('maps min/max to the ends and follows matplotlib indexing', () => {
    const v = Float32Array.from([0, 1, 0.5, 0.25, 1 / 256 - 1e-6, 1 / 256, 0.999]);
    const img = applyColormap(v, 7, 1, 'viridis');
    const px = (i: number) => [...img.data.subarray(i * 3, i * 3 + 3)];
    expect(px(0)).toEqual(entry('viridis', 0));
    expect(px(1)).toEqual(entry('viridis', 255));
    expect(px(2)).toEqual(entry('viridis', 128));
    expect(px(3)).toEqual(entry('viridis', 64));
    expect(px(4)).toEqual(entry('viridis', 0));
    expect(px(5)).toEqual(entry('viridis', 1));
    expect(px(6)).toEqual(entry('viridis', 255));
  });

  it('explicit ranges clip; constant maps get the first color', () => {
    const v = Float32Array.from([-5, 0, 10, 20]);
    const img = applyColormap(v, 2, 2, 'inferno', { min: 0, max: 10 });
    expect([...img.data.subarray(0, 3)]).toEqual(entry('inferno', 0));
    expect([...img.data.subarray(6, 9)]).toEqual(entry('inferno', 255));
    expect([...img.data.subarray(9, 12)]).toEqual(entry('inferno', 255));
    const flat = applyColormap(new Float32Array(6).fill(3), 3, 2, 'hot');
    for (let i = 0; i < 6; i++) expect([...flat.data.subarray(i * 3, i * 3 + 3)]).toEqual(entry('hot', 0));
  });

  it('errors', () => {
    expect(() => applyColormap(new Float32Array(5), 2, 3)).toThrow(/applyColormap: a 2×3 map needs 6 values; got 5/);
    expect(() => applyColormap(Float32Array.from([0, NaN]), 2, 1)).toThrow(/applyColormap: non-finite value NaN at index 1 of 2/);
    expect(() => applyColormap(new Float32Array(2), 2, 1, 'viridis', { min: 1, max: 0 })).toThrow(/invalid range \[1, 0\]/);
  });

  it('colormapBar runs from the first to the last color', () => {
    const bar = colormapBar('magma', 64, 3);
    expect([...bar.data.subarray(0, 3)]).toEqual(entry('magma', 0));
    expect([...bar.data.subarray(63 * 3, 64 * 3)]).toEqual(entry('magma', 255));
    expect([...bar.data.subarray(64 * 3 * 2, 64 * 3 * 2 + 3)]).toEqual(entry('magma', 0));
  });
});

describe('normalizeMap and percentile', () => {
  it('percentile matches numpy (linear interpolation)', () => {
    const v = Float32Array.from({ length: 100 }, (_, i) => 99 - i); // 0..99 reversed
    expect(percentile(v, 99)).toBeCloseTo(98.01, 10); // np.percentile(np.arange(100), 99)
    expect(percentile(v, 50)).toBeCloseTo(49.5, 10);
    expect(percentile(v, 0)).toBe(0);
    expect(percentile(v, 100)).toBe(99);
    expect(percentile(Float32Array.from([1, 2, 3, 4]), 10)).toBeCloseTo(1.3, 10);
  });

  it('min → 0, percentile → 1, clipped above; constant → zeros', () => {
    const v = Float32Array.from({ length: 100 }, (_, i) => i + 10);
    const n = normalizeMap(v, 99);
    expect(n[0]).toBe(0);
    expect(n[50]).toBeCloseTo(50 / 98.01, 6);
    expect(n[99]).toBe(1);
    expect(Math.max(...n)).toBe(1);
    expect(normalizeMap(new Float32Array(5).fill(2)).every((x) => x === 0)).toBe(true);
    expect(normalizeMap(v, 100)[99]).toBe(1);
    expect(() => normalizeMap(Float32Array.from([1, Infinity]))).toThrow(/normalizeMap: non-finite value Infinity at index 1/);
  });
});

describe('overlay', () => {
  const base = { width: 2, height: 1, data: Uint8Array.from([0, 100, 200, 10, 20, 30]) };
  const heat = { width: 2, height: 1, data: Uint8Array.from([255, 0, 100, 30, 20, 10]) };
  it('blends with a scalar or per-pixel alpha', () => {
    expect([...overlay(base, heat, 0).data]).toEqual([...base.data]);
    expect([...overlay(base, heat, 1).data]).toEqual([...heat.data]);
    expect([...overlay(base, heat, 0.5).data]).toEqual([128, 50, 150, 20, 20, 20]);
    expect([...overlay(base, heat, Float32Array.from([1, 0])).data]).toEqual([255, 0, 100, 10, 20, 30]);
  });
  it('errors', () => {
    expect(() => overlay(base, { width: 1, height: 2, data: new Uint8Array(6) })).toThrow(/overlay: base is 2×1 but heat is 1×2/);
    expect(() => overlay(base, heat, 1.5)).toThrow(/alpha must be in \[0, 1\]; got 1\.5/);
    expect(() => overlay(base, heat, new Float32Array(3))).toThrow(/per-pixel alpha needs 2 values for 2×1; got 3/);
  });
});
