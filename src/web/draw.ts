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
