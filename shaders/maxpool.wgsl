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

// The segment of invocation i (i < p.n): its plane, output row, first output and count, the rows [hs, he) of
// the windows clipped to the input, and c0, the input column of output ow0's window start.
struct Seg { nc: u32, oh: u32, ow0: u32, nOut: u32, hs: u32, he: u32, c0: i32, }

fn segment(i: u32) -> Seg {
  let pos = planeIndex(i, p.Ho, p.segs); // (plane, output row oh, segment of the row)
  let ow0 = pos.z * TPO;
  let h0 = i32(pos.y * p.sH) - i32(p.pH);
  return Seg(pos.x, pos.y, ow0, min(TPO, p.Wo - ow0), u32(max(h0, 0)), u32(min(h0 + i32(p.kH), i32(p.H))), i32(ow0 * SW) - i32(p.pW));
}

// −∞ (made at run time: WGSL rejects an infinite constant).
fn negInf() -> f32 { return bitcast<f32>(0xff800000u + min(p.n, 0u)); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  // Span column t is input column g.c0 + t; output j's window is span columns j*SW .. j*SW + KW - 1.
  let g = segment(i);
  let ninf = negInf();
  var best: array<f32, TPO>;
  var bi: array<u32, TPO>;
  for (var j = 0u; j < TPO; j++) {
    best[j] = ninf;
    bi[j] = g.hs * p.W + u32(max(g.c0 + i32(j * SW), 0));
  }
  let base = g.nc * p.H * p.W;
  var rowv: array<f32, SPAN>;
  for (var h = g.hs; h < g.he; h++) {
    let rb = h * p.W;
    for (var t = 0u; t < SPAN; t++) {
      let c = g.c0 + i32(t);
      let inb = (c >= 0) & (c < i32(p.W));
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
          bi[j] = rb + u32(g.c0 + i32(t));
        }
      }
    }
  }
  let o = (g.nc * p.Ho + g.oh) * p.Wo + g.ow0;
  for (var j = 0u; j < TPO; j++) {
    if (j < g.nOut) {
      out[o + j] = best[j];
      if (SAVE == 1u) { idx[o + j] = bi[j]; }
    }
  }
}

// Output j's window over the columns of one input row (row offset rb in the plane at base): the running
// maximum and its index, by the same rule as main.
fn windowRow(cs: i32, rb: u32, base: u32, ninf: f32, best: ptr<function, f32>, bi: ptr<function, u32>) {
  if (KW == 3u) {
    // Spelled out (SwiftShader does not unroll loops).
    windowTap(cs, rb, base, ninf, best, bi);
    windowTap(cs + 1, rb, base, ninf, best, bi);
    windowTap(cs + 2, rb, base, ninf, best, bi);
    return;
  }
  for (var k = 0; k < i32(KW); k++) {
    windowTap(cs + k, rb, base, ninf, best, bi);
  }
}

// Input column c of the row: the running maximum and its index.
fn windowTap(c: i32, rb: u32, base: u32, ninf: f32, best: ptr<function, f32>, bi: ptr<function, u32>) {
  let inb = (c >= 0) & (c < i32(p.W));
  maxTap(select(ninf, x[base + rb + select(0u, u32(c), inb)], inb), rb + u32(c), best, bi);
}

// One tap of the running maximum (row-major window order, the rule of main), branch-free.
fn maxTap(v: f32, at: u32, best: ptr<function, f32>, bi: ptr<function, u32>) {
  let take = (v > *best) | isNan(v);
  *best = select(*best, v, take);
  *bi = select(*bi, at, take);
}

// The same outputs as main without the private arrays (`main_flat`), for SwiftShader, which keeps a private
// array indexed in a loop in memory, lane by lane, and does not unroll loops (lavapipe unrolls main's loops into
// registers). For 3-wide windows of stride 2 (SqueezeNet's pools) the windows of outputs j and j + 1 share a
// column: each output loads the two new columns of its (up to three) rows and takes the shared one from
// registers, 6 loads per output instead of 9 (Chromium: forward 128 vs 148 ms, saliency 259 vs 272 ms, same
// page); the comparisons run branch-free in main's order. Other window shapes read each window in full.
@compute @workgroup_size(WG)
fn main_flat(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let g = segment(i);
  let ninf = negInf();
  let base = g.nc * p.H * p.W;
  let o = (g.nc * p.Ho + g.oh) * p.Wo + g.ow0;
  if (KW != 3u || SW != 2u) {
    for (var j = 0u; j < g.nOut; j++) {
      let cs = g.c0 + i32(j * SW);
      var best = ninf;
      var bi = g.hs * p.W + u32(max(cs, 0));
      for (var h = g.hs; h < g.he; h++) { windowRow(cs, h * p.W, base, ninf, &best, &bi); }
      out[o + j] = best;
      if (SAVE == 1u) { idx[o + j] = bi; }
    }
    return;
  }
  // Rows r0..r2 of the windows (r1, r2 repeat the last row when the window is clipped; `has1` / `has2` say
  // whether they count). Columns outside the row read a clamped address and count as −∞.
  let nr = g.he - g.hs;
  let r0 = g.hs * p.W;
  let r1 = min(g.hs + 1u, g.he - 1u) * p.W;
  let r2 = min(g.hs + 2u, g.he - 1u) * p.W;
  let has1 = nr > 1u;
  let has2 = nr > 2u;
  let wLast = i32(p.W) - 1;
  // The shared column (the first window's first column), carried from output to output.
  var c = g.c0;
  let inb = (c >= 0) & (c <= wLast);
  var cc = u32(clamp(c, 0, wLast));
  var s0 = select(ninf, x[base + r0 + cc], inb);
  var s1 = select(ninf, x[base + r1 + cc], inb);
  var s2 = select(ninf, x[base + r2 + cc], inb);
  for (var j = 0u; j < g.nOut; j++) {
    let c1 = c + 1;
    let c2 = c + 2;
    let in1 = (c1 >= 0) & (c1 <= wLast);
    let in2 = (c2 >= 0) & (c2 <= wLast);
    let u1 = u32(clamp(c1, 0, wLast));
    let u2 = u32(clamp(c2, 0, wLast));
    let a1 = select(ninf, x[base + r0 + u1], in1);
    let a2 = select(ninf, x[base + r0 + u2], in2);
    let b1 = select(ninf, x[base + r1 + u1], in1 & has1);
    let b2 = select(ninf, x[base + r1 + u2], in2 & has1);
    let d1 = select(ninf, x[base + r2 + u1], in1 & has2);
    let d2 = select(ninf, x[base + r2 + u2], in2 & has2);
    var best = ninf;
    var bi = r0 + cc;
    maxTap(s0, r0 + cc, &best, &bi);
    maxTap(a1, r0 + u1, &best, &bi);
    maxTap(a2, r0 + u2, &best, &bi);
    maxTap(select(ninf, s1, has1), r1 + cc, &best, &bi);
    maxTap(b1, r1 + u1, &best, &bi);
    maxTap(b2, r1 + u2, &best, &bi);
    maxTap(select(ninf, s2, has2), r2 + cc, &best, &bi);
    maxTap(d1, r2 + u1, &best, &bi);
    maxTap(d2, r2 + u2, &best, &bi);
    out[o + j] = best;
    if (SAVE == 1u) { idx[o + j] = bi; }
    // The next window starts at column c + 2: this window's last column.
    c = c2;
    cc = u2;
    s0 = a2;
    s1 = b2;
    s2 = d2;
  }
}
