// Implicit-GEMM convolution kernels for discrete GPUs: the forward, input gradient and weight gradient of a
// convolution as matrix products whose tiles are staged in workgroup memory (shaders/conv2d_gemm_*.wgsl).
//   forward          M = output channels, columns = N*Ho*Wo output pixels, K = Cin*KH*KW (im2col gathered on
//                    the fly); bias + ReLU fused; may write a channel slice (fire expand) or accumulate
//   input gradient   M = Cin, columns = N*H*W input pixels, K = Cout*KH*KW, gathering from the output
//                    gradient by stride phases (no col2im, no atomics)
//   weight gradient  M = Cout, columns = Cin*KH*KW, the reduction over N*Ho*Wo split in chunks (grid z),
//                    partial sums added by conv2d_reduce
// src/ops/conv/launch.ts calls these when the tile of a kernel family has `gemm: true` (the default for GPUs,
// convTuning.gpu; the tuner tries them everywhere). A gemm tile's tc x tp is the workgroup's output tile
// (BM channels x BN pixels, 32 or 64 each; 4 x 4 per invocation, so wg = tc * tp / 16); when the grid would
// have fewer than convTuning.gemmMinGroups workgroups the tile shrinks (pixels first) to 32 x 32, so that
// small late layers at batch 1 still fill the GPU.
// On CPU adapters (lavapipe) workgroup barriers and memory are slow: there the direct register-tiled kernels
// stay the default, and these run only when tuned or forced (tests force them).
import type { Runtime } from '../gpu/runtime.js';
import { kernel } from '../gpu/library.js';
import type { ConvGeom } from './cpu/conv.js';
import { groups1d } from './util.js';

/** The part of a conv tile the gemm kernels read: tc x tp = BM x BN, gemm = true. */
export interface GemmTileSpec {
  wg: number;
  tc: number;
  tp: number;
  gemm?: boolean;
}

const MAX_GROUPS = 65535;
/** Workgroups below which a gemm tile shrinks (see the file comment); set from convTuning by conv.ts. */
export const gemmConfig = { minGroups: 256, unrollTaps: true };

/** Checks a gemm tile: tc and tp in {32, 64}, wg = tc * tp / 16 (or 0: derived). */
export function checkGemmTile(name: string, t: GemmTileSpec): void {
  if (![32, 64].includes(t.tc) || ![32, 64].includes(t.tp) || (t.wg && t.wg !== (t.tc * t.tp) / 16)) {
    throw new Error(`conv2d: gemm tile of '${name}' must have tc and tp in {32, 64} (channels x pixels per workgroup) and wg = tc * tp / 16; got ${JSON.stringify(t)}`);
  }
}

/** The workgroup tile for an M x NC product: the tile's, shrunk (pixels, then channels) while the grid is small. */
export function gemmBlock(t: GemmTileSpec, M: number, NC: number, minGroups = gemmConfig.minGroups): { bm: number; bn: number } {
  let bm = t.tc;
  let bn = t.tp;
  const groups = () => Math.ceil(M / bm) * Math.ceil(NC / bn);
  while (groups() < minGroups && (bm > 32 || bn > 32)) {
    if (bn > 32 && (bn >= bm || M <= 32)) bn = 32;
    else if (bm > 32) bm = 32;
    else bn = 32;
  }
  // Few channels: a 32-channel block wastes less.
  if (M <= 32) bm = 32;
  return { bm, bn };
}

function tapConstants(g: { KH: number; KW: number }): { KHc: number; KWc: number } {
  return gemmConfig.unrollTaps && g.KH * g.KW <= 25 ? { KHc: g.KH, KWc: g.KW } : { KHc: 0, KWc: 0 };
}

/** Column blocks along x, folded into z past the 65535 limit; channel blocks along y. */
function grid(M: number, NC: number, bm: number, bn: number): [number, number, number] {
  const blocks = Math.ceil(NC / bn);
  const gz = Math.ceil(blocks / MAX_GROUPS);
  const gy = Math.ceil(M / bm);
  if (gy > MAX_GROUPS) throw new Error(`conv2d: ${M} channels are too many for one gemm dispatch`);
  return [Math.ceil(blocks / gz), gy, gz];
}

/**
 * The forward as an implicit GEMM: y[n, coOff + m, q] (+)= act(b[m] + sum_k A[m, k] im2col(x)[k, (n, q)]) with
 * A[m, k] = w[m * sM + k * sK], for the conv geometry g (Cout = M). y has coTot channels.
 */
