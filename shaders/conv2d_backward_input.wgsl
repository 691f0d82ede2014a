// Input gradient of conv2d in gather form (a transposed convolution, no atomics):
//   dx[n, ci, iy, ix] = sum_co sum_kh sum_kw g[n, co, oy, ox] * w[co, ci, kh, kw]
// over the (oy, ox) with oy*s - pad + kh = iy, ox*s - pad + kw = ix inside the output.
// Stride is handled by phases: input pixels are split into s*s classes (iy % s, ix % s) = (ry, rx); inside
// one class the contributing taps are kh = kh0 + s*a (kh0 = (ry + pad) % s) with oy = ty + dy0 - a, so
// no lane tests divisibility and all lanes of a workgroup run the same taps. The class is uniform per
// workgroup (wid.y = phase * ciBlocks + input channel block). Within a class the problem is a stride-1
// correlation, so consecutive pixels tx0..tx0+TP-1 of a lane share a sliding window of g (one new load
// per tap instead of TP).
// Register tiling as the forward: TCI input channels x TP pixels per invocation (a0..a15), the weight
// packed transposed by conv2d_pack.wgsl (TCI/4 uniform vec4 loads per tap).
// ACC = true adds into dx (the fire-module backward sums the gradients of its two convolutions).
struct Params {
  Cin: u32, H: u32, W: u32, Cout: u32,
  Ho: u32, Wo: u32, KH: u32, KW: u32,
  stride: u32, pad: u32, Ty: u32, Tx: u32,
  zFold: u32, ciBlocks: u32, groupsX: u32, items: u32,
}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG: u32 = 64u;
// Input channels per invocation (4, 8, 12 or 16) and pixels per invocation (1..4).
override TCI: u32 = 16u;
override TP: u32 = 4u;
override ACC: bool = false;

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

// One tap: accumulate the TCI weights at wp[wi..] times the pixels v.
fn tap(wi: u32, v: vec4<f32>) {
  let w0 = wp[wi];
  a0 = fma(vec4<f32>(w0.x), v, a0);
  a1 = fma(vec4<f32>(w0.y), v, a1);
  a2 = fma(vec4<f32>(w0.z), v, a2);
  a3 = fma(vec4<f32>(w0.w), v, a3);
  if (TCI > 4u) {
    let w1 = wp[wi + 1u];
    a4 = fma(vec4<f32>(w1.x), v, a4);
    a5 = fma(vec4<f32>(w1.y), v, a5);
    a6 = fma(vec4<f32>(w1.z), v, a6);
    a7 = fma(vec4<f32>(w1.w), v, a7);
  }
  if (TCI > 8u) {
    let w2 = wp[wi + 2u];
    a8 = fma(vec4<f32>(w2.x), v, a8);
    a9 = fma(vec4<f32>(w2.y), v, a9);
    a10 = fma(vec4<f32>(w2.z), v, a10);
    a11 = fma(vec4<f32>(w2.w), v, a11);
  }
  if (TCI > 12u) {
    let w3 = wp[wi + 3u];
    a12 = fma(vec4<f32>(w3.x), v, a12);
    a13 = fma(vec4<f32>(w3.y), v, a13);
    a14 = fma(vec4<f32>(w3.z), v, a14);
    a15 = fma(vec4<f32>(w3.w), v, a15);
  }
}

// g[row + ox] or 0 outside the output row / when the row is outside the output.
fn ld(row: i32, ox: i32, rowOk: bool) -> f32 {
  let inb = rowOk && ox >= 0 && ox < i32(p.Wo);
  let v = g[select(0u, u32(row + ox), inb)];
  return select(0.0, v, inb);
}

