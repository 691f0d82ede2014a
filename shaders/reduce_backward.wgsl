// Gradient of a reduction, gathered per input element i (no atomics):
//   OP 0 (sum/mean): gin[i] = scale * g[o(i)]
//   OP 1 (max):      gin[i] = g[o(i)] if r(i) == idx[o(i)] else 0
// For each input axis d, oStride[d] is its stride in the output (0 if reduced) and rStride[d] its
// stride in the reduced index (0 if kept).
//! params: n rank shape: vec4<u32>[2] oStride: vec4<u32>[2] rStride: vec4<u32>[2] scale: f32
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> gin: array<f32>;
//! const: OP, WG
// The rank as a constant (the loop over dimensions unrolls: shape and strides read at constant offsets).
//! const: RANK
// Input elements per invocation.
//! const: E

// One dimension of size s (output stride os, reduced stride rs) taken off the remaining index q.x.
fn digit(q: vec3<u32>, s: u32, os: u32, rs: u32) -> vec3<u32> {
  let c = q.x % s;
  return vec3<u32>(q.x / s, q.y + c * os, q.z + c * rs);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n) { return; }
    // The dimensions spelled out, innermost first, with constant indices (SwiftShader neither unrolls the loop
    // nor reads a uniform array at a loop index cheaply; the other compilers unroll it).
    var q = vec3<u32>(i, 0u, 0u); // (remaining index, output offset, reduced index)
    if (RANK > 7u) { q = digit(q, p.shape[1].w, p.oStride[1].w, p.rStride[1].w); }
    if (RANK > 6u) { q = digit(q, p.shape[1].z, p.oStride[1].z, p.rStride[1].z); }
    if (RANK > 5u) { q = digit(q, p.shape[1].y, p.oStride[1].y, p.rStride[1].y); }
    if (RANK > 4u) { q = digit(q, p.shape[1].x, p.oStride[1].x, p.rStride[1].x); }
    if (RANK > 3u) { q = digit(q, p.shape[0].w, p.oStride[0].w, p.rStride[0].w); }
    if (RANK > 2u) { q = digit(q, p.shape[0].z, p.oStride[0].z, p.rStride[0].z); }
    if (RANK > 1u) { q = digit(q, p.shape[0].y, p.oStride[0].y, p.rStride[0].y); }
    if (RANK > 0u) { q = digit(q, p.shape[0].x, p.oStride[0].x, p.rStride[0].x); }
    let o = q.y;
    let r = q.z;
    if (OP == 0u) {
      gin[i] = g[o] * p.scale;
    } else {
      gin[i] = select(0.0, g[o], idx[o] == r);
    }
  }
}
