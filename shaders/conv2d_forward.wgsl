// Direct 2-D convolution, NCHW, any kernel size / stride / symmetric zero padding, bias and ReLU fused
// into the epilogue. Kernel body: composed with a weight-tap file
// (conv2d_tap_*.wgsl: the weight binding `wp`, tap() and tapw(), called through conv2d_taps3.wgsl) and
// conv2d_tile.wgsl (accumulators, putA/putB).
//! requires: tap tapw taps3 taps3w laneSetup putA putB foldedLane epilogue
//! provides: put
// Register tiling without workgroup memory: each invocation accumulates TC output channels x TP consecutive
// output pixels of one row. Stride 1 keeps a sliding window of the input row in registers: TP + KW - 1
// loads per (ci, kh) instead of TP * KW. The output may be a channel slice [coOff, coOff + Cout) of a
// tensor with coTot channels (fire-module expand writes both convs into one buffer), the input a slice
// [ciOff, ciOff + Cin) of one with ciTot channels (an input gradient reading one conv's part of a gradient).
// Lanes: conv2d_lane.wgsl (foldedLane); bias, ReLU and the store: conv2d_epilogue.wgsl.
//! params: Cin H W Cout Ho Wo KH KW
//! params: stride pad coOff coTot zFold groupsX items itemsPad
//! params: cBlocks hasBias relu ciOff ciTot
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//! const: WG
// Pixels per invocation (1..4); TC (a multiple of 4 up to 32 channels) by the tile.
//! const: TP
// Stride 1 (sliding-window path). Bias and ReLU are uniform flags (epilogue only: no extra pipelines).
//! const: S1: bool
// Eight pixels per invocation (TP = 4): two vec4 windows, accumulators a (pixels 0..3) and b (4..7). Stride 1,
// or without S1 stride 2 with three taps (KWc = 3): the launcher passes no other strided wide tile.
//! const: WIDE: bool
// The kernel size as constants when nonzero (the tap loops then unroll), else read from p.
//! const: KHc, KWc
// The three taps of a row in one channel-major call (tap3/tap3w) instead of three tap()/tapw() calls.
//! const: ROWS: bool
// Add into y (an input gradient run as a forward conv): a constant, as a uniform flag costs SwiftShader a
// masked load per output even when off (saliency 281 vs 315 ms).
//! const: ACC: bool
// 3x3, stride 1, padding 1, wide tiles: the output pixels in one flat run per plane (a tile may span two rows),
// so that a row of 13 or 27 pixels does not compute 16 or 32. Input pixel p + (kh - 1) * W + kw - 1 feeds
// output pixel p; the taps that would wrap into the next or previous row are zeroed by per-pixel masks.
//! const: FLAT: bool

// FLAT: per-pixel masks of the wide tile, 0 where the pixel is in the first (mL) or last (mR) column.
var<private> mLa: vec4<f32>;
var<private> mLb: vec4<f32>;
var<private> mRa: vec4<f32>;
var<private> mRb: vec4<f32>;

// x[plane + i], or 0 outside the plane.
fn lf(plane: i32, i: i32) -> f32 {
  let inb = (i >= 0) & (i < i32(p.H * p.W));
  let v = x[select(0u, u32(plane + i), inb)];
  return select(0.0, v, inb);
}

// FLAT: kernel row kh of the eight output pixels from p0: the ten inputs from f = p0 + (kh - 1) * W - 1 on.
fn rowStepFlat(plane: i32, f: i32, wi: u32) {
  let v0 = vec4<f32>(lf(plane, f), lf(plane, f + 1), lf(plane, f + 2), lf(plane, f + 3));
  let u0 = vec4<f32>(lf(plane, f + 4), lf(plane, f + 5), lf(plane, f + 6), lf(plane, f + 7));
  let e8 = lf(plane, f + 8);
  let e9 = lf(plane, f + 9);
  let v1 = vec4<f32>(v0.yzw, u0.x);
  let u1 = vec4<f32>(u0.yzw, e8);
  let v2 = vec4<f32>(v1.yzw, u1.x);
  let u2 = vec4<f32>(u1.yzw, e9);
  taps3w(wi, v0 * mLa, u0 * mLb, v1, u1, v2 * mRa, u2 * mRb);
}

// x[row + ix], or 0 outside the row or when the row is outside the image.
fn ld(row: i32, ix: i32, rowOk: bool) -> f32 {
  let inb = rowOk & (ix >= 0) & (ix < i32(p.W));
  let v = x[select(0u, u32(row + ix), inb)];
  return select(0.0, v, inb);
}

