// Convolution: conv2d (any kernel size, stride, symmetric zero padding, bias and ReLU fused) and SqueezeNet's
// fire-module expand (two convs writing into the channel slices of one output, no concat), with their
// gradients next to them.
//
// Kernels (shaders/conv2d_*.wgsl) use register tiling without workgroup memory (lavapipe's barriers are slow):
// each invocation accumulates a tile of TC channels x TP pixels in registers (32 x 4 by default).
//   conv2d_pointwise        1x1 stride-1 unpadded convs (a matmul per image); also their input gradient
//   conv2d_forward          every other conv (sliding window along the row for stride 1)
//   conv2d_backward_input   input gradient, gather form (transposed conv by stride phases, no atomics)
//   conv2d_col2im           input gradient of convs with few input channels (conv1), after a pointwise
//                           product gives the column gradient
//   conv2d_backward_weight  weight gradient, reduction over N*Ho*Wo split in chunks, then conv2d_reduce
//   conv2d_bias_grad        one pass over the output gradient: ReLU mask and bias partial sums
//   conv2d_relu_mask        the ReLU mask alone (no bias gradient), flat and vec4 when the runs are aligned
//   conv2d_pack             repacking (weights; the output gradient for the weight gradient): the TC values
//                           of one reduction step contiguous. Packed weights are cached per weight storage
//                           (packedWeight) and freed with it, so a weight is packed once per layout.
// The four tiled kernels are bodies completed by a weight-tap file put in front of them. With the 'subgroups'
// feature: conv2d_tap_subgroup32.wgsl for 32-channel tiles (one vec4 load per lane per 32 weights, the rest by
// subgroupBroadcast) and conv2d_tap_subgroup.wgsl for up to 16 (one scalar load per 8 weights); without it
// conv2d_tap_vec4.wgsl (every lane loads its tile's weights as vec4). conv2d_accumulators.wgsl (the tile's
// registers) follows the tap file, and conv2d_epilogue.wgsl (storing a whole tile) the forward, pointwise and
// input-gradient bodies.
// On lavapipe (Mesa 25.0) every storage load with a non-constant address, uniform or not, is a per-lane loop
// whose cost hardly depends on the load's width (a vec4 costs about two scalars), and every loop-carried value
// is stored under the loop's lane mask; a tile's accumulators outnumber the CPU's registers and are spilled.
// Large tiles (32 channels x 4 or 8 pixels), the sliding window, the wide taps and the kernel size as pipeline
// constants (unrolled tap loops) cut loads and loop overhead per multiply-add until the spilled arithmetic
// itself (about five instructions per 8-lane multiply-add) sets the speed.
// Tile sizes are `override` constants, chosen from `convTuning` (an autotuner may change it); the dispatch
// geometry of the tiled kernels is computed in one place, convGrid().
import fwdSrc from '../../shaders/conv2d_forward.wgsl';
import pwSrc from '../../shaders/conv2d_pointwise.wgsl';
import bwdInSrc from '../../shaders/conv2d_backward_input.wgsl';
import bwdWSrc from '../../shaders/conv2d_backward_weight.wgsl';
import prepSrc from '../../shaders/conv2d_bias_grad.wgsl';
import maskSrc from '../../shaders/conv2d_relu_mask.wgsl';
import reduceSrc from '../../shaders/conv2d_reduce.wgsl';
import packSrc from '../../shaders/conv2d_pack.wgsl';
import col2imSrc from '../../shaders/conv2d_col2im.wgsl';
import tapVec4Src from '../../shaders/conv2d_tap_vec4.wgsl';
import tapSubgroupSrc from '../../shaders/conv2d_tap_subgroup.wgsl';
import tapSubgroup32Src from '../../shaders/conv2d_tap_subgroup32.wgsl';
import accSrc from '../../shaders/conv2d_accumulators.wgsl';
import epilogueSrc from '../../shaders/conv2d_epilogue.wgsl';
import { record, Storage, type Tensor } from '../tensor/tensor.js';
import type { Runtime } from '../gpu/runtime.js';
import { emptyLike, fmtShape, groups1d, checkTensor, sameDevice, ITEMS } from './util.js';
import { isCpuAdapter } from '../gpu/adapter.js';
import { checkGemmTile, gemmBackwardInputRaw, gemmBackwardWeightRaw, gemmConfig, gemmForwardRaw } from './conv_gemm.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  activation?: 'none' | 'relu';
}

