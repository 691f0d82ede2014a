// Image ops for the visualization algorithms: roll (jitter), Gaussian blur (cs231n's blur_image, i.e.
// scipy.ndimage.gaussian_filter1d along H then W with mode 'reflect'), and per-channel clamp. All are
// differentiable; the blur's gradient is its true adjoint (the reflect boundary makes it differ from the blur).
import { record, type Tensor } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { emptyLike, fmtShape, groups1d, checkTensor, ITEMS } from './util.js';

/** Pixels of a row per roll invocation (E in roll.wgsl). */
const ROLL_SEGMENT = 8;
import { blurRadius, gaussianWeights } from './cpu/image.js';

const WG = 256;
/** Largest blur radius (int(4·sigma + 0.5)) that fits the weights uniform. */
export const MAX_BLUR_RADIUS = 127;
/** Most channels clampChannels takes (the bounds live in a uniform). */
export const MAX_CLAMP_CHANNELS = 128;

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function rollRaw(x: Tensor, sy: number, sx: number): Tensor {
  const H = x.shape[x.rank - 2];
  const W = x.shape[x.rank - 1];
  const out = emptyLike(x.device, x.shape);
  if (!out.size) return out;
  const rt = x.device.runtime;
  const k = kernel(rt, 'roll', { WG, E: ROLL_SEGMENT });
  // n = rows (planes × H); one invocation per segment of ROLL_SEGMENT pixels of a row.
  const rows = out.size / W;
  rt.dispatch(k, { x: x.buffer, y: out.buffer }, { n: rows, H, W, sy: mod(sy, H), sx: mod(sx, W) }, groups1d(rows * Math.ceil(W / ROLL_SEGMENT), WG));
  return out;
}

/**
 * torch.roll(x, (shiftY, shiftX), dims=(-2, -1)): shift the last two dims (H and W of NCHW) cyclically.
 * The gradient rolls back.
 */
