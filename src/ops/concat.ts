// concat and slice along any axis (differentiable): block copies in shaders/concat.wgsl. A tensor is seen
// as `outer` rows (the dims before the axis) of axis·inner elements; concat copies each input into its
// column range of the output, slice copies a column range out. The gradients are the reverse copies.
import { record, type Tensor, type Shape } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { emptyLike, fmtShape, groups1d, checkTensor, sameDevice, normAxis } from './util.js';

const WG = 256;

function prod(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

interface Block {
  /** Elements copied per row. */
  len: number;
  srcInner: number;
  srcOff: number;
  dstInner: number;
  dstOff: number;
}

/** dst[o, dstOff + j] = src[o, srcOff + j] for j < len, over `outer` rows. */
function copyBlock(src: Tensor, dst: Tensor, outer: number, b: Block): void {
  const n = outer * b.len;
  if (!n) return;
  const rt = src.device.runtime;
  const k = kernel(rt, 'concat', { WG }, { entry: 'copy_block' });
  rt.dispatch(k, { src: src.buffer, dst: dst.buffer }, { n, ...b }, groups1d(n, WG));
}

/** A new tensor of `shape`: each row is zeros except the block copied from src. */
function padBlock(src: Tensor, shape: Shape, outer: number, b: Block): Tensor {
  const dst = emptyLike(src.device, shape);
  const n = outer * b.dstInner;
  if (!n) return dst;
  const rt = src.device.runtime;
  const k = kernel(rt, 'concat', { WG }, { entry: 'pad_block' });
  rt.dispatch(k, { src: src.buffer, dst: dst.buffer }, { n, ...b }, groups1d(n, WG));
  return dst;
}

/**
 * Join tensors along `axis` (negative counts from the end). All other dimensions must match. The
 * gradient is split back into the pieces.
 */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error('concat: needs a non-empty array of tensors');
  xs.forEach((t, i) => checkTensor('concat', `xs[${i}]`, t));
  sameDevice('concat', ...xs);
  const rank = xs[0].rank;
  if (rank === 0) throw new Error('concat: cannot concatenate rank-0 tensors (shape [])');
  if (typeof axis !== 'number') throw new Error(`concat: axis must be a number; got ${String(axis)}`);
  const ax = normAxis('concat', axis, rank);
  const s0 = xs[0].shape;
  xs.forEach((t, i) => {
    if (t.rank !== rank || t.shape.some((d: number, j: number) => j !== ax && d !== s0[j])) {
      throw new Error(
        `concat: along axis ${axis}, xs[${i}] has shape ${fmtShape(t.shape)} but xs[0] has shape ${fmtShape(s0)}; ` +
        `all dimensions except ${ax} must match (shapes: ${xs.map((u) => fmtShape(u.shape)).join(', ')})`,
      );
    }
  });
  const outShape = [...s0];
  outShape[ax] = xs.reduce((s, t) => s + t.shape[ax], 0);
  const outer = prod(s0.slice(0, ax));
  const inner = prod(s0.slice(ax + 1));
  const rowOut = outShape[ax] * inner;
  const out = emptyLike(xs[0].device, outShape);
  const offs: number[] = [];
  let off = 0;
  for (const t of xs) {
    const row = t.shape[ax] * inner;
    offs.push(off);
    copyBlock(t, out, outer, { len: row, srcInner: row, srcOff: 0, dstInner: rowOut, dstOff: off });
    off += row;
  }
  const shapes = xs.map((t) => t.shape);
  return record(out, 'concat', xs, (g, needs) =>
    shapes.map((sh, i) => {
      if (!needs[i]) return null;
      const row = sh[ax] * inner;
      const gi = emptyLike(g.device, sh);
      copyBlock(g, gi, outer, { len: row, srcInner: rowOut, srcOff: offs[i], dstInner: row, dstOff: 0 });
      return gi;
    }),
  );
}

/** x[..., start:end, ...] along `axis` (a copy; negative axis/start/end count from the end). Differentiable. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  checkTensor('slice', 'x', x);
  if (x.rank === 0) throw new Error('slice: cannot slice a rank-0 tensor (shape [])');
  if (typeof axis !== 'number') throw new Error(`slice: axis must be a number; got ${String(axis)}`);
  const ax = normAxis('slice', axis, x.rank);
  const dim = x.shape[ax];
  if (!Number.isInteger(start) || !Number.isInteger(end)) throw new Error(`slice: start and end must be integers; got ${start}, ${end}`);
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  if (s < 0 || e > dim || s > e) {
    throw new Error(`slice: range [${start}, ${end}) is out of bounds for axis ${axis} of size ${dim} (x has shape ${fmtShape(x.shape)})`);
  }
  const outShape = [...x.shape];
  outShape[ax] = e - s;
  const outer = prod(x.shape.slice(0, ax));
  const inner = prod(x.shape.slice(ax + 1));
  const rowIn = dim * inner;
  const row = (e - s) * inner;
  const out = emptyLike(x.device, outShape);
  copyBlock(x, out, outer, { len: row, srcInner: rowIn, srcOff: s * inner, dstInner: row, dstOff: 0 });
  const inShape = x.shape;
  return record(out, 'slice', [x], (g) => [
    padBlock(g, inShape, outer, { len: row, srcInner: row, srcOff: 0, dstInner: rowIn, dstOff: s * inner }),
  ]);
}
