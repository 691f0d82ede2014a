// torchvision-exact preprocessing: Resize(s) + CenterCrop(s) against torchvision 0.14 / Pillow 9 outputs made by
// scripts/gen_image_fixtures.py (tolerance: exact equality, every pixel), ToTensor + Normalize within 1e-6
// (exact in practice), deprocess ∘ preprocess = identity, batch layout, errors.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../src/image/decode.js';
import { readNpz } from '../../src/image/npz.js';
import {
  IMAGENET_MEAN, IMAGENET_STD, resizedSize, resizeShorter, resizeBilinear, centerCrop, preprocess, toNormalizedChw,
  deprocess, batchToTensorData, type RgbImage,
} from '../../src/image/preprocess.js';

const FIX = new URL('../fixtures/image/', import.meta.url);
const bytes = (rel: string) => new Uint8Array(readFileSync(new URL(rel, FIX)));
const load = (rel: string) => decodeImage(bytes(rel), rel);

function diffStats(a: Uint8Array, b: Uint8Array) {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** Exact equality of two typed arrays (bytewise; fast on large arrays, unlike toEqual). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function randomImage(w: number, h: number, seed: number): RgbImage {
  let s = seed >>> 0;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width: w, height: h, data };
}

describe('resize + center crop vs torchvision 0.14 (PIL path)', () => {
  const exp = readNpz(bytes('resize_expected.npz'), 'resize_expected.npz');
  const names = [...new Set([...exp.keys()].map((k) => k.split('.')[0]))];

  it('has every case', () => {
    expect(names.sort()).toEqual(['crop_69x64', 'crop_71x64', 'down_200x120', 'down_400x300', 'down_97x70', 'shared_120x90', 'tiny_7x5', 'up_40x110', 'up_50x30']);
  });

  for (const name of names) {
    it(`${name}: Resize and CenterCrop match exactly`, () => {
      const s = Number(exp.get(`${name}.size`)!.data[0]);
      const img = load(`resize/${name}.png`);
      const r = resizeShorter(img, s);
      const er = exp.get(`${name}.resize`);
      if (er) {
        expect([r.height, r.width]).toEqual(er.shape.slice(0, 2));
        const d = diffStats(r.data, er.data as Uint8Array);
        expect(d, `${name} resize`).toEqual({ max: 0, mean: 0 });
      }
      const c = centerCrop(r, s);
      const ec = exp.get(`${name}.crop`)!;
      expect([c.height, c.width]).toEqual(ec.shape.slice(0, 2));
      const d = diffStats(c.data, ec.data as Uint8Array);
      expect(d, `${name} crop`).toEqual({ max: 0, mean: 0 });
    });
  }
});

describe('resize details', () => {
  it('output size is int(s·long/short) on the long side', () => {
    expect(resizedSize(300, 180, 224)).toEqual({ width: 373, height: 224 });
    expect(resizedSize(150, 400, 224)).toEqual({ width: 224, height: 597 });
    expect(resizedSize(333, 250, 224)).toEqual({ width: 298, height: 224 });
    expect(resizedSize(224, 224, 224)).toEqual({ width: 224, height: 224 });
    expect(resizedSize(97, 70, 64)).toEqual({ width: 88, height: 64 });
  });

  it('same size is a copy; one-axis resize leaves the other axis untouched', () => {
    const img = randomImage(9, 7, 1);
    const copy = resizeBilinear(img, 9, 7);
    expect([...copy.data]).toEqual([...img.data]);
    expect(copy.data).not.toBe(img.data);
    // Width only: each row resampled independently, a constant column stays constant.
    const flat: RgbImage = { width: 9, height: 7, data: new Uint8Array(9 * 7 * 3).fill(77) };
    const r = resizeBilinear(flat, 4, 7);
    expect(r.width).toBe(4);
    expect(r.data.every((v) => v === 77)).toBe(true);
    const r2 = resizeBilinear(flat, 9, 20);
    expect(r2.data.every((v) => v === 77)).toBe(true);
  });

  it('center crop rounds half to even and pads small images with black', () => {
    const img = randomImage(7, 5, 2); // crop 4 wide: (7-4)/2 = 1.5 → 2; 2 high: (5-2)/2 = 1.5 → 2
    const c = centerCrop(img, 2, 4);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) for (let k = 0; k < 3; k++) expect(c.data[(y * 4 + x) * 3 + k]).toBe(img.data[((y + 2) * 7 + x + 2) * 3 + k]);
    const img2 = randomImage(6, 6, 3); // (6-1)/2 = 2.5 → 2
    const c2 = centerCrop(img2, 1, 1);
    expect([...c2.data]).toEqual([...img2.data.subarray((2 * 6 + 2) * 3, (2 * 6 + 2) * 3 + 3)]);
    const small = randomImage(3, 2, 4);
    const p = centerCrop(small, 5, 6); // pad left 1, right 2, top 1, bottom 2
    expect([p.width, p.height]).toEqual([6, 5]);
    expect(p.data.subarray(0, 6 * 3).every((v) => v === 0)).toBe(true);
    expect([...p.data.subarray((1 * 6 + 1) * 3, (1 * 6 + 1) * 3 + 9)]).toEqual([...small.data.subarray(0, 9)]);
  });

  it('errors name the op and the sizes', () => {
    const img = randomImage(5, 4, 5);
    expect(() => resizeBilinear(img, 0, 3)).toThrow(/resizeBilinear: invalid output size 0×3 for image 5×4/);
    expect(() => resizeShorter({ width: 5, height: 4, data: new Uint8Array(10) })).toThrow(/resizeShorter: image is 5×4 but holds 10 bytes; RGB needs 60/);
    expect(() => resizeShorter(img, 2.5)).toThrow(/size must be a positive integer/);
  });
});

