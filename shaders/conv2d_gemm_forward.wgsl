// Implicit-GEMM convolution forward, tiled in workgroup memory (for discrete GPUs; src/ops/conv_gemm.ts).
//   y[n, coOff + m, pq] (+)= act(b[m] + sum_k A[m, k] * B[k, (n, pq)])
// M = output channels, columns = N * Ho * Wo output pixels, K = Cin * KH * KW (k = (ci * KH + kh) * KW + kw).
// A[m, k] = w[m * sM + k * sK] (a conv weight [Cout, Cin, KH, KW]: sM = K, sK = 1; a transposed 1x1 weight for
// the input gradient of pointwise convs and the column gradient: sM = 1, sK = the other count), B is the
// im2col matrix of x gathered on the fly (zero outside the image). A workgroup computes a BM x BN tile of y,
// stepping through K in slices of BK = 16 staged in workgroup memory; each invocation keeps a 4 x 4 register
// block (channels ty + i * BM/4, pixels tx + j * BN/4: neighbouring lanes read neighbouring workgroup words
// and store neighbouring pixels). The sum over k runs in ascending k for every output.
// The output may be a channel slice [coOff, coOff + M) of a tensor with coTot channels (fire expand), and the
// epilogue fuses bias, ReLU (NaN stays NaN, as PyTorch's) or accumulation into y (acc).
struct Params {
  M: u32, NC: u32, K: u32, HoWo: u32,
  Cin: u32, H: u32, W: u32, Wo: u32,
  KH: u32, KW: u32, stride: u32, pad: u32,
  sM: u32, sK: u32, coOff: u32, coTot: u32,
  hasBias: u32, relu: u32, acc: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// Tile: BM channels x BN pixels (32 or 64 each), WGS = BM * BN / 16 invocations.
//! const: BM, BN, WGS
// A's loads run along m (sM == 1) instead of along k.
//! const: AM: bool
// The kernel size as constants when nonzero (divisions by constants), else read from p.
//! const: KHc, KWc
const BK: u32 = 16u;
// Row strides of the staged tiles: A padded by one word (its stores along k would hit one bank).
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

  // The B column this invocation stages (the same for every K slice): pixel j = (n, oy, ox).
  let bj = tid % BN;
  let j = j0 + bj;
  let jOk = j < p.NC;
  let jc = min(j, p.NC - 1u);
  let n = jc / p.HoWo;
  let pq = jc - n * p.HoWo;
  let oy = pq / p.Wo;
  let ox = pq - oy * p.Wo;
  let iy0 = i32(oy * p.stride) - i32(p.pad);
  let ix0 = i32(ox * p.stride) - i32(p.pad);
  let xBase = n * p.Cin * p.H * p.W;
  let bRow0 = tid / BN;
  let bRowStep = WGS / BN;

  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);

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
      let kk = bRow0 + i * bRowStep;
      let k = k0 + kk;
      let ci = k / KK;
      let r = k - ci * KK;
      let kh = r / KW;
      let kw = r - kh * KW;
      let iy = iy0 + i32(kh);
      let ix = ix0 + i32(kw);
      let ok = jOk && k < p.K && iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
      var v = 0.0;
      if (ok) { v = x[xBase + (ci * p.H + u32(iy)) * p.W + u32(ix)]; }
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
