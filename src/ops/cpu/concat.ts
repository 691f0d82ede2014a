// CPU references (float64) for concat and slice along any axis, forward and backward.

function prod(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** Concatenate row-major arrays of shapes `shapes` along `axis` (already normalised). */
export function concatCpu(xs: readonly ArrayLike<number>[], shapes: readonly (readonly number[])[], axis: number): { out: Float64Array; shape: number[] } {
  const shape = [...shapes[0]];
  shape[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
  const outer = prod(shape.slice(0, axis));
  const inner = prod(shape.slice(axis + 1));
  const out = new Float64Array(prod(shape));
  const rowOut = shape[axis] * inner;
  let off = 0;
  xs.forEach((x, i) => {
    const row = shapes[i][axis] * inner;
    for (let o = 0; o < outer; o++) for (let j = 0; j < row; j++) out[o * rowOut + off + j] = x[o * row + j];
    off += row;
  });
  return { out, shape };
}

/** The gradient of concat: g split back into pieces of the input shapes. */
export function concatBackwardCpu(g: ArrayLike<number>, shapes: readonly (readonly number[])[], axis: number): Float64Array[] {
  const total = shapes.reduce((s, sh) => s + sh[axis], 0);
  const outer = prod(shapes[0].slice(0, axis));
  const inner = prod(shapes[0].slice(axis + 1));
  const rowOut = total * inner;
  let off = 0;
  return shapes.map((sh) => {
    const row = sh[axis] * inner;
    const gi = new Float64Array(outer * row);
    for (let o = 0; o < outer; o++) for (let j = 0; j < row; j++) gi[o * row + j] = g[o * rowOut + off + j];
    off += row;
    return gi;
  });
}

/** x[..., start:end, ...] along `axis` (0 <= start <= end <= shape[axis]). */
export function sliceCpu(x: ArrayLike<number>, shape: readonly number[], axis: number, start: number, end: number): { out: Float64Array; shape: number[] } {
  const os = [...shape];
  os[axis] = end - start;
  const outer = prod(shape.slice(0, axis));
  const inner = prod(shape.slice(axis + 1));
  const rowIn = shape[axis] * inner;
  const row = os[axis] * inner;
  const out = new Float64Array(outer * row);
  for (let o = 0; o < outer; o++) for (let j = 0; j < row; j++) out[o * row + j] = x[o * rowIn + start * inner + j];
  return { out, shape: os };
}

/** The gradient of slice: g placed into zeros of the input shape. */
export function sliceBackwardCpu(g: ArrayLike<number>, shape: readonly number[], axis: number, start: number, end: number): Float64Array {
  const outer = prod(shape.slice(0, axis));
  const inner = prod(shape.slice(axis + 1));
  const rowIn = shape[axis] * inner;
  const row = (end - start) * inner;
  const gin = new Float64Array(prod(shape));
  for (let o = 0; o < outer; o++) for (let j = 0; j < row; j++) gin[o * rowIn + start * inner + j] = g[o * row + j];
  return gin;
}
