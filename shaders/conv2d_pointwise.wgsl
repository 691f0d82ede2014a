// 1x1, stride 1, no padding convolution = a matmul per image:
//   y[n, coOff + o, q] = act(b[o] + sum_r W[o, r] x[n, r, q])     (o < Cout, r < Cin, q < HW)
// Kernel body: composed with a weight-tap file (conv2d_tap_*.wgsl: the packed weight `wp`, tap(), tapw()) and
// conv2d_tile.wgsl (accumulators, putA/putB).
//! requires: tap tapw tap3 tap3w laneSetup putA putB foldedLane epilogue
//! provides: put
// Forward: W = w [Cout, Cin]. The input
// gradient of a 1x1 conv is the same product with the transposed weight (packed transposed) and ACC = 1
// adds into y (the fire-module backward sums two gradients). Bias and ReLU fused. Each invocation
// accumulates TC channels x TP consecutive pixels. The output may be a channel slice [coOff, coOff + Cout)
// of a tensor with coTot channels, the input a slice [ciOff, ciOff + Cin) of one with ciTot channels.
// Lanes: conv2d_lane.wgsl (foldedLane); bias, ReLU, acc and the store: conv2d_epilogue.wgsl.
//! params: Cin HW Cout coOff coTot zFold items itemsPad
//! params: cBlocks hasBias relu ciOff ciTot
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//! const: WG
// Pixels per invocation (1..4); TC (a multiple of 4 up to 32 channels) by the tile.
//! const: TP
// hasBias and relu are uniform flags (epilogue only: no extra pipelines); ACC (below) is a constant.
// Eight pixels per invocation (TP = 4): accumulators a (pixels 0..3) and b (4..7), one weight load for both.
//! const: WIDE: bool
// Three input channels per channel-major call (tap3/tap3w): each accumulator read and written once per three.
//! const: ROWS: bool
// Add into y (the fire-module backward sums two gradients): a constant, so that the kernels that overwrite do
// not pay a masked load per output on SwiftShader.
//! const: ACC: bool

fn put(c: u32, a: vec4<f32>, coBase: u32, ybase: u32, nv: u32) {
  epilogue(c, a, coBase, ybase, nv, p.HW);
}

// The TP pixels of one input channel from x[i] (offsets d1..d3 clamped inside the plane).
fn pix(i: u32, d1: u32, d2: u32, d3: u32) -> vec4<f32> {
  var v = vec4<f32>(x[i], 0.0, 0.0, 0.0);
  if (TP > 1u) { v.y = x[i + d1]; }
  if (TP > 2u) { v.z = x[i + d2]; }
  if (TP > 3u) { v.w = x[i + d3]; }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  laneSetup();
  let n = wid.z / p.zFold;
  let ln = foldedLane(wid, nwg, lid, p.zFold);
  let cb = ln.cb;
  let valid = ln.valid;
  let px = select(TP, 2u * TP, WIDE);
  let q0 = ln.item * px;
  let nvAll = select(0u, min(px, p.HW - q0), valid);
  let nv = min(nvAll, TP);
  var wi = cb * p.Cin * TC;
  // Pixels past the end (last group) read a valid clamped address; their sums are never stored.
  let last = p.HW - 1u - q0;
  let d1 = min(1u, last);
  let d2 = min(2u, last);
  let d3 = min(3u, last);
  var xi = (n * p.ciTot + p.ciOff) * p.HW + q0;
  if (WIDE) {
    let d4 = min(4u, last);
    let d5 = min(5u, last);
    let d6 = min(6u, last);
    let d7 = min(7u, last);
    var ci = 0u;
    if (ROWS) {
      for (; ci + 3u <= p.Cin; ci += 3u) {
        let x1 = xi + p.HW;
        let x2 = x1 + p.HW;
        tap3w(wi, vec4<f32>(x[xi], x[xi + d1], x[xi + d2], x[xi + d3]), vec4<f32>(x[xi + d4], x[xi + d5], x[xi + d6], x[xi + d7]),
              vec4<f32>(x[x1], x[x1 + d1], x[x1 + d2], x[x1 + d3]), vec4<f32>(x[x1 + d4], x[x1 + d5], x[x1 + d6], x[x1 + d7]),
              vec4<f32>(x[x2], x[x2 + d1], x[x2 + d2], x[x2 + d3]), vec4<f32>(x[x2 + d4], x[x2 + d5], x[x2 + d6], x[x2 + d7]));
        wi += 3u * TC;
        xi += 3u * p.HW;
      }
    }
    for (; ci < p.Cin; ci++) {
      let v = vec4<f32>(x[xi], x[xi + d1], x[xi + d2], x[xi + d3]);
      let u = vec4<f32>(x[xi + d4], x[xi + d5], x[xi + d6], x[xi + d7]);
      tapw(wi, v, u);
      wi += TC;
      xi += p.HW;
    }
  } else {
    var ci = 0u;
    if (ROWS) {
      for (; ci + 3u <= p.Cin; ci += 3u) {
        tap3(wi, pix(xi, d1, d2, d3), pix(xi + p.HW, d1, d2, d3), pix(xi + 2u * p.HW, d1, d2, d3));
        wi += 3u * TC;
        xi += 3u * p.HW;
      }
    }
    for (; ci + 2u <= p.Cin; ci += 2u) {
      tap(wi, pix(xi, d1, d2, d3));
      tap(wi + TC, pix(xi + p.HW, d1, d2, d3));
      wi += 2u * TC;
      xi += 2u * p.HW;
    }
    if (ci < p.Cin) {
      tap(wi, pix(xi, d1, d2, d3));
    }
  }

  let coBase = cb * TC;
  let ybase = (n * p.coTot + p.coOff) * p.HW + q0;
  putA(coBase, ybase, nv);
  if (WIDE) { putB(coBase, ybase + TP, nvAll - nv); }
}
