// 1x1, stride 1, no padding convolution = a matmul per image:
//   y[n, coOff + o, q] = act(b[o] + sum_r W[o, r] x[n, r, q])     (o < Cout, r < Cin, q < HW)
// Kernel body: composed with a weight-tap file (conv2d_tap_*.wgsl: the packed weight `wp`, tap(), tapw()) and
// conv2d_tile.wgsl (accumulators, putA/putB).
//! requires: tap tapw laneSetup putA putB
//! provides: put
// Forward: W = w [Cout, Cin]. The input
// gradient of a 1x1 conv is the same product with the transposed weight (packed transposed) and acc = 1
// adds into y (the fire-module backward sums two gradients). Bias and ReLU fused. Each invocation
// accumulates TC channels x TP consecutive pixels. The output may be a channel slice [coOff, coOff + Cout)
// of a tensor with coTot channels.
// Geometry (convGrid in src/ops/conv.ts): lane L = (wid.x + (wid.z % zFold) * nwg.x) * WG + local index,
// channel block cb = L / itemsPad, item = L % itemsPad (items past `items` are idle); image = wid.z / zFold.
// itemsPad is a multiple of the subgroup size for the subgroup taps (the channel block is then uniform per
// subgroup) and equal to `items` otherwise (no idle lanes between channel blocks on small images).
struct Params {
  Cin: u32, HW: u32, Cout: u32, coOff: u32,
  coTot: u32, zFold: u32, items: u32, itemsPad: u32,
  cBlocks: u32, hasBias: u32, relu: u32, acc: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//! const: WG
// Pixels per invocation (1..4); TC (a multiple of 4 up to 32 channels) by the tile.
//! const: TP
// hasBias, relu and acc are uniform flags (epilogue only: no extra pipelines).
// Eight pixels per invocation (TP = 4): accumulators a (pixels 0..3) and b (4..7), one weight load for both.
//! const: WIDE: bool

fn put(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = b[co]; }
  let row = ybase + co * p.HW;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      var v = a[j] + bias;
      // v <= 0 ? 0 : v, so NaN passes (torch's relu); max(v, 0.0) may turn NaN into 0.
      if (p.relu != 0u) { v = select(v, 0.0, v <= 0.0); }
      if (p.acc != 0u) { v += y[row + j]; }
      y[row + j] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  laneSetup();
  let n = wid.z / p.zFold;
  let L = (wid.x + (wid.z % p.zFold) * nwg.x) * WG + lid;
  let cb = min(L / p.itemsPad, p.cBlocks - 1u);
  let item = L - (L / p.itemsPad) * p.itemsPad;
  let valid = item < p.items && L / p.itemsPad < p.cBlocks;
  let px = select(TP, 2u * TP, WIDE);
  let q0 = min(item, p.items - 1u) * px;
  let nvAll = select(0u, min(px, p.HW - q0), valid);
  let nv = min(nvAll, TP);
  var wi = cb * p.Cin * TC;
  // Pixels past the end (last group) read a valid clamped address; their sums are never stored.
  let last = p.HW - 1u - q0;
  let d1 = min(1u, last);
  let d2 = min(2u, last);
  let d3 = min(3u, last);
  var xi = n * p.Cin * p.HW + q0;
  if (WIDE) {
    let d4 = min(4u, last);
    let d5 = min(5u, last);
    let d6 = min(6u, last);
    let d7 = min(7u, last);
    for (var ci = 0u; ci < p.Cin; ci++) {
      let v = vec4<f32>(x[xi], x[xi + d1], x[xi + d2], x[xi + d3]);
      let u = vec4<f32>(x[xi + d4], x[xi + d5], x[xi + d6], x[xi + d7]);
      tapw(wi, v, u);
      wi += TC;
      xi += p.HW;
    }
  } else {
    for (var ci = 0u; ci < p.Cin; ci++) {
      var v = vec4<f32>(x[xi], 0.0, 0.0, 0.0);
      if (TP > 1u) { v.y = x[xi + d1]; }
      if (TP > 2u) { v.z = x[xi + d2]; }
      if (TP > 3u) { v.w = x[xi + d3]; }
      tap(wi, v);
      wi += TC;
      xi += p.HW;
    }
  }

  let coBase = cb * TC;
  let ybase = (n * p.coTot + p.coOff) * p.HW + q0;
  putA(coBase, ybase, nv);
  if (WIDE) { putB(coBase, ybase + TP, nvAll - nv); }
}
