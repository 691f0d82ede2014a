// CPU reference (float64) of channelDot: out[n, q] = sum_c x[n, c, q] w[n, c] and its gradients.

/** out [N, Q] from x [N, C, Q] and w [N, C]. */
export function channelDotCpu(x: ArrayLike<number>, w: ArrayLike<number>, N: number, C: number, Q: number): Float64Array {
  const out = new Float64Array(N * Q);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const wv = w[n * C + c];
      for (let q = 0; q < Q; q++) out[n * Q + q] += x[(n * C + c) * Q + q] * wv;
    }
  }
  return out;
}

/** dx [N, C, Q] = g[n, q] w[n, c] and dw [N, C] = sum_q g[n, q] x[n, c, q] for the output gradient g [N, Q]. */
export function channelDotBackwardCpu(g: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, N: number, C: number, Q: number): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(N * C * Q);
  const dw = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let q = 0; q < Q; q++) {
        dx[(n * C + c) * Q + q] = g[n * Q + q] * w[n * C + c];
        s += g[n * Q + q] * x[(n * C + c) * Q + q];
      }
      dw[n * C + c] = s;
    }
  }
  return { dx, dw };
}
