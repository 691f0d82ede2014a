// The algorithms stop with a NonFiniteError naming the score, image, gradient or layer when a NaN / Inf shows up,
// instead of drawing a map or taking another step (issue 12). A random SqueezeNet 1.1 on small images; NaN comes
// in through a pixel (which PyTorch's semantics carry to every score), through a wrapper whose forward is finite
// but whose input gradient is NaN (x + 0·sqrt(0·x): d sqrt at 0 is Inf, times 0), or through NaN logits.
import { describe, it, expect, afterAll } from 'vitest';
import { getDevice } from '../helpers/device.js';
import { randomStateDict } from '../helpers/model.js';
import {
  SqueezeNet, saliency, attribution, makeFoolingImages, classVisualization, gradientTrace, NonFiniteError, add, mul, sqrt, keep, dispose,
  type Classifier, type Tensor,
} from '../../src/index.js';

const d = await getDevice();
const model = SqueezeNet.fromStateDict(d, randomStateDict(9));
const [H, W] = [40, 36];
const pixels = (n: number) => Float32Array.from({ length: n * 3 * H * W }, (_, i) => Math.cos(i * 0.13) * 0.8);
const clean = keep(d.tensor(pixels(2), [2, 3, H, W]));
const withNan = (() => {
  const v = pixels(2);
  v[3 * H * W + 5 * W + 7] = NaN; // image 1, channel 0, (5, 7)
  return keep(d.tensor(v, [2, 3, H, W]));
})();
const oneClean = keep(d.tensor(pixels(1), [1, 3, H, W]));
const oneNan = (() => {
  const v = pixels(1);
  v[2 * H * W + 11] = NaN;
  return keep(d.tensor(v, [1, 3, H, W]));
})();
afterAll(() => {
  dispose([clean, withNan, oneClean, oneNan]);
  model.dispose();
});

/** Finite forward, NaN input gradient everywhere. */
const poison = (x: Tensor) => add(x, mul(sqrt(mul(x, 0)), 0));
const nanGradient: Classifier = {
  numClasses: model.numClasses,
  forward: (x, o) => model.forward(poison(x), o),
  classScores: (x, c) => model.classScores(poison(x), c),
};
/** NaN logits for image 1 (finite gradients). */
const nanLogitsOfImage1: Classifier = {
  numClasses: model.numClasses,
  forward: (x, o) => {
    const r = model.forward(x, o);
    const bad = new Float32Array(x.shape[0] * model.numClasses);
    if (x.shape[0] > 1) bad.fill(NaN, model.numClasses, 2 * model.numClasses);
    return { ...r, logits: add(r.logits, d.tensor(bad, [x.shape[0], model.numClasses])) };
  },
};

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a NonFiniteError; the call succeeded');
}

