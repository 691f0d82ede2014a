// Elementwise out = a (op) b with NumPy broadcasting (rank <= 8). T is f32 (or vec4<f32> for
// same-shape operands whose size is a multiple of 4); n counts T items.
// BCAST = 0: a, b and out share one
// (BCAST = 2: each operand's shape is a prefix of the output's followed by 1s: a[i / divA], b[i / divB])
// shape (contiguous fast path); BCAST = 1: strides sa/sb (0 on broadcast dimensions) map each output index.
//! alias: T, U, B
//! params: n rank divA divB shape: vec4<u32>[2] sa: vec4<u32>[2] sb: vec4<u32>[2]
@group(0) @binding(0) var<storage, read> a: array<T>;
@group(0) @binding(1) var<storage, read> b: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
//! const: OP, BCAST, WG
// The rank as a constant for the broadcast path (the loop over dimensions unrolls, so the shape and strides
// are read at constant offsets).
//! const: RANK
// Items per invocation.
//! const: E

// NaN test on the bits (U / B: u32 / bool or their vec4s, set with T): compilers may fold v != v to false
// (Mesa's lavapipe does), so it cannot be used.
fn isNan(v: T) -> B { return (bitcast<U>(v) & U(0x7fffffffu)) > U(0x7f800000u); }

fn op(x: T, y: T) -> T {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    // maximum: NaN when either operand is NaN (torch.maximum); x + y is that NaN.
    case 4u: { return select(max(x, y), x + y, isNan(x) | isNan(y)); }
    case 6u: { return select(x, T(0.0), y <= T(0.0)); }  // ReLU backward: x, 0 where y <= 0 (a NaN y passes x, as torch)
    case 7u: { return select(T(0.0), T(1.0), x >= y); }  // ge mask
    case 8u: { return select(T(0.0), T(1.0), x < y); }   // lt mask
    // Gradient share of maximum's a (10) and b (11), as torch: 1/2 on ties, 0 for the smaller operand, 1 else
    // (so both get the whole gradient where either is NaN).
    case 10u: { return select(select(T(1.0), T(0.0), x < y), T(0.5), x == y); }
    case 11u: { return select(select(T(1.0), T(0.0), x > y), T(0.5), x == y); }
    default: { return x; }
  }
}

fn dim(arr: array<vec4<u32>, 2>, d: u32) -> u32 { return arr[d / 4u][d % 4u]; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  // BCAST = 2: each operand is the output's shape with trailing dims of size 1: its index is i / div (div 1:
  // same shape), divided once per invocation and then advanced at the block boundaries.
  var qa = 0u;
  var ra = 0u;
  var qb = 0u;
  var rb = 0u;
  if (BCAST == 2u) {
    qa = i0 / p.divA;
    ra = i0 - qa * p.divA;
    qb = i0 / p.divB;
    rb = i0 - qb * p.divB;
  }
  for (var j = 0u; j < E; j++) {
    let i = i0 + j;
    if (i >= p.n) { return; }
    if (BCAST == 0u) {
      out[i] = op(a[i], b[i]);
    } else if (BCAST == 2u) {
      out[i] = op(a[qa], b[qb]);
      ra++;
      if (ra == p.divA) { ra = 0u; qa++; }
      rb++;
      if (rb == p.divB) { rb = 0u; qb++; }
    } else {
      // T is f32 here.
      var rem = u32(i);
      var ia = 0u;
      var ib = 0u;
      for (var d = i32(RANK) - 1; d >= 0; d--) {
        let s = dim(p.shape, u32(d));
        let c = rem % s;
        rem = rem / s;
        ia += c * dim(p.sa, u32(d));
        ib += c * dim(p.sb, u32(d));
      }
      out[i] = op(a[ia], b[ib]);
    }
  }
}
