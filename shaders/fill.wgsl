// y = value, vec4 at a time: n4 = ceil(n / 4) vec4s, E per invocation. The last vec4 may run up to 3 floats
// past the tensor's size: pool buffers are whole multiples of 16 bytes, so this stays inside the buffer.
//! params: n4 value: f32
@group(0) @binding(0) var<storage, read_write> y: array<vec4<f32>>;
//! const: WG, E

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n4) { return; }
    y[i] = vec4<f32>(p.value);
  }
}
