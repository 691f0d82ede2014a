// Report-quality PNG figures for the CLI: saliency (images over their heat maps), fooling (original /
// fooled / difference ×10) and class visualization (final image, or a strip of snapshots).
import { gridFigure, type Panel } from '../image/figure.js';
import { fitText } from '../image/canvas.js';
import { applyColormap, normalizeMap, overlay } from '../image/colormap.js';
import { deprocess, type RgbImage } from '../image/preprocess.js';
import { className } from '../nn/classes.js';
import type { SaliencyResult } from '../viz/saliency.js';
import type { FoolingImageReport } from '../viz/fooling.js';
import type { InputBatch } from './inputs.js';

const COLS = 5;
const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

/**
 * The first of `candidates` (longest first) that fits untruncated over `cols` cells of `cell` px (gridFigure's
 * default gap and margin), at the default title size (24 px) or else at 16 px; the last candidate otherwise.
 */
function fitTitle(candidates: string[], cols: number, cell: number): { title: string; titleSize: number } {
  const width = cols * cell + (cols - 1) * 12;
  for (const title of candidates) {
    for (const titleSize of [24, 16]) if (!fitText(title, width, titleSize).endsWith('\u2026')) return { title, titleSize };
  }
  return { title: candidates[candidates.length - 1], titleSize: 16 };
}

/**
 * Caption lines that fit a `cell` px wide panel at `size` px text without cutting anything: each line that is too
 * long wraps at spaces (greedy), so the key number at its end ("pred: web site 53.1%") is kept on the next line
 * instead of being cut to "pred: web site 53…". Only a single word wider than the cell is cut.
 */
export function wrapCaption(lines: readonly string[], cell: number, size = 16): string[] {
  const fits = (t: string) => !fitText(t, cell, size).endsWith('\u2026');
  const out: string[] = [];
  for (const line of lines) {
    let cur = '';
    for (const word of line.split(' ')) {
      const next = cur ? `${cur} ${word}` : word;
      if (fits(next) || !cur) cur = next;
      else {
        out.push(cur);
        cur = word;
      }
    }
    out.push(fits(cur) ? cur : fitText(cur, cell, size));
  }
  return out;
}

/** The rows with every caption wrapped (see wrapCaption), and the caption lines the figure needs. */
function wrapped(rows: (Panel | null)[][], cell: number): { rows: (Panel | null)[][]; captionLines: number } {
  const size = cell >= 128 ? 16 : 8; // gridFigure's default caption size
  const out = rows.map((r) => r.map((p) => (p && p.caption ? { ...p, caption: wrapCaption(p.caption, cell, size) } : p)));
  return { rows: out, captionLines: Math.max(1, ...out.flatMap((r) => r.map((p) => p?.caption?.length ?? 0))) };
}

/** RGB picture of one network input (CHW, normalized). */
export function imageFromInput(chw: Float32Array, h: number, w: number): RgbImage {
  return deprocess(chw, h, w);
}

function inputImage(b: InputBatch, i: number): RgbImage {
  const [, c, h, w] = b.shape;
  return imageFromInput(b.data.subarray(i * c * h * w, (i + 1) * c * h * w), h, w);
}

/** Rows of up to five images, each with its heat map (inferno, 99th-percentile scaled) and an overlay below. */
export function saliencyFigure(b: InputBatch, res: SaliencyResult, preds: { pred: number; prob: number }[]): Uint8Array {
  const [n, h, w] = res.shape;
  const m = res.method, short = m === 'integrated-gradients' ? 'IG' : m;
  const rows: (Panel | null)[][] = [];
  for (let s = 0; s < n; s += COLS) {
    const imgs: Panel[] = [], maps: Panel[] = [], overs: Panel[] = [];
    for (let i = s; i < Math.min(n, s + COLS); i++) {
      const pic = inputImage(b, i);
      const heat = applyColormap(normalizeMap(res.maps.subarray(i * h * w, (i + 1) * h * w), 99), w, h, 'inferno', { min: 0, max: 1 });
      imgs.push({ image: pic, caption: [b.names[i], `pred: ${className(preds[i].pred)} ${pct(preds[i].prob)}`] });
      maps.push({ image: heat, caption: [`${short} for ${res.classes[i]}`, className(res.classes[i])] });
      overs.push({ image: overlay(pic, heat, 0.6), caption: ['overlay'] });
    }
    rows.push(imgs, maps, overs);
  }
  const title = fitTitle([`Saliency (${m}) — SqueezeNet 1.1`, `Saliency (${m})`, `Saliency (${short})`, short], Math.min(n, COLS), 224);
  return gridFigure({ ...wrapped(rows, 224), ...title }).toPng();
}

