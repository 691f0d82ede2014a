// Softmax and log-softmax along one axis: dedicated max-subtracted kernels (shaders/softmax.wgsl) and their
// gradient rules (shaders/softmax_backward.wgsl), computed from the forward output.
import { record, type Tensor } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { emptyLike, groups1d, groupsFor, checkTensor, normAxis, sameShape, fmtShape } from './util.js';

const WG = 64;

interface Rows {
  rows: number;
  K: number;
  inner: number;
}

function rowsOf(op: string, x: Tensor, axis: number): Rows {
  checkTensor(op, 'x', x);
  if (typeof axis !== 'number') throw new Error(`${op}: axis must be a number; got ${String(axis)}`);
  const a = normAxis(op, axis, x.rank);
  const K = x.shape[a];
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  return { rows: outer * inner, K, inner };
}

/** Long rows with few of them get a workgroup per row; otherwise a thread per row. */
function variant(r: Rows): { entry: string; groups: [number, number] } {
  const par = r.K >= 256 && r.rows < 4096;
  return par ? { entry: 'main_wg', groups: groupsFor(r.rows) } : { entry: 'main', groups: groups1d(r.rows, WG) };
}

function params(r: Rows): Record<string, number> {
  return { rows: r.rows, K: r.K, inner: r.inner };
}

/** @internal y = (log-)softmax of x, no graph. */
export function softmaxRaw(x: Tensor, r: Rows, log: boolean): Tensor {
  const y = emptyLike(x.device, x.shape);
  if (!y.size) return y;
  const rt = x.device.runtime;
  const v = variant(r);
  const k = kernel(rt, 'softmax', { LOG: log ? 1 : 0, WG }, { entry: v.entry });
  rt.dispatch(k, { x: x.buffer, y: y.buffer }, params(r), v.groups);
  return y;
}

/** @internal Gradient of (log-)softmax from its output y and the incoming gradient g, no graph. */
export function softmaxBackwardRaw(y: Tensor, g: Tensor, r: Rows, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  if (!sameShape(y.shape, g.shape)) throw new Error(`${op} backward: gradient of shape ${fmtShape(g.shape)} for an output of shape ${fmtShape(y.shape)}`);
  const gx = emptyLike(y.device, y.shape);
  if (!gx.size) return gx;
  const rt = y.device.runtime;
  const v = variant(r);
  const k = kernel(rt, 'softmax_backward', { LOG: log ? 1 : 0, WG }, { entry: v.entry });
  rt.dispatch(k, { y: y.buffer, g: g.buffer, gx: gx.buffer }, params(r), v.groups);
  return gx;
}

/** exp(x − max) / Σ exp(x − max) along `axis` (default the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const r = rowsOf('softmax', x, axis);
  const y = softmaxRaw(x, r, false);
  return record(y, 'softmax', [x], (g) => [softmaxBackwardRaw(y, g, r, false)]);
}

/** (x − max) − log Σ exp(x − max) along `axis` (default the last): finite for any finite logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const r = rowsOf('logSoftmax', x, axis);
  const y = softmaxRaw(x, r, true);
  return record(y, 'logSoftmax', [x], (g) => [softmaxBackwardRaw(y, g, r, true)]);
}
