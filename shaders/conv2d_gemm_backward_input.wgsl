// Implicit-GEMM input gradient of a convolution, tiled in workgroup memory (src/ops/conv_gemm.ts), gather
// form (no col2im, no atomics): dx[n, m, iy, ix] (+)= sum_k A[m, k] * B[k, (n, iy, ix)] with
// M = Cin, columns = N * H * W input pixels, K = Cout * KH * KW (k = (co * KH + kh) * KW + kw),
// A[ci, k] = w[co, ci, kh, kw] and B[k, (n, iy, ix)] = gm[n, co, oy, ox] where oy = (iy + pad - kh) / stride
// when that divides evenly and lands inside the output (else 0), likewise ox. gm is the (masked) output
// gradient [N, Cout, Ho, Wo]. Tiles as in conv2d_gemm_forward.wgsl: BM x BN per workgroup, K in slices of
// 16 through workgroup memory, a 4 x 4 register block per invocation, ascending k per output.
struct Params {
  M: u32, NC: u32, K: u32, HW: u32,
  Cout: u32, Ho: u32, Wo: u32, W: u32,
  KH: u32, KW: u32, stride: u32, pad: u32,
  acc: u32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//! const: BM, BN, WGS, KHc, KWc
const BK: u32 = 16u;
const AS: u32 = 65u;

var<workgroup> As: array<f32, 1040>; // [BK][AS]
var<workgroup> Bs: array<f32, 1024>; // [BK][BN]

@compute @workgroup_size(WGS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let TX = BN / 4u;
  let TY = BM / 4u;
  let tx = tid % TX;
  let ty = tid / TX;
  let m0 = wid.y * BM;
  let j0 = (wid.x + wid.z * nwg.x) * BN;
  let KH = select(p.KH, KHc, KHc != 0u);
  let KW = select(p.KW, KWc, KWc != 0u);
  let KK = KH * KW;
  let s = i32(p.stride);

  // The B column this invocation stages: input pixel j = (n, iy, ix).
  let bj = tid % BN;
  let j = j0 + bj;
  let jOk = j < p.NC;
  let jc = min(j, p.NC - 1u);
  let n = jc / p.HW;
  let pq = jc - n * p.HW;
  let iy = pq / p.W;
  let ix = pq - iy * p.W;
  let ty0 = i32(iy + p.pad);
  let tx0 = i32(ix + p.pad);
  let gBase = n * p.Cout * p.Ho * p.Wo;
  let bRow0 = tid / BN;
  let bRowStep = WGS / BN;
  let wCo = p.M * KK; // stride of co in w

  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var i = 0u; i < BM * BK / WGS; i++) {
      let e = tid + i * WGS;
      let kk = e % BK;
      let m = e / BK;
      let k = k0 + kk;
      let mm = m0 + m;
      var v = 0.0;
      if (k < p.K && mm < p.M) {
        let co = k / KK;
        v = w[co * wCo + mm * KK + (k - co * KK)];
      }
      As[kk * AS + m] = v;
    }
    for (var i = 0u; i < BK * BN / WGS; i++) {
      let kk = bRow0 + i * bRowStep;
      let k = k0 + kk;
      let co = k / KK;
      let r = k - co * KK;
      let kh = r / KW;
      let kw = r - kh * KW;
      let dy = ty0 - i32(kh);
      let dxx = tx0 - i32(kw);
      let oy = dy / s;
      let ox = dxx / s;
      let ok = jOk && k < p.K && dy >= 0 && dxx >= 0 && oy * s == dy && ox * s == dxx && oy < i32(p.Ho) && ox < i32(p.Wo);
      var v = 0.0;
      if (ok) { v = g[gBase + (co * p.Ho + u32(oy)) * p.Wo + u32(ox)]; }
      Bs[kk * BN + bj] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let ar = kk * AS + ty;
      let a = vec4<f32>(As[ar], As[ar + TY], As[ar + 2u * TY], As[ar + 3u * TY]);
      let br = kk * BN + tx;
      let bv = vec4<f32>(Bs[br], Bs[br + TX], Bs[br + 2u * TX], Bs[br + 3u * TX]);
      c0 += a.x * bv;
      c1 += a.y * bv;
      c2 += a.z * bv;
      c3 += a.w * bv;
    }
    workgroupBarrier();
  }

  store(c0, m0 + ty, j0 + tx, TX);
  store(c1, m0 + ty + TY, j0 + tx, TX);
  store(c2, m0 + ty + 2u * TY, j0 + tx, TX);
  store(c3, m0 + ty + 3u * TY, j0 + tx, TX);
}

fn store(c: vec4<f32>, m: u32, jb: u32, TX: u32) {
  if (m >= p.M) { return; }
  for (var q = 0u; q < 4u; q++) {
    let j = jb + q * TX;
    if (j < p.NC) {
      let n = j / p.HW;
      let idx = (n * p.M + m) * p.HW + (j - n * p.HW);
      var v = c[q];
      if (p.acc != 0u) { v += dx[idx]; }
      dx[idx] = v;
    }
  }
}
