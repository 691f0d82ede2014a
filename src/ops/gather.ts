// gatherRows: the score of each row's class, out[n] = x[n, index[n]] (e.g. the correct-class logits of a
// batch). The backward scatters g[n] to column index[n] in gather form (one thread per gradient element).
// takeRows: rows of x by index, out[n] = x[index[n]] (e.g. the classifier weights of some classes); the
// backward sums each row's gradients back in gather form (the positions of each row listed on the CPU).
import { record, Storage, type Tensor } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { emptyLike, fmtShape, groups1d, checkRank, checkTensor } from './util.js';
import { shapeSize } from '../shape.js';

const WG = 256;

/** Validated class ids as u32. */
function classIds(index: unknown, N: number, K: number, xShape: readonly number[]): Uint32Array {
  const isObj = index !== null && typeof index === 'object';
  if (!isObj || !('length' in index) || typeof index.length !== 'number' || 'shape' in index) {
    const got = index === null ? 'null' : isObj && 'shape' in index ? 'a Tensor' : typeof index;
    throw new Error(`gatherRows: index must be an array of class ids (number[], Int32Array or Uint32Array); got ${got}`);
  }
  const ids = index as ArrayLike<unknown>;
  if (ids.length !== N) throw new Error(`gatherRows: index has ${ids.length} entries for x of shape ${fmtShape(xShape)} (one per row)`);
  if (N && !K) throw new Error(`gatherRows: x of shape ${fmtShape(xShape)} has no classes to gather`);
  const out = new Uint32Array(N);
  for (let n = 0; n < N; n++) {
    const c = ids[n];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= K) {
      throw new Error(`gatherRows: unknown class id ${String(c)} at row ${n} (valid 0..${K - 1})`);
    }
    out[n] = c;
  }
  return out;
}

/**
 * x [N, K] (e.g. logits), index of length N → [N] with out[n] = x[n, index[n]]. Differentiable in x: the
 * gradient is g[n] at [n, index[n]] and zero elsewhere.
 */
export function gatherRows(x: Tensor, index: readonly number[] | Int32Array | Uint32Array): Tensor {
  checkRank('gatherRows', 'x', x, 2);
  const [N, K] = x.shape;
  const ids = classIds(index, N, K, x.shape);
  const rt = x.device.runtime;
  const out = emptyLike(x.device, [N]);
  if (!N) return out;
  const bytes = N * 4;
  const idx = new Storage(rt, rt.acquire(bytes), bytes);
  rt.write(idx.buffer, ids);
  const k = kernel(rt, 'gather', { WG });
  rt.dispatch(k, { src: x.buffer, idx: idx.buffer, dst: out.buffer }, { n: N, K, lists: 0 }, groups1d(N, WG));
  return record(out, 'gatherRows', [x], (g) => {
    const gx = emptyLike(g.device, [N, K]);
    const kb = kernel(rt, 'gather', { WG }, { entry: 'backward' });
    rt.dispatch(kb, { src: g.buffer, idx: idx.buffer, dst: gx.buffer }, { n: N * K, K, lists: 0 }, groups1d(N * K, WG));
    return [gx];
  }, [{ dispose: () => idx.release() }]);
}

/**
 * x [R, ...rest], index of length N → [N, ...rest] with out[n] = x[index[n]] (rows may repeat). Differentiable
 * in x: the gradient of row r is the sum of the output gradients at the positions that took it.
 */
export function takeRows(x: Tensor, index: readonly number[] | Int32Array | Uint32Array): Tensor {
  checkTensor('takeRows', 'x', x);
  if (x.rank < 1) throw new Error(`takeRows: 'x' must have rank >= 1; got shape ${fmtShape(x.shape)}`);
  const isObj = index !== null && typeof index === 'object';
  if (!isObj || !('length' in index) || typeof index.length !== 'number' || 'shape' in index) {
    throw new Error('takeRows: index must be an array of row numbers (number[], Int32Array or Uint32Array)');
  }
  const R = x.shape[0];
  const M = shapeSize(x.shape.slice(1));
  const N = index.length;
  const ids = new Uint32Array(N);
  for (let n = 0; n < N; n++) {
    const r = (index as ArrayLike<unknown>)[n];
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r >= R) {
      throw new Error(`takeRows: unknown row ${String(r)} at position ${n} (valid 0..${R - 1} for x of shape ${fmtShape(x.shape)})`);
    }
    ids[n] = r;
  }
  const rt = x.device.runtime;
  const out = emptyLike(x.device, [N, ...x.shape.slice(1)]);
  if (!out.size) return record(out, 'takeRows', [x], () => [emptyLike(x.device, x.shape)]);
  const idx = new Storage(rt, rt.acquire(N * 4), N * 4);
  rt.write(idx.buffer, ids);
  const k = kernel(rt, 'gather', { WG }, { entry: 'take' });
  rt.dispatch(k, { src: x.buffer, idx: idx.buffer, dst: out.buffer }, { n: N * M, K: M, lists: 0 }, groups1d(N * M, WG));
  idx.release();
  return record(out, 'takeRows', [x], (g) => {
    // CSR lists of the positions of each row: offsets [R + 1], then the positions.
    const csr = new Uint32Array(R + 1 + N);
    for (let n = 0; n < N; n++) csr[ids[n] + 1]++;
    for (let r = 0; r < R; r++) csr[r + 1] += csr[r];
    const fillAt = csr.slice(0, R);
    for (let n = 0; n < N; n++) csr[R + 1 + fillAt[ids[n]]++] = n;
    const lists = new Storage(rt, rt.acquire(csr.byteLength), csr.byteLength);
    rt.write(lists.buffer, csr);
    const gx = emptyLike(g.device, x.shape);
    const kb = kernel(rt, 'gather', { WG }, { entry: 'take_backward' });
    rt.dispatch(kb, { src: g.buffer, idx: lists.buffer, dst: gx.buffer }, { n: R * M, K: M, lists: R + 1 }, groups1d(R * M, WG));
    lists.release();
    return [gx];
  });
}
