// RGB / RGBA → PNG file bytes (lossless) with upng-js. upng-js picks the color type itself: a palette when the
// image has at most 256 colors, RGB when every alpha is 255, else RGBA.
import UPNG from 'upng-js';
import type { RgbImage, RgbaImage } from './types.js';
import { scanPng } from './decode.js';

/**
 * Encode an 8-bit RGB image (data of width·height·3 bytes) or RGBA image (width·height·4) as a PNG file.
 * The result is checked (chunk structure and CRCs) before it is returned.
 */
export function encodePng(img: RgbImage | RgbaImage): Uint8Array {
  const { width: w, height: h, data } = img ?? ({} as RgbImage);
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) throw new Error(`encodePng: invalid image size ${w}×${h}`);
  if (!(data instanceof Uint8Array)) throw new Error(`encodePng: data must be a Uint8Array`);
  const n = w * h;
  let channels: number;
  if (data.length === n * 3) channels = 3;
  else if (data.length === n * 4) channels = 4;
  else throw new Error(`encodePng: a ${w}×${h} image needs ${n * 3} (RGB) or ${n * 4} (RGBA) bytes; got ${data.length}`);
  // upng-js 2.1 writes into a buffer of (input bytes + 100) and silently drops whatever does not fit, which
  // incompressible images overflow. Give it an input buffer with slack at the end, filled with copies of the
  // first pixel so the extra bytes change neither the palette nor the alpha analysis (only the first w·h
  // pixels are encoded).
  const slack = h + 5 * Math.ceil((h * (4 * w + 1)) / 16000) + 2048;
  const rgba = new Uint8Array(4 * n + 4 * Math.ceil(slack / 4));
  if (channels === 4) rgba.set(data);
  else {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      rgba[i * 4] = data[j];
      rgba[i * 4 + 1] = data[j + 1];
      rgba[i * 4 + 2] = data[j + 2];
      rgba[i * 4 + 3] = 255;
    }
  }
  for (let i = 4 * n; i < rgba.length; i += 4) rgba.set(rgba.subarray(0, 4), i);
  const png = new Uint8Array(UPNG.encode([rgba.buffer], w, h, 0));
  scanPng(png, 'encodePng output'); // throws if upng-js produced a damaged file
  return png;
}