describe('ToTensor + Normalize vs torchvision', () => {
  const exp = readNpz(bytes('preprocess_expected.npz'), 'preprocess_expected.npz');
  for (const name of ['levels16', 'small40x23']) {
    it(`${name}: preprocess(img, 16) within 1e-6 of torchvision`, () => {
      const img = load(`resize/${name}.png`);
      const got = preprocess(img, 16);
      const want = exp.get(name)!;
      expect(want.shape).toEqual([3, 16, 16]);
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i] - (want.data as Float32Array)[i]));
      expect(max).toBeLessThanOrEqual(1e-6);
      expect(max).toBe(0); // float32 op order as torch: bit-exact
    });
  }

  it('constants and 224 default; 224×224 input skips the resize', () => {
    expect(IMAGENET_MEAN).toEqual([0.485, 0.456, 0.406]);
    expect(IMAGENET_STD).toEqual([0.229, 0.224, 0.225]);
    const img = randomImage(224, 224, 6);
    const x = preprocess(img);
    expect(x.length).toBe(3 * 224 * 224);
    expect(same(x, toNormalizedChw(img))).toBe(true);
    // CHW layout: channel 1 of pixel (x=5, y=3)
    const i = 3 * 224 + 5;
    expect(x[224 * 224 + i]).toBe(Math.fround(Math.fround(Math.fround(img.data[i * 3 + 1] / 255) - Math.fround(0.456)) / Math.fround(0.224)));
  });

  it('non-square input goes through resize + crop', () => {
    const img = randomImage(31, 17, 7);
    const x = preprocess(img, 12);
    expect(same(x, toNormalizedChw(centerCrop(resizeShorter(img, 12), 12)))).toBe(true);
  });
});

describe('deprocess and batches', () => {
  it('deprocess(preprocess(x)) == x for every level', () => {
    for (const [w, h, seed] of [[13, 9, 1], [224, 224, 2], [8, 32, 3]]) {
      const img = randomImage(w, h, seed);
      const back = deprocess(toNormalizedChw(img), h, w);
      expect(back.width).toBe(w);
      expect(back.height).toBe(h);
      expect(same(back.data, img.data)).toBe(true);
    }
  });

  it('deprocess clamps to [0, 255] and rejects bad input', () => {
    const chw = new Float32Array(3 * 2 * 1);
    chw.fill(100);
    chw[1] = -100;
    const img = deprocess(chw, 1, 2);
    expect([...img.data]).toEqual([255, 255, 255, 0, 255, 255]);
    expect(() => deprocess(new Float32Array(5), 1, 2)).toThrow(/deprocess: expected 3×1×2 = 6 values; got 5/);
    const nan = new Float32Array(6);
    nan[4] = NaN;
    expect(() => deprocess(nan, 1, 2)).toThrow(/non-finite value NaN at channel 2, pixel \(0, 0\)/);
  });

  it('batchToTensorData is NCHW of preprocess()', () => {
    const imgs = [randomImage(20, 11, 1), randomImage(12, 12, 2), randomImage(9, 30, 3)];
    const b = batchToTensorData(imgs, 12);
    expect(b.length).toBe(3 * 3 * 144);
    imgs.forEach((img, i) => expect(same(b.subarray(i * 432, (i + 1) * 432), preprocess(img, 12))).toBe(true));
    expect(() => batchToTensorData([])).toThrow(/no images/);
    expect(() => batchToTensorData([imgs[0], { width: 2, height: 2, data: new Uint8Array(3) }], 12)).toThrow(/batchToTensorData: image 1: preprocess: image is 2×2 but holds 3 bytes/);
  });
});
