// torchvision-exact input pipeline: Resize(224) → CenterCrop(224) → ToTensor() → Normalize(ImageNet), on the
// PIL path (torchvision 0.14, Pillow 9), and its inverse for display.
//
// resizeBilinear reproduces Pillow's ImagingResample for BILINEAR on RGB images bit for bit: the triangle
// filter's support grows with the downscale factor (antialiasing), coefficients are computed in double and
// converted to 22-bit fixed point, the horizontal pass runs first and rounds to 8 bits, then the vertical pass
// (tests/image/preprocess.test.ts requires exact equality with torchvision on up- and downscaled images).
// ToTensor + Normalize are computed in float32 with the same operation order as torch (x/255, −mean, ÷std),
// so preprocess() matches torchvision exactly too (the test allows 1e-6).
import type { RgbImage } from './types.js';
import { checkRgb } from './types.js';

export type { RgbImage } from './types.js';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Output size of torchvision's Resize(size) with an int size: the shorter side becomes `size`. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`resizeShorter: size must be a positive integer; got ${size}`);
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short); // Python: int(size * long / short)
  return width <= height ? { width: size, height: newLong } : { width: newLong, height: size };
}

// Pillow: PRECISION_BITS = 32 - 8 - 2
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coeffs {
  ksize: number;
  /** [xmin, count] per output pixel */
  bounds: Int32Array;
  /** fixed-point weights, ksize per output pixel */
  kk: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter, support 1. */
function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let ww = 0.0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      let t = (x + xmin - center + 0.5) * ss;
      if (t < 0) t = -t;
      const w = t < 1.0 ? 1.0 - t : 0.0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0.0 ? k[x] / ww : k[x];
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * Resize to width×height exactly as Pillow's Image.resize(size, BILINEAR) does for RGB images (antialiased
 * when shrinking). Returns the input unchanged (a copy) when the size is the same, as Pillow does.
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  checkRgb(img, 'resizeBilinear');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`resizeBilinear: invalid output size ${width}×${height} for image ${img.width}×${img.height}`);
  }
  const { width: iw, height: ih } = img;
  if (iw === width && ih === height) return { width, height, data: img.data.slice() };
  let src = img.data;
  let sw = iw;
  let sh = ih;
  const needH = width !== iw;
  const needV = height !== ih;
  if (needH) {
    const { ksize, bounds, kk } = precomputeCoeffs(iw, width);
    const out = new Uint8Array(width * ih * 3);
    for (let y = 0; y < ih; y++) {
      const row = y * iw * 3;
      const orow = y * width * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2];
        const n = bounds[xx * 2 + 1];
        const kb = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < n; x++) {
          const w = kk[kb + x];
          const p = row + (xmin + x) * 3;
          s0 += src[p] * w;
          s1 += src[p + 1] * w;
          s2 += src[p + 2] * w;
        }
        const o = orow + xx * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    src = out;
    sw = width;
  }
  if (needV) {
    const { ksize, bounds, kk } = precomputeCoeffs(ih, height);
    const out = new Uint8Array(sw * height * 3);
    const stride = sw * 3;
    for (let yy = 0; yy < height; yy++) {
      const ymin = bounds[yy * 2];
      const n = bounds[yy * 2 + 1];
      const kb = yy * ksize;
      const orow = yy * stride;
      for (let i = 0; i < stride; i++) {
        let s = HALF;
        for (let y = 0; y < n; y++) s += src[(ymin + y) * stride + i] * kk[kb + y];
        out[orow + i] = clip8(s);
      }
    }
    src = out;
    sh = height;
  }
  return { width: sw, height: sh, data: src };
}

