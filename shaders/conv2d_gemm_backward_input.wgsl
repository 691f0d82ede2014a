// Implicit-GEMM input gradient of a convolution, tiled in workgroup memory (src/ops/conv_gemm.ts), gather
// form (no col2im, no atomics): dx[n, m, iy, ix] (+)= sum_k A[m, k] * B[k, (n, iy, ix)] with
// M = Cin, columns = N * H * W input pixels, K = Cout * KH * KW (k = (co * KH + kh) * KW + kw),
// A[ci, k] = w[co, ci, kh, kw] and B[k, (n, iy, ix)] = gm[n, co, oy, ox] where oy = (iy + pad - kh) / stride
// when that divides evenly and lands inside the output (else 0), likewise ox. gm is the (masked) output
// gradient [N, Cout, Ho, Wo]. Tiles stepped by conv2d_gemm_tile.wgsl: BM x BN per workgroup, K in slices
// of 16 through workgroup memory, a 4 x 4 register block per invocation, ascending k per output.
//! params: M NC K HW Cout Ho Wo W
//! params: KH KW stride pad acc
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// Tile step, register block and load helpers: conv2d_gemm_tile.wgsl (constants BM, BN, WGS, KHc, KWc).
//! requires: tileAt tileStep tileStore splitPixel splitTap kernelHW
//! provides: store

@compute @workgroup_size(WGS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  var t = tileAt(tid);
  let m0 = wid.y * BM;
  let j0 = (wid.x + wid.z * nwg.x) * BN;
  let ks = kernelHW(p.KH, p.KW);
  let s = i32(p.stride);

  // The B column this invocation stages: input pixel j = (n, iy, ix).
  let bj = tid % BN;
  let jOk = j0 + bj < p.NC;
  let px = splitPixel(min(j0 + bj, p.NC - 1u), p.HW, p.W);
  let ty0 = i32(px.y + p.pad);
  let tx0 = i32(px.z + p.pad);
  let gBase = px.x * p.Cout * p.Ho * p.Wo;
  let bRow0 = tid / BN;
  let wCo = p.M * ks.z; // stride of co in w

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var i = 0u; i < BM * BK / WGS; i++) {
      let e = tid + i * WGS;
      let kk = e % BK;
      let m = e / BK;
      let k = k0 + kk;
      let mm = m0 + m;
      var v = 0.0;
      if (k < p.K && mm < p.M) {
        let co = k / ks.z;
        v = w[co * wCo + mm * ks.z + (k - co * ks.z)];
      }
      As[kk * AS + m] = v;
    }
    for (var i = 0u; i < BK * BN / WGS; i++) {
      let kk = bRow0 + i * (WGS / BN);
      let k = k0 + kk;
      let tap = splitTap(k, ks);
      let dy = ty0 - i32(tap.y);
      let dxx = tx0 - i32(tap.z);
      let oy = dy / s;
      let ox = dxx / s;
      let ok = jOk && k < p.K && dy >= 0 && dxx >= 0 && oy * s == dy && ox * s == dxx && oy < i32(p.Ho) && ox < i32(p.Wo);
      var v = 0.0;
      if (ok) { v = g[gBase + (tap.x * p.Ho + u32(oy)) * p.Wo + u32(ox)]; }
      Bs[kk * AS + bj] = v;
    }
    tileStep(&t);
  }
  tileStore(t, m0, j0);
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
