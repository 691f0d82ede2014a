import { describe, it, expect, beforeAll } from 'vitest';
import { getDevice, relErr } from '../helpers/device.js';
import { pretrainedWeights, sampleImages, fixtureNpy, fixtureJson } from '../helpers/shared.js';
import { SqueezeNet, squeezeNetManifest, LAYER_NAMES, SQUEEZENET1_1, tidy, grad, sum, gatherRows, type Device } from '../../src/index.js';
import { randomStateDict } from '../helpers/model.js';

describe('SqueezeNet 1.1 architecture', () => {
  let d: Device;
  beforeAll(async () => {
    d = await getDevice();
  });

  it('has torchvision\'s 52 tensors and any batch/input size the architecture allows', async () => {
    const m = squeezeNetManifest();
    expect(m.length).toBe(52);
    // The model's manifest and the importer's (weights/manifest.json, generated from torchvision) agree.
    expect(m.map(([n, s]) => [n, s])).toEqual(SQUEEZENET1_1.tensors.map((t: { name: string; shape: number[] }) => [t.name, t.shape]));
    const model = SqueezeNet.fromStateDict(d, randomStateDict(1));
    expect(model.parameterCount).toBe(1235496);
    for (const [n, h, w] of [[2, 17, 17], [1, 33, 47]]) {
      const y = tidy(() => model.logits(d.tensor(new Float32Array(n * 3 * h * w).fill(0.1), [n, 3, h, w])));
      expect(y.shape).toEqual([n, 1000]);
      y.dispose();
    }
    expect(() => model.logits(d.tensor(new Float32Array(3 * 16 * 16), [1, 3, 16, 16]))).toThrow(/too small/);
    expect(() => model.logits(d.tensor(new Float32Array(4 * 20 * 20), [1, 4, 20, 20]))).toThrow(/\[N, 3, H, W\]/);
    model.dispose();
  });

  it('rejects a state dict with a missing or mis-shaped tensor, naming it', async () => {
    const sd = randomStateDict(2);
    sd.delete('features.3.expand3x3.weight');
    expect(() => SqueezeNet.fromStateDict(d, sd)).toThrow(/features\.3\.expand3x3\.weight/);
    const sd2 = randomStateDict(2);
    sd2.set('features.0.weight', { shape: [64, 3, 5, 5], data: new Float32Array(64 * 75) });
    expect(() => SqueezeNet.fromStateDict(d, sd2)).toThrow(/features\.0\.weight.*\[64, 3, 5, 5\].*\[64, 3, 3, 3\]/);
    // Non-finite weights are refused with the tensor and the first bad index (issue 12: one NaN gave "95% hay").
    for (const [v, word] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
      const sd3 = randomStateDict(2);
      const w = sd3.get('features.3.expand3x3.weight')!;
      const data = Float32Array.from(w.data);
      data[1 * 16 * 9 + 2 * 9 + 4] = v; // [1, 2, 1, 1]
      (sd3 as Map<string, { shape: number[]; data: Float32Array }>).set('features.3.expand3x3.weight', { shape: [...w.shape], data });
      expect(() => SqueezeNet.fromStateDict(d, sd3)).toThrow(`SqueezeNet 1.1: tensor 'features.3.expand3x3.weight' holds ${word} at index [1, 2, 1, 1] (1 non-finite value)`);
    }
  });

  it('fused fire modules equal the textbook conv + concat graph; captures every layer', async () => {
    const model = SqueezeNet.fromStateDict(d, randomStateDict(3));
    const x = d.tensor(Float32Array.from({ length: 2 * 3 * 40 * 36 }, (_, i) => Math.sin(i * 0.37)), [2, 3, 40, 36]);
    const { logits, activations } = model.forward(x, { capture: 'all' });
    const ref = model.forward(x, { unfused: true }).logits;
    expect(relErr(await logits.toArray(), await ref.toArray())).toBeLessThan(1e-5);
    expect([...activations.keys()]).toEqual([...LAYER_NAMES]);
    expect(activations.get('features.12')!.shape).toEqual([2, 512, 2, 2]);
    model.dispose();
  });

  it('classScores equals the gathered logits and gives the same input gradient', async () => {
    const model = SqueezeNet.fromStateDict(d, randomStateDict(4));
    const x = d.tensor(Float32Array.from({ length: 3 * 3 * 45 * 41 }, (_, i) => Math.cos(i * 0.11)), [3, 3, 45, 41], { requiresGrad: true });
    const classes = [998, 5, 998]; // a class twice, and the last one
    const [s1, g1] = tidy(() => { const s = model.classScores(x, classes); return [s, grad(sum(s), [x])[0]]; });
    const [s2, g2] = tidy(() => { const s = gatherRows(model.logits(x), classes); return [s, grad(sum(s), [x])[0]]; });
    expect(s1.shape).toEqual([3]);
    expect(relErr(await s1.toArray(), await s2.toArray())).toBeLessThan(1e-5);
    expect(relErr(await g1.toArray(), await g2.toArray())).toBeLessThan(1e-4);
    expect(() => model.classScores(x, [1, 2])).toThrow('SqueezeNet.classScores: 2 class ids for a batch of 3 images');
    expect(() => model.classScores(x, [1, 2, 1000])).toThrow('SqueezeNet.classScores: unknown class id 1000 for image 2 (valid 0..999)');
    for (const t of [s1, g1, s2, g2, x]) t.dispose();
    model.dispose();
  });
});

describe('SqueezeNet 1.1 with the embedded pretrained weights', () => {
  it('matches PyTorch\'s logits on the 10 sample images (1e-4 relative), top-1 10/10, 5/10 correct', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, pretrainedWeights());
    const s = sampleImages();
    const ref = fixtureNpy('model/logits25.npy'); // the samples are the first rows of the 25-image fixtures
    const meta = fixtureJson<{ images: { file: string; top1: number }[] }>('model/labels25.json');
    const y = tidy(() => model.logits(d.tensor(s.data, [s.n, 3, 224, 224])));
    const out = await y.toArray();
    y.dispose();
    let agree = 0, correct = 0, worst = 0;
    for (let i = 0; i < s.n; i++) {
      expect(meta.images[i].file).toBe(s.files[i]);
      const a = out.subarray(i * 1000, (i + 1) * 1000);
      const b = ref.data.subarray(i * 1000, (i + 1) * 1000);
      worst = Math.max(worst, relErr(a, b));
      let top = 0;
      for (let k = 1; k < 1000; k++) if (a[k] > a[top]) top = k;
      if (top === meta.images[i].top1) agree++;
      if (top === s.labels[i]) correct++;
    }
    console.log(`logits vs PyTorch: worst relative error ${worst.toExponential(2)}, top-1 agreement ${agree}/${s.n}, correct ${correct}/${s.n}`);
    expect(s.n).toBe(10);
    expect(worst).toBeLessThan(1e-4);
    expect(agree).toBe(10);
    expect(correct).toBe(5);
    model.dispose();
  });
});
