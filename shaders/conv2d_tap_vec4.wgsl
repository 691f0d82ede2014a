// Weight taps of the register-tiled conv kernels, plain variant (no subgroups). The TypeScript side puts
// this file in front of conv2d_forward.wgsl, conv2d_pointwise.wgsl, conv2d_backward_input.wgsl or
// conv2d_backward_weight.wgsl; those bodies call laneSetup() once and tap(wi, v) per reduction step.
// Accumulators: a0..a31 (and b0..b31 for tapw) in conv2d_accumulators.wgsl, put after this file.
// The weight is packed by conv2d_pack.wgsl: the TC weights of one step start at wp[wi] (wi a multiple of 4),
// read with TC/4 vec4 loads (on lavapipe a vec4 load costs about two scalar loads; uniform scalar loads
// cost as much as gathers).
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;

override TC: u32 = 16u;


fn laneSetup() {}

// a[c] += wp[wi + c] * v for the TC channels.
fn tap(wi: u32, v: vec4<f32>) {
  let i = wi / 4u;
  let w0 = wp[i];
  a0 = fma(vec4<f32>(w0.x), v, a0);
  a1 = fma(vec4<f32>(w0.y), v, a1);
  a2 = fma(vec4<f32>(w0.z), v, a2);
  a3 = fma(vec4<f32>(w0.w), v, a3);
  if (TC > 4u) {
    let w1 = wp[i + 1u];
    a4 = fma(vec4<f32>(w1.x), v, a4);
    a5 = fma(vec4<f32>(w1.y), v, a5);
    a6 = fma(vec4<f32>(w1.z), v, a6);
    a7 = fma(vec4<f32>(w1.w), v, a7);
  }
  if (TC > 8u) {
    let w2 = wp[i + 2u];
    a8 = fma(vec4<f32>(w2.x), v, a8);
    a9 = fma(vec4<f32>(w2.y), v, a9);
    a10 = fma(vec4<f32>(w2.z), v, a10);
    a11 = fma(vec4<f32>(w2.w), v, a11);
  }
  if (TC > 12u) {
    let w3 = wp[i + 3u];
    a12 = fma(vec4<f32>(w3.x), v, a12);
    a13 = fma(vec4<f32>(w3.y), v, a13);
    a14 = fma(vec4<f32>(w3.z), v, a14);
    a15 = fma(vec4<f32>(w3.w), v, a15);
  }
  if (TC > 16u) {
    let w4 = wp[i + 4u];
    a16 = fma(vec4<f32>(w4.x), v, a16);
    a17 = fma(vec4<f32>(w4.y), v, a17);
    a18 = fma(vec4<f32>(w4.z), v, a18);
    a19 = fma(vec4<f32>(w4.w), v, a19);
  }
  if (TC > 20u) {
    let w5 = wp[i + 5u];
    a20 = fma(vec4<f32>(w5.x), v, a20);
    a21 = fma(vec4<f32>(w5.y), v, a21);
    a22 = fma(vec4<f32>(w5.z), v, a22);
    a23 = fma(vec4<f32>(w5.w), v, a23);
  }
  if (TC > 24u) {
    let w6 = wp[i + 6u];
    a24 = fma(vec4<f32>(w6.x), v, a24);
    a25 = fma(vec4<f32>(w6.y), v, a25);
    a26 = fma(vec4<f32>(w6.z), v, a26);
    a27 = fma(vec4<f32>(w6.w), v, a27);
  }
  if (TC > 28u) {
    let w7 = wp[i + 7u];
    a28 = fma(vec4<f32>(w7.x), v, a28);
    a29 = fma(vec4<f32>(w7.y), v, a29);
    a30 = fma(vec4<f32>(w7.z), v, a30);
    a31 = fma(vec4<f32>(w7.w), v, a31);
  }
}

