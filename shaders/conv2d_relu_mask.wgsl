// ReLU mask of an output gradient, vec4 at a time: gm = (y <= 0 ? 0 : g) over the channel slice [cOff, cOff + Cout)
// of [N, cTot, HW] tensors (g and y), written compact as [N, Cout, HW]. Per image the slice is one contiguous
// run, so the pass is flat; conv2d.ts uses it when every run starts and ends on a multiple of 4 (else, or with
// a bias gradient, conv2d_bias_grad.wgsl). Each invocation does V consecutive vec4s (index arithmetic and
// launch cost per invocation are paid once per 4V values).
//! params: run4 stride4 off4 total4
@group(0) @binding(0) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> gm: array<vec4<f32>>;
//! const: WG, V

// One vec4: gm[i] from the slice element (n, k). 0 where y <= 0: a NaN output passes its gradient, as torch's
// threshold_backward. Past the end, the last vec4 again with its own value (an unconditional load and store:
// SwiftShader pays a branch and a masked scatter for a guarded one).
fn maskOne(i: u32, n: u32, k: u32) {
  let over = i >= p.total4;
  let src = select(n * p.stride4 + p.off4 + k, (p.total4 / p.run4 - 1u) * p.stride4 + p.off4 + p.run4 - 1u, over);
  gm[min(i, p.total4 - 1u)] = select(g[src], vec4<f32>(0.0), y[src] <= vec4<f32>(0.0));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * V;
  if (i0 >= p.total4) { return; }
  // One division per invocation (lavapipe divides one lane at a time); the run boundary is tracked after, and
  // the first four vec4s are spelled out, not looped (SwiftShader runs every loop iteration under lane masks).
  let n0 = i0 / p.run4;
  var nk = vec2<u32>(n0, i0 - n0 * p.run4);
  maskOne(i0, nk.x, nk.y);
  if (V > 1u) { nk = nextNk(nk); maskOne(i0 + 1u, nk.x, nk.y); }
  if (V > 2u) { nk = nextNk(nk); maskOne(i0 + 2u, nk.x, nk.y); }
  if (V > 3u) { nk = nextNk(nk); maskOne(i0 + 3u, nk.x, nk.y); }
  for (var j = 4u; j < V; j++) { nk = nextNk(nk); maskOne(i0 + j, nk.x, nk.y); }
}

// The slice element after (n, k): k + 1, or the next image's first.
fn nextNk(nk: vec2<u32>) -> vec2<u32> {
  let k = nk.y + 1u;
  return select(vec2<u32>(nk.x, k), vec2<u32>(nk.x + 1u, 0u), k == p.run4);
}
