// Implicit-GEMM weight gradient of a convolution, tiled in workgroup memory (src/ops/conv_gemm.ts):
//   part[z, m, j] = sum_{r in chunk z} A[m, r] * B[r, j]
// M = Cout, columns = K = Cin * KH * KW weight columns (j = (ci * KH + kh) * KW + kw), the reduction over
// r = (n, oy, ox) < N * Ho * Wo split into chunks of `chunk` (a multiple of 16) along z; the chunks' partial
// sums are added by conv2d_reduce (or written straight into dw when there is one chunk).
// A[co, r] = gm[n, co, oy, ox] (the masked output gradient), B[r, j] = x[n, ci, oy * s - pad + kh, ox * s -
// pad + kw] (0 outside the image). Both tiles are staged with r fastest across lanes (neighbouring lanes read
// neighbouring pixels), so each invocation stages one r per slice and decomposes it once.
//! params: M NC R HoWo Cin H W Wo
//! params: KH KW stride pad chunk
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;

// Tile step, register block and load helpers: conv2d_gemm_tile.wgsl (constants BM, BN, WGS, KHc, KWc).
//! requires: tileAt tileStep tileStore splitPixel splitTap kernelHW
//! provides: store

// Where this workgroup's chunk of partial sums starts in `part` (read by store).
var<private> zBase: u32;

@compute @workgroup_size(WGS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  var t = tileAt(tid);
  let m0 = wid.y * BM;
  let j0 = wid.x * BN;
  let ks = kernelHW(p.KH, p.KW);
  let rBeg = wid.z * p.chunk;
  let rEnd = min(p.R, rBeg + p.chunk);
  // This invocation stages reduction row kk = tid % 16 of every slice, rows m (A) / columns j (B) from tid / 16.
  let kk = tid % BK;
  let e0 = tid / BK;
  let eStep = WGS / BK;
  let plane = p.H * p.W;
  zBase = wid.z * p.M * p.NC;

  for (var r0 = rBeg; r0 < rEnd; r0 += BK) {
    let r = r0 + kk;
    let rOk = r < rEnd;
    let px = splitPixel(min(r, p.R - 1u), p.HoWo, p.Wo);
    let iy0 = i32(px.y * p.stride) - i32(p.pad);
    let ix0 = i32(px.z * p.stride) - i32(p.pad);
    let gBase = px.x * p.M * p.HoWo + px.y * p.Wo + px.z;
    let xBase = px.x * p.Cin * plane;
    for (var i = 0u; i < BM * BK / WGS; i++) {
      let m = e0 + i * eStep;
      let mm = m0 + m;
      var v = 0.0;
      if (rOk && mm < p.M) { v = g[gBase + mm * p.HoWo]; }
      As[kk * AS + m] = v;
    }
    for (var i = 0u; i < BN * BK / WGS; i++) {
      let jj = e0 + i * eStep;
      let j = j0 + jj;
      let tap = splitTap(j, ks);
      let iy = iy0 + i32(tap.y);
      let ix = ix0 + i32(tap.z);
      let ok = rOk && j < p.NC && iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
      var v = 0.0;
      if (ok) { v = x[xBase + tap.x * plane + u32(iy) * p.W + u32(ix)]; }
      Bs[kk * AS + jj] = v;
    }
    tileStep(&t);
  }
  tileStore(t, m0, j0);
}

fn store(c: vec4<f32>, m: u32, jb: u32, TX: u32) {
  if (m >= p.M) { return; }
  for (var q = 0u; q < 4u; q++) {
    let j = jb + q * TX;
    if (j < p.NC) { part[zBase + m * p.NC + j] = c[q]; }
  }
}
