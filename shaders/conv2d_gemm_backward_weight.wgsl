// Implicit-GEMM weight gradient of a convolution, tiled in workgroup memory (src/ops/conv_gemm.ts):
//   part[z, m, j] = sum_{r in chunk z} A[m, r] * B[r, j]
// M = Cout, columns = K = Cin * KH * KW weight columns (j = (ci * KH + kh) * KW + kw), the reduction over
// r = (n, oy, ox) < N * Ho * Wo split into chunks of `chunk` (a multiple of 16) along z; the chunks' partial
// sums are added by conv2d_reduce (or written straight into dw when there is one chunk).
// A[co, r] = gm[n, co, oy, ox] (the masked output gradient), B[r, j] = x[n, ci, oy * s - pad + kh, ox * s -
// pad + kw] (0 outside the image). Both tiles are staged with r fastest across lanes (neighbouring lanes read
// neighbouring pixels), so each invocation stages one r per slice and decomposes it once.
struct Params {
  M: u32, NC: u32, R: u32, HoWo: u32,
  Cin: u32, H: u32, W: u32, Wo: u32,
  KH: u32, KW: u32, stride: u32, pad: u32,
  chunk: u32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//! const: BM, BN, WGS, KHc, KWc
const BK: u32 = 16u;
const AS: u32 = 65u;

var<workgroup> As: array<f32, 1040>; // [BK][AS]
var<workgroup> Bs: array<f32, 1040>; // [BK][AS]

@compute @workgroup_size(WGS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let TX = BN / 4u;
  let TY = BM / 4u;
  let tx = tid % TX;
  let ty = tid / TX;
  let m0 = wid.y * BM;
  let j0 = wid.x * BN;
  let KH = select(p.KH, KHc, KHc != 0u);
  let KW = select(p.KW, KWc, KWc != 0u);
  let KK = KH * KW;
  let rBeg = wid.z * p.chunk;
  let rEnd = min(p.R, rBeg + p.chunk);
  // This invocation stages reduction row kk = tid % 16 of every slice, rows m (A) / columns j (B) from tid / 16.
  let kk = tid % BK;
  let e0 = tid / BK;
  let eStep = WGS / BK;
  let plane = p.H * p.W;

  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);

  for (var r0 = rBeg; r0 < rEnd; r0 += BK) {
    let r = r0 + kk;
    let rOk = r < rEnd;
    let rc = min(r, p.R - 1u);
    let n = rc / p.HoWo;
    let pq = rc - n * p.HoWo;
    let oy = pq / p.Wo;
    let ox = pq - oy * p.Wo;
    let iy0 = i32(oy * p.stride) - i32(p.pad);
    let ix0 = i32(ox * p.stride) - i32(p.pad);
    let gBase = n * p.M * p.HoWo + pq;
    let xBase = n * p.Cin * plane;
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
      let ci = j / KK;
      let q = j - ci * KK;
      let kh = q / KW;
      let kw = q - kh * KW;
      let iy = iy0 + i32(kh);
      let ix = ix0 + i32(kw);
      let ok = rOk && j < p.NC && iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
      var v = 0.0;
      if (ok) { v = x[xBase + ci * plane + u32(iy) * p.W + u32(ix)]; }
      Bs[kk * AS + jj] = v;
    }
    workgroupBarrier();
    for (var t = 0u; t < BK; t++) {
      let ar = t * AS + ty;
      let a = vec4<f32>(As[ar], As[ar + TY], As[ar + 2u * TY], As[ar + 3u * TY]);
      let br = t * AS + tx;
      let bv = vec4<f32>(Bs[br], Bs[br + TX], Bs[br + 2u * TX], Bs[br + 3u * TX]);
      c0 += a.x * bv;
      c1 += a.y * bv;
      c2 += a.z * bv;
      c3 += a.w * bv;
    }
    workgroupBarrier();
  }

  let base = wid.z * p.M * p.NC;
  store(c0, base, m0 + ty, j0 + tx, TX);
  store(c1, base, m0 + ty + TY, j0 + tx, TX);
  store(c2, base, m0 + ty + 2u * TY, j0 + tx, TX);
  store(c3, base, m0 + ty + 3u * TY, j0 + tx, TX);
}

fn store(c: vec4<f32>, base: u32, m: u32, jb: u32, TX: u32) {
  if (m >= p.M) { return; }
  for (var q = 0u; q < 4u; q++) {
    let j = jb + q * TX;
    if (j < p.NC) { part[base + m * p.NC + j] = c[q]; }
  }
}