/** torchvision 0.14 `transforms.Resize(size)` on a PIL RGB image: shorter side → size, Pillow BILINEAR. */
export function resizeShorter(img: RgbImage, size = 224): RgbImage {
  checkRgb(img, 'resizeShorter');
  const o = resizedSize(img.width, img.height, size);
  return resizeBilinear(img, o.width, o.height);
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision 0.14 `transforms.CenterCrop(size)` (height `size`, width `width`): crop_top =
 * int(round((h − size) / 2)) with Python's half-to-even round; an image smaller than the crop is first padded
 * with black as torchvision does.
 */
export function centerCrop(img: RgbImage, size = 224, width = size): RgbImage {
  checkRgb(img, 'centerCrop');
  const ch = size;
  const cw = width;
  if (!Number.isInteger(ch) || !Number.isInteger(cw) || ch <= 0 || cw <= 0) throw new Error(`centerCrop: invalid crop ${cw}×${ch} for image ${img.width}×${img.height}`);
  let src = img;
  if (cw > img.width || ch > img.height) {
    const left = cw > img.width ? Math.floor((cw - img.width) / 2) : 0;
    const top = ch > img.height ? Math.floor((ch - img.height) / 2) : 0;
    const right = cw > img.width ? Math.floor((cw - img.width + 1) / 2) : 0;
    const bottom = ch > img.height ? Math.floor((ch - img.height + 1) / 2) : 0;
    const pw = img.width + left + right;
    const ph = img.height + top + bottom;
    const data = new Uint8Array(pw * ph * 3);
    for (let y = 0; y < img.height; y++) data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + top) * pw + left) * 3);
    src = { width: pw, height: ph, data };
    if (pw === cw && ph === ch) return src;
  }
  const top = roundHalfEven((src.height - ch) / 2);
  const left = roundHalfEven((src.width - cw) / 2);
  const data = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    const s = ((top + y) * src.width + left) * 3;
    data.set(src.data.subarray(s, s + cw * 3), y * cw * 3);
  }
  return { width: cw, height: ch, data };
}

/** ToTensor() + Normalize(IMAGENET_MEAN, IMAGENET_STD) in float32, no resizing: CHW. */
export function toNormalizedChw(img: RgbImage): Float32Array {
  checkRgb(img, 'toNormalizedChw');
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const m = f(IMAGENET_MEAN[c]);
    const s = f(IMAGENET_STD[c]);
    // one lookup table per channel: every uint8 value's exact float32 result
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = f(f(f(v / 255) - m) / s);
    for (let i = 0; i < n; i++) out[c * n + i] = lut[img.data[i * 3 + c]];
  }
  return out;
}

/**
 * The network input for one image: Resize(size) → CenterCrop(size) → ToTensor → Normalize, CHW float32 of
 * length 3·size·size. An image already size×size is used as is (both steps are identities then).
 */
export function preprocess(img: RgbImage, size = 224): Float32Array {
  checkRgb(img, 'preprocess');
  const sized = img.width === size && img.height === size ? img : centerCrop(resizeShorter(img, size), size);
  return toNormalizedChw(sized);
}

/**
 * Inverse of the normalization for display: x·std + mean, clamped to [0, 1], ×255, rounded. chw: 3·h·w values
 * (one image). Non-finite values are an error.
 */
export function deprocess(chw: Float32Array, h: number, w: number): RgbImage {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) throw new Error(`deprocess: invalid size ${h}×${w}`);
  const n = h * w;
  if (chw.length !== 3 * n) throw new Error(`deprocess: expected 3×${h}×${w} = ${3 * n} values; got ${chw.length}`);
  const data = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const m = IMAGENET_MEAN[c];
    const s = IMAGENET_STD[c];
    for (let i = 0; i < n; i++) {
      const x = chw[c * n + i];
      if (!Number.isFinite(x)) throw new Error(`deprocess: non-finite value ${x} at channel ${c}, pixel (${i % w}, ${Math.floor(i / w)}) of ${h}×${w}`);
      const v = Math.min(1, Math.max(0, x * s + m));
      data[i * 3 + c] = Math.round(v * 255);
    }
  }
  return { width: w, height: h, data };
}

/** preprocess() every image into one NCHW float32 batch (N·3·size·size values). */
export function batchToTensorData(images: readonly RgbImage[], size = 224): Float32Array {
  if (!images.length) throw new Error('batchToTensorData: no images');
  const per = 3 * size * size;
  const out = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    try {
      out.set(preprocess(img, size), i * per);
    } catch (e) {
      throw new Error(`batchToTensorData: image ${i}: ${(e as Error).message}`);
    }
  });
  return out;
}
