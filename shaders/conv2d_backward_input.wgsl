// Input gradient of conv2d in gather form (a transposed convolution, no atomics):
//   dx[n, ci, iy, ix] = sum_co sum_kh sum_kw g[n, co, oy, ox] * w[co, ci, kh, kw]
// over the (oy, ox) with oy*s - pad + kh = iy, ox*s - pad + kw = ix inside the output.
// Kernel body: composed with a weight-tap file (conv2d_tap_*.wgsl: the weight packed transposed in `wp`,
// tap()) and conv2d_tile.wgsl (the accumulators a0..a31 and putA, which stores them through put() below).
//! requires: tap taps3 laneSetup putA foldedLane
//! provides: put
// Stride is handled by phases: input pixels are split into s*s classes (iy % s, ix % s) = (ry, rx); inside
// one class the contributing taps are kh = kh0 + s*a (kh0 = (ry + pad) % s) with oy = ty + dy0 - a, so
// no lane tests divisibility and all lanes of a workgroup run the same taps. The class is uniform per
// workgroup (wid.y). Within a class the problem is a stride-1 correlation, so the TP consecutive pixels
// of an invocation share a sliding window of g (one new load per tap instead of TP).
// Each invocation accumulates TC input channels x TP pixels. ACC = 1 adds into dx (the fire-module
// backward sums the gradients of its two convolutions).
// Lanes: conv2d_lane.wgsl (foldedLane).
//! params: Cin H W Cout Ho Wo KH KW
//! params: stride pad Ty Tx zFold groupsX items itemsPad
//! params: cBlocks
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

//! const: WG
// Pixels per invocation (1..4); TC (a multiple of 4 up to 32 channels) by the tile.
//! const: TP
// Kernel size and stride as constants when nonzero (the tap loops then unroll), else read from p.
//! const: KHc, KWc, Sc
// The three taps of a row in one channel-major call (tap3): each accumulator read and written once per row.
//! const: ROWS: bool
// Add into dx (the fire-module backward sums two gradients); a constant (see conv2d_pointwise.wgsl).
//! const: ACC: bool

// g[row + ox], or 0 outside the output row or when the row is outside the output.
fn ld(row: i32, ox: i32, rowOk: bool) -> f32 {
  let inb = rowOk && ox >= 0 && ox < i32(p.Wo);
  let v = g[select(0u, u32(row + ox), inb)];
  return select(0.0, v, inb);
}

fn put(c: u32, a: vec4<f32>, ciBase: u32, base: u32, nv: u32) {
  let ci = ciBase + c;
  if (ci >= p.Cin) { return; }
  let row = base + ci * p.H * p.W;
  for (var j = 0u; j < TP; j++) {
    if (j < nv) {
      let i = row + j * p.stride;
      var v = a[j];
      if (ACC) { v += dx[i]; }
      dx[i] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  laneSetup();
  let n = wid.z / p.zFold;
  let ln = foldedLane(wid, nwg, lid, p.zFold);
  let cb = ln.cb;
  let it = ln.item;
  let phase = wid.y;
  let s = select(p.stride, Sc, Sc != 0u);
  let KH = select(p.KH, KHc, KHc != 0u);
  let KW = select(p.KW, KWc, KWc != 0u);
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
  if (ln.valid && iy < p.H && tx0 < txEnd) { nv = min(TP, txEnd - tx0); }
  let KK = KH * KW;
  let wb = cb * p.Cout * KK * TC;
  let oxb = i32(tx0) + dx0;

  for (var co = 0u; co < p.Cout; co++) {
    let plane = i32((n * p.Cout + co) * p.Ho);
    var a = 0;
    for (var kh = kh0; kh < KH; kh += s) {
      let oy = i32(ty) + dy0 - a;
      let rowOk = nv > 0u && oy >= 0 && oy < i32(p.Ho);
      let row = (plane + oy) * i32(p.Wo);
      let wr = wb + (co * KK + kh * KW) * TC;
      // Tap bb (kw = kw0 + s*bb): pixel j reads ox = oxb + j - bb, a window shifting by one per tap. It starts
      // one step early (pixels 1..TP-1 of tap 0), so each tap loads one value and tap() is inlined once.
      var v = vec4<f32>(0.0);
      if (TP > 1u) { v.x = ld(row, oxb + 1, rowOk); }
      if (TP > 2u) { v.y = ld(row, oxb + 2, rowOk); }
      if (TP > 3u) { v.z = ld(row, oxb + 3, rowOk); }
      if (Sc == 1u && KWc == 3u) {
        // Spelled out (SwiftShader does not unroll loops; see conv2d_forward.wgsl's rowStep).
        let v0 = vec4<f32>(ld(row, oxb, rowOk), v.x, v.y, v.z);
        let v1 = vec4<f32>(ld(row, oxb - 1, rowOk), v0.x, v0.y, v0.z);
        let v2 = vec4<f32>(ld(row, oxb - 2, rowOk), v1.x, v1.y, v1.z);
        taps3(wr, v0, v1, v2);
      } else {
        var bb = 0;
        for (var kw = kw0; kw < KW; kw += s) {
          v = vec4<f32>(ld(row, oxb - bb, rowOk), v.x, v.y, v.z);
          tap(wr + kw * TC, v);
          bb++;
        }
      }
      a++;
    }
  }

  let ciBase = cb * TC;
  let base = n * p.Cin * p.H * p.W + iy * p.W + rx + s * tx0;
  putA(ciBase, base, nv);
}
