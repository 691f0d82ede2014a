// Input gradient of a conv with few input channels, second half: dx from the column gradient
//   col[n, (ci*KH + kh)*KW + kw, oy, ox] = sum_co w[co, ci, kh, kw] g[n, co, oy, ox]
// (computed before by conv2d_pointwise with the weight transposed):
//   dx[n, ci, iy, ix] (+)= sum_{kh, kw} col[n, (ci*KH + kh)*KW + kw, (iy + pad - kh)/s, (ix + pad - kw)/s]
// over the taps where both divisions are exact and inside the output. A gather: no atomics.
// Invocation: TP consecutive pixels of one input row (K3S2: at most 8); x = pixel group, row (n, ci, iy) = wid.y + wid.z * nwg.y.
//! params: Cin H W KH KW Ho Wo stride
//! params: pad rows groupsX
@group(0) @binding(0) var<storage, read> col: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
//! const: WG, TP
// Add into dx: a constant (a uniform flag costs SwiftShader a masked load per output even when off).
//! const: ACC: bool
// 3x3 kernels of stride 2 (conv1), spelled out: pixel ix gets taps kw = rx (output column qx) and, when rx == 0,
// kw = 2 (column qx - 1), likewise along y: four masked loads and no loops (SwiftShader runs every loop
// iteration under lane masks). The same terms are added in the same order as the loops below (a masked-off tap
// adds 0).
//! const: K3S2: bool

// K3S2: the sum for input pixel ix of row (qy, ry) from the column plane base cbase.
fn k3s2(cbase: u32, qy: u32, ry: u32, ix: u32) -> f32 {
  let HoWo = p.Ho * p.Wo;
  let qx = (ix + p.pad) >> 1u;
  let rx = (ix + p.pad) & 1u;
  let yA = qy < p.Ho;
  let yB = (ry == 0u) & (qy >= 1u) & (qy - 1u < p.Ho);
  let xA = qx < p.Wo;
  let xB = (rx == 0u) & (qx >= 1u) & (qx - 1u < p.Wo);
  let rA = cbase + ry * 3u * HoWo + qy * p.Wo;
  let rB = cbase + 6u * HoWo + (qy - 1u) * p.Wo;
  let cA = rx * HoWo + qx;
  let cB = 2u * HoWo + qx - 1u;
  var sum = 0.0;
  sum += select(0.0, col[select(0u, rA + cA, yA & xA)], yA & xA);
  sum += select(0.0, col[select(0u, rA + cB, yA & xB)], yA & xB);
  sum += select(0.0, col[select(0u, rB + cA, yB & xA)], yB & xA);
  sum += select(0.0, col[select(0u, rB + cB, yB & xB)], yB & xB);
  return sum;
}

// K3S2: pixel ix0 + j of the row at dx[i0 + j]. Past the row's end: with ACC nothing; without, the row's last
// pixel, stored again with its own value (an unconditional store: SwiftShader pays a branch and a masked
// scatter for a guarded one).
fn k3s2Put(cbase: u32, qy: u32, ry: u32, ix0: u32, i0: u32, j: u32) {
  if (ACC) {
    let ix = ix0 + j;
    if (ix >= p.W) { return; }
    dx[i0 + j] = k3s2(cbase, qy, ry, ix) + dx[i0 + j];
  } else {
    let ix = min(ix0 + j, p.W - 1u);
    dx[i0 + ix - ix0] = k3s2(cbase, qy, ry, ix);
  }
}

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
  if (K3S2) {
    let qy = (iy + p.pad) >> 1u;
    let ry = (iy + p.pad) & 1u;
    let i0 = r * p.W + ix0;
    k3s2Put(cbase, qy, ry, ix0, i0, 0u);
    if (TP > 1u) { k3s2Put(cbase, qy, ry, ix0, i0, 1u); }
    if (TP > 2u) { k3s2Put(cbase, qy, ry, ix0, i0, 2u); }
    if (TP > 3u) { k3s2Put(cbase, qy, ry, ix0, i0, 3u); }
    if (TP > 4u) { k3s2Put(cbase, qy, ry, ix0, i0, 4u); }
    if (TP > 5u) { k3s2Put(cbase, qy, ry, ix0, i0, 5u); }
    if (TP > 6u) { k3s2Put(cbase, qy, ry, ix0, i0, 6u); }
    if (TP > 7u) { k3s2Put(cbase, qy, ry, ix0, i0, 7u); }
    return;
  }
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
