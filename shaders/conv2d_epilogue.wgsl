// The epilogue of the forward conv kernels (conv2d_forward, conv2d_pointwise): channel c of the tile, pixels
// ybase + co * plane + j (j < nv) of output channel co = coBase + c: bias, ReLU, optional accumulation.
//! provides: epilogue
//! const: TP
fn epilogue(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32, plane: u32, acc: bool) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = b[co]; }
  let row = ybase + co * plane;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      var v = a[j] + bias;
      // v <= 0 ? 0 : v, so NaN passes (torch's relu); max(v, 0.0) may turn NaN into 0.
      if (p.relu != 0u) { v = select(v, 0.0, v <= 0.0); }
      if (acc) { v += y[row + j]; }
      y[row + j] = v;
    }
  }
}
