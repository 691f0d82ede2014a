// torch.save files, both formats:
//  - zip (torch ≥ 1.6): <archive>/data.pkl (the pickled object, storages as persistent ids) and
//    <archive>/data/<key> (each storage's raw little-endian bytes); the archive directory name varies.
//  - legacy (torch < 1.6, and torchvision's own 2017 downloads): five things back to back — a pickled magic
//    number, the pickled protocol version 1001, a pickled sys_info dict, the pickled object, a pickled list
//    of storage keys — then for each key an int64 element count and the raw data.
// Tensors become contiguous float32 (strides honoured, float16/bfloat16/float64 converted).
import { ZipArchive, isZip } from '../io/zip.js';
import { unpickle, torchPersistentLoad, isTensorDesc, PickleObject, describe, DTYPE_BYTES, type StorageRef, type StorageBytes, type TensorDesc } from './pickle.js';
import { checkView, fmt, numel, stridedToFloat32, type LazyStateDict, type StateDict } from './dtypes.js';

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** PROTO 2, LONG1 of 10 bytes: the legacy magic number as pickle protocol 2 writes it. */
const LEGACY_PREFIX = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** The legacy magic number pickle (also when the file is cut off inside it: readPth then says so). */
export function isLegacyPth(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x80 && LEGACY_PREFIX.every((b, i) => 2 + i >= bytes.length || bytes[2 + i] === b);
}

/** A torch file's unpickled object plus access to its storages' bytes. */
interface TorchFile {
  root: unknown;
  /** The byte length of a root storage's data, without reading it (checked: at least ref.numel elements). */
  storageSize(ref: StorageRef): number;
  /** The bytes of a root storage (all of it: at least ref.numel elements). */
  storage(ref: StorageRef): Uint8Array;
}

function zipFile(bytes: Uint8Array, what: string): TorchFile {
  const zip = new ZipArchive(bytes, what);
  const pkl = zip.names().filter((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    throw new Error(`${what}: a zip archive but not a torch.save file: ${pkl.length ? 'several data.pkl entries' : 'no <archive>/data.pkl entry'} (entries: ${zip.names().slice(0, 6).join(', ')}${zip.names().length > 6 ? ', ...' : ''})`);
  }
  const prefix = pkl[0].slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little') throw new Error(`${what}: saved with byte order '${order}'; only little-endian files are supported`);
  }
  /**
   * torch stores its entries uncompressed; a deflated one (a re-zipped file) may expand at most 8× (float
   * data hardly compresses) and data.pkl to at most 64 MiB, so a small file cannot ask for gigabytes.
   */
  const bounded = (name: string, limit: number) => {
    const e = zip.entries.get(name)!;
    if (e.method !== 0 && e.size > limit) {
      throw new Error(`${what}: compressed entry '${name}' claims ${e.size} bytes from ${e.compressedSize}; refused (torch stores its entries uncompressed)`);
    }
    return zip.read(name);
  };
  const root = unpickle(bounded(pkl[0], 64 * 2 ** 20), 0, { what: `${what}: ${pkl[0]}` }).value;
  const entry = (ref: StorageRef) => {
    const name = `${prefix}data/${ref.key}`;
    const e = zip.entries.get(name);
    if (!e) throw new Error(`${what}: storage entry '${name}' is missing from the archive`);
    const need = ref.numel * DTYPE_BYTES[ref.dtype];
    if (e.size < need) throw new Error(`${what}: storage entry '${name}' holds ${e.size} bytes; ${ref.numel} × ${ref.dtype} need ${need}`);
    return { name, size: e.size };
  };
  return {
    root,
    storageSize: (ref) => entry(ref).size,
    storage: (ref) => {
      const e = zip.entries.get(entry(ref).name)!;
      return bounded(e.name, 8 * e.compressedSize + 2 ** 20);
    },
  };
}

