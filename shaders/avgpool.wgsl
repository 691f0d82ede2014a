// Average pooling over NCHW with PyTorch's divisors. Entry `main`: one thread per output, dst = mean of
// the clipped window of src. Entry `backward`: one thread per input element (gather, no atomics), dst =
// sum of src (the output gradient) / divisor over the windows that contain it.
// Divisor: with countIncludePad, the window size clipped to the padded input (H + pH, as PyTorch does in
// ceil mode); without, the number of input elements in the window.
//! params: n H W Ho Wo kH kW sH
//! params: sW pH pW countIncludePad
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
//! const: WG
//! requires: planeIndex

// Window of output o along one axis: clipped [start, end) and the padded length.
struct Win { start: u32, end: u32, full: u32, }

fn poolWindow(o: u32, k: u32, s: u32, pad: u32, size: u32) -> Win {
  let a = i32(o * s) - i32(pad);
  let ePad = min(a + i32(k), i32(size + pad));
  return Win(u32(max(a, 0)), u32(min(ePad, i32(size))), u32(ePad - a));
}

fn divisor(wh: Win, ww: Win) -> f32 {
  if (p.countIncludePad == 1u) { return f32(wh.full * ww.full); }
  return f32((wh.end - wh.start) * (ww.end - ww.start));
}

fn firstWindow(c: u32, k: u32, s: u32, pad: u32) -> u32 {
  let num = i32(c + pad) - i32(k) + 1;
  if (num <= 0) { return 0u; }
  return (u32(num) + s - 1u) / s;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = planeIndex(i, p.Ho, p.Wo); // (plane, oh, ow)
  let wh = poolWindow(o.y, p.kH, p.sH, p.pH, p.H);
  let ww = poolWindow(o.z, p.kW, p.sW, p.pW, p.W);
  let base = o.x * p.H * p.W;
  var acc = 0.0;
  for (var h = wh.start; h < wh.end; h++) {
    for (var w = ww.start; w < ww.end; w++) { acc += src[base + h * p.W + w]; }
  }
  dst[i] = acc / divisor(wh, ww);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let e = planeIndex(i, p.H, p.W); // (plane, h, w)
  let ohs = firstWindow(e.y, p.kH, p.sH, p.pH);
  let ows = firstWindow(e.z, p.kW, p.sW, p.pW);
  let ohe = min(p.Ho, (e.y + p.pH) / p.sH + 1u);
  let owe = min(p.Wo, (e.z + p.pW) / p.sW + 1u);
  var acc = 0.0;
  for (var oh = ohs; oh < ohe; oh++) {
    let wh = poolWindow(oh, p.kH, p.sH, p.pH, p.H);
    for (var ow = ows; ow < owe; ow++) {
      let ww = poolWindow(ow, p.kW, p.sW, p.pW, p.W);
      acc += src[(e.x * p.Ho + oh) * p.Wo + ow] / divisor(wh, ww);
    }
  }
  dst[i] = acc;
}

// Entry `broadcast`: the backward of the global average (one window = the whole plane, divisor H·W):
// dst[i] = src[i / (H·W)] / (H·W), one thread per input element.
@compute @workgroup_size(WG)
fn broadcast(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let hw = p.H * p.W;
  dst[i] = src[i / hw] / f32(hw);
}
