// decodeImage: every PNG color type / bit depth / interlacing against the pixels PIL's convert('RGB') gives
// (exact; 16-bit grayscale: high byte, see scripts/gen_image_fixtures.py), PIL-made JPEGs against PIL's own
// decode (tolerance: mean |diff| ≤ 3 levels per channel; max reported), the 25 shared PNGs against X of
// imagenet_val_25.npz (exact), and error messages for other formats and damaged files.
import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { zlibSync } from 'fflate';
import { decodeImage, crc32, scanPng, pngRawSize } from '../../src/image/decode.js';
import { readNpz } from '../../src/image/npz.js';

const FIX = new URL('../fixtures/image/', import.meta.url);
const bytes = (rel: string) => new Uint8Array(readFileSync(new URL(rel, FIX)));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A PNG file from chunks, with correct CRCs. */
function png(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  for (const [type, data] of chunks) {
    const c = new Uint8Array(12 + data.length);
    const dv = new DataView(c.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(data, 8);
    dv.setUint32(8 + data.length, crc32(c, 4, 8 + data.length));
    parts.push(...c);
  }
  return Uint8Array.from(parts);
}

function ihdr(w: number, h: number, depth: number, ctype: number, interlace = 0): Uint8Array {
  const d = new Uint8Array(13);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  d[8] = depth;
  d[9] = ctype;
  d[12] = interlace;
  return d;
}

describe('PNG variants vs PIL', () => {
  const exp = readNpz(bytes('png_expected.npz'), 'png_expected.npz');
  const names = [...exp.keys()].sort();

  it('covers every color type, bit depth and interlacing', () => {
    expect(names.length).toBe(28);
    for (const n of ['rgb8', 'rgba8', 'gray8', 'la8', 'palette8', 'rgb16', 'rgba16', 'gray16', 'la16', 'gray1', 'gray2', 'gray4', 'palette1', 'palette2', 'palette4', 'rgb8_interlaced', 'gray1_interlaced', 'rgb16_interlaced', 'pil_rgb', 'pil_rgba']) {
      expect(names).toContain(n);
    }
  });

  for (const name of names) {
    it(`${name}.png decodes to PIL's pixels exactly`, () => {
      const img = decodeImage(bytes(`png/${name}.png`), `${name}.png`);
      const want = exp.get(name)!;
      expect([img.height, img.width, 3]).toEqual(want.shape);
      expect(firstMismatch(img.data, want.data as Uint8Array)).toBe(-1);
    });
  }
});

describe('JPEG vs PIL (libjpeg)', () => {
  const exp = readNpz(bytes('jpeg_expected.npz'), 'jpeg_expected.npz');
  for (const name of ['baseline420', 'baseline444', 'progressive', 'gray', 'odd_37x23', 'synthetic_444']) {
    it(`${name}.jpg within mean 3 levels of PIL`, () => {
      const img = decodeImage(bytes(`jpeg/${name}.jpg`), `${name}.jpg`);
      const want = exp.get(name)!;
      expect([img.height, img.width, 3]).toEqual(want.shape);
      let sum = 0;
      let max = 0;
      const w = want.data as Uint8Array;
      for (let i = 0; i < w.length; i++) {
        const d = Math.abs(img.data[i] - w[i]);
        sum += d;
        max = Math.max(max, d);
      }
      const mean = sum / w.length;
      // measured (jpeg-js 0.4.4 vs Pillow 9.4/libjpeg-turbo): mean 0.06 (gray) to 1.08 (odd_37x23), max 1–8
      expect(mean).toBeLessThanOrEqual(3);
      expect(max).toBeLessThanOrEqual(16);
      if (name === 'gray') {
        let colored = 0;
        for (let i = 0; i < img.data.length; i += 3) if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) colored++;
        expect(colored).toBe(0);
      }
    });
  }
});

describe('the embedded sample images', () => {
  it('decode to exactly the pixels PIL gives (the rows of cs231n\'s imagenet_val_25.npz X)', () => {
    const want = JSON.parse(readFileSync(`${ROOT}tests/fixtures/image/samples_pixels.json`, 'utf8')) as { file: string; label: number; shape: number[]; sha256: string }[];
    const labels = JSON.parse(readFileSync(`${ROOT}samples/labels.json`, 'utf8')) as { file: string; label: number }[];
    expect(want.length).toBe(10);
    expect(labels.map((e) => e.file)).toEqual(want.map((e) => e.file));
    for (const e of want) {
      const img = decodeImage(new Uint8Array(readFileSync(`${ROOT}samples/${e.file}`)), e.file);
      expect([img.height, img.width, 3]).toEqual(e.shape);
      expect(createHash('sha256').update(img.data).digest('hex'), e.file).toBe(e.sha256);
      expect(labels.find((l) => l.file === e.file)!.label).toBe(e.label);
    }
  });
});