// a[c] += w[c] * v and b[c] += w[c] * u (eight pixels per invocation, one weight load for both).
fn tapw(wi: u32, v: vec4<f32>, u: vec4<f32>) {
  let i = wi / 4u;
  let w0 = wp[i + 0u];
  a0 = fma(vec4<f32>(w0.x), v, a0);
  b0 = fma(vec4<f32>(w0.x), u, b0);
  a1 = fma(vec4<f32>(w0.y), v, a1);
  b1 = fma(vec4<f32>(w0.y), u, b1);
  a2 = fma(vec4<f32>(w0.z), v, a2);
  b2 = fma(vec4<f32>(w0.z), u, b2);
  a3 = fma(vec4<f32>(w0.w), v, a3);
  b3 = fma(vec4<f32>(w0.w), u, b3);
  if (TC > 4u) {
    let w1 = wp[i + 1u];
    a4 = fma(vec4<f32>(w1.x), v, a4);
    b4 = fma(vec4<f32>(w1.x), u, b4);
    a5 = fma(vec4<f32>(w1.y), v, a5);
    b5 = fma(vec4<f32>(w1.y), u, b5);
    a6 = fma(vec4<f32>(w1.z), v, a6);
    b6 = fma(vec4<f32>(w1.z), u, b6);
    a7 = fma(vec4<f32>(w1.w), v, a7);
    b7 = fma(vec4<f32>(w1.w), u, b7);
  }
  if (TC > 8u) {
    let w2 = wp[i + 2u];
    a8 = fma(vec4<f32>(w2.x), v, a8);
    b8 = fma(vec4<f32>(w2.x), u, b8);
    a9 = fma(vec4<f32>(w2.y), v, a9);
    b9 = fma(vec4<f32>(w2.y), u, b9);
    a10 = fma(vec4<f32>(w2.z), v, a10);
    b10 = fma(vec4<f32>(w2.z), u, b10);
    a11 = fma(vec4<f32>(w2.w), v, a11);
    b11 = fma(vec4<f32>(w2.w), u, b11);
  }
  if (TC > 12u) {
    let w3 = wp[i + 3u];
    a12 = fma(vec4<f32>(w3.x), v, a12);
    b12 = fma(vec4<f32>(w3.x), u, b12);
    a13 = fma(vec4<f32>(w3.y), v, a13);
    b13 = fma(vec4<f32>(w3.y), u, b13);
    a14 = fma(vec4<f32>(w3.z), v, a14);
    b14 = fma(vec4<f32>(w3.z), u, b14);
    a15 = fma(vec4<f32>(w3.w), v, a15);
    b15 = fma(vec4<f32>(w3.w), u, b15);
  }
  if (TC > 16u) {
    let w4 = wp[i + 4u];
    a16 = fma(vec4<f32>(w4.x), v, a16);
    b16 = fma(vec4<f32>(w4.x), u, b16);
    a17 = fma(vec4<f32>(w4.y), v, a17);
    b17 = fma(vec4<f32>(w4.y), u, b17);
    a18 = fma(vec4<f32>(w4.z), v, a18);
    b18 = fma(vec4<f32>(w4.z), u, b18);
    a19 = fma(vec4<f32>(w4.w), v, a19);
    b19 = fma(vec4<f32>(w4.w), u, b19);
  }
  if (TC > 20u) {
    let w5 = wp[i + 5u];
    a20 = fma(vec4<f32>(w5.x), v, a20);
    b20 = fma(vec4<f32>(w5.x), u, b20);
    a21 = fma(vec4<f32>(w5.y), v, a21);
    b21 = fma(vec4<f32>(w5.y), u, b21);
    a22 = fma(vec4<f32>(w5.z), v, a22);
    b22 = fma(vec4<f32>(w5.z), u, b22);
    a23 = fma(vec4<f32>(w5.w), v, a23);
    b23 = fma(vec4<f32>(w5.w), u, b23);
  }
  if (TC > 24u) {
    let w6 = wp[i + 6u];
    a24 = fma(vec4<f32>(w6.x), v, a24);
    b24 = fma(vec4<f32>(w6.x), u, b24);
    a25 = fma(vec4<f32>(w6.y), v, a25);
    b25 = fma(vec4<f32>(w6.y), u, b25);
    a26 = fma(vec4<f32>(w6.z), v, a26);
    b26 = fma(vec4<f32>(w6.z), u, b26);
    a27 = fma(vec4<f32>(w6.w), v, a27);
    b27 = fma(vec4<f32>(w6.w), u, b27);
  }
  if (TC > 28u) {
    let w7 = wp[i + 7u];
    a28 = fma(vec4<f32>(w7.x), v, a28);
    b28 = fma(vec4<f32>(w7.x), u, b28);
    a29 = fma(vec4<f32>(w7.y), v, a29);
    b29 = fma(vec4<f32>(w7.y), u, b29);
    a30 = fma(vec4<f32>(w7.z), v, a30);
    b30 = fma(vec4<f32>(w7.z), u, b30);
    a31 = fma(vec4<f32>(w7.w), v, a31);
    b31 = fma(vec4<f32>(w7.w), u, b31);
  }
}
