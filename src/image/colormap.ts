// Colormaps as 256-entry RGB lookup tables, and heat-map helpers: value → color with matplotlib's indexing
// (index = floor(t·256) clipped to 255 for t = (v − min)/(max − min)), percentile normalization, overlays.
//
// viridis, magma, inferno, plasma: matplotlib's tables (colormap_data.ts). hot, gray, bwr: matplotlib's
// piecewise-linear definitions (_cm.py) sampled at 256 points and rounded to 8 bits. cs231n draws saliency
// maps with plt.cm.hot; bwr suits signed maps (blue < 0 < red when min = −max).
import { VIRIDIS_HEX, MAGMA_HEX, INFERNO_HEX, PLASMA_HEX } from './colormap_data.js';
import type { RgbImage } from './types.js';
import { checkRgb } from './types.js';

export const COLORMAPS = ['viridis', 'inferno', 'magma', 'plasma', 'hot', 'gray', 'bwr'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

function fromHex(hex: string): Uint8Array {
  const lut = new Uint8Array(768);
  for (let i = 0; i < 768; i++) lut[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return lut;
}

/** matplotlib LinearSegmentedColormap segment data: per channel, [x, y0, y1] rows with x from 0 to 1. */
type Segments = [number, number, number][];

function fromSegments(r: Segments, g: Segments, b: Segments): Uint8Array {
  const lut = new Uint8Array(768);
  const chans = [r, g, b];
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    for (let c = 0; c < 3; c++) {
      const seg = chans[c];
      let v = seg[seg.length - 1][1];
      for (let k = 1; k < seg.length; k++) {
        if (x <= seg[k][0]) {
          const [x0, , a] = seg[k - 1];
          const [x1, bb] = seg[k];
          v = x1 === x0 ? bb : a + ((x - x0) / (x1 - x0)) * (bb - a);
          break;
        }
      }
      lut[i * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return lut;
}

const cache = new Map<ColormapName, Uint8Array>();

function build(name: ColormapName): Uint8Array {
  switch (name) {
    case 'viridis':
      return fromHex(VIRIDIS_HEX);
    case 'magma':
      return fromHex(MAGMA_HEX);
    case 'inferno':
      return fromHex(INFERNO_HEX);
    case 'plasma':
      return fromHex(PLASMA_HEX);
    case 'hot':
      return fromSegments(
        [[0, 0.0416, 0.0416], [0.365079, 1, 1], [1, 1, 1]],
        [[0, 0, 0], [0.365079, 0, 0], [0.746032, 1, 1], [1, 1, 1]],
        [[0, 0, 0], [0.746032, 0, 0], [1, 1, 1]],
      );
    case 'gray':
      return fromSegments([[0, 0, 0], [1, 1, 1]], [[0, 0, 0], [1, 1, 1]], [[0, 0, 0], [1, 1, 1]]);
    case 'bwr':
      return fromSegments([[0, 0, 0], [0.5, 1, 1], [1, 1, 1]], [[0, 0, 0], [0.5, 1, 1], [1, 0, 0]], [[0, 1, 1], [0.5, 1, 1], [1, 0, 0]]);
  }
}

/** The 256×RGB lookup table of a colormap (768 bytes: entry i at [3i, 3i+3)). Shared; do not modify. */
export function colormapLut(name: ColormapName): Uint8Array {
  if (!(COLORMAPS as readonly string[]).includes(name)) throw new Error(`colormap: unknown colormap '${name}'; available: ${COLORMAPS.join(', ')}`);
  let lut = cache.get(name);
  if (!lut) {
    lut = build(name);
    cache.set(name, lut);
  }
  return lut;
}

function finiteRange(values: Float32Array | Float64Array, op: string): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`${op}: non-finite value ${v} at index ${i} of ${values.length}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Color a w×h map (row-major values) with a colormap. Values are scaled linearly from [min, max] (default: the
 * data's own range) to the table with matplotlib's rule: t = (v − min)/(max − min), index = min(255,
 * floor(t·256)), t clipped to [0, 1]; a constant map (max = min) gets the first color. Non-finite values are
 * an error.
 */
export function applyColormap(
  values: Float32Array | Float64Array,
  w: number,
  h: number,
  name: ColormapName = 'viridis',
  range?: { min?: number; max?: number },
): RgbImage {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) throw new Error(`applyColormap: invalid size ${w}×${h}`);
  if (values.length !== w * h) throw new Error(`applyColormap: a ${w}×${h} map needs ${w * h} values; got ${values.length}`);
  const lut = colormapLut(name);
  const data = finiteRange(values, 'applyColormap');
  const min = range?.min ?? data.min;
  const max = range?.max ?? data.max;
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) throw new Error(`applyColormap: invalid range [${min}, ${max}]`);
  const span = max - min;
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < values.length; i++) {
    let idx = 0;
    if (span > 0) {
      const t = (values[i] - min) / span;
      idx = t <= 0 ? 0 : t >= 1 ? 255 : Math.min(255, Math.floor(t * 256));
    }
    out[i * 3] = lut[idx * 3];
    out[i * 3 + 1] = lut[idx * 3 + 1];
    out[i * 3 + 2] = lut[idx * 3 + 2];
  }
  return { width: w, height: h, data: out };
}

/** The q-th percentile (0..100) with NumPy's default linear interpolation. */
export function percentile(values: Float32Array | Float64Array, q: number): number {
  if (!values.length) throw new Error('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q must be in [0, 100]; got ${q}`);
  finiteRange(values, 'percentile');
  const s = Float64Array.from(values).sort();
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Scale a map to [0, 1] for display: the minimum maps to 0, the given percentile (default 99, so a few hot
 * pixels don't wash out the rest) to 1, values above it clip to 1. A constant map becomes all zeros.
 */
export function normalizeMap(values: Float32Array | Float64Array, pct = 99): Float32Array {
  const { min } = finiteRange(values, 'normalizeMap');
  const hi = percentile(values, pct);
  const out = new Float32Array(values.length);
  const span = hi - min;
  if (!(span > 0)) return out;
  for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, (values[i] - min) / span));
  return out;
}

/**
 * Blend a heat map over an image: round((1 − α)·base + α·heat) per channel. alpha is one number in [0, 1] or
 * one value per pixel (e.g. the normalized map itself, so cold regions stay transparent).
 */
export function overlay(base: RgbImage, heat: RgbImage, alpha: number | Float32Array = 0.5): RgbImage {
  checkRgb(base, 'overlay', 'base');
  checkRgb(heat, 'overlay', 'heat');
  if (base.width !== heat.width || base.height !== heat.height) {
    throw new Error(`overlay: base is ${base.width}×${base.height} but heat is ${heat.width}×${heat.height}; resize one first`);
  }
  const n = base.width * base.height;
  if (typeof alpha === 'number') {
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`overlay: alpha must be in [0, 1]; got ${alpha}`);
  } else if (alpha.length !== n) {
    throw new Error(`overlay: per-pixel alpha needs ${n} values for ${base.width}×${base.height}; got ${alpha.length}`);
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    let a = typeof alpha === 'number' ? alpha : alpha[i];
    if (typeof alpha !== 'number') {
      if (Number.isNaN(a)) throw new Error(`overlay: alpha is NaN at pixel ${i}`);
      a = Math.min(1, Math.max(0, a));
    }
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round((1 - a) * base.data[i * 3 + c] + a * heat.data[i * 3 + c]);
  }
  return { width: base.width, height: base.height, data: out };
}

/** A horizontal color bar: min on the left, max on the right (width ≥ 2). */
export function colormapBar(name: ColormapName, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 1) throw new Error(`colormapBar: invalid size ${width}×${height}`);
  const ramp = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) ramp[y * width + x] = x / (width - 1);
  return applyColormap(ramp, width, height, name, { min: 0, max: 1 });
}
