// A small unpickler for what torch.save writes (pickle protocols 0–5, binary opcodes plus the few text
// ones old files use). It builds plain JS values and never runs code. Like torch.load(weights_only=True) it
// accepts only the globals a state dict needs (OrderedDict, torch's tensor/parameter rebuild functions and
// storage classes, _codecs.encode for protocol-2 bytes, the builtin set/frozenset/dict): a pickle naming
// anything else (os.system, builtins.eval, a model class) is refused, naming the global and its byte. Only
// with `allowAnyGlobal` (never used for weights) do unknown globals become inert PickleObject placeholders.
//
// Value mapping: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
// str → string, bytes → Uint8Array, list and tuple → arrays, dict and OrderedDict → Map, set → Set.
//
// The opcode machine is this file; what globals resolve to (the allow-list, torch's rebuild functions and
// persistent ids, the value types) is pickle_globals.ts, whose public names are re-exported here.
import { PickleObject, Refused, call, describe, findClass, torchPersistentLoad } from './pickle_globals.js';

export {
  PickleGlobal, PickleObject, StorageType, DTYPE_BYTES, isTensorDesc, describe, torchPersistentLoad,
  type StorageDtype, type StorageRef, type StorageBytes, type TensorDesc,
} from './pickle_globals.js';

export interface UnpickleOptions {
  /** Resolves BINPERSID/PERSID ids; the default is torchPersistentLoad. */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * Keep globals outside the state-dict allow-list as inert PickleGlobal / PickleObject values instead of
   * refusing the pickle (for inspecting other pickles; the weight readers never set it).
   */
  allowAnyGlobal?: boolean;
  /** Names the pickle in error messages, e.g. 'model.pth: data.pkl'. */
  what?: string;
}

export interface UnpickleResult {
  value: unknown;
  /** Byte offset just past the STOP opcode (legacy .pth files hold several pickles back to back). */
  end: number;
}

class Truncated extends Error {}

/** Longest integer (in bytes) LONG1/LONG4 and the text INT/LONG opcodes may carry. */
const MAX_LONG_BYTES = 256;

const OPNAMES: Record<number, string> = {
  0x80: 'PROTO', 0x95: 'FRAME', 0x2e: 'STOP', 0x7d: 'EMPTY_DICT', 0x5d: 'EMPTY_LIST', 0x29: 'EMPTY_TUPLE', 0x28: 'MARK',
  0x75: 'SETITEMS', 0x73: 'SETITEM', 0x65: 'APPENDS', 0x61: 'APPEND', 0x74: 'TUPLE', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x6c: 'LIST', 0x64: 'DICT', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4d: 'BININT2', 0x8a: 'LONG1',
  0x8b: 'LONG4', 0x49: 'INT', 0x4c: 'LONG', 0x58: 'BINUNICODE', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8',
  0x56: 'UNICODE', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x53: 'STRING', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8e: 'BINBYTES8', 0x96: 'BYTEARRAY8', 0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x52: 'REDUCE', 0x62: 'BUILD',
  0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x51: 'BINPERSID', 0x50: 'PERSID', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x70: 'PUT', 0x68: 'BINGET', 0x6a: 'LONG_BINGET', 0x67: 'GET', 0x94: 'MEMOIZE', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE',
  0x4e: 'NONE', 0x47: 'BINFLOAT', 0x46: 'FLOAT', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x69: 'INST', 0x6f: 'OBJ',
};

