// Weight import from every fixture made by scripts/make_weight_fixtures.py (a tiny SqueezeNet-shaped model).
import { describe, it, expect } from 'vitest';
import { detectFormat, loadStateDict, importSqueezeNet, validateSqueezeNet, readSafetensors, writeSafetensors } from '../../src/weights/index.js';
import { stridedToFloat32 } from '../../src/weights/dtypes.js';
import { fixture, fixZipCrcs, TINY, expectTiny } from './fixtures.js';

const good: [string, string][] = [
  ['tiny.pth', 'pth-zip'],
  ['tiny-proto4.pth', 'pth-zip'],
  ['tiny-legacy.pth', 'pth-legacy'],
  ['tiny-fp16-legacy.pth', 'pth-legacy'],
  ['tiny-bf16.pth', 'pth-zip'],
  ['tiny-f64.pth', 'pth-zip'],
  ['tiny-module.pth', 'pth-zip'],
  ['tiny-checkpoint.pth', 'pth-zip'],
  ['tiny-strided.pth', 'pth-zip'],
  ['tiny-old.pth', 'pth-legacy'],
  ['tiny-frombytes.pth', 'pth-legacy'],
  ['tiny.onnx', 'onnx'],
  ['tiny-renamed.onnx', 'onnx'],
  ['tiny-halfs.safetensors', 'safetensors'],
];

