// CPU reference (float64) for src/ops/gather.ts: out[n] = x[n, index[n]] and its gradient (a one-hot scatter);
// takeRows (rows of x by index) and its gradient (rows summed back).
import type { CpuTensor } from './elementwise.js';
import { fmtShape, shapeSize } from '../../shape.js';

function check(shape: readonly number[], index: ArrayLike<number>): [number, number] {
  if (shape.length !== 2) throw new Error(`gatherRows: 'x' must have rank 2; got shape ${fmtShape(shape)}`);
  const [N, K] = shape;
  if (index.length !== N) throw new Error(`gatherRows: index has ${index.length} entries for x of shape [${N}, ${K}]`);
  for (let n = 0; n < N; n++) {
    const c = index[n];
    if (!Number.isInteger(c) || c < 0 || c >= K) throw new Error(`gatherRows: unknown class id ${c} at row ${n} (valid 0..${K - 1})`);
  }
  return [N, K];
}

/** x [N, K], index of length N → [N] with out[n] = x[n, index[n]]. */
export function gatherRows(x: CpuTensor, index: ArrayLike<number>): CpuTensor {
  const [N, K] = check(x.shape, index);
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) out[n] = x.data[n * K + index[n]];
  return { shape: [N], data: out };
}

/** g [N] → dx [N, K], zero except dx[n, index[n]] = g[n]. */
export function gatherRowsBackward(g: CpuTensor, index: ArrayLike<number>, K: number): CpuTensor {
  const N = g.data.length;
  check([N, K], index);
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) out[n * K + index[n]] = g.data[n];
  return { shape: [N, K], data: out };
}

function checkTake(shape: readonly number[], index: ArrayLike<number>): [number, number] {
  if (shape.length < 1) throw new Error(`takeRows: 'x' must have rank >= 1; got shape ${fmtShape(shape)}`);
  const R = shape[0];
  for (let n = 0; n < index.length; n++) {
    const r = index[n];
    if (!Number.isInteger(r) || r < 0 || r >= R) throw new Error(`takeRows: unknown row ${r} at position ${n} (valid 0..${R - 1})`);
  }
  return [R, shapeSize(shape.slice(1))];
}

/** x [R, ...rest], index of length N → [N, ...rest] with out[n] = x[index[n]]. */
export function takeRows(x: CpuTensor, index: ArrayLike<number>): CpuTensor {
  const [, M] = checkTake(x.shape, index);
  const out = new Float64Array(index.length * M);
  for (let n = 0; n < index.length; n++) out.set(x.data.subarray(index[n] * M, index[n] * M + M), n * M);
  return { shape: [index.length, ...x.shape.slice(1)], data: out };
}

/** g [N, ...rest] → dx [R, ...rest]: dx[r] = sum of g[n] over the n with index[n] = r. */
export function takeRowsBackward(g: CpuTensor, index: ArrayLike<number>, xShape: readonly number[]): CpuTensor {
  const [R, M] = checkTake(xShape, index);
  const out = new Float64Array(R * M);
  for (let n = 0; n < index.length; n++) {
    for (let j = 0; j < M; j++) out[index[n] * M + j] += g.data[n * M + j];
  }
  return { shape: [...xShape], data: out };
}
