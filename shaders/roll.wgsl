// torch.roll over the last two dims: y[.., i, j] = x[.., (i − sy) mod H, (j − sx) mod W], one thread per
// element. sy in [0, H) and sx in [0, W) (normalised on the CPU).
struct Params { n: u32, H: u32, W: u32, sy: u32, sx: u32, _p0: u32, _p1: u32, _p2: u32, }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let j = i % p.W;
  let t = i / p.W;
  let r = t % p.H;
  let plane = t / p.H;
  let si = (r + p.H - p.sy) % p.H;
  let sj = (j + p.W - p.sx) % p.W;
  y[i] = x[(plane * p.H + si) * p.W + sj];
}
