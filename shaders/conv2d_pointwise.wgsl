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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let pblk = wid.x + (wid.z % p.zFold) * nwg.x;
  let coBase = wid.y * TCO;
  let HW = p.HW;

  var pix: array<u32, 4>;
  var ok: array<bool, 4>;
  var xi: array<u32, 4>;
  let xb = n * p.Cin * HW;
  for (var j = 0u; j < TP; j++) {
    let q = pblk * (WG * TP) + j * WG + lid;
    pix[j] = q;
    ok[j] = q < HW;
    xi[j] = xb + min(q, HW - 1u);
  }
  var wrow: array<u32, 16>;
  for (var c = 0u; c < TCO; c++) { wrow[c] = min(coBase + c, p.Cout - 1u) * p.wsO; }

  var acc: array<vec4<f32>, 16>;
  var wr = 0u;
  for (var ci = 0u; ci < p.Cin; ci++) {
    var xv: vec4<f32>;
    for (var j = 0u; j < TP; j++) { xv[j] = x[xi[j]]; xi[j] += HW; }
    for (var c = 0u; c < TCO; c++) {
      acc[c] = fma(vec4<f32>(w[wrow[c] + wr]), xv, acc[c]);
    }
    wr += p.wsR;
  }

  let ybase = (n * p.coTot + p.coOff) * HW;
  for (var c = 0u; c < TCO; c++) {
    let co = coBase + c;
    if (co < p.Cout) {
      var bias = 0.0;
      if (HAS_BIAS) { bias = b[co]; }
      for (var j = 0u; j < TP; j++) {
        if (ok[j]) {
          var v = acc[c][j] + bias;
          if (RELU) { v = max(v, 0.0); }
          let yi = ybase + co * HW + pix[j];
          if (ACC) { v += y[yi]; }
          y[yi] = v;
        }
      }
    }
  }
}
