// Element i of a stack of planes of H rows x W columns (NCHW with the planes N * C): (plane, row, column).
//! provides: planeIndex
fn planeIndex(i: u32, H: u32, W: u32) -> vec3<u32> {
  let t = i / W;
  let h = t % H;
  return vec3<u32>(t / H, h, i - t * W);
}
