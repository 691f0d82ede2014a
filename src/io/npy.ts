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

/** Longest header read, as numpy's default max_header_size. */
const MAX_HEADER = 10000;

/** Largest element count accepted from a header (the data must be in the file anyway). */
const MAX_ELEMENTS = 2 ** 40;

/**
 * The header dict of a .npy file: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } as
 * numpy writes it (a Python literal). Strict: exactly these three keys, a string, a bool and a tuple of
 * non-negative integers.
 */
function parseHeader(header: string, what: string): { descr: string; fortran: boolean; shape: number[] } {
  const bad = (why: string): never => {
    throw new Error(`${what}: malformed .npy header (${why}): ${JSON.stringify(header.trim().slice(0, 120))}`);
  };
  const body = /^\s*\{(.*)\}\s*$/s.exec(header)?.[1];
  if (body === undefined) bad('not a dict');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(body!)?.[1];
  const fortranText = /'fortran_order'\s*:\s*(\w+)/.exec(body!)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(body!)?.[1];
  if (descr === undefined) bad("no 'descr' string");
  if (fortranText !== 'True' && fortranText !== 'False') bad("'fortran_order' is not True or False");
  if (shapeText === undefined) bad("no 'shape' tuple");
  const parts = shapeText!.split(',').map((t) => t.trim());
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  const shape = parts.map((t) => (/^\d{1,15}L?$/.test(t) ? Number.parseInt(t, 10) : bad(`shape entry '${t.slice(0, 20)}' is not a non-negative integer`)));
  const keys = body!.match(/'([^']*)'\s*:/g)?.length ?? 0;
  if (keys !== 3) bad(`${keys} keys, expected descr, fortran_order and shape`);
  return { descr: descr!, fortran: fortranText === 'True', shape };
}

/**
 * Parse a .npy file. Multi-byte types must be little-endian ('<' or '|'). Arrays saved in Fortran order are
 * returned in C order (the values at each index as numpy reads them); `fortranOrder` records that the file
 * was in Fortran order.
 */
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
    if (bytes.length < 12) throw new Error(`${what}: truncated .npy header`);
    hlen = dv.getUint32(8, true);
    start = 12;
  } else throw new Error(`${what}: unsupported .npy version ${major}`);
  if (start + hlen > bytes.length) throw new Error(`${what}: truncated .npy header`);
  // numpy itself refuses headers over 10000 bytes by default (np.load's max_header_size): a plain array's is < 200.
  if (hlen > MAX_HEADER) throw new Error(`${what}: .npy header of ${hlen} bytes; at most ${MAX_HEADER} are read (as numpy's max_header_size)`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + hlen));
  const { descr, fortran, shape } = parseHeader(header, what);
  const n = shapeSize(shape);
  if (n > MAX_ELEMENTS) throw new Error(`${what}: shape (${shape.join(', ')}) holds ${n} elements, more than ${MAX_ELEMENTS}`);
  const off = start + hlen;
  const order = descr[0];
  const kind = descr.slice(1);
  if (!'<>|='.includes(order) || !order) throw new Error(`${what}: unsupported dtype ${descr}`);
  if (order === '>' && kind !== 'u1' && kind !== 'i1' && kind !== 'b1') throw new Error(`${what}: big-endian arrays are not supported (${descr})`);
  const sizes: Record<string, number> = { f4: 4, f8: 8, f2: 2, i4: 4, u1: 1, b1: 1, i1: 1, i2: 2, u2: 2, u4: 4, i8: 8, u8: 8 };
  const size = Object.hasOwn(sizes, kind) ? sizes[kind] : 0;
  if (!size) throw new Error(`${what}: unsupported dtype ${descr}`);
  if (off + n * size > bytes.length) throw new Error(`${what}: truncated data (${bytes.length - off} bytes for ${n} × ${descr})`);
  let raw = new Uint8Array(bytes.subarray(off, off + n * size)); // a copy even for a Node Buffer, whose slice() is a view
  if (fortran && shape.length > 1) raw = fortranToC(raw, shape, size);
  const buf = raw.buffer as ArrayBuffer;
  let data: NpyData;
  switch (kind) {
    case 'f4': data = new Float32Array(buf); break;
    case 'f8': data = new Float64Array(buf); break;
    case 'f2': {
      const h = new Uint16Array(buf);
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = halfToFloat(h[i]);
      break;
    }
    case 'i4': data = new Int32Array(buf); break;
    case 'u1': case 'b1': data = new Uint8Array(buf); break;
    case 'i1': data = new Int8Array(buf); break;
    case 'i2': data = new Int16Array(buf); break;
    case 'u2': data = new Uint16Array(buf); break;
    case 'u4': data = new Uint32Array(buf); break;
    case 'i8': data = new BigInt64Array(buf); break;
    default: data = new BigUint64Array(buf); break;
  }
  return { dtype: kind === 'f2' ? 'f4' : kind, shape, data, fortranOrder: fortran };
}

/** Reorder elements of `size` bytes from Fortran (first index fastest) to C order (last index fastest). */
function fortranToC(src: Uint8Array, shape: readonly number[], size: number): Uint8Array<ArrayBuffer> {
  const rank = shape.length;
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Uint8Array(src.length);
  // Fortran strides (in elements) of each dimension.
  const fstride = new Array<number>(rank);
  let acc = 1;
  for (let d = 0; d < rank; d++) {
    fstride[d] = acc;
    acc *= shape[d];
  }
  const idx = new Array<number>(rank).fill(0);
  let f = 0;
  for (let c = 0; c < n; c++) {
    out.set(src.subarray(f * size, f * size + size), c * size);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      f += fstride[d];
      if (idx[d] < shape[d]) break;
      f -= fstride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
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
