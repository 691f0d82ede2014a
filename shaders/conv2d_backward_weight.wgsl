// Weight gradient of conv2d, first pass: a split reduction over r = (n, oy, ox) in [0, N*Ho*Wo).
//   part[chunk, co, k] = sum_{r in chunk} g[n, co, oy, ox] * x[n, ci, oy*s - pad + kh, ox*s - pad + kw]
// with k = (ci*KH + kh)*KW + kw. Chunks of `chunk` reduction steps run in parallel (wid.z); a second pass
// (conv2d_reduce.wgsl) sums the chunks (skipped when there is one chunk and part is dw itself).
// Kernel body: composed with a weight-tap file (conv2d_tap_*.wgsl) and conv2d_tile.wgsl (accumulators, putA).
//! requires: tap laneSetup putA convLane
//! provides: put
// Here the tap's "weights" are the output gradient, packed by conv2d_pack.wgsl so that the TC channels of
// one step r are contiguous (wp[(cb*R + r)*TC + c] = g[n, cb*TC + c, oy, ox]); each invocation accumulates
// TC output channels x TP consecutive weight columns k (a0..a31: one vec4 of columns per channel).
// Geometry (convGrid in src/ops/conv.ts; conv2d_lane.wgsl): lane L = wid.x * WG + local index, channel block
// cb = L / itemsPad, column group = L % itemsPad; chunk = wid.z.
//! params: Cin H W Cout Ho Wo KH KW
//! params: stride pad K R chunk items itemsPad cBlocks
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;

//! const: WG
// Weight columns per invocation (1..4); TC (a multiple of 4 up to 32 channels) by the tile.
//! const: TP

// Channel c of the tile (columns k0.. of output channel coBase + c of this chunk); base = chunk * Cout * K + k0.
fn put(c: u32, a: vec4<f32>, coBase: u32, base: u32, nv: u32) {
  let co = coBase + c;
  if (co >= p.Cout) { return; }
  let row = base + co * p.K;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) { part[row + j] = a[j]; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  laneSetup();
  let chunkIdx = wid.z;
  let ln = convLane(wid.x * WG + lid);
  let cb = ln.cb;
  let k0 = ln.item * TP;
  var nv = 0u;
  if (ln.valid) { nv = min(TP, p.K - k0); }
  let KK = p.KH * p.KW;
  let HW = p.H * p.W;
  let HoWo = p.Ho * p.Wo;
  let H = i32(p.H);
  let W = i32(p.W);

  // Per column j: offset of its input plane and its tap relative to the output pixel's corner.
  var xoff = vec4<u32>();
  var khp = vec4<i32>();
  var kwp = vec4<i32>();
  for (var j = 0u; j < TP; j++) {
    let kk = min(k0 + j, p.K - 1u);
    let ci = kk / KK;
    let rem = kk - ci * KK;
    let kh = rem / p.KW;
    xoff[j] = ci * HW;
    khp[j] = i32(kh) - i32(p.pad);
    kwp[j] = i32(rem - kh * p.KW) - i32(p.pad);
  }

  let r0 = chunkIdx * p.chunk;
  let r1 = min(r0 + p.chunk, p.R);
  var n = r0 / HoWo;
  let q = r0 - n * HoWo;
  var oy = q / p.Wo;
  var ox = q - oy * p.Wo;
  var xb = n * p.Cin * HW;
  var wi = (cb * p.R + r0) * TC;
  for (var r = r0; r < r1; r++) {
    let iy = vec4<i32>(i32(oy * p.stride)) + khp;
    let ix = vec4<i32>(i32(ox * p.stride)) + kwp;
    let inb = (iy >= vec4<i32>(0)) & (iy < vec4<i32>(H)) & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(W));
    let idx = select(vec4<u32>(0u), vec4<u32>(xb) + xoff + vec4<u32>(iy * W + ix), inb);
    var xv = vec4<f32>(x[idx.x], 0.0, 0.0, 0.0);
    if (TP > 1u) { xv.y = x[idx.y]; }
    if (TP > 2u) { xv.z = x[idx.z]; }
    if (TP > 3u) { xv.w = x[idx.w]; }
    tap(wi, select(vec4<f32>(0.0), xv, inb));
    wi += TC;
    ox++;
    if (ox == p.Wo) {
      ox = 0u;
      oy++;
      if (oy == p.Ho) {
        oy = 0u;
        n++;
        xb += p.Cin * HW;
      }
    }
  }

  putA(cb * TC, chunkIdx * p.Cout * p.K + k0, nv);
}
