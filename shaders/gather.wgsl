// Row gather of class scores and its gradient (gather form, no atomics). x is [N, K], idx[n] in [0, K)
// (checked on the CPU before the dispatch).
//   main:     dst[n] = src[n·K + idx[n]]                      (n < N;    src = x [N, K], dst [N])
//   backward: dst[j] = src[j / K] if j % K == idx[j / K] else 0 (j < N·K; src = g [N],   dst = gx [N, K])
struct Params { n: u32, K: u32, _p0: u32, _p1: u32, }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
override WG: u32 = 256u;

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
