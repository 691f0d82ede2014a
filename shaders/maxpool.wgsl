// Max pooling over NCHW, one thread per output (n, c, oh, ow). The window starts at (oh·sH − pH, ow·sW − pW)
// and is clipped to the input (padding is −∞); the FIRST maximum in row-major window order wins (strict >,
// a NaN wins as in PyTorch). SAVE = 1 also writes the arg-max (h·W + w within the plane) for the backward.
struct Params {
  n: u32, H: u32, W: u32, Ho: u32,
  Wo: u32, kH: u32, kW: u32, sH: u32,
  sW: u32, pH: u32, pW: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;
override SAVE: u32 = 1u;
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let ow = i % p.Wo;
  let t = i / p.Wo;
  let oh = t % p.Ho;
  let nc = t / p.Ho;
  let h0 = i32(oh * p.sH) - i32(p.pH);
  let w0 = i32(ow * p.sW) - i32(p.pW);
  let hs = u32(max(h0, 0));
  let ws = u32(max(w0, 0));
  let he = u32(min(h0 + i32(p.kH), i32(p.H)));
  let we = u32(min(w0 + i32(p.kW), i32(p.W)));
  let base = nc * p.H * p.W;
  var bi = hs * p.W + ws;
  var best = x[base + bi];
  for (var h = hs; h < he; h++) {
    for (var w = ws; w < we; w++) {
      let v = x[base + h * p.W + w];
      if (v > best || v != v) {
        best = v;
        bi = h * p.W + w;
      }
    }
  }
  out[i] = best;
  if (SAVE == 1u) { idx[i] = bi; }
}
