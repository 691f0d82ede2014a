// PNG and JPEG bytes → 8-bit RGB, as PIL's Image.open(f).convert('RGB') gives them.
//
// PNG: upng-js decodes (every color type and bit depth, palettes, tRNS, Adam7). Before that we walk the chunks
// ourselves (signature, CRCs, IHDR sanity, IEND present) and inflate the image data with fflate to check that
// it is complete, because upng-js (through pako) decodes truncated or corrupt data into silently wrong pixels.
// Alpha is dropped without compositing (what convert('RGB') does); 16-bit samples keep their high byte (as PIL
// does for 16-bit RGB/RGBA; for 16-bit grayscale PIL 9 clips instead, which whitens nearly every pixel — we
// don't copy that). upng-js 2.1 misplaces pixels of 1-bit interlaced images and of 1/2/4-bit grayscale rows
// whose width is not a whole number of bytes; those two steps are done here.
//
// JPEG: jpeg-js (baseline and progressive, grayscale, YCbCr, Adobe CMYK/YCCK), in strict mode so damaged files
// fail. Its chroma upsampling and IDCT differ slightly from libjpeg's: pixels agree with PIL within a few levels
// on average (see tests/image/decode.test.ts). EXIF orientation is ignored, as PIL's Image.open does.
import UPNG from 'upng-js';
import * as jpeg from 'jpeg-js';
import { unzlibSync } from 'fflate';
import type { RgbImage } from './types.js';

export type { RgbImage, RgbaImage } from './types.js';

