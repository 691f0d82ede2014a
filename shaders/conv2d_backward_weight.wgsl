// Weight gradient of conv2d, first pass: a split reduction over r = (n, oy, ox) in [0, N*Ho*Wo).
//   part[chunk, co, k] = sum_{r in chunk} g[n, co, oy, ox] * x[n, ci, oy*s - pad + kh, ox*s - pad + kw]
// with k = (ci*KH + kh)*KW + kw. Chunks of `chunk` reduction steps run in parallel (wid.z); a second pass
// (conv2d_reduce.wgsl) sums the chunks (skipped when there is one chunk and part is dw itself).
// Register tiling: lanes over k (TK values of k per invocation: k = (wid.x*WG + lane)*TK + j) and TCO output
// channels per invocation from the workgroup id, so the g loads are uniform. Accumulators a0..a15 hold the
// TK columns of one channel.
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


fn put(c: u32, coBase: u32, a: vec4<f32>, chunkIdx: u32, k0: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  let base = (chunkIdx * p.Cout + co) * p.K;
  for (var j = 0u; j < TK; j++) {
    if (k0 + j < p.K) { part[base + k0 + j] = a[j]; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let chunkIdx = wid.z;
  let coBase = wid.y * TCO;
  let KK = p.KH * p.KW;
  let HW = p.H * p.W;
  let HoWo = p.Ho * p.Wo;
  let H = i32(p.H);
  let W = i32(p.W);
  let k0 = (wid.x * WG + lid) * TK;

  // Per column j: offset of its input plane and its tap relative to the output pixel's corner.
  var xoff = vec4<u32>();
  var khp = vec4<i32>();
  var kwp = vec4<i32>();
  for (var j = 0u; j < TK; j++) {
    let kk = min(k0 + j, p.K - 1u);
    let ci = kk / KK;
    let rem = kk - ci * KK;
    let kh = rem / p.KW;
    xoff[j] = ci * HW;
    khp[j] = i32(kh) - i32(p.pad);
    kwp[j] = i32(rem - kh * p.KW) - i32(p.pad);
  }
  let cl = min(coBase, p.Cout - 1u);
  let cmax = p.Cout - 1u - cl;

  let r0 = chunkIdx * p.chunk;
  let r1 = min(r0 + p.chunk, p.R);
  var n = r0 / HoWo;
  let q = r0 - n * HoWo;
  var oy = q / p.Wo;
  var ox = q - oy * p.Wo;
  // g[n, coBase + c, oy, ox] = g[gb + c * HoWo]; channels past Cout read the last channel (never stored).
  var gb = (n * p.Cout + cl) * HoWo + q;
  var xb = n * p.Cin * HW;
  for (var r = r0; r < r1; r++) {
    let iy = vec4<i32>(i32(oy * p.stride)) + khp;
    let ix = vec4<i32>(i32(ox * p.stride)) + kwp;
    let inb = (iy >= vec4<i32>(0)) & (iy < vec4<i32>(H)) & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(W));
    let idx = select(vec4<u32>(0u), vec4<u32>(xb) + xoff + vec4<u32>(iy * W + ix), inb);
    var xv = vec4<f32>(x[idx.x], 0.0, 0.0, 0.0);
    if (TK > 1u) { xv.y = x[idx.y]; }
    if (TK > 2u) { xv.z = x[idx.z]; }
    if (TK > 3u) { xv.w = x[idx.w]; }
    xv = select(vec4<f32>(0.0), xv, inb);
    a0 = fma(vec4<f32>(g[gb]), xv, a0);
    if (TCO > 1u) { a1 = fma(vec4<f32>(g[gb + min(1u, cmax) * HoWo]), xv, a1); }
    if (TCO > 2u) { a2 = fma(vec4<f32>(g[gb + min(2u, cmax) * HoWo]), xv, a2); }
    if (TCO > 3u) { a3 = fma(vec4<f32>(g[gb + min(3u, cmax) * HoWo]), xv, a3); }
    if (TCO > 4u) { a4 = fma(vec4<f32>(g[gb + min(4u, cmax) * HoWo]), xv, a4); }
    if (TCO > 5u) { a5 = fma(vec4<f32>(g[gb + min(5u, cmax) * HoWo]), xv, a5); }
    if (TCO > 6u) { a6 = fma(vec4<f32>(g[gb + min(6u, cmax) * HoWo]), xv, a6); }
    if (TCO > 7u) { a7 = fma(vec4<f32>(g[gb + min(7u, cmax) * HoWo]), xv, a7); }
    if (TCO > 8u) { a8 = fma(vec4<f32>(g[gb + min(8u, cmax) * HoWo]), xv, a8); }
    if (TCO > 9u) { a9 = fma(vec4<f32>(g[gb + min(9u, cmax) * HoWo]), xv, a9); }
    if (TCO > 10u) { a10 = fma(vec4<f32>(g[gb + min(10u, cmax) * HoWo]), xv, a10); }
    if (TCO > 11u) { a11 = fma(vec4<f32>(g[gb + min(11u, cmax) * HoWo]), xv, a11); }
    if (TCO > 12u) { a12 = fma(vec4<f32>(g[gb + min(12u, cmax) * HoWo]), xv, a12); }
    if (TCO > 13u) { a13 = fma(vec4<f32>(g[gb + min(13u, cmax) * HoWo]), xv, a13); }
    if (TCO > 14u) { a14 = fma(vec4<f32>(g[gb + min(14u, cmax) * HoWo]), xv, a14); }
    if (TCO > 15u) { a15 = fma(vec4<f32>(g[gb + min(15u, cmax) * HoWo]), xv, a15); }
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

  put(0u, coBase, a0, chunkIdx, k0);
  if (TCO > 1u) { put(1u, coBase, a1, chunkIdx, k0); }
  if (TCO > 2u) { put(2u, coBase, a2, chunkIdx, k0); }
  if (TCO > 3u) { put(3u, coBase, a3, chunkIdx, k0); }
  if (TCO > 4u) { put(4u, coBase, a4, chunkIdx, k0); }
  if (TCO > 5u) { put(5u, coBase, a5, chunkIdx, k0); }
  if (TCO > 6u) { put(6u, coBase, a6, chunkIdx, k0); }
  if (TCO > 7u) { put(7u, coBase, a7, chunkIdx, k0); }
  if (TCO > 8u) { put(8u, coBase, a8, chunkIdx, k0); }
  if (TCO > 9u) { put(9u, coBase, a9, chunkIdx, k0); }
  if (TCO > 10u) { put(10u, coBase, a10, chunkIdx, k0); }
  if (TCO > 11u) { put(11u, coBase, a11, chunkIdx, k0); }
  if (TCO > 12u) { put(12u, coBase, a12, chunkIdx, k0); }
  if (TCO > 13u) { put(13u, coBase, a13, chunkIdx, k0); }
  if (TCO > 14u) { put(14u, coBase, a14, chunkIdx, k0); }
  if (TCO > 15u) { put(15u, coBase, a15, chunkIdx, k0); }
}
