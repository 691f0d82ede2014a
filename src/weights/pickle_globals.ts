// What the unpickler (pickle.ts) may build, and the weights-only allow-list it builds it with. A pickle names
// globals (GLOBAL, STACK_GLOBAL, INST) and calls them (REDUCE, NEWOBJ, OBJ); here each name is resolved without
// running anything: torch's storage classes become StorageType markers, the few functions a state dict needs
// (OrderedDict, the builtin dict/set/frozenset, torch's tensor/parameter rebuild functions, _codecs.encode for
// protocol-2 bytes, torch.storage._load_from_bytes) are small JS functions, and anything else is refused with a
// message naming it (or, only with allowAnyGlobal, kept as an inert PickleGlobal/PickleObject). It also holds the
// values the rebuild functions make (StorageRef, TensorDesc) and torch's persistent-id reader. It imports nothing
// from pickle.ts; pickle.ts re-exports its public names.

/** A global reference (module + qualified name) that the unpickler does not interpret. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the unpickler does not know: its constructor arguments and BUILD state, inert. */
export class PickleObject {
  state: unknown = undefined;
  readonly items: unknown[] = [];
  constructor(readonly cls: unknown, readonly args: unknown[]) {}
}

export type StorageDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_BYTES: Record<StorageDtype, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** torch.<Name>Storage classes, as they appear in persistent ids. */
const STORAGE_CLASSES: Record<string, StorageDtype> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** A storage class global (torch.FloatStorage, ...). */
export class StorageType {
  constructor(readonly name: string, readonly dtype: StorageDtype) {}
}

/** A reference to a storage's bytes, from a persistent id (zip: data/<key>; legacy: the key's record). */
export interface StorageRef {
  kind: 'storage';
  dtype: StorageDtype;
  key: string;
  location: string;
  numel: number;
  /** Legacy storage views: this storage is elements [offset, offset+numel) of the root storage `key`. */
  view?: { key: string; offset: number; numel: number };
}

/** A storage pickled on its own (torch.storage._load_from_bytes): its bytes are a complete torch.save file. */
export interface StorageBytes {
  kind: 'storage-bytes';
  bytes: Uint8Array;
}

/** A tensor as torch rebuilds it: a strided view of a storage. Offset and strides are in elements. */
export interface TensorDesc {
  kind: 'tensor';
  storage: StorageRef | StorageBytes;
  offset: number;
  shape: number[];
  stride: number[];
}

export function isTensorDesc(v: unknown): v is TensorDesc {
  return typeof v === 'object' && v !== null && (v as TensorDesc).kind === 'tensor';
}

function toInt(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') throw new Error(`${what}: ${v} is out of range`);
  throw new Error(`${what}: expected an integer, got ${describe(v)}`);
}

/** Largest element count, dimension, stride or offset accepted (2^40: far beyond any weights file). */
const MAX_DIM = 2 ** 40;

/** A non-negative integer no larger than MAX_DIM (sizes, offsets). */
function toCount(v: unknown, what: string): number {
  const n = toInt(v, what);
  if (n < 0 || n > MAX_DIM) throw new Error(`${what}: ${n} is outside 0..${MAX_DIM}`);
  return n;
}

