// Hostile and damaged weight/array files (tests/fixtures/weights/hostile-*, tiny-nan, tiny-inf-legacy and
// tests/fixtures/npy, made by scripts/make_hostile_fixtures.py): each is refused with a message naming the
// problem, or (where the file is honest) read correctly.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importSqueezeNet, loadStateDict, readSafetensors, writeSafetensors } from '../../src/weights/index.js';
import { readNpy } from '../../src/io/npy.js';
import { readNpz, npzImages } from '../../src/image/npz.js';
import { zipSync, unzipSync } from 'fflate';
import { ZipArchive } from '../../src/io/zip.js';
import { REPO, TINY, expectTiny, fixture } from './fixtures.js';

const npyFixture = (name: string) => new Uint8Array(readFileSync(join(REPO, 'tests', 'fixtures', 'npy', name)));

describe('pickles that name code', () => {
  it('refuses a state dict with an entry that REDUCEs os.system, naming the global (zip format)', () => {
    for (const load of [() => importSqueezeNet(fixture('hostile-system.pth'), 'hostile-system.pth', TINY), () => loadStateDict(fixture('hostile-system.pth'), 'hostile-system.pth')]) {
      expect(load).toThrow(/^hostile-system\.pth: \S+data\.pkl: refused: the pickle at byte \d+ \((STACK_)?GLOBAL\) names the global "posix\.system", which a state dict never needs \(torch\.load\(weights_only=True\) refuses it too\)$/);
    }
  });

  it('refuses builtins.eval in a legacy file', () => {
    expect(() => importSqueezeNet(fixture('hostile-eval-legacy.pth'), 'e.pth', TINY)).toThrow(/^e\.pth: object pickle: refused: the pickle at byte \d+ \(GLOBAL\) names the global "__builtin__\.eval"/);
  });

  it('refuses a whole pickled model, saying to save its state_dict()', () => {
    expect(() => loadStateDict(fixture('hostile-module.pth'), 'm.pth')).toThrow(/names the global "__main__\.Tiny".*save model\.state_dict\(\) instead/);
  });
});

describe('sizes checked before anything is allocated', () => {
  it('imports a file with an unused stride-0 16000×16000 tensor without materialising it', () => {
    const r = importSqueezeNet(fixture('hostile-stride0.pth'), 'hostile-stride0.pth', TINY);
    expect(expectTiny(r.dict)).toEqual([]);
    expect(r.extras).toEqual(['huge']);
  });

  it('imports a file with an unused 2^40-element stride-0 view (no typed array could hold it)', () => {
    const r = importSqueezeNet(fixture('hostile-stride0-2e40.pth'), 'h.pth', TINY);
    expect(expectTiny(r.dict)).toEqual([]);
    expect(r.extras).toEqual(['huge']);
  });

  it('loadStateDict refuses views that would hold far more elements than the file has bytes', () => {
    expect(() => loadStateDict(fixture('hostile-stride0.pth'), 'h.pth')).toThrow(
      /^h\.pth: tensor 'huge' \[16000, 16000\] brings the file's tensors to \d+ elements, more than 2 per byte of the \d+-byte file allows \(\d+\): views that repeat their storage \(stride 0\?\); refused before allocating$/,
    );
  });

  it('refuses safetensors entries that overlap (each could otherwise re-read the whole data)', () => {
    const header = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}');
    const file = new Uint8Array(8 + header.length + 16);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    expect(() => readSafetensors(file, 'o.safetensors')).toThrow("o.safetensors: tensor 'b' data [8, 16] overlaps tensor 'a' (which ends at 16)");
  });

  it('reads a re-zipped (deflated) .pth, but refuses deflated storages that expand far beyond the file', () => {
    const entries = unzipSync(fixture('tiny.pth'));
    const deflated = zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level: 6 }]])));
    expect(expectTiny(importSqueezeNet(deflated, 'z.pth', TINY).dict)).toEqual([]);
    const padded = Object.fromEntries(Object.entries(entries).map(([k, v]) => {
      if (!/\/data\/\d+$/.test(k)) return [k, [v, { level: 6 }]];
      const big = new Uint8Array(4 * 2 ** 20);
      big.set(v);
      return [k, [big, { level: 9 }]];
    }));
    const bomb = zipSync(padded as Parameters<typeof zipSync>[0]);
    expect(bomb.length).toBeLessThan(200_000);
    expect(() => importSqueezeNet(bomb, 'b.pth', TINY)).toThrow(/^b\.pth: compressed entry '\S+\/data\/\d+' claims 4194304 bytes from \d+; refused \(torch stores its entries uncompressed\)$/);
  });

  it('refuses a deflated zip entry that claims more than deflate can expand to', () => {
    const zip = zipSync({ 'a.npy': [new Uint8Array(4096), { level: 9 }] });
    const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const cd = zip.findIndex((_, i) => i + 4 <= zip.length && dv.getUint32(i, true) === 0x02014b50);
    dv.setUint32(cd + 24, 0xfffffff0, true); // uncompressed size: ~4 GiB
    expect(() => new ZipArchive(zip, 'bomb.npz')).toThrow(/^bomb\.npz: corrupt zip archive: deflated entry 'a\.npy' claims 4294967280 bytes from \d+ compressed \(more than deflate's 1032:1\)$/);
  });
});