export function gemmForwardRaw(
  rt: Runtime, tile: GemmTileSpec, g: ConvGeom, x: GPUBuffer, w: GPUBuffer, sM: number, sK: number,
  b: GPUBuffer | null, y: GPUBuffer, coOff: number, coTot: number, relu: boolean, acc: boolean,
): void {
  const HoWo = g.Ho * g.Wo;
  const NC = g.N * HoWo;
  const M = g.Cout;
  const K = g.Cin * g.KH * g.KW;
  if (NC === 0 || M === 0) return;
  const { bm, bn } = gemmBlock(tile, M, NC);
  const k = kernel(rt, 'conv2d_gemm_forward', { BM: bm, BN: bn, WGS: (bm * bn) / 16, AM: sM === 1 && sK !== 1 ? 1 : 0, ...tapConstants(g) });
  rt.dispatch(
    k,
    { x, w, b: b ?? w, y },
    {
      M, NC, K, HoWo, Cin: g.Cin, H: g.H, W: g.W, Wo: g.Wo, KH: g.KH, KW: g.KW, stride: g.stride, pad: g.pad,
      sM, sK, coOff, coTot, hasBias: b ? 1 : 0, relu: relu ? 1 : 0, acc: acc ? 1 : 0,
    },
    grid(M, NC, bm, bn),
  );
}

/** dx (= or += with acc) [N, Cin, H, W] from the (masked) output gradient gm [N, Cout, Ho, Wo] and w. */
export function gemmBackwardInputRaw(rt: Runtime, tile: GemmTileSpec, g: ConvGeom, gm: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, acc: boolean): void {
  const HW = g.H * g.W;
  const NC = g.N * HW;
  const M = g.Cin;
  const K = g.Cout * g.KH * g.KW;
  if (NC === 0 || M === 0) return;
  const { bm, bn } = gemmBlock(tile, M, NC);
  const k = kernel(rt, 'conv2d_gemm_backward_input', { BM: bm, BN: bn, WGS: (bm * bn) / 16, ...tapConstants(g) });
  rt.dispatch(
    k,
    { g: gm, w, dx },
    { M, NC, K, HW, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, W: g.W, KH: g.KH, KW: g.KW, stride: g.stride, pad: g.pad, acc: acc ? 1 : 0 },
    grid(M, NC, bm, bn),
  );
}

/** Reduction rows per chunk of the weight gradient: enough chunks to fill about minGroups workgroups, >= 256 rows each. */
export function gemmWeightChunk(R: number, tiles: number, minGroups = gemmConfig.minGroups): number {
  const want = Math.max(1, Math.min(Math.ceil(minGroups / tiles), Math.ceil(R / 256), MAX_GROUPS));
  return Math.ceil(Math.ceil(R / want) / 16) * 16;
}

/** dw [Cout, Cin, KH, KW] from x and the (masked) output gradient gm. */
export function gemmBackwardWeightRaw(rt: Runtime, tile: GemmTileSpec, g: ConvGeom, x: GPUBuffer, gm: GPUBuffer, dw: GPUBuffer): void {
  const M = g.Cout;
  const NC = g.Cin * g.KH * g.KW;
  const HoWo = g.Ho * g.Wo;
  const R = g.N * HoWo;
  const { bm, bn } = gemmBlock(tile, M, NC, 0);
  const gx = Math.ceil(NC / bn);
  const gy = Math.ceil(M / bm);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) throw new Error(`conv2d: weight gradient of weight [${g.Cout}, ${g.Cin}, ${g.KH}, ${g.KW}] is too large for one dispatch`);
  const chunk = gemmWeightChunk(R, gx * gy);
  const nChunks = Math.max(1, Math.ceil(R / chunk));
  const part = nChunks === 1 ? dw : rt.acquire(nChunks * M * NC * 4);
  const k = kernel(rt, 'conv2d_gemm_backward_weight', { BM: bm, BN: bn, WGS: (bm * bn) / 16, ...tapConstants(g) });
  rt.dispatch(
    k,
    { x, g: gm, part },
    { M, NC, R, HoWo, Cin: g.Cin, H: g.H, W: g.W, Wo: g.Wo, KH: g.KH, KW: g.KW, stride: g.stride, pad: g.pad, chunk },
    [gx, gy, nChunks],
  );
  if (part !== dw) {
    const rk = kernel(rt, 'conv2d_reduce', { WG: 64 });
    rt.dispatch(rk, { part, out: dw }, { M: M * NC, C: nChunks }, groups1d(M * NC, 64));
    rt.release(part);
  }
}
