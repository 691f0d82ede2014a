// The epilogue of the forward conv kernels (conv2d_forward, conv2d_pointwise): channel c of the tile, pixels
// ybase + co * plane + j (j < nv) of output channel co = coBase + c: bias, ReLU, and with ACC the sum into y.
// The TP pixels are spelled out rather than looped: SwiftShader does not unroll loops and runs each iteration
// (and a vector element picked by a loop index) under lane masks.
//! provides: epilogue
//! const: TP
//! const: ACC: bool
fn epilogue(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32, plane: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = b[co]; }
  let row = ybase + co * plane;
  var v = a + vec4<f32>(bias);
  // v <= 0 ? 0 : v, so NaN passes (torch's relu); max(v, 0.0) may turn NaN into 0.
  if (p.relu != 0u) { v = select(v, vec4<f32>(0.0), v <= vec4<f32>(0.0)); }
  if (ACC) {
    if (nv > 0u) { v.x += y[row]; }
    if ((TP > 1u) & (nv > 1u)) { v.y += y[row + 1u]; }
    if ((TP > 2u) & (nv > 2u)) { v.z += y[row + 2u]; }
    if ((TP > 3u) & (nv > 3u)) { v.w += y[row + 3u]; }
  }
  if (nv > 0u) { y[row] = v.x; }
  if ((TP > 1u) & (nv > 1u)) { y[row + 1u] = v.y; }
  if ((TP > 2u) & (nv > 2u)) { y[row + 2u] = v.z; }
  if ((TP > 3u) & (nv > 3u)) { y[row + 3u] = v.w; }
}