/** Register tile of a kernel: `wg` lanes per workgroup, `tc` channels and `tp` pixels (or weight columns) per invocation. */
export interface ConvTile {
  wg: number;
  tc: number;
  tp: number;
  /**
   * The implicit-GEMM kernels tiled in workgroup memory (src/ops/conv_gemm.ts) instead of the register tiles:
   * tc x tp is then the workgroup's output tile (32 or 64 channels x 32 or 64 pixels) and wg = tc * tp / 16.
   */
  gemm?: boolean;
}

/**
 * Tile sizes per kernel: wg (lanes per workgroup, <= 256), tc in {4, 8, 12, 16, 32} channels and tp in 1..4
 * pixels (weight columns for backwardWeight) per invocation; tp 8 for 'forward' and the pointwise kernels is
 * the wide variant (two vec4 pixel groups). The top-level tiles are for CPU adapters (lavapipe, SwiftShader:
 * wide register tiles), `gpu` holds those for other adapters (smaller tiles: register pressure). Mutable:
 * autotuneConv (conv_tune.ts) picks them for the adapter at hand; pipelines are cached per tile. Tiles change
 * speed only: every tile sums in the same order.
 */
export const convTuning = {
  /** tp 8: the wide variant (two vec4 pixel groups per invocation, stride 1). */
  forward: { wg: 64, tc: 32, tp: 8 } as ConvTile,
  /** Forward convs with stride > 1 (no sliding window). */
  forwardStrided: { wg: 64, tc: 32, tp: 4 } as ConvTile,
  /** tp 8: the wide variant here too (one weight load for 8 pixels). */
  pointwise: { wg: 64, tc: 32, tp: 8 } as ConvTile,
  backwardInput: { wg: 64, tc: 32, tp: 4 } as ConvTile,
  pointwiseBackward: { wg: 64, tc: 32, tp: 8 } as ConvTile,
  /** tp = weight columns per invocation; `chunk` = reduction steps (output pixels) per partial sum. */
  backwardWeight: { wg: 64, tc: 16, tp: 4, chunk: 512 } as ConvTile & { chunk: number },
  /** Pixels per invocation in the bias / ReLU-mask pass (`maskSeg`: without a bias gradient). */
  biasGrad: { wg: 64, seg: 256, maskSeg: 64 },
  /**
   * Input gradients of convs with fewer input channels than this (conv1: 3) go through a column gradient
   * (a pointwise product with the transposed weight, TC over Cin*KH*KW) and col2im, instead of the direct
   * kernel whose channel tile would be mostly empty. `col2imTp`: pixels per col2im invocation.
   */
  colBelowCin: 8,
  /** Kernel sizes up to 5x5 as pipeline constants, so the compiler unrolls the loops over the taps. */
  unrollTaps: true,
  col2imTp: 8,
  /** Use the subgroup weight taps when the device has the 'subgroups' feature (subgroups of >= 8). */
  subgroups: true,
  /** gemm tiles shrink (to 32 x 32) while their grid has fewer workgroups than this (small layers at batch 1). */
  gemmMinGroups: 256,
  /**
   * Tiles on adapters that are not CPUs: the implicit-GEMM kernels in workgroup memory (conv_gemm.ts), 64 x 64
   * output tiles per workgroup shrinking on small layers. (The register tiles measured on an NVIDIA H200 in the
   * first session, { wg: 64, tc: 16, tp: 4 }, remain candidates of the tuner.)
   */
  gpu: {
    forward: { wg: 256, tc: 64, tp: 64, gemm: true } as ConvTile,
    forwardStrided: { wg: 256, tc: 64, tp: 64, gemm: true } as ConvTile,
    pointwise: { wg: 256, tc: 64, tp: 64, gemm: true } as ConvTile,
    backwardInput: { wg: 256, tc: 64, tp: 64, gemm: true } as ConvTile,
    pointwiseBackward: { wg: 256, tc: 64, tp: 64, gemm: true } as ConvTile,
    backwardWeight: { wg: 256, tc: 64, tp: 64, chunk: 512, gemm: true } as ConvTile & { chunk: number },
  },
};

