// Direct 2-D convolution, NCHW, any kernel size / stride / symmetric zero padding, bias and ReLU fused
// into the epilogue. Kernel body: the TypeScript side puts conv2d_tap_vec4.wgsl or conv2d_tap_subgroup.wgsl
// in front of it (the weight binding `wp`, tap() and tapw(); accumulators from conv2d_accumulators.wgsl).
// Register tiling without workgroup memory: each invocation accumulates TC output channels x TP consecutive
// output pixels of one row. Stride 1 keeps a sliding window of the input row in registers: TP + KW - 1
// loads per (ci, kh) instead of TP * KW. The output may be a channel slice [coOff, coOff + Cout) of a
// tensor with coTot channels (fire-module expand writes both convs into one buffer).
// Geometry (convGrid in src/ops/conv.ts): lane L = (wid.x + (wid.z % zFold) * nwg.x) * WG + local index,
// channel block cb = L / itemsPad, item = L % itemsPad (items past `items` are idle); image = wid.z / zFold.
// itemsPad is a multiple of the subgroup size for the subgroup taps (the channel block is then uniform per
// subgroup) and equal to `items` otherwise (no idle lanes between channel blocks on small images).
struct Params {
  Cin: u32, H: u32, W: u32, Cout: u32,
  Ho: u32, Wo: u32, KH: u32, KW: u32,
  stride: u32, pad: u32, coOff: u32, coTot: u32,
  zFold: u32, groupsX: u32, items: u32, itemsPad: u32,
  cBlocks: u32, hasBias: u32, relu: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 64u;
// Pixels per invocation (1..4); TC (a multiple of 4 up to 32 channels) is declared by the tap file.
override TP: u32 = 4u;
// Stride 1 (sliding-window path). Bias and ReLU are uniform flags (epilogue only: no extra pipelines).
override S1: bool = true;
// Eight pixels per invocation (stride 1, TP = 4): two vec4 windows, accumulators a (pixels 0..3) and b (4..7).
override WIDE: bool = false;
// The kernel size as constants when nonzero (the tap loops then unroll), else read from p.
override KHc: u32 = 0u;
override KWc: u32 = 0u;

// x[row + ix], or 0 outside the row or when the row is outside the image.
fn ld(row: i32, ix: i32, rowOk: bool) -> f32 {
  let inb = rowOk && ix >= 0 && ix < i32(p.W);
  let v = x[select(0u, u32(row + ix), inb)];
  return select(0.0, v, inb);
}

fn put(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = b[co]; }
  let row = ybase + co * p.Ho * p.Wo;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      var v = a[j] + bias;
      if (p.relu != 0u) { v = max(v, 0.0); }
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
  let it = min(item, p.items - 1u);
  let oy = it / p.groupsX;
  let px = select(TP, 2u * TP, WIDE);
  let ox0 = (it - oy * p.groupsX) * px;
  let nvAll = select(0u, min(px, p.Wo - ox0), valid);
  let nv = min(nvAll, TP);
  let s = i32(p.stride);
  let iy0 = i32(oy) * s - i32(p.pad);
  let ix0 = i32(ox0) * s - i32(p.pad);
  let KH = select(p.KH, KHc, KHc != 0u);
  let KW = select(p.KW, KWc, KWc != 0u);
  var wi = cb * p.Cin * KH * KW * TC;

  for (var ci = 0u; ci < p.Cin; ci++) {
    let plane = i32((n * p.Cin + ci) * p.H);
    for (var kh = 0u; kh < KH; kh++) {
      let iy = iy0 + i32(kh);
      let rowOk = valid && iy >= 0 && iy < i32(p.H);
      let row = (plane + iy) * i32(p.W);
      if (S1 && WIDE) {
        // Eight pixels: window v (pixels 0..3) and u (4..7) shift by one per tap.
        var v = vec4<f32>(0.0, ld(row, ix0, rowOk), ld(row, ix0 + 1, rowOk), ld(row, ix0 + 2, rowOk));
        var u = vec4<f32>(ld(row, ix0 + 3, rowOk), ld(row, ix0 + 4, rowOk), ld(row, ix0 + 5, rowOk), ld(row, ix0 + 6, rowOk));
        for (var kw = 0; kw < i32(KW); kw++) {
          let nx = ld(row, ix0 + 7 + kw, rowOk);
          v = vec4<f32>(v.y, v.z, v.w, u.x);
          u = vec4<f32>(u.y, u.z, u.w, nx);
          tapw(wi, v, u);
          wi += TC;
        }
      } else if (S1) {
        // Sliding window: pixel j at tap kw reads ix0 + j + kw. The window starts one step early (its first
        // TP - 1 pixels), so each tap loads one value and tap() is inlined once.
        var v = vec4<f32>(0.0);
        if (TP > 1u) { v.y = ld(row, ix0, rowOk); }
        if (TP > 2u) { v.z = ld(row, ix0 + 1, rowOk); }
        if (TP > 3u) { v.w = ld(row, ix0 + 2, rowOk); }
        for (var kw = 0; kw < i32(KW); kw++) {
          let nx = ld(row, ix0 + i32(TP) - 1 + kw, rowOk);
          if (TP == 1u) { v = vec4<f32>(nx, 0.0, 0.0, 0.0); }
          if (TP == 2u) { v = vec4<f32>(v.y, nx, 0.0, 0.0); }
          if (TP == 3u) { v = vec4<f32>(v.y, v.z, nx, 0.0); }
          if (TP == 4u) { v = vec4<f32>(v.y, v.z, v.w, nx); }
          tap(wi, v);
          wi += TC;
        }
      } else {
        for (var kw = 0; kw < i32(KW); kw++) {
          let ix = ix0 + kw;
          var v = vec4<f32>(ld(row, ix, rowOk), 0.0, 0.0, 0.0);
          if (TP > 1u) { v.y = ld(row, ix + s, rowOk); }
          if (TP > 2u) { v.z = ld(row, ix + 2 * s, rowOk); }
          if (TP > 3u) { v.w = ld(row, ix + 3 * s, rowOk); }
          tap(wi, v);
          wi += TC;
        }
      }
    }
  }