describe('non-finite weights', () => {
  it('refuses a NaN, naming the tensor, the index and the count (zip .pth)', () => {
    expect(() => importSqueezeNet(fixture('tiny-nan.pth'), 'tiny-nan.pth', TINY)).toThrow(
      "tiny-nan.pth: tensor 'features.0.weight' holds NaN at index [1, 2, 0, 1] (element 46 of 108; 1 non-finite value in this tensor): weights must be finite; the file is corrupt or the model diverged",
    );
  });

  it('refuses -Infinity (legacy .pth)', () => {
    expect(() => importSqueezeNet(fixture('tiny-inf-legacy.pth'), 'i.pth', TINY)).toThrow(/^i\.pth: tensor 'classifier\.1\.bias' holds -Infinity at index \[3\] \(element 3 of 5; 1 non-finite value/);
  });

  it('refuses NaN in a safetensors cache too, and counts every bad value', () => {
    const dict = loadStateDict(fixture('tiny.pth'));
    const w = dict.get('features.3.expand3x3.weight')!;
    w.data[5] = NaN;
    w.data[7] = Infinity;
    expect(() => importSqueezeNet(writeSafetensors(dict), 'c.safetensors', TINY)).toThrow(
      /^c\.safetensors: tensor 'features\.3\.expand3x3\.weight' holds NaN at index \[0, 0, 1, 2\] \(element 5 of \d+; 2 non-finite values in this tensor\)/,
    );
  });

  it('ignores non-finite values in tensors the model does not use', () => {
    const dict = loadStateDict(fixture('tiny.pth'));
    dict.set('unused', { shape: [2], data: new Float32Array([NaN, 1]) });
    const r = importSqueezeNet(writeSafetensors(dict), 'x', TINY);
    expect(r.extras).toEqual(['unused']);
  });
});

describe('Fortran-order arrays', () => {
  it('reads a Fortran-order float32 .npy in C order', () => {
    const a = readNpy(npyFixture('fortran_f4.npy'), 'f.npy');
    expect(a.shape).toEqual([2, 3, 4, 5]);
    expect(a.fortranOrder).toBe(true);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from({ length: 120 }, (_, i) => i));
  });

  it('reads a Fortran-order uint8 .npy in C order', () => {
    const a = readNpy(npyFixture('fortran_u1.npy'), 'f.npy');
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data as Uint8Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('reads the images of an .npz whose X is in Fortran order', () => {
    const { images, labels } = npzImages(readNpz(npyFixture('fortran_x.npz'), 'x.npz'), { path: 'x.npz' });
    expect(labels).toEqual([5, 7]);
    expect(images.map((im) => [im.width, im.height, Array.from(im.data)])).toEqual([
      [3, 2, Array.from({ length: 18 }, (_, i) => i)],
      [3, 2, Array.from({ length: 18 }, (_, i) => 18 + i)],
    ]);
  });

  it('names malformed headers instead of reading garbage', () => {
    const make = (header: string) => {
      const h = header + ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
      const out = new Uint8Array(10 + h.length + 64);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(out.buffer).setUint16(8, h.length, true);
      out.set(new TextEncoder().encode(h), 10);
      return out;
    };
    expect(() => readNpy(make("{'descr': '<f4', 'fortran_order': False, 'shape': (a, 2), }"), 'm.npy')).toThrow(/^m\.npy: malformed \.npy header \(shape entry 'a' is not a non-negative integer\)/);
    expect(() => readNpy(make("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }"), 'm.npy')).toThrow(/^m\.npy: malformed \.npy header \('fortran_order' is not True or False\)/);
    expect(() => readNpy(make("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"), 'm.npy')).toThrow(/shape entry '-2' is not a non-negative integer/);
    expect(() => readNpy(make("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 100000000), }"), 'm.npy')).toThrow(/^m\.npy: shape \(100000000, 100000000\) holds 10000000000000000 elements, more than 1099511627776$/);
    expect(() => readNpy(make(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }${'}'.repeat(20000)}x`), 'm.npy')).toThrow(/^m\.npy: \.npy header of 20\d{3} bytes; at most 10000 are read/);
    expect(Array.from(readNpy(make("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), 'm.npy').data as Float32Array)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
