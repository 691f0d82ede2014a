// Pooling over NCHW: max (arg-max saved for a gather-form backward), average (PyTorch's divisors) and global
// average. Output sizes, padding rules and ceil mode follow PyTorch (see src/ops/cpu/pool.ts).
import { record, isGradEnabled, Storage, type Tensor } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { emptyLike, fmtShape, groups1d, checkTensor } from './util.js';
import { poolOutShape, type Pool2dParams } from './cpu/pool.js';

export interface Pool2dOptions {
  kernel: number;
  /** Default: the kernel size. */
  stride?: number;
  /** Default 0. At most kernel / 2 (as PyTorch). */
  padding?: number;
  /** Default false. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

const WG = 256;
/** Workgroup size of the max-pool forward and backward (fewer, longer invocations than the average pools). */
const MAXPOOL_WG = 64;
/** Outputs along a row per max-pool forward invocation (the constant TPO of maxpool.wgsl). */
const MAXPOOL_TPO = 8;
/** Outputs of a class row per max-pool backward invocation (the constant E of maxpool_backward.wgsl). */
const MAXPOOL_BWD_E = 4;

/**
 * `flat`: the max-pool forward without private arrays (maxpool.wgsl's main_flat), for adapters that keep
 * indexed private arrays in memory and do not unroll loops (SwiftShader; the page turns it on there).
 */
export const poolTuning = { flat: false };

function checkNCHW(op: string, x: Tensor): [number, number, number, number] {
  checkTensor(op, 'x', x);
  if (x.rank !== 4) throw new Error(`${op}: expects x of shape [N, C, H, W]; got shape ${fmtShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  if (C === 0 || H === 0 || W === 0) throw new Error(`${op}: x of shape ${fmtShape(x.shape)} has an empty channel or spatial dimension`);
  return [N, C, H, W];
}

function intOpt(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${op}: ${name} must be an integer >= ${min}; got ${String(v)}`);
  return v;
}

/** Validate the options and compute the output shape (PyTorch's pool2d_shape_check). */
function plan(op: string, x: Tensor, opts: Pool2dOptions): { q: Pool2dParams; inShape: [number, number, number, number]; outShape: number[] } {
  const inShape = checkNCHW(op, x);
  if (!opts || typeof opts !== 'object') throw new Error(`${op}: options { kernel, stride?, padding?, ceilMode? } are required`);
  const k = intOpt(op, 'kernel', opts.kernel, 1);
  const s = intOpt(op, 'stride', opts.stride ?? k, 1);
  const pad = intOpt(op, 'padding', opts.padding ?? 0, 0);
  const ceilMode = opts.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') throw new Error(`${op}: ceilMode must be a boolean; got ${String(ceilMode)}`);
  if (pad > k / 2) throw new Error(`${op}: padding ${pad} must be at most half the kernel size ${k}`);
  const q: Pool2dParams = { kH: k, kW: k, sH: s, sW: s, pH: pad, pW: pad, ceilMode };
  const outShape = poolOutShape(inShape, q);
  if (outShape[2] < 1 || outShape[3] < 1) {
    throw new Error(
      `${op}: kernel ${k} (stride ${s}, padding ${pad}${ceilMode ? ', ceil mode' : ''}) is too large for x of shape ${fmtShape(x.shape)}: ` +
      `the output would be ${outShape[2]}x${outShape[3]}`,
    );
  }
  return { q, inShape, outShape };
}

function uniforms(n: number, inShape: readonly number[], outShape: readonly number[], q: Pool2dParams) {
  return { n, H: inShape[2], W: inShape[3], Ho: outShape[2], Wo: outShape[3], kH: q.kH, kW: q.kW, sH: q.sH, sW: q.sW, pH: q.pH, pW: q.pW };
}

/**
 * 2-D max pooling of NCHW, exactly as PyTorch's max_pool2d (dilation 1): padding is −∞, windows are clipped
 * to the input, the first maximum in row-major window order wins ties. The gradient goes to the arg-max.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { q, inShape, outShape } = plan('maxPool2d', x, opts);
  const rt = x.device.runtime;
  const out = emptyLike(x.device, outShape);
  const save = isGradEnabled() && x.requiresGrad;
  const idxBytes = save ? Math.max(4, out.size * 4) : 4;
  const idx = new Storage(rt, rt.acquire(idxBytes), idxBytes);
  if (out.size) {
    // One invocation per segment of MAXPOOL_TPO outputs along an output row (see maxpool.wgsl).
    const segs = Math.ceil(outShape[3] / MAXPOOL_TPO);
    const n = outShape[0] * outShape[1] * outShape[2] * segs;
    const k = kernel(rt, 'maxpool', { KW: q.kW, SW: q.sW, TPO: MAXPOOL_TPO, SAVE: save ? 1 : 0, WG: MAXPOOL_WG }, { entry: poolTuning.flat ? 'main_flat' : 'main' });
    rt.dispatch(k, { x: x.buffer, out: out.buffer, idx: idx.buffer }, { ...uniforms(n, inShape, outShape, q), segs }, groups1d(n, MAXPOOL_WG));
  }
  if (!save) {
    idx.release();
    return out;
  }
  return record(out, 'maxPool2d', [x], (g, _needs, free) => {
    // Zero-filled, then one scatter dispatch per class of pairwise disjoint windows (see maxpool_backward.wgsl).
    const gin = g.device.zeros(inShape);
    // x a ReLU output whose gradient goes only to its producer's mask: zero g where the pool's output (x at the
    // arg-max) is <= 0 while scattering, so gin is masked already and the producer skips its mask pass.
    const mask = free[0] && x.masksGrad;
    if (mask) gin.maskedFor = x;
    const [N, C, H, W] = inShape;
    const Ho = outShape[2];
    const Wo = outShape[3];
    if (gin.size && g.size) {
      const my = Math.ceil(q.kH / q.sH);
      const mx = Math.ceil(q.kW / q.sW);
      const kb = kernel(rt, 'maxpool_backward', { WG: MAXPOOL_WG, E: MAXPOOL_BWD_E, MASK: mask ? 1 : 0 });
      for (let cy = 0; cy < Math.min(my, Ho); cy++) {
        for (let cx = 0; cx < Math.min(mx, Wo); cx++) {
          const na = Math.ceil((Ho - cy) / my);
          const nb = Math.ceil((Wo - cx) / mx);
          const rows = N * C * na;
          const segs = Math.ceil(nb / MAXPOOL_BWD_E);
          const u = { rows, segs, Ho, Wo, HW: H * W, na, nb, cy, cx, my, mx };
          rt.dispatch(kb, { g: g.buffer, idx: idx.buffer, gin: gin.buffer, y: mask ? out.buffer : g.buffer }, u, groups1d(rows * segs, MAXPOOL_WG));
        }
      }
    }
    return [gin];
  }, [{ dispose: () => idx.release() }]);
}

function avgPoolRaw(x: Tensor, inShape: readonly number[], outShape: readonly number[], q: Pool2dParams, includePad: boolean, op: string, global = false): Tensor {
  const rt = x.device.runtime;
  const out = emptyLike(x.device, outShape);
  if (out.size) {
    const k = kernel(rt, 'avgpool', { WG });
    rt.dispatch(k, { src: x.buffer, dst: out.buffer }, { ...uniforms(out.size, inShape, outShape, q), countIncludePad: includePad ? 1 : 0 }, groups1d(out.size, WG));
  }
  return record(out, op, [x], (g) => {
    const gin = emptyLike(g.device, inShape);
    if (gin.size) {
      // The global average's gradient is a plain broadcast of g / (H·W).
      const entry = global ? 'broadcast' : 'backward';
      const kb = kernel(rt, 'avgpool', { WG }, { entry });
      rt.dispatch(kb, { src: g.buffer, dst: gin.buffer }, { ...uniforms(gin.size, inShape, outShape, q), countIncludePad: includePad ? 1 : 0 }, groups1d(gin.size, WG));
    }
    return [gin];
  });
}

/**
 * 2-D average pooling of NCHW as PyTorch's avg_pool2d: with countIncludePad (default) the divisor is the
 * window clipped to the padded input, otherwise the number of input elements in the window.
 */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const { q, inShape, outShape } = plan('avgPool2d', x, opts);
  const includePad = opts.countIncludePad ?? true;
  if (typeof includePad !== 'boolean') throw new Error(`avgPool2d: countIncludePad must be a boolean; got ${String(includePad)}`);
  return avgPoolRaw(x, inShape, outShape, q, includePad, 'avgPool2d');
}

/** [N, C, H, W] → [N, C, 1, 1]: the mean of each plane (adaptive_avg_pool2d to 1×1). */
export function globalAvgPool2d(x: Tensor): Tensor {
  const inShape = checkNCHW('globalAvgPool2d', x);
  const [N, C, H, W] = inShape;
  const q: Pool2dParams = { kH: H, kW: W, sH: 1, sW: 1, pH: 0, pW: 0, ceilMode: false };
  return avgPoolRaw(x, inShape, [N, C, 1, 1], q, true, 'globalAvgPool2d', true);
}
