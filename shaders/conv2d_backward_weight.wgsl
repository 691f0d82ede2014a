// Weight gradient of conv2d, first pass: a split reduction over r = (n, oy, ox) in [0, N*Ho*Wo).
//   part[chunk, co, k] = sum_{r in chunk} g[n, co, oy, ox] * x[n, ci, oy*s - pad + kh, ox*s - pad + kw]
// with k = (ci*KH + kh)*KW + kw. Chunks of `chunk` reduction steps run in parallel (wid.z); a second pass
// (conv2d_reduce.wgsl) sums the chunks (skipped when there is one chunk and part is dw itself).
// Register tiling: lanes over k (TK values of k per invocation, k = kBlock*WG*TK + j*WG + lane) and TCO
// output channels per invocation from the workgroup id, so the g loads are uniform (scalar on lavapipe).
struct Params {
  Cin: u32, H: u32, W: u32, Cout: u32,
  Ho: u32, Wo: u32, KH: u32, KW: u32,
  stride: u32, pad: u32, K: u32, R: u32,
  chunk: u32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG: u32 = 64u;
// Output channels per invocation (1..16) and weight columns k per invocation (1..4).
override TCO: u32 = 8u;
override TK: u32 = 1u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let chunkIdx = wid.z;
  let coBase = wid.y * TCO;
  let KK = p.KH * p.KW;
  let HW = p.H * p.W;
  let HoWo = p.Ho * p.Wo;
  let H = i32(p.H);
  let W = i32(p.W);

  var kok: array<bool, 4>;
  var kidx: array<u32, 4>;
  var xoff: array<u32, 4>;
  var khp: array<i32, 4>;
  var kwp: array<i32, 4>;
  for (var j = 0u; j < TK; j++) {
    let k = wid.x * (WG * TK) + j * WG + lid;
    kidx[j] = k;
    kok[j] = k < p.K;
    let kk = min(k, p.K - 1u);
    let ci = kk / KK;
    let rem = kk - ci * KK;
    let kh = rem / p.KW;
    let kw = rem - kh * p.KW;
    xoff[j] = ci * HW;
    khp[j] = i32(kh) - i32(p.pad);
    kwp[j] = i32(kw) - i32(p.pad);
  }
  var grow: array<u32, 16>;
  for (var c = 0u; c < TCO; c++) { grow[c] = min(coBase + c, p.Cout - 1u) * HoWo; }

  var acc: array<vec4<f32>, 16>;
  let r0 = chunkIdx * p.chunk;
  let r1 = min(r0 + p.chunk, p.R);
  var n = r0 / HoWo;
  let q = r0 - n * HoWo;
  var oy = q / p.Wo;
  var ox = q - oy * p.Wo;
  var gb = n * p.Cout * HoWo + q;
  var xb = n * p.Cin * HW;
  for (var r = r0; r < r1; r++) {
    let iyb = i32(oy * p.stride);
    let ixb = i32(ox * p.stride);
    var xv: vec4<f32>;
    for (var j = 0u; j < TK; j++) {
      let iy = iyb + khp[j];
      let ix = ixb + kwp[j];
      let inb = iy >= 0 && iy < H && ix >= 0 && ix < W;
      let v = x[select(0u, xb + xoff[j] + u32(iy * W + ix), inb)];
      xv[j] = select(0.0, v, inb);
    }
    for (var c = 0u; c < TCO; c++) {
      acc[c] = fma(vec4<f32>(g[gb + grow[c]]), xv, acc[c]);
    }
    gb++;
    ox++;
    if (ox == p.Wo) {
      ox = 0u;
      oy++;
      if (oy == p.Ho) {
        oy = 0u;
        n++;
        gb += (p.Cout - 1u) * HoWo;
        xb += p.Cin * HW;
      }
    }
  }

  for (var c = 0u; c < TCO; c++) {
    let co = coBase + c;
    if (co < p.Cout) {
      let base = (chunkIdx * p.Cout + co) * p.K;
      for (var j = 0u; j < TK; j++) {
        if (kok[j]) { part[base + kidx[j]] = acc[c][j]; }
      }
    }
  }
}
