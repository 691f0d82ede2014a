// Direct 2-D convolution, NCHW, any kernel size / stride / symmetric zero padding, bias and ReLU fused
// into the epilogue. Register tiling without workgroup memory: each invocation accumulates TCO output
// channels x TP consecutive output pixels of one row (a0..a15: one vec4 of pixels per channel). The
// channel block comes from the workgroup id, so the weights (packed by conv2d_pack.wgsl: the TCO weights
// of one tap are contiguous) are read with TCO/4 uniform vec4 loads per tap. Lanes run over pixel groups.
// Stride 1 keeps a sliding window of the input row in registers: TP + KW - 1 loads per (ci, kh) instead of
// TP * KW. The output may be a channel slice [coOff, coOff + Cout) of a tensor with coTot channels
// (fire-module expand writes both convs into one buffer).
//
// Geometry (convGrid in src/ops/conv.ts): item = (wid.x + (wid.z % zFold) * nwg.x) * WG + lane indexes
// (output row, group of TP pixels); wid.z / zFold = image; wid.y = output channel block.
struct Params {
  Cin: u32, H: u32, W: u32, Cout: u32,
  Ho: u32, Wo: u32, KH: u32, KW: u32,
  stride: u32, pad: u32, coOff: u32, coTot: u32,
  zFold: u32, groupsX: u32, items: u32, _p0: u32,
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
// Stride 1 (sliding-window path).
override S1: bool = true;

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

// x[row + ix] or 0 outside the row / when the row is outside the image.
fn ld(row: i32, ix: i32, rowOk: bool) -> f32 {
  let inb = rowOk && ix >= 0 && ix < i32(p.W);
  let v = x[select(0u, u32(row + ix), inb)];
  return select(0.0, v, inb);
}

fn put(c: u32, coBase: u32, a: vec4<f32>, ybase: u32, nv: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (HAS_BIAS) { bias = b[co]; }
  let row = ybase + co * p.Ho * p.Wo;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      var v = a[j] + bias;
      if (RELU) { v = max(v, 0.0); }
      y[row + j] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let item = (wid.x + (wid.z % p.zFold) * nwg.x) * WG + lid;
  let valid = item < p.items;
  let it = min(item, p.items - 1u);
  let oy = it / p.groupsX;
  let ox0 = (it - oy * p.groupsX) * TP;
  let nv = select(0u, min(TP, p.Wo - ox0), valid);
  let coBase = wid.y * TCO;
  let s = i32(p.stride);
  let iy0 = i32(oy) * s - i32(p.pad);
  let ix0 = i32(ox0) * s - i32(p.pad);
  let TC4 = TCO / 4u;
  let K = p.Cin * p.KH * p.KW;
  var wi = wid.y * K * TC4;

  for (var ci = 0u; ci < p.Cin; ci++) {
    let plane = i32((n * p.Cin + ci) * p.H);
    for (var kh = 0u; kh < p.KH; kh++) {
      let iy = iy0 + i32(kh);
      let rowOk = valid && iy >= 0 && iy < i32(p.H);
      let row = (plane + iy) * i32(p.W);
      if (S1) {
        // Sliding window: pixel j at tap kw reads ix0 + j + kw.
        var v = vec4<f32>(ld(row, ix0, rowOk), 0.0, 0.0, 0.0);
        if (TP > 1u) { v.y = ld(row, ix0 + 1, rowOk); }
        if (TP > 2u) { v.z = ld(row, ix0 + 2, rowOk); }
        if (TP > 3u) { v.w = ld(row, ix0 + 3, rowOk); }
        tap(wi, v);
        wi += TC4;
        for (var kw = 1; kw < i32(p.KW); kw++) {
          let nx = ld(row, ix0 + i32(TP) - 1 + kw, rowOk);
          if (TP == 1u) { v = vec4<f32>(nx, 0.0, 0.0, 0.0); }
          if (TP == 2u) { v = vec4<f32>(v.y, nx, 0.0, 0.0); }
          if (TP == 3u) { v = vec4<f32>(v.y, v.z, nx, 0.0); }
          if (TP == 4u) { v = vec4<f32>(v.y, v.z, v.w, nx); }
          tap(wi, v);
          wi += TC4;
        }
      } else {
        for (var kw = 0; kw < i32(p.KW); kw++) {
          let ix = ix0 + kw;
          var v = vec4<f32>(ld(row, ix, rowOk), 0.0, 0.0, 0.0);
          if (TP > 1u) { v.y = ld(row, ix + s, rowOk); }
          if (TP > 2u) { v.z = ld(row, ix + 2 * s, rowOk); }
          if (TP > 3u) { v.w = ld(row, ix + 3 * s, rowOk); }
          tap(wi, v);
          wi += TC4;
        }
      }
    }
  }

  let ybase = (n * p.coTot + p.coOff) * p.Ho * p.Wo + oy * p.Wo + ox0;
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