// The window after one step right: pixel 0's value leaves, nx enters as pixel TP - 1.
fn slide(v: vec4<f32>, nx: f32) -> vec4<f32> {
  if (TP == 1u) { return vec4<f32>(nx, 0.0, 0.0, 0.0); }
  if (TP == 2u) { return vec4<f32>(v.y, nx, 0.0, 0.0); }
  if (TP == 3u) { return vec4<f32>(v.y, v.z, nx, 0.0); }
  return vec4<f32>(v.y, v.z, v.w, nx);
}

// Pixels j < TP of a strided row at tap ix: ix + j * s.
fn strided(row: i32, ix: i32, s: i32, rowOk: bool) -> vec4<f32> {
  var v = vec4<f32>(ld(row, ix, rowOk), 0.0, 0.0, 0.0);
  if (TP > 1u) { v.y = ld(row, ix + s, rowOk); }
  if (TP > 2u) { v.z = ld(row, ix + 2 * s, rowOk); }
  if (TP > 3u) { v.w = ld(row, ix + 3 * s, rowOk); }
  return v;
}

// The KW taps of input row iy (weights from wi on). Three taps (KWc = 3) are spelled out, not looped:
// SwiftShader does not unroll loops, and runs every iteration with lane masks, blending each loop-carried
// register (the whole tile) at its end; this costs it a fifth of the forward pass (lavapipe unrolls by itself).
fn rowStep(plane: i32, iy: i32, valid: bool, ix0: i32, s: i32, wi: u32) {
  let rowOk = valid & (iy >= 0) & (iy < i32(p.H));
  let row = (plane + iy) * i32(p.W);
  let KW = select(p.KW, KWc, KWc != 0u);
  if (S1 && WIDE) {
    // Eight pixels: window v (pixels 0..3) and u (4..7) shift by one per tap.
    var v = vec4<f32>(0.0, ld(row, ix0, rowOk), ld(row, ix0 + 1, rowOk), ld(row, ix0 + 2, rowOk));
    var u = vec4<f32>(ld(row, ix0 + 3, rowOk), ld(row, ix0 + 4, rowOk), ld(row, ix0 + 5, rowOk), ld(row, ix0 + 6, rowOk));
    if (KWc == 3u) {
      let v0 = vec4<f32>(v.yzw, u.x);
      let u0 = slide(u, ld(row, ix0 + 7, rowOk));
      let v1 = vec4<f32>(v0.yzw, u0.x);
      let u1 = slide(u0, ld(row, ix0 + 8, rowOk));
      let v2 = vec4<f32>(v1.yzw, u1.x);
      let u2 = slide(u1, ld(row, ix0 + 9, rowOk));
      taps3w(wi, v0, u0, v1, u1, v2, u2);
    } else {
      for (var kw = 0u; kw < KW; kw++) {
        v = vec4<f32>(v.yzw, u.x);
        u = slide(u, ld(row, ix0 + 7 + i32(kw), rowOk));
        tapw(wi + kw * TC, v, u);
      }
    }
  } else if (S1) {
    // Sliding window: pixel j at tap kw reads ix0 + j + kw. The window starts one step early (its first
    // TP - 1 pixels), so each tap loads one value.
    var v = vec4<f32>(0.0);
    if (TP > 1u) { v.y = ld(row, ix0, rowOk); }
    if (TP > 2u) { v.z = ld(row, ix0 + 1, rowOk); }
    if (TP > 3u) { v.w = ld(row, ix0 + 2, rowOk); }
    let e = ix0 + i32(TP) - 1;
    if (KWc == 3u) {
      let v0 = slide(v, ld(row, e, rowOk));
      let v1 = slide(v0, ld(row, e + 1, rowOk));
      let v2 = slide(v1, ld(row, e + 2, rowOk));
      taps3(wi, v0, v1, v2);
    } else {
      for (var kw = 0u; kw < KW; kw++) {
        v = slide(v, ld(row, e + i32(kw), rowOk));
        tap(wi + kw * TC, v);
      }
    }
  } else if (WIDE) {
    // Stride 2 with three taps (the launcher's only strided wide tile): pixel j at tap kw reads ix0 + 2j + kw,
    // so tap 2 reads tap 0's pixels 1..7 and one more: 17 loads for the 24 values.
    let v0 = vec4<f32>(ld(row, ix0, rowOk), ld(row, ix0 + 2, rowOk), ld(row, ix0 + 4, rowOk), ld(row, ix0 + 6, rowOk));
    let u0 = vec4<f32>(ld(row, ix0 + 8, rowOk), ld(row, ix0 + 10, rowOk), ld(row, ix0 + 12, rowOk), ld(row, ix0 + 14, rowOk));
    let v1 = vec4<f32>(ld(row, ix0 + 1, rowOk), ld(row, ix0 + 3, rowOk), ld(row, ix0 + 5, rowOk), ld(row, ix0 + 7, rowOk));
    let u1 = vec4<f32>(ld(row, ix0 + 9, rowOk), ld(row, ix0 + 11, rowOk), ld(row, ix0 + 13, rowOk), ld(row, ix0 + 15, rowOk));
    let v2 = vec4<f32>(v0.yzw, u0.x);
    let u2 = vec4<f32>(u0.yzw, ld(row, ix0 + 16, rowOk));
    taps3w(wi, v0, u0, v1, u1, v2, u2);
  } else if (KWc == 3u) {
    taps3(wi, strided(row, ix0, s, rowOk), strided(row, ix0 + 1, s, rowOk), strided(row, ix0 + 2, s, rowOk));
  } else {
    for (var kw = 0u; kw < KW; kw++) {
      tap(wi + kw * TC, strided(row, ix0 + i32(kw), s, rowOk));
    }
  }
}

