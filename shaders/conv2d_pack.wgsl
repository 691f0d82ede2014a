// Packs conv weights for the register-tiled kernels: for channel block cb (TC channels) and reduction
// index k, the TC weights are contiguous, so a kernel reads them with TC/4 vec4 loads (on lavapipe a vec4
// load costs about as much as two scalar loads, and uniform scalar loads cost as much as a gather):
//   wp[(cb * K + k) * TC + c] = w[(cb*TC + c) * sC + (k / KK) * sA + (k % KK) * sB]   (0 past C channels)
// Forward:            C = Cout, k = ci*KK + tap, sC = Cin*KK, sA = KK,     sB = 1.
// Input gradient:     C = Cin,  k = co*KK + tap, sC = KK,     sA = Cin*KK, sB = 1  (the transposed weight).
// flip = 1 reverses the taps (k % KK -> KK - 1 - k % KK): the input gradient of a stride-1 conv as a forward
// conv over the output gradient (the weight transposed and rotated by 180 degrees).
// 1x1 kernels use KK = 1. The weight gradient packs the output gradient g [N, Cout, HoWo] the same way:
//                     C = Cout, k = n*HoWo + q,  KK = HoWo,   sC = HoWo,   sA = Cout*HoWo, sB = 1.
// One invocation per (cb, k) writes TC/4 vec4s.
//! params: C K KK total sC sA sB flip
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> wp: array<vec4<f32>>;
//! const: WG, TC

fn wv(ch: u32, off: u32) -> f32 {
  let ok = ch < p.C;
  let v = w[select(0u, ch * p.sC + off, ok)];
  return select(0.0, v, ok);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.total) { return; }
  let cb = i / p.K;
  let k = i - cb * p.K;
  let a = k / p.KK;
  let t = k - a * p.KK;
  let off = a * p.sA + select(t, p.KK - 1u - t, p.flip != 0u) * p.sB;
  let c0 = cb * TC;
  for (var m = 0u; m < TC / 4u; m++) {
    let c = c0 + 4u * m;
    wp[i * (TC / 4u) + m] = vec4<f32>(wv(c, off), wv(c + 1u, off), wv(c + 2u, off), wv(c + 3u, off));
  }
}
