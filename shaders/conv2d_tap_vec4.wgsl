// Weight taps of the register-tiled conv kernels, plain variant (no subgroups). The TypeScript side puts
// this file in front of conv2d_forward.wgsl, conv2d_pointwise.wgsl, conv2d_backward_input.wgsl or
// conv2d_backward_weight.wgsl; those bodies call laneSetup() once and tap(wi, v) per reduction step.
// Accumulators a0..a15: channel c of the invocation's TC channels, one vec4 of pixels each.
// The weight is packed by conv2d_pack.wgsl: the TC weights of one step start at wp[wi] (wi a multiple of 4),
// read with TC/4 vec4 loads (on lavapipe a vec4 load costs about two scalar loads; uniform scalar loads
// cost as much as gathers).
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;

override TC: u32 = 16u;

var<private> a0: vec4<f32>;
var<private> a1: vec4<f32>;
var<private> a2: vec4<f32>;
var<private> a3: vec4<f32>;
var<private> a4: vec4<f32>;
var<private> a5: vec4<f32>;
var<private> a6: vec4<f32>;
var<private> a7: vec4<f32>;
var<private> a8: vec4<f32>;
var<private> a9: vec4<f32>;
var<private> a10: vec4<f32>;
var<private> a11: vec4<f32>;
var<private> a12: vec4<f32>;
var<private> a13: vec4<f32>;
var<private> a14: vec4<f32>;
var<private> a15: vec4<f32>;

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
}
