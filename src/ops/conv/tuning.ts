// Conv tuning policy: which register tile each conv kernel family uses on this adapter, which weight-tap
// variant (subgroup broadcasts or vec4 loads), and when the kernel size becomes a constant. Tiles change speed
// only: every tile sums in the same order. The launchers (launch.ts) ask here; the autotuner (conv_tune.ts)
// and the CLI's saved choices write the tables.
import type { Runtime } from '../../gpu/runtime.js';
import { isCpuAdapter } from '../../gpu/adapter.js';
import type { ConvShape } from '../cpu/conv.js';
import { checkGemmTile, gemmConfig } from '../conv_gemm.js';

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
 * pixels (weight columns for backwardWeight) per invocation; tp 8 (all but backwardWeight) is the wide variant
 * (two vec4 pixel groups) where the kernel has one: 'forwardStrided' for stride 2 with a 3-wide kernel,
 * 'backwardInput' where stride-1 input gradients run as forward convs; elsewhere it means 4. The top-level
 * tiles are for CPU adapters (lavapipe, SwiftShader: wide register tiles), `gpu` holds those for other adapters
 * (smaller tiles: register pressure). Mutable: autotuneConv (conv_tune.ts) picks them for the adapter at hand;
 * pipelines are cached per tile.
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
  /** Kernel sizes up to 5x5 as constants, so the compiler unrolls the loops over the taps. */
  unrollTaps: true,
  col2imTp: 8,
  /**
   * The three taps of a kernel row (the pointwise kernels: three input channels) in one channel-major call,
   * tap3/tap3w: each accumulator read and written once per three multiply-adds (lavapipe spills them). Same
   * sums in the same order. Off in the page's SwiftShader preset, where it measured 3% slower.
   */
  rowTaps: true,
  /**
   * Stride-1 input gradients (square kernels) through the forward kernel on the transposed, rotated weight
   * instead of conv2d_backward_input.wgsl's phases.
   */
  inputGradAsForward: false,
  /**
   * The same for the implicit-GEMM tiles (discrete GPUs): stride-1 input gradients through the gemm forward on
   * the transposed, rotated weight (packed once per weight) instead of conv2d_gemm_backward_input.wgsl. On the
   * H200 the tuner timed the 3x3 expand family's forward at 0.30 ms and its input gradient, the same
   * multiply-adds, at 4.0 ms; this path has not yet run on a GPU (`bash bench/gpu.sh` times both).
   */
  gemmInputGradAsForward: true,
  /**
   * 3x3 stride-1 'same' convs in wide tiles (forward and input gradients run as forward convs) take their output
   * pixels as one flat run per plane, so a 13- or 27-pixel row does not compute 16 or 32 (conv2d_forward FLAT).
   */
  flatRows: false,
  /** Use the subgroup weight taps when the device has the 'subgroups' feature (subgroups of >= 4 lanes). */
  subgroups: true,
  /**
   * Lanes that share one weight load: 8 (conv2d_tap_subgroup / _subgroup32, subgroups of >= 8 lanes), 4
   * (conv2d_tap_subgroup4, subgroups of >= 4: SwiftShader), or 0: 8 where the subgroups have >= 8 lanes, else 4.
   */
  subgroupRun: 0 as 0 | 4 | 8,
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
export type TileTable = Record<TileName, ConvTile> & { backwardWeight: ConvTile & { chunk: number } };

/** The tile table for this runtime's adapter (CPU adapters: the top level of convTuning; else convTuning.gpu). */
export function tileTable(rt: Runtime): TileTable {
  return isCpuAdapter(rt.report) ? convTuning : convTuning.gpu;
}

/** The tile of family `name` when it selects the gemm kernels (checked), else null. */
export function gemmTile(rt: Runtime, name: TileName): ConvTile | null {
  const t: ConvTile = tileTable(rt)[name];
  if (!t.gemm) return null;
  checkGemmTile(name, t);
  gemmConfig.minGroups = convTuning.gemmMinGroups;
  gemmConfig.unrollTaps = convTuning.unrollTaps;
  return t;
}

/** The tile of kernel `name` for `channels` channels on this runtime's adapter (a copy). */
export function tileFor(rt: Runtime, name: TileName, channels: number): ConvTile {
  const t: ConvTile = tileTable(rt)[name];
  // tp 8: the wide variant; the launchers take 4 where a conv has none (see convTuning).
  const maxTp = name === 'backwardWeight' ? 4 : 8;
  if (![4, 8, 12, 16, 32].includes(t.tc) || !(Number.isInteger(t.tp) && t.tp >= 1 && (t.tp <= 4 || t.tp === maxTp)) || !(Number.isInteger(t.wg) && t.wg >= 1 && t.wg <= 256)) {
    throw new Error(`conv2d: tile of '${name}' must have tc in {4, 8, 12, 16, 32}, 1 <= tp <= 4 (or 8, except for 'backwardWeight'), 1 <= wg <= 256; got ${JSON.stringify(t)}`);
  }
  // Few channels get a smaller channel block (4, 8 or 16 only: each block size is another pipeline to compile).
  return { wg: t.wg, tc: Math.min(t.tc, channels <= 4 ? 4 : channels <= 8 ? 8 : channels <= 16 ? 16 : 32), tp: t.tp };
}

export interface TapVariant {
  /** The weight-tap shader composed with a kernel body. */
  shader: 'conv2d_tap_vec4' | 'conv2d_tap_subgroup' | 'conv2d_tap_subgroup32' | 'conv2d_tap_subgroup4';
  /** Item padding for convGrid. */
  pad: number;
}

/** The subgroup sizes of the device (0 when unknown). */
export function subgroupSizes(rt: Runtime): { min: number; max: number } {
  const info = (rt.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  return { min: info?.subgroupMinSize ?? 0, max: info?.subgroupMaxSize ?? 0 };
}

/**
 * The weight-tap variant for this device and tile: subgroup broadcasts where available (32 channels: one
 * vec4 load per lane), else vec4 loads.
 */
export function tapVariant(rt: Runtime, tile: ConvTile): TapVariant {
  const { min, max } = subgroupSizes(rt);
  const run = convTuning.subgroupRun || (min >= 8 ? 8 : 4);
  if (convTuning.subgroups && rt.device.features.has('subgroups') && min >= run && max >= min) {
    // Subgroups are runs of consecutive invocations on the CPU adapters (lavapipe, SwiftShader: their SIMD
    // width); elsewhere keep the channel block uniform per workgroup, which holds whatever the subgroup layout.
    const pad = isCpuAdapter(rt.report) && max <= tile.wg ? max : tile.wg;
    if (run === 4) return { shader: 'conv2d_tap_subgroup4', pad };
    return { shader: tile.tc === 32 ? 'conv2d_tap_subgroup32' : 'conv2d_tap_subgroup', pad };
  }
  return { shader: 'conv2d_tap_vec4', pad: 1 };
}

/** The kernel size as constants (the tap loops unroll) when convTuning.unrollTaps, else 0 (read from the params). */
export function tapConstants(g: ConvShape): { KHc: number; KWc: number } {
  return convTuning.unrollTaps && g.KH * g.KW <= 25 ? { KHc: g.KH, KWc: g.KW } : { KHc: 0, KWc: 0 };
}
