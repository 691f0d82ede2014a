// Row gather of class scores and its gradient (gather form, no atomics). x is [N, K], idx[n] in [0, K)
// (checked on the CPU before the dispatch).
//   main:     dst[n] = src[n·K + idx[n]]                      (n < N;    src = x [N, K], dst [N])
//   backward: dst[j] = src[j / K] if j % K == idx[j / K] else 0 (j < N·K; src = g [N],   dst = gx [N, K])
//! params: n K lists
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
//! const: WG

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= p.n) { return; }
  dst[n] = src[n * p.K + idx[n]];
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= p.n) { return; }
  let row = j / p.K;
  dst[j] = select(0.0, src[row], idx[row] == j % p.K);
}

// takeRows: dst[n, j] = src[idx[n], j] for n < N, j < M (n = p.n items, M = p.K row length).
@compute @workgroup_size(WG)
fn take(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let n = i / p.K;
  dst[i] = src[idx[n] * p.K + (i - n * p.K)];
}

// Gradient of takeRows, gathered: dst[r, j] = sum of src[n, j] over the positions n listed for row r. idx
// holds the rows' lists as CSR: idx[r] .. idx[r + 1] (R + 1 offsets) index into idx[R + 1 + k] = n.
@compute @workgroup_size(WG)
fn take_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let r = i / p.K;
  let j = i - r * p.K;
  let lists = p.lists;
  var acc = 0.0;
  for (var k = idx[r]; k < idx[r + 1u]; k++) { acc += src[idx[lists + k] * p.K + j]; }
  dst[i] = acc;
}
