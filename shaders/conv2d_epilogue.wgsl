// The epilogue of the forward conv kernels (conv2d_forward, conv2d_pointwise): channel c of the tile, pixels
// ybase + co * plane + j (j < nv) of output channel co = coBase + c: bias, ReLU, and with ACC the sum into y.
// The TP pixels are spelled out rather than looped: SwiftShader does not unroll loops and runs each iteration
// (and a vector element picked by a loop index) under lane masks.
// The stores are unconditional: pixel j >= nv goes to the address of the last valid pixel nv - 1, and the
// pixels are stored last to first, so that address ends up holding pixel nv - 1's own value. On SwiftShader a
// store under `if (nv > j)` costs a branch and a lane-masked scatter: 128 outputs per lane stored 1.6x faster
// this way (a scratch page, 387k outputs: 0.83 vs 1.30 ms); a saliency pass's conv2d_forward + conv2d_pointwise
// GPU time 139.3 vs 143.3 ms (`window.B.profile`, both epilogues in one page, 5 runs each).
//! provides: epilogue
//! const: TP
//! const: ACC: bool
fn epilogue(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32, plane: u32) {
  let co = coBase + c;
  if ((co >= p.Cout) | (nv == 0u)) { return; }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = b[co]; }
  let row = ybase + co * plane;
  let l = nv - 1u;
  let d1 = min(1u, l);
  let d2 = min(2u, l);
  let d3 = min(3u, l);
  var v = a + vec4<f32>(bias);
  // v <= 0 ? 0 : v, so NaN passes (torch's relu); max(v, 0.0) may turn NaN into 0.
  if (p.relu != 0u) { v = select(v, vec4<f32>(0.0), v <= vec4<f32>(0.0)); }
  if (ACC) {
    // Every load before the first store: a clamped pixel adds the old value of pixel nv - 1, as that pixel does.
    v.x += y[row];
    if (TP > 1u) { v.y += y[row + d1]; }
    if (TP > 2u) { v.z += y[row + d2]; }
    if (TP > 3u) { v.w += y[row + d3]; }
  }
  if (TP > 3u) { y[row + d3] = v.w; }
  if (TP > 2u) { y[row + d2] = v.z; }
  if (TP > 1u) { y[row + d1] = v.y; }
  y[row] = v.x;
}
