// Convolution: conv2d (any kernel size, stride, symmetric zero padding, bias and ReLU fused) and SqueezeNet's
// fire-module expand (two convs writing into the channel slices of one output, no concat), with their
// gradients next to them.
//
// Kernels (shaders/conv2d_*.wgsl) use register tiling without workgroup memory (lavapipe's barriers are slow):
// each invocation accumulates a tile of TC channels x TP pixels in registers (32 x 4 by default).
//   conv2d_pointwise        1x1 stride-1 unpadded convs (a matmul per image); also their input gradient
//   conv2d_forward          every other conv (sliding window along the row for stride 1)
//   conv2d_backward_input   input gradient, gather form (transposed conv by stride phases, no atomics); with
//                           convTuning.inputGradAsForward stride-1 ones run conv2d_forward on the transposed,
//                           rotated weight instead (SwiftShader's preset); the GPU (implicit-GEMM) tiles run
//                           them through conv2d_gemm_forward likewise (convTuning.gemmInputGradAsForward)
//   conv2d_col2im           input gradient of convs with few input channels (conv1), after a pointwise
//                           product gives the column gradient
//   conv2d_backward_weight  weight gradient, reduction over N*Ho*Wo split in chunks, then conv2d_reduce
//   conv2d_bias_grad        one pass over the output gradient: ReLU mask and bias partial sums
//   conv2d_relu_mask        the ReLU mask alone (no bias gradient), flat and vec4 when the runs are aligned
//   conv2d_pack             repacking (weights; the output gradient for the weight gradient): the TC values
//                           of one reduction step contiguous. Packed weights are cached per weight storage
//                           (packedWeight) and freed with it, so a weight is packed once per layout.
// The four tiled kernels are bodies composed with a weight-tap file and conv2d_tile.wgsl. With the 'subgroups'
// feature: conv2d_tap_subgroup32.wgsl for 32-channel tiles (one vec4 load per lane per 32 weights, the rest by
// subgroupBroadcast) and conv2d_tap_subgroup.wgsl for up to 16 (one scalar load per 8 weights); without it
// conv2d_tap_vec4.wgsl (every lane loads its tile's weights as vec4); conv2d_tile.wgsl holds the tile's registers
// and stores them; conv2d_taps3.wgsl hands a kernel row's three taps to tap3 or to three tap() calls
// (convTuning.rowTaps). The tap and tile files are written by scripts/gen_shaders.mjs.
// On lavapipe (Mesa 25.0) every storage load with a non-constant address, uniform or not, is a per-lane loop
// whose cost hardly depends on the load's width (a vec4 costs about two scalars), and every loop-carried value
// is stored under the loop's lane mask; a tile's accumulators outnumber the CPU's registers and are spilled.
// Large tiles (32 channels x 4 or 8 pixels), the sliding window, the wide taps and the kernel size as pipeline
// constants (unrolled tap loops) cut loads and loop overhead per multiply-add until the spilled arithmetic
// itself (about five instructions per 8-lane multiply-add) sets the speed. The three-tap calls (tap3/tap3w,
// convTuning.rowTaps) then go channel by channel over the three taps of a kernel row (or three input channels
// of a pointwise conv), so each spilled accumulator is loaded and stored once per three multiply-adds: the
// 3x3 convs 25-35% faster on lavapipe, the same bits (the sums keep their order); SwiftShader keeps one tap
// at a time (src/web/tuning.ts).
// Tile sizes are constants of the composed kernels, chosen from `convTuning` (conv/tuning.ts; the autotuner
// may change it); the launchers are in conv/launch.ts, the dispatch geometry of the tiled kernels in convGrid().
import { record, type Tensor } from '../tensor/index.js';
import { emptyLike, fmtShape, checkTensor, sameDevice } from './util.js';
import { convOutSize } from './cpu/conv.js';
import { backwardInput, backwardWeight, forward, inputGradReadsSlice, prepGrad, type ConvGeom } from './conv/launch.js';

export { convTuning, type ConvTile, type TileName } from './conv/tuning.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  activation?: 'none' | 'relu';
}

// ---------- argument checks ----------

