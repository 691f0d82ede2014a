// Rows of the softmax kernels (softmax.wgsl, softmax_backward.wgsl) and their workgroup tree reductions.
// The tensor is viewed as [outer, K, inner]: row r = o·inner + i holds the K elements (o, :, i), at stride inner.
//! provides: Params rowBase red wgReduce
//! const: WG
//! params: rows K inner

var<workgroup> red: array<f32, WG>;

fn rowBase(r: u32) -> u32 { return (r / p.inner) * p.K * p.inner + r % p.inner; }

// The maximum (isMax) or the sum of v over the workgroup; every invocation gets it (call from uniform control flow).
fn wgReduce(v: f32, lid: u32, isMax: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) {
      let o = red[lid + h];
      red[lid] = select(red[lid] + o, max(red[lid], o), isMax);
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
