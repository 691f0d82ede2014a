// NumPy .npy files (format 1.0–3.0): read float32/float64/float16/int/uint/bool arrays, write float32.
import { fmtShape, shapeSize } from '../shape.js';

export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyData;
  fortranOrder: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && MAGIC.every((b, i) => bytes[i] === b);
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Parse a .npy file. Multi-byte types must be little-endian ('<' or '|'). */
export function readNpy(bytes: Uint8Array, what = 'npy'): NpyArray {
  if (!isNpy(bytes)) throw new Error(`${what}: not a NumPy .npy file (bad magic)`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    hlen = dv.getUint32(8, true);
    start = 12;
  } else throw new Error(`${what}: unsupported .npy version ${major}`);
  if (start + hlen > bytes.length) throw new Error(`${what}: truncated .npy header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] === 'True';
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeStr === undefined) throw new Error(`${what}: malformed .npy header: ${header.trim()}`);
  const shape = shapeStr.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shapeSize(shape);
  const off = start + hlen;
  const order = descr[0];
  const kind = descr.slice(1);
  if (order === '>' && kind !== 'u1' && kind !== 'i1' && kind !== 'b1') throw new Error(`${what}: big-endian arrays are not supported (${descr})`);
  const sizes: Record<string, number> = { f4: 4, f8: 8, f2: 2, i4: 4, u1: 1, b1: 1, i1: 1, i2: 2, u2: 2, u4: 4, i8: 8, u8: 8 };
  const size = sizes[kind];
  if (!size) throw new Error(`${what}: unsupported dtype ${descr}`);
  if (off + n * size > bytes.length) throw new Error(`${what}: truncated data (${bytes.length - off} bytes for ${n} × ${descr})`);
  const raw = new Uint8Array(bytes.subarray(off, off + n * size)).buffer; // a copy even for a Node Buffer, whose slice() is a view
  let data: NpyData;
  switch (kind) {
    case 'f4': data = new Float32Array(raw); break;
    case 'f8': data = new Float64Array(raw); break;
    case 'f2': {
      const h = new Uint16Array(raw);
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = halfToFloat(h[i]);
      break;
    }
    case 'i4': data = new Int32Array(raw); break;
    case 'u1': case 'b1': data = new Uint8Array(raw); break;
    case 'i1': data = new Int8Array(raw); break;
    case 'i2': data = new Int16Array(raw); break;
    case 'u2': data = new Uint16Array(raw); break;
    case 'u4': data = new Uint32Array(raw); break;
    case 'i8': data = new BigInt64Array(raw); break;
    default: data = new BigUint64Array(raw); break;
  }
  return { dtype: kind === 'f2' ? 'f4' : kind, shape, data, fortranOrder: fortran };
}

/** Values as float32 (integers converted). */
export function npyToFloat32(a: NpyArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(a.data[i]);
  return out;
}

/** Serialize a float32 array as a version 1.0 .npy file. */
export function writeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const n = shapeSize(shape);
  if (n !== data.length) throw new Error(`writeNpy: ${data.length} values for shape ${fmtShape(shape)}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