/** Largest image decoded (width·height), as jpeg-js's default. */
export const MAX_PIXELS = 100_000_000;

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIG.every((b, i) => bytes[i] === b);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** What a file that is neither PNG nor JPEG looks like, for the error message. */
function sniff(b: Uint8Array): string {
  const ascii = (o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'looks like GIF';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'looks like WebP';
  if (b.length >= 2 && ascii(0, 2) === 'BM') return 'looks like BMP';
  if (b.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*')) return 'looks like TIFF';
  if (b.length >= 12 && ascii(4, 4) === 'ftyp') return `looks like an ISO media file (${ascii(8, 4).trim()}: HEIC/AVIF/MP4)`;
  if (b.length >= 6 && b[0] === 0x93 && ascii(1, 5) === 'NUMPY') return 'looks like a NumPy .npy file';
  if (b.length >= 4 && ascii(0, 4) === 'PK\x03\x04') return 'looks like a zip archive (.npz?)';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) return 'JPEG start-of-image marker without a following segment';
  const head = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `unrecognized header ${head}`;
}

/**
 * Decode a PNG or JPEG file into 8-bit RGB. `name` (the file name) prefixes every error message.
 * Throws `${name}: not a PNG or JPEG image (...)` for other formats and `${name}: corrupt PNG/JPEG (...)` for
 * damaged files.
 */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbImage {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${name}: decodeImage expects a Uint8Array of file bytes`);
  if (bytes.length === 0) throw new Error(`${name}: empty file, not a PNG or JPEG image`);
  if (isPng(bytes)) return decodePng(bytes, name);
  if (isJpeg(bytes)) return decodeJpeg(bytes, name);
  throw new Error(`${name}: not a PNG or JPEG image (${sniff(bytes)})`);
}

// ------------------------------------------------------------------------------------------------------ PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  ctype: number;
  interlace: number;
}

interface PngScan extends PngHeader {
  idat: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const ADAM7 = [
  // [x0, y0, dx, dy]
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * Walk a PNG's chunks: signature, lengths, CRCs, a valid IHDR first, PLTE for palette images, at least one IDAT,
 * IEND. Returns the header and the concatenated IDAT bytes. Unknown ancillary chunks are skipped; unknown
 * critical chunks are an error (the PNG spec requires decoders to refuse them).
 */
export function scanPng(bytes: Uint8Array, name = 'image'): PngScan {
  const bad = (why: string) => new Error(`${name}: corrupt PNG (${why})`);
  if (!isPng(bytes)) throw new Error(`${name}: not a PNG image (bad signature)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let header: PngHeader | null = null;
  let plte = false;
  let iend = false;
  const idat: Uint8Array[] = [];
  let idatLen = 0;
  let lastType = '';
  while (p < bytes.length) {
    if (p + 12 > bytes.length) throw bad(`truncated after ${lastType || 'signature'} chunk at byte ${p} of ${bytes.length}`);
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4], bytes[p + 5], bytes[p + 6], bytes[p + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw bad(`invalid chunk type at byte ${p + 4}`);
    if (len > 0x7fffffff || p + 12 + len > bytes.length) throw bad(`${type} chunk at byte ${p} runs past the end of the file (truncated?)`);
    const crc = dv.getUint32(p + 8 + len);
    if (crc32(bytes, p + 4, p + 8 + len) !== crc) throw bad(`CRC mismatch in ${type} chunk at byte ${p}`);
    const d = p + 8;
    if (!header && type !== 'IHDR') throw bad(`first chunk is ${type}, not IHDR`);
    switch (type) {
      case 'IHDR': {
        if (header) throw bad('second IHDR chunk');
        if (len !== 13) throw bad(`IHDR has ${len} bytes, not 13`);
        const h: PngHeader = { width: dv.getUint32(d), height: dv.getUint32(d + 4), depth: bytes[d + 8], ctype: bytes[d + 9], interlace: bytes[d + 12] };
        if (h.width === 0 || h.height === 0 || h.width > 0x7fffffff || h.height > 0x7fffffff) throw bad(`invalid size ${h.width}×${h.height}`);
        if (!DEPTHS[h.ctype]) throw bad(`invalid color type ${h.ctype}`);
        if (!DEPTHS[h.ctype].includes(h.depth)) throw bad(`bit depth ${h.depth} is not allowed for color type ${h.ctype}`);
        if (bytes[d + 10] !== 0 || bytes[d + 11] !== 0) throw bad('unknown compression or filter method');
        if (h.interlace > 1) throw bad(`unknown interlace method ${h.interlace}`);
        if (h.width * h.height > MAX_PIXELS) throw new Error(`${name}: PNG of ${h.width}×${h.height} is too large (limit ${MAX_PIXELS / 1e6} megapixels)`);
        header = h;
        break;
      }
      case 'PLTE':
        if (len === 0 || len % 3 !== 0 || len > 768) throw bad(`PLTE of ${len} bytes`);
        plte = true;
        break;
      case 'IDAT':
        idat.push(bytes.subarray(d, d + len));
        idatLen += len;
        break;
      case 'IEND':
        iend = true;
        break;
      default:
        if (type[0] === type[0].toUpperCase()) throw bad(`unknown critical chunk ${type}`);
    }
    lastType = type;
    p += 12 + len;
    if (iend) break;
  }
  if (!header) throw bad('no IHDR chunk');
  if (!iend) throw bad(`no IEND chunk (truncated after ${lastType})`);
  if (!idat.length) throw bad('no IDAT chunk');
  if (header.ctype === 3 && !plte) throw bad('palette image without PLTE chunk');
  const all = new Uint8Array(idatLen);
  let o = 0;
  for (const c of idat) {
    all.set(c, o);
    o += c.length;
  }
  return { ...header, idat: all };
}

/** Bytes of filtered scanline data (filter bytes included) a PNG with this header must inflate to. */
export function pngRawSize(h: PngHeader): number {
  const bits = CHANNELS[h.ctype] * h.depth;
  const rowBytes = (w: number) => Math.ceil((w * bits) / 8);
  if (h.interlace === 0) return h.height * (1 + rowBytes(h.width));
  let n = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const sw = h.width > x0 ? Math.ceil((h.width - x0) / dx) : 0;
    const sh = h.height > y0 ? Math.ceil((h.height - y0) / dy) : 0;
    if (sw && sh) n += sh * (1 + rowBytes(sw));
  }
  return n;
}