describe('the algorithms refuse non-finite scores and gradients', () => {
  it('a clean input still gives finite maps for every method (no false alarms)', async () => {
    for (const method of ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'] as const) {
      const r = await saliency(model, clean, [3, 4], { method, samples: 2 });
      expect(r.maps.every(Number.isFinite)).toBe(true);
    }
  });

  it('saliency: a NaN pixel makes the score NaN (PyTorch semantics), named by class and image, for every method', async () => {
    const live = d.memory().liveTensors;
    const expected: Record<string, RegExp> = {
      vanilla: /^saliency: the score of class 4 for image 1 is NaN$/,
      smoothgrad: /^smoothgrad: the score of class 4 for image 1 is NaN in at least one noisy sample/,
      'integrated-gradients': /^integrated-gradients: the score of class 4 for image 1 is NaN at the input, the baseline or a step/,
      gradcam: /^gradcam: the score of class 4 for image 1 is NaN$/,
    };
    for (const method of ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'] as const) {
      const e = await rejection(saliency(model, withNan, [3, 4], { method, samples: 2 }));
      expect(e).toBeInstanceOf(NonFiniteError);
      expect(e.name).toBe('NonFiniteError');
      expect(e.message).toMatch(expected[method]);
      const a = await rejection(attribution(model, withNan, [3, 4], { method, samples: 2 }));
      expect(a.message).toMatch(expected[method]);
    }
    expect(d.memory().liveTensors).toBe(live); // nothing leaked on the error path
  });

  it('saliency: a NaN input gradient (finite scores) is named with its count', async () => {
    const n = H * W;
    const cases: [string, RegExp][] = [
      ['vanilla', new RegExp(`^saliency: the input gradient of image 0 has ${n} non-finite values \\(of ${n}\\)$`)],
      ['smoothgrad', new RegExp(`^smoothgrad: the mean input gradient of image 0 has ${n} non-finite values`)],
      ['integrated-gradients', new RegExp(`^integrated-gradients: the attribution of image 0 has ${n} non-finite values`)],
    ];
    for (const [method, re] of cases) {
      const e = await rejection(saliency(nanGradient, clean, [3, 4], { method: method as 'vanilla', samples: 2 }));
      expect(e).toBeInstanceOf(NonFiniteError);
      expect(e.message).toMatch(re);
    }
  });

  it('gradcam: NaN logits of one image (finite elsewhere) are named', async () => {
    const e = await rejection(saliency(nanLogitsOfImage1, clean, [3, 4], { method: 'gradcam' }));
    expect(e).toBeInstanceOf(NonFiniteError);
    expect(e.message).toBe('gradcam: the score of class 4 for image 1 is NaN');
  });

  it('fooling: NaN scores stop the first step; a NaN gradient stops the next one, naming the pixels it made NaN', async () => {
    const live = d.memory().liveTensors;
    const a = await rejection(makeFoolingImages(model, withNan, [5, 6], { maxIter: 3 }));
    expect(a).toBeInstanceOf(NonFiniteError);
    expect(a.message).toMatch(/^fool: the scores of image 1 are not finite at step 1 \(target probability NaN\)$/);
    const b = await rejection(makeFoolingImages(nanGradient, oneClean, [5], { maxIter: 3 }));
    expect(b).toBeInstanceOf(NonFiniteError);
    expect(b.message).toMatch(new RegExp(`^fool: the scores of image 0 are not finite at step 2 .*the previous step made ${3 * H * W} of its pixels non-finite`));
    // One step only: the NaN image is caught by the final check.
    const c = await rejection(makeFoolingImages(nanGradient, oneClean, [5], { maxIter: 1 }));
    expect(c.message).toMatch(new RegExp(`^fool: image 0 has ${3 * H * W} non-finite pixels after 1 steps`));
    expect(d.memory().liveTensors).toBe(live);
  });

  it('class visualization: a NaN gradient is caught at the next score read, and at the end when scores are not read', async () => {
    const live = d.memory().liveTensors;
    const o = { size: 32, jitter: 2, blurEvery: 0 };
    const a = await rejection(classVisualization(nanGradient, d, 7, { ...o, iterations: 4, scoreEvery: 1 }));
    expect(a).toBeInstanceOf(NonFiniteError);
    expect(a.message).toMatch(/^classviz: the score of class 7 is NaN at iteration 2: \d+ of the image's pixels are not finite/);
    const b = await rejection(classVisualization(nanGradient, d, 7, { ...o, iterations: 3, scoreEvery: 0 }));
    expect(b.message).toMatch(/^classviz: the image is not finite after 3 iterations: \d+ of the image's pixels are not finite/);
    const frames: number[] = [];
    const c = await rejection(classVisualization(nanGradient, d, 7, { ...o, iterations: 3, scoreEvery: 0, frameEvery: 1, onFrame: (t) => void frames.push(t) }));
    expect(c.message).toMatch(/^classviz: the image is not finite at iteration 1/);
    expect(frames).toEqual([]); // no NaN frame was handed out
    expect(d.memory().liveTensors).toBe(live);
  });

  it('trace: names the first layer whose activation is NaN, or the gradient', async () => {
    const a = await rejection(gradientTrace(model, oneNan, 3));
    expect(a).toBeInstanceOf(NonFiniteError);
    expect(a.message).toMatch(/^trace: the score of class 3 for image 0 is NaN; the activation of the input is the first with non-finite values \(1 of \d+\)$/);
    const b = await rejection(gradientTrace(nanGradient, oneClean, 3));
    expect(b.message).toMatch(new RegExp(`^trace: the gradient at the input has ${3 * H * W} non-finite values`));
    const ok = await gradientTrace(model, oneClean, 3);
    expect(Number.isFinite(ok.score)).toBe(true);
  });
});
