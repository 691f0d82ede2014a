// Elementwise y = f(x). OP selects f (see src/ops/elementwise.ts); a and b are per-op constants.
struct Params { n: u32, a: f32, b: f32, _pad: u32, }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
override OP: u32 = 0u;
override WG: u32 = 256u;

fn f(v: f32) -> f32 {
  switch OP {
    case 0u: { return v; }                          // copy
    case 1u: { return -v; }                         // neg
    case 2u: { return abs(v); }                     // abs
    case 3u: { return v * v; }                      // square
    case 4u: { return sqrt(v); }                    // sqrt
    case 5u: { return exp(v); }                     // exp
    case 6u: { return log(v); }                     // log
    case 7u: { return max(v, 0.0); }                // relu
    case 8u: { return sign(v); }                    // sign
    case 9u: { return p.a * v + p.b; }              // affine
    case 10u: { return clamp(v, p.a, p.b); }        // clamp
    case 11u: { return select(0.0, 1.0, v > p.a); } // step: 1 where v > a
    case 12u: { return 1.0 / v; }                   // reciprocal
    default: { return v; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  y[i] = f(x[i]);
}
