enable subgroups;
// Weight taps of the register-tiled conv kernels, subgroup variant (needs the 'subgroups' feature and
// subgroups of at least 8 invocations). Same interface as conv2d_tap_vec4.wgsl: put in front of a kernel
// body, which calls laneSetup() once (in uniform control flow, all invocations active) and tap(wi, v).
// Every invocation of a subgroup runs the same taps with the same weights (the kernels keep the channel
// block uniform per subgroup), so lane l loads the weight of channel l % 8 with one scalar load and the
// others get it by subgroupBroadcast: one load per 8 weights instead of 8 (lavapipe turns each load into a
// per-lane loop, while a broadcast is a register extract).
@group(0) @binding(1) var<storage, read> wp: array<f32>;

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
var<private> a16: vec4<f32>;
var<private> a17: vec4<f32>;
var<private> a18: vec4<f32>;
var<private> a19: vec4<f32>;
var<private> a20: vec4<f32>;
var<private> a21: vec4<f32>;
var<private> a22: vec4<f32>;
var<private> a23: vec4<f32>;
var<private> a24: vec4<f32>;
var<private> a25: vec4<f32>;
var<private> a26: vec4<f32>;
var<private> a27: vec4<f32>;
var<private> a28: vec4<f32>;
var<private> a29: vec4<f32>;
var<private> a30: vec4<f32>;
var<private> a31: vec4<f32>;
var<private> lane8: u32;

fn laneSetup() {
  lane8 = subgroupExclusiveAdd(1u) % 8u;
}

// a[c] += wp[wi + c] * v for the TC channels. Lanes past the last channel load a neighbouring weight
// that is never broadcast.
fn tap(wi: u32, v: vec4<f32>) {
  let w0 = wp[wi + lane8];
  a0 = fma(vec4<f32>(subgroupBroadcast(w0, 0u)), v, a0);
  a1 = fma(vec4<f32>(subgroupBroadcast(w0, 1u)), v, a1);
  a2 = fma(vec4<f32>(subgroupBroadcast(w0, 2u)), v, a2);
  a3 = fma(vec4<f32>(subgroupBroadcast(w0, 3u)), v, a3);
  if (TC > 4u) {
    a4 = fma(vec4<f32>(subgroupBroadcast(w0, 4u)), v, a4);
    a5 = fma(vec4<f32>(subgroupBroadcast(w0, 5u)), v, a5);
    a6 = fma(vec4<f32>(subgroupBroadcast(w0, 6u)), v, a6);
    a7 = fma(vec4<f32>(subgroupBroadcast(w0, 7u)), v, a7);
  }
  if (TC > 8u) {
    let w1 = wp[wi + 8u + lane8];
    a8 = fma(vec4<f32>(subgroupBroadcast(w1, 0u)), v, a8);
    a9 = fma(vec4<f32>(subgroupBroadcast(w1, 1u)), v, a9);
    a10 = fma(vec4<f32>(subgroupBroadcast(w1, 2u)), v, a10);
    a11 = fma(vec4<f32>(subgroupBroadcast(w1, 3u)), v, a11);
    if (TC > 12u) {
      a12 = fma(vec4<f32>(subgroupBroadcast(w1, 4u)), v, a12);
      a13 = fma(vec4<f32>(subgroupBroadcast(w1, 5u)), v, a13);
      a14 = fma(vec4<f32>(subgroupBroadcast(w1, 6u)), v, a14);
      a15 = fma(vec4<f32>(subgroupBroadcast(w1, 7u)), v, a15);
    }
  }
}
