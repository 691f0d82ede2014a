// gradsight command line: predict, saliency, fool, classviz, trace, import, weights, doctor, bench, tune, serve,
// gallery.
import { mkdirSync, writeFileSync, existsSync, statSync, accessSync, constants as fsc } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Device, NoAdapterError, tidy, keep, type Tensor } from '../core.js';
import { SqueezeNet } from '../nn/squeezenet.js';
import { className, resolveClass } from '../nn/classes.js';
import { saliency, SALIENCY_METHODS, type SaliencyMethod } from '../viz/saliency.js';
import { makeFoolingImages } from '../viz/fooling.js';
import { classVisualization, CLASSVIZ_DEFAULTS } from '../viz/classviz.js';
import { gradientTrace } from '../viz/trace.js';
import { argmaxRows, softmaxRows, topkRows } from '../viz/common.js';
import { writeNpy } from '../io/npy.js';
import { loadInputs, type InputBatch } from './inputs.js';
import { parse, num, int, UsageError } from './args.js';
import { Progress } from './progress.js';
import { runFiltered, wantsFilter } from './quiet.js';
import { loadModelWeights, importCommand, weightsCommand } from './weights.js';
import { loadTuning, tuneCommand } from './tune.js';
import { saliencyFigure, foolingFigure, classVizFigure, framesStrip, imageFromInput } from './figures.js';
import { encodePng } from '../image/png.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `gradsight — tensors and autodiff on WebGPU; SqueezeNet 1.1 network visualization

Usage: gradsight <command> [options]

  predict   --image <file|dir|x.npz[:i|:a-b]|x.npy> ... [--top 5] [--json] [--raw logits.npy]
  saliency  --image ... [--class N|name] [--method vanilla|smoothgrad|integrated-gradients|gradcam]
            [--samples n] [--noise 0.15] [--seed 0] [--baseline zeros|black|blur] [--rule riemann|trapezoid]
            [--layer features.12] [--out s.png] [--raw s.npy] [--json]
  fool      --image ... --target N|name [--lr 1] [--max-iter 100] [--out f.png] [--raw f.npy] [--json]
  classviz  --target N|name [--iterations 100] [--l2 1e-3] [--lr 25] [--blur-every 10] [--blur-sigma 0.5]
            [--jitter 16] [--seed 0] [--normalize-grad] [--frames dir/] [--out c.png] [--raw c.npy] [--json]
  trace     --image ... [--class N|name] [--json]
  import    <weights.pth|.onnx|.safetensors> [--out weights/squeezenet1_1.safetensors]
  weights   download | path          fetch torchvision's squeezenet1_1 / show which file is used
  doctor    report the WebGPU adapter and what is missing
  bench     [--batch N] [--json]     time forward, saliency, fooling and class-visualization steps
  tune      [--rounds 5] [--reset]   time conv tile candidates on this adapter and remember the fastest
  serve     [--port 8080] [--weights file]   the interactive page on http://127.0.0.1
  gallery   [--out out/] [--image ...]       all three visualizations on five sample images

