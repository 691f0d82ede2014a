// Implicit-GEMM convolution forward, tiled in workgroup memory (for discrete GPUs; src/ops/conv_gemm.ts).
//   y[n, coOff + m, pq] (+)= act(b[m] + sum_k A[m, k] * B[k, (n, pq)])
// M = output channels, columns = N * Ho * Wo output pixels, K = Cin * KH * KW (k = (ci * KH + kh) * KW + kw).
// A[m, k] = w[m * sM + k * sK] (a conv weight [Cout, Cin, KH, KW]: sM = K, sK = 1; a transposed 1x1 weight for
// the input gradient of pointwise convs and the column gradient: sM = 1, sK = the other count), B is the
// im2col matrix of x gathered on the fly (zero outside the image). A workgroup computes a BM x BN tile of y
// (channels x pixels) as conv2d_gemm_tile.wgsl steps it; this file stages the slices and writes the epilogue.
// The output may be a channel slice [coOff, coOff + M) of a tensor with coTot channels (fire expand), and the
// epilogue fuses bias, ReLU (NaN stays NaN, as PyTorch's) or accumulation into y (acc).
//! params: M NC K HoWo Cin H W Wo
//! params: KH KW stride pad sM sK coOff coTot
//! params: hasBias relu acc
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// Tile step, register block and load helpers: conv2d_gemm_tile.wgsl (constants BM, BN, WGS, KHc, KWc).
//! requires: tileAt tileStep tileStore splitPixel splitTap kernelHW
//! provides: store
// A's loads run along m (sM == 1) instead of along k.
//! const: AM: bool

@compute @workgroup_size(WGS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  var t = tileAt(tid);
  let m0 = wid.y * BM;
  let j0 = (wid.x + wid.z * nwg.x) * BN;
  let ks = kernelHW(p.KH, p.KW);

  // The B column this invocation stages (the same for every K slice): pixel j = (n, oy, ox).
  let bj = tid % BN;
  let jOk = j0 + bj < p.NC;
  let px = splitPixel(min(j0 + bj, p.NC - 1u), p.HoWo, p.Wo);
  let iy0 = i32(px.y * p.stride) - i32(p.pad);
  let ix0 = i32(px.z * p.stride) - i32(p.pad);
  let xBase = px.x * p.Cin * p.H * p.W;
  let bRow0 = tid / BN;

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var i = 0u; i < BM * BK / WGS; i++) {
      let e = tid + i * WGS;
      var kk: u32;
      var m: u32;
      if (AM) { m = e % BM; kk = e / BM; } else { kk = e % BK; m = e / BK; }
      let k = k0 + kk;
      let mm = m0 + m;
      var v = 0.0;
      if (k < p.K && mm < p.M) { v = w[mm * p.sM + k * p.sK]; }
      As[kk * AS + m] = v;
    }
    for (var i = 0u; i < BK * BN / WGS; i++) {
      let kk = bRow0 + i * (WGS / BN);
      let k = k0 + kk;
      let tap = splitTap(k, ks);
      let iy = iy0 + i32(tap.y);
      let ix = ix0 + i32(tap.z);
      let ok = jOk && k < p.K && iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
      var v = 0.0;
      if (ok) { v = x[xBase + (tap.x * p.H + u32(iy)) * p.W + u32(ix)]; }
      Bs[kk * AS + bj] = v;
    }
    tileStep(&t);
  }
  tileStore(t, m0, j0);
}

fn store(c: vec4<f32>, m: u32, jb: u32, TX: u32) {
  if (m >= p.M) { return; }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = b[m]; }
  for (var q = 0u; q < 4u; q++) {
    let j = jb + q * TX;
    if (j < p.NC) {
      let n = j / p.HoWo;
      let pq = j - n * p.HoWo;
      let idx = (n * p.coTot + p.coOff + m) * p.HoWo + pq;
      var v = c[q] + bias;
      // NaN stays NaN (tested on the bits: compilers may fold v != v away).
      if (p.relu != 0u) { v = select(0.0, v, v > 0.0 || (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u); }
      if (p.acc != 0u) { v += y[idx]; }
      y[idx] = v;
    }
  }
}
