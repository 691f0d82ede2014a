enable subgroups;
// Weight taps of the register-tiled conv kernels for 32 channels, subgroup variant with vec4 loads (needs the
// 'subgroups' feature and subgroups of at least 8 invocations). Same interface as conv2d_tap_vec4.wgsl: put
// in front of a kernel body, which calls laneSetup() once (in uniform control flow, all invocations active)
// and tap(wi, v). The 32 weights of one step are contiguous (wi a multiple of 32): lane l of each run of 8
// loads weights 4l..4l+3 with one vec4 load and the others get weight c from component c % 4 of lane c / 4
// by subgroupBroadcast. On lavapipe a load costs a per-lane loop whatever its width, so one vec4 load per 32
// weights costs about a third of the four scalar loads the scalar subgroup taps would need.
@group(0) @binding(1) var<storage, read> wp: array<vec4<f32>>;

override TC: u32 = 32u;

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

// a[c] += wp[wi + c] * v for the 32 channels.
fn tap(wi: u32, v: vec4<f32>) {
  let w = wp[wi / 4u + lane8];
  a0 = fma(vec4<f32>(subgroupBroadcast(w.x, 0u)), v, a0);
  a1 = fma(vec4<f32>(subgroupBroadcast(w.y, 0u)), v, a1);
  a2 = fma(vec4<f32>(subgroupBroadcast(w.z, 0u)), v, a2);
  a3 = fma(vec4<f32>(subgroupBroadcast(w.w, 0u)), v, a3);
  a4 = fma(vec4<f32>(subgroupBroadcast(w.x, 1u)), v, a4);
  a5 = fma(vec4<f32>(subgroupBroadcast(w.y, 1u)), v, a5);
  a6 = fma(vec4<f32>(subgroupBroadcast(w.z, 1u)), v, a6);
  a7 = fma(vec4<f32>(subgroupBroadcast(w.w, 1u)), v, a7);
  a8 = fma(vec4<f32>(subgroupBroadcast(w.x, 2u)), v, a8);
  a9 = fma(vec4<f32>(subgroupBroadcast(w.y, 2u)), v, a9);
  a10 = fma(vec4<f32>(subgroupBroadcast(w.z, 2u)), v, a10);
  a11 = fma(vec4<f32>(subgroupBroadcast(w.w, 2u)), v, a11);
  a12 = fma(vec4<f32>(subgroupBroadcast(w.x, 3u)), v, a12);
  a13 = fma(vec4<f32>(subgroupBroadcast(w.y, 3u)), v, a13);
  a14 = fma(vec4<f32>(subgroupBroadcast(w.z, 3u)), v, a14);
  a15 = fma(vec4<f32>(subgroupBroadcast(w.w, 3u)), v, a15);
  a16 = fma(vec4<f32>(subgroupBroadcast(w.x, 4u)), v, a16);
  a17 = fma(vec4<f32>(subgroupBroadcast(w.y, 4u)), v, a17);
  a18 = fma(vec4<f32>(subgroupBroadcast(w.z, 4u)), v, a18);
  a19 = fma(vec4<f32>(subgroupBroadcast(w.w, 4u)), v, a19);
  a20 = fma(vec4<f32>(subgroupBroadcast(w.x, 5u)), v, a20);
  a21 = fma(vec4<f32>(subgroupBroadcast(w.y, 5u)), v, a21);
  a22 = fma(vec4<f32>(subgroupBroadcast(w.z, 5u)), v, a22);
  a23 = fma(vec4<f32>(subgroupBroadcast(w.w, 5u)), v, a23);
  a24 = fma(vec4<f32>(subgroupBroadcast(w.x, 6u)), v, a24);
  a25 = fma(vec4<f32>(subgroupBroadcast(w.y, 6u)), v, a25);
  a26 = fma(vec4<f32>(subgroupBroadcast(w.z, 6u)), v, a26);
  a27 = fma(vec4<f32>(subgroupBroadcast(w.w, 6u)), v, a27);
  a28 = fma(vec4<f32>(subgroupBroadcast(w.x, 7u)), v, a28);
  a29 = fma(vec4<f32>(subgroupBroadcast(w.y, 7u)), v, a29);
  a30 = fma(vec4<f32>(subgroupBroadcast(w.z, 7u)), v, a30);
  a31 = fma(vec4<f32>(subgroupBroadcast(w.w, 7u)), v, a31);
}
