// The workgroup-memory tile step shared by the implicit-GEMM kernels (conv2d_gemm_forward.wgsl,
// conv2d_gemm_backward_input.wgsl, conv2d_gemm_backward_weight.wgsl). A workgroup computes a BM x BN tile of
// C = A * B, stepping through the reduction in slices of BK = 16 that the kernel stages in workgroup memory:
// As[kk * AS + m] (A, rows m < BM) and Bs[kk * AS + j] (B, columns j < BN), rows padded to AS = 65 words (A's
// stores along k would otherwise hit one bank). Each invocation keeps a 4 x 4 register block: rows
// ty + i * TY, columns tx + q * TX (neighbouring lanes read neighbouring workgroup words and store
// neighbouring outputs); the sum over the reduction runs in ascending order for every output.
// The kernel defines store(c, m, jb, TX): the epilogue of one register row (columns jb + q * TX).
//! requires: store
//! provides: BK AS As Bs Tile tileAt tileStep tileStore splitPixel splitTap kernelHW
// Tile: BM rows x BN columns (32 or 64 each), WGS = BM * BN / 16 invocations.
//! const: BM, BN, WGS
// The kernel size as constants when nonzero (divisions by constants), else read from p.KH / p.KW.
//! const: KHc, KWc
const BK: u32 = 16u;
const AS: u32 = 65u;

var<workgroup> As: array<f32, 1040>; // [BK][AS]
var<workgroup> Bs: array<f32, 1040>; // [BK][AS]

// An invocation's place in the tile (TX = BN / 4 lanes per row) and its accumulators: c<i> is row ty + i * TY.
struct Tile {
  TX: u32, TY: u32, tx: u32, ty: u32,
  c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32>,
}

fn tileAt(tid: u32) -> Tile {
  let TX = BN / 4u;
  let z = vec4<f32>(0.0);
  return Tile(TX, BM / 4u, tid % TX, tid / TX, z, z, z, z);
}

// One slice: waits for the staged As / Bs, accumulates their product, and waits again before the next staging.
fn tileStep(t: ptr<function, Tile>) {
  let TX = (*t).TX;
  let TY = (*t).TY;
  workgroupBarrier();
  for (var kk = 0u; kk < BK; kk++) {
    let ar = kk * AS + (*t).ty;
    let a = vec4<f32>(As[ar], As[ar + TY], As[ar + 2u * TY], As[ar + 3u * TY]);
    let br = kk * AS + (*t).tx;
    let bv = vec4<f32>(Bs[br], Bs[br + TX], Bs[br + 2u * TX], Bs[br + 3u * TX]);
    (*t).c0 += a.x * bv;
    (*t).c1 += a.y * bv;
    (*t).c2 += a.z * bv;
    (*t).c3 += a.w * bv;
  }
  workgroupBarrier();
}

// The epilogue of the tile whose corner is (m0, j0).
fn tileStore(t: Tile, m0: u32, j0: u32) {
  let m = m0 + t.ty;
  let jb = j0 + t.tx;
  store(t.c0, m, jb, t.TX);
  store(t.c1, m + t.TY, jb, t.TX);
  store(t.c2, m + 2u * t.TY, jb, t.TX);
  store(t.c3, m + 3u * t.TY, jb, t.TX);
}

// (KH, KW, KH * KW): the constants when given, else the uniform's.
fn kernelHW(KH: u32, KW: u32) -> vec3<u32> {
  let kh = select(KH, KHc, KHc != 0u);
  let kw = select(KW, KWc, KWc != 0u);
  return vec3<u32>(kh, kw, kh * kw);
}

// Pixel j of images of `plane` = rows * W pixels: (image, row, column).
fn splitPixel(j: u32, plane: u32, W: u32) -> vec3<u32> {
  let n = j / plane;
  let pq = j - n * plane;
  let y = pq / W;
  return vec3<u32>(n, y, pq - y * W);
}

// Column k = (c * KH + kh) * KW + kw of a conv weight: (c, kh, kw); kk = (KH, KW, KH * KW).
fn splitTap(k: u32, kk: vec3<u32>) -> vec3<u32> {
  let c = k / kk.z;
  let r = k - c * kk.z;
  let kh = r / kk.y;
  return vec3<u32>(c, kh, r - kh * kk.y);
}
