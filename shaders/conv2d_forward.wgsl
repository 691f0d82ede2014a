// Direct 2-D convolution, NCHW, any kernel size / stride / symmetric zero padding, bias and ReLU fused
// into the epilogue. Register tiling without workgroup memory: each invocation computes TCO output
// channels x TP output pixels. The channel block comes from the workgroup id (so weight loads are
// uniform across the workgroup: scalar loads on lavapipe), the lanes of a workgroup run over output
// pixels (pixel j of lane l is blockBase + j*WG + l). The output may be a channel slice [coOff,
// coOff + Cout) of a tensor with coTot channels (fire-module expand writes both convs into one buffer).
//
// Geometry (see convGrid in src/ops/conv.ts): wid.x + (wid.z % zFold) * nwg.x = pixel block,
// wid.z / zFold = image, wid.y = output channel block.
struct Params {
  Cin: u32, H: u32, W: u32, Cout: u32,
  Ho: u32, Wo: u32, KH: u32, KW: u32,
  stride: u32, pad: u32, coOff: u32, coTot: u32,
  zFold: u32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 64u;
// Output channels per invocation (1..16) and pixels per invocation (1..4).
override TCO: u32 = 8u;
override TP: u32 = 2u;
override HAS_BIAS: bool = true;
override RELU: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let pblk = wid.x + (wid.z % p.zFold) * nwg.x;
  let coBase = wid.y * TCO;
  let HoWo = p.Ho * p.Wo;
  let HW = p.H * p.W;
  let KK = p.KH * p.KW;
  let CinKK = p.Cin * KK;

  // Per pixel: validity, top-left input corner.
  var pix: array<u32, 4>;
  var ok: array<bool, 4>;
  var iy0: array<i32, 4>;
  var ix0: array<i32, 4>;
  for (var j = 0u; j < TP; j++) {
    let q = pblk * (WG * TP) + j * WG + lid;
    pix[j] = q;
    ok[j] = q < HoWo;
    let oy = q / p.Wo;
    let ox = q - oy * p.Wo;
    iy0[j] = i32(oy * p.stride) - i32(p.pad);
    ix0[j] = i32(ox * p.stride) - i32(p.pad);
  }
  // Weight row of each output channel (clamped: rows past Cout compute garbage that is never stored).
  var wrow: array<u32, 16>;
  for (var c = 0u; c < TCO; c++) { wrow[c] = min(coBase + c, p.Cout - 1u) * CinKK; }

  var acc: array<vec4<f32>, 16>;
  let H = i32(p.H);
  let W = i32(p.W);
  var xc = n * p.Cin * HW;
  var wk = 0u;
  for (var ci = 0u; ci < p.Cin; ci++) {
    for (var kh = 0u; kh < p.KH; kh++) {
      var rowOff: array<i32, 4>;
      var rowOk: array<bool, 4>;
      for (var j = 0u; j < TP; j++) {
        let iy = iy0[j] + i32(kh);
        rowOk[j] = ok[j] && iy >= 0 && iy < H;
        rowOff[j] = i32(xc) + iy * W;
      }
      for (var kw = 0u; kw < p.KW; kw++) {
        var xv: vec4<f32>;
        for (var j = 0u; j < TP; j++) {
          let ix = ix0[j] + i32(kw);
          let inb = rowOk[j] && ix >= 0 && ix < W;
          let v = x[select(0u, u32(rowOff[j] + ix), inb)];
          xv[j] = select(0.0, v, inb);
        }
        for (var c = 0u; c < TCO; c++) {
          acc[c] = fma(vec4<f32>(w[wrow[c] + wk]), xv, acc[c]);
        }
        wk++;
      }
    }
    xc += HW;
  }

  let ybase = (n * p.coTot + p.coOff) * HoWo;
  for (var c = 0u; c < TCO; c++) {
    let co = coBase + c;
    if (co < p.Cout) {
      var bias = 0.0;
      if (HAS_BIAS) { bias = b[co]; }
      for (var j = 0u; j < TP; j++) {
        if (ok[j]) {
          var v = acc[c][j] + bias;
          if (RELU) { v = max(v, 0.0); }
          y[ybase + co * HoWo + pix[j]] = v;
        }
      }
    }
  }
}
