// Canvas drawing for the page: RGB images, network inputs, heat maps, magnified differences, sparklines.
import { deprocess } from '../image/preprocess.js';
import { applyColormap, normalizeMap } from '../image/colormap.js';
import type { RgbImage } from '../image/types.js';

/** Draw an 8-bit RGB image, resizing the canvas' backing store to the image. */
export function drawRgb(canvas: HTMLCanvasElement, img: RgbImage): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d')!;
  const id = ctx.createImageData(img.width, img.height);
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    id.data[i * 4] = img.data[i * 3];
    id.data[i * 4 + 1] = img.data[i * 3 + 1];
    id.data[i * 4 + 2] = img.data[i * 3 + 2];
    id.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(id, 0, 0);
}

/** Draw one normalized network input (CHW, 3·h·w) as the picture it stands for. */
export function drawChw(canvas: HTMLCanvasElement, chw: Float32Array, h: number, w: number): RgbImage {
  const img = deprocess(chw, h, w);
  drawRgb(canvas, img);
  return img;
}

export function clearCanvas(canvas: HTMLCanvasElement): void {
  canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
}

/**
 * A saliency map as an RGBA heat map: the map scaled to [0, 1] (minimum → 0, 99th percentile → 1), colored
 * with inferno, and made transparent where it is cold so the picture shows through.
 */
export function drawHeat(canvas: HTMLCanvasElement, map: Float32Array, h: number, w: number, opts: { transparent?: boolean } = {}): void {
  const t = normalizeMap(map, 99);
  const rgb = applyColormap(t, w, h, 'inferno', { min: 0, max: 1 });
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const id = ctx.createImageData(w, h);
  const transparent = opts.transparent ?? true;
  for (let i = 0; i < w * h; i++) {
    id.data[i * 4] = rgb.data[i * 3];
    id.data[i * 4 + 1] = rgb.data[i * 3 + 1];
    id.data[i * 4 + 2] = rgb.data[i * 3 + 2];
    id.data[i * 4 + 3] = transparent ? Math.round(255 * Math.min(1, 1.25 * Math.pow(t[i], 0.6))) : 255;
  }
  ctx.putImageData(id, 0, 0);
}

/**
 * The change made by fooling, magnified about mid-gray: 0.5 + k·(fooled − original) in [0, 1] pixel units,
 * with k chosen so the largest change fills the range. Returns k.
 */
export function drawDifference(canvas: HTMLCanvasElement, original: RgbImage, fooledChw: Float32Array, h: number, w: number): { factor: number; fooled: RgbImage } {
  // Difference of the unclamped-to-8-bit pictures would need deprocess without rounding; the 8-bit images are
  // what the user sees, so magnify those.
  const fooled = deprocess(fooledChw, h, w);
  let maxAbs = 0;
  for (let i = 0; i < original.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(fooled.data[i] - original.data[i]));
  const factor = maxAbs > 0 ? Math.min(100, 127 / maxAbs) : 1;
  const data = new Uint8Array(original.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(128 + factor * (fooled.data[i] - original.data[i]))));
  drawRgb(canvas, { width: w, height: h, data });
  return { factor, fooled };
}

/** A small line chart of values in [0, 1]. */
export function drawSparkline(canvas: HTMLCanvasElement, values: number[], color = '#4f46e5'): void {
  const dpr = Math.max(1, Math.round(window.devicePixelRatio || 1));
  const cw = canvas.clientWidth || canvas.width;
  const ch = canvas.clientHeight || canvas.height;
  canvas.width = cw * dpr;
  canvas.height = ch * dpr;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cw, ch);
  ctx.strokeStyle = '#e3e6ee';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, ch / 2);
  ctx.lineTo(cw, ch / 2);
  ctx.stroke();
  if (values.length < 1) return;
  const n = Math.max(2, values.length);
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = 2 + (i / (n - 1)) * (cw - 4);
    const y = ch - 3 - Math.max(0, Math.min(1, v)) * (ch - 6);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

/** Save a canvas as a PNG download. */
export function downloadCanvas(canvas: HTMLCanvasElement, filename: string): void {
  canvas.toBlob((blob) => {
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }, 'image/png');
}

/** Mean and standard deviation of a canvas' RGB values, and how many pixels are not fully transparent (for tests). */
export function canvasStats(canvas: HTMLCanvasElement): { mean: number; std: number; opaque: number; hash: number } {
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  let s = 0, q = 0, n = 0, opaque = 0, hash = 2166136261;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0) opaque++;
    for (let c = 0; c < 3; c++) {
      const v = data[i + c];
      s += v;
      q += v * v;
      n++;
      hash = Math.imul(hash ^ v, 16777619) >>> 0;
    }
  }
  const mean = n ? s / n : 0;
  return { mean, std: n ? Math.sqrt(Math.max(0, q / n - mean * mean)) : 0, opaque, hash };
}

/** How an attribution is shown: the classic |·| max over channels, or the channel-summed signed attribution. */
export type SignMode = 'abs' | 'positive' | 'negative' | 'blended';

const POS: [number, number, number] = [220, 38, 38];
const NEG: [number, number, number] = [37, 99, 235];

