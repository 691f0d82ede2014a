// Gradient preparation of a conv's output gradient g, in one pass over it:
//   MASK: gm = g * (y > 0) (the fused ReLU's gradient), written compactly as [N, Cout, HW];
//   BIAS: partial bias gradients part[n * nSeg + seg, co] = sum over one segment of `seg` pixels of gm
//         (conv2d_reduce.wgsl sums the N*nSeg rows into db).
// g and y may be a channel slice [cOff, cOff + Cout) of a tensor with cTot channels (fire-module expand).
// One invocation per (n, co, segment).
struct Params {
  Cout: u32, HW: u32, cOff: u32, cTot: u32,
  seg: u32, nSeg: u32, total: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> gm: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
override WG: u32 = 64u;
override MASK: bool = true;
override BIAS: bool = true;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.total) { return; }
  let sg = i % p.nSeg;
  let t = i / p.nSeg;
  let co = t % p.Cout;
  let n = t / p.Cout;
  let src = (n * p.cTot + p.cOff + co) * p.HW;
  let dst = (n * p.Cout + co) * p.HW;
  let q0 = sg * p.seg;
  let q1 = min(q0 + p.seg, p.HW);
  var acc = 0.0;
  for (var q = q0; q < q1; q++) {
    var v = g[src + q];
    if (MASK) {
      v = select(0.0, v, y[src + q] > 0.0);
      gm[dst + q] = v;
    }
    acc += v;
  }
  if (BIAS) { part[(n * p.nSeg + sg) * p.Cout + co] = acc; }
}
