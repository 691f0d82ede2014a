// Signed attributions and the backward-pass explorer's data: attribution() agrees with saliency(), max-pool
// routing agrees with the CPU reference's arg-max, and in a real trace the gradient is zero exactly where the
// explorer says a max pool or a ReLU blocks it.
import { describe, it, expect } from 'vitest';
import { getDevice, randn } from '../helpers/device.js';
import { randomStateDict } from '../helpers/model.js';
import {
  SqueezeNet, attribution, saliency, gradientTrace, keep, tidy, maxPoolRouting, routingMap, reluMaskMap, channelMap, gatingSummary, planeShape,
} from '../../src/index.js';
import { maxPool2dCpu } from '../../src/ops/cpu/pool.js';

describe('explorer helpers', () => {
  it('max-pool routing counts the CPU reference arg-max of every window (ties included)', () => {
    const c = 3, h = 11, w = 9;
    const x = randn(c * h * w, 7);
    for (let i = 0; i < x.length; i += 5) x[i] = 0; // ties, as after a ReLU
    const ref = maxPool2dCpu(x, [1, c, h, w], { kH: 3, kW: 3, sH: 2, sW: 2, pH: 0, pW: 0, ceilMode: true });
    const want = new Uint16Array(c * h * w);
    ref.idx.forEach((j, o) => want[Math.floor(o / (ref.shape[2] * ref.shape[3])) * h * w + j]++);
    expect(Array.from(maxPoolRouting(x, c, h, w))).toEqual(Array.from(want));
    const frac = routingMap(want, c, h, w);
    expect(frac.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(routingMap(want, c, h, w, 1))).toEqual(Array.from({ length: h * w }, (_, i) => (want[h * w + i] > 0 ? 1 : 0)));
  });

  it('channel maps and ReLU masks', () => {
    const d = Float32Array.from([1, -2, 0, 3, /* ch1 */ 4, 5, -1, 0]);
    expect(Array.from(channelMap(d, 2, 2, 2))).toEqual([5, 3, -1, 3]);
    expect(Array.from(channelMap(d, 2, 2, 2, 1))).toEqual([4, 5, -1, 0]);
    expect(Array.from(reluMaskMap(d, 2, 2, 2))).toEqual([1, 0.5, 0, 0.5]);
    expect(Array.from(reluMaskMap(d, 2, 2, 2, 0))).toEqual([1, 0, 0, 1]);
    expect(() => channelMap(d, 2, 2, 2, 2)).toThrow(/channel 2 is not in 0\.\.1/);
    expect(planeShape([1, 1000])).toEqual({ c: 1000, h: 1, w: 1 });
  });
});

describe('signed attributions and the trace on a random SqueezeNet', () => {
  it('attribution() gives saliency() maps and their signed source', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, randomStateDict(11));
    const x = keep(d.tensor(Float32Array.from({ length: 3 * 48 * 40 }, (_, i) => Math.cos(i * 0.07)), [1, 3, 48, 40]));
    for (const method of ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'] as const) {
      const opts = { method, samples: 2, layer: 'features.9' };
      const s = await saliency(model, x, [4], opts);
      const a = await attribution(model, x, [4], opts);
      expect(a.shape).toEqual(s.shape);
      expect(Array.from(a.maps)).toEqual(Array.from(s.maps));
      const n = 48 * 40;
      if (method === 'gradcam') {
        expect(a.signedShape).toEqual([1, 1, 48, 40]);
        // ReLU before the upsampling: where the signed cam is positive and smooth the two agree closely.
        expect(a.signed.some((v) => v < 0) || a.signed.every((v, i) => Math.abs(v - a.maps[i]) < 1e-5)).toBe(true);
      } else {
        expect(a.signedShape).toEqual([1, 3, 48, 40]);
        for (let i = 0; i < n; i++) {
          const m = Math.max(Math.abs(a.signed[i]), Math.abs(a.signed[n + i]), Math.abs(a.signed[2 * n + i]));
          expect(a.maps[i]).toBe(m);
        }
      }
      if (method === 'integrated-gradients') expect(a.completenessGap).toEqual(s.completenessGap);
    }
    x.dispose();
    model.dispose();
  });

  it('the gradient is zero where max pools and ReLUs block it, and the trace says where', async () => {
    const d = await getDevice();
    const model = SqueezeNet.fromStateDict(d, randomStateDict(12));
    const x = keep(d.tensor(Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.013) * 1.5), [1, 3, 64, 64]));
    // A class whose score is positive (a random model's ReLU'd class scores are often 0: no gradient at all).
    const lt = tidy(() => model.logits(x));
    const logits = await lt.toArray();
    lt.dispose();
    const cls = logits.indexOf(Math.max(...logits));
    const tr = await gradientTrace(model, x, cls, { keepData: true });
    expect(tr.score).toBeGreaterThan(0);
    x.dispose();
    model.dispose();
    const pooled = tr.layers.filter((l) => l.pooledBy);
    expect(pooled.map((l) => `${l.name}>${l.pooledBy}`).sort()).toEqual(['features.1>features.2', 'features.4>features.5', 'features.7>features.8']);
    for (const l of pooled) {
      const { c, h, w } = planeShape(l.shape);
      const r = maxPoolRouting(l.data!.activation, c, h, w);
      const g = gatingSummary(l.data!.gradient, (i) => r[i] > 0);
      expect(g.nonzeroWhereBlocked).toBe(0); // no gradient reaches an element that is no window's maximum
      expect(g.blocked).toBeGreaterThan(0.4); // 3×3 windows with stride 2: most elements are no maximum
      expect(l.gradient.zeros).toBeGreaterThanOrEqual(g.blocked);
    }
    for (const l of tr.layers) {
      expect(l.gated === null).toBe(l.kind !== 'relu');
      if (l.kind !== 'relu') continue;
      const a = l.data!.activation, gr = l.data!.gradient;
      let z = 0;
      for (let i = 0; i < gr.length; i++) if (!(a[i] > 0) || gr[i] === 0) z++;
      expect(l.gated!.zeros).toBeCloseTo(z / gr.length, 12);
      expect(l.gated!.zeros).toBeGreaterThanOrEqual(l.activation.zeros);
    }
    // Fire modules' outputs feed convs, not pools: their gradient is dense, their gated gradient is not.
    const fire = tr.layers.find((l) => l.name === 'features.10')!;
    expect(fire.gradient.zeros).toBeLessThan(0.05);
    expect(fire.gated!.zeros).toBeGreaterThan(0.2);
  });
});