Every command that runs the model takes --weights <file> (else $GRADSIGHT_WEIGHTS, else the file that
\`gradsight import\` wrote to ~/.cache/gradsight (\$GRADSIGHT_CACHE), else the default weights/squeezenet1_1.safetensors).`;

let device: Device | null = null;
/** Where the conv tiles come from: the built-in defaults or the tuning cache (see tune.ts). */
let tilesSource = 'defaults';

async function getDevice(): Promise<Device> {
  if (!device) {
    device = await Device.create();
    tilesSource = loadTuning(device);
  }
  return device;
}

async function getModel(weights: unknown): Promise<SqueezeNet> {
  const dict = loadModelWeights(typeof weights === 'string' ? weights : undefined, ROOT);
  return SqueezeNet.fromStateDict(await getDevice(), dict);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

/** Fail before the work if an output file cannot be written. */
function checkWritable(flag: string, path: unknown): string | null {
  if (typeof path !== 'string') return null;
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new UsageError(`cannot write --${flag} ${path}: directory ${dir} does not exist`);
  try {
    accessSync(dir, fsc.W_OK);
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new UsageError(`cannot write --${flag} ${path}: it is a directory`);
      accessSync(path, fsc.W_OK);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write --${flag} ${path}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  return path;
}

function writeOut(flag: string, path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new Error(`cannot write --${flag} ${path}: ${(e as Error).message}`);
  }
}

function classArg(v: unknown, what: string): number | null {
  if (v === undefined) return null;
  try {
    return resolveClass(String(v));
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
}

function batchTensor(d: Device, b: InputBatch): Tensor {
  return keep(d.tensor(b.data, b.shape));
}

const CHUNK = 25;

/** Logits for the whole batch, in chunks of 25. */
async function logitsOf(model: SqueezeNet, d: Device, b: InputBatch): Promise<Float32Array> {
  const [n, c, h, w] = b.shape;
  const out = new Float32Array(n * model.numClasses);
  for (let s = 0; s < n; s += CHUNK) {
    const e = Math.min(n, s + CHUNK);
    const t = tidy(() => model.logits(d.tensor(b.data.subarray(s * c * h * w, e * c * h * w), [e - s, c, h, w])));
    out.set(await t.toArray(), s * model.numClasses);
    t.dispose();
  }
  return out;
}

/** --class, else the labels the inputs carry, else the model's predictions. */
async function classesFor(model: SqueezeNet, d: Device, b: InputBatch, flag: unknown): Promise<number[]> {
  const given = classArg(flag, '--class');
  if (given !== null) return b.names.map(() => given);
  if (b.labels.every((l) => l !== null)) return b.labels as number[];
  const pred = argmaxRows(await logitsOf(model, d, b), b.shape[0], model.numClasses);
  return b.labels.map((l, i) => l ?? pred[i]);
}

// ---------------- commands ----------------

async function cmdPredict(argv: string[]): Promise<void> {
  const { values } = parse('predict', argv, {
    image: { type: 'string', multiple: true }, weights: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' }, raw: { type: 'string' },
  });
  const top = int('predict', 'top', values.top, 5, 1);
  const raw = checkWritable('raw', values.raw);
  const batch = loadInputs(strings(values.image));
  const model = await getModel(values.weights);
  const d = await getDevice();
  const logits = await logitsOf(model, d, batch);
  const n = batch.shape[0], k = model.numClasses;
  const probs = softmaxRows(logits, n, k);
  const tops = topkRows(probs, n, k, Math.min(top, k));
  if (raw) writeOut('raw', raw, writeNpy(logits, [n, k]));
  const results = batch.names.map((name, i) => ({
    image: name,
    label: batch.labels[i],
    labelName: batch.labels[i] !== null ? className(batch.labels[i]!) : null,
    top: tops[i].map((t) => ({ class: t.index, name: className(t.index), prob: t.value, logit: logits[i * k + t.index] })),
  }));
  if (values.json) {
    const correct = results.filter((r) => r.label !== null && r.top[0].class === r.label).length;
    const labelled = results.filter((r) => r.label !== null).length;
    console.log(JSON.stringify({ adapter: d.adapter, results, accuracy: labelled ? { top1: correct, of: labelled } : null }));
    return;
  }
  let correct = 0, labelled = 0;
  for (const r of results) {
    const truth = r.label !== null ? `  (true: ${r.label} ${r.labelName})` : '';
    console.log(`${r.image}${truth}`);
    for (const t of r.top) console.log(`  ${(t.prob * 100).toFixed(2).padStart(6)}%  ${String(t.class).padStart(4)}  ${t.name}`);
    if (r.label !== null) {
      labelled++;
      if (r.top[0].class === r.label) correct++;
    }
  }
  if (labelled > 0) console.log(`top-1 correct: ${correct}/${labelled}`);
}

async function cmdSaliency(argv: string[]): Promise<void> {
  const { values } = parse('saliency', argv, {
    image: { type: 'string', multiple: true }, weights: { type: 'string' }, class: { type: 'string' }, method: { type: 'string' },
    samples: { type: 'string' }, noise: { type: 'string' }, seed: { type: 'string' }, baseline: { type: 'string' }, rule: { type: 'string' },
    layer: { type: 'string' }, out: { type: 'string' }, raw: { type: 'string' }, json: { type: 'boolean' },
  });
  const method = (values.method ?? 'vanilla') as SaliencyMethod;
  if (!SALIENCY_METHODS.includes(method)) throw new UsageError(`gradsight saliency: unknown --method '${method}' (use ${SALIENCY_METHODS.join(', ')})`);
  const baseline = (values.baseline ?? 'zeros') as 'zeros' | 'black' | 'blur';
  if (!['zeros', 'black', 'blur'].includes(baseline)) throw new UsageError(`gradsight saliency: unknown --baseline '${baseline}' (use zeros, black or blur)`);
  const rule = (values.rule ?? 'riemann') as 'riemann' | 'trapezoid';
  if (!['riemann', 'trapezoid'].includes(rule)) throw new UsageError(`gradsight saliency: unknown --rule '${rule}' (use riemann or trapezoid)`);
  const samples = values.samples === undefined ? undefined : int('saliency', 'samples', values.samples, 1, 1);
  const noise = num('saliency', 'noise', values.noise, 0.15, (x) => x >= 0, 'a number ≥ 0');
  const seed = int('saliency', 'seed', values.seed, 0);
  const out = checkWritable('out', values.out);
  const raw = checkWritable('raw', values.raw);
  classArg(values.class, '--class');
  const batch = loadInputs(strings(values.image));
  const model = await getModel(values.weights);
  const d = await getDevice();
  const classes = await classesFor(model, d, batch, values.class);
  const x = batchTensor(d, batch);
  const total = method === 'smoothgrad' ? samples ?? 25 : method === 'integrated-gradients' ? (samples ?? 32) + (rule === 'trapezoid' ? 1 : 0) : 1;
  const bar = new Progress(`saliency ${method}`, total, !!values.json);
  const t0 = performance.now();
  const res = await saliency(model, x, classes, {
    method, samples, noise, seed, baseline, rule, layer: values.layer as string | undefined,
    onProgress: (i) => bar.update(i),
  });
  bar.done();
  const ms = performance.now() - t0;
  const logits = await logitsOf(model, d, batch);
  x.dispose();
  const [n, h, w] = res.shape;
  if (raw) writeOut('raw', raw, writeNpy(res.maps, [n, h, w]));
  const probs = softmaxRows(logits, n, model.numClasses);
  const pred = argmaxRows(logits, n, model.numClasses);
  if (out) {
    const fig = saliencyFigure(batch, res, pred.map((p, i) => ({ pred: p, prob: probs[i * model.numClasses + p] })));
    writeOut('out', out, fig);
  }
  const summary = batch.names.map((name, i) => {
    const m = res.maps.subarray(i * h * w, (i + 1) * h * w);
    let mx = 0, s = 0;
    for (const v of m) {
      mx = Math.max(mx, v);
      s += v;
    }
    return {
      image: name, class: classes[i], className: className(classes[i]), predicted: pred[i], predictedName: className(pred[i]),
      max: mx, mean: s / m.length, ...(res.completenessGap ? { completenessGap: res.completenessGap[i] } : {}),
    };
  });
  if (values.json) {
    console.log(JSON.stringify({ method, shape: res.shape, ms, results: summary, out: out ?? null, raw: raw ?? null }));
  } else {
    for (const s of summary) console.log(`${s.image}: class ${s.class} ${s.className} — saliency max ${s.max.toExponential(3)}, mean ${s.mean.toExponential(3)}${'completenessGap' in s ? `, IG completeness gap ${(s as { completenessGap: number }).completenessGap.toExponential(2)}` : ''}`);
    console.log(`${method} for ${n} image(s) in ${ms.toFixed(0)} ms${out ? `; figure: ${out}` : ''}${raw ? `; maps: ${raw}` : ''}`);
  }
}

async function cmdFool(argv: string[]): Promise<void> {
  const { values } = parse('fool', argv, {
    image: { type: 'string', multiple: true }, weights: { type: 'string' }, target: { type: 'string' }, lr: { type: 'string' },
    'max-iter': { type: 'string' }, out: { type: 'string' }, raw: { type: 'string' }, json: { type: 'boolean' },
  });
  if (values.target === undefined) throw new UsageError('gradsight fool: --target N|name is required');
  const target = classArg(values.target, '--target')!;
  const lr = num('fool', 'lr', values.lr, 1, (x) => x > 0, 'a positive number');
  const maxIter = int('fool', 'max-iter', values['max-iter'], 100, 0);
  const out = checkWritable('out', values.out);
  const raw = checkWritable('raw', values.raw);
  const batch = loadInputs(strings(values.image));
  const model = await getModel(values.weights);
  const d = await getDevice();
  const x = batchTensor(d, batch);
  const before = await logitsOf(model, d, batch);
  const bar = new Progress('fool', maxIter, !!values.json);
  const t0 = performance.now();
  const res = await makeFoolingImages(model, x, batch.names.map(() => target), { lr, maxIter, onStep: (i, left) => bar.update(i, `${left} left`) });
  bar.done();
  const ms = performance.now() - t0;
  const fooled = await res.fooled.toArray();
  res.fooled.dispose();
  x.dispose();
  const n = batch.shape[0], k = model.numClasses;
  if (raw) writeOut('raw', raw, writeNpy(fooled, batch.shape));
  const p0 = softmaxRows(before, n, k), pred0 = argmaxRows(before, n, k);
  if (out) writeOut('out', out, foolingFigure(batch, fooled, res.reports, pred0.map((p, i) => ({ pred: p, prob: p0[i * k + p] }))));
  const results = res.reports.map((r, i) => ({ image: batch.names[i], originalPrediction: pred0[i], originalName: className(pred0[i]), targetName: className(r.target), predictedName: className(r.predicted), ...r }));
  if (values.json) {
    console.log(JSON.stringify({ target, targetName: className(target), ms, results, out: out ?? null, raw: raw ?? null }));
  } else {
    for (const r of results) {
      console.log(`${r.image}: ${r.originalName} → ${r.success ? 'fooled' : 'NOT fooled'} as ${r.predicted} ${r.predictedName} after ${r.iterations} step(s); p(target) ${r.targetProb.toFixed(3)}; change L∞ ${r.linf255.toFixed(2)}, L2 ${r.l2_255.toFixed(1)} (0–255 scale)`);
    }
    const ok = results.filter((r) => r.success).length;
    console.log(`${ok}/${results.length} fooled into ${target} ${className(target)} in ${ms.toFixed(0)} ms${out ? `; figure: ${out}` : ''}`);
  }
}

async function cmdClassviz(argv: string[]): Promise<void> {
  const { values } = parse('classviz', argv, {
    weights: { type: 'string' }, target: { type: 'string' }, iterations: { type: 'string' }, l2: { type: 'string' }, lr: { type: 'string' },
    'blur-every': { type: 'string' }, 'blur-sigma': { type: 'string' }, jitter: { type: 'string' }, seed: { type: 'string' },
    'normalize-grad': { type: 'boolean' }, frames: { type: 'string' }, out: { type: 'string' }, raw: { type: 'string' }, json: { type: 'boolean' },
  });
  if (values.target === undefined) throw new UsageError('gradsight classviz: --target N|name is required');
  const target = classArg(values.target, '--target')!;
  const D = CLASSVIZ_DEFAULTS;
  const iterations = int('classviz', 'iterations', values.iterations, D.iterations, 0);
  const opts = {
    iterations,
    l2: num('classviz', 'l2', values.l2, D.l2, (x) => x >= 0, 'a number ≥ 0'),
    lr: num('classviz', 'lr', values.lr, D.lr, (x) => x > 0, 'a positive number'),
    blurEvery: int('classviz', 'blur-every', values['blur-every'], D.blurEvery, 0),
    blurSigma: num('classviz', 'blur-sigma', values['blur-sigma'], D.blurSigma, (x) => x > 0, 'a positive number'),
    jitter: int('classviz', 'jitter', values.jitter, D.jitter, 0),
    seed: int('classviz', 'seed', values.seed, D.seed, 0),
    normalizeGrad: !!values['normalize-grad'],
  };
  const out = checkWritable('out', values.out);
  const raw = checkWritable('raw', values.raw);
  const frames = typeof values.frames === 'string' ? values.frames : null;
  if (frames) {
    try {
      mkdirSync(frames, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot create --frames ${frames}: ${(e as Error).message}`);
    }
  }
  const model = await getModel(values.weights);
  const d = await getDevice();
  const bar = new Progress(`classviz ${className(target)}`, iterations, !!values.json);
  const snaps: { iteration: number; data: Float32Array }[] = [];
  const frameEvery = frames ? Math.max(1, Math.round(iterations / 10)) : 0;
  const t0 = performance.now();
  let lastScore: number | null = null;
  const res = await classVisualization(model, d, target, {
    ...opts,
    scoreEvery: values.json ? 0 : 5,
    onStep: (i, s) => {
      if (s !== null) lastScore = s;
      bar.update(i, lastScore !== null ? `score ${lastScore.toFixed(2)}` : '');
    },
    frameEvery,
    onFrame: async (i, img) => {
      const data = await img.toArray();
      snaps.push({ iteration: i, data });
      if (frames) writeOut('frames', join(frames, `frame_${String(i).padStart(4, '0')}.png`), encodePng(imageFromInput(data, 224, 224)));
    },
  });
  bar.done();
  const ms = performance.now() - t0;
  const img = await res.image.toArray();
  const logits = tidy(() => model.logits(res.image));
  const lg = await logits.toArray();
  logits.dispose();
  res.image.dispose();
  const k = model.numClasses;
  const probs = softmaxRows(lg, 1, k);
  const top = topkRows(probs, 1, k, 5)[0];
  if (raw) writeOut('raw', raw, writeNpy(img, [1, 3, 224, 224]));
  if (out) writeOut('out', out, snaps.length ? framesStrip(img, target, snaps, top) : classVizFigure(img, target, top));
  const result = {
    target, targetName: className(target), ms, ...opts, score: lg[target], targetProb: probs[target],
    top5: top.map((t) => ({ class: t.index, name: className(t.index), prob: t.value })), out: out ?? null, raw: raw ?? null,
    frames: frames ? snaps.map((s) => join(frames, `frame_${String(s.iteration).padStart(4, '0')}.png`)) : [],
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`class visualization of ${target} ${className(target)}: ${iterations} iterations in ${ms.toFixed(0)} ms; score ${result.score.toFixed(2)}, p ${result.targetProb.toFixed(3)}`);
    console.log(`top-5 of the image: ${result.top5.map((t) => `${t.name} ${(t.prob * 100).toFixed(1)}%`).join(', ')}`);
    if (out) console.log(`figure: ${out}`);
  }
}

async function cmdTrace(argv: string[]): Promise<void> {
  const { values } = parse('trace', argv, {
    image: { type: 'string', multiple: true }, weights: { type: 'string' }, class: { type: 'string' }, json: { type: 'boolean' },
  });
  classArg(values.class, '--class');
  const batch = loadInputs(strings(values.image));
  if (batch.shape[0] !== 1) throw new UsageError(`gradsight trace: one image at a time; got ${batch.shape[0]}`);
  const model = await getModel(values.weights);
  const d = await getDevice();
  const [cls] = await classesFor(model, d, batch, values.class);
  const x = batchTensor(d, batch);
  const tr = await gradientTrace(model, x, cls);
  x.dispose();
  if (values.json) {
    console.log(JSON.stringify({ image: batch.names[0], className: className(cls), ...tr }));
    return;
  }
  console.log(`gradient of score[${cls}] (${className(cls)}) = ${tr.score.toFixed(3)} w.r.t. each layer of ${batch.names[0]}, from the scores back to the input:`);
  const head = ['layer', 'shape', 'act min', 'act max', 'act mean', 'act 0s', '|grad|₂', 'max|grad|', 'grad 0s'];
  const rows = tr.layers.map((l) => [
    l.name, l.shape.join('×'), l.activation.min.toPrecision(3), l.activation.max.toPrecision(3), l.activation.mean.toPrecision(3),
    `${(l.activation.zeros * 100).toFixed(1)}%`, l.gradient.norm.toExponential(2), l.gradient.maxAbs.toExponential(2), `${(l.gradient.zeros * 100).toFixed(1)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function cmdDoctor(argv: string[]): Promise<void> {
  const { values } = parse('doctor', argv, { json: { type: 'boolean' } });
  let d: Device;
  try {
    d = await getDevice();
  } catch (e) {
    if (values.json) console.log(JSON.stringify({ ok: false, error: (e as Error).message }));
    else console.error(`WebGPU: NOT AVAILABLE\n${(e as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const a = d.adapter;
  if (values.json) {
    console.log(JSON.stringify({ ok: true, adapter: a }));
    return;
  }
  console.log(`WebGPU adapter: ${a.vendor} / ${a.architecture}${a.device ? ` / ${a.device}` : ''}${a.description ? ` (${a.description})` : ''}`);
  console.log(`  mode: ${a.mode}${a.fallback ? ' (fallback adapter)' : ''}; runtime: ${a.runtime}`);
  console.log(`  features: ${a.features.join(', ') || '(none)'}`);
  console.log(`  timestamp-query: ${a.features.includes('timestamp-query') ? 'yes (per-kernel GPU timing available)' : 'no (benchmarks use wall time)'}`);
  for (const [k, v] of Object.entries(a.limits)) console.log(`  ${k}: ${v}`);
  const missing: string[] = [];
  if (a.limits.maxStorageBuffersPerShaderStage < 4) missing.push('at least 4 storage buffers per shader stage');
  console.log(missing.length ? `missing: ${missing.join('; ')}` : 'everything gradsight needs is available');
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  predict: cmdPredict,
  saliency: cmdSaliency,
  fool: cmdFool,
  classviz: cmdClassviz,
  trace: cmdTrace,
  doctor: cmdDoctor,
  import: (argv) => importCommand(argv, ROOT),
  weights: (argv) => weightsCommand(argv, ROOT),
  bench: async (argv) => (await import('./bench.js')).benchCommand(argv, getDevice, (w) => getModel(w), () => tilesSource),
  tune: (argv) => tuneCommand(argv, getDevice),
  serve: async (argv) => (await import('./serve.js')).serveCommand(argv, ROOT),
  gallery: async (argv) => (await import('./gallery.js')).galleryCommand(argv, ROOT, getDevice, (w) => getModel(w)),
};

const GPU_COMMANDS = new Set(['predict', 'saliency', 'fool', 'classviz', 'trace', 'doctor', 'bench', 'tune', 'gallery']);

async function main(): Promise<number> {
  const [cmd, ...argv] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return 0;
  }
  if (cmd === '--version') {
    console.log('gradsight 0.1.0');
    return 0;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    console.error(`gradsight: unknown command '${cmd}'\n\n${HELP}`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  // Commands that open a GPU device run behind a filter for Dawn's stderr noise (src/cli/quiet.ts).
  if (GPU_COMMANDS.has(cmd) && wantsFilter()) return runFiltered();
  try {
    await run(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const err = e as Error;
    // One prefix naming the command (many messages already start with `gradsight <cmd>:`).
    const body = err.message.replace(/^gradsight [^:]*: /, '');
    if (err instanceof UsageError || err instanceof NoAdapterError) console.error(`gradsight ${cmd}: ${body}`);
    else console.error(`gradsight ${cmd}: error: ${body}${process.env.GRADSIGHT_DEBUG ? `\n${err.stack}` : ''}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

const code = await main();
// Dawn keeps Node alive while the device exists: release it and leave explicitly once output is flushed.
try {
  (device as Device | null)?.destroy();
} catch {
  /* already lost */
}
process.stdout.write('', () => process.exit(code));
