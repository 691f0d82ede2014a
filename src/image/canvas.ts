// A small RGB raster for report figures: rectangles, images (nearest or Pillow-bilinear scaling) and text in
// the embedded 6×8 bitmap font (font.ts), so figures render identically everywhere with no system fonts.
import type { RgbImage } from './types.js';
import { checkRgb } from './types.js';
import { resizeBilinear } from './preprocess.js';
import { encodePng } from './png.js';
import { FONT_WIDTH, FONT_HEIGHT, fontText, glyph } from './font.js';

export type Rgb = readonly [number, number, number];
/** [r, g, b] with 0..255 channels, '#rgb', '#rrggbb' or a name: white, black, gray, lightgray, red, green, blue. */
export type Color = Rgb | string;

const NAMED: Record<string, Rgb> = {
  white: [255, 255, 255],
  black: [0, 0, 0],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  lightgray: [211, 211, 211],
  darkgray: [90, 90, 90],
  red: [214, 39, 40],
  green: [44, 160, 44],
  blue: [31, 119, 180],
  orange: [255, 127, 14],
};

export function parseColor(c: Color): Rgb {
  if (typeof c === 'string') {
    const named = NAMED[c.toLowerCase()];
    if (named) return named;
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
    if (!m) throw new Error(`canvas: unknown color '${c}' (use [r, g, b], '#rrggbb', '#rgb' or one of ${Object.keys(NAMED).join(', ')})`);
    const h = m[1].length === 3 ? [...m[1]].map((x) => x + x).join('') : m[1];
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isFinite(v))) throw new Error(`canvas: invalid color ${JSON.stringify(c)}`);
  return [clampByte(c[0]), clampByte(c[1]), clampByte(c[2])];
}

function clampByte(v: number): number {
  return Math.min(255, Math.max(0, Math.round(v)));
}

export type TextAlign = 'left' | 'center' | 'right';

export interface TextOptions {
  /** Pixel height of a line: a multiple of the font's 8-pixel cell (rounded down; at least 8). Default 16. */
  size?: number;
  color?: Color;
  /** Where x is: the left edge (default), the center or the right edge of the text. */
  align?: TextAlign;
  /** Truncate with '…' to fit this many pixels. */
  maxWidth?: number;
}

/** Integer scale of the 6×8 font for a requested pixel height. */
export function fontScale(size = 16): number {
  if (!Number.isFinite(size) || size <= 0) throw new Error(`canvas: invalid text size ${size}`);
  return Math.max(1, Math.floor(size / FONT_HEIGHT));
}

/** Width and height in pixels of a line of text at the given size (every character is 6·scale wide). */
export function measureText(text: string, size = 16): { width: number; height: number } {
  const s = fontScale(size);
  return { width: fontText(text).length * FONT_WIDTH * s, height: FONT_HEIGHT * s };
}

/** The longest prefix of text (plus '…' when cut) that fits in maxWidth pixels at the given size. */
export function fitText(text: string, maxWidth: number, size = 16): string {
  const t = fontText(text);
  const cw = FONT_WIDTH * fontScale(size);
  const fit = Math.floor(maxWidth / cw);
  if (t.length <= fit) return t;
  if (fit <= 0) return '';
  return t.slice(0, fit - 1).trimEnd() + '\u2026';
}

