// The default weights embedded in the repository (weights/squeezenet1_1.safetensors, written by
// scripts/embed_weights.mjs from ../shared/weights/squeezenet1_1.pth) against PyTorch's own reading of the
// source file (weights/squeezenet1_1.fingerprint.json, scripts/weights_fingerprint.py): every tensor bit for
// bit. Where ../shared is beside the repository (CI), the source .pth, its legacy twin and the ONNX export
// are imported too and must give the same tensors and the same logits bit for bit. Every test runs with or
// without ../shared.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { importSqueezeNet, readSafetensors, writeSafetensors, SQUEEZENET1_1, type StateDict } from '../../src/weights/index.js';
import { SqueezeNet, tidy } from '../../src/index.js';
import { getDevice } from '../helpers/device.js';
import { sampleImages } from '../helpers/shared.js';
import { REPO, SHARED, HAVE_SHARED } from './fixtures.js';

const EMBEDDED = join(REPO, 'weights', 'squeezenet1_1.safetensors');
const FINGERPRINT = JSON.parse(readFileSync(join(REPO, 'weights', 'squeezenet1_1.fingerprint.json'), 'utf8')) as {
  source: string; source_sha256: string; tensors: { name: string; shape: number[]; sha256: string }[];
};
const SOURCES = ['squeezenet1_1.pth', 'squeezenet1_1-legacy.pth', 'squeezenet1_1.onnx'] as const;

function bits(d: StateDict): Map<string, Uint32Array> {
  return new Map([...d].map(([k, t]) => [k, new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)]));
}

function expectSameBits(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  const ba = bits(a);
  for (const [k, v] of bits(b)) {
    expect(a.get(k)!.shape, k).toEqual(b.get(k)!.shape);
    const u = ba.get(k)!;
    let diff = 0;
    for (let i = 0; i < v.length; i++) if (u[i] !== v[i]) diff++;
    expect(diff, `${k}: elements that differ`).toBe(0);
  }
}

const embedded = () => importSqueezeNet(new Uint8Array(readFileSync(EMBEDDED)), 'squeezenet1_1.safetensors');

describe('manifest and class list', () => {
  it('has torchvision squeezenet1_1’s 52 tensors and 1,235,496 parameters', () => {
    expect(SQUEEZENET1_1.tensors.length).toBe(52);
    expect(SQUEEZENET1_1.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0)).toBe(1_235_496);
    expect(SQUEEZENET1_1.parameters).toBe(1_235_496);
    expect(SQUEEZENET1_1.tensors[0]).toEqual({ name: 'features.0.weight', shape: [64, 3, 3, 3] });
    expect(SQUEEZENET1_1.tensors[51]).toEqual({ name: 'classifier.1.bias', shape: [1000] });
  });

  it('has 1000 class names (the same as ../shared/imagenet_classes.json where present)', () => {
    const classes: string[] = JSON.parse(readFileSync(join(REPO, 'weights', 'imagenet_classes.json'), 'utf8'));
    expect(classes.length).toBe(1000);
    expect(classes[0]).toBe('tench');
    expect(classes[999]).toBe('toilet tissue');
    const shared = join(SHARED, 'imagenet_classes.json');
    if (existsSync(shared)) expect(classes).toEqual(JSON.parse(readFileSync(shared, 'utf8')));
  });
});

describe('the embedded default weights', () => {
  it('are fp32 safetensors, 52 tensors, all finite, recording their source file', () => {
    const bytes = new Uint8Array(readFileSync(EMBEDDED));
    expect(bytes.length).toBeLessThan(5 * 1024 * 1024);
    const r = embedded();
    expect(r.format).toBe('safetensors');
    expect(r.dict.size).toBe(52);
    expect(r.parameters).toBe(1_235_496);
    expect(r.extras).toEqual([]);
    for (const [k, t] of r.dict) expect(t.data.every(Number.isFinite), k).toBe(true);
    const meta = readSafetensors(bytes).metadata!;
    expect(meta.source).toBe(FINGERPRINT.source);
    expect(meta.source_format).toBe('pth-zip');
    expect(meta.source_sha256).toBe(FINGERPRINT.source_sha256);
  });

  it('equal PyTorch\'s reading of the source .pth tensor by tensor, bit for bit', () => {
    const r = embedded();
    expect([...r.dict.keys()]).toEqual(FINGERPRINT.tensors.map((t) => t.name));
    for (const want of FINGERPRINT.tensors) {
      const t = r.dict.get(want.name)!;
      expect(t.shape, want.name).toEqual(want.shape);
      const le = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength); // little-endian hosts only (x86, Arm)
      expect(createHash('sha256').update(le).digest('hex'), want.name).toBe(want.sha256);
    }
    if (HAVE_SHARED) {
      const raw = readFileSync(join(SHARED, 'weights', FINGERPRINT.source));
      expect(createHash('sha256').update(raw).digest('hex')).toBe(FINGERPRINT.source_sha256);
      for (const f of SOURCES) {
        const s = importSqueezeNet(new Uint8Array(readFileSync(join(SHARED, 'weights', f))), f);
        expect(s.format).toBe({ 'squeezenet1_1.pth': 'pth-zip', 'squeezenet1_1-legacy.pth': 'pth-legacy', 'squeezenet1_1.onnx': 'onnx' }[f]);
        expectSameBits(s.dict, r.dict);
      }
      console.log(`../shared present: ${SOURCES.join(', ')} import to the embedded tensors bit for bit`);
    }
  });

  it('round-trip through safetensors bit for bit', () => {
    const r = embedded();
    const st = writeSafetensors(r.dict, { source: 'x' });
    const back = importSqueezeNet(st, 'roundtrip.safetensors');
    expectSameBits(back.dict, r.dict);
    expect(readSafetensors(st).metadata).toEqual({ source: 'x' });
  });

  it('give the logits of the source .pth bit for bit', async () => {
    const d = await getDevice();
    const s = sampleImages();
    const logitsOf = async (dict: StateDict) => {
      const model = SqueezeNet.fromStateDict(d, dict);
      const y = tidy(() => model.logits(d.tensor(s.data.subarray(0, 2 * 3 * 224 * 224), [2, 3, 224, 224])));
      const out = await y.toArray();
      y.dispose();
      model.dispose();
      return new Uint32Array(out.buffer, out.byteOffset, out.length);
    };
    const mine = await logitsOf(embedded().dict);
    // Without ../shared the source is represented by its fingerprint (the test above): equal inputs, same kernels.
    const source = HAVE_SHARED ? importSqueezeNet(new Uint8Array(readFileSync(join(SHARED, 'weights', FINGERPRINT.source))), FINGERPRINT.source).dict : embedded().dict;
    const theirs = await logitsOf(source);
    expect(mine.length).toBe(2000);
    let differ = 0;
    for (let i = 0; i < mine.length; i++) if (mine[i] !== theirs[i]) differ++;
    expect(differ).toBe(0);
  }, 600_000);
});
