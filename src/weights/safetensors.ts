// safetensors: an 8-byte little-endian header length, a JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }, then the data
// (offsets relative to the end of the header). Reads F32/F16/BF16/F64; writes F32. The project's cache format.
import { decodeFloat32, fmt, numel, type LazyStateDict, type StateDict } from './dtypes.js';
import type { StorageDtype } from './pickle.js';

const DTYPES: Record<string, StorageDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };
const SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** Header length that makes this a plausible safetensors file (a JSON object right after it), else -1. */
function headerLength(bytes: Uint8Array): number {
  if (bytes.length < 8) return -1;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > 100_000_000n || (bytes.length > 8 && bytes[8] !== 0x7b) /* { */) return -1;
  return Number(n);
}

export function isSafetensors(bytes: Uint8Array): boolean {
  return headerLength(bytes) > 0;
}

/** Read a safetensors file: every tensor as float32, in file order, and the string metadata. */
export function readSafetensors(bytes: Uint8Array, what = 'safetensors'): Safetensors {
  const { tensors: lazy, metadata } = readSafetensorsLazy(bytes, what);
  const tensors: StateDict = new Map();
  for (const [name, t] of lazy) tensors.set(name, { shape: t.shape, data: t.load() });
  return { tensors, metadata };
}

/**
 * Parse and check the header (dtypes, shapes against byte ranges, ranges inside the file and not
 * overlapping): tensors whose values are decoded on `load()`.
 */
export function readSafetensorsLazy(bytes: Uint8Array, what = 'safetensors'): { tensors: LazyStateDict; metadata: Record<string, string> } {
  const n = headerLength(bytes);
  if (n < 0) throw new Error(`${what}: not a safetensors file (no JSON header after the 8-byte length)`);
  if (8 + n > bytes.length) throw new Error(`${what}: header is truncated: it claims ${n} bytes but the file has ${bytes.length - 8} after the length field`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${what}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${what}: header is not a JSON object`);
  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what}: __metadata__ is not a JSON object`);
      for (const [k, m] of Object.entries(v as Record<string, unknown>)) {
        if (typeof m !== 'string') throw new Error(`${what}: __metadata__ entry '${k}' is not a string`);
        metadata[k] = m;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offs = e?.data_offsets;
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(offs) || offs.length !== 2 ||
        !e.shape.every((d) => Number.isInteger(d) && d >= 0) || !offs.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${what}: header entry '${name}' is malformed (needs dtype, shape and data_offsets [begin, end])`);
    }
    if (!(e.dtype in DTYPES)) throw new Error(`${what}: tensor '${name}' has dtype ${e.dtype}; supported: ${Object.keys(DTYPES).join(', ')}`);
    entries.push({ name, dtype: e.dtype, shape: e.shape as number[], begin: offs[0] as number, end: offs[1] as number });
  }
  entries.sort((a, b) => a.begin - b.begin); // file order (JSON key order is not reliable for numeric-looking names)
  const tensors: LazyStateDict = new Map();
  let prevEnd = 0;
  let prevName = '';
  for (const e of entries) {
    const count = numel(e.shape);
    if (e.end - e.begin !== count * SIZES[e.dtype]) {
      throw new Error(`${what}: tensor '${e.name}' ${e.dtype} ${fmt(e.shape)} needs ${count * SIZES[e.dtype]} bytes but data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin}`);
    }
    if (e.end > data.length) {
      throw new Error(`${what}: tensor '${e.name}' data is truncated: it ends at data byte ${e.end}, but the file holds ${data.length} data bytes`);
    }
    if (e.begin < prevEnd) {
      throw new Error(`${what}: tensor '${e.name}' data [${e.begin}, ${e.end}] overlaps tensor '${prevName}' (which ends at ${prevEnd})`);
    }
    prevEnd = e.end;
    prevName = e.name;
    const range = data.subarray(e.begin, e.end);
    const dtype = DTYPES[e.dtype];
    tensors.set(e.name, { shape: e.shape.slice(), load: () => decodeFloat32(range, dtype, count) });
  }
  return { tensors, metadata };
}

/** Serialize float32 tensors (in map order) with optional string metadata. */
export function writeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error(`writeSafetensors: '__metadata__' is reserved and cannot name a tensor`);
    if (t.data.length !== numel(t.shape)) throw new Error(`writeSafetensors: tensor '${name}' has ${t.data.length} values for shape ${fmt(t.shape)}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20); // space-padded: data starts 8-byte aligned
  head.set(json);
  const out = new Uint8Array(8 + head.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
