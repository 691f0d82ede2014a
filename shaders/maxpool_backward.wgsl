// Gradient of max pooling, gathered per input element (no atomics): gin[n, c, h, w] is the sum of g over
// the output windows that contain (h, w) and whose saved arg-max is h·W + w. Windows overlap when the
// stride is below the kernel (e.g. 3/2), and the last one may be partial (ceil mode).
struct Params {
  n: u32, H: u32, W: u32, Ho: u32,
  Wo: u32, kH: u32, kW: u32, sH: u32,
  sW: u32, pH: u32, pW: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> gin: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
override WG: u32 = 256u;

// First window index o with o·s − pad + k > c, i.e. ceil((c + pad − k + 1) / s), at least 0.
fn firstWindow(c: u32, k: u32, s: u32, pad: u32) -> u32 {
  let num = i32(c + pad) - i32(k) + 1;
  if (num <= 0) { return 0u; }
  return (u32(num) + s - 1u) / s;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let w = i % p.W;
  let t = i / p.W;
  let h = t % p.H;
  let nc = t / p.H;
  let me = h * p.W + w;
  let ohs = firstWindow(h, p.kH, p.sH, p.pH);
  let ows = firstWindow(w, p.kW, p.sW, p.pW);
  let ohe = min(p.Ho, (h + p.pH) / p.sH + 1u);
  let owe = min(p.Wo, (w + p.pW) / p.sW + 1u);
  var acc = 0.0;
  for (var oh = ohs; oh < ohe; oh++) {
    for (var ow = ows; ow < owe; ow++) {
      let o = (nc * p.Ho + oh) * p.Wo + ow;
      if (idx[o] == me) { acc += g[o]; }
    }
  }
  gin[i] = acc;
}
