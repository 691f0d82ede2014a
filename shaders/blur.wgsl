// One pass of a separable Gaussian blur along one axis (len elements, stride `inner`), with scipy.ndimage's
// 'reflect' boundary (d c b a | a b c d | d c b a, repeated for any radius). w[t + r] are the normalised
// weights for offsets t in [−r, r] (r <= 127), packed four to a vec4.
// Entry `main`:    dst[i] = Σ_t w[t + r] · src[reflect(i + t)]                 (forward, one thread per output)
// Entry `adjoint`: dst[j] = Σ_{i, t : reflect(i + t) = j} w[t + r] · src[i]    (its transpose, gathered per j)
//! params: n len inner r w: vec4<f32>[64]
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
//! const: WG
// The radius as a constant when nonzero (small radii: the tap loops unroll and the weights are read at
// constant offsets); 0 reads p.r.
//! const: RC
// Outputs per invocation of `main`.
//! const: E

fn weight(k: i32) -> f32 {
  let u = u32(k);
  return p.w[u / 4u][u % 4u];
}

fn mirror(k: i32, n: i32) -> i32 {
  let m = ((k % (2 * n)) + 2 * n) % (2 * n);
  return select(2 * n - 1 - m, m, m < n);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = (gid.x + gid.y * nwg.x * WG) * E;
  let n = i32(p.len);
  let r = select(i32(p.r), i32(RC), RC != 0u);
  for (var e = 0u; e < E; e++) {
    let i = i0 + e;
    if (i >= p.n) { return; }
    let pos = i32((i / p.inner) % p.len);
    var acc = 0.0;
    if (pos >= r && pos + r < n) {
      // Interior: no reflection (the index arithmetic of mirror() runs one lane at a time on lavapipe).
      let first = i - u32(r) * p.inner;
      for (var t = 0; t <= 2 * r; t++) {
        acc += weight(t) * src[first + u32(t) * p.inner];
      }
    } else {
      let base = i - u32(pos) * p.inner;
      for (var t = -r; t <= r; t++) {
        acc += weight(t + r) * src[base + u32(mirror(pos + t, n)) * p.inner];
      }
    }
    dst[i] = acc;
  }
}

@compute @workgroup_size(WG)
fn adjoint(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= p.n) { return; }
  let j = i32((idx / p.inner) % p.len);
  let base = idx - u32(j) * p.inner;
  let n = i32(p.len);
  let r = i32(p.r);
  let period = 2 * n;
  var acc = 0.0;
  for (var fam = 0; fam < 2; fam++) {
    let residue = select(period - 1 - j, j, fam == 0);
    // smallest k >= −r with k ≡ residue (mod 2n)
    var k = -r + (residue + r) % period;
    for (; k <= n - 1 + r; k += period) {
      let lo = max(0, k - r);
      let hi = min(n - 1, k + r);
      for (var i = lo; i <= hi; i++) {
        acc += weight(k - i + r) * src[base + u32(i) * p.inner];
      }
    }
  }
  dst[idx] = acc;
}