/** Unpickle one object starting at `start`. Throws (naming the opcode and byte offset) on anything malformed. */
export function unpickle(bytes: Uint8Array, start = 0, opts: UnpickleOptions = {}): UnpickleResult {
  const what = opts.what ?? 'pickle';
  const persistentLoad = opts.persistentLoad ?? torchPersistentLoad;
  const allowAny = opts.allowAnyGlobal ?? false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let p = start;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (n < 0 || p + n > bytes.length) throw new Truncated();
  };
  const u8 = () => { need(1); return bytes[p++]; };
  const u16 = () => { need(2); const v = dv.getUint16(p, true); p += 2; return v; };
  const u32 = () => { need(4); const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(bytes.length)) throw new Truncated();
    return Number(v);
  };
  const take = (n: number) => { need(n); const s = bytes.subarray(p, p + n); p += n; return s; };
  const line = () => {
    const e = bytes.indexOf(0x0a, p);
    if (e < 0) throw new Truncated();
    const s = latin1.decode(bytes.subarray(p, e));
    p = e + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new Error('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw new Error('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) throw new Error('no MARK on the stack');
    stack = prev;
    return items;
  };
  const signedLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  /** A decimal integer of a text opcode (INT, LONG): a number, or a bigint beyond 2^53. */
  const textInt = (s: string): number | bigint => {
    const t = s.trim();
    if (!/^[-+]?\d+$/.test(t) || t.length > 3 * MAX_LONG_BYTES) throw new Error(`${JSON.stringify(t.slice(0, 40))} is not an integer of at most ${3 * MAX_LONG_BYTES} digits`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (kv.length % 2) throw new Error('odd number of items for SETITEMS');
    if (d instanceof Map) for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
    else if (d instanceof PickleObject) d.items.push(...kv);
    else throw new Error(`SETITEMS on ${describe(d)}`);
  };
  const appendItems = (l: unknown, items: unknown[]) => {
    if (Array.isArray(l)) l.push(...items);
    else if (l instanceof PickleObject) l.items.push(...items);
    else throw new Error(`APPENDS on ${describe(l)}`);
  };
  const utf8str = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      throw new Error('invalid UTF-8 in a string');
    }
  };

  let op = -1;
  let opAt = p;
  try {
    for (;;) {
      opAt = p;
      op = -1;
      op = u8();
      switch (op) {
        case 0x80: u8(); break; // PROTO
        case 0x95: need(8); p += 8; break; // FRAME: its length is only a read-ahead hint
        case 0x2e: { // STOP
          if (stack.length !== 1 || marks.length) throw new Error(`STOP with ${stack.length} values on the stack`);
          return { value: stack[0], end: p };
        }
        case 0x7d: stack.push(new Map()); break;
        case 0x5d: stack.push([]); break;
        case 0x29: stack.push([]); break;
        case 0x8f: stack.push(new Set()); break;
        case 0x28: marks.push(stack); stack = []; break;
        case 0x75: { const kv = popMark(); setItems(top(), kv); break; }
        case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }
        case 0x65: { const items = popMark(); appendItems(top(), items); break; }
        case 0x61: { const v = pop(); appendItems(top(), [v]); break; }
        case 0x90: { const items = popMark(); const s = top(); if (!(s instanceof Set)) throw new Error('ADDITEMS on a non-set'); for (const i of items) s.add(i); break; }
        case 0x91: { const items = popMark(); stack.push(new Set(items)); break; }
        case 0x74: case 0x6c: { const items = popMark(); stack.push(items); break; } // TUPLE, LIST (popMark swaps `stack`)
        case 0x64: { const kv = popMark(); const m = new Map(); setItems(m, kv); stack.push(m); break; }
        case 0x85: stack.push([pop()]); break;
        case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; }
        case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; }
        case 0x4a: need(4); stack.push(dv.getInt32(p, true)); p += 4; break;
        case 0x4b: stack.push(u8()); break;
        case 0x4d: stack.push(u16()); break;
        case 0x8a: stack.push(signedLE(take(u8()))); break;
        case 0x8b: { // LONG4: a state dict's integers fit in 8 bytes; a huge one would only cost quadratic time
          const n = u32();
          if (n > MAX_LONG_BYTES) throw new Error(`a ${n}-byte integer (at most ${MAX_LONG_BYTES} are accepted)`);
          stack.push(signedLE(take(n)));
          break;
        }
        case 0x49: { // INT (text): also encodes True/False in protocol 0
          const s = line();
          if (s === '01') stack.push(true);
          else if (s === '00') stack.push(false);
          else stack.push(textInt(s));
          break;
        }
        case 0x4c: { const b = textInt(line().replace(/L$/, '')); stack.push(b); break; }
        case 0x58: stack.push(utf8str(take(u32()))); break;
        case 0x8c: stack.push(utf8str(take(u8()))); break;
        case 0x8d: stack.push(utf8str(take(u64()))); break;
        case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
        case 0x54: need(4); { const n = dv.getInt32(p, true); p += 4; stack.push(latin1.decode(take(n))); } break; // py2 str
        case 0x55: stack.push(latin1.decode(take(u8()))); break;
        case 0x53: { const s = line(); stack.push(s.slice(1, -1)); break; } // STRING 'repr'
        case 0x42: stack.push(new Uint8Array(take(u32()))); break;
        case 0x43: stack.push(new Uint8Array(take(u8()))); break;
        case 0x8e: stack.push(new Uint8Array(take(u64()))); break;
        case 0x96: stack.push(new Uint8Array(take(u64()))); break;
        case 0x63: { const module = line(); const name = line(); stack.push(findClass(module, name, allowAny)); break; }
        case 0x93: {
          const name = pop();
          const module = pop();
          if (typeof name !== 'string' || typeof module !== 'string') throw new Error(`STACK_GLOBAL needs two strings, got ${describe(module)} and ${describe(name)}`);
          stack.push(findClass(module, name, allowAny));
          break;
        }
        case 0x69: { const module = line(); const name = line(); const args = popMark(); stack.push(call(findClass(module, name, allowAny), args, allowAny)); break; } // INST
        case 0x6f: { const items = popMark(); const cls = items.shift(); stack.push(call(cls, items, allowAny)); break; } // OBJ
        case 0x52: { // REDUCE
          const args = pop();
          const fn = pop();
          if (!Array.isArray(args)) throw new Error(`REDUCE arguments are ${describe(args)}, not a tuple`);
          stack.push(call(fn, args, allowAny));
          break;
        }
        case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
          const args = pop();
          const cls = pop();
          stack.push(call(cls, Array.isArray(args) ? args : [], allowAny));
          break;
        }
        case 0x92: { pop(); const args = pop(); const cls = pop(); stack.push(call(cls, Array.isArray(args) ? args : [], allowAny)); break; }
        case 0x62: { // BUILD: obj.__setstate__(state); torch tensors and OrderedDicts carry only metadata here
          const state = pop();
          const obj = top();
          if (obj instanceof PickleObject) obj.state = state;
          break;
        }
        case 0x51: stack.push(persistentLoad(pop())); break;
        case 0x50: stack.push(persistentLoad(line())); break;
        case 0x71: memo.set(u8(), top()); break;
        case 0x72: memo.set(u32(), top()); break;
        case 0x70: memo.set(Number.parseInt(line(), 10), top()); break;
        case 0x94: memo.set(memo.size, top()); break;
        case 0x68: case 0x6a: case 0x67: {
          const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
          if (!memo.has(k)) throw new Error(`memo key ${k} was never stored`);
          stack.push(memo.get(k));
          break;
        }
        case 0x88: stack.push(true); break;
        case 0x89: stack.push(false); break;
        case 0x4e: stack.push(null); break;
        case 0x47: need(8); stack.push(dv.getFloat64(p, false)); p += 8; break;
        case 0x46: { // FLOAT (text repr)
          const s = line().trim();
          const v = Number(s);
          if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) throw new Error(`FLOAT ${JSON.stringify(s.slice(0, 40))} is not a number`);
          stack.push(Number.isNaN(v) ? NaN : v);
          break;
        }
        case 0x30: if (stack.length) stack.pop(); else popMark(); break;
        case 0x31: popMark(); break;
        case 0x32: stack.push(top()); break;
        default:
          throw new Error(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  } catch (e) {
    const name = OPNAMES[op] ?? `0x${op.toString(16)}`;
    if (e instanceof Refused) throw new Error(`${what}: refused: the pickle at byte ${opAt} (${name}) ${e.message}`);
    if (e instanceof Truncated) {
      if (op === -1) throw new Error(`${what}: truncated: the pickle ends at byte ${bytes.length} without its STOP opcode`);
      throw new Error(`${what}: truncated: the pickle ends inside ${name} at byte ${opAt} (${bytes.length} bytes in all) before its STOP`);
    }
    throw new Error(`${what}: corrupt pickle at byte ${opAt} (${name}): ${(e as Error).message}`);
  }
}
