// The real SqueezeNet 1.1 weights in ../shared (when that directory exists; these tests run whenever it
// does): the zip .pth, the legacy .pth and the .onnx export import to the same 52 tensors bit for bit.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { importSqueezeNet, readSafetensors, writeSafetensors, SQUEEZENET1_1, type ImportResult, type StateDict } from '../../src/weights/index.js';
import { REPO, SHARED, HAVE_SHARED } from './fixtures.js';

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

describe('manifest and class list', () => {
  it('has torchvision squeezenet1_1’s 52 tensors and 1,235,496 parameters', () => {
    expect(SQUEEZENET1_1.tensors.length).toBe(52);
    expect(SQUEEZENET1_1.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0)).toBe(1_235_496);
    expect(SQUEEZENET1_1.parameters).toBe(1_235_496);
    expect(SQUEEZENET1_1.tensors[0]).toEqual({ name: 'features.0.weight', shape: [64, 3, 3, 3] });
    expect(SQUEEZENET1_1.tensors[51]).toEqual({ name: 'classifier.1.bias', shape: [1000] });
  });

  it('has 1000 class names', () => {
    const classes: string[] = JSON.parse(readFileSync(join(REPO, 'weights', 'imagenet_classes.json'), 'utf8'));
    expect(classes.length).toBe(1000);
    expect(classes[0]).toBe('tench');
    expect(classes[999]).toBe('toilet tissue');
  });
});

describe.runIf(HAVE_SHARED)('../shared SqueezeNet 1.1 weights', () => {
  const files = ['squeezenet1_1.pth', 'squeezenet1_1-legacy.pth', 'squeezenet1_1.onnx'] as const;
  const formats = ['pth-zip', 'pth-legacy', 'onnx'];
  const results = new Map<string, ImportResult>();
  const load = (f: string) => {
    if (!results.has(f)) results.set(f, importSqueezeNet(new Uint8Array(readFileSync(join(SHARED, 'weights', f))), f));
    return results.get(f)!;
  };

  files.forEach((f, i) => {
    it(`imports ${f}`, () => {
      const r = load(f);
      expect(r.format).toBe(formats[i]);
      expect(r.dict.size).toBe(52);
      expect(r.parameters).toBe(1_235_496);
      expect(r.extras).toEqual([]);
      for (const t of r.dict.values()) expect(t.data.every(Number.isFinite)).toBe(true);
      console.log(`${f}: ${r.format}, parse ${r.timings.parseMs.toFixed(1)} ms + validate ${r.timings.validateMs.toFixed(1)} ms = ${r.timings.totalMs.toFixed(1)} ms`);
    });
  });

  it('all three files hold the same 52 tensors bit for bit', () => {
    const zip = load(files[0]).dict;
    expectSameBits(load(files[1]).dict, zip);
    expectSameBits(load(files[2]).dict, zip);
  });

  it('round-trips through safetensors bit for bit', () => {
    const zip = load(files[0]).dict;
    const st = writeSafetensors(zip, { source: files[0] });
    const r = importSqueezeNet(st, 'roundtrip.safetensors');
    expect(r.format).toBe('safetensors');
    expectSameBits(r.dict, zip);
    expect(readSafetensors(st).metadata).toEqual({ source: files[0] });
    console.log(`safetensors (${st.length} bytes): import ${r.timings.totalMs.toFixed(1)} ms`);
  });

  it('ships the same class list as ../shared/imagenet_classes.json', () => {
    const shared = join(SHARED, 'imagenet_classes.json');
    expect(existsSync(shared)).toBe(true);
    expect(JSON.parse(readFileSync(join(REPO, 'weights', 'imagenet_classes.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(shared, 'utf8')));
  });
});
