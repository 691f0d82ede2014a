// Fuzzing the file readers: valid .pth (zip and legacy), .onnx, .safetensors, .npy, .npz, PNG and JPEG files
// are damaged for a fixed seed and budget — truncated, bits flipped, length fields overwritten with edge
// values, numbers in text headers and pickled integers (shapes, strides, offsets, sizes) made huge, bytes
// inserted and deleted, zip CRCs recomputed so the damage reaches the parsers behind them. Every case must
// end in a load or in an Error that names the file; never a TypeError/RangeError, an internal message, or a
// hang. GRADSIGHT_FUZZ_SEED / GRADSIGHT_FUZZ_CASES run other seeds and longer budgets.
import { hostRng } from '../../src/viz/common.js';
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importSqueezeNet, loadStateDict } from '../../src/weights/index.js';
import { readNpy, writeNpy, npyToFloat32 } from '../../src/io/npy.js';
import { readNpz, npzImages } from '../../src/image/npz.js';
import { decodeImage } from '../../src/image/decode.js';
import { REPO, TINY, fixZipCrcs } from '../weights/fixtures.js';

const SEED = Number(process.env.GRADSIGHT_FUZZ_SEED ?? 20261130);
/** Cases per file (GRADSIGHT_FUZZ_CASES=5000 for a longer run). */
const CASES = Number(process.env.GRADSIGHT_FUZZ_CASES ?? 300);
/** A case slower than this is reported as a hang (the slowest honest case takes milliseconds). */
const HANG_MS = 3000;

/** mulberry32: the seeded PRNG the algorithms use for jitter. */
const rng = hostRng;

const EDGE32 = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0x40000000, 0xfffffffe, 0x10000, 0xffff];
const EDGE64 = [2n ** 64n - 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 40n, 2n ** 32n, 0n];
const HUGE_TEXT = ['99999999999', '4294967296', '-1', '0', '1e400', '18446744073709551616', '9'.repeat(40)];

/** One damaged copy of `src` and a description of the damage. */
function mutate(src: Uint8Array, r: () => number, zip: boolean): { bytes: Uint8Array; how: string } {
  const int = (n: number) => Math.floor(r() * n);
  let b = src.slice();
  let how: string;
  switch (int(8)) {
    case 7: {
      // Huge shapes, sizes and offsets in pickles: a BININT (0x4a) / BININT2 (0x4d) / BININT1 (0x4b) operand.
      const at: number[] = [];
      for (let i = 0; i + 5 <= b.length; i++) if (b[i] === 0x4a || b[i] === 0x4b || b[i] === 0x4d) at.push(i);
      if (!at.length) return mutate(src, r, zip);
      const i = at[int(at.length)];
      const dv = new DataView(b.buffer);
      if (b[i] === 0x4a) dv.setInt32(i + 1, [0x7fffffff, -1, -0x80000000, 0x10000000, 65536][int(5)], true);
      else if (b[i] === 0x4d) dv.setUint16(i + 1, [0xffff, 0x8000, 0][int(3)], true);
      else b[i + 1] = [255, 0, 128][int(3)];
      how = `pickle integer operand at ${i} (opcode 0x${b[i].toString(16)}) set to an edge value`;
      break;
    }
    case 0: {
      const n = int(b.length);
      b = b.slice(0, n);
      how = `truncated to ${n}`;
      break;
    }
    case 1: {
      const flips: number[] = [];
      for (let k = 1 + int(4); k > 0; k--) {
        const bit = int(b.length * 8);
        b[bit >> 3] ^= 1 << (bit & 7);
        flips.push(bit);
      }
      how = `bits ${flips.join(',')} flipped`;
      break;
    }
    case 2: {
      const at = int(Math.max(1, b.length - 4));
      const v = EDGE32[int(EDGE32.length)];
      new DataView(b.buffer).setUint32(at, v, true);
      how = `u32 at ${at} = ${v}`;
      break;
    }
    case 3: {
      const at = int(Math.max(1, b.length - 8));
      const v = EDGE64[int(EDGE64.length)];
      if (at + 8 <= b.length) new DataView(b.buffer).setBigUint64(at, v, true);
      how = `u64 at ${at} = ${v}`;
      break;
    }
    case 4: {
      // A run of ASCII digits (npy / safetensors headers, pickle text opcodes) replaced by a huge number.
      const text = new TextDecoder('latin1').decode(b);
      const runs = [...text.matchAll(/\d+/g)];
      if (!runs.length) return mutate(src, r, zip);
      const m = runs[int(runs.length)];
      const sameLength = r() < 0.5;
      const rep = sameLength ? '9'.repeat(m[0].length) : HUGE_TEXT[int(HUGE_TEXT.length)];
      const out = new Uint8Array(b.length - m[0].length + rep.length);
      out.set(b.subarray(0, m.index));
      out.set(new TextEncoder().encode(rep), m.index!);
      out.set(b.subarray(m.index! + m[0].length), m.index! + rep.length);
      b = out;
      how = `number '${m[0]}' at ${m.index} -> '${rep}'`;
      break;
    }
    case 5: {
      const at = int(b.length);
      const n = 1 + int(16);
      const ins = new Uint8Array(n).map(() => int(256));
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + n);
      b = out;
      how = `${n} random bytes inserted at ${at}`;
      break;
    }
    default: {
      const at = int(b.length);
      const n = 1 + int(32);
      b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + n)]);
      how = `${n} bytes deleted at ${at}`;
      break;
    }
  }
  if (zip && r() < 0.5) {
    fixZipCrcs(b);
    how += ', CRCs recomputed';
  }
  return { bytes: b, how };
}

