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

// a[c] += w[c] * v and b[c] += w[c] * u (eight pixels per invocation, one weight load for both).
fn tapw(wi: u32, v: vec4<f32>, u: vec4<f32>) {
  let w0 = wp[wi + lane8];
  let x0 = vec4<f32>(subgroupBroadcast(w0, 0u));
  a0 = fma(x0, v, a0);
  b0 = fma(x0, u, b0);
  let x1 = vec4<f32>(subgroupBroadcast(w0, 1u));
  a1 = fma(x1, v, a1);
  b1 = fma(x1, u, b1);
  let x2 = vec4<f32>(subgroupBroadcast(w0, 2u));
  a2 = fma(x2, v, a2);
  b2 = fma(x2, u, b2);
  let x3 = vec4<f32>(subgroupBroadcast(w0, 3u));
  a3 = fma(x3, v, a3);
  b3 = fma(x3, u, b3);
  if (TC > 4u) {
    let x4 = vec4<f32>(subgroupBroadcast(w0, 4u));
    a4 = fma(x4, v, a4);
    b4 = fma(x4, u, b4);
    let x5 = vec4<f32>(subgroupBroadcast(w0, 5u));
    a5 = fma(x5, v, a5);
    b5 = fma(x5, u, b5);
    let x6 = vec4<f32>(subgroupBroadcast(w0, 6u));
    a6 = fma(x6, v, a6);
    b6 = fma(x6, u, b6);
    let x7 = vec4<f32>(subgroupBroadcast(w0, 7u));
    a7 = fma(x7, v, a7);
    b7 = fma(x7, u, b7);
  }
  let w1 = wp[wi + 8u + lane8];
  if (TC > 8u) {
    let x8 = vec4<f32>(subgroupBroadcast(w1, 0u));
    a8 = fma(x8, v, a8);
    b8 = fma(x8, u, b8);
    let x9 = vec4<f32>(subgroupBroadcast(w1, 1u));
    a9 = fma(x9, v, a9);
    b9 = fma(x9, u, b9);
    let x10 = vec4<f32>(subgroupBroadcast(w1, 2u));
    a10 = fma(x10, v, a10);
    b10 = fma(x10, u, b10);
    let x11 = vec4<f32>(subgroupBroadcast(w1, 3u));
    a11 = fma(x11, v, a11);
    b11 = fma(x11, u, b11);
  }
  if (TC > 12u) {
    let x12 = vec4<f32>(subgroupBroadcast(w1, 4u));
    a12 = fma(x12, v, a12);
    b12 = fma(x12, u, b12);
    let x13 = vec4<f32>(subgroupBroadcast(w1, 5u));
    a13 = fma(x13, v, a13);
    b13 = fma(x13, u, b13);
    let x14 = vec4<f32>(subgroupBroadcast(w1, 6u));
    a14 = fma(x14, v, a14);
    b14 = fma(x14, u, b14);
    let x15 = vec4<f32>(subgroupBroadcast(w1, 7u));
    a15 = fma(x15, v, a15);
    b15 = fma(x15, u, b15);
  }
}
