// Per-channel clamp over dim 1 (channel c = (i / inner) mod C), C <= 128.
// Entry `main`:     out = clamp(a, lo[c], hi[c])                 (a = x; b is bound but unused)
// Entry `backward`: out = b where lo[c] <= a <= hi[c], else 0    (a = x, b = output gradient)
struct Params {
  n: u32, C: u32, inner: u32, _p0: u32,
  lo: array<vec4<f32>, 32>,
  hi: array<vec4<f32>, 32>,
}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
override WG: u32 = 256u;
// Elements per invocation.
const E: u32 = 4u;

fn channel(i: u32) -> u32 { return (i / p.inner) % p.C; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n) { return; }
    let c = channel(i);
    out[i] = min(max(a[i], p.lo[c / 4u][c % 4u]), p.hi[c / 4u][c % 4u]);
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n) { return; }
    let c = channel(i);
    let v = a[i];
    let inside = v >= p.lo[c / 4u][c % 4u] && v <= p.hi[c / 4u][c % 4u];
    out[i] = select(0.0, b[i], inside);
  }
}
