import { describe, it, expect } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { pretrainedWeights } from '../helpers/shared.js';
import { randomStateDict } from '../helpers/model.js';
import { SqueezeNet, classVisualization, tidy, LO, HI } from '../../src/index.js';

describe('class visualization', () => {
  it('is deterministic for a seed and stays in the valid pixel range', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, randomStateDict(9));
    const run = async (seed: number) => {
      const r = await classVisualization(model, d, 5, { iterations: 4, seed, size: 64, blurEvery: 2, jitter: 8 });
      const v = await r.image.toArray();
      r.image.dispose();
      return v;
    };
    const a = await run(3), b = await run(3), c = await run(4);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    for (let i = 0; i < a.length; i++) {
      const ch = Math.floor(i / (64 * 64)) % 3;
      expect(a[i]).toBeGreaterThanOrEqual(LO[ch] - 1e-5);
      expect(a[i]).toBeLessThanOrEqual(HI[ch] + 1e-5);
    }
    await expect(classVisualization(model, d, 1000)).rejects.toThrow(/unknown class id 1000/);
    model.dispose();
  });
});

describe('class visualization with the pretrained weights', () => {
  for (const target of [76, 366, 113]) {
    it(`makes an image the model classifies as ${target} after the default 100 iterations`, async () => {
      const d = await getDevice();
      const model = SqueezeNet.fromStateDict(d, pretrainedWeights());
      const r = await classVisualization(model, d, target, { scoreEvery: 0 });
      const lg = tidy(() => model.logits(r.image));
      const logits = await lg.toArray();
      let top = 0;
      for (let k = 1; k < 1000; k++) if (logits[k] > logits[top]) top = k;
      expect(top).toBe(target);
      lg.dispose();
      r.image.dispose();
      model.dispose();
    }, 900_000);
  }
});
