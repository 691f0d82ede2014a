// Canvas (rectangles, images, bitmap text, PNG output) and gridFigure layout.
import { describe, it, expect } from 'vitest';
import { Canvas, parseColor, measureText, fitText, fontScale } from '../../src/image/canvas.js';
import { fontText, glyph, FONT_WIDTH, FONT_HEIGHT } from '../../src/image/font.js';
import { gridFigure, gridFigureWithLayout } from '../../src/image/figure.js';
import { resizeBilinear } from '../../src/image/preprocess.js';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';

function solid(w: number, h: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, data };
}

function ramp(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 20, y * 30, (x + y) * 10], (y * w + x) * 3);
  return { width: w, height: h, data };
}

/** Bounding box of pixels differing from the background color. */
function inkBox(c: Canvas, bg: [number, number, number] = [255, 255, 255]) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  let n = 0;
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      const p = (y * c.width + x) * 3;
      if (c.data[p] !== bg[0] || c.data[p + 1] !== bg[1] || c.data[p + 2] !== bg[2]) {
        n++;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x0, y0, x1, y1, n };
}

describe('colors and rectangles', () => {
  it('parses colors', () => {
    expect(parseColor('white')).toEqual([255, 255, 255]);
    expect(parseColor('#f80')).toEqual([255, 136, 0]);
    expect(parseColor('#0a0B0c')).toEqual([10, 11, 12]);
    expect(parseColor([300, -2, 7.6])).toEqual([255, 0, 8]);
    expect(() => parseColor('chartreuse')).toThrow(/canvas: unknown color 'chartreuse'/);
    expect(() => parseColor([1, 2] as never)).toThrow(/invalid color \[1,2\]/);
  });

  it('fills the background and clips rectangles', () => {
    const c = new Canvas(7, 5, '#102030');
    expect(c.getPixel(6, 4)).toEqual([16, 32, 48]);
    c.fillRect(-3, 3, 5, 10, 'red');
    expect(c.getPixel(0, 4)).toEqual(parseColor('red'));
    expect(c.getPixel(1, 3)).toEqual(parseColor('red'));
    expect(c.getPixel(2, 3)).toEqual([16, 32, 48]);
    expect(c.getPixel(0, 2)).toEqual([16, 32, 48]);
    c.strokeRect(2, 0, 5, 3, 'black');
    expect(c.getPixel(4, 1)).toEqual([16, 32, 48]);
    expect(c.getPixel(2, 1)).toEqual([0, 0, 0]);
    expect(() => c.getPixel(7, 0)).toThrow(/outside the 7×5 canvas/);
    expect(() => new Canvas(0, 5)).toThrow(/Canvas: invalid size 0×5/);
  });
});

describe('drawImage', () => {
  it('copies at scale 1 and repeats pixels with nearest scaling', () => {
    const img = ramp(3, 2);
    const c = new Canvas(10, 8);
    c.drawImage(img, 1, 1);
    expect(c.getPixel(1, 1)).toEqual([0, 0, 0]);
    expect(c.getPixel(3, 2)).toEqual([40, 30, 30]);
    const d = new Canvas(10, 8).drawImage(img, 0, 0, { scale: 3 });
    for (let y = 0; y < 6; y++) for (let x = 0; x < 9; x++) expect(d.getPixel(x, y)).toEqual([...img.data.subarray(((y / 3 | 0) * 3 + (x / 3 | 0)) * 3, ((y / 3 | 0) * 3 + (x / 3 | 0)) * 3 + 3)]);
    expect(d.getPixel(9, 0)).toEqual([255, 255, 255]);
  });

  it('bilinear uses Pillow resampling; {width} keeps the aspect ratio', () => {
    const img = ramp(12, 8);
    const c = new Canvas(20, 20).drawImage(img, 2, 3, { width: 6 }, 'bilinear');
    const r = resizeBilinear(img, 6, 4);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) expect(c.getPixel(x + 2, y + 3)).toEqual([...r.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)]);
    expect(c.getPixel(8, 3)).toEqual([255, 255, 255]);
    expect(c.getPixel(2, 7)).toEqual([255, 255, 255]);
  });

  it('clips at every edge', () => {
    const img = solid(4, 4, [9, 9, 9]);
    for (const filter of ['nearest', 'bilinear'] as const) {
      const c = new Canvas(5, 5).drawImage(img, -2, 3, { scale: 1 }, filter);
      expect(inkBox(c)).toEqual({ x0: 0, y0: 3, x1: 1, y1: 4, n: 4 });
      const d = new Canvas(5, 5).drawImage(img, 3, -3, { scale: 2 }, filter);
      expect(inkBox(d)).toEqual({ x0: 3, y0: 0, x1: 4, y1: 4, n: 10 });
      new Canvas(5, 5).drawImage(img, 50, 50, {}, filter); // fully outside: no-op
    }
    expect(() => new Canvas(5, 5).drawImage(img, 0, 0, { scale: 0 })).toThrow(/invalid scale 0/);
  });
});

