import { describe, it, expect } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { pretrainedWeights, sampleImages } from '../helpers/shared.js';
import { SqueezeNet, makeFoolingImages, keep, tidy, LO, HI } from '../../src/index.js';

describe('fooling images', () => {
  // Two targets; every one of the embedded sample images must become the target within 100 steps.
  for (const target of [6, 113]) {
    it(`fools every sample image into class ${target}`, async () => {
      const d = await getDevice();
      const model = SqueezeNet.fromStateDict(d, pretrainedWeights());
      const s = sampleImages();
      const x = keep(d.tensor(s.data, [s.n, 3, 224, 224]));
      const res = await makeFoolingImages(model, x, new Array(s.n).fill(target), { maxIter: 100 });
      expect(res.reports.filter((r) => r.success).length).toBe(s.n);
      for (const r of res.reports) {
        expect(r.iterations).toBeLessThanOrEqual(100);
        expect(r.predicted).toBe(target);
        expect(r.linf255).toBeGreaterThan(0);
      }
      // Valid pixel range, and a margin wide enough that PyTorch must predict the target too: on the sample
      // images our logits agree with PyTorch's within 7.4e-7 of the largest logit (tests/nn), so a margin of
      // 1e-5 of the largest logit is more than ten times that. (scripts/check_fooled.py checks it in PyTorch.)
      const fooled = await res.fooled.toArray();
      for (let i = 0; i < fooled.length; i++) {
        const c = Math.floor(i / (224 * 224)) % 3;
        expect(fooled[i]).toBeGreaterThanOrEqual(LO[c] - 1e-6);
        expect(fooled[i]).toBeLessThanOrEqual(HI[c] + 1e-6);
      }
      const lg = tidy(() => model.logits(res.fooled));
      const logits = await lg.toArray();
      for (let i = 0; i < s.n; i++) {
        const row = logits.subarray(i * 1000, (i + 1) * 1000);
        let second = -Infinity, maxAbs = 0;
        for (let k = 0; k < 1000; k++) {
          maxAbs = Math.max(maxAbs, Math.abs(row[k]));
          if (k !== target) second = Math.max(second, row[k]);
        }
        expect(row[target] - second).toBeGreaterThan(1e-5 * maxAbs);
      }
      lg.dispose();
      res.fooled.dispose();
      x.dispose();
      model.dispose();
    }, 1_200_000);
  }
});