export function roll(x: Tensor, shiftY: number, shiftX: number): Tensor {
  checkTensor('roll', 'x', x);
  if (x.rank < 2) throw new Error(`roll: expects x with at least 2 dims ([.., H, W]); got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(shiftY) || !Number.isInteger(shiftX)) throw new Error(`roll: shifts must be integers; got (${shiftY}, ${shiftX})`);
  const out = rollRaw(x, shiftY, shiftX);
  return record(out, 'roll', [x], (g) => [rollRaw(g, -shiftY, -shiftX)]);
}

/** One blur pass along `axis` (forward or its adjoint). */
function blurPass(x: Tensor, axis: number, w: readonly number[], r: number, entry: 'main' | 'adjoint'): Tensor {
  const out = emptyLike(x.device, x.shape);
  if (!out.size) return out;
  const len = x.shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < x.rank; d++) inner *= x.shape[d];
  const rt = x.device.runtime;
  // The forward pass: ITEMS outputs per invocation, the radius as a shader constant up to 8.
  const fwd = entry === 'main';
  const rc = fwd && r <= 8 ? r : 0;
  const k = kernel(rt, 'blur', { WG, RC: rc, E: ITEMS }, { entry });
  rt.dispatch(k, { src: x.buffer, dst: out.buffer }, { n: out.size, len, inner, r, w }, groups1d(fwd ? Math.ceil(out.size / ITEMS) : out.size, WG));
  return out;
}

/**
 * Gaussian blur over the last two dims (H and W of NCHW), separable: scipy.ndimage.gaussian_filter1d along
 * H then along W, truncate 4 (radius int(4·sigma + 0.5), normalised weights), mode 'reflect'
 * (d c b a | a b c d | d c b a). Differentiable (the gradient is the exact adjoint).
 */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  checkTensor('gaussianBlur', 'x', x);
  if (x.rank < 2) throw new Error(`gaussianBlur: expects x with at least 2 dims ([N, C, H, W]); got shape ${fmtShape(x.shape)}`);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma <= 0) throw new Error(`gaussianBlur: sigma must be a finite number > 0; got ${String(sigma)}`);
  const r = blurRadius(sigma);
  if (r > MAX_BLUR_RADIUS) throw new Error(`gaussianBlur: sigma ${sigma} gives a kernel radius of ${r}; at most ${MAX_BLUR_RADIUS} is supported (sigma < 31.7)`);
  const w = Array.from(gaussianWeights(sigma));
  const aH = x.rank - 2;
  const aW = x.rank - 1;
  const tmp = blurPass(x, aH, w, r, 'main');
  const out = blurPass(tmp, aW, w, r, 'main');
  tmp.dispose();
  return record(out, 'gaussianBlur', [x], (g) => {
    const t = blurPass(g, aW, w, r, 'adjoint');
    const gin = blurPass(t, aH, w, r, 'adjoint');
    t.dispose();
    return [gin];
  });
}

/**
 * Clamp each channel c (dim 1) of x to [lo[c], hi[c]]. The gradient passes where lo[c] <= x <= hi[c]
 * (as torch.clamp), zero elsewhere.
 */
export function clampChannels(x: Tensor, lo: readonly number[], hi: readonly number[]): Tensor {
  checkTensor('clampChannels', 'x', x);
  if (x.rank < 2) throw new Error(`clampChannels: expects x with a channel dim ([N, C, ...]); got shape ${fmtShape(x.shape)}`);
  const C = x.shape[1];
  const lst = (v: readonly number[]) => (Array.isArray(v) || ArrayBuffer.isView(v) ? `[${Array.from(v as ArrayLike<number>).join(', ')}]` : String(v));
  if (!Array.isArray(lo) && !ArrayBuffer.isView(lo)) throw new Error(`clampChannels: lo must be an array of ${C} numbers; got ${lst(lo)}`);
  if (!Array.isArray(hi) && !ArrayBuffer.isView(hi)) throw new Error(`clampChannels: hi must be an array of ${C} numbers; got ${lst(hi)}`);
  if (lo.length !== C || hi.length !== C) {
    throw new Error(`clampChannels: x of shape ${fmtShape(x.shape)} has ${C} channels but lo has ${lo.length} and hi has ${hi.length} bounds`);
  }
  if (C > MAX_CLAMP_CHANNELS) throw new Error(`clampChannels: x of shape ${fmtShape(x.shape)} has ${C} channels; at most ${MAX_CLAMP_CHANNELS} are supported`);
  for (let c = 0; c < C; c++) {
    if (typeof lo[c] !== 'number' || typeof hi[c] !== 'number' || Number.isNaN(lo[c]) || Number.isNaN(hi[c]) || lo[c] > hi[c]) {
      throw new Error(`clampChannels: channel ${c} needs numbers lo <= hi; got lo ${lo[c]}, hi ${hi[c]}`);
    }
  }
  let inner = 1;
  for (let d = 2; d < x.rank; d++) inner *= x.shape[d];
  const params = { n: x.size, C, inner, lo: Array.from(lo), hi: Array.from(hi) };
  const rt = x.device.runtime;
  const out = emptyLike(x.device, x.shape);
  if (out.size) {
    const k = kernel(rt, 'clamp_channels', { WG, E: ITEMS });
    rt.dispatch(k, { a: x.buffer, b: x.buffer, out: out.buffer }, params, groups1d(Math.ceil(out.size / ITEMS), WG));
  }
  return record(out, 'clampChannels', [x], (g) => {
    const gin = emptyLike(g.device, x.shape);
    if (gin.size) {
      const kb = kernel(rt, 'clamp_channels', { WG, E: ITEMS }, { entry: 'backward' });
      rt.dispatch(kb, { a: x.buffer, b: g.buffer, out: gin.buffer }, params, groups1d(Math.ceil(gin.size / ITEMS), WG));
    }
    return [gin];
  });
}