  let coBase = cb * TC;
  let ybase = (n * p.coTot + p.coOff) * p.Ho * p.Wo + oy * p.Wo + ox0;
  put(0u, a0, coBase, ybase, nv);
  put(1u, a1, coBase, ybase, nv);
  put(2u, a2, coBase, ybase, nv);
  put(3u, a3, coBase, ybase, nv);
  if (TC > 4u) {
    put(4u, a4, coBase, ybase, nv);
    put(5u, a5, coBase, ybase, nv);
    put(6u, a6, coBase, ybase, nv);
    put(7u, a7, coBase, ybase, nv);
  }
  if (TC > 8u) {
    put(8u, a8, coBase, ybase, nv);
    put(9u, a9, coBase, ybase, nv);
    put(10u, a10, coBase, ybase, nv);
    put(11u, a11, coBase, ybase, nv);
  }
  if (TC > 12u) {
    put(12u, a12, coBase, ybase, nv);
    put(13u, a13, coBase, ybase, nv);
    put(14u, a14, coBase, ybase, nv);
    put(15u, a15, coBase, ybase, nv);
  }
  if (TC > 16u) {
    put(16u, a16, coBase, ybase, nv);
    put(17u, a17, coBase, ybase, nv);
    put(18u, a18, coBase, ybase, nv);
    put(19u, a19, coBase, ybase, nv);
  }
  if (TC > 20u) {
    put(20u, a20, coBase, ybase, nv);
    put(21u, a21, coBase, ybase, nv);
    put(22u, a22, coBase, ybase, nv);
    put(23u, a23, coBase, ybase, nv);
  }
  if (TC > 24u) {
    put(24u, a24, coBase, ybase, nv);
    put(25u, a25, coBase, ybase, nv);
    put(26u, a26, coBase, ybase, nv);
    put(27u, a27, coBase, ybase, nv);
  }
  if (TC > 28u) {
    put(28u, a28, coBase, ybase, nv);
    put(29u, a29, coBase, ybase, nv);
    put(30u, a30, coBase, ybase, nv);
    put(31u, a31, coBase, ybase, nv);
  }
  if (WIDE) {
    let nvb = nvAll - nv;
    let yb = ybase + TP;
    put(0u, b0, coBase, yb, nvb);
    put(1u, b1, coBase, yb, nvb);
    put(2u, b2, coBase, yb, nvb);
    put(3u, b3, coBase, yb, nvb);
    if (TC > 4u) {
      put(4u, b4, coBase, yb, nvb);
      put(5u, b5, coBase, yb, nvb);
      put(6u, b6, coBase, yb, nvb);
      put(7u, b7, coBase, yb, nvb);
    }
    if (TC > 8u) {
      put(8u, b8, coBase, yb, nvb);
      put(9u, b9, coBase, yb, nvb);
      put(10u, b10, coBase, yb, nvb);
      put(11u, b11, coBase, yb, nvb);
    }
    if (TC > 12u) {
      put(12u, b12, coBase, yb, nvb);
      put(13u, b13, coBase, yb, nvb);
      put(14u, b14, coBase, yb, nvb);
      put(15u, b15, coBase, yb, nvb);
    }
    if (TC > 16u) {
      put(16u, b16, coBase, yb, nvb);
      put(17u, b17, coBase, yb, nvb);
      put(18u, b18, coBase, yb, nvb);
      put(19u, b19, coBase, yb, nvb);
    }
    if (TC > 20u) {
      put(20u, b20, coBase, yb, nvb);
      put(21u, b21, coBase, yb, nvb);
      put(22u, b22, coBase, yb, nvb);
      put(23u, b23, coBase, yb, nvb);
    }
    if (TC > 24u) {
      put(24u, b24, coBase, yb, nvb);
      put(25u, b25, coBase, yb, nvb);
      put(26u, b26, coBase, yb, nvb);
      put(27u, b27, coBase, yb, nvb);
    }
    if (TC > 28u) {
      put(28u, b28, coBase, yb, nvb);
      put(29u, b29, coBase, yb, nvb);
      put(30u, b30, coBase, yb, nvb);
      put(31u, b31, coBase, yb, nvb);
    }
  }
}
