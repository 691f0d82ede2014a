// Gradient preparation of a conv's output gradient g, in one pass over it:
//   MASK: gm = (y <= 0 ? 0 : g) (the fused ReLU's gradient; NaN outputs pass it, as torch), written compactly as [N, Cout, HW];
//   BIAS: partial bias gradients part[n * nSeg + sg, co] = sum over segment sg (`seg` pixels) of gm
//         (conv2d_reduce.wgsl sums the N*nSeg rows into db).
// g and y may be a channel slice [cOff, cOff + Cout) of a tensor with cTot channels (fire-module expand).
// Invocation (segment sg, row r = n*Cout + co): x = segment (lanes over consecutive segments of a row),
// row = wid.y + wid.z * nwg.y (no per-element division). The segment length comes from convTuning.biasGrad.
//! params: Cout HW cOff cTot seg nSeg rows
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> gm: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
//! const: WG, MASK: bool, BIAS: bool

fn one(src: u32, dst: u32) -> f32 {
  var v = g[src];
  if (MASK) {
    v = select(v, 0.0, y[src] <= 0.0); // a NaN output passes its gradient (torch)
    gm[dst] = v;
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let sg = gid.x;
  let r = wid.y + wid.z * nwg.y;
  if (sg >= p.nSeg || r >= p.rows) { return; }
  let co = r % p.Cout;
  let n = r / p.Cout;
  let src = (n * p.cTot + p.cOff + co) * p.HW;
  let dst = r * p.HW;
  let q0 = sg * p.seg;
  let q1 = min(q0 + p.seg, p.HW);
  var acc = 0.0;
  var q = q0;
  for (; q + 4u <= q1; q += 4u) {
    acc += one(src + q, dst + q) + one(src + q + 1u, dst + q + 1u) + one(src + q + 2u, dst + q + 2u) + one(src + q + 3u, dst + q + 3u);
  }
  for (; q < q1; q++) {
    acc += one(src + q, dst + q);
  }
  if (BIAS) { part[(n * p.nSeg + sg) * p.Cout + co] = acc; }
}
