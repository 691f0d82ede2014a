// CPU references (float64) for max/avg pooling over NCHW, forward and backward, following PyTorch's
// CPU kernels: output size (pooling_output_shape), window clipping, −∞ padding, first maximum wins,
// avg divisors (count_include_pad, and the ceil-mode window clipped to H + p).

export interface Pool2dParams {
  kH: number; kW: number;
  sH: number; sW: number;
  pH: number; pW: number;
  ceilMode: boolean;
}

type Shape4 = readonly [number, number, number, number];

/** floor(a / b) for b > 0 (PyTorch's div_rtn). */
function divFloor(a: number, b: number): number {
  return Math.floor(a / b);
}

/** PyTorch's pooling_output_shape (dilation 1). */
export function poolOutSize(size: number, k: number, s: number, p: number, ceilMode: boolean): number {
  let out = divFloor(size + 2 * p - (k - 1) - 1 + (ceilMode ? s - 1 : 0), s) + 1;
  // With ceil mode the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

export function poolOutShape(shape: Shape4, q: Pool2dParams): [number, number, number, number] {
  return [shape[0], shape[1], poolOutSize(shape[2], q.kH, q.sH, q.pH, q.ceilMode), poolOutSize(shape[3], q.kW, q.sW, q.pW, q.ceilMode)];
}

/** Max pooling; `idx` holds the arg-max of each output as h·W + w within its input plane. */
export function maxPool2dCpu(x: ArrayLike<number>, shape: Shape4, q: Pool2dParams): { out: Float64Array; idx: Int32Array; shape: number[] } {
  const [N, C, H, W] = shape;
  const os = poolOutShape(shape, q);
  const [, , Ho, Wo] = os;
  const out = new Float64Array(N * C * Ho * Wo);
  const idx = new Int32Array(out.length);
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = oh * q.sH - q.pH;
      const hs = Math.max(h0, 0);
      const he = Math.min(h0 + q.kH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = ow * q.sW - q.pW;
        const ws = Math.max(w0, 0);
        const we = Math.min(w0 + q.kW, W);
        let best = -Infinity;
        let bi = hs * W + ws;
        for (let h = hs; h < he; h++) {
          for (let w = ws; w < we; w++) {
            const v = x[base + h * W + w];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bi = h * W + w;
            }
          }
        }
        const o = (nc * Ho + oh) * Wo + ow;
        out[o] = best;
        idx[o] = bi;
      }
    }
  }
  return { out, idx, shape: os };
}

/** Gradient of max pooling: each output gradient is added to its arg-max input. */
export function maxPool2dBackwardCpu(g: ArrayLike<number>, idx: Int32Array, inShape: Shape4, outShape: readonly number[]): Float64Array {
  const [N, C, H, W] = inShape;
  const plane = outShape[2] * outShape[3];
  const gin = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) {
    for (let j = 0; j < plane; j++) {
      const o = nc * plane + j;
      gin[nc * H * W + idx[o]] += g[o];
    }
  }
  return gin;
}

function avgWindow(o: number, k: number, s: number, p: number, size: number): { start: number; end: number; full: number } {
  const start = o * s - p;
  const endPad = Math.min(start + k, size + p);
  return { start: Math.max(start, 0), end: Math.min(endPad, size), full: endPad - start };
}

/** Average pooling (PyTorch's divisor rules). */
export function avgPool2dCpu(x: ArrayLike<number>, shape: Shape4, q: Pool2dParams, countIncludePad: boolean): { out: Float64Array; shape: number[] } {
  const [N, C, H, W] = shape;
  const os = poolOutShape(shape, q);
  const [, , Ho, Wo] = os;
  const out = new Float64Array(N * C * Ho * Wo);
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const wh = avgWindow(oh, q.kH, q.sH, q.pH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const ww = avgWindow(ow, q.kW, q.sW, q.pW, W);
        let s = 0;
        for (let h = wh.start; h < wh.end; h++) for (let w = ww.start; w < ww.end; w++) s += x[base + h * W + w];
        const div = countIncludePad ? wh.full * ww.full : (wh.end - wh.start) * (ww.end - ww.start);
        out[(nc * Ho + oh) * Wo + ow] = s / div;
      }
    }
  }
  return { out, shape: os };
}

/** Gradient of average pooling: each output gradient / divisor is spread over its (clipped) window. */
export function avgPool2dBackwardCpu(g: ArrayLike<number>, inShape: Shape4, q: Pool2dParams, countIncludePad: boolean): Float64Array {
  const [N, C, H, W] = inShape;
  const [, , Ho, Wo] = poolOutShape(inShape, q);
  const gin = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const wh = avgWindow(oh, q.kH, q.sH, q.pH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const ww = avgWindow(ow, q.kW, q.sW, q.pW, W);
        const div = countIncludePad ? wh.full * ww.full : (wh.end - wh.start) * (ww.end - ww.start);
        const v = g[(nc * Ho + oh) * Wo + ow] / div;
        for (let h = wh.start; h < wh.end; h++) for (let w = ww.start; w < ww.end; w++) gin[base + h * W + w] += v;
      }
    }
  }
  return gin;
}

/** adaptive_avg_pool2d to 1×1: the mean of each plane. */
export function globalAvgPool2dCpu(x: ArrayLike<number>, shape: Shape4): Float64Array {
  const [N, C, H, W] = shape;
  const out = new Float64Array(N * C);
  for (let nc = 0; nc < N * C; nc++) {
    let s = 0;
    for (let i = 0; i < H * W; i++) s += x[nc * H * W + i];
    out[nc] = s / (H * W);
  }
  return out;
}

export function globalAvgPool2dBackwardCpu(g: ArrayLike<number>, shape: Shape4): Float64Array {
  const [N, C, H, W] = shape;
  const gin = new Float64Array(N * C * H * W);
  for (let i = 0; i < gin.length; i++) gin[i] = g[Math.floor(i / (H * W))] / (H * W);
  return gin;
}