function legacyFile(bytes: Uint8Array, what: string): TorchFile {
  let p = 0;
  const next = (part: string, opts: { persistentLoad?: (pid: unknown) => unknown } = {}) => {
    const r = unpickle(bytes, p, { what: `${what}: ${part}`, ...opts });
    p = r.end;
    return r.value;
  };
  const magic = next('magic number pickle');
  if (magic !== LEGACY_MAGIC) throw new Error(`${what}: magic number pickle holds ${String(magic)}, not torch's legacy magic number; not a torch.save file`);
  const proto = next('protocol version pickle');
  if (proto !== LEGACY_PROTOCOL) throw new Error(`${what}: protocol version pickle holds ${String(proto)}, expected ${LEGACY_PROTOCOL}`);
  const sysInfo = next('sys_info pickle');
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) {
    throw new Error(`${what}: saved on a big-endian machine (sys_info little_endian=False); only little-endian files are supported`);
  }
  const roots = new Map<string, StorageRef>();
  const root = next('object pickle', {
    persistentLoad: (pid) => {
      const ref = torchPersistentLoad(pid);
      const prev = roots.get(ref.key);
      if (!prev || prev.numel < ref.numel) roots.set(ref.key, ref);
      return ref;
    },
  });
  const keys = next('storage keys pickle');
  if (!Array.isArray(keys)) throw new Error(`${what}: storage keys pickle holds ${describe(keys)}, not a list`);
  const data = new Map<string, Uint8Array>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const k of keys) {
    const key = String(k);
    const ref = roots.get(key);
    if (!ref) throw new Error(`${what}: storage keys pickle lists '${key}', which the object pickle never uses`);
    if (p + 8 > bytes.length) throw new Error(`${what}: storage '${key}' data is truncated: its size field at byte ${p} is past the end of the file (${bytes.length} bytes)`);
    const count = Number(dv.getBigInt64(p, true));
    const nbytes = count * DTYPE_BYTES[ref.dtype];
    if (count < 0) throw new Error(`${what}: storage '${key}' data claims ${count} elements`);
    if (data.has(key)) throw new Error(`${what}: storage keys pickle lists '${key}' twice`);
    if (count < ref.numel) throw new Error(`${what}: storage '${key}' data holds ${count} elements; the object pickle expects ${ref.numel}`);
    if (p + 8 + nbytes > bytes.length) {
      throw new Error(`${what}: storage '${key}' data is truncated: ${count} × ${ref.dtype} (${nbytes} bytes) at byte ${p + 8}, but the file ends at byte ${bytes.length}`);
    }
    data.set(key, bytes.subarray(p + 8, p + 8 + nbytes));
    p += 8 + nbytes;
  }
  const storage = (ref: StorageRef) => {
    const d = data.get(ref.key);
    if (!d) throw new Error(`${what}: storage '${ref.key}' has no data (not in the storage keys list)`);
    return d;
  };
  return { root, storage, storageSize: (ref) => storage(ref).length };
}

function torchFile(bytes: Uint8Array, what: string): TorchFile {
  if (isZip(bytes)) return zipFile(bytes, what);
  if (isLegacyPth(bytes)) return legacyFile(bytes, what);
  throw new Error(`${what}: not a torch.save file (neither a zip archive nor the legacy magic number)`);
}

/**
 * A pickled tensor, checked against its storage (the view stays inside it) without decoding anything;
 * `load()` decodes it to contiguous float32.
 */
