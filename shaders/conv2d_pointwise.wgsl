// 1x1, stride 1, no padding convolution = a matmul per image:
//   y[n, coOff + o, q] = act(b[o] + sum_r w[o * wsO + r * wsR] x[n, r, q])     (o < Cout, r < Cin)
// Forward: wsO = Cin, wsR = 1. The input gradient of a 1x1 conv is the same product with the weight
// transposed (wsO = 1, wsR = Cout of the conv) and ACC = true adds into y (fire-module backward).
// Bias and ReLU fused. Same register tiling and geometry as conv2d_forward.wgsl (TCO channels x TP pixels
// per invocation, channel block from the workgroup id so weight loads are uniform, lanes over pixels).
// The output may be a channel slice [coOff, coOff + Cout) of a tensor with coTot channels.
struct Params {
  Cin: u32, HW: u32, Cout: u32, coOff: u32,
  coTot: u32, zFold: u32, wsO: u32, wsR: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 64u;
override TCO: u32 = 8u;
override TP: u32 = 2u;
override HAS_BIAS: bool = true;
override RELU: bool = false;
override ACC: bool = false;


fn store(co: u32, a: vec4<f32>, ybase: u32, q0: u32) {
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (HAS_BIAS) { bias = b[co]; }
  let row = ybase + co * p.HW;
  for (var j = 0u; j < TP; j++) {
    let q = q0 + j * WG;
    if (q < p.HW) {
      var v = a[j] + bias;
      if (RELU) { v = max(v, 0.0); }
      if (ACC) { v += y[row + q]; }
      y[row + q] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let pblk = wid.x + (wid.z % p.zFold) * nwg.x;
  let coBase = wid.y * TCO;
  let HW = p.HW;
  let q0 = pblk * (WG * TP) + lid;
  let xb = n * p.Cin * HW;
  let i0 = xb + min(q0, HW - 1u);
  let i1 = xb + min(q0 + WG, HW - 1u);
  let i2 = xb + min(q0 + 2u * WG, HW - 1u);
  let i3 = xb + min(q0 + 3u * WG, HW - 1u);
  let last = p.Cout - 1u;
  let r0 = min(coBase + 0u, last) * p.wsO;
  let r1 = min(coBase + 1u, last) * p.wsO;
  let r2 = min(coBase + 2u, last) * p.wsO;
  let r3 = min(coBase + 3u, last) * p.wsO;
  let r4 = min(coBase + 4u, last) * p.wsO;
  let r5 = min(coBase + 5u, last) * p.wsO;
  let r6 = min(coBase + 6u, last) * p.wsO;
  let r7 = min(coBase + 7u, last) * p.wsO;
  let r8 = min(coBase + 8u, last) * p.wsO;
  let r9 = min(coBase + 9u, last) * p.wsO;
  let r10 = min(coBase + 10u, last) * p.wsO;
  let r11 = min(coBase + 11u, last) * p.wsO;
  let r12 = min(coBase + 12u, last) * p.wsO;
  let r13 = min(coBase + 13u, last) * p.wsO;
  let r14 = min(coBase + 14u, last) * p.wsO;
  let r15 = min(coBase + 15u, last) * p.wsO;
  var a0 = vec4<f32>();
  var a1 = vec4<f32>();
  var a2 = vec4<f32>();
  var a3 = vec4<f32>();
  var a4 = vec4<f32>();
  var a5 = vec4<f32>();
  var a6 = vec4<f32>();
  var a7 = vec4<f32>();
  var a8 = vec4<f32>();
  var a9 = vec4<f32>();
  var a10 = vec4<f32>();
  var a11 = vec4<f32>();
  var a12 = vec4<f32>();
  var a13 = vec4<f32>();
  var a14 = vec4<f32>();
  var a15 = vec4<f32>();
  var xo = 0u;
  var wr = 0u;
  for (var ci = 0u; ci < p.Cin; ci++) {
    var xv = vec4<f32>(x[i0 + xo], 0.0, 0.0, 0.0);
    if (TP > 1u) { xv.y = x[i1 + xo]; }
    if (TP > 2u) { xv.z = x[i2 + xo]; }
    if (TP > 3u) { xv.w = x[i3 + xo]; }
    a0 = fma(vec4<f32>(w[r0 + wr]), xv, a0);
    if (TCO > 1u) { a1 = fma(vec4<f32>(w[r1 + wr]), xv, a1); }
    if (TCO > 2u) { a2 = fma(vec4<f32>(w[r2 + wr]), xv, a2); }
    if (TCO > 3u) { a3 = fma(vec4<f32>(w[r3 + wr]), xv, a3); }
    if (TCO > 4u) { a4 = fma(vec4<f32>(w[r4 + wr]), xv, a4); }
    if (TCO > 5u) { a5 = fma(vec4<f32>(w[r5 + wr]), xv, a5); }
    if (TCO > 6u) { a6 = fma(vec4<f32>(w[r6 + wr]), xv, a6); }
    if (TCO > 7u) { a7 = fma(vec4<f32>(w[r7 + wr]), xv, a7); }
    if (TCO > 8u) { a8 = fma(vec4<f32>(w[r8 + wr]), xv, a8); }
    if (TCO > 9u) { a9 = fma(vec4<f32>(w[r9 + wr]), xv, a9); }
    if (TCO > 10u) { a10 = fma(vec4<f32>(w[r10 + wr]), xv, a10); }
    if (TCO > 11u) { a11 = fma(vec4<f32>(w[r11 + wr]), xv, a11); }
    if (TCO > 12u) { a12 = fma(vec4<f32>(w[r12 + wr]), xv, a12); }
    if (TCO > 13u) { a13 = fma(vec4<f32>(w[r13 + wr]), xv, a13); }
    if (TCO > 14u) { a14 = fma(vec4<f32>(w[r14 + wr]), xv, a14); }
    if (TCO > 15u) { a15 = fma(vec4<f32>(w[r15 + wr]), xv, a15); }
    xo += HW;
    wr += p.wsR;
  }
  let ybase = (n * p.coTot + p.coOff) * HW;
  { store(coBase + 0u, a0, ybase, q0); }
  if (TCO > 1u) { store(coBase + 1u, a1, ybase, q0); }
  if (TCO > 2u) { store(coBase + 2u, a2, ybase, q0); }
  if (TCO > 3u) { store(coBase + 3u, a3, ybase, q0); }
  if (TCO > 4u) { store(coBase + 4u, a4, ybase, q0); }
  if (TCO > 5u) { store(coBase + 5u, a5, ybase, q0); }
  if (TCO > 6u) { store(coBase + 6u, a6, ybase, q0); }
  if (TCO > 7u) { store(coBase + 7u, a7, ybase, q0); }
  if (TCO > 8u) { store(coBase + 8u, a8, ybase, q0); }
  if (TCO > 9u) { store(coBase + 9u, a9, ybase, q0); }
  if (TCO > 10u) { store(coBase + 10u, a10, ybase, q0); }
  if (TCO > 11u) { store(coBase + 11u, a11, ybase, q0); }
  if (TCO > 12u) { store(coBase + 12u, a12, ybase, q0); }
  if (TCO > 13u) { store(coBase + 13u, a13, ybase, q0); }
  if (TCO > 14u) { store(coBase + 14u, a14, ybase, q0); }
  if (TCO > 15u) { store(coBase + 15u, a15, ybase, q0); }
}