export type TileName = 'forward' | 'forwardStrided' | 'pointwise' | 'backwardInput' | 'pointwiseBackward' | 'backwardWeight';

/** The tile table for this runtime's adapter (CPU adapters: the top level of convTuning; else convTuning.gpu). */
export function tileTable(rt: Runtime): Record<TileName, ConvTile> {
  return isCpuAdapter(rt.report) ? convTuning : convTuning.gpu;
}

/** Shapes of one convolution. */
export interface ConvGeom {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  KH: number;
  KW: number;
  stride: number;
  pad: number;
  Ho: number;
  Wo: number;
}

const MAX_GROUPS = 65535;

/**
 * The dispatch geometry of the tiled conv kernels. `items` work items per channel block (pixel groups of
 * tile.tp, or weight-column groups), `channels` in blocks of tile.tc, `images` (or reduction chunks) along z.
 * Flat (the default): lane L runs item L % itemsPad of channel block L / itemsPad, with itemsPad = items
 * rounded up to `pad` (1: no idle lanes between blocks; the subgroup size or the workgroup size: channel block
 * uniform per subgroup / workgroup); lanes fill workgroups of tile.wg along x, `yMul` (stride phases) along y.
 * channelsInY: channel blocks along y instead and itemsPad = whole workgroups. Lane blocks past the 65535
 * limit fold into z (the kernels read zFold).
 */
export function convGrid(
  items: number, channels: number, images: number, tile: ConvTile,
  opts: { pad?: number; yMul?: number; channelsInY?: boolean } = {},
): { groups: [number, number, number]; zFold: number; cBlocks: number; itemsPad: number } {
  const cBlocks = Math.ceil(channels / tile.tc);
  const yMul = opts.yMul ?? 1;
  let itemsPad: number;
  let lanes: number;
  let gy: number;
  if (opts.channelsInY) {
    itemsPad = Math.ceil(items / tile.wg) * tile.wg;
    lanes = itemsPad;
    gy = cBlocks * yMul;
  } else {
    const pad = Math.max(1, opts.pad ?? 1);
    itemsPad = Math.ceil(items / pad) * pad;
    lanes = cBlocks * itemsPad;
    gy = yMul;
  }
  const blocks = Math.max(1, Math.ceil(lanes / tile.wg));
  const zFold = Math.ceil(blocks / MAX_GROUPS);
  const gx = Math.ceil(blocks / zFold);
  const gz = images * zFold;
  if (gy > MAX_GROUPS || gz > MAX_GROUPS) {
    throw new Error(`conv2d: dispatch too large (${gx} x ${gy} x ${gz} workgroups) for ${items} items, ${channels} channels, ${images} images`);
  }
  return { groups: [gx, gy, gz], zFold, cBlocks, itemsPad };
}

interface TapVariant {
  /** Source of the weight-tap file put in front of a kernel body. */
  src: string;
  suffix: string;
  /** Item padding for convGrid. */
  pad: number;
}

/**
 * The weight-tap variant for this device and tile: subgroup broadcasts where available (32 channels: one
 * vec4 load per lane), else vec4 loads.
 */
