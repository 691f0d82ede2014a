// Shapes: one definition of the helpers every layer uses (tensors, CPU references, weights, files).
export type Shape = readonly number[];

/** Number of elements (1 for a scalar's empty shape). */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** `[2, 3, 4]`, as error messages write shapes. */
export function fmtShape(shape: Shape): string {
  return `[${Array.from(shape).join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides. */
export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Throws unless `shape` is an array of non-negative integers. */
export function checkShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape) && !(shape as unknown as { length?: number }).length) throw new Error(`${what}: shape must be an array of dimensions`);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${fmtShape(shape)} (dimensions must be non-negative integers)`);
  }
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    out.push(da === 1 ? db : da);
  }
  return out;
}