describe('text', () => {
  it('measures 6×8 cells at integer scales', () => {
    expect(fontScale(8)).toBe(1);
    expect(fontScale(16)).toBe(2);
    expect(fontScale(23)).toBe(2);
    expect(fontScale(4)).toBe(1);
    expect(measureText('hay', 16)).toEqual({ width: 36, height: 16 });
    expect(measureText('', 16)).toEqual({ width: 0, height: 16 });
  });

  it('renders ink only inside the text box, at the glyph pixels', () => {
    const c = new Canvas(100, 40);
    const w = c.drawText('Hg', 10, 5, { size: 16, color: 'black' });
    expect(w).toBe(24);
    const box = inkBox(c);
    expect(box.n).toBeGreaterThan(50);
    expect(box.x0).toBeGreaterThanOrEqual(10);
    expect(box.x1).toBeLessThan(10 + 24);
    expect(box.y0).toBeGreaterThanOrEqual(5);
    expect(box.y1).toBeLessThan(5 + 16);
    expect(box.y1).toBe(5 + 16 - 1); // 'g' descends into the last row
    // pixel-exact: every 2×2 block matches the glyph bitmap
    for (const [i, ch] of ['H', 'g'].entries()) {
      const rows = glyph(ch);
      for (let r = 0; r < FONT_HEIGHT; r++) {
        for (let col = 0; col < FONT_WIDTH; col++) {
          const on = (rows[r] >> (FONT_WIDTH - 1 - col)) & 1;
          for (const [dx, dy] of [[0, 0], [1, 1]]) {
            expect(c.getPixel(10 + i * 12 + col * 2 + dx, 5 + r * 2 + dy)).toEqual(on ? [0, 0, 0] : [255, 255, 255]);
          }
        }
      }
    }
  });

  it('every printable ASCII character has a glyph (space is blank)', () => {
    for (let code = 33; code <= 126; code++) expect(glyph(String.fromCharCode(code)).some((r) => r !== 0), String.fromCharCode(code)).toBe(true);
    expect(glyph(' ').every((r) => r === 0)).toBe(true);
    expect(glyph('\u2026').some((r) => r !== 0)).toBe(true);
  });

  it('aligns center and right', () => {
    const c = new Canvas(100, 20);
    c.drawText('ab', 50, 0, { size: 8, align: 'center', color: 'blue' });
    const b = inkBox(c);
    expect(b.x0).toBeGreaterThanOrEqual(44);
    expect(b.x1).toBeLessThan(56);
    const d = new Canvas(100, 20);
    d.drawText('ab', 100, 0, { size: 8, align: 'right' });
    expect(inkBox(d).x1).toBeLessThan(100);
    expect(inkBox(d).x0).toBeGreaterThanOrEqual(88);
  });

  it('truncates with an ellipsis and maps non-ASCII text', () => {
    expect(fitText('Chesapeake Bay retriever', 120, 16)).toBe('Chesapeak\u2026');
    expect(fitText('hay', 120, 16)).toBe('hay');
    expect(fitText('abc', 5, 16)).toBe('');
    expect(fitText('abcdef', 36, 16)).toBe('ab\u2026');
    expect(fontText('café “x” – ×10 🙂\t')).toBe('cafe "x" - \u00d710 ? ');
    const c = new Canvas(60, 20);
    const w = c.drawText('a very long caption', 0, 0, { size: 8, maxWidth: 60 });
    expect(w).toBeLessThanOrEqual(60);
    expect(inkBox(c).x1).toBeLessThan(60);
  });

  it('PNG output decodes to the same pixels', () => {
    const c = new Canvas(33, 17, 'white');
    c.drawText('Hi!', 1, 1, { size: 8, color: '#d62728' });
    c.drawImage(ramp(5, 5), 20, 5);
    const back = decodeImage(c.toPng(), 'canvas.png');
    expect([back.width, back.height]).toEqual([33, 17]);
    expect(Buffer.from(back.data).equals(Buffer.from(c.data))).toBe(true);
  });
});