const INTERNAL = /Cannot read|Cannot destructure|is not a function|is not iterable|undefined|Invalid typed array|Invalid array length|Maximum call stack|out of bounds|outside the bounds of the DataView|\[object /i;

/** Run one case: a load or a named Error; anything else is returned as a problem. */
function check(name: string, how: string, load: () => unknown): string | null {
  const t0 = performance.now();
  let problem: string | null = null;
  try {
    load();
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error) problem = `threw ${e instanceof Error ? e.constructor.name : typeof e}: ${String((e as Error)?.message ?? e)}`;
    else if (!e.message.startsWith(`${name}`)) problem = `error does not name the file: ${e.message}`;
    else if (INTERNAL.test(e.message)) problem = `internal message: ${e.message}`;
  }
  const ms = performance.now() - t0;
  if (!problem && ms > HANG_MS) problem = `took ${ms.toFixed(0)} ms`;
  return problem ? `${how}: ${problem.slice(0, 300)}` : null;
}

const file = (...p: string[]) => new Uint8Array(readFileSync(join(REPO, 'tests', 'fixtures', ...p)));

interface Target {
  label: string;
  bytes: Uint8Array;
  zip: boolean;
  load: (bytes: Uint8Array, name: string) => unknown;
}

const weights = (bytes: Uint8Array, name: string) => {
  importSqueezeNet(bytes, name, TINY);
  return loadStateDict(bytes, name);
};

const smallNpy = writeNpy(Float32Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => i / 7), [2, 3, 4, 4]);

const TARGETS: Target[] = [
  { label: 'tiny.pth (zip)', bytes: file('weights', 'tiny.pth'), zip: true, load: weights },
  { label: 'tiny-proto4.pth (zip, protocol 4)', bytes: file('weights', 'tiny-proto4.pth'), zip: true, load: weights },
  { label: 'tiny-legacy.pth', bytes: file('weights', 'tiny-legacy.pth'), zip: false, load: weights },
  { label: 'tiny-old.pth (legacy, storage views)', bytes: file('weights', 'tiny-old.pth'), zip: false, load: weights },
  { label: 'tiny.onnx', bytes: file('weights', 'tiny.onnx'), zip: false, load: weights },
  { label: 'tiny-halfs.safetensors', bytes: file('weights', 'tiny-halfs.safetensors'), zip: false, load: weights },
  { label: 'small.npy', bytes: smallNpy, zip: false, load: (b, n) => npyToFloat32(readNpy(b, n)) },
  { label: 'fortran_f4.npy', bytes: file('npy', 'fortran_f4.npy'), zip: false, load: (b, n) => npyToFloat32(readNpy(b, n)) },
  { label: 'tiny_batch.npz', bytes: file('image', 'tiny_batch.npz'), zip: true, load: (b, n) => npzImages(readNpz(b, n), { path: n }) },
  { label: 'rgb8.png', bytes: file('image', 'png', 'rgb8.png'), zip: false, load: decodeImage },
  { label: 'palette4_interlaced.png', bytes: file('image', 'png', 'palette4_interlaced.png'), zip: false, load: decodeImage },
  { label: 'baseline420.jpg', bytes: file('image', 'jpeg', 'baseline420.jpg'), zip: false, load: decodeImage },
  { label: 'progressive.jpg', bytes: file('image', 'jpeg', 'progressive.jpg'), zip: false, load: decodeImage },
];

describe(`fuzzed files (seed ${SEED}, ${CASES} cases each)`, () => {
  TARGETS.forEach((t, ti) => {
    it(`${t.label}: every damaged copy loads or fails with a named error`, () => {
      const r = rng(SEED + ti);
      const name = `fuzz-${t.label.split(' ')[0]}`;
      expect(check(name, 'unmodified', () => t.load(t.bytes, name))).toBe(null);
      const problems: string[] = [];
      let failed = 0;
      for (let c = 0; c < CASES; c++) {
        const { bytes, how } = mutate(t.bytes, r, t.zip);
        const p = check(name, `case ${c} (${how})`, () => t.load(bytes, name));
        if (p) problems.push(p);
        try {
          t.load(bytes, name);
        } catch {
          failed++;
        }
      }
      expect(problems.slice(0, 8), `${problems.length} of ${CASES} cases`).toEqual([]);
      expect(failed).toBeGreaterThan(0); // the mutations do damage: most cases must be refused
    });
  });
});
