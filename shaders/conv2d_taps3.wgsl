// The three taps of a kernel row for the register-tiled conv bodies (conv2d_forward, conv2d_backward_input):
// one channel-major tap3 / tap3w call when ROWS (each spilled accumulator read and written once per row:
// lavapipe), else three tap() / tapw() calls (SwiftShader's preset). The same sums in the same order.
//! requires: tap tapw tap3 tap3w
//! provides: taps3 taps3w
//! const: TC
//! const: ROWS: bool

// Three consecutive taps (weights from wi on): one channel-major tap3 call (ROWS) or three tap() calls.
fn taps3(wi: u32, v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>) {
  if (ROWS) {
    tap3(wi, v0, v1, v2);
  } else {
    tap(wi, v0);
    tap(wi + TC, v1);
    tap(wi + 2u * TC, v2);
  }
}

// The same for the wide tiles (pixels 4..7 in u).
fn taps3w(wi: u32, v0: vec4<f32>, u0: vec4<f32>, v1: vec4<f32>, u1: vec4<f32>, v2: vec4<f32>, u2: vec4<f32>) {
  if (ROWS) {
    tap3w(wi, v0, u0, v1, u1, v2, u2);
  } else {
    tapw(wi, v0, u0);
    tapw(wi + TC, v1, u1);
    tapw(wi + 2u * TC, v2, u2);
  }
}
