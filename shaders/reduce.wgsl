// Reduce over any set of axes: out[o] = scale * sum_r x[base(o) + off(r)]  (OP 0)
//                          or out[o] = max_r x[...] with the first arg-max in idx[o]  (OP 1; a NaN is the
//                          maximum, the first NaN of the group, as torch.max(dim)).
// Kept axes (kShape/kStride) give base(o); reduced axes (rShape/rStride) give off(r).
// Entry `main`: one thread per output (short reductions); `main_wg`: one workgroup per output, tree-combined.
//! params: nOut nRed rankK rankR kShape: vec4<u32>[2] kStride: vec4<u32>[2] rShape: vec4<u32>[2] rStride: vec4<u32>[2]
//! params: scale: f32 inner
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
//! const: OP, WG
// The reduced axes are one contiguous block: x is [outer, nRed, inner] and output o = (outer, inner), so the
// offsets need one division per output instead of a loop over the axes (integer division runs one lane at a
// time on lavapipe).
//! const: BLOCK: bool
// Outputs per invocation of `main` (the launch cost per invocation is paid once per E outputs).
//! const: E

var<workgroup> sv: array<f32, WG>;
var<workgroup> si: array<u32, WG>;

// NaN test on the bits: compilers may fold v != v to false (Mesa's lavapipe does), so it cannot be used.
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// Offset of flat index i over the axes (shape, stride) of a rank-`rank` view (kept axes: an output's base;
// reduced axes: a reduction step's offset).
// The axes are spelled out, innermost first, with constant indices (SwiftShader neither unrolls a loop over
// them nor reads a uniform array at a loop index cheaply).
fn offsetIn(i: u32, rank: u32, shape: array<vec4<u32>, 2>, stride: array<vec4<u32>, 2>) -> u32 {
  var q = vec2<u32>(i, 0u); // (remaining index, offset)
  if (rank > 7u) { q = axis(q, shape[1].w, stride[1].w); }
  if (rank > 6u) { q = axis(q, shape[1].z, stride[1].z); }
  if (rank > 5u) { q = axis(q, shape[1].y, stride[1].y); }
  if (rank > 4u) { q = axis(q, shape[1].x, stride[1].x); }
  if (rank > 3u) { q = axis(q, shape[0].w, stride[0].w); }
  if (rank > 2u) { q = axis(q, shape[0].z, stride[0].z); }
  if (rank > 1u) { q = axis(q, shape[0].y, stride[0].y); }
  if (rank > 0u) { q = axis(q, shape[0].x, stride[0].x); }
  return q.y;
}

// One axis of size s and stride st taken off the remaining index q.x.
fn axis(q: vec2<u32>, s: u32, st: u32) -> vec2<u32> {
  return vec2<u32>(q.x / s, q.y + (q.x % s) * st);
}

// Combine (v, i) into (acc, ai): sum, or max keeping the smallest index among equal maxima.
// Offset of reduction step r from an output's base.
fn offset(r: u32) -> u32 {
  if (BLOCK) { return r * p.inner; }
  return offsetIn(r, p.rankR, p.rShape, p.rStride);
}

// NaN wins (torch.max(dim) returns the first NaN of a group); otherwise the larger value, the smaller index on ties.
fn better(v: f32, i: u32, acc: f32, ai: u32) -> bool {
  let vn = isNan(v);
  let an = isNan(acc);
  // Non-short-circuit operators and a select: SwiftShader turns || and && into branches.
  let nanCase = vn & (!an | (i < ai));
  let numCase = (v > acc) | ((v == acc) & (i < ai));
  return select(numCase, nanCase, vn | an);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o0 = ((wid.x + wid.y * nwg.x) * WG + lid) * E;
  for (var j = 0u; j < E; j++) {
    let o = o0 + j;
    if (o >= p.nOut) { return; }
    var base = 0u;
    if (BLOCK) {
      let outer = o / p.inner;
      base = (outer * p.nRed - outer) * p.inner + o;
    } else {
      base = offsetIn(o, p.rankK, p.kShape, p.kStride);
    }
    if (OP == 0u) {
      var acc = 0.0;
      for (var r = 0u; r < p.nRed; r++) { acc += x[base + offset(r)]; }
      out[o] = acc * p.scale;
    } else {
      var acc = x[base];
      var ai = 0u;
      for (var r = 1u; r < p.nRed; r++) {
        let v = x[base + offset(r)];
        if (v > acc || (isNan(v) && !isNan(acc))) { acc = v; ai = r; } // the first NaN wins
      }
      out[o] = acc;
      idx[o] = ai;
    }
  }
}

@compute @workgroup_size(WG)
fn main_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < p.nOut;
  var base = 0u;
  if (valid) {
    if (BLOCK) {
      let outer = o / p.inner;
      base = (outer * p.nRed - outer) * p.inner + o;
    } else {
      base = offsetIn(o, p.rankK, p.kShape, p.kStride);
    }
  }
  var acc = 0.0;
  var ai = 0xffffffffu;
  if (OP == 1u) { acc = -3.4e38; }
  if (valid) {
    for (var r = lid; r < p.nRed; r += WG) {
      let v = x[base + offset(r)];
      if (OP == 0u) { acc += v; } else if ((ai == 0xffffffffu) | (v > acc) | (isNan(v) & !isNan(acc))) { acc = v; ai = r; }
    }
  }
  sv[lid] = acc;
  si[lid] = ai;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      if (OP == 0u) {
        sv[lid] = sv[lid] + sv[lid + s];
      } else if (si[lid + s] != 0xffffffffu && (si[lid] == 0xffffffffu || better(sv[lid + s], si[lid + s], sv[lid], si[lid]))) {
        sv[lid] = sv[lid + s];
        si[lid] = si[lid + s];
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u && valid) {
    if (OP == 0u) { out[o] = sv[0] * p.scale; } else { out[o] = sv[0]; idx[o] = si[0]; }
  }
}
