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

// a[c] += w[c] * v and b[c] += w[c] * u (eight pixels per invocation, one weight load for both).
fn tapw(wi: u32, v: vec4<f32>, u: vec4<f32>) {
  let w = wp[wi / 4u + lane8];
  let w0 = vec4<f32>(subgroupBroadcast(w.x, 0u));
  a0 = fma(w0, v, a0);
  b0 = fma(w0, u, b0);
  let w1 = vec4<f32>(subgroupBroadcast(w.y, 0u));
  a1 = fma(w1, v, a1);
  b1 = fma(w1, u, b1);
  let w2 = vec4<f32>(subgroupBroadcast(w.z, 0u));
  a2 = fma(w2, v, a2);
  b2 = fma(w2, u, b2);
  let w3 = vec4<f32>(subgroupBroadcast(w.w, 0u));
  a3 = fma(w3, v, a3);
  b3 = fma(w3, u, b3);
  let w4 = vec4<f32>(subgroupBroadcast(w.x, 1u));
  a4 = fma(w4, v, a4);
  b4 = fma(w4, u, b4);
  let w5 = vec4<f32>(subgroupBroadcast(w.y, 1u));
  a5 = fma(w5, v, a5);
  b5 = fma(w5, u, b5);
  let w6 = vec4<f32>(subgroupBroadcast(w.z, 1u));
  a6 = fma(w6, v, a6);
  b6 = fma(w6, u, b6);
  let w7 = vec4<f32>(subgroupBroadcast(w.w, 1u));
  a7 = fma(w7, v, a7);
  b7 = fma(w7, u, b7);
  let w8 = vec4<f32>(subgroupBroadcast(w.x, 2u));
  a8 = fma(w8, v, a8);
  b8 = fma(w8, u, b8);
  let w9 = vec4<f32>(subgroupBroadcast(w.y, 2u));
  a9 = fma(w9, v, a9);
  b9 = fma(w9, u, b9);
  let w10 = vec4<f32>(subgroupBroadcast(w.z, 2u));
  a10 = fma(w10, v, a10);
  b10 = fma(w10, u, b10);
  let w11 = vec4<f32>(subgroupBroadcast(w.w, 2u));
  a11 = fma(w11, v, a11);
  b11 = fma(w11, u, b11);
  let w12 = vec4<f32>(subgroupBroadcast(w.x, 3u));
  a12 = fma(w12, v, a12);
  b12 = fma(w12, u, b12);
  let w13 = vec4<f32>(subgroupBroadcast(w.y, 3u));
  a13 = fma(w13, v, a13);
  b13 = fma(w13, u, b13);
  let w14 = vec4<f32>(subgroupBroadcast(w.z, 3u));
  a14 = fma(w14, v, a14);
  b14 = fma(w14, u, b14);
  let w15 = vec4<f32>(subgroupBroadcast(w.w, 3u));
  a15 = fma(w15, v, a15);
  b15 = fma(w15, u, b15);
  let w16 = vec4<f32>(subgroupBroadcast(w.x, 4u));
  a16 = fma(w16, v, a16);
  b16 = fma(w16, u, b16);
  let w17 = vec4<f32>(subgroupBroadcast(w.y, 4u));
  a17 = fma(w17, v, a17);
  b17 = fma(w17, u, b17);
  let w18 = vec4<f32>(subgroupBroadcast(w.z, 4u));
  a18 = fma(w18, v, a18);
  b18 = fma(w18, u, b18);
  let w19 = vec4<f32>(subgroupBroadcast(w.w, 4u));
  a19 = fma(w19, v, a19);
  b19 = fma(w19, u, b19);
  let w20 = vec4<f32>(subgroupBroadcast(w.x, 5u));
  a20 = fma(w20, v, a20);
  b20 = fma(w20, u, b20);
  let w21 = vec4<f32>(subgroupBroadcast(w.y, 5u));
  a21 = fma(w21, v, a21);
  b21 = fma(w21, u, b21);
  let w22 = vec4<f32>(subgroupBroadcast(w.z, 5u));
  a22 = fma(w22, v, a22);
  b22 = fma(w22, u, b22);
  let w23 = vec4<f32>(subgroupBroadcast(w.w, 5u));
  a23 = fma(w23, v, a23);
  b23 = fma(w23, u, b23);
  let w24 = vec4<f32>(subgroupBroadcast(w.x, 6u));
  a24 = fma(w24, v, a24);
  b24 = fma(w24, u, b24);
  let w25 = vec4<f32>(subgroupBroadcast(w.y, 6u));
  a25 = fma(w25, v, a25);
  b25 = fma(w25, u, b25);
  let w26 = vec4<f32>(subgroupBroadcast(w.z, 6u));
  a26 = fma(w26, v, a26);
  b26 = fma(w26, u, b26);
  let w27 = vec4<f32>(subgroupBroadcast(w.w, 6u));
  a27 = fma(w27, v, a27);
  b27 = fma(w27, u, b27);
  let w28 = vec4<f32>(subgroupBroadcast(w.x, 7u));
  a28 = fma(w28, v, a28);
  b28 = fma(w28, u, b28);
  let w29 = vec4<f32>(subgroupBroadcast(w.y, 7u));
  a29 = fma(w29, v, a29);
  b29 = fma(w29, u, b29);
  let w30 = vec4<f32>(subgroupBroadcast(w.z, 7u));
  a30 = fma(w30, v, a30);
  b30 = fma(w30, u, b30);
  let w31 = vec4<f32>(subgroupBroadcast(w.w, 7u));
  a31 = fma(w31, v, a31);
  b31 = fma(w31, u, b31);
}