fn put(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32) {
  epilogue(c, a, coBase, ybase, nv, p.Ho * p.Wo);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  laneSetup();
  let n = wid.z / p.zFold;
  let ln = foldedLane(wid, nwg, lid, p.zFold);
  let cb = ln.cb;
  let valid = ln.valid;
  let it = ln.item;
  let px = select(TP, 2u * TP, WIDE);
  var oy = it / p.groupsX;
  var ox0 = (it - oy * p.groupsX) * px;
  var nvAll = select(0u, min(px, p.Wo - ox0), valid);
  if (FLAT) {
    // Pixel p0 of the flat run (oy 0, ox0 = p0: the store below is then the flat one).
    let p0 = it * px;
    oy = 0u;
    ox0 = p0;
    nvAll = select(0u, min(px, p.Ho * p.Wo - min(p0, p.Ho * p.Wo)), valid);
    // The columns of pixels p0..p0 + 7.
    let W4 = vec4<u32>(p.W);
    let ca = (vec4<u32>(p0) + vec4<u32>(0u, 1u, 2u, 3u)) % W4;
    let cb = (vec4<u32>(p0) + vec4<u32>(4u, 5u, 6u, 7u)) % W4;
    mLa = select(vec4<f32>(1.0), vec4<f32>(0.0), ca == vec4<u32>(0u));
    mLb = select(vec4<f32>(1.0), vec4<f32>(0.0), cb == vec4<u32>(0u));
    mRa = select(vec4<f32>(1.0), vec4<f32>(0.0), ca == W4 - 1u);
    mRb = select(vec4<f32>(1.0), vec4<f32>(0.0), cb == W4 - 1u);
  }
  let nv = min(nvAll, TP);
  let s = i32(p.stride);
  let iy0 = i32(oy) * s - i32(p.pad);
  let ix0 = i32(ox0) * s - i32(p.pad);
  let KH = select(p.KH, KHc, KHc != 0u);
  let KW = select(p.KW, KWc, KWc != 0u);
  var wi = cb * p.Cin * KH * KW * TC;

  // One loop over the (ci, kh) rows, not a kernel-row loop inside a channel loop: SwiftShader pays far more
  // for a nested loop than for its iterations (the 3x3 forwards of a SqueezeNet pass: 130 vs 180 ms of
  // GPU time; lavapipe: no change).
  var plane = i32((n * p.ciTot + p.ciOff) * p.H);
  var kh = 0u;
  for (var r = 0u; r < p.Cin * KH; r++) {
    if (FLAT) {
      rowStepFlat(plane * i32(p.W), i32(ox0) + (i32(kh) - 1) * i32(p.W) - 1, wi);
    } else {
      rowStep(plane, iy0 + i32(kh), valid, ix0, s, wi);
    }
    wi += KW * TC;
    kh += 1u;
    let wrap = kh == KH;
    kh = select(kh, 0u, wrap);
    plane += select(0, i32(p.H), wrap);
  }

  let coBase = cb * TC;
  let ybase = (n * p.coTot + p.coOff) * p.Ho * p.Wo + oy * p.Wo + ox0;
  putA(coBase, ybase, nv);
  if (WIDE) { putB(coBase, ybase + TP, nvAll - nv); }
}
