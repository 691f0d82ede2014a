// Small helpers shared by the op files: dispatch sizes and argument checks.
import { fmtShape, type Device, type Tensor } from '../tensor/index.js';

export { emptyLike, groups1d, ITEMS, fmtShape, strides, sameShape } from '../tensor/index.js';

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
