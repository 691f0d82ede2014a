// Backward-pass explorer: per-layer maps built from a gradient trace's values (gradientTrace with keepData),
// on the CPU — the gradient arriving at a layer summed over channels (or one channel), the activation, the
// ReLU mask (where the gradient may pass a ReLU) and max-pool routing (which inputs are the maximum of some
// pooling window, the only ones a max pool sends gradient to). Plain functions of Float32Arrays.
import { fmtShape } from '../shape.js';

/** Spatial size of a traced layer shape [1, C, H, W] (or [1, K] → C = K, H = W = 1). */
export function planeShape(shape: readonly number[]): { c: number; h: number; w: number } {
  if (shape.length === 4) return { c: shape[1], h: shape[2], w: shape[3] };
  if (shape.length === 2) return { c: shape[1], h: 1, w: 1 };
  throw new Error(`explorer: expected a shape [1, C, H, W] or [1, K]; got ${fmtShape(shape)}`);
}

/** Σ over channels of a [C, H, W] array (or channel `channel` alone), as an H·W map. */
export function channelMap(data: Float32Array, c: number, h: number, w: number, channel: number | null = null): Float32Array {
  const n = h * w;
  if (channel !== null) {
    if (!(Number.isInteger(channel) && channel >= 0 && channel < c)) throw new Error(`explorer: channel ${channel} is not in 0..${c - 1}`);
    return data.slice(channel * n, (channel + 1) * n);
  }
  const out = new Float32Array(n);
  for (let k = 0; k < c; k++) for (let i = 0; i < n; i++) out[i] += data[k * n + i];
  return out;
}

/**
 * The ReLU mask of an activation that is a ReLU's output: per pixel, the fraction of channels whose unit is
 * active (> 0, where the ReLU passes gradient) — or, for one channel, 1 where it is active and 0 where not.
 */
export function reluMaskMap(activation: Float32Array, c: number, h: number, w: number, channel: number | null = null): Float32Array {
  const n = h * w;
  const out = new Float32Array(n);
  const ks = channel === null ? [...Array(c).keys()] : [channel];
  for (const k of ks) for (let i = 0; i < n; i++) if (activation[k * n + i] > 0) out[i] += 1;
  if (ks.length > 1) for (let i = 0; i < n; i++) out[i] /= ks.length;
  return out;
}

export interface PoolParams {
  kernel: number;
  stride: number;
  padding?: number;
  ceilMode?: boolean;
}

/** SqueezeNet 1.1's max pools (features.2, .5, .8). */
export const SQUEEZENET_POOL: PoolParams = { kernel: 3, stride: 2, padding: 0, ceilMode: true };

function outSize(size: number, k: number, s: number, p: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * Max-pool routing of a pool's input [C, H, W]: for every input element, how many pooling windows take it as
 * their maximum (the first maximum on ties, as PyTorch and gradsight do). Backward, a max pool sends each
 * window's gradient to that element only, so the gradient at the pool's input is zero wherever this is 0.
 */
export function maxPoolRouting(input: Float32Array, c: number, h: number, w: number, p: PoolParams = SQUEEZENET_POOL): Uint16Array {
  const pad = p.padding ?? 0;
  const ho = outSize(h, p.kernel, p.stride, pad, p.ceilMode ?? false);
  const wo = outSize(w, p.kernel, p.stride, pad, p.ceilMode ?? false);
  const out = new Uint16Array(c * h * w);
  for (let k = 0; k < c; k++) {
    const base = k * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * p.stride - pad;
      const ys = Math.max(y0, 0), ye = Math.min(y0 + p.kernel, h);
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * p.stride - pad;
        const xs = Math.max(x0, 0), xe = Math.min(x0 + p.kernel, w);
        let best = -Infinity;
        let bi = base + ys * w + xs;
        for (let y = ys; y < ye; y++) {
          for (let x = xs; x < xe; x++) {
            const v = input[base + y * w + x];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bi = base + y * w + x;
            }
          }
        }
        out[bi]++;
      }
    }
  }
  return out;
}

/** Per pixel, the fraction of channels routed (count > 0), or for one channel 1 / 0. */
export function routingMap(routing: Uint16Array, c: number, h: number, w: number, channel: number | null = null): Float32Array {
  const n = h * w;
  const out = new Float32Array(n);
  const ks = channel === null ? [...Array(c).keys()] : [channel];
  for (const k of ks) for (let i = 0; i < n; i++) if (routing[k * n + i] > 0) out[i] += 1;
  if (ks.length > 1) for (let i = 0; i < n; i++) out[i] /= ks.length;
  return out;
}

/** The fraction of elements where `mask` is false, and how many of the gradient's zeros fall there. */
export function gatingSummary(gradient: Float32Array, passes: (i: number) => boolean): { blocked: number; gradZeros: number; zerosWhereBlocked: number; nonzeroWhereBlocked: number } {
  let blocked = 0, zeros = 0, zb = 0, nzb = 0;
  for (let i = 0; i < gradient.length; i++) {
    const b = !passes(i);
    if (b) blocked++;
    if (gradient[i] === 0) {
      zeros++;
      if (b) zb++;
    } else if (b) nzb++;
  }
  const n = gradient.length || 1;
  return { blocked: blocked / n, gradZeros: zeros / n, zerosWhereBlocked: zb / n, nonzeroWhereBlocked: nzb };
}
