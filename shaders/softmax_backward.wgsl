// Gradient of softmax / log-softmax along one axis, from the forward output y and the incoming gradient g
// (rows as in softmax.wgsl; Params, rowBase and the workgroup reduction: softmax_rows.wgsl):
//! requires: Params rowBase wgReduce
//   LOG = 0: gx = y · (g − Σ_k g·y)
//   LOG = 1: gx = g − exp(y) · Σ_k g
// Entry `main`: one thread per row; `main_wg`: one workgroup per row, tree-combined.
@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
//! const: LOG, WG

fn term(j: u32) -> f32 {
  if (LOG == 1u) { return g[j]; }
  return g[j] * y[j];
}

fn outOf(j: u32, t: f32) -> f32 {
  if (LOG == 1u) { return g[j] - exp(y[j]) * t; }
  return y[j] * (g[j] - t);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.rows) { return; }
  let base = rowBase(r);
  let st = p.inner;
  var t = 0.0;
  for (var k = 0u; k < p.K; k++) { t += term(base + k * st); }
  for (var k = 0u; k < p.K; k++) {
    let j = base + k * st;
    gx[j] = outOf(j, t);
  }
}

@compute @workgroup_size(WG)
fn main_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; } // uniform: the whole workgroup leaves
  let base = rowBase(r);
  let st = p.inner;
  var t = 0.0;
  for (var k = lid; k < p.K; k += WG) { t += term(base + k * st); }
  t = wgReduce(t, lid, false);
  for (var k = lid; k < p.K; k += WG) {
    let j = base + k * st;
    gx[j] = outOf(j, t);
  }
}