/** One row per image: original, fooled, difference magnified ×10 (around mid-gray). */
export function foolingFigure(b: InputBatch, fooled: Float32Array, reports: FoolingImageReport[], before: { pred: number; prob: number }[]): Uint8Array {
  const [, c, h, w] = b.shape;
  const rows: Panel[][] = reports.map((r, i) => {
    const orig = inputImage(b, i);
    const fool = imageFromInput(fooled.subarray(i * c * h * w, (i + 1) * c * h * w), h, w);
    const diff = new Uint8Array(h * w * 3);
    for (let k = 0; k < diff.length; k++) diff[k] = Math.max(0, Math.min(255, Math.round(127.5 + 10 * (fool.data[k] - orig.data[k]))));
    return [
      { image: orig, caption: [b.names[i], `${className(before[i].pred)} ${pct(before[i].prob)}`] },
      // A cell is 224 px, about 18 characters of caption a line: longer lines wrap (wrapCaption).
      {
        image: fool,
        caption: r.success
          ? ['fooled', `in ${r.iterations} steps`, `${className(r.predicted)} ${pct(r.targetProb)}`]
          : ['NOT fooled', `after ${r.iterations} steps`, `${className(r.predicted)}; target ${pct(r.targetProb)}`],
        captionColor: r.success ? '#1a7f37' : '#c62828',
      },
      { image: { width: w, height: h, data: diff }, caption: ['difference ×10', `L∞ ${r.linf255.toFixed(1)} (0-255)`, `L2 ${r.l2_255.toFixed(0)} (0-255)`] },
    ];
  });
  const target = reports[0]?.target ?? 0;
  const title = fitTitle([`Fooling images → ${className(target)} (${target})`, `Fooling → ${className(target)}`, `→ ${className(target)}`], 3, 224);
  return gridFigure({ ...wrapped(rows, 224), ...title }).toPng();
}

/** The final class visualization, with its top-5 under it. */
export function classVizFigure(img: Float32Array, target: number, top: { index: number; value: number }[]): Uint8Array {
  const pic = imageFromInput(img, 224, 224);
  return gridFigure({
    ...wrapped([[{ image: pic, caption: [`${className(target)} (${target})`, ...top.slice(0, 3).map((t) => `${className(t.index)} ${pct(t.value)}`)] }]], 448),
    cellSize: 448,
    title: 'Class visualization',
  }).toPng();
}

/** Snapshots along the optimization, then the final image. */
export function framesStrip(img: Float32Array, target: number, snaps: { iteration: number; data: Float32Array }[], top: { index: number; value: number }[]): Uint8Array {
  const panels: Panel[] = snaps.map((s) => ({ image: imageFromInput(s.data, 224, 224), caption: [`iteration ${s.iteration}`] }));
  const rows: Panel[][] = [];
  for (let s = 0; s < panels.length; s += COLS) rows.push(panels.slice(s, s + COLS));
  rows.push([{ image: imageFromInput(img, 224, 224), caption: ['final; top-1:', className(top[0].index), pct(top[0].value)] }]);
  const name = className(target);
  const title = fitTitle([`Class visualization of ${name} (${target})`, `Class visualization: ${name}`, `${name} (${target})`, name], Math.min(Math.max(1, panels.length), COLS), 160);
  return gridFigure({ ...wrapped(rows, 160), cellSize: 160, ...title }).toPng();
}
