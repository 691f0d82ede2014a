import { describe, it, expect } from 'vitest';
import { getDevice, relL2 } from '../helpers/device.js';
import { pretrainedWeights, sampleImages, fixtureNpy } from '../helpers/shared.js';
import { randomStateDict } from '../helpers/model.js';
import { SqueezeNet, saliency, igSchedule, keep, bilinearResize } from '../../src/index.js';

describe('saliency building blocks', () => {
  it('IG quadrature weights sum to one; bilinear resize keeps constants', () => {
    for (const rule of ['riemann', 'trapezoid'] as const) {
      const s = igSchedule(7, rule);
      expect(s.reduce((a, [, w]) => a + w, 0)).toBeCloseTo(1, 12);
      expect(s[s.length - 1][0]).toBe(1);
    }
    const dst = new Float32Array(20 * 30);
    bilinearResize(new Float32Array(4 * 6).fill(2.5), 4, 6, dst, 20, 30);
    expect(dst.every((v) => Math.abs(v - 2.5) < 1e-6)).toBe(true);
  });

  it('every method runs on a random model, with clear errors for bad classes', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, randomStateDict(5));
    const x = keep(d.tensor(Float32Array.from({ length: 2 * 3 * 48 * 40 }, (_, i) => Math.cos(i * 0.11)), [2, 3, 48, 40]));
    for (const method of ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'] as const) {
      const r = await saliency(model, x, [1, 2], { method, samples: 2 });
      expect(r.shape).toEqual([2, 48, 40]);
      expect(r.maps.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    }
    await expect(saliency(model, x, [1, 1000])).rejects.toThrow(/unknown class id 1000/);
    await expect(saliency(model, x, [1])).rejects.toThrow(/1 class ids for a batch of 2/);
    x.dispose();
    model.dispose();
  });

  it('Integrated Gradients satisfies completeness as the steps grow', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, randomStateDict(6));
    const x = keep(d.tensor(Float32Array.from({ length: 3 * 40 * 40 }, (_, i) => Math.sin(i * 0.05)), [1, 3, 40, 40]));
    const coarse = await saliency(model, x, [3], { method: 'integrated-gradients', samples: 2, rule: 'trapezoid' });
    const fine = await saliency(model, x, [3], { method: 'integrated-gradients', samples: 32, rule: 'trapezoid' });
    expect(Math.abs(fine.completenessGap![0])).toBeLessThanOrEqual(Math.abs(coarse.completenessGap![0]) + 1e-3);
    x.dispose();
    model.dispose();
  });
});

/*
 * Why not 1e-3 on every single map: a saliency map is piecewise linear in the input, and SqueezeNet makes
 * millions of ReLU and max-pool decisions per image. Measured in float64 (scripts: see tests/golden/README.md),
 * every one of the 25 cs231n images (the ten samples are the first ten) has a decision closer than float32 can resolve: the smallest ReLU input is
 * 2e-9..1.3e-7 of its layer's largest, the smallest max-pool gap between the two largest window values
 * 9e-11..8e-8 of the layer's largest. PyTorch's float32 forward and ours (both ~1e-7 relative, different
 * summation orders) can land on opposite sides of such a decision; the gradient then takes another path
 * through one unit and a patch of the map changes (image 4: pool1, channel 24, window (48, 13), top two
 * values 1.2e-7 apart out of 0.24 — a 3×3 patch at rows 192–194, columns 52–54 differs). PyTorch is no
 * different against itself: its float32 maps differ from its float64 maps by more than 1e-3 relative L2 on
 * 4 of the 25 images (image 8: 1.2e-2; scripts/saliency_fp32_vs_fp64.py). Most maps agree to ~2e-4; the
 * tests require 1e-3 for most images and bound the rest.
 */
describe('vanilla saliency against PyTorch', () => {
  it('matches on the embedded sample images (relative L2: median < 1.5e-3, >= 5 of 10 within 1e-3, all within 3e-2)', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, pretrainedWeights());
    const s = sampleImages();
    expect(s.n).toBe(10); // the first ten of the 25 images tests/fixtures/model was made from
    const x = keep(d.tensor(s.data, [s.n, 3, 224, 224]));
    const r = await saliency(model, x, s.labels);
    x.dispose();
    const whole: number[] = [];
    for (let i = 0; i < s.n; i++) {
      const ref = fixtureNpy(`model/saliency25_part${Math.floor(i / 5)}.npy`);
      const j = i % 5;
      const a = r.maps.subarray(i * 224 * 224, (i + 1) * 224 * 224);
      const b = ref.data.subarray(j * 224 * 224, (j + 1) * 224 * 224);
      whole.push(relL2(a, b));
    }
    console.log(`saliency vs PyTorch, relative L2 per image: ${whole.map((e) => e.toExponential(1)).join(' ')}`);
    const sorted = [...whole].sort((x, y) => x - y);
    // Measured (lavapipe): 1.5e-3 2.1e-4 1.4e-3 2.0e-4 3.5e-3 1.1e-3 7.2e-4 2.0e-4 1.2e-2 7.5e-4 — the first ten
    // of the 25 hold more near-ties than the rest (over all 25: median 2.3e-4, 17 within 1e-3).
    expect((sorted[s.n / 2 - 1] + sorted[s.n / 2]) / 2).toBeLessThan(1.5e-3); // median
    expect(whole.filter((e) => e <= 1e-3).length).toBeGreaterThanOrEqual(5);
    expect(sorted[s.n - 1]).toBeLessThan(3e-2);
    model.dispose();
  });
});

describe('SmoothGrad, Integrated Gradients and Grad-CAM against PyTorch', () => {
  // scripts/gen_attribution_fixtures.py computes the same formulas in PyTorch; SmoothGrad's noise is the
  // same on both sides (Philox4x32-10: shaders/random.wgsl here, scripts/rng.py there).
  const cases = [
    ['attr_smoothgrad.npy', { method: 'smoothgrad', samples: 4, noise: 0.15, seed: 0 }],
    ['attr_ig.npy', { method: 'integrated-gradients', samples: 8, baseline: 'zeros', rule: 'riemann' }],
    ['attr_ig_trapezoid_black.npy', { method: 'integrated-gradients', samples: 4, baseline: 'black', rule: 'trapezoid' }],
    ['attr_gradcam.npy', { method: 'gradcam' }],
  ] as const;
  for (const [file, opts] of cases) {
    it(`${file.replace(/^attr_|\.npy$/g, '')} matches (relative L2 within 1e-3 on 2 of 3 images, 5e-3 on all)`, async () => {
      const d = await getDevice();
      const model = SqueezeNet.fromStateDict(d, pretrainedWeights());
      const s = sampleImages();
      const x = keep(d.tensor(s.data.subarray(0, 3 * 3 * 224 * 224), [3, 3, 224, 224]));
      const r = await saliency(model, x, s.labels.slice(0, 3), opts);
      x.dispose();
      const ref = fixtureNpy(`model/${file}`);
      const errs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const a = r.maps.subarray(i * 224 * 224, (i + 1) * 224 * 224);
        const b = ref.data.subarray(i * 224 * 224, (i + 1) * 224 * 224);
        errs.push(relL2(a, b));
      }
      // Each of the n forward passes can meet its own ReLU / max-pool near-tie (see above).
      console.log(`${file}: relative L2 per image ${errs.map((e) => e.toExponential(2)).join(' ')}`);
      expect(errs.filter((e) => e <= 1e-3).length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...errs)).toBeLessThan(5e-3);
      model.dispose();
    });
  }
});
