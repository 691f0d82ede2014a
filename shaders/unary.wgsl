// Elementwise y = f(x). OP selects f (see src/ops/elementwise.ts); a and b are per-op constants.
// T is f32, or vec4<f32> when the size is a multiple of 4; n counts T items. Each invocation does E consecutive items (lavapipe pays a launch cost per
// invocation and a per-lane loop per load whatever its width, so 16 values per invocation run ~3x faster
// than one).
//! alias: T, U, B
//! params: n a: f32 b: f32
@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read_write> y: array<T>;
//! const: OP, WG

//! const: E

// NaN test on the bits (U / B: u32 / bool or their vec4s, set with T): compilers may fold v != v to false
// (Mesa's lavapipe does), so it cannot be used.
fn isNan(v: T) -> B { return (bitcast<U>(v) & U(0x7fffffffu)) > U(0x7f800000u); }

fn f(v: T) -> T {
  switch OP {
    case 0u: { return v; }                          // copy
    case 1u: { return -v; }                         // neg
    case 2u: { return abs(v); }                     // abs
    case 3u: { return v * v; }                      // square
    case 4u: { return sqrt(v); }                    // sqrt
    case 5u: { return exp(v); }                     // exp
    case 6u: { return log(v); }                     // log
    // NaN semantics as PyTorch (WGSL's max/clamp/sign leave NaN unspecified, and lavapipe's max(NaN, 0) is 0):
    // ordered comparisons are false for NaN, so NaN passes through relu and clamp; sign(NaN) is 0 (torch 1.13).
    case 7u: { return select(v, T(0.0), v <= T(0.0)); } // relu: x <= 0 ? 0 : x (torch's threshold)
    case 8u: { return select(sign(v), T(0.0), isNan(v)); } // sign
    case 9u: { return p.a * v + p.b; }              // affine
    case 10u: { return select(select(v, T(p.a), v < T(p.a)), T(p.b), v > T(p.b)); } // clamp (NaN stays NaN)
    case 11u: { return select(T(0.0), T(1.0), v > T(p.a)); } // step: 1 where v > a
    default: { return v; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  for (var j = 0u; j < E; j++) {
    let i = i0 + j;
    if (i >= p.n) { return; }
    y[i] = f(x[i]);
  }
}
