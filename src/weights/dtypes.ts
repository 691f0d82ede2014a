// Little-endian element decoding shared by the .pth, ONNX and safetensors readers: every supported dtype
// becomes float32 (float16 and bfloat16 exactly; float64 and integers rounded to nearest).
import { halfToFloat } from '../io/npy.js';
import { DTYPE_BYTES, type StorageDtype } from './pickle.js';

import type { TensorData, StateDict } from '../state_dict.js';
import { fmtShape as fmt, shapeSize as numel } from '../shape.js';

export type { TensorData, StateDict };

export { fmt, numel };

/**
 * A tensor whose shape is known and checked against its file, but whose values are decoded only on
 * `load()`: a file's tensors are checked against the model before anything large is allocated.
 */
export interface LazyTensor {
  shape: number[];
  load(): Float32Array;
}
export type LazyStateDict = Map<string, LazyTensor>;

/** A lazy tensor over values already decoded. */
export function eager(t: TensorData): LazyTensor {
  return { shape: t.shape, load: () => t.data };
}

/** Decode `count` consecutive elements of `dtype` from `src` (little-endian) to float32. */
export function decodeFloat32(src: Uint8Array, dtype: StorageDtype, count: number): Float32Array {
  const es = DTYPE_BYTES[dtype];
  if (src.length < count * es) throw new Error(`decode: ${src.length} bytes for ${count} × ${dtype}`);
  // An aligned copy. (Not src.slice(): a Node Buffer's slice() is a view into a shared pool.)
  const buf = new Uint8Array(src.subarray(0, count * es)).buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, count);
    case 'float64':
      return Float32Array.from(new Float64Array(buf, 0, count));
    case 'float16': {
      const h = new Uint16Array(buf, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(h[i]);
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32.
      const h = new Uint16Array(buf, 0, count);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = h[i] << 16;
      return new Float32Array(out.buffer);
    }
    case 'int64': {
      const v = new BigInt64Array(buf, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(v[i]);
      return out;
    }
    case 'int32': return Float32Array.from(new Int32Array(buf, 0, count));
    case 'int16': return Float32Array.from(new Int16Array(buf, 0, count));
    case 'int8': return Float32Array.from(new Int8Array(buf, 0, count));
    case 'uint8': case 'bool': return Float32Array.from(new Uint8Array(buf, 0, count));
  }
}

/**
 * Check that a strided view (offset and strides in elements) stays inside a storage of `available`
 * elements; returns the last element it reaches. Allocates nothing.
 */
export function checkView(available: number, offset: number, shape: readonly number[], stride: readonly number[], what: string): number {
  if (numel(shape) === 0) return offset;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    if (stride[i] < 0) throw new Error(`${what}: negative stride ${fmt(stride)}`);
    last += (shape[i] - 1) * stride[i];
  }
  if (offset < 0 || !(last < available)) {
    throw new Error(`${what}: view of shape ${fmt(shape)} stride ${fmt(stride)} at offset ${offset} reaches element ${last}, but its storage holds ${available}`);
  }
  return last;
}

/**
 * Gather a strided view (offset and strides in elements) of a storage into a contiguous float32 array.
 * `storage` holds `available` elements of `dtype`; a view that reaches past them is an error.
 */
export function stridedToFloat32(
  storage: Uint8Array, dtype: StorageDtype, available: number,
  offset: number, shape: readonly number[], stride: readonly number[], what: string,
): Float32Array {
  const n = numel(shape);
  if (n === 0) return new Float32Array(0);
  const last = checkView(available, offset, shape, stride, what);
  const es = DTYPE_BYTES[dtype];
  const flat = decodeFloat32(storage.subarray(offset * es, (last + 1) * es), dtype, last + 1 - offset);
  // Contiguous (size-1 dimensions may carry any stride): the decoded range is the tensor.
  let contiguous = true;
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== acc) contiguous = false;
    acc *= shape[i];
  }
  if (contiguous) return flat;
  const out = new Float32Array(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let k = 0; k < n; k++) {
    out[k] = flat[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += stride[d];
      if (idx[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** The index (as a multi-index of `shape`) of the first NaN or ±Infinity in `data` and how many there are; null if all are finite. */
export function findNonFinite(data: Float32Array, shape: readonly number[]): { index: number[]; flat: number; value: number; count: number } | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) { // NaN or ±Infinity (v - v is NaN for both)
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return null;
  const index = new Array<number>(shape.length);
  let r = first;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = shape[d] ? r % shape[d] : 0;
    r = shape[d] ? Math.floor(r / shape[d]) : 0;
  }
  return { index, flat: first, value: data[first], count };
}

/** Throw, naming the tensor, the first bad index and the count, when a tensor holds NaN or ±Infinity. */
export function checkFinite(name: string, t: TensorData, what: string): void {
  const bad = findNonFinite(t.data, t.shape);
  if (!bad) return;
  throw new Error(
    `${what}: tensor '${name}' holds ${bad.value} at index ${fmt(bad.index)} (element ${bad.flat} of ${t.data.length}; ` +
    `${bad.count} non-finite value${bad.count > 1 ? 's' : ''} in this tensor): weights must be finite; the file is corrupt or the model diverged`,
  );
}
