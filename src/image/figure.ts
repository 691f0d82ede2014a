// Grid figures for reports: a title on top, then rows of image panels, each with caption lines under it, on a
// white background — "images over heat maps with class names", "original / fooled / difference ×10".
import { Canvas, fitText, type Color } from './canvas.js';
import type { RgbImage } from './types.js';
import { checkRgb } from './types.js';

export interface Panel {
  image: RgbImage;
  /** Lines under the image, centered; each is truncated with '…' to the cell width. */
  caption?: string[];
  /** One color for all caption lines or one per line (default: the figure's textColor). */
  captionColor?: Color | Color[];
  /** Scaling filter; default: nearest for integer upscaling and no scaling, bilinear otherwise. */
  filter?: 'nearest' | 'bilinear';
}

export interface GridFigureOptions {
  /** Panels by row; rows may differ in length and hold null for an empty cell. */
  rows: (Panel | null)[][];
  title?: string;
  /** Each image is scaled to fit a cellSize×cellSize square (aspect ratio kept, centered). Default 224. */
  cellSize?: number;
  /** Caption lines reserved under every panel (default: the longest caption); extra lines are cut with '…'. */
  captionLines?: number;
  /** Caption text height in pixels (multiple of 8): default 16 (2× the 6×8 font) for cells ≥ 128 px, else 8. */
  textSize?: number;
  /** Title text height (default textSize + 8). */
  titleSize?: number;
  /** Space between cells (default 12) and around the figure (default 16). */
  gap?: number;
  margin?: number;
  background?: Color;
  textColor?: Color;
}

export interface GridLayout {
  width: number;
  height: number;
  /** Top-left corner of cell [row][col]. */
  cell(row: number, col: number): { x: number; y: number };
}

/** Lay out and draw the figure; returns the canvas (call .toPng() for the file). */
export function gridFigure(opts: GridFigureOptions): Canvas {
  const { canvas } = gridFigureWithLayout(opts);
  return canvas;
}

/** gridFigure, plus where each cell went (for callers that draw extra marks on the panels). */
export function gridFigureWithLayout(opts: GridFigureOptions): { canvas: Canvas; layout: GridLayout } {
  const rows = opts.rows;
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('gridFigure: no rows');
  const cols = Math.max(...rows.map((r) => r.length));
  if (cols === 0) throw new Error('gridFigure: every row is empty');
  const cell = opts.cellSize ?? 224;
  if (!Number.isInteger(cell) || cell <= 0) throw new Error(`gridFigure: invalid cellSize ${cell}`);
  rows.forEach((r, i) => r.forEach((p, j) => p && checkRgb(p.image, 'gridFigure', `panel [${i}][${j}]`)));
  const textSize = opts.textSize ?? (cell >= 128 ? 16 : 8);
  const titleSize = opts.titleSize ?? textSize + 8;
  const lineH = textSize + Math.max(2, Math.round(textSize / 4));
  const gap = opts.gap ?? 12;
  const margin = opts.margin ?? 16;
  const captionPad = Math.max(2, Math.round(textSize / 3));
  const maxCaption = Math.max(0, ...rows.flatMap((r) => r.map((p) => p?.caption?.length ?? 0)));
  const captionLines = opts.captionLines ?? maxCaption;
  if (!Number.isInteger(captionLines) || captionLines < 0) throw new Error(`gridFigure: invalid captionLines ${captionLines}`);
  const textColor = opts.textColor ?? 'black';

  const width = 2 * margin + cols * cell + (cols - 1) * gap;
  const titleH = opts.title ? titleSize + gap : 0;
  const rowH = cell + (captionLines > 0 ? captionPad + captionLines * lineH : 0);
  const height = margin + titleH + rows.length * rowH + (rows.length - 1) * gap + margin;
  const canvas = new Canvas(width, height, opts.background ?? 'white');
  if (opts.title) canvas.drawText(opts.title, width / 2, margin, { size: titleSize, color: textColor, align: 'center', maxWidth: width - 2 * margin });

  const layout: GridLayout = {
    width,
    height,
    cell: (r, c) => ({ x: margin + c * (cell + gap), y: margin + titleH + r * (rowH + gap) }),
  };
  rows.forEach((row, r) =>
    row.forEach((panel, c) => {
      if (!panel) return;
      const { x, y } = layout.cell(r, c);
      const img = panel.image;
      const s = Math.min(cell / img.width, cell / img.height);
      const dw = Math.max(1, Math.round(img.width * s));
      const dh = Math.max(1, Math.round(img.height * s));
      const filter = panel.filter ?? (s >= 1 && Number.isInteger(s) ? 'nearest' : 'bilinear');
      canvas.drawImage(img, x + Math.floor((cell - dw) / 2), y + Math.floor((cell - dh) / 2), { width: dw, height: dh }, filter);
      const lines = panel.caption ?? [];
      const shown = lines.slice(0, captionLines);
      if (lines.length > captionLines && shown.length) shown[shown.length - 1] = fitText(shown[shown.length - 1] + '\u2026', cell, textSize).replace(/\u2026\u2026$/, '\u2026');
      shown.forEach((line, i) => {
        const cc = panel.captionColor;
        const color = Array.isArray(cc) && typeof cc[0] !== 'number' ? ((cc as Color[])[i] ?? textColor) : ((cc as Color | undefined) ?? textColor);
        canvas.drawText(line, x + cell / 2, y + cell + captionPad + i * lineH, { size: textSize, color, align: 'center', maxWidth: cell });
      });
    }),
  );
  return { canvas, layout };
}
