// CPU references (float64) for the image ops: roll, Gaussian blur (scipy.ndimage.gaussian_filter1d along H
// then W, mode 'reflect', truncate 4) and per-channel clamp, forward and backward.

function prod(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** ((a % n) + n) % n */
export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** torch.roll(x, (sy, sx), dims=(-2, -1)): out[.., i, j] = x[.., (i − sy) mod H, (j − sx) mod W]. */
export function rollCpu(x: ArrayLike<number>, shape: readonly number[], sy: number, sx: number): Float64Array {
  const H = shape[shape.length - 2];
  const W = shape[shape.length - 1];
  const out = new Float64Array(prod(shape));
  if (!out.length) return out;
  const planes = out.length / (H * W);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) out[p * H * W + i * W + j] = x[p * H * W + mod(i - sy, H) * W + mod(j - sx, W)];
    }
  }
  return out;
}

/** The gradient of roll is the roll back. */
export function rollBackwardCpu(g: ArrayLike<number>, shape: readonly number[], sy: number, sx: number): Float64Array {
  return rollCpu(g, shape, -sy, -sx);
}

/** scipy's radius for gaussian_filter1d: int(truncate·sigma + 0.5) with truncate = 4. */
export function blurRadius(sigma: number): number {
  return Math.floor(4 * sigma + 0.5);
}

/** Normalised Gaussian weights w[t + r], t in [−r, r] (scipy's _gaussian_kernel1d, order 0). */
export function gaussianWeights(sigma: number): Float64Array {
  const r = blurRadius(sigma);
  const w = new Float64Array(2 * r + 1);
  let s = 0;
  for (let t = -r; t <= r; t++) {
    w[t + r] = Math.exp((-0.5 / (sigma * sigma)) * t * t);
    s += w[t + r];
  }
  for (let i = 0; i < w.length; i++) w[i] /= s;
  return w;
}

/** scipy's 'reflect' extension (d c b a | a b c d | d c b a), repeated for any offset. */
export function reflectIndex(k: number, n: number): number {
  const m = mod(k, 2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** Correlate each line along `axis` (2 = H, 3 = W of NCHW; generally rank−2 / rank−1) with w. */
function blurAxis(x: ArrayLike<number>, shape: readonly number[], axis: number, w: Float64Array, adjoint: boolean): Float64Array {
  const r = (w.length - 1) / 2;
  const n = shape[axis];
  const inner = prod(shape.slice(axis + 1));
  const outer = prod(shape.slice(0, axis));
  const out = new Float64Array(prod(shape));
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (i: number) => (o * n + i) * inner + q;
      for (let i = 0; i < n; i++) {
        for (let t = -r; t <= r; t++) {
          const j = reflectIndex(i + t, n);
          // forward: out[i] += w[t] x[reflect(i + t)]; adjoint (scatter): out[reflect(i + t)] += w[t] g[i]
          if (adjoint) out[at(j)] += w[t + r] * x[at(i)];
          else out[at(i)] += w[t + r] * x[at(j)];
        }
      }
    }
  }
  return out;
}

/** gaussian_filter1d(x, sigma, axis=H) then along W, for rank ≥ 2 (the last two dims). */
export function gaussianBlurCpu(x: ArrayLike<number>, shape: readonly number[], sigma: number): Float64Array {
  const w = gaussianWeights(sigma);
  const r = shape.length;
  return blurAxis(blurAxis(x, shape, r - 2, w, false), shape, r - 1, w, false);
}

/** The adjoint of gaussianBlurCpu (the reflect boundaries make it differ from the blur itself). */
export function gaussianBlurBackwardCpu(g: ArrayLike<number>, shape: readonly number[], sigma: number): Float64Array {
  const w = gaussianWeights(sigma);
  const r = shape.length;
  return blurAxis(blurAxis(g, shape, r - 1, w, true), shape, r - 2, w, true);
}

/** Clamp channel c (dim 1) to [lo[c], hi[c]]. */
export function clampChannelsCpu(x: ArrayLike<number>, shape: readonly number[], lo: readonly number[], hi: readonly number[]): Float64Array {
  const C = shape[1];
  const inner = prod(shape.slice(2));
  const out = new Float64Array(prod(shape));
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / inner) % C;
    const v = x[i];
    out[i] = v < lo[c] ? lo[c] : v > hi[c] ? hi[c] : v; // NaN stays NaN (torch.clamp)
  }
  return out;
}

/** The gradient passes where lo[c] <= x <= hi[c] (as torch.clamp). */
export function clampChannelsBackwardCpu(g: ArrayLike<number>, x: ArrayLike<number>, shape: readonly number[], lo: readonly number[], hi: readonly number[]): Float64Array {
  const C = shape[1];
  const inner = prod(shape.slice(2));
  const gin = new Float64Array(prod(shape));
  for (let i = 0; i < gin.length; i++) {
    const c = Math.floor(i / inner) % C;
    gin[i] = x[i] >= lo[c] && x[i] <= hi[c] ? g[i] : 0;
  }
  return gin;
}
