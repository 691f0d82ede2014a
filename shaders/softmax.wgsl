// Softmax / log-softmax along one axis, numerically stable (the row max is subtracted before exp).
// Rows (Params, rowBase) and the workgroup reductions: softmax_rows.wgsl.
//! requires: Params rowBase wgReduce
//   LOG = 0: y = exp(x − m) / s        m = max_k x, s = Σ_k exp(x − m)
//   LOG = 1: y = (x − m) − log(s)
// Entry `main`: one thread per row (short rows or many rows); `main_wg`: one workgroup per row, tree-combined.
// Non-finite values as PyTorch, whatever max() does with NaN: a NaN or +Inf in a row puts exp(NaN) or
// exp(Inf − Inf) into s, so the whole row is NaN; −Inf gives 0 (log-softmax −Inf); a row of only −Inf is NaN.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
//! const: LOG, WG
const LOWEST: f32 = -3.4028234e38; // about the lowest finite f32

fn outOf(v: f32, m: f32, s: f32, ls: f32) -> f32 {
  if (LOG == 1u) { return (v - m) - ls; }
  return exp(v - m) / s;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.rows) { return; }
  let base = rowBase(r);
  let st = p.inner;
  var m = x[base];
  for (var k = 1u; k < p.K; k++) { m = max(m, x[base + k * st]); }
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) { s += exp(x[base + k * st] - m); }
  let ls = log(s);
  for (var k = 0u; k < p.K; k++) {
    let j = base + k * st;
    y[j] = outOf(x[j], m, s, ls);
  }
}

@compute @workgroup_size(WG)
fn main_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.rows) { return; } // uniform: the whole workgroup leaves
  let base = rowBase(r);
  let st = p.inner;
  var m = LOWEST;
  for (var k = lid; k < p.K; k += WG) { m = max(m, x[base + k * st]); }
  m = wgReduce(m, lid, true);
  var s = 0.0;
  for (var k = lid; k < p.K; k += WG) { s += exp(x[base + k * st] - m); }
  s = wgReduce(s, lid, false);
  let ls = log(s);
  for (var k = lid; k < p.K; k += WG) {
    let j = base + k * st;
    y[j] = outOf(x[j], m, s, ls);
  }
}