describe('errors', () => {
  const good = bytes('png/rgb8.png');

  it('other formats are named', () => {
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    expect(() => decodeImage(gif, 'photo.gif')).toThrow(/^photo\.gif: not a PNG or JPEG image \(looks like GIF\)$/);
    const webp = new TextEncoder().encode('RIFF\x00\x00\x00\x00WEBPVP8 ');
    expect(() => decodeImage(webp, 'a.webp')).toThrow(/a\.webp: not a PNG or JPEG image \(looks like WebP\)/);
    expect(() => decodeImage(new TextEncoder().encode('BM......'), 'x.bmp')).toThrow(/looks like BMP/);
    expect(() => decodeImage(Uint8Array.from([1, 2, 3, 4]), 'junk.bin')).toThrow(/junk\.bin: not a PNG or JPEG image \(unrecognized header 01 02 03 04\)/);
    expect(() => decodeImage(new Uint8Array(0), 'empty.png')).toThrow(/empty\.png: empty file/);
  });

  it('truncated PNGs fail, wherever they are cut', () => {
    for (const cut of [8, 20, 33, 60, good.length - 200, good.length - 13, good.length - 1]) {
      expect(() => decodeImage(good.subarray(0, cut), 'cut.png'), `cut at ${cut}`).toThrow(/^cut\.png: corrupt PNG \(/);
    }
  });

  it('a flipped byte fails the CRC check', () => {
    const bad = good.slice();
    bad[100] ^= 0x40;
    expect(() => decodeImage(bad, 'flip.png')).toThrow(/flip\.png: corrupt PNG \(CRC mismatch in IDAT chunk/);
  });

  it('image data that inflates short or not at all fails (valid CRCs)', () => {
    const head = ihdr(5, 4, 8, 2);
    const short = zlibSync(new Uint8Array(3 * (1 + 15))); // 3 of 4 rows
    expect(pngRawSize({ width: 5, height: 4, depth: 8, ctype: 2, interlace: 0 })).toBe(64);
    expect(() => decodeImage(png([['IHDR', head], ['IDAT', short], ['IEND', new Uint8Array(0)]]), 's.png')).toThrow(/s\.png: corrupt PNG \(image data holds 48 bytes, 5×4 needs 64; truncated\?\)/);
    const garbage = Uint8Array.from([0x78, 0x9c, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => decodeImage(png([['IHDR', head], ['IDAT', garbage], ['IEND', new Uint8Array(0)]]), 'g.png')).toThrow(/g\.png: corrupt PNG \(image data does not inflate/);
    const ok = png([['IHDR', head], ['IDAT', zlibSync(new Uint8Array(64))], ['IEND', new Uint8Array(0)]]);
    expect(decodeImage(ok, 'ok.png').data.every((v) => v === 0)).toBe(true);
  });

  it('invalid headers and missing chunks fail', () => {
    const idat = zlibSync(new Uint8Array(64));
    const end: [string, Uint8Array] = ['IEND', new Uint8Array(0)];
    expect(() => decodeImage(png([['IHDR', ihdr(5, 4, 16, 3)], ['IDAT', idat], end]), 'd.png')).toThrow(/bit depth 16 is not allowed for color type 3/);
    expect(() => decodeImage(png([['IHDR', ihdr(0, 4, 8, 2)], ['IDAT', idat], end]), 'z.png')).toThrow(/invalid size 0×4/);
    expect(() => decodeImage(png([['IHDR', ihdr(5, 4, 8, 3)], ['IDAT', idat], end]), 'p.png')).toThrow(/palette image without PLTE/);
    expect(() => decodeImage(png([['IHDR', ihdr(5, 4, 8, 2)], end]), 'n.png')).toThrow(/no IDAT chunk/);
    expect(() => decodeImage(png([['IHDR', ihdr(5, 4, 8, 2)], ['IDAT', idat]]), 'e.png')).toThrow(/no IEND chunk/);
    expect(() => decodeImage(png([['IHDR', ihdr(5, 4, 8, 2)], ['ABCD', new Uint8Array(1)], ['IDAT', idat], end]), 'c.png')).toThrow(/unknown critical chunk ABCD/);
    expect(() => decodeImage(png([['IDAT', idat], end]), 'f.png')).toThrow(/first chunk is IDAT, not IHDR/);
    expect(() => decodeImage(png([['IHDR', ihdr(20000, 20000, 8, 2)], ['IDAT', idat], end]), 'big.png')).toThrow(/big\.png: PNG of 20000×20000 is too large/);
    // unknown ancillary chunks are skipped
    expect(decodeImage(png([['IHDR', ihdr(5, 4, 8, 2)], ['abCD', new Uint8Array(3)], ['IDAT', idat], end]), 'a.png').width).toBe(5);
    expect(scanPng(good, 'g').idat.length).toBeGreaterThan(0);
  });

  it('damaged JPEGs fail', () => {
    const jpg = bytes('jpeg/baseline420.jpg');
    for (const cut of [3, 20, 200, jpg.length - 100, jpg.length - 2]) {
      expect(() => decodeImage(jpg.subarray(0, cut), 'cut.jpg'), `cut at ${cut}`).toThrow(/^cut\.jpg: corrupt (or unsupported )?JPEG/);
    }
    const bad = jpg.slice();
    bad.fill(0x00, 4, 40); // keep SOI + APP0 marker, wipe what follows
    expect(() => decodeImage(bad, 'bad.jpg')).toThrow(/bad\.jpg: corrupt or unsupported JPEG/);
  });
});
