// Per-channel clamp over dim 1 (channel c = (i / inner) mod C), C <= 128.
// Entry `main`:     out = clamp(a, lo[c], hi[c])                 (a = x; b is bound but unused)
// Entry `backward`: out = b where lo[c] <= a <= hi[c], else 0    (a = x, b = output gradient)
//! params: n C inner lo: vec4<f32>[32] hi: vec4<f32>[32]
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
//! const: WG
// Elements per invocation.
//! const: E

// E elements from i0 = lane * E: the channel and position in the plane of the first element (two divisions
// per invocation), then advanced element by element. `back` picks the entry (a constant once inlined).
fn sweep(i0: u32, back: bool) {
  if (i0 >= p.n) { return; }
  let q = i0 / p.inner;
  var k = i0 - q * p.inner;
  var c = q % p.C;
  var lo = p.lo[c / 4u][c % 4u];
  var hi = p.hi[c / 4u][c % 4u];
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n) { return; }
    let v = a[i];
    if (back) {
      out[i] = select(0.0, b[i], v >= lo && v <= hi);
    } else {
      // Comparisons, not min/max: NaN stays NaN (torch.clamp); WGSL leaves min/max of NaN unspecified.
      out[i] = select(select(v, lo, v < lo), hi, v > hi);
    }
    k++;
    if (k == p.inner) {
      k = 0u;
      c++;
      if (c == p.C) { c = 0u; }
      lo = p.lo[c / 4u][c % 4u];
      hi = p.hi[c / 4u][c % 4u];
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  sweep((gid.x + gid.y * nwg.x * WG) * E, false);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  sweep((gid.x + gid.y * nwg.x * WG) * E, true);
}
