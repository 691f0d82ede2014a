// 1x1, stride 1, no padding convolution = a matmul per image:
//   y[n, coOff + o, q] = act(b[o] + sum_r W[o, r] x[n, r, q])     (o < Cout, r < Cin, q < HW)
// with the weight packed by conv2d_pack.wgsl (the TCO weights of one r contiguous; TCO/4 vec4 loads).
// Forward: W = w [Cout, Cin]. The input gradient of a 1x1 conv is the same product with the transposed
// weight (packed transposed) and ACC = true adds into y (the fire-module backward sums two gradients).
// Bias and ReLU fused. Register tiling as conv2d_forward.wgsl: TCO channels x TP consecutive pixels per
// invocation, the channel block from the workgroup id, lanes over pixel groups.
// The output may be a channel slice [coOff, coOff + Cout) of a tensor with coTot channels.
struct Params {
  Cin: u32, HW: u32, Cout: u32, coOff: u32,
  coTot: u32, zFold: u32, items: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 64u;
// Output channels per invocation (4, 8, 12 or 16) and pixels per invocation (1..4).
override TCO: u32 = 16u;
override TP: u32 = 4u;
override HAS_BIAS: bool = true;
override RELU: bool = false;
override ACC: bool = false;

var<private> a0: vec4<f32>;
var<private> a1: vec4<f32>;
var<private> a2: vec4<f32>;
var<private> a3: vec4<f32>;
var<private> a4: vec4<f32>;
var<private> a5: vec4<f32>;
var<private> a6: vec4<f32>;
var<private> a7: vec4<f32>;
var<private> a8: vec4<f32>;
var<private> a9: vec4<f32>;
var<private> a10: vec4<f32>;
var<private> a11: vec4<f32>;
var<private> a12: vec4<f32>;
var<private> a13: vec4<f32>;
var<private> a14: vec4<f32>;
var<private> a15: vec4<f32>;

// One tap: accumulate the TCO weights at wp[wi..] times the pixels v.
fn tap(wi: u32, v: vec4<f32>) {
  let w0 = wp[wi];
  a0 = fma(vec4<f32>(w0.x), v, a0);
  a1 = fma(vec4<f32>(w0.y), v, a1);
  a2 = fma(vec4<f32>(w0.z), v, a2);
  a3 = fma(vec4<f32>(w0.w), v, a3);
  if (TCO > 4u) {
    let w1 = wp[wi + 1u];
    a4 = fma(vec4<f32>(w1.x), v, a4);
    a5 = fma(vec4<f32>(w1.y), v, a5);
    a6 = fma(vec4<f32>(w1.z), v, a6);
    a7 = fma(vec4<f32>(w1.w), v, a7);
  }
  if (TCO > 8u) {
    let w2 = wp[wi + 2u];
    a8 = fma(vec4<f32>(w2.x), v, a8);
    a9 = fma(vec4<f32>(w2.y), v, a9);
    a10 = fma(vec4<f32>(w2.z), v, a10);
    a11 = fma(vec4<f32>(w2.w), v, a11);
  }
  if (TCO > 12u) {
    let w3 = wp[wi + 3u];
    a12 = fma(vec4<f32>(w3.x), v, a12);
    a13 = fma(vec4<f32>(w3.y), v, a13);
    a14 = fma(vec4<f32>(w3.z), v, a14);
    a15 = fma(vec4<f32>(w3.w), v, a15);
  }
}

fn put(c: u32, coBase: u32, a: vec4<f32>, ybase: u32, nv: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (HAS_BIAS) { bias = b[co]; }
  let row = ybase + co * p.HW;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      var v = a[j] + bias;
      if (RELU) { v = max(v, 0.0); }
      if (ACC) { v += y[row + j]; }
      y[row + j] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let item = (wid.x + (wid.z % p.zFold) * nwg.x) * WG + lid;
  let q0 = min(item, p.items - 1u) * TP;
  let nv = select(0u, min(TP, p.HW - q0), item < p.items);
  let coBase = wid.y * TCO;
  let TC4 = TCO / 4u;
  var wi = wid.y * p.Cin * TC4;
  // Pixels past the end (last group) read a valid clamped address; their sums are never stored.
  let last = p.HW - 1u - q0;
  let d1 = min(1u, last);
  let d2 = min(2u, last);
  let d3 = min(3u, last);
  var xi = n * p.Cin * p.HW + q0;
  for (var ci = 0u; ci < p.Cin; ci++) {
    var v = vec4<f32>(x[xi], 0.0, 0.0, 0.0);
    if (TP > 1u) { v.y = x[xi + d1]; }
    if (TP > 2u) { v.z = x[xi + d2]; }
    if (TP > 3u) { v.w = x[xi + d3]; }
    tap(wi, v);
    wi += TC4;
    xi += p.HW;
  }

  let ybase = (n * p.coTot + p.coOff) * p.HW + q0;
  put(0u, coBase, a0, ybase, nv);
  put(1u, coBase, a1, ybase, nv);
  put(2u, coBase, a2, ybase, nv);
  put(3u, coBase, a3, ybase, nv);
  if (TCO > 4u) {
    put(4u, coBase, a4, ybase, nv);
    put(5u, coBase, a5, ybase, nv);
    put(6u, coBase, a6, ybase, nv);
    put(7u, coBase, a7, ybase, nv);
  }
  if (TCO > 8u) {
    put(8u, coBase, a8, ybase, nv);
    put(9u, coBase, a9, ybase, nv);
    put(10u, coBase, a10, ybase, nv);
    put(11u, coBase, a11, ybase, nv);
  }
  if (TCO > 12u) {
    put(12u, coBase, a12, ybase, nv);
    put(13u, coBase, a13, ybase, nv);
    put(14u, coBase, a14, ybase, nv);
    put(15u, coBase, a15, ybase, nv);
  }
}
