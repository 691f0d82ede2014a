// CPU (float64) reference of conv2d: forward with bias and optional ReLU, and the backward (dx, dw, db)
// for any kernel size, stride and symmetric zero padding. Straightforward loops; used by the tests.

/** The shapes of one convolution (the GPU launchers add its output size: ConvGeom). */
export interface ConvShape {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  KH: number;
  KW: number;
  stride: number;
  pad: number;
}

/** One convolution's shapes with its output size (what the GPU launchers take). */
export type ConvGeom = ConvShape & { Ho: number; Wo: number };

export function convOutSize(s: ConvShape): { Ho: number; Wo: number } {
  return {
    Ho: Math.floor((s.H + 2 * s.pad - s.KH) / s.stride) + 1,
    Wo: Math.floor((s.W + 2 * s.pad - s.KW) / s.stride) + 1,
  };
}

/** The shape record of x [N, Cin, H, W] and w [Cout, Cin, KH, KW]. */
export function convShapeOf(xShape: readonly number[], wShape: readonly number[], stride = 1, pad = 0): ConvShape {
  const [N, Cin, H, W] = xShape;
  const [Cout, , KH, KW] = wShape;
  return { N, Cin, H, W, Cout, KH, KW, stride, pad };
}

/** y = act(conv(x, w) + b), float64, [N, Cout, Ho, Wo]. */
export function conv2dCpu(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  s: ConvShape,
  activation: 'none' | 'relu' = 'none',
): Float64Array {
  const { N, Cin, H, W, Cout, KH, KW, stride, pad } = s;
  const { Ho, Wo } = convOutSize(s);
  const y = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b ? b[co] : 0;
          for (let ci = 0; ci < Cin; ci++) {
            for (let kh = 0; kh < KH; kh++) {
              const iy = oy * stride - pad + kh;
              for (let kw = 0; kw < KW; kw++) {
                const ix = ox * stride - pad + kw;
                // Padding taps add 0 · w, as PyTorch's zero padding does: a NaN weight makes every output NaN.
                const xv = iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : x[((n * Cin + ci) * H + iy) * W + ix];
                acc += xv * w[((co * Cin + ci) * KH + kh) * KW + kw];
              }
            }
          }
          // torch's relu (x <= 0 ? 0 : x): NaN passes.
          y[((n * Cout + co) * Ho + oy) * Wo + ox] = activation === 'relu' && acc <= 0 ? 0 : acc;
        }
      }
    }
  }
  return y;
}

export interface ConvGrads {
  dx: Float64Array;
  dw: Float64Array;
  db: Float64Array;
}

/**
 * Gradients of conv2d given the gradient dy of its output. With activation 'relu' pass the forward output
 * y: dy is zeroed where y <= 0 first (the fused ReLU's gradient; it passes where y is NaN, as torch).
 */
export function conv2dBackwardCpu(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dy: ArrayLike<number>,
  s: ConvShape,
  reluOutput: ArrayLike<number> | null = null,
): ConvGrads {
  const { N, Cin, H, W, Cout, KH, KW, stride, pad } = s;
  const { Ho, Wo } = convOutSize(s);
  const dx = new Float64Array(N * Cin * H * W);
  const dw = new Float64Array(Cout * Cin * KH * KW);
  const db = new Float64Array(Cout);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const o = ((n * Cout + co) * Ho + oy) * Wo + ox;
          const g = reluOutput && reluOutput[o] <= 0 ? 0 : dy[o]; // a NaN output passes its gradient (torch)
          db[co] += g;
          // Every product is formed, also for g = 0 and padding taps (x = 0), as PyTorch's GEMMs do: 0 · Inf and
          // 0 · NaN are NaN, so non-finite inputs or weights give the same NaN pattern as torch.
          for (let ci = 0; ci < Cin; ci++) {
            for (let kh = 0; kh < KH; kh++) {
              const iy = oy * stride - pad + kh;
              for (let kw = 0; kw < KW; kw++) {
                const ix = ox * stride - pad + kw;
                const wi = ((co * Cin + ci) * KH + kh) * KW + kw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                  dw[wi] += g * 0;
                  continue;
                }
                const xi = ((n * Cin + ci) * H + iy) * W + ix;
                dx[xi] += g * w[wi];
                dw[wi] += g * x[xi];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, db };
}

/** Concatenate NCHW tensors along the channel axis (for checking fireExpand). */
export function concatChannelsCpu(parts: { data: ArrayLike<number>; C: number }[], N: number, HW: number): Float64Array {
  const Ct = parts.reduce((a, p) => a + p.C, 0);
  const out = new Float64Array(N * Ct * HW);
  for (let n = 0; n < N; n++) {
    let off = 0;
    for (const p of parts) {
      for (let c = 0; c < p.C; c++) {
        for (let q = 0; q < HW; q++) out[((n * Ct + off + c) * HW) + q] = p.data[(n * p.C + c) * HW + q];
      }
      off += p.C;
    }
  }
  return out;
}