function tapVariant(rt: Runtime, tile: ConvTile): TapVariant {
  const wg = tile.wg;
  const info = (rt.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  const min = info?.subgroupMinSize ?? 0;
  const max = info?.subgroupMaxSize ?? 0;
  if (convTuning.subgroups && rt.device.features.has('subgroups') && min >= 8 && max >= min) {
    // Subgroups are runs of consecutive invocations on lavapipe (its SIMD width); elsewhere keep the channel
    // block uniform per workgroup, which holds whatever the subgroup layout.
    const pad = isCpuAdapter(rt.report) && max <= wg ? max : wg;
    return tile.tc === 32 ? { src: tapSubgroup32Src + accSrc, suffix: '_sg32', pad } : { src: tapSubgroupSrc + accSrc, suffix: '_sg', pad };
  }
  return { src: tapVec4Src + accSrc, suffix: '', pad: 1 };
}

/** The tile of family `name` when it selects the gemm kernels (checked), else null. */
function gemmTile(rt: Runtime, name: TileName): ConvTile | null {
  const t: ConvTile = tileTable(rt)[name];
  if (!t.gemm) return null;
  checkGemmTile(name, t);
  gemmConfig.minGroups = convTuning.gemmMinGroups;
  gemmConfig.unrollTaps = convTuning.unrollTaps;
  return t;
}

/** The tile of kernel `name` for `channels` channels on this runtime's adapter. */
function tileFor(rt: Runtime, name: TileName, channels: number): ConvTile {
  const t: ConvTile = tileTable(rt)[name];
  const maxTp = name === 'forward' || name === 'pointwise' || name === 'pointwiseBackward' ? 8 : 4;
  if (![4, 8, 12, 16, 32].includes(t.tc) || !(Number.isInteger(t.tp) && t.tp >= 1 && (t.tp <= 4 || t.tp === maxTp)) || !(Number.isInteger(t.wg) && t.wg >= 1 && t.wg <= 256)) {
    throw new Error(`conv2d: tile of '${name}' must have tc in {4, 8, 12, 16, 32}, 1 <= tp <= 4 (or 8 for 'forward' and the pointwise kernels), 1 <= wg <= 256; got ${JSON.stringify(t)}`);
  }
  // Few channels get a smaller channel block (4, 8 or 16 only: each block size is another pipeline to compile).
  return { wg: t.wg, tc: Math.min(t.tc, channels <= 4 ? 4 : channels <= 8 ? 8 : channels <= 16 ? 16 : 32), tp: t.tp };
}

/** The kernel size as override constants (the tap loops unroll) when convTuning.unrollTaps, else 0 (from the params). */
function tapConstants(g: ConvGeom): { KHc: number; KWc: number } {
  return convTuning.unrollTaps && g.KH * g.KW <= 25 ? { KHc: g.KH, KWc: g.KW } : { KHc: 0, KWc: 0 };
}

function isPointwise(g: ConvGeom): boolean {
  return g.KH === 1 && g.KW === 1 && g.stride === 1 && g.pad === 0;
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
  const [N, Cin, H, W] = x.shape;
  const [Cout, wCin, KH, KW] = w.shape;
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
  sameDevice(op, ...(b ? [x, w, b] : [x, w]));
  return {
    N, Cin, H, W, Cout, KH, KW, stride, pad,
    Ho: Math.floor((H + 2 * pad - KH) / stride) + 1,
    Wo: Math.floor((W + 2 * pad - KW) / stride) + 1,
  };
}

// ---------- raw kernels (no graph) ----------

/**
 * Pack a weight for the tiled kernels (see conv2d_pack.wgsl): the `tc` weights of one channel block and one
 * reduction index k are contiguous. A temporary the caller releases after recording its dispatch.
 */
function packRaw(rt: Runtime, w: GPUBuffer, C: number, K: number, KK: number, sC: number, sA: number, sB: number, tc: number): Storage {
  const total = Math.ceil(C / tc) * K;
  // +8 floats: the subgroup taps of the last step may read up to 7 weights past the end (never used).
  const bytes = (total * tc + 8) * 4;
  const wp = new Storage(rt, rt.acquire(bytes), bytes);
  const k = rt.kernel('conv2d_pack', packSrc, { WG: 64, TC: tc });
  rt.dispatch(k, { w, wp: wp.buffer }, { C, K, KK, total, sC, sA, sB }, groups1d(total, 64));
  return wp;
}

/**
 * Packed weights, cached per weight storage (tensors are immutable: no op writes into an existing tensor), so
 * each weight is packed once per layout (key: packRaw's arguments) instead of on every call. The packed
 * buffers are released with the weight's storage (Storage.whenReleased).
 */
const packCache = new WeakMap<Storage, Map<string, Storage>>();

/** The packed buffer of weight `w` (see packRaw), packed on first use. Owned by the cache: do not release. */
function packedWeight(rt: Runtime, w: Tensor, C: number, K: number, KK: number, sC: number, sA: number, sB: number, tc: number): GPUBuffer {
  const st = w.store();
  let m = packCache.get(st);
  if (!m) {
    const packs = new Map<string, Storage>();
    m = packs;
    packCache.set(st, packs);
    st.whenReleased(() => {
      for (const p of packs.values()) p.release();
      packs.clear();
      packCache.delete(st);
    });
  }
  const key = `${C},${K},${KK},${sC},${sA},${sB},${tc}`;
  let p = m.get(key);
  if (!p) {
    p = packRaw(rt, w.buffer, C, K, KK, sC, sA, sB, tc);
    m.set(key, p);
  }
  return p.buffer;
}

/**
 * The pointwise product y[n, coOff + o, q] (+)= act(b[o] + sum_r W[o, r] x[n, r, q]) for o < O, r < R, q < HW,
 * with W[o, r] = w[o * sO + r * sR] (packed first). y has coTot channels.
 */
function pointwiseRaw(
  rt: Runtime, tileName: 'pointwise' | 'pointwiseBackward', N: number, R: number, HW: number, O: number,
  x: GPUBuffer, w: Tensor, sO: number, sR: number, b: GPUBuffer | null, y: GPUBuffer,
  coOff: number, coTot: number, relu: boolean, acc: boolean,
): void {
  const gt = gemmTile(rt, tileName);
  if (gt) {
    const g: ConvGeom = { N, Cin: R, H: 1, W: HW, Cout: O, KH: 1, KW: 1, stride: 1, pad: 0, Ho: 1, Wo: HW };
    gemmForwardRaw(rt, gt, g, x, w.buffer, sO, sR, b, y, coOff, coTot, relu, acc);
    return;
  }
  const tile = tileFor(rt, tileName, O);
  // tp 8: the wide variant (two vec4 pixel groups per invocation).
  const wide = tile.tp === 8;
  if (wide) tile.tp = 4;
  const tv = tapVariant(rt, tile);
  const wp = packedWeight(rt, w, O, R, 1, sO, sR, 0, tile.tc);
  const items = Math.ceil(HW / (wide ? 8 : tile.tp));
  const grid = convGrid(items, O, N, tile, { pad: tv.pad });
  const k = rt.kernel(`conv2d_pointwise${tv.suffix}${wide ? '_w' : ''}`, tv.src + epilogueSrc + pwSrc, { WG: tile.wg, TC: tile.tc, TP: tile.tp, WIDE: wide ? 1 : 0 });
  rt.dispatch(
    k,
    { x, wp, b: b ?? x, y },
    {
      Cin: R, HW, Cout: O, coOff, coTot, zFold: grid.zFold, items, itemsPad: grid.itemsPad, cBlocks: grid.cBlocks,
      hasBias: b ? 1 : 0, relu: relu ? 1 : 0, acc: acc ? 1 : 0,
    },
    grid.groups,
  );
}

/** Forward into channels [coOff, coOff + Cout) of `out` ([N, coTot, Ho, Wo]). */
function forwardRaw(rt: Runtime, g: ConvGeom, x: GPUBuffer, w: Tensor, b: GPUBuffer | null, out: GPUBuffer, relu: boolean, coOff: number, coTot: number): void {
  if (g.N === 0) return;
  if (isPointwise(g)) {
    pointwiseRaw(rt, 'pointwise', g.N, g.Cin, g.H * g.W, g.Cout, x, w, g.Cin, 1, b, out, coOff, coTot, relu, false);
    return;
  }
  const gt = gemmTile(rt, g.stride === 1 ? 'forward' : 'forwardStrided');
  if (gt) {
    const K = g.Cin * g.KH * g.KW;
    gemmForwardRaw(rt, gt, g, x, w.buffer, K, 1, b, out, coOff, coTot, relu, false);
    return;
  }
  const tile = tileFor(rt, g.stride === 1 ? 'forward' : 'forwardStrided', g.Cout);
  // tp 8 (stride 1): the wide variant, two vec4 pixel groups per invocation.
  const wide = g.stride === 1 && tile.tp === 8;
  if (wide) tile.tp = 4;
  const tv = tapVariant(rt, tile);
  const KK = g.KH * g.KW;
  const wp = packedWeight(rt, w, g.Cout, g.Cin * KK, KK, g.Cin * KK, KK, 1, tile.tc);
  const groupsX = Math.ceil(g.Wo / (wide ? 8 : tile.tp));
  const items = g.Ho * groupsX;
  const grid = convGrid(items, g.Cout, g.N, tile, { pad: tv.pad });
  const k = rt.kernel(`conv2d_forward${tv.suffix}${wide ? '_w' : ''}`, tv.src + epilogueSrc + fwdSrc, { WG: tile.wg, TC: tile.tc, TP: tile.tp, S1: g.stride === 1 ? 1 : 0, WIDE: wide ? 1 : 0, ...tapConstants(g) });
  rt.dispatch(
    k,
    { x, wp, b: b ?? x, y: out },
    {
      Cin: g.Cin, H: g.H, W: g.W, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW,
      stride: g.stride, pad: g.pad, coOff, coTot, zFold: grid.zFold, groupsX, items, itemsPad: grid.itemsPad, cBlocks: grid.cBlocks,
      hasBias: b ? 1 : 0, relu: relu ? 1 : 0,
    },
    grid.groups,
  );
}

/**
 * One pass over the output gradient `gy` (channels [cOff, cOff + Cout) of a [N, cTot, Ho, Wo] tensor):
 * with `y` (the ReLU output) the masked gradient is written to a new compact buffer; with `db` the bias
 * gradient is reduced into it. Returns the buffer the other gradient kernels read (gy itself if no mask).
 */
function prepGrad(rt: Runtime, g: ConvGeom, gy: GPUBuffer, y: GPUBuffer | null, cOff: number, cTot: number, db: GPUBuffer | null): Storage | null {
  const HW = g.Ho * g.Wo;
  const mask = !!y;
  if (!mask && !db) return null;
  const bytes = Math.max(4, g.N * g.Cout * HW * 4);
  const gm = mask ? new Storage(rt, rt.acquire(bytes), bytes) : null;
  if (gm && !db && (cTot * HW) % 4 === 0 && (cOff * HW) % 4 === 0 && (g.Cout * HW) % 4 === 0) {
    // Mask only, every run vec4-aligned: the flat vec4 pass.
    const total4 = (g.N * g.Cout * HW) / 4;
    if (total4 > 0) {
      const k = rt.kernel('conv2d_relu_mask', maskSrc, { WG: 64, V: ITEMS });
      rt.dispatch(k, { g: gy, y: y!, gm: gm.buffer }, { run4: (g.Cout * HW) / 4, stride4: (cTot * HW) / 4, off4: (cOff * HW) / 4, total4 }, groups1d(Math.ceil(total4 / ITEMS), 64));
    }
    return gm;
  }
  const t = convTuning.biasGrad;
  // Without a bias gradient, short segments (parallel); with one, longer segments (fewer partials).
  const seg = Math.max(1, Math.min(db ? t.seg : t.maskSeg, HW));
  const nSeg = Math.ceil(HW / seg);
  const rows = g.N * g.Cout;
  const pRows = g.N * nSeg;
  const partBuf = db ? (pRows === 1 ? db : rt.acquire(pRows * g.Cout * 4)) : null;
  const dummy = !gm || !partBuf ? rt.acquire(4) : null;
  if (rows > 0 && HW > 0) {
    const k = rt.kernel('conv2d_bias_grad', prepSrc, { WG: t.wg, MASK: mask ? 1 : 0, BIAS: db ? 1 : 0 });
    const gz = Math.ceil(rows / MAX_GROUPS);
    rt.dispatch(
      k,
      { g: gy, y: y ?? gy, gm: gm ? gm.buffer : dummy!, part: partBuf ?? dummy! },
      { Cout: g.Cout, HW, cOff, cTot, seg, nSeg, rows },
      [Math.ceil(nSeg / t.wg), Math.ceil(rows / gz), gz],
    );
  }
  if (db && partBuf !== db) {
    reduceRaw(rt, partBuf!, db, g.Cout, pRows);
    rt.release(partBuf!);
  }
  if (dummy) rt.release(dummy);
  return gm;
}

/** out[j] = sum_c part[c*M + j] */
function reduceRaw(rt: Runtime, part: GPUBuffer, out: GPUBuffer, M: number, C: number): void {
  if (M === 0) return;
  const k = rt.kernel('conv2d_reduce', reduceSrc, { WG: 64 });
  rt.dispatch(k, { part, out }, { M, C }, groups1d(M, 64));
}

/** dx (= or += with acc) from the (masked) output gradient gm [N, Cout, Ho, Wo]. */
function backwardInputRaw(rt: Runtime, g: ConvGeom, gm: GPUBuffer, w: Tensor, dx: GPUBuffer, acc: boolean): void {
  if (g.N === 0) return;
  const KK = g.KH * g.KW;
  if (isPointwise(g)) {
    // The transposed 1x1 conv is the pointwise product with the transposed weight: W[ci, co] = w[co * Cin + ci].
    pointwiseRaw(rt, 'pointwiseBackward', g.N, g.Cout, g.H * g.W, g.Cin, gm, w, 1, g.Cin, null, dx, 0, g.Cin, false, acc);
    return;
  }
  if (g.Cin < convTuning.colBelowCin) {
    // Column gradient col[n, c, oy, ox] = sum_co w[co, c] gm[n, co, oy, ox] (c = (ci*KH + kh)*KW + kw), then col2im.
    const C = g.Cin * KK;
    const HoWo = g.Ho * g.Wo;
    const col = rt.acquire(Math.max(4, g.N * C * HoWo * 4));
    pointwiseRaw(rt, 'pointwiseBackward', g.N, g.Cout, HoWo, C, gm, w, 1, C, null, col, 0, C, false, false);
    const tp = Math.max(1, Math.floor(convTuning.col2imTp));
    const groupsX = Math.ceil(g.W / tp);
    const rows = g.N * g.Cin * g.H;
    const gz = Math.ceil(rows / MAX_GROUPS);
    const k = rt.kernel('conv2d_col2im', col2imSrc, { WG: 64, TP: tp });
    rt.dispatch(
      k,
      { col, dx },
      { Cin: g.Cin, H: g.H, W: g.W, KH: g.KH, KW: g.KW, Ho: g.Ho, Wo: g.Wo, stride: g.stride, pad: g.pad, rows, groupsX, acc: acc ? 1 : 0 },
      [Math.ceil(groupsX / 64), Math.ceil(rows / gz), gz],
    );
    rt.release(col);
    return;
  }
  const gt = gemmTile(rt, 'backwardInput');
  if (gt) {
    gemmBackwardInputRaw(rt, gt, g, gm, w.buffer, dx, acc);
    return;
  }
  const tile = tileFor(rt, 'backwardInput', g.Cin);
  const tv = tapVariant(rt, tile);
  const wp = packedWeight(rt, w, g.Cin, g.Cout * KK, KK, KK, g.Cin * KK, 1, tile.tc);
  const s = g.stride;
  const Ty = Math.ceil(g.H / s);
  const Tx = Math.ceil(g.W / s);
  const groupsX = Math.ceil(Tx / tile.tp);
  const items = Ty * groupsX;
  const grid = convGrid(items, g.Cin, g.N, tile, { pad: tv.pad, yMul: s * s });
  const tc = tapConstants(g);
  const k = rt.kernel(`conv2d_backward_input${tv.suffix}`, tv.src + epilogueSrc + bwdInSrc, { WG: tile.wg, TC: tile.tc, TP: tile.tp, ...tc, Sc: tc.KHc ? g.stride : 0 });
  rt.dispatch(
    k,
    { g: gm, wp, dx },
    {
      Cin: g.Cin, H: g.H, W: g.W, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW,
      stride: s, pad: g.pad, Ty, Tx, zFold: grid.zFold, groupsX, items, itemsPad: grid.itemsPad, cBlocks: grid.cBlocks,
      acc: acc ? 1 : 0,
    },
    grid.groups,
  );
}

/** dw [Cout, Cin, KH, KW] from x and the (masked) output gradient gm. */
function backwardWeightRaw(rt: Runtime, g: ConvGeom, x: GPUBuffer, gm: GPUBuffer, dw: GPUBuffer): void {
  const K = g.Cin * g.KH * g.KW;
  const HoWo = g.Ho * g.Wo;
  const R = g.N * HoWo;
  const gt = gemmTile(rt, 'backwardWeight');
  if (gt) {
    gemmBackwardWeightRaw(rt, gt, g, x, gm, dw);
    return;
  }
  const t = tileFor(rt, 'backwardWeight', g.Cout);
  const items = Math.ceil(K / t.tp);
  // Narrow weights (conv1 has K = 27) waste fewer lanes with a smaller workgroup.
  let wg = t.wg;
  while (wg > 8 && wg / 2 >= items) wg /= 2;
  const tile = { wg, tc: t.tc, tp: t.tp };
  const tv = tapVariant(rt, tile);
  const chunk = Math.max(1, Math.floor((tileTable(rt).backwardWeight as ConvTile & { chunk: number }).chunk));
  const nChunks = Math.ceil(R / chunk);
  const grid = convGrid(items, g.Cout, nChunks, tile, { pad: tv.pad });
  if (grid.zFold !== 1) throw new Error(`conv2d: weight gradient of weight [${g.Cout}, ${g.Cin}, ${g.KH}, ${g.KW}] is too large for one dispatch`);
  // The output gradient packed so that the tc channels of one step r = (n, oy, ox) are contiguous.
  const gp = packRaw(rt, gm, g.Cout, R, HoWo, HoWo, g.Cout * HoWo, 1, tile.tc);
  const part = nChunks === 1 ? dw : rt.acquire(nChunks * g.Cout * K * 4);
  const k = rt.kernel(`conv2d_backward_weight${tv.suffix}`, tv.src + bwdWSrc, { WG: tile.wg, TC: tile.tc, TP: tile.tp });
  rt.dispatch(
    k,
    { x, wp: gp.buffer, part },
    {
      Cin: g.Cin, H: g.H, W: g.W, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW, stride: g.stride, pad: g.pad,
      K, R, chunk, items, itemsPad: grid.itemsPad, cBlocks: grid.cBlocks,
    },
    grid.groups,
  );
  gp.release();
  if (part !== dw) {
    reduceRaw(rt, part, dw, g.Cout * K, nChunks);
    rt.release(part);
  }
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
  forwardRaw(rt, g, x.buffer, w, b ? b.buffer : null, out.buffer, relu, 0, g.Cout);
  const inputs = b ? [x, w, b] : [x, w];
  return record(out, relu ? 'conv2d_relu' : 'conv2d', inputs, (gy, needs) => {
    const dx = needs[0] ? emptyLike(x.device, x.shape) : null;
    const dw = needs[1] ? emptyLike(x.device, w.shape) : null;
    const db = b && needs[2] ? emptyLike(x.device, b.shape) : null;
    if (g.N === 0) {
      // No images: zero weight and bias gradients.
      for (const t of [dw, db]) if (t) rt.write(t.buffer, new Float32Array(t.size));
      return [dx, dw, db];
    }
    const gm = prepGrad(rt, g, gy.buffer, relu ? out.buffer : null, 0, g.Cout, db ? db.buffer : null);
    const gbuf = gm ? gm.buffer : gy.buffer;
    if (dx) backwardInputRaw(rt, g, gbuf, w, dx.buffer, false);
    if (dw) backwardWeightRaw(rt, g, x.buffer, gbuf, dw.buffer);
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
  forwardRaw(rt, g1, s.buffer, w1, b1.buffer, out.buffer, true, 0, Ct);
  forwardRaw(rt, g3, s.buffer, w3, b3.buffer, out.buffer, true, E1, Ct);
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
    const gm1 = ds || dw1 || db1 ? prepGrad(rt, g1, gy.buffer, out.buffer, 0, Ct, db1 ? db1.buffer : null) : null;
    const gm3 = ds || dw3 || db3 ? prepGrad(rt, g3, gy.buffer, out.buffer, E1, Ct, db3 ? db3.buffer : null) : null;
    if (ds) {
      backwardInputRaw(rt, g1, gm1!.buffer, w1, ds.buffer, false);
      backwardInputRaw(rt, g3, gm3!.buffer, w3, ds.buffer, true);
    }
    if (dw1) backwardWeightRaw(rt, g1, s.buffer, gm1!.buffer, dw1.buffer);
    if (dw3) backwardWeightRaw(rt, g3, s.buffer, gm3!.buffer, dw3.buffer);
    gm1?.release();
    gm3?.release();
    return [ds, dw1, db1, dw3, db3];
  });
}
