// Epilogue of the tiled conv kernels whose put(c, acc, cBase, base, nv) stores channel c of the tile
// (conv2d_forward, conv2d_pointwise, conv2d_backward_input; src/ops/conv.ts puts this file after the tap and
// accumulator files): every channel of the TC-channel tile, from the a accumulators (pixels 0..3) or the b
// accumulators (pixels 4..7 of the wide tiles).
fn putA(cBase: u32, base: u32, nv: u32) {
  put(0u, a0, cBase, base, nv);
  put(1u, a1, cBase, base, nv);
  put(2u, a2, cBase, base, nv);
  put(3u, a3, cBase, base, nv);
  if (TC > 4u) {
    put(4u, a4, cBase, base, nv);
    put(5u, a5, cBase, base, nv);
    put(6u, a6, cBase, base, nv);
    put(7u, a7, cBase, base, nv);
  }
  if (TC > 8u) {
    put(8u, a8, cBase, base, nv);
    put(9u, a9, cBase, base, nv);
    put(10u, a10, cBase, base, nv);
    put(11u, a11, cBase, base, nv);
  }
  if (TC > 12u) {
    put(12u, a12, cBase, base, nv);
    put(13u, a13, cBase, base, nv);
    put(14u, a14, cBase, base, nv);
    put(15u, a15, cBase, base, nv);
  }
  if (TC > 16u) {
    put(16u, a16, cBase, base, nv);
    put(17u, a17, cBase, base, nv);
    put(18u, a18, cBase, base, nv);
    put(19u, a19, cBase, base, nv);
  }
  if (TC > 20u) {
    put(20u, a20, cBase, base, nv);
    put(21u, a21, cBase, base, nv);
    put(22u, a22, cBase, base, nv);
    put(23u, a23, cBase, base, nv);
  }
  if (TC > 24u) {
    put(24u, a24, cBase, base, nv);
    put(25u, a25, cBase, base, nv);
    put(26u, a26, cBase, base, nv);
    put(27u, a27, cBase, base, nv);
  }
  if (TC > 28u) {
    put(28u, a28, cBase, base, nv);
    put(29u, a29, cBase, base, nv);
    put(30u, a30, cBase, base, nv);
    put(31u, a31, cBase, base, nv);
  }
}

fn putB(cBase: u32, base: u32, nv: u32) {
  put(0u, b0, cBase, base, nv);
  put(1u, b1, cBase, base, nv);
  put(2u, b2, cBase, base, nv);
  put(3u, b3, cBase, base, nv);
  if (TC > 4u) {
    put(4u, b4, cBase, base, nv);
    put(5u, b5, cBase, base, nv);
    put(6u, b6, cBase, base, nv);
    put(7u, b7, cBase, base, nv);
  }
  if (TC > 8u) {
    put(8u, b8, cBase, base, nv);
    put(9u, b9, cBase, base, nv);
    put(10u, b10, cBase, base, nv);
    put(11u, b11, cBase, base, nv);
  }
  if (TC > 12u) {
    put(12u, b12, cBase, base, nv);
    put(13u, b13, cBase, base, nv);
    put(14u, b14, cBase, base, nv);
    put(15u, b15, cBase, base, nv);
  }
  if (TC > 16u) {
    put(16u, b16, cBase, base, nv);
    put(17u, b17, cBase, base, nv);
    put(18u, b18, cBase, base, nv);
    put(19u, b19, cBase, base, nv);
  }
  if (TC > 20u) {
    put(20u, b20, cBase, base, nv);
    put(21u, b21, cBase, base, nv);
    put(22u, b22, cBase, base, nv);
    put(23u, b23, cBase, base, nv);
  }
  if (TC > 24u) {
    put(24u, b24, cBase, base, nv);
    put(25u, b25, cBase, base, nv);
    put(26u, b26, cBase, base, nv);
    put(27u, b27, cBase, base, nv);
  }
  if (TC > 28u) {
    put(28u, b28, cBase, base, nv);
    put(29u, b29, cBase, base, nv);
    put(30u, b30, cBase, base, nv);
    put(31u, b31, cBase, base, nv);
  }
}
