// gatherRows: the score of each row's class, out[n] = x[n, index[n]] (e.g. the correct-class logits of a
// batch). The backward scatters g[n] to column index[n] in gather form (one thread per gradient element).
import gatherSrc from '../../shaders/gather.wgsl';
import { record, Storage, type Tensor } from '../tensor/tensor.js';
import { emptyLike, fmtShape, groups1d, checkRank } from './util.js';

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
  const k = rt.kernel('gatherRows', gatherSrc, { WG }, 'main');
  rt.dispatch(k, { src: x.buffer, idx: idx.buffer, dst: out.buffer }, { n: N, K }, groups1d(N, WG));
  return record(out, 'gatherRows', [x], (g) => {
    const gx = emptyLike(g.device, [N, K]);
    const kb = rt.kernel('gatherRows_backward', gatherSrc, { WG }, 'backward');
    rt.dispatch(kb, { src: g.buffer, idx: idx.buffer, dst: gx.buffer }, { n: N * K, K }, groups1d(N * K, WG));
    return [gx];
  }, [{ dispose: () => idx.release() }]);
}