fn put(c: u32, ciBase: u32, a: vec4<f32>, base: u32, s: u32, nv: u32) {
  let ci = ciBase + c;
  if (ci >= p.Cin) { return; }
  let row = base + ci * p.H * p.W;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      let i = row + j * s;
      var v = a[j];
      if (ACC) { v += dx[i]; }
      dx[i] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let item = (wid.x + (wid.z % p.zFold) * nwg.x) * WG + lid;
  let it = min(item, p.items - 1u);
  let phase = wid.y / p.ciBlocks;
  let cb = wid.y - phase * p.ciBlocks;
  let ciBase = cb * TCI;
  let s = p.stride;
  let ry = phase / s;
  let rx = phase - ry * s;
  let kh0 = (ry + p.pad) % s;
  let kw0 = (rx + p.pad) % s;
  let dy0 = i32((ry + p.pad - kh0) / s);
  let dx0 = i32((rx + p.pad - kw0) / s);
  let ty = it / p.groupsX;
  let tx0 = (it - ty * p.groupsX) * TP;
  let iy = ry + s * ty;
  // Pixels of this phase in the row: ix = rx + s * tx < W.
  let txEnd = (p.W - min(rx, p.W) + s - 1u) / s;
  var nv = 0u;
  if (item < p.items && iy < p.H && tx0 < txEnd) { nv = min(TP, txEnd - tx0); }
  let KK = p.KH * p.KW;
  let TC4 = TCI / 4u;
  let wb = cb * p.Cout * KK * TC4;
  let oxb = i32(tx0) + dx0;

  for (var co = 0u; co < p.Cout; co++) {
    let plane = i32((n * p.Cout + co) * p.Ho);
    var a = 0;
    for (var kh = kh0; kh < p.KH; kh += s) {
      let oy = i32(ty) + dy0 - a;
      let rowOk = nv > 0u && oy >= 0 && oy < i32(p.Ho);
      let row = (plane + oy) * i32(p.Wo);
      let wr = wb + (co * KK + kh * p.KW) * TC4;
      if (kw0 < p.KW) {
        // Tap bb = 0 (kw = kw0): pixel j reads ox = oxb + j; each later tap shifts the window by one.
        var v = vec4<f32>(ld(row, oxb, rowOk), 0.0, 0.0, 0.0);
        if (TP > 1u) { v.y = ld(row, oxb + 1, rowOk); }
        if (TP > 2u) { v.z = ld(row, oxb + 2, rowOk); }
        if (TP > 3u) { v.w = ld(row, oxb + 3, rowOk); }
        tap(wr + kw0 * TC4, v);
        var bb = 1;
        for (var kw = kw0 + s; kw < p.KW; kw += s) {
          let nx = ld(row, oxb - bb, rowOk);
          if (TP == 1u) { v = vec4<f32>(nx, 0.0, 0.0, 0.0); }
          if (TP == 2u) { v = vec4<f32>(nx, v.x, 0.0, 0.0); }
          if (TP == 3u) { v = vec4<f32>(nx, v.x, v.y, 0.0); }
          if (TP == 4u) { v = vec4<f32>(nx, v.x, v.y, v.z); }
          tap(wr + kw * TC4, v);
          bb++;
        }
      }
      a++;
    }
  }

  let base = n * p.Cin * p.H * p.W + iy * p.W + rx + s * tx0;
  put(0u, ciBase, a0, base, s, nv);
  put(1u, ciBase, a1, base, s, nv);
  put(2u, ciBase, a2, base, s, nv);
  put(3u, ciBase, a3, base, s, nv);
  if (TCI > 4u) {
    put(4u, ciBase, a4, base, s, nv);
    put(5u, ciBase, a5, base, s, nv);
    put(6u, ciBase, a6, base, s, nv);
    put(7u, ciBase, a7, base, s, nv);
  }
  if (TCI > 8u) {
    put(8u, ciBase, a8, base, s, nv);
    put(9u, ciBase, a9, base, s, nv);
    put(10u, ciBase, a10, base, s, nv);
    put(11u, ciBase, a11, base, s, nv);
  }
  if (TCI > 12u) {
    put(12u, ciBase, a12, base, s, nv);
    put(13u, ciBase, a13, base, s, nv);
    put(14u, ciBase, a14, base, s, nv);
    put(15u, ciBase, a15, base, s, nv);
  }
}
