// `gradsight classviz`: class visualization — an image grown from noise by gradient ascent on a class score.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tidy } from '../../core.js';
import { className } from '../../nn/classes.js';
import { classVisualization, CLASSVIZ_DEFAULTS as D } from '../../viz/classviz.js';
import { softmaxRows, topkRows } from '../../viz/common.js';
import { writeNpy } from '../../io/npy.js';
import { encodePng } from '../../image/png.js';
import { LIMITS, UsageError, int, num, parse, str, strings, type Command } from '../args.js';
import { classArg, getDevice, getModel, gpuDone } from '../context.js';
import { checkFiniteResult, checkWritable, guardOutputs, writeAtomic } from '../output.js';
import { Progress } from '../progress.js';
import { classVizFigure, framesStrip, imageFromInput } from '../figures.js';
import { JSON_OPTION, WEIGHTS_NOTE, WEIGHTS_OPTION, top } from './common.js';

/** The largest blur the Gaussian kernel supports comfortably (the op refuses σ ≥ 31.7). */
const BLUR_SIGMA_MAX = 30;

export const classviz: Command = {
  name: 'classviz',
  summary: 'class visualization: an image the model scores high for a class, grown from noise',
  usage: '--target <N|name> [options]',
  gpu: true,
  options: {
    weights: WEIGHTS_OPTION,
    target: { type: 'string', arg: '<N|name>', help: 'the class to visualize (required)' },
    iterations: { type: 'string', arg: '<n>', help: `gradient-ascent steps (at most ${LIMITS.iterations})`, def: D.iterations },
    l2: { type: 'string', arg: '<x>', help: 'L2 regularization of the image', def: D.l2 },
    lr: { type: 'string', arg: '<x>', help: 'step size', def: D.lr },
    'blur-every': { type: 'string', arg: '<n>', help: 'blur every n steps (0: never)', def: D.blurEvery },
    'blur-sigma': { type: 'string', arg: '<σ>', help: `Gaussian blur σ in pixels (at most ${BLUR_SIGMA_MAX})`, def: D.blurSigma },
    jitter: { type: 'string', arg: '<px>', help: `random shift before each step (0 … ${D.size - 1})`, def: D.jitter },
    seed: { type: 'string', arg: '<n>', help: 'seed of the initial noise and the jitter', def: D.seed },
    'normalize-grad': { type: 'boolean', help: 'divide the gradient by its L2 norm', def: false },
    frames: { type: 'string', arg: '<dir/>', help: 'write about ten snapshots along the way as PNGs (and a strip in --out)' },
    out: { type: 'string', arg: '<c.png>', help: 'write a figure: the image and its top classes' },
    raw: { type: 'string', arg: '<c.npy>', help: 'write the image as a float32 (1, 3, 224, 224) network input .npy' },
    json: JSON_OPTION,
  },
  notes: [WEIGHTS_NOTE],
  async run(argv) {
    const { values } = parse('classviz', argv, this.options);
    if (values.target === undefined) throw new UsageError('gradsight classviz: --target N|name is required');
    const target = classArg('classviz', values.target, '--target')!;
    const iterations = int('classviz', 'iterations', values.iterations, D.iterations, 0, LIMITS.iterations);
    const settings = {
      iterations,
      l2: num('classviz', 'l2', values.l2, D.l2, (x) => x >= 0, 'a number ≥ 0'),
      lr: num('classviz', 'lr', values.lr, D.lr, (x) => x > 0, 'a positive number'),
      blurEvery: int('classviz', 'blur-every', values['blur-every'], D.blurEvery, 0, LIMITS.iterations),
      blurSigma: num('classviz', 'blur-sigma', values['blur-sigma'], D.blurSigma, (x) => x > 0 && x <= BLUR_SIGMA_MAX, `a number > 0 and at most ${BLUR_SIGMA_MAX}`),
      jitter: int('classviz', 'jitter', values.jitter, D.jitter, 0, D.size - 1),
      seed: int('classviz', 'seed', values.seed, D.seed, 0, LIMITS.seed),
      normalizeGrad: !!values['normalize-grad'],
    };
    const out = checkWritable('classviz', 'out', values.out);
    const raw = checkWritable('classviz', 'raw', values.raw);
    guardOutputs('classviz', [{ flag: 'out', path: out }, { flag: 'raw', path: raw }], strings(values.weights));
    const frames = str(values.frames) ?? null;
    if (frames) {
      try {
        mkdirSync(frames, { recursive: true });
      } catch (e) {
        throw new UsageError(`gradsight classviz: cannot create --frames ${frames}: ${(e as Error).message}`);
      }
    }
    const model = await getModel(values.weights);
    const d = await getDevice();
    const bar = new Progress(`classviz ${className(target)}`, iterations, !!values.json);
    const snaps: { iteration: number; data: Float32Array }[] = [];
    const frameFile = (i: number) => join(frames!, `frame_${String(i).padStart(4, '0')}.png`);
    const frameEvery = frames ? Math.max(1, Math.round(iterations / 10)) : 0;
    const t0 = performance.now();
    let lastScore: number | null = null;
    const res = await classVisualization(model, d, target, {
      ...settings,
      scoreEvery: values.json ? 0 : 5,
      onStep: (i, s) => {
        if (s !== null) lastScore = s;
        bar.follow(gpuDone(d), i, lastScore !== null ? `score ${lastScore.toFixed(2)}` : '');
      },
      frameEvery,
      onFrame: async (i, img) => {
        const data = await img.toArray();
        checkFiniteResult('classviz', `image at iteration ${i}`, data, data.length, ['the class visualization']);
        snaps.push({ iteration: i, data });
        if (frames) writeAtomic('frames', frameFile(i), encodePng(imageFromInput(data, D.size, D.size)));
      },
    });
    bar.done();
    const ms = performance.now() - t0;
    const img = await res.image.toArray();
    const logits = tidy(() => model.logits(res.image));
    const lg = await logits.toArray();
    logits.dispose();
    res.image.dispose();
    checkFiniteResult('classviz', 'image', img, img.length, ['the class visualization']);
    checkFiniteResult('classviz', 'scores', lg, lg.length, ['the class visualization']);
    const k = model.numClasses;
    const probs = softmaxRows(lg, 1, k);
    const top5 = topkRows(probs, 1, k, 5)[0];
    if (raw) writeAtomic('raw', raw, writeNpy(img, [1, 3, D.size, D.size]));
    if (out) writeAtomic('out', out, snaps.length ? framesStrip(img, target, snaps, top5) : classVizFigure(img, target, top5));
    const result = {
      command: 'classviz', target, targetName: className(target), settings, ms, score: lg[target], targetProb: probs[target],
      top: top(top5, className), out: out ?? null, raw: raw ?? null, frames: frames ? snaps.map((s) => frameFile(s.iteration)) : [],
    };
    if (values.json) {
      console.log(JSON.stringify(result));
      return;
    }
    console.log(`class visualization of ${target} ${className(target)}: ${iterations} iterations in ${ms.toFixed(0)} ms; score ${result.score.toFixed(2)}, p ${result.targetProb.toFixed(3)}`);
    console.log(`top-5 of the image: ${result.top.map((t) => `${t.className} ${(t.prob * 100).toFixed(1)}%`).join(', ')}`);
    if (out) console.log(`figure: ${out}`);
  },
};
