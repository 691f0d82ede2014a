// Gradient of max pooling, scattered by classes of disjoint windows (no atomics): gin[n, c, h, w] is the sum
// of g over the output windows whose saved arg-max is h·W + w. Windows of outputs (oh, ow) and (oh + my, ow)
// with my = ceil(kH / sH) do not overlap (likewise along x), so the outputs split into my·mx classes
// (oh mod my, ow mod mx) whose windows are pairwise disjoint: within one class no two outputs share an
// arg-max, and one dispatch per class adds g into gin[arg-max] (zero-filled first) with a plain load and
// store. Each invocation handles E outputs of one class row. MASK = 1 zeroes g where the pool's output y is <= 0
// (the ReLU mask of the pooled ReLU output at its arg-max; a NaN passes, as torch's threshold_backward).
//! params: rows segs Ho Wo HW na nb cy
//! params: cx my mx
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> gin: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
//! const: WG, E, MASK

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.segs) { return; }
  // rows = planes × na class rows; segment s covers class columns b = s·E .. s·E + E − 1.
  let r = i / p.segs;
  let b0 = (i - r * p.segs) * E;
  let nc = r / p.na;
  let oh = p.cy + p.my * (r - nc * p.na);
  let ob = (nc * p.Ho + oh) * p.Wo + p.cx;
  let plane = nc * p.HW;
  scatterOne(b0, ob, plane);
  if (E > 1u) { scatterOne(b0 + 1u, ob, plane); }
  if (E > 2u) { scatterOne(b0 + 2u, ob, plane); }
  if (E > 3u) { scatterOne(b0 + 3u, ob, plane); }
  for (var e = 4u; e < E; e++) { scatterOne(b0 + e, ob, plane); }
}

// Output b of the class row (from ob): its gradient into gin at the saved arg-max. The first four outputs are
// spelled out above, not looped (SwiftShader runs every loop iteration under lane masks). Past the row's end, b
// adds 0 at the row's last output's arg-max (this invocation's segment holds that output and added it first):
// an unconditional load and store, as SwiftShader pays a branch and a masked scatter for a guarded one.
fn scatterOne(b: u32, ob: u32, plane: u32) {
  let o = ob + p.mx * min(b, p.nb - 1u);
  let gi = plane + idx[o];
  var v = select(g[o], 0.0, b >= p.nb);
  if (MASK == 1u) { v = select(v, 0.0, y[o] <= 0.0); }
  gin[gi] = gin[gi] + v;
}
