// Gradient of max pooling, gathered (no atomics): gin[n, c, h, w] is the sum of g over the output windows
// that contain (h, w) and whose saved arg-max is h·W + w. Windows overlap when the stride is below the kernel
// (e.g. 3/2), and the last one may be partial (ceil mode).
// One invocation per segment of TP = 8 consecutive inputs of one row (n, c, h): it visits each window that
// touches the segment once (at most ceil(k/s) window rows × about (TP + k)/s windows), loads its arg-max and
// gradient, and adds the gradient to the accumulator lane the arg-max points at (a vec4 compare, constant
// register indices). Each (idx, g) pair is loaded once per segment instead of once per input it may hit.
struct Params {
  rows: u32, H: u32, W: u32, Ho: u32,
  Wo: u32, kH: u32, kW: u32, sH: u32,
  sW: u32, pH: u32, pW: u32, segs: u32,
}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> gin: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
override WG: u32 = 256u;
const TP: u32 = 8u;

// First window index o with o·s − pad + k > c, i.e. ceil((c + pad − k + 1) / s), at least 0.
fn firstWindow(c: u32, k: u32, s: u32, pad: u32) -> u32 {
  let num = i32(c + pad) - i32(k) + 1;
  if (num <= 0) { return 0u; }
  return (u32(num) + s - 1u) / s;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.segs) { return; }
  let seg = i % p.segs;
  let row = i / p.segs;
  let h = row % p.H;
  let nc = row / p.H;
  let w0 = seg * TP;
  let wl = min(w0 + TP, p.W) - 1u;
  let first = h * p.W + w0;
  let ohs = firstWindow(h, p.kH, p.sH, p.pH);
  let ohe = min(p.Ho, (h + p.pH) / p.sH + 1u);
  let ows = firstWindow(w0, p.kW, p.sW, p.pW);
  let owe = min(p.Wo, (wl + p.pW) / p.sW + 1u);
  let lo = vec4<u32>(0u, 1u, 2u, 3u);
  let hi = vec4<u32>(4u, 5u, 6u, 7u);
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  for (var oh = ohs; oh < ohe; oh++) {
    let ob = (nc * p.Ho + oh) * p.Wo;
    for (var ow = ows; ow < owe; ow++) {
      let o = ob + ow;
      // Position of the arg-max in the segment; wraps to a huge value when it lies before it.
      let r = vec4<u32>(idx[o] - first);
      let gv = vec4<f32>(g[o]);
      a0 += select(vec4<f32>(0.0), gv, r == lo);
      a1 += select(vec4<f32>(0.0), gv, r == hi);
    }
  }
  // Lanes past the end of the row may have caught an arg-max of the next row: they are not stored.
  let base = row * p.W + w0;
  let n = wl + 1u - w0;
  gin[base] = a0.x;
  if (n > 1u) { gin[base + 1u] = a0.y; }
  if (n > 2u) { gin[base + 2u] = a0.z; }
  if (n > 3u) { gin[base + 3u] = a0.w; }
  if (n > 4u) { gin[base + 4u] = a1.x; }
  if (n > 5u) { gin[base + 5u] = a1.y; }
  if (n > 6u) { gin[base + 6u] = a1.z; }
  if (n > 7u) { gin[base + 7u] = a1.w; }
}
