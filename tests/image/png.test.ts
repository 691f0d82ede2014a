// encodePng: lossless round trips through decodeImage (RGB, RGBA with alpha kept, few-color palette path,
// incompressible noise that overflows upng-js's output buffer without our slack), odd sizes, errors.
import { describe, it, expect } from 'vitest';
import UPNG from 'upng-js';
import { encodePng } from '../../src/image/png.js';
import { decodeImage, scanPng } from '../../src/image/decode.js';

function noise(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('encodePng', () => {
  it('RGB round trip (odd sizes, noise and gradients)', () => {
    for (const [w, h] of [[1, 1], [37, 23], [5, 64], [151, 99]]) {
      const data = noise(w * h * 3, w * 7 + h);
      const file = encodePng({ width: w, height: h, data });
      expect([...file.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
      const back = decodeImage(file, `${w}x${h}.png`);
      expect([back.width, back.height]).toEqual([w, h]);
      expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
    }
    const g = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 7) & 255);
    expect(Buffer.from(decodeImage(encodePng({ width: 64, height: 48, data: g })).data).equals(Buffer.from(g))).toBe(true);
  });

  it('RGBA keeps alpha (checked with upng-js) and decodeImage drops it', () => {
    const w = 211;
    const h = 97;
    const data = noise(w * h * 4, 5); // incompressible RGBA: bigger than upng-js's output buffer
    const file = encodePng({ width: w, height: h, data });
    scanPng(file, 'rgba');
    const dec = UPNG.decode(file);
    const rgba = new Uint8Array(UPNG.toRGBA8(dec)[0]);
    expect(Buffer.from(rgba).equals(Buffer.from(data))).toBe(true);
    const rgb = decodeImage(file, 'rgba.png');
    for (let i = 0; i < w * h; i += 97) expect([...rgb.data.subarray(i * 3, i * 3 + 3)]).toEqual([...data.subarray(i * 4, i * 4 + 3)]);
  });

  it('few colors (palette path) round trip', () => {
    const w = 50;
    const h = 30;
    const colors = [[255, 255, 255], [0, 0, 0], [214, 39, 40], [31, 119, 180], [7, 8, 9]];
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) data.set(colors[(i * 31 + (i >> 3)) % colors.length], i * 3);
    const file = encodePng({ width: w, height: h, data });
    expect(file[25]).toBe(3); // IHDR color type: palette
    expect(Buffer.from(decodeImage(file).data).equals(Buffer.from(data))).toBe(true);
  });

  it('errors name the sizes', () => {
    expect(() => encodePng({ width: 4, height: 3, data: new Uint8Array(40) })).toThrow(/encodePng: a 4×3 image needs 36 \(RGB\) or 48 \(RGBA\) bytes; got 40/);
    expect(() => encodePng({ width: 0, height: 3, data: new Uint8Array(0) })).toThrow(/encodePng: invalid image size 0×3/);
  });
});