describe('gridFigure', () => {
  const img = ramp(12, 12);
  const tall = ramp(6, 12);

  it('lays out title, panels and captions on white', () => {
    const { canvas, layout } = gridFigureWithLayout({
      title: 'Saliency',
      cellSize: 48,
      rows: [
        [{ image: img, caption: ['hay', 'p=0.91'] }, { image: tall, caption: ['quail'] }],
        [{ image: img }, null],
      ],
    });
    // 8-px text for cells < 128; 2 caption lines of 10 px + 3 px pad; title 16 px + 12 gap; margins 16
    expect(canvas.width).toBe(16 + 48 + 12 + 48 + 16);
    expect(canvas.height).toBe(16 + 28 + 2 * (48 + 3 + 20) + 12 + 16);
    expect(layout.cell(0, 0)).toEqual({ x: 16, y: 44 });
    expect(layout.cell(1, 1)).toEqual({ x: 76, y: 44 + 71 + 12 });
    expect(canvas.getPixel(0, 0)).toEqual([255, 255, 255]);
    // panel 0 scaled 4× (nearest): its top-left source pixel fills the cell corner
    expect(canvas.getPixel(16, 44)).toEqual([0, 0, 0]);
    expect(canvas.getPixel(16 + 47, 44 + 47)).toEqual([220, 330 & 255, 220]);
    // the tall image is centered: columns left of it stay white
    expect(canvas.getPixel(76 + 5, 44 + 10)).toEqual([255, 255, 255]);
    expect(canvas.getPixel(76 + 12, 44 + 10)).not.toEqual([255, 255, 255]);
    // title ink in the title band, captions under the images, empty cell blank
    const band = (x0: number, y0: number, x1: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (canvas.getPixel(x, y)[0] !== 255) n++;
      return n;
    };
    expect(band(0, 16, canvas.width, 32)).toBeGreaterThan(20);
    expect(band(16, 44 + 48 + 3, 64, 44 + 48 + 3 + 8)).toBeGreaterThan(5); // 'hay'
    expect(band(16, 44 + 48 + 13, 64, 44 + 48 + 13 + 8)).toBeGreaterThan(5); // 'p=0.91'
    expect(band(76, 44 + 48 + 13, 124, 44 + 71)).toBe(0); // 'quail' has one line
    expect(band(76, 127, 124, canvas.height)).toBe(0); // null cell
  });

  it('224-pixel cells use 16-px text; long captions stay inside their column', () => {
    const big = ramp(224, 224);
    const canvas = gridFigure({ rows: [[{ image: big, caption: ['pred: Chesapeake Bay retriever (0.83)', 'two', 'three (cut)'] }, { image: big }]], captionLines: 2 });
    expect(canvas.width).toBe(16 + 224 + 12 + 224 + 16);
    expect(canvas.height).toBe(16 + 224 + 5 + 2 * 20 + 16);
    let maxX = -1;
    let minX = Infinity;
    for (let y = 16 + 224; y < canvas.height; y++) {
      for (let x = 0; x < canvas.width; x++) {
        if (canvas.getPixel(x, y)[0] !== 255) {
          maxX = Math.max(maxX, x);
          minX = Math.min(minX, x);
        }
      }
    }
    expect(minX).toBeGreaterThanOrEqual(16);
    expect(maxX).toBeLessThan(16 + 224);
    expect(maxX - minX).toBeGreaterThan(150); // 18 characters of 12 px
  });

  it('errors', () => {
    expect(() => gridFigure({ rows: [] })).toThrow(/gridFigure: no rows/);
    expect(() => gridFigure({ rows: [[]] })).toThrow(/every row is empty/);
    expect(() => gridFigure({ rows: [[{ image: { width: 2, height: 2, data: new Uint8Array(5) } }]] })).toThrow(/gridFigure: panel \[0\]\[0\] is 2×2 but holds 5 bytes/);
  });
});
