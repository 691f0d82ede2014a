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

fn dim(arr: array<vec4<u32>, 2>, d: u32) -> u32 { return arr[d / 4u][d % 4u]; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n) { return; }
    var rem = i;
    var o = 0u;
    var r = 0u;
    for (var d = i32(RANK) - 1; d >= 0; d--) {
      let s = dim(p.shape, u32(d));
      let c = rem % s;
      rem = rem / s;
      o += c * dim(p.oStride, u32(d));
      r += c * dim(p.rStride, u32(d));
    }
    if (OP == 0u) {
      gin[i] = g[o] * p.scale;
    } else {
      gin[i] = select(0.0, g[o], idx[o] == r);
    }
  }
}