function toIntList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a tuple of integers, got ${describe(v)}`);
  return v.map((x) => toInt(x, what));
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing (a missing argument)';
  if (v instanceof Map) return `dict(${v.size})`;
  if (Array.isArray(v)) return `tuple/list(${v.length})`;
  if (v instanceof PickleObject) return `${String(v.cls)} object`;
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (v instanceof StorageType) return `torch.${v.name}`;
  if (typeof v === 'function') return 'an allowed global';
  if (typeof v === 'object') return (v as { kind?: string }).kind ?? 'object';
  return `${typeof v} ${String(v).slice(0, 40)}`;
}

/**
 * torch's persistent ids: ('storage', StorageType, key, location, numel) in the zip format and
 * ('storage', StorageType, key, location, numel, view_metadata) in the legacy format.
 */
export function torchPersistentLoad(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || (pid.length !== 5 && pid.length !== 6)) {
    const head = Array.isArray(pid) ? (typeof pid[0] === 'string' ? ` ('${pid[0].slice(0, 40)}')` : ` (starting with ${describe(pid[0])})`) : '';
    throw new Error(`unsupported persistent id ${describe(pid)}${head}; only torch storages are supported`);
  }
  const [, type, key, location, numel, view] = pid;
  if (typeof key !== 'string') throw new Error(`persistent id with a ${describe(key)} storage key; keys are strings`);
  if (!(type instanceof StorageType)) throw new Error(`persistent id for storage '${key}' names an unsupported storage type ${describe(type)}`);
  const ref: StorageRef = {
    kind: 'storage',
    dtype: type.dtype,
    key: String(key),
    location: String(location),
    numel: toCount(numel, `storage '${String(key)}' size`),
  };
  if (view !== undefined && view !== null) {
    if (!Array.isArray(view) || view.length !== 3) throw new Error(`storage '${ref.key}': malformed view metadata ${describe(view)}`);
    if (typeof view[0] !== 'string') throw new Error(`storage '${ref.key}': view metadata names a ${describe(view[0])} root key`);
    ref.view = { key: view[0], offset: toCount(view[1], 'view offset'), numel: toCount(view[2], 'view size') };
  }
  return ref;
}

function makeTensor(args: unknown[], fn: string): TensorDesc {
  const [storage, offset, size, stride] = args;
  const s = storage as StorageRef | StorageBytes;
  if (typeof s !== 'object' || s === null || (s.kind !== 'storage' && s.kind !== 'storage-bytes')) {
    throw new Error(`${fn}: expected a storage, got ${describe(storage)}`);
  }
  const shape = toIntList(size, `${fn} size`);
  if (shape.length > 16) throw new Error(`${fn}: ${shape.length} dimensions`);
  if (shape.some((d) => d < 0 || d > MAX_DIM)) throw new Error(`${fn}: size [${shape.join(', ')}] has a dimension outside 0..${MAX_DIM}`);
  let n = 1;
  for (const d of shape) n *= d;
  if (n > MAX_DIM) throw new Error(`${fn}: size [${shape.join(', ')}] holds ${n} elements, more than ${MAX_DIM}`);
  const strides = stride === undefined || stride === null ? contiguousStrides(shape) : toIntList(stride, `${fn} stride`);
  if (strides.length !== shape.length) throw new Error(`${fn}: size [${shape.join(', ')}] and stride [${strides.join(', ')}] differ in rank`);
  if (strides.some((d) => d < 0 || d > MAX_DIM)) throw new Error(`${fn}: stride [${strides.join(', ')}] has a value outside 0..${MAX_DIM}`);
  return { kind: 'tensor', storage: s, offset: toCount(offset, `${fn} storage offset`), shape, stride: strides };
}

function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

type Callable = (args: unknown[]) => unknown;

const fromBuiltin = (make: (items: unknown[]) => unknown): Callable => (args) => make(args.length && Array.isArray(args[0]) ? (args[0] as unknown[]) : []);

/** The globals a state dict may name, interpreted without running anything (the weights-only allow-list). */
const ALLOWED: Record<string, Callable> = {
  'collections.OrderedDict': (args) => new Map(args.length && Array.isArray(args[0]) ? (args[0] as [unknown, unknown][]) : []),
  'builtins.dict': () => new Map(),
  'builtins.set': fromBuiltin((items) => new Set(items)),
  'builtins.frozenset': fromBuiltin((items) => new Set(items)),
  'torch._utils._rebuild_tensor_v2': (args) => makeTensor(args, '_rebuild_tensor_v2'),
  'torch._utils._rebuild_tensor': (args) => makeTensor(args, '_rebuild_tensor'),
  'torch._utils._rebuild_parameter': (args) => args[0],
  'torch._utils._rebuild_parameter_with_state': (args) => args[0],
  'torch.nn.parameter.Parameter': (args) => args[0],
  'torch.storage._load_from_bytes': (args) => {
    if (!(args[0] instanceof Uint8Array)) throw new Error(`torch.storage._load_from_bytes: expected bytes, got ${describe(args[0])}`);
    return { kind: 'storage-bytes', bytes: args[0] } satisfies StorageBytes;
  },
  // Python 2 era / protocol 2 bytes: _codecs.encode(latin1_text, 'latin1').
  '_codecs.encode': (args) => {
    const s = String(args[0]);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
    return out;
  },
};
// Protocols 0-2 written by Python 3 name the builtins module '__builtin__'.
for (const n of ['dict', 'set', 'frozenset']) ALLOWED[`__builtin__.${n}`] = ALLOWED[`builtins.${n}`];

/** Globals torch's weights-only loader accepts but this reader does not interpret (sparse, meta, ...). */
const TORCH_ONLY = /^torch\._utils\._rebuild_(sparse|meta|qtensor|sparse_csr|device|wrapper|nested|xla|mps)|^torch\._tensor\._rebuild_from_type/;

/** A refused global: passed through unpickle's error wrapper with its own message. */
export class Refused extends Error {}

/** A global's value: a storage class, an allowed function, or (only with allowAnyGlobal) an inert PickleGlobal. */
export function findClass(module: string, name: string, allowAny: boolean): unknown {
  const full = `${module}.${name}`;
  if (module === 'torch' && Object.hasOwn(STORAGE_CLASSES, name)) return new StorageType(name, STORAGE_CLASSES[name]);
  if (Object.hasOwn(ALLOWED, full)) return ALLOWED[full];
  if (allowAny) return new PickleGlobal(module, name);
  const shown = JSON.stringify(full.length > 120 ? `${full.slice(0, 120)}...` : full);
  if (TORCH_ONLY.test(full)) throw new Refused(`names the global ${shown}, a tensor kind this reader does not support (only dense float and integer tensors)`);
  const hint = /^[A-Z]/.test(name) && !/^(os|posix|nt|subprocess|builtins|__builtin__|sys)$/.test(module)
    ? ' (a pickled model or other object? save model.state_dict() instead)' : '';
  throw new Refused(`names the global ${shown}, which a state dict never needs (torch.load(weights_only=True) refuses it too)${hint}`);
}

/** A REDUCE/NEWOBJ/OBJ/INST call: an allowed function runs; anything else is refused (or, with allowAny, kept inert). */
export function call(fn: unknown, args: unknown[], allowAny: boolean): unknown {
  if (typeof fn === 'function') return (fn as Callable)(args);
  if (allowAny) return new PickleObject(fn, args);
  throw new Refused(`calls ${describe(fn)}, which is not an allowed function`);
}
