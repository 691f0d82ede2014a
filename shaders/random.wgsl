// Counter-based, stateless random numbers: element i of a call with seed s depends only on (s, i).
// The same numbers come from src/ops/cpu/random.ts (TypeScript) and scripts/rng.py (NumPy); PyTorch
// fixtures use the NumPy version. THE ALGORITHM (every step is exact 32-bit integer arithmetic):
//
// 1. Block. Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; Random123):
//      counter c = (i, 0, 0, 0)                      i = flat element index, 0 <= i < 2^32
//      key     k = (s mod 2^32, floor(s / 2^32))     seed s: an integer, 0 <= s < 2^53
//    10 rounds; before every round but the first, k0 += 0x9E3779B9, k1 += 0xBB67AE85 (mod 2^32). One round:
//      (hi0, lo0) = 0xD2511F53 * c0   (the 64-bit product split into high and low 32-bit words)
//      (hi1, lo1) = 0xCD9E8D57 * c2
//      c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//    The result x = (x0, x1, x2, x3) is the block for element i. (Known answers, from Random123's
//    kat_vectors: counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8.)
// 2. Uniform in (0, 1) from a word w: u(w) = ((w >> 9) + 0.5) / 2^23, i.e. (2·(w >> 9) + 1) / 2^24.
//    Every value has at most 24 significant bits, so it is exact in float32 (no rounding anywhere), and
//    0 < u < 1 strictly: 2^-24 <= u <= 1 - 2^-24.
// 3. rand:  y = lo + scale · u(x0), scale = float32(hi − lo). With lo = 0, hi = 1 (the default) y = u(x0),
//    bit-exact on every platform.
// 4. randn: Box–Muller (cosine branch) on two other words of the same block:
//      z = sqrt(−2 ln u(x1)) · cos(2π u(x2)),   y = mean + std · z
//    (x3 is unused; rand and randn with one seed use different words, so they are not correlated.)
//    The exact value is the real-number formula on the float32 uniforms, rounded to float32 (which is what
//    the references compute, in float64). This shader evaluates ln and cos(2π·) with its own polynomials
//    (only +, −, ×, one division and sqrt) rather than the platform's log/cos builtins, whose accuracy WGSL
//    leaves loose (|error| up to 2^-11 for cos); the result is within a few float32 ulps of the exact value
//    on any WebGPU implementation.
//! params: n key0 key1 shift: f32 scale: f32
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
// DIST 0: uniform (y = shift + scale·u), 1: normal (y = shift + scale·z).
//! const: DIST, WG

// The 64-bit product a·b as (high word, low word), from 16-bit halves.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let p0 = al * bl;
  let p1 = al * bh;
  let p2 = ah * bl;
  let p3 = ah * bh;
  let mid = (p0 >> 16u) + (p1 & 0xffffu) + (p2 & 0xffffu);
  let hi = p3 + (p1 >> 16u) + (p2 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    if (r > 0u) { k += vec2<u32>(0x9E3779B9u, 0xBB67AE85u); }
    let m0 = mulhilo(0xD2511F53u, c.x);
    let m1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(m1.x ^ c.y ^ k.x, m1.y, m0.x ^ c.w ^ k.y, m0.y);
  }
  return c;
}

fn uniform01(w: u32) -> f32 {
  return (f32(w >> 9u) + 0.5) * 1.1920928955078125e-7; // 2^-23
}

// ln(u) for a normal float u > 0 (fdlibm's method): u = 2^e·m with m in [√½, √2), f = m − 1 (exact),
// s = f / (2 + f), ln(1 + f) = f − (f²/2 − s·(f²/2 + R(s²))), R = Σ_k 2 s^2k / (2k + 1); e·ln2 in two parts.
fn ln(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) {
    m = m * 0.5;
    e = e + 1;
  }
  let f = m - 1.0;
  let s = f / (2.0 + f);
  let z = s * s;
  let R = z * (0.6666666667 + z * (0.4 + z * (0.2857142857 + z * (0.2222222222 + z * (0.1818181818 + z * 0.1538461538)))));
  let hfsq = 0.5 * f * f;
  let fe = f32(e);
  // ln2 = 0.693145751953125 (exact, 15 bits: fe·hi is exact) + 1.4286068e-6
  return fe * 0.693145751953125 + (f - (hfsq - (s * (hfsq + R) + fe * 1.4286068e-6)));
}

// sin(πx/2) and cos(πx/2) for x in [0, 0.5] (Taylor series; truncation below 1e-10).
fn sinq(x: f32) -> f32 {
  let z = x * x;
  return x * (1.5707963268 + z * (-0.6459640975 + z * (0.07969262625 + z * (-0.004681754135 + z * (0.0001604411848 - z * 3.598843235e-6)))));
}
fn cosq(x: f32) -> f32 {
  let z = x * x;
  return 1.0 + z * (-1.2337005501 + z * (0.2536695079 + z * (-0.02086348076 + z * (0.0009192602748 - z * 2.520204237e-5))));
}

// cos(2πu) for u in [0, 1): quadrant q = floor(4u), position f = 4u − q in the quadrant (both exact).
fn cos2pi(u: f32) -> f32 {
  let t = u * 4.0;
  let q = floor(t);
  let f = t - q;
  var c: f32; // cos(πf/2)
  var s: f32; // sin(πf/2)
  if (f <= 0.5) {
    c = cosq(f);
    s = sinq(f);
  } else {
    c = sinq(1.0 - f);
    s = cosq(1.0 - f);
  }
  let qi = u32(q);
  if (qi == 0u) { return c; }
  if (qi == 1u) { return -s; }
  if (qi == 2u) { return -c; }
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let x = philox(vec4<u32>(i, 0u, 0u, 0u), vec2<u32>(p.key0, p.key1));
  var v: f32;
  if (DIST == 0u) {
    v = uniform01(x.x);
  } else {
    v = sqrt(-2.0 * ln(uniform01(x.y))) * cos2pi(uniform01(x.z));
  }
  y[i] = p.shift + p.scale * v;
}