describe('weight import: fixtures', () => {
  for (const [file, format] of good) {
    it(`${file} → the tiny model's exact values (${format})`, () => {
      const bytes = fixture(file);
      expect(detectFormat(bytes)).toBe(format);
      const r = importSqueezeNet(bytes, file, TINY);
      expect(r.format).toBe(format);
      expect(expectTiny(r.dict)).toEqual([]);
      expect([...r.dict.keys()]).toEqual(TINY.tensors.map((t) => t.name));
      expect(r.parameters).toBe(223);
      expect(r.extras).toEqual([]);
      expect(r.timings.totalMs).toBeGreaterThanOrEqual(0);
    });
  }

  it('maps ONNX initializers by structure, not by name', () => {
    // In tiny-renamed.onnx the 1×1 expand's initializers are named 'features.3.expand3x3.*' and vice versa.
    const raw = loadStateDict(fixture('tiny-renamed.onnx'), 'tiny-renamed.onnx');
    expect(raw.get('features.3.expand1x1.weight')!.shape).toEqual([3, 2, 1, 1]);
    expect(raw.get('features.3.expand3x3.weight')!.shape).toEqual([3, 2, 3, 3]);
    expect(raw.has('features.7.weight')).toBe(false);
  });

  it('keeps a checkpoint’s non-tensor entries out and strips module. prefixes', () => {
    expect([...loadStateDict(fixture('tiny-checkpoint.pth')).keys()]).toEqual(TINY.tensors.map((t) => t.name));
    expect([...loadStateDict(fixture('tiny-module.pth')).keys()].every((k) => !k.startsWith('module.'))).toBe(true);
  });

  it('reports extra tensors without loading them', () => {
    const dict = loadStateDict(fixture('tiny.pth'));
    dict.set('features.99.weight', { shape: [1], data: new Float32Array(1) });
    expect(validateSqueezeNet(dict, TINY).extras).toEqual(['features.99.weight']);
    const r = importSqueezeNet(writeSafetensors(dict), 'x', TINY);
    expect(r.extras).toEqual(['features.99.weight']);
    expect(r.dict.has('features.99.weight')).toBe(false);
  });

  it('round-trips through safetensors bit for bit, with metadata', () => {
    const dict = loadStateDict(fixture('tiny-bf16.pth'));
    const st = writeSafetensors(dict, { source: 'tiny-bf16.pth', note: 'é ✓' });
    const headerLen = Number(new DataView(st.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const back = readSafetensors(st);
    expect(back.metadata).toEqual({ source: 'tiny-bf16.pth', note: 'é ✓' });
    expect(expectTiny(back.tensors)).toEqual([]);
    expect(readSafetensors(fixture('tiny-halfs.safetensors')).metadata).toEqual({ format: 'pt', note: 'tiny fixture' });
  });
});

describe('weight import: errors', () => {
  it('names the tensor and both shapes on a shape mismatch', () => {
    expect(() => importSqueezeNet(fixture('tiny-wrongshape.pth'), 'tiny-wrongshape.pth', TINY)).toThrow(
      "tiny-wrongshape.pth: 1 tensor has the wrong shape: 'features.3.expand3x3.weight' has shape [3, 2, 1, 1], tiny SqueezeNet needs [3, 2, 3, 3]",
    );
  });

  it('lists missing tensors', () => {
    expect(() => importSqueezeNet(fixture('tiny-missing.pth'), 'tiny-missing.pth', TINY)).toThrow(
      'tiny-missing.pth: 2 of 10 tiny SqueezeNet tensors are missing: features.3.squeeze.weight [2, 4, 1, 1], classifier.1.bias [5]',
    );
  });

  it('says plainly when the file is another model', () => {
    expect(() => importSqueezeNet(fixture('other-model.pth'), 'other-model.pth', TINY)).toThrow(
      'other-model.pth: this does not look like a tiny SqueezeNet state dict: 0 of 10 expected tensors found; it has conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var, bn1.num_batches_tracked, ... (8 in all)',
    );
    // Against the real manifest too (52 tensors), and the int64 counter decodes.
    expect(() => importSqueezeNet(fixture('other-model.pth'), 'other-model.pth')).toThrow(/not look like a SqueezeNet 1\.1 state dict: 0 of 52 expected tensors found; it has conv1\.weight, bn1\.weight/);
    expect(Array.from(loadStateDict(fixture('other-model.pth')).get('bn1.num_batches_tracked')!.data)).toEqual([12]);
  });

  it('rejects a file that is no weights file at all', () => {
    expect(detectFormat(fixture('not-a-model.txt'))).toBe(null);
    expect(() => loadStateDict(fixture('not-a-model.txt'), 'not-a-model.txt')).toThrow(/not-a-model\.txt: not a weights file \(it starts with 54 68 69 73/);
    expect(() => loadStateDict(new Uint8Array(0), 'empty.pth')).toThrow(/empty\.pth: not a weights file \(it is empty\)/);
  });

  it('names the storage when a legacy file is cut off in its data', () => {
    expect(() => loadStateDict(fixture('tiny-truncated.pth'), 'tiny-truncated.pth')).toThrow(/tiny-truncated\.pth: storage '\d+' data is truncated/);
  });

  // Truncate every format at many points: each must fail with a message naming the broken part, never
  // return a partial dict.
  const cuts: [string, RegExp][] = [
    ['tiny.pth', /tiny\.pth: (not a complete zip archive|corrupt zip|storage entry|.*data\.pkl: truncated)/],
    ['tiny-legacy.pth', /tiny-legacy\.pth: (magic number pickle|protocol version pickle|sys_info pickle|object pickle|storage keys pickle|storage '\d+' data)/],
    ['tiny-old.pth', /tiny-old\.pth: (magic number pickle|protocol version pickle|sys_info pickle|object pickle|storage keys pickle|storage '\w+' data)/],
    ['tiny.onnx', /tiny\.onnx: (ModelProto|GraphProto)/],
    ['tiny-halfs.safetensors', /tiny-halfs\.safetensors: (header is truncated|tensor '.*' data is truncated)/],
  ];
  for (const [file, re] of cuts) {
    it(`${file} truncated anywhere fails naming the broken part`, () => {
      const full = fixture(file);
      for (let n = 0; n < full.length; n += Math.max(1, Math.floor(full.length / 97))) {
        let err: Error | null = null;
        try {
          importSqueezeNet(full.subarray(0, n), file, TINY);
        } catch (e) {
          err = e as Error;
        }
        expect(err, `cut at ${n} of ${full.length}`).not.toBe(null);
        if (n >= 8) expect(err!.message, `cut at ${n} of ${full.length}`).toMatch(re);
      }
    });
  }

  it('names the pickle, byte and opcode of a corrupt data.pkl', () => {
    const bytes = fixture('tiny.pth').slice();
    // data.pkl starts with PROTO 2, GLOBAL 'collections OrderedDict': make that GLOBAL an unknown opcode.
    const at = bytes.findIndex((_, i) => [0x80, 0x02, 0x63, 0x63, 0x6f, 0x6c].every((b, j) => bytes[i + j] === b));
    expect(at).toBeGreaterThan(0);
    bytes[at + 2] = 0xff;
    // The zip's CRC-32 catches the damage first; with the CRC recomputed, the unpickler names it.
    expect(() => loadStateDict(bytes, 'c.pth')).toThrow(/^c\.pth: entry '\S*data\.pkl' is corrupt: its CRC-32 is [0-9a-f]{8}, the archive records [0-9a-f]{8}$/);
    expect(() => loadStateDict(fixZipCrcs(bytes), 'c.pth')).toThrow(/c\.pth: \S*data\.pkl: corrupt pickle at byte 2 \(0xff\): unknown opcode 0xff/);
  });

  it('rejects safetensors offsets that disagree with the shape, and views past their storage', () => {
    const header = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}');
    const file = new Uint8Array(8 + header.length + 12);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    expect(() => readSafetensors(file, 'bad.safetensors')).toThrow(
      "bad.safetensors: tensor 'a' F32 [2, 2] needs 16 bytes but data_offsets [0, 12] span 12",
    );
    const storage = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer);
    expect(Array.from(stridedToFloat32(storage, 'float32', 5, 1, [2, 2], [1, 2], 't'))).toEqual([2, 4, 3, 5]);
    expect(() => stridedToFloat32(storage, 'float32', 5, 2, [2, 2], [1, 2], "tensor 'w'")).toThrow(
      "tensor 'w': view of shape [2, 2] stride [1, 2] at offset 2 reaches element 5, but its storage holds 5",
    );
  });
});