export interface DrawSize {
  scale?: number;
  width?: number;
  height?: number;
}

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** RGB interleaved, row-major. */
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Color = 'white') {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`Canvas: invalid size ${width}×${height}`);
    if (width * height > 100_000_000) throw new Error(`Canvas: ${width}×${height} is too large`);
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Fill a rectangle (clipped to the canvas; fractional coordinates are rounded). */
  fillRect(x: number, y: number, w: number, h: number, color: Color): this {
    const [r, g, b] = parseColor(color);
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      let p = (yy * this.width + x0) * 3;
      for (let xx = x0; xx < x1; xx++, p += 3) {
        this.data[p] = r;
        this.data[p + 1] = g;
        this.data[p + 2] = b;
      }
    }
    return this;
  }

  /** Outline a rectangle with lines `lineWidth` pixels wide, drawn inside the rectangle. */
  strokeRect(x: number, y: number, w: number, h: number, color: Color, lineWidth = 1): this {
    const t = Math.max(1, Math.round(lineWidth));
    this.fillRect(x, y, w, t, color);
    this.fillRect(x, y + h - t, w, t, color);
    this.fillRect(x, y, t, h, color);
    this.fillRect(x + w - t, y, t, h, color);
    return this;
  }

  getPixel(x: number, y: number): Rgb {
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= this.width || y >= this.height) {
      throw new Error(`Canvas.getPixel: (${x}, ${y}) is outside the ${this.width}×${this.height} canvas`);
    }
    const p = (y * this.width + x) * 3;
    return [this.data[p], this.data[p + 1], this.data[p + 2]];
  }

  /**
   * Draw an image with its top-left corner at (x, y), optionally scaled: {scale} or {width, height} (one of
   * the two keeps the aspect ratio). 'nearest' repeats pixels (crisp upscaling); 'bilinear' is Pillow's
   * antialiased bilinear (smooth; right for shrinking). Parts outside the canvas are clipped.
   */
  drawImage(img: RgbImage, x: number, y: number, size: DrawSize = {}, filter: 'nearest' | 'bilinear' = 'nearest'): this {
    checkRgb(img, 'Canvas.drawImage');
    let dw: number;
    let dh: number;
    if (size.scale !== undefined) {
      if (!(size.scale > 0)) throw new Error(`Canvas.drawImage: invalid scale ${size.scale}`);
      dw = Math.max(1, Math.round(img.width * size.scale));
      dh = Math.max(1, Math.round(img.height * size.scale));
    } else if (size.width !== undefined || size.height !== undefined) {
      dw = size.width ?? Math.max(1, Math.round((img.width * size.height!) / img.height));
      dh = size.height ?? Math.max(1, Math.round((img.height * size.width!) / img.width));
    } else {
      dw = img.width;
      dh = img.height;
    }
    if (!Number.isInteger(dw) || !Number.isInteger(dh) || dw <= 0 || dh <= 0) throw new Error(`Canvas.drawImage: invalid target size ${dw}×${dh} for a ${img.width}×${img.height} image`);
    if (filter !== 'nearest' && filter !== 'bilinear') throw new Error(`Canvas.drawImage: unknown filter '${filter}'`);
    const x0 = Math.round(x);
    const y0 = Math.round(y);
    if (filter === 'bilinear' || (dw === img.width && dh === img.height)) {
      const src = dw === img.width && dh === img.height ? img : resizeBilinear(img, dw, dh);
      for (let yy = Math.max(0, -y0); yy < dh && y0 + yy < this.height; yy++) {
        const xs = Math.max(0, -x0);
        const xe = Math.min(dw, this.width - x0);
        if (xe <= xs) break;
        this.data.set(src.data.subarray((yy * dw + xs) * 3, (yy * dw + xe) * 3), ((y0 + yy) * this.width + x0 + xs) * 3);
      }
      return this;
    }
    // nearest: source pixel floor((d + 0.5)·src/dst), as Pillow's NEAREST
    const sx = new Int32Array(dw);
    for (let i = 0; i < dw; i++) sx[i] = Math.min(img.width - 1, Math.floor(((i + 0.5) * img.width) / dw));
    for (let yy = Math.max(0, -y0); yy < dh && y0 + yy < this.height; yy++) {
      const syy = Math.min(img.height - 1, Math.floor(((yy + 0.5) * img.height) / dh));
      const srow = syy * img.width;
      let p = ((y0 + yy) * this.width + x0) * 3;
      for (let xx = 0; xx < dw; xx++, p += 3) {
        const cx = x0 + xx;
        if (cx < 0) continue;
        if (cx >= this.width) break;
        const s = (srow + sx[xx]) * 3;
        this.data[p] = img.data[s];
        this.data[p + 1] = img.data[s + 1];
        this.data[p + 2] = img.data[s + 2];
      }
    }
    return this;
  }

  /**
   * Draw one line of text with its top at y. Returns the drawn width in pixels. The text box is
   * measureText(text, size); x is its left edge, center or right edge per `align`.
   */
  drawText(text: string, x: number, y: number, opts: TextOptions = {}): number {
    const size = opts.size ?? 16;
    const s = fontScale(size);
    const [r, g, b] = parseColor(opts.color ?? 'black');
    const t = opts.maxWidth !== undefined ? fitText(text, opts.maxWidth, size) : fontText(text);
    const width = t.length * FONT_WIDTH * s;
    const align = opts.align ?? 'left';
    let left = Math.round(x);
    if (align === 'center') left = Math.round(x - width / 2);
    else if (align === 'right') left = Math.round(x - width);
    else if (align !== 'left') throw new Error(`Canvas.drawText: unknown align '${align}'`);
    const top = Math.round(y);
    for (let i = 0; i < t.length; i++) {
      const rows = glyph(t[i]);
      const cx = left + i * FONT_WIDTH * s;
      for (let row = 0; row < FONT_HEIGHT; row++) {
        const bits = rows[row];
        if (!bits) continue;
        for (let col = 0; col < FONT_WIDTH; col++) {
          if (!((bits >> (FONT_WIDTH - 1 - col)) & 1)) continue;
          const px = cx + col * s;
          const py = top + row * s;
          for (let dy = 0; dy < s; dy++) {
            const yy = py + dy;
            if (yy < 0 || yy >= this.height) continue;
            for (let dx = 0; dx < s; dx++) {
              const xx = px + dx;
              if (xx < 0 || xx >= this.width) continue;
              const p = (yy * this.width + xx) * 3;
              this.data[p] = r;
              this.data[p + 1] = g;
              this.data[p + 2] = b;
            }
          }
        }
      }
    }
    return width;
  }

  measureText(text: string, size = 16): { width: number; height: number } {
    return measureText(text, size);
  }

  /** The pixels as an RgbImage (a view of this canvas's buffer, not a copy). */
  toImage(): RgbImage {
    return { width: this.width, height: this.height, data: this.data };
  }

  toPng(): Uint8Array {
    return encodePng(this.toImage());
  }
}
