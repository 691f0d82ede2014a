// Softmax / log-softmax along one axis, numerically stable (the row max is subtracted before exp).
// The tensor is viewed as [outer, K, inner]: row r = o·inner + i holds the K elements (o, :, i), at stride inner.
//   LOG = 0: y = exp(x − m) / s        m = max_k x, s = Σ_k exp(x − m)
//   LOG = 1: y = (x − m) − log(s)
// Entry `main`: one thread per row (short rows or many rows); `main_wg`: one workgroup per row, tree-combined.
// Non-finite values as PyTorch, whatever max() does with NaN: a NaN or +Inf in a row puts exp(NaN) or
// exp(Inf − Inf) into s, so the whole row is NaN; −Inf gives 0 (log-softmax −Inf); a row of only −Inf is NaN.
struct Params { rows: u32, K: u32, inner: u32, _p0: u32, }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
//! const: LOG, WG
const LOWEST: f32 = -3.4028234e38; // about the lowest finite f32

var<workgroup> red: array<f32, WG>;

fn rowBase(r: u32) -> u32 { return (r / p.inner) * p.K * p.inner + r % p.inner; }

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
  red[lid] = m;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { red[lid] = max(red[lid], red[lid + h]); }
    workgroupBarrier();
  }
  m = red[0];
  workgroupBarrier();
  var s = 0.0;
  for (var k = lid; k < p.K; k += WG) { s += exp(x[base + k * st] - m); }
  red[lid] = s;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { red[lid] = red[lid] + red[lid + h]; }
    workgroupBarrier();
  }
  s = red[0];
  let ls = log(s);
  for (var k = lid; k < p.K; k += WG) {
    let j = base + k * st;
    y[j] = outOf(x[j], m, s, ls);
  }
}