/** Per pixel, Σ over channels of a signed attribution [C, H, W] (one image). */
export function channelSum(signed: Float32Array, c: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let k = 0; k < c; k++) for (let i = 0; i < n; i++) out[i] += signed[k * n + i];
  return out;
}

/** The 99th percentile of the values picked by `take` (0 when none). */
function pct99(v: Float32Array, take: (x: number) => number | null): number {
  const vals: number[] = [];
  for (const x of v) {
    const t = take(x);
    if (t !== null && t > 0) vals.push(t);
  }
  if (!vals.length) return 0;
  vals.sort((a, b) => a - b);
  const pos = (vals.length - 1) * 0.99;
  const lo = Math.floor(pos), hi = Math.min(lo + 1, vals.length - 1);
  return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo);
}

/**
 * A channel-summed signed attribution as an RGBA overlay: positive in red, negative in blue (or one sign only),
 * opacity growing with |value| / (99th percentile of |value| over the shown sign). Returns that scale.
 */
export function drawSigned(canvas: HTMLCanvasElement, summed: Float32Array, h: number, w: number, mode: 'positive' | 'negative' | 'blended', opts: { transparent?: boolean } = {}): number {
  const s = pct99(summed, (x) => (mode === 'positive' ? (x > 0 ? x : null) : mode === 'negative' ? (x < 0 ? -x : null) : Math.abs(x)));
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const id = ctx.createImageData(w, h);
  const transparent = opts.transparent ?? true;
  for (let i = 0; i < w * h; i++) {
    const v = summed[i];
    const show = mode === 'blended' || (mode === 'positive' ? v > 0 : v < 0);
    const t = show && s > 0 ? Math.min(1, Math.abs(v) / s) : 0;
    const col = v >= 0 ? POS : NEG;
    const a = Math.min(1, 1.25 * Math.pow(t, 0.6));
    if (transparent) {
      id.data[i * 4] = col[0];
      id.data[i * 4 + 1] = col[1];
      id.data[i * 4 + 2] = col[2];
      id.data[i * 4 + 3] = Math.round(255 * a);
    } else {
      // On white: white → full color.
      for (let k = 0; k < 3; k++) id.data[i * 4 + k] = Math.round(255 + (col[k] - 255) * a);
      id.data[i * 4 + 3] = 255;
    }
  }
  ctx.putImageData(id, 0, 0);
  return s;
}

/** The legend colors of a sign mode (CSS gradient) and its end labels. */
export function signLegend(mode: SignMode): { ramp: string; lo: string; hi: string } {
  if (mode === 'abs') return { ramp: 'linear-gradient(90deg, #000004, #420a68, #932667, #dd513a, #fca50a, #fcffa4)', lo: 'low', hi: 'high' };
  if (mode === 'positive') return { ramp: 'linear-gradient(90deg, rgba(220,38,38,0), rgb(220,38,38))', lo: '0', hi: 'raises the score' };
  if (mode === 'negative') return { ramp: 'linear-gradient(90deg, rgba(37,99,235,0), rgb(37,99,235))', lo: '0', hi: 'lowers the score' };
  return { ramp: 'linear-gradient(90deg, rgb(37,99,235), rgba(255,255,255,0.2), rgb(220,38,38))', lo: 'lowers', hi: 'raises' };
}

/** A real-valued map as an opaque image: signed (blue–white–red, symmetric about 0) or not (viridis, min..max). */
export function drawMap(canvas: HTMLCanvasElement, map: Float32Array, h: number, w: number, kind: 'signed' | 'viridis' | 'gray'): { lo: number; hi: number } {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const id = ctx.createImageData(w, h);
  let lo = Infinity, hi = -Infinity;
  for (const v of map) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (kind === 'signed') {
    const s = pct99(map, (x) => Math.abs(x)) || 1;
    for (let i = 0; i < w * h; i++) {
      const t = Math.max(-1, Math.min(1, map[i] / s));
      const col = t >= 0 ? POS : NEG;
      const a = Math.abs(t);
      for (let k = 0; k < 3; k++) id.data[i * 4 + k] = Math.round(255 + (col[k] - 255) * a);
      id.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(id, 0, 0);
    return { lo: -s, hi: s };
  }
  const rgb = kind === 'gray'
    ? applyColormap(map, w, h, 'gray', { min: 0, max: Math.max(hi, 1e-30) })
    : applyColormap(map, w, h, 'viridis', hi > lo ? { min: lo, max: hi } : undefined);
  for (let i = 0; i < w * h; i++) {
    id.data[i * 4] = rgb.data[i * 3];
    id.data[i * 4 + 1] = rgb.data[i * 3 + 1];
    id.data[i * 4 + 2] = rgb.data[i * 3 + 2];
    id.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(id, 0, 0);
  return { lo, hi };
}

/** The picture with the overlay canvas on top at `alpha`, as one canvas (what a PNG download holds). */
export function composite(base: HTMLCanvasElement, over: HTMLCanvasElement | null, alpha: number, scale = 1): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = base.width * scale;
  c.height = base.height * scale;
  const ctx = c.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(base, 0, 0, c.width, c.height);
  if (over) {
    ctx.globalAlpha = alpha;
    ctx.drawImage(over, 0, 0, c.width, c.height);
    ctx.globalAlpha = 1;
  }
  return c;
}
