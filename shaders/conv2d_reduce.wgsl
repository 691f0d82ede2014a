// Second pass of the split reductions of the conv gradients (weight and bias):
//   out[j] = sum_{c < C} part[c * M + j]   for j < M.
// One invocation per output; consecutive lanes read consecutive addresses.
//! params: M C
@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
//! const: WG

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= p.M) { return; }
  var acc = 0.0;
  var i = j;
  for (var c = 0u; c < p.C; c++) {
    acc += part[i];
    i += p.M;
  }
  out[j] = acc;
}