/** Adam7 for 1-bit images (upng-js 2.1 places bits 4..7 of each byte wrongly). raw: inflated data, consumed. */
function deinterlace1bit(raw: Uint8Array, img: Parameters<typeof UPNG.decode._filterZero>[1]): Uint8Array {
  const { width: w, height: h } = img;
  const bpl = Math.ceil(w / 8);
  const out = new Uint8Array(h * bpl);
  let off = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const sw = w > x0 ? Math.ceil((w - x0) / dx) : 0;
    const sh = h > y0 ? Math.ceil((h - y0) / dy) : 0;
    if (!sw || !sh) continue;
    const sbpl = Math.ceil(sw / 8);
    UPNG.decode._filterZero(raw, img, off, sw, sh); // unfilters in place: row y at off + y·sbpl
    for (let y = 0; y < sh; y++) {
      const src = off + y * sbpl;
      const row = (y0 + y * dy) * bpl;
      for (let x = 0; x < sw; x++) {
        const bit = (raw[src + (x >> 3)] >> (7 - (x & 7))) & 1;
        const col = x0 + x * dx;
        out[row + (col >> 3)] |= bit << (7 - (col & 7));
      }
    }
    off += sh * (1 + sbpl);
  }
  return out;
}

/**
 * 1/2/4-bit grayscale scanlines (rows padded to whole bytes) → RGB, v·255/(2^d − 1). upng-js 2.1 ignores the
 * row padding for these depths, which shifts every row after the first unless width·depth is a multiple of 8.
 */
function expandGray(lines: Uint8Array, h: PngHeader): RgbImage {
  const { width: w, height: ht, depth: d } = h;
  const bpl = Math.ceil((w * d) / 8);
  const scale = 255 / ((1 << d) - 1);
  const mask = (1 << d) - 1;
  const data = new Uint8Array(w * ht * 3);
  for (let y = 0; y < ht; y++) {
    for (let x = 0; x < w; x++) {
      const bit = x * d;
      const v = ((lines[y * bpl + (bit >> 3)] >> (8 - d - (bit & 7))) & mask) * scale;
      const o = (y * w + x) * 3;
      data[o] = data[o + 1] = data[o + 2] = v;
    }
  }
  return { width: w, height: ht, data };
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  const scan = scanPng(bytes, name);
  let raw: Uint8Array;
  try {
    raw = unzlibSync(scan.idat);
  } catch (e) {
    throw new Error(`${name}: corrupt PNG (image data does not inflate: ${(e as Error).message})`);
  }
  const need = pngRawSize(scan);
  if (raw.length < need) throw new Error(`${name}: corrupt PNG (image data holds ${raw.length} bytes, ${scan.width}×${scan.height} needs ${need}; truncated?)`);
  let img;
  try {
    img = UPNG.decode(bytes);
  } catch (e) {
    throw new Error(`${name}: corrupt PNG (${decoderMessage(e)})`);
  }
  if (img.width !== scan.width || img.height !== scan.height) throw new Error(`${name}: corrupt PNG (decoder disagrees on the size)`);
  const lines = scan.interlace === 1 && scan.depth === 1 ? deinterlace1bit(raw, img) : img.data;
  const n = img.width * img.height;
  if (scan.ctype === 0 && scan.depth < 8) return expandGray(lines, scan);
  const rgba = UPNG.toRGBA8.decodeImage(lines, img.width, img.height, img);
  if (rgba.length < n * 4) throw new Error(`${name}: corrupt PNG (decoded ${rgba.length} bytes for ${img.width}×${img.height})`);
  const data = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    data[i * 3] = rgba[j];
    data[i * 3 + 1] = rgba[j + 1];
    data[i * 3 + 2] = rgba[j + 2];
  }
  return { width: img.width, height: img.height, data };
}

// ----------------------------------------------------------------------------------------------------- JPEG

/**
 * A third-party decoder's error as the user should read it: its own messages ("marker was not found") as
 * they are; a JavaScript fault inside it on damaged data (a TypeError or RangeError, "Cannot read properties
 * of undefined") is not shown as if it were a diagnosis.
 */
function decoderMessage(e: unknown): string {
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return 'the decoder failed on damaged or inconsistent data';
  return e instanceof Error ? e.message : String(e);
}

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  let r: { width: number; height: number; data: Uint8Array };
  try {
    r = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: MAX_PIXELS / 1e6 });
  } catch (e) {
    throw new Error(`${name}: corrupt or unsupported JPEG (${decoderMessage(e)})`);
  }
  const { width, height, data } = r;
  if (!width || !height) throw new Error(`${name}: corrupt JPEG (size ${width}×${height})`);
  if (data.length !== width * height * 3) throw new Error(`${name}: corrupt JPEG (decoded ${data.length} bytes for ${width}×${height} RGB)`);
  return { width, height, data };
}