function checkInt(op: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${name} must be an integer >= ${min}; got ${v}`);
}

interface ArgNames {
  x: string;
  w: string;
  b: string;
}

function geometry(op: string, x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, names: ArgNames = { x: 'x', w: 'weight', b: 'bias' }): ConvGeom {
  checkTensor(op, names.x, x);
  checkTensor(op, names.w, w);
  if (x.rank !== 4) throw new Error(`${op}: ${names.x} must have rank 4 [N, C, H, W]; got shape ${fmtShape(x.shape)}`);
  if (w.rank !== 4) throw new Error(`${op}: ${names.w} must have rank 4 [Cout, Cin, KH, KW]; got shape ${fmtShape(w.shape)}`);
  checkInt(op, 'stride', stride, 1);
  checkInt(op, 'padding', pad, 0);
  const xs = x.shape;
  const ws = w.shape;
  const N = xs[0], Cin = xs[1], H = xs[2], W = xs[3];
  const Cout = ws[0], wCin = ws[1], KH = ws[2], KW = ws[3];
  if (wCin !== Cin) throw new Error(`${op}: ${names.w} ${fmtShape(w.shape)} expects ${wCin} input channels; ${names.x} has shape ${fmtShape(x.shape)}`);
  if (KH < 1 || KW < 1 || Cout < 1) throw new Error(`${op}: ${names.w} ${fmtShape(w.shape)} has an empty dimension`);
  if (b) {
    checkTensor(op, names.b, b);
    if (b.rank !== 1 || b.shape[0] !== Cout) {
      throw new Error(`${op}: ${names.b} must have shape [${Cout}] (one value per output channel of ${names.w} ${fmtShape(w.shape)}); got ${fmtShape(b.shape)}`);
    }
  }
  if (H + 2 * pad < KH || W + 2 * pad < KW) {
    throw new Error(`${op}: kernel ${KH}x${KW} of ${names.w} ${fmtShape(w.shape)} is larger than the padded input ${H + 2 * pad}x${W + 2 * pad} (${names.x} ${fmtShape(x.shape)}, padding ${pad})`);
  }
  if (b) sameDevice(op, x, w, b);
  else sameDevice(op, x, w);
  const s = { N, Cin, H, W, Cout, KH, KW, stride, pad };
  const o = convOutSize(s);
  return { N, Cin, H, W, Cout, KH, KW, stride, pad, Ho: o.Ho, Wo: o.Wo };
}

// ---------- public ops ----------

/**
 * 2-D convolution (cross-correlation as PyTorch): x [N, Cin, H, W], w [Cout, Cin, KH, KW], b [Cout] or null.
 * Output [N, Cout, Ho, Wo] with Ho = floor((H + 2p - KH)/s) + 1. activation 'relu' fuses max(·, 0) into the
 * epilogue (its gradient uses the output mask y > 0).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const stride = opts.stride ?? 1;
  const pad = opts.padding ?? 0;
  const act = opts.activation ?? 'none';
  if (act !== 'none' && act !== 'relu') throw new Error(`conv2d: unknown activation '${String(act)}' (expected 'none' or 'relu')`);
  const g = geometry('conv2d', x, w, b ?? null, stride, pad);
  const relu = act === 'relu';
  const rt = x.device.runtime;
  const out = emptyLike(x.device, [g.N, g.Cout, g.Ho, g.Wo]);
  forward(rt, g, { x: x.buffer, w, b: b ? b.buffer : null, out: out.buffer, relu, coOff: 0, coTot: g.Cout });
  const inputs = b ? [x, w, b] : [x, w];
  out.masksGrad = relu;
  return record(out, relu ? 'conv2d_relu' : 'conv2d', inputs, (gy, needs) => {
    const dx = needs[0] ? emptyLike(x.device, x.shape) : null;
    const dw = needs[1] ? emptyLike(x.device, w.shape) : null;
    const db = b && needs[2] ? emptyLike(x.device, b.shape) : null;
    if (g.N === 0) {
      // No images: zero weight and bias gradients.
      for (const t of [dw, db]) if (t) rt.write(t.buffer, new Float32Array(t.size));
      return [dx, dw, db];
    }
    // A consumer may have applied the ReLU mask already (gy.maskedFor: a max-pool's backward).
    const mask = relu && gy.maskedFor !== out;
    const gm = prepGrad(rt, g, { gy: gy.buffer, y: mask ? out.buffer : null, cOff: 0, cTot: g.Cout, db: db ? db.buffer : null });
    const gbuf = gm ? gm.buffer : gy.buffer;
    if (dx) backwardInput(rt, g, { gm: gbuf, w, dx: dx.buffer, acc: false });
    if (dw) backwardWeight(rt, g, { x: x.buffer, gm: gbuf, dw: dw.buffer });
    gm?.release();
    return [dx, dw, db];
  });
}

/**
 * SqueezeNet's fire-module expand: concat([relu(conv2d(s, w1, b1)), relu(conv2d(s, w3, b3, {padding: 1}))], 1)
 * with both convs writing straight into their channel slices of one output (no concat). w1 [E1, C, 1, 1],
 * w3 [E3, C, 3, 3]; output [N, E1 + E3, H, W].
 */
export function fireExpand(s: Tensor, w1: Tensor, b1: Tensor, w3: Tensor, b3: Tensor): Tensor {
  const op = 'fireExpand';
  for (const [name, t] of [['s', s], ['w1', w1], ['b1', b1], ['w3', w3], ['b3', b3]] as const) checkTensor(op, name, t);
  if (s.rank !== 4) throw new Error(`${op}: s must have rank 4 [N, C, H, W]; got shape ${fmtShape(s.shape)}`);
  if (w1.rank !== 4 || w1.shape[2] !== 1 || w1.shape[3] !== 1) throw new Error(`${op}: w1 must have shape [E1, C, 1, 1]; got ${fmtShape(w1.shape)}`);
  if (w3.rank !== 4 || w3.shape[2] !== 3 || w3.shape[3] !== 3) throw new Error(`${op}: w3 must have shape [E3, C, 3, 3]; got ${fmtShape(w3.shape)}`);
  const g1 = geometry(op, s, w1, b1, 1, 0, { x: 's', w: 'w1', b: 'b1' });
  const g3 = geometry(op, s, w3, b3, 1, 1, { x: 's', w: 'w3', b: 'b3' });
  const E1 = g1.Cout;
  const E3 = g3.Cout;
  const Ct = E1 + E3;
  const rt = s.device.runtime;
  const out = emptyLike(s.device, [g1.N, Ct, g1.Ho, g1.Wo]);
  forward(rt, g1, { x: s.buffer, w: w1, b: b1.buffer, out: out.buffer, relu: true, coOff: 0, coTot: Ct });
  forward(rt, g3, { x: s.buffer, w: w3, b: b3.buffer, out: out.buffer, relu: true, coOff: E1, coTot: Ct });
  // Its backward masks (and compacts the two channel slices) unless gy comes masked and the input-gradient
  // kernels read the slices themselves (see below).
  out.masksGrad = true;
  return record(out, 'fireExpand', [s, w1, b1, w3, b3], (gy, needs) => {
    const dev = s.device;
    const ds = needs[0] ? emptyLike(dev, s.shape) : null;
    const dw1 = needs[1] ? emptyLike(dev, w1.shape) : null;
    const db1 = needs[2] ? emptyLike(dev, b1.shape) : null;
    const dw3 = needs[3] ? emptyLike(dev, w3.shape) : null;
    const db3 = needs[4] ? emptyLike(dev, b3.shape) : null;
    if (g1.N === 0) {
      for (const t of [dw1, db1, dw3, db3]) if (t) rt.write(t.buffer, new Float32Array(t.size));
      return [ds, dw1, db1, dw3, db3];
    }
    // An input gradient alone from an already masked gy (a max-pool's backward masks) reads gy's two channel
    // slices as they are, no mask pass, where both input-gradient kernels can read slices.
    const direct = !!ds && gy.maskedFor === out && !dw1 && !db1 && !dw3 && !db3 && inputGradReadsSlice(rt, g1) && inputGradReadsSlice(rt, g3);
    const gm1 = !direct && (ds || dw1 || db1) ? prepGrad(rt, g1, { gy: gy.buffer, y: out.buffer, cOff: 0, cTot: Ct, db: db1 ? db1.buffer : null }) : null;
    const gm3 = !direct && (ds || dw3 || db3) ? prepGrad(rt, g3, { gy: gy.buffer, y: out.buffer, cOff: E1, cTot: Ct, db: db3 ? db3.buffer : null }) : null;
    if (ds) {
      const [a1, a3] = direct
        ? [{ gm: gy.buffer, gmOff: 0, gmTot: Ct }, { gm: gy.buffer, gmOff: E1, gmTot: Ct }]
        : [{ gm: gm1!.buffer }, { gm: gm3!.buffer }];
      backwardInput(rt, g1, { ...a1, w: w1, dx: ds.buffer, acc: false });
      backwardInput(rt, g3, { ...a3, w: w3, dx: ds.buffer, acc: true });
    }
    if (dw1) backwardWeight(rt, g1, { x: s.buffer, gm: gm1!.buffer, dw: dw1.buffer });
    if (dw3) backwardWeight(rt, g3, { x: s.buffer, gm: gm3!.buffer, dw: dw3.buffer });
    gm1?.release();
    gm3?.release();
    return [ds, dw1, db1, dw3, db3];
  });
}
