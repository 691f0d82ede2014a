// Input gradient of a conv with few input channels, second half: dx from the column gradient
//   col[n, (ci*KH + kh)*KW + kw, oy, ox] = sum_co w[co, ci, kh, kw] g[n, co, oy, ox]
// (computed before by conv2d_pointwise with the weight transposed):
//   dx[n, ci, iy, ix] (+)= sum_{kh, kw} col[n, (ci*KH + kh)*KW + kw, (iy + pad - kh)/s, (ix + pad - kw)/s]
// over the taps where both divisions are exact and inside the output. A gather: no atomics.
// Invocation: TP consecutive pixels of one input row; x = pixel group, row (n, ci, iy) = wid.y + wid.z * nwg.y.
//! params: Cin H W KH KW Ho Wo stride
//! params: pad rows groupsX
@group(0) @binding(0) var<storage, read> col: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
//! const: WG, TP
// Add into dx: a constant (a uniform flag costs SwiftShader a masked load per output even when off).
//! const: ACC: bool

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.y + wid.z * nwg.y;
  if (gid.x >= p.groupsX || r >= p.rows) { return; }
  let iy = r % p.H;
  let nc = r / p.H;
  let ci = nc % p.Cin;
  let n = nc / p.Cin;
  let KK = p.KH * p.KW;
  let HoWo = p.Ho * p.Wo;
  let cbase = (n * p.Cin + ci) * KK * HoWo;
  let ix0 = gid.x * TP;
  // Tap kh = ry + s*a reads output row oy = qy - a (iy + pad = qy*s + ry); likewise along x, where (qx, rx)
  // advance with the pixel. No integer division in the loops (lavapipe runs one per lane).
  let s = p.stride;
  let qy = (iy + p.pad) / s;
  let ry = iy + p.pad - qy * s;
  var qx = (ix0 + p.pad) / s;
  var rx = ix0 + p.pad - qx * s;
  for (var j = 0u; j < TP; j++) {
    let ix = ix0 + j;
    if (ix >= p.W) { break; }
    var sum = 0.0;
    var oy = i32(qy);
    for (var kh = ry; kh < p.KH; kh += s) {
      if (oy >= 0 && oy < i32(p.Ho)) {
        let rowBase = cbase + kh * p.KW * HoWo + u32(oy) * p.Wo;
        var ox = i32(qx);
        for (var kw = rx; kw < p.KW; kw += s) {
          if (ox >= 0 && ox < i32(p.Wo)) { sum += col[rowBase + kw * HoWo + u32(ox)]; }
          ox--;
        }
      }
      oy--;
    }
    let i = r * p.W + ix;
    if (ACC) { sum += dx[i]; }
    dx[i] = sum;
    rx++;
    if (rx == s) {
      rx = 0u;
      qx++;
    }
  }
}
