// Max pooling over NCHW. The window of output (oh, ow) starts at (oh·sH − pH, ow·sW − pW) and is clipped to
// the input (padding is −∞); the FIRST maximum in row-major window order wins (strict >), except that a NaN
// always wins: the LAST NaN of the window, as PyTorch's CPU kernel (`val > max || isnan(val)`). SAVE = 1 also writes the arg-max (h·W + w within the plane) for the backward.
// One invocation per segment of TPO consecutive outputs of one output row (n, c, oh): per window row it loads
// the SPAN input columns their windows cover once (17 loads for 8 outputs of a 3/2 pool instead of 24), then
// takes each output's maximum from those registers. The window width KW and stride SW are constants, so the
// loops unroll; the index
// arithmetic is paid once per segment.
//! params: n H W Ho Wo kH kW sH
//! params: sW pH pW segs
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
//! const: SAVE, WG
//! requires: planeIndex
// Outputs per invocation (TPO), window width and stride.
//! const: TPO, KW, SW
const SPAN: u32 = (TPO - 1u) * SW + KW;

// NaN test on the bits: compilers may fold v != v to false (Mesa's lavapipe does), so it cannot be used.
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let pos = planeIndex(i, p.Ho, p.segs); // (plane, output row oh, segment of the row)
  let nc = pos.x;
  let ow0 = pos.z * TPO;
  let nOut = min(TPO, p.Wo - ow0);
  let h0 = i32(pos.y * p.sH) - i32(p.pH);
  let hs = u32(max(h0, 0));
  let he = u32(min(h0 + i32(p.kH), i32(p.H)));
  // Span column t is input column c0 + t; output j's window is span columns j*SW .. j*SW + KW - 1.
  let c0 = i32(ow0 * SW) - i32(p.pW);
  // −∞ (made at run time: WGSL rejects an infinite constant).
  let ninf = bitcast<f32>(0xff800000u + min(p.n, 0u));
  var best: array<f32, TPO>;
  var bi: array<u32, TPO>;
  for (var j = 0u; j < TPO; j++) {
    best[j] = ninf;
    bi[j] = hs * p.W + u32(max(c0 + i32(j * SW), 0));
  }
  let base = nc * p.H * p.W;
  var rowv: array<f32, SPAN>;
  for (var h = hs; h < he; h++) {
    let rb = h * p.W;
    for (var t = 0u; t < SPAN; t++) {
      let c = c0 + i32(t);
      let inb = c >= 0 && c < i32(p.W);
      let v = x[base + rb + select(0u, u32(c), inb)];
      rowv[t] = select(ninf, v, inb);
    }
    for (var j = 0u; j < TPO; j++) {
      for (var k = 0u; k < KW; k++) {
        let t = j * SW + k;
        let v = rowv[t];
        // Clipped columns hold −∞ and never win (a window always has an element inside: PyTorch's rule).
        if (v > best[j] || isNan(v)) {
          best[j] = v;
          bi[j] = rb + u32(c0 + i32(t));
        }
      }
    }
  }
  let o = (nc * p.Ho + pos.y) * p.Wo + ow0;
  for (var j = 0u; j < TPO; j++) {
    if (j < nOut) {
      out[o + j] = best[j];
      if (SAVE == 1u) { idx[o + j] = bi[j]; }
    }
  }
}

// Output j's window over the columns of one input row (row offset rb in the plane at base): the running
// maximum and its index, by the same rule as main.
fn windowRow(cs: i32, rb: u32, base: u32, ninf: f32, best: ptr<function, f32>, bi: ptr<function, u32>) {
  for (var k = 0; k < i32(KW); k++) {
    let c = cs + k;
    let inb = c >= 0 && c < i32(p.W);
    let v = select(ninf, x[base + rb + select(0u, u32(c), inb)], inb);
    if (v > *best || isNan(v)) {
      *best = v;
      *bi = rb + u32(c);
    }
  }
}

// The same outputs as main without the private arrays (`main_flat`): each output reads its own window, with
// three-row windows spelled out. For SwiftShader, which keeps a private array indexed in a loop in memory,
// lane by lane, and does not unroll loops (lavapipe unrolls main's loops into registers).
@compute @workgroup_size(WG)
fn main_flat(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let pos = planeIndex(i, p.Ho, p.segs);
  let nc = pos.x;
  let ow0 = pos.z * TPO;
  let nOut = min(TPO, p.Wo - ow0);
  let h0 = i32(pos.y * p.sH) - i32(p.pH);
  let hs = u32(max(h0, 0));
  let he = u32(min(h0 + i32(p.kH), i32(p.H)));
  let c0 = i32(ow0 * SW) - i32(p.pW);
  let ninf = bitcast<f32>(0xff800000u + min(p.n, 0u));
  let base = nc * p.H * p.W;
  let o = (nc * p.Ho + pos.y) * p.Wo + ow0;
  for (var j = 0u; j < nOut; j++) {
    let cs = c0 + i32(j * SW);
    var best = ninf;
    var bi = hs * p.W + u32(max(cs, 0));
    if (he - hs == 3u) {
      windowRow(cs, hs * p.W, base, ninf, &best, &bi);
      windowRow(cs, (hs + 1u) * p.W, base, ninf, &best, &bi);
      windowRow(cs, (hs + 2u) * p.W, base, ninf, &best, &bi);
    } else {
      for (var h = hs; h < he; h++) { windowRow(cs, h * p.W, base, ninf, &best, &bi); }
    }
    out[o + j] = best;
    if (SAVE == 1u) { idx[o + j] = bi; }
  }
}
