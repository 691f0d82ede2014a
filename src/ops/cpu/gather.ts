// CPU reference (float64) for src/ops/gather.ts: out[n] = x[n, index[n]] and its gradient (a one-hot scatter).
import type { CpuTensor } from './elementwise.js';

function check(shape: readonly number[], index: ArrayLike<number>): [number, number] {
  if (shape.length !== 2) throw new Error(`gatherRows: 'x' must have rank 2; got shape [${shape.join(', ')}]`);
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
