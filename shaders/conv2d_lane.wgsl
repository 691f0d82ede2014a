// Lanes of the register-tiled conv kernels (conv2d_forward, conv2d_pointwise, conv2d_backward_input,
// conv2d_backward_weight; convGrid in src/ops/conv.ts): lane L splits into the channel block cb = L / itemsPad
// and the item L % itemsPad (items past `items` are idle). itemsPad is a multiple of the subgroup size for the
// subgroup taps (the channel block is then uniform per subgroup) and equal to `items` otherwise (no idle lanes
// between channel blocks on small images). The image-folded kernels (all but the weight gradient) have
// L = (wid.x + (wid.z % zFold) * nwg.x) * WG + local index and image wid.z / zFold.
//! provides: Lane convLane foldedLane
//! const: WG

// cb and item clamped to the last valid ones (idle lanes compute, never store). The image (or chunk) is not
// here: the kernels take it from wid.z, where the uniformity analysis sees that it is uniform (the subgroup
// taps need that).
struct Lane { cb: u32, item: u32, valid: bool, }

fn convLane(L: u32) -> Lane {
  let blk = L / p.itemsPad;
  let item = L - blk * p.itemsPad;
  return Lane(min(blk, p.cBlocks - 1u), min(item, p.items - 1u), (item < p.items) & (blk < p.cBlocks));
}

// The image-folded lane (zFold: the kernel's p.zFold).
fn foldedLane(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, zFold: u32) -> Lane {
  return convLane((wid.x + (wid.z % zFold) * nwg.x) * WG + lid);
}
