// Block copies for concat / slice (and their gradients). A tensor is viewed as `outer` rows; a row of src
// is srcInner long, a row of dst dstInner long.
// Entry `copy_block`: one thread per copied element (o, j < len): dst[o·dstInner + dstOff + j] = src[o·srcInner + srcOff + j].
// Entry `pad_block`: one thread per dst element (o, j < dstInner): the same copy where dstOff <= j < dstOff + len,
//               zero elsewhere (the gradient of slice).
//! params: n len srcInner srcOff dstInner dstOff
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
//! const: WG

@compute @workgroup_size(WG)
fn copy_block(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = i / p.len;
  let j = i % p.len;
  dst[o * p.dstInner + p.dstOff + j] = src[o * p.srcInner + p.srcOff + j];
}

@compute @workgroup_size(WG)
fn pad_block(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = i / p.dstInner;
  let j = i % p.dstInner;
  var v = 0.0;
  if (j >= p.dstOff && j < p.dstOff + p.len) { v = src[o * p.srcInner + p.srcOff + (j - p.dstOff)]; }
  dst[i] = v;
}
