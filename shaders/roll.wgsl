// torch.roll over the last two dims: y[.., i, j] = x[.., (i − sy) mod H, (j − sx) mod W], one thread per
// segment of E pixels of a row; n = rows (planes × H). sy in [0, H) and sx in [0, W) (normalised on the CPU).
//! params: n H W sy sx
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
//! const: WG, E

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // One invocation per segment of E pixels of one row (the divisions are paid once per segment).
  let i = gid.x + gid.y * nwg.x * WG;
  let segs = (p.W + E - 1u) / E;
  if (i >= p.n * segs) { return; }
  let row = i / segs;
  let j0 = (i - row * segs) * E;
  let r = row % p.H;
  let plane = row / p.H;
  let si = (r + p.H - p.sy) % p.H;
  var sj = (j0 + p.W - p.sx) % p.W;
  let src = (plane * p.H + si) * p.W;
  let dst = row * p.W;
  for (var e = 0u; e < E; e++) {
    let j = j0 + e;
    if (j >= p.W) { return; }
    y[dst + j] = x[src + sj];
    sj++;
    if (sj == p.W) { sj = 0u; }
  }
}