function lazyTensor(t: TensorDesc, file: TorchFile, what: string): { shape: number[]; load(): Float32Array } {
  let ref: StorageRef;
  let src: TorchFile = file;
  if (t.storage.kind === 'storage-bytes') {
    // torch.storage._load_from_bytes: the storage is a complete torch.save file of its own.
    src = torchFile((t.storage as StorageBytes).bytes, `${what} (embedded storage)`);
    const root = src.root as StorageRef | null;
    if (typeof root !== 'object' || root === null || root.kind !== 'storage') {
      throw new Error(`${what}: embedded storage file holds ${describe(src.root)}, not a storage`);
    }
    ref = root;
  } else ref = t.storage;
  const es = DTYPE_BYTES[ref.dtype];
  let offset = t.offset;
  let available = Math.floor(src.storageSize(ref) / es);
  if (ref.view) {
    offset += ref.view.offset;
    available = Math.min(available, ref.view.offset + ref.view.numel);
  }
  checkView(available, offset, t.shape, t.stride, what);
  return {
    shape: t.shape,
    load: () => stridedToFloat32(src.storage(ref), ref.dtype, available, offset, t.shape, t.stride, what),
  };
}

const WRAPPERS = ['state_dict', 'model'];

/** The name → tensor map inside a loaded object: the object itself or its 'state_dict' / 'model' entry. */
function findStateDict(root: unknown, what: string, depth = 0): Map<unknown, unknown> {
  if (root instanceof PickleObject) {
    throw new Error(`${what}: the file holds a pickled ${String(root.cls)} object, not a state dict (save model.state_dict() instead)`);
  }
  if (!(root instanceof Map)) throw new Error(`${what}: the file holds ${describe(root)}, not a state dict`);
  const hasTensors = [...root.values()].some(isTensorDesc);
  if (!hasTensors) {
    for (const w of WRAPPERS) {
      const inner = root.get(w);
      if (inner instanceof Map && depth < WRAPPERS.length) return findStateDict(inner, `${what} ['${w}']`, depth + 1);
    }
    if (root.size) {
      const keys = [...root.keys()].slice(0, 6).map(String).join(', ');
      throw new Error(`${what}: the file's dict holds no tensors (keys: ${keys}${root.size > 6 ? ', ...' : ''})`);
    }
  }
  return root;
}

/**
 * Read a torch.save file (zip or legacy) holding a state dict: every tensor's shape, checked against its
 * storage, in file order; values are decoded on `load()`.
 */
export function readPthLazy(bytes: Uint8Array, what = 'pth'): LazyStateDict {
  const file = torchFile(bytes, what);
  const dict = findStateDict(file.root, what);
  const out: LazyStateDict = new Map();
  for (const [k, v] of dict) {
    if (!isTensorDesc(v)) continue; // e.g. a checkpoint's epoch counter
    if (typeof k !== 'string') throw new Error(`${what}: the state dict has a ${describe(k)} key; tensor names are strings`);
    const name = k.replace(/^module\./, '');
    if (out.has(name)) throw new Error(`${what}: tensor '${name}' appears twice (with and without the 'module.' prefix)`);
    out.set(name, lazyTensor(v, file, `${what}: tensor '${name}'`));
  }
  return out;
}

/**
 * Materialise every tensor of a lazy dict, refusing files whose views would expand far beyond the file:
 * all tensors together may hold at most 2 elements per byte of the file plus 2^20 (an honest state dict
 * holds at most one element per byte of its storages; stride-0 or overlapping views of a small storage
 * could otherwise ask for gigabytes).
 */
export function materializeAll(lazy: LazyStateDict, fileBytes: number, what: string): StateDict {
  const limit = 2 * fileBytes + 2 ** 20;
  let total = 0;
  for (const [name, t] of lazy) {
    total += numel(t.shape);
    if (total > limit) {
      throw new Error(`${what}: tensor '${name}' ${fmt(t.shape)} brings the file's tensors to ${total} elements, more than 2 per byte of the ${fileBytes}-byte file allows (${limit}): views that repeat their storage (stride 0?); refused before allocating`);
    }
  }
  const out: StateDict = new Map();
  for (const [name, t] of lazy) out.set(name, { shape: t.shape, data: t.load() });
  return out;
}

/** Read a torch.save file (zip or legacy) holding a state dict: every tensor, as float32, in file order. */
export function readPth(bytes: Uint8Array, what = 'pth'): StateDict {
  return materializeAll(readPthLazy(bytes, what), bytes.length, what);
}
