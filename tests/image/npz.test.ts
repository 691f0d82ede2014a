// .npz inputs: reading (stored and deflated entries, object arrays skipped and recorded), selections
// 'file.npz:3' / 'file.npz:0-4', images and labels from X / y, errors. The shared cs231n file when present.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readNpz, parseSelection, npzImages } from '../../src/image/npz.js';
import { decodeImage } from '../../src/image/decode.js';

const FIX = new URL('../fixtures/image/', import.meta.url);
const bytes = (rel: string) => new Uint8Array(readFileSync(new URL(rel, FIX)));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('parseSelection', () => {
  it('parses one index, inclusive ranges and whole files', () => {
    expect(parseSelection('file.npz:3')).toEqual({ path: 'file.npz', start: 3, end: 4 });
    expect(parseSelection('file.npz:0-4')).toEqual({ path: 'file.npz', start: 0, end: 5 });
    expect(parseSelection('file.npz')).toEqual({ path: 'file.npz', start: 0, end: null });
    expect(parseSelection('../shared/images/imagenet_val_25.npz:12-12')).toEqual({ path: '../shared/images/imagenet_val_25.npz', start: 12, end: 13 });
    expect(parseSelection('C:\\data\\x.npz')).toEqual({ path: 'C:\\data\\x.npz', start: 0, end: null });
    expect(parseSelection('C:\\data\\x.npz:7')).toEqual({ path: 'C:\\data\\x.npz', start: 7, end: 8 });
  });

  it('rejects bad selections with the accepted forms', () => {
    expect(() => parseSelection('file.npz:4-2')).toThrow(/file\.npz:4-2: empty selection \(4-2\)/);
    expect(() => parseSelection('file.npz:abc')).toThrow(/file\.npz:abc: bad selection 'abc'; use file\.npz, file\.npz:3 or file\.npz:0-4/);
    expect(() => parseSelection('file.npz:1-')).toThrow(/bad selection '1-'/);
    expect(() => parseSelection('file.npz:')).toThrow(/bad selection ''/);
  });
});

describe('readNpz + npzImages (fixture: np.savez, stored entries)', () => {
  const map = readNpz(bytes('tiny_batch.npz'), 'tiny_batch.npz');

  it('reads numeric arrays and records skipped object/string arrays', () => {
    expect([...map.keys()].sort()).toEqual(['X', 'y']);
    expect(map.get('X')!.shape).toEqual([6, 5, 7, 3]);
    expect(map.get('X')!.dtype).toBe('u1');
    expect(map.get('y')!.dtype).toBe('i8');
    const skipped = Object.fromEntries(map.skipped.map((s) => [s.key, s.reason]));
    expect(Object.keys(skipped).sort()).toEqual(['label_map', 'names']);
    expect(skipped.label_map).toMatch(/object array/);
    expect(skipped.names).toMatch(/string\/bytes array \(dtype '<U3'\)/);
  });

  it("'tiny.npz:3' and 'tiny.npz:0-4' select images and labels", () => {
    const X = map.get('X')!.data as Uint8Array;
    const px = 5 * 7 * 3;
    const one = npzImages(map, parseSelection('tiny_batch.npz:3'));
    expect(one.images.length).toBe(1);
    expect(one.images[0]).toMatchObject({ width: 7, height: 5 });
    expect([...one.images[0].data]).toEqual([...X.subarray(3 * px, 4 * px)]);
    expect(one.labels).toEqual([182]);
    const five = npzImages(map, parseSelection('tiny_batch.npz:0-4'));
    expect(five.images.length).toBe(5);
    five.images.forEach((img, i) => expect([...img.data]).toEqual([...X.subarray(i * px, (i + 1) * px)]));
    expect(five.labels).toEqual([958, 85, 244, 182, 294]);
    const all = npzImages(map, parseSelection('tiny_batch.npz'));
    expect(all.images.length).toBe(6);
    expect(all.labels!.length).toBe(6);
    // copies, not views into the archive
    five.images[0].data[0] ^= 1;
    expect(five.images[0].data[0]).not.toBe(X[0]);
  });

  it('errors name the file, the shapes and the valid range', () => {
    expect(() => npzImages(map, parseSelection('tiny_batch.npz:6'))).toThrow(/tiny_batch\.npz: image index 6 out of range \(X holds 6 images: 0-5\)/);
    expect(() => npzImages(map, parseSelection('tiny_batch.npz:4-9'))).toThrow(/tiny_batch\.npz: images 4-9 out of range/);
    const noX = new Map([...map].filter(([k]) => k !== 'X'));
    Object.defineProperty(noX, 'skipped', { value: map.skipped });
    expect(() => npzImages(noX, { path: 'tiny_batch.npz' })).toThrow(/tiny_batch\.npz: no image array 'X' \(keys: y, label_map \(skipped: object array/);
    const f = new Map([['X', { ...map.get('X')!, dtype: 'f4' }]]);
    expect(() => npzImages(f, { path: 'f.npz' })).toThrow(/f\.npz: X must be uint8 \(N, H, W, 3\); it is f4 \(6, 5, 7, 3\)/);
    const badY = new Map([['X', map.get('X')!], ['y', { ...map.get('y')!, shape: [5] }]]);
    expect(() => npzImages(badY, { path: 'y.npz' })).toThrow(/y\.npz: y has shape \(5\); expected \(6,\) to match X \(6, 5, 7, 3\)/);
    expect(() => readNpz(bytes('png/rgb8.png'), 'rgb8.png')).toThrow(/rgb8\.png: not a \.npz file/);
    const trunc = bytes('tiny_batch.npz').subarray(0, 500);
    expect(() => readNpz(trunc, 'trunc.npz')).toThrow(/trunc\.npz: not a complete zip archive/);
  });

  it('reads deflated entries (np.savez_compressed)', () => {
    const m = readNpz(bytes('preprocess_expected.npz'), 'preprocess_expected.npz');
    expect(m.get('levels16')!.shape).toEqual([3, 16, 16]);
    expect(m.get('levels16')!.dtype).toBe('f4');
    expect(m.skipped).toEqual([]);
  });
});

describe('cs231n\'s imagenet_val_25.npz layout', () => {
  // tests/fixtures/image/cs231n_like.npz: the file's layout (X, y, a pickled label_map) on the first three
  // samples cropped to 32×32 (scripts/gen_sample_fixtures.py).
  it('reads X and y, skips the pickled label_map, selects by index', () => {
    const path = `${ROOT}tests/fixtures/image/cs231n_like.npz`;
    const map = readNpz(new Uint8Array(readFileSync(path)), path);
    expect(map.get('X')!.shape).toEqual([3, 32, 32, 3]);
    expect(map.get('y')!.shape).toEqual([3]);
    expect(map.skipped.map((s) => s.key)).toEqual(['label_map']);
    const { images, labels } = npzImages(map, parseSelection(`${path}:2`));
    expect(labels).toEqual([244]);
    const png = decodeImage(new Uint8Array(readFileSync(`${ROOT}samples/02_244.png`)), '02_244.png');
    const crop = new Uint8Array(32 * 32 * 3);
    for (let r = 0; r < 32; r++) crop.set(png.data.subarray(r * 224 * 3, r * 224 * 3 + 32 * 3), r * 32 * 3);
    expect(Buffer.from(images[0].data).equals(Buffer.from(crop))).toBe(true);
    const all = npzImages(map, parseSelection(`${path}:0-2`));
    expect(all.labels).toEqual([958, 85, 244]);
  });
});
