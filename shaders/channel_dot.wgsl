// channelDot: out[n, q] = sum_c x[n, c, q] w[n, c]  (x [N, C, Q], w [N, C], out [N, Q]) and its gradients.
//   main:       out from a = x, b = w; four consecutive q per invocation (`groups` = ceil(Q / 4) per image)
//   backward_x: dx[n, c, q] = g[n, q] w[n, c] from a = g, b = w; four consecutive q of one (n, c)
//   backward_w: dw[n, c] = sum_q g[n, q] x[n, c, q] from a = x, b = g; one (n, c) per invocation
// Loads and stores are unconditional (SwiftShader pays a branch and a masked access for a guarded one): the
// pixels past Q read and write pixel Q - 1 (stored first, so pixel Q - 1's own value is written last).
//! params: N C Q groups
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
//! const: WG

// Offsets 1..3 of a four-pixel group from q0, clamped to pixel Q - 1.
fn offs(q0: u32) -> vec3<u32> {
  let l = p.Q - 1u - q0;
  return vec3<u32>(min(1u, l), min(2u, l), min(3u, l));
}

fn put4(o: u32, d: vec3<u32>, v: vec4<f32>) {
  out[o + d.z] = v.w;
  out[o + d.y] = v.z;
  out[o + d.x] = v.y;
  out[o] = v.x;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.N * p.groups) { return; }
  let n = i / p.groups;
  let q0 = (i - n * p.groups) * 4u;
  let d = offs(q0);
  var xi = n * p.C * p.Q + q0;
  let wb = n * p.C;
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < p.C; c++) {
    acc += vec4<f32>(a[xi], a[xi + d.x], a[xi + d.y], a[xi + d.z]) * b[wb + c];
    xi += p.Q;
  }
  put4(n * p.Q + q0, d, acc);
}

@compute @workgroup_size(WG)
fn backward_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.N * p.C * p.groups) { return; }
  let nc = i / p.groups;
  let q0 = (i - nc * p.groups) * 4u;
  let d = offs(q0);
  let gi = (nc / p.C) * p.Q + q0;
  put4(nc * p.Q + q0, d, vec4<f32>(a[gi], a[gi + d.x], a[gi + d.y], a[gi + d.z]) * b[nc]);
}

@compute @workgroup_size(WG)
fn backward_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.N * p.C) { return; }
  let xb = i * p.Q;
  let gb = (i / p.C) * p.Q;
  var acc = 0.0;
  for (var q = 0u; q < p.Q; q++) { acc += a[xb + q] * b[gb + q]; }
  out[i] = acc;
}
