// Input gradient of conv2d in gather form (a transposed convolution, no atomics):
//   dx[n, ci, iy, ix] = sum_co sum_kh sum_kw g[n, co, oy, ox] * w[co, ci, kh, kw]
// over the (oy, ox) with oy*s - pad + kh = iy, ox*s - pad + kw = ix inside the output.
// Stride is handled by phases: input pixels are split into s*s classes (iy % s, ix % s) = (ry, rx); inside
// one class the contributing taps are kh = kh0 + s*a (kh0 = (ry + pad) % s) with oy = ty + dy0 - a, so
// no lane tests divisibility and every lane of a workgroup runs the same taps. The class is uniform per
// workgroup (wid.y = phase * ciBlocks + channel block).
// Register tiling as the forward: TCI input channels x TP pixels per invocation; weight loads are uniform.
// ACC = true adds into dx (the fire-module backward sums the gradients of its two convolutions).
struct Params {
  Cin: u32, H: u32, W: u32, Cout: u32,
  Ho: u32, Wo: u32, KH: u32, KW: u32,
  stride: u32, pad: u32, Ty: u32, Tx: u32,
  zFold: u32, ciBlocks: u32, _p0: u32, _p1: u32,
}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG: u32 = 64u;
// Input channels per invocation (1..16) and pixels per invocation (1..4).
override TCI: u32 = 8u;
override TP: u32 = 2u;
override ACC: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = wid.z / p.zFold;
  let pblk = wid.x + (wid.z % p.zFold) * nwg.x;
  let phase = wid.y / p.ciBlocks;
  let ciBase = (wid.y % p.ciBlocks) * TCI;
  let s = p.stride;
  let ry = phase / s;
  let rx = phase % s;
  let kh0 = (ry + p.pad) % s;
  let kw0 = (rx + p.pad) % s;
  let dy0 = i32((ry + p.pad - kh0) / s);
  let dx0 = i32((rx + p.pad - kw0) / s);
  let HoWo = p.Ho * p.Wo;
  let KK = p.KH * p.KW;
  let CinKK = p.Cin * KK;
  let nPhase = p.Ty * p.Tx;

  var ok: array<bool, 4>;
  var oyb: array<i32, 4>;
  var oxb: array<i32, 4>;
  var outIdx: array<u32, 4>;
  for (var j = 0u; j < TP; j++) {
    let q = pblk * (WG * TP) + j * WG + lid;
    let ty = q / p.Tx;
    let tx = q - ty * p.Tx;
    let iy = ry + s * ty;
    let ix = rx + s * tx;
    ok[j] = q < nPhase && iy < p.H && ix < p.W;
    oyb[j] = i32(ty) + dy0;
    oxb[j] = i32(tx) + dx0;
    outIdx[j] = iy * p.W + ix;
  }
  var wcol: array<u32, 16>;
  for (var c = 0u; c < TCI; c++) { wcol[c] = min(ciBase + c, p.Cin - 1u) * KK; }

  var acc: array<vec4<f32>, 16>;
  let Ho = i32(p.Ho);
  let Wo = i32(p.Wo);
  var gc = n * p.Cout * HoWo;
  var wc = 0u;
  for (var co = 0u; co < p.Cout; co++) {
    var a = 0;
    for (var kh = kh0; kh < p.KH; kh += s) {
      var rowOff: array<i32, 4>;
      var rowOk: array<bool, 4>;
      for (var j = 0u; j < TP; j++) {
        let oy = oyb[j] - a;
        rowOk[j] = ok[j] && oy >= 0 && oy < Ho;
        rowOff[j] = i32(gc) + oy * Wo;
      }
      var bb = 0;
      for (var kw = kw0; kw < p.KW; kw += s) {
        var gv: vec4<f32>;
        for (var j = 0u; j < TP; j++) {
          let ox = oxb[j] - bb;
          let inb = rowOk[j] && ox >= 0 && ox < Wo;
          let v = g[select(0u, u32(rowOff[j] + ox), inb)];
          gv[j] = select(0.0, v, inb);
        }
        let wt = wc + kh * p.KW + kw;
        for (var c = 0u; c < TCI; c++) {
          acc[c] = fma(vec4<f32>(w[wt + wcol[c]]), gv, acc[c]);
        }
        bb++;
      }
      a++;
    }
    gc += HoWo;
    wc += CinKK;
  }

  let HW = p.H * p.W;
  for (var c = 0u; c < TCI; c++) {
    let ci = ciBase + c;
    if (ci < p.Cin) {
      let base = (n * p.Cin + ci) * HW;
      for (var j = 0u; j < TP; j++) {
        if (ok[j]) {
          let i = base + outIdx[j];
          var v = acc[c][j];
          if (ACC) { v += dx[i]; }
          dx[i] = v;
        }
      }
    }
  }
}
