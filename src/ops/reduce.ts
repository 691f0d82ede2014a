// Reductions over any set of axes: sum, mean, max (with arg-max for its gradient), and sumTo (the
// gradient of broadcasting). Gradients are gathered per input element (shaders/reduce_backward.wgsl).
import { record, Storage, type Tensor, type Shape } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { isCpuAdapter } from '../gpu/adapter.js';
import { emptyLike, fmtShape, groups1d, groupsFor, checkTensor, strides, pad8, normAxis, ITEMS } from './util.js';
import { shapeSize } from '../shape.js';

export interface ReduceOptions {
  /** Keep reduced axes as size 1 (default false). */
  keepDims?: boolean;
}

function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = [...new Set(list.map((a) => normAxis(op, a, rank)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new Error(`${op}: repeated axis in ${JSON.stringify(axes)}`);
  return out;
}

interface Plan {
  kept: number[];
  red: number[];
  outShape: number[];
  nOut: number;
  nRed: number;
}

function plan(shape: Shape, red: number[], keepDims: boolean): Plan {
  const kept = shape.map((_, i) => i).filter((i) => !red.includes(i));
  const outShape = keepDims ? shape.map((d, i) => (red.includes(i) ? 1 : d)) : kept.map((i) => shape[i]);
  return {
    kept,
    red,
    outShape,
    nOut: kept.reduce((a, i) => a * shape[i], 1),
    nRed: red.reduce((a, i) => a * shape[i], 1),
  };
}

const WG = 64;

/** Runs the reduction kernel: OP 0 = scaled sum, 1 = max (+ arg-max storage). */
function runReduce(x: Tensor, p: Plan, op: 0 | 1, scale: number): { out: Tensor; idx: Storage | null } {
  const rt = x.device.runtime;
  const st = strides(x.shape);
  const out = emptyLike(x.device, p.outShape);
  const idxBytes = op === 1 ? Math.max(4, p.nOut * 4) : 4;
  const idx = new Storage(rt, rt.acquire(idxBytes), idxBytes);
  if (p.nOut === 0) return { out, idx: op === 1 ? idx : (idx.release(), null) };
  // Reduced axes that form one contiguous block (e.g. the channel axis of NCHW): [outer, nRed, inner].
  const block = p.red.length > 0 && p.red.every((a, i) => i === 0 || a === p.red[i - 1] + 1);
  const inner = block ? shapeSize(x.shape.slice(p.red[p.red.length - 1] + 1)) : 1;
  // Long reductions with few outputs use a workgroup per output (tree-combined), short ones a thread per
  // output. On CPU adapters so do long ones over a middle axis with a wide inner block (a channel sum of
  // [N, C, H, W]): neighbouring threads then read neighbouring addresses, and the workgroups' barriers cost
  // more (the one-class score's sum over 512 channels of 13 x 13: 6.0 -> 0.5 ms on SwiftShader, 0.66 -> 0.28 ms
  // on lavapipe). GPUs keep the workgroups (not measured there).
  const par = p.nRed >= 256 && p.nOut < 4096 && !(block && inner >= 64 && isCpuAdapter(rt.report)) ? 1 : 0;
  const k = kernel(rt, 'reduce', { OP: op, WG, BLOCK: block, E: ITEMS }, { entry: par ? 'main_wg' : 'main' });
  rt.dispatch(
    k,
    { x: x.buffer, out: out.buffer, idx: idx.buffer },
    {
      nOut: p.nOut, nRed: p.nRed, rankK: p.kept.length, rankR: p.red.length,
      kShape: pad8(p.kept.map((i) => x.shape[i])), kStride: pad8(p.kept.map((i) => st[i])),
      rShape: pad8(p.red.map((i) => x.shape[i])), rStride: pad8(p.red.map((i) => st[i])),
      scale, inner,
    },
    par ? groupsFor(p.nOut) : groups1d(Math.ceil(p.nOut / ITEMS), WG),
  );
  if (op === 0) {
    idx.release();
    return { out, idx: null };
  }
  return { out, idx };
}

/** Gradient of a reduction, as a tensor of the input's shape. */
function runReduceBackward(g: Tensor, inShape: Shape, p: Plan, op: 0 | 1, scale: number, idx: Storage | null): Tensor {
  const rt = g.device.runtime;
  const gin = emptyLike(g.device, inShape);
  if (!gin.size) return gin;
  // Strides of each input axis in the (compact) output index and in the reduced index.
  const oStride = new Array(inShape.length).fill(0);
  const rStride = new Array(inShape.length).fill(0);
  let acc = 1;
  for (let j = p.kept.length - 1; j >= 0; j--) {
    oStride[p.kept[j]] = acc;
    acc *= inShape[p.kept[j]];
  }
  acc = 1;
  for (let j = p.red.length - 1; j >= 0; j--) {
    rStride[p.red[j]] = acc;
    acc *= inShape[p.red[j]];
  }
  let dummy: Storage | null = null;
  if (!idx) dummy = new Storage(rt, rt.acquire(4), 4);
  const k = kernel(rt, 'reduce_backward', { OP: op, WG: 256, RANK: inShape.length, E: ITEMS });
  rt.dispatch(
    k,
    { g: g.buffer, idx: (idx ?? dummy)!.buffer, gin: gin.buffer },
    { n: gin.size, rank: inShape.length, shape: pad8(inShape), oStride: pad8(oStride), rStride: pad8(rStride), scale },
    groups1d(Math.ceil(gin.size / ITEMS), 256),
  );
  dummy?.release();
  return gin;
}

function reduceOp(name: string, x: Tensor, axes: number | readonly number[] | undefined, opts: ReduceOptions, mean: boolean): Tensor {
  checkTensor(name, 'x', x);
  const red = normAxes(name, axes, x.rank);
  const p = plan(x.shape, red, !!opts.keepDims);
  if (mean && p.nRed === 0) throw new Error(`${name}: mean over an empty axis of shape ${fmtShape(x.shape)}`);
  const scale = mean ? 1 / p.nRed : 1;
  const { out } = runReduce(x, p, 0, scale);
  const inShape = x.shape;
  return record(out, name, [x], (g) => [runReduceBackward(g, inShape, p, 0, scale, null)]);
}

/** Sum over `axes` (all by default). */
export function sum(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduceOp('sum', x, axes, opts, false);
}

/** Mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduceOp('mean', x, axes, opts, true);
}

/**
 * Max over `axes` (e.g. the channel max of a saliency map: maxOverAxis(x, 1)). The gradient flows to the
 * first arg-max of each reduced group (as PyTorch's max(dim)).
 */
export function maxOverAxis(x: Tensor, axes: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  checkTensor('maxOverAxis', 'x', x);
  const red = normAxes('maxOverAxis', axes, x.rank);
  const p = plan(x.shape, red, !!opts.keepDims);
  if (p.nRed === 0) throw new Error(`maxOverAxis: empty axis in shape ${fmtShape(x.shape)}`);
  const { out, idx } = runReduce(x, p, 1, 1);
  const inShape = x.shape;
  return record(out, 'maxOverAxis', [x], (g) => [runReduceBackward(g, inShape, p, 1, 1, idx)], [{ dispose: () => idx!.release() }]);
}

/** Sum `x` down to `shape` (the reverse of broadcasting): the gradient rule of broadcast ops. No graph. */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  const off = x.rank - shape.length;
  if (off < 0) throw new Error(`sumTo: cannot reduce ${fmtShape(x.shape)} to the larger rank of ${fmtShape(shape)}`);
  const red: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const d = i < off ? 1 : shape[i - off];
    if (i < off || (d === 1 && x.shape[i] !== 1)) red.push(i);
    else if (d !== x.shape[i]) throw new Error(`sumTo: ${fmtShape(x.shape)} does not broadcast from ${fmtShape(shape)}`);
  }
  const p = plan(x.shape, red, false);
  const { out } = runReduce(x, p, 0, 1);
  const r = out.reshape(shape);
  out.dispose();
  return r;
}
