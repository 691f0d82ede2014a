// Small helpers shared by the op files: output allocation, dispatch sizes, argument checks.
import { emptyLike, fmtShape, type Shape, type Tensor, type Device } from '../tensor/tensor.js';
import type { Runtime } from '../gpu/runtime.js';

export { emptyLike, fmtShape };

export function runtimeOf(t: Tensor): Runtime {
  return t.device.runtime;
}

/** Workgroup counts for n threads in groups of wg, folded into y past the 65535 limit. */
/**
 * Items per invocation of the simple kernels (elementwise, reduce, fill, clamp, blur, masks): passed to them
 * as the override constant E, and used here to size their dispatches. Lavapipe pays ~3 ns per invocation.
 */
export const ITEMS = 4;

export function groups1d(n: number, wg: number): [number, number] {
  const total = Math.ceil(n / wg);
  if (total <= 65535) return [Math.max(total, 0), 1];
  const y = Math.ceil(total / 65535);
  return [Math.ceil(total / y), y];
}

/** Workgroup counts for n workgroups (one per item), folded into y past the limit. */
export function groupsFor(nGroups: number): [number, number] {
  if (nGroups <= 65535) return [nGroups, 1];
  const y = Math.ceil(nGroups / 65535);
  return [Math.ceil(nGroups / y), y];
}

export function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!t || typeof t !== 'object' || !('shape' in t) || !('device' in t)) throw new Error(`${op}: '${name}' must be a Tensor`);
  (t as Tensor).store();
}

export function checkRank(op: string, name: string, t: Tensor, rank: number): void {
  checkTensor(op, name, t);
  if (t.shape.length !== rank) throw new Error(`${op}: '${name}' must have rank ${rank}; got shape ${fmtShape(t.shape)}`);
}

export function sameDevice(op: string, ...ts: Tensor[]): Device {
  const d = ts[0].device;
  for (const t of ts) if (t.device !== d) throw new Error(`${op}: tensors live on different devices`);
  return d;
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

/** Pad a list to 8 entries (two vec4<u32> in a uniform). */
export function pad8(v: readonly number[]): number[] {
  if (v.length > 8) throw new Error(`rank ${v.length} is above the supported 8`);
  return [...v, ...new Array(8 - v.length).fill(0)];
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
