// End-to-end tests of the `gradsight` command line: every command that runs the model, spawned as the built
// bundle (`node dist/cli.js`, built by tests/setup/build.ts) from the repo root, outputs in a fresh temp dir.
// Every run must end on its own (the spawn's timeout is a hang) — see cli-errors.test.ts for the failures.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { privateCli, spawnCli, type CliRun } from '../helpers/cli.js';
import { SAMPLES, DEFAULT_WEIGHTS, fixtureJson, fixtureNpy, samplesNpz } from '../helpers/shared.js';
import { decodeImage } from '../../src/image/decode.js';
import { preprocess } from '../../src/image/preprocess.js';
import { readNpy, npyToFloat32, writeNpy } from '../../src/io/npy.js';
import { LAYER_NAMES } from '../../src/nn/squeezenet.js';

// ------------------------------------------------------------------ running the CLI

let CLI = '';
/** A run longer than this is a hang (a 5-step fooling run takes ~7 s on lavapipe). */
const SPAWN_TIMEOUT = 150_000;
const TEST_TIMEOUT = 240_000;

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return spawnCli(CLI, args, { env, timeoutMs: SPAWN_TIMEOUT });
}

/** Run and require exit status 0 (the error names the command and shows stderr). */
async function ok(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const r = await cli(args, env);
  if (r.code !== 0) throw new Error(`gradsight ${args.join(' ')} exited with ${r.code ?? r.signal}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(-2000)}`);
  return r;
}

/** The last non-empty stdout line as JSON. */
function lastJson<T = Record<string, unknown>>(r: CliRun): T {
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

function npy(path: string): { shape: number[]; dtype: string; data: Float32Array } {
  expect(existsSync(path), `${path} was written`).toBe(true);
  const a = readNpy(new Uint8Array(readFileSync(path)), path);
  return { shape: a.shape, dtype: a.dtype, data: npyToFloat32(a) };
}

/** Decode a PNG the CLI wrote and require a real picture: non-empty and not one flat color. */
function checkPng(path: string, minW = 1, minH = 1): { width: number; height: number } {
  expect(existsSync(path), `${path} was written`).toBe(true);
  const img = decodeImage(new Uint8Array(readFileSync(path)), path);
  expect(img.width).toBeGreaterThanOrEqual(minW);
  expect(img.height).toBeGreaterThanOrEqual(minH);
  const seen = new Set<number>();
  let sum = 0, sum2 = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const r = img.data[3 * i], g = img.data[3 * i + 1], b = img.data[3 * i + 2];
    if (seen.size < 1000) seen.add((r << 16) | (g << 8) | b);
    const y = (r + g + b) / 3;
    sum += y;
    sum2 += y * y;
  }
  const std = Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2));
  expect(seen.size, `${path}: distinct colors`).toBeGreaterThan(50);
  expect(std, `${path}: luminance spread`).toBeGreaterThan(5);
  return { width: img.width, height: img.height };
}

function maxOf(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]);
  return m;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / (m || 1);
}

// ------------------------------------------------------------------ fixtures

// The embedded samples (samples/, the first rows of the 25-image fixtures) and, as cs231n's .npz layout, the
// same images written into <tmp>/samples.npz.
const IMG0 = join(SAMPLES, '00_958.png');
const IMG1 = join(SAMPLES, '01_85.png');
let NPZ = '';

let tmp = '';
beforeAll(() => {
  CLI = privateCli();
  tmp = mkdtempSync(join(tmpdir(), 'gradsight-cli-'));
  NPZ = join(tmp, 'samples.npz');
  writeFileSync(NPZ, samplesNpz());
});
afterAll(() => {
  if (CLI) rmSync(CLI, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
const out = (name: string) => join(tmp, name);

interface PredictJson {
  adapter: { vendor: string };
  results: { image: string; label: number | null; labelName: string | null; top: { class: number; className: string; prob: number; logit: number }[] }[];
  accuracy: { top1: number; of: number } | null;
}

// ------------------------------------------------------------------ commands without the model

describe('doctor, help, version', () => {
  it('doctor prints the adapter and exits 0; --json says ok', async () => {
    const r = await ok(['doctor']);
    expect(r.stdout).toMatch(/^WebGPU adapter: \S+/m);
    expect(r.stdout).toMatch(/maxStorageBuffersPerShaderStage: \d+/);
    expect(r.stdout).toMatch(/everything gradsight needs is available|missing: /);
    const j = lastJson<{ ok: boolean; adapter: { vendor: string; limits: Record<string, number> } }>(await ok(['doctor', '--json']));
    expect(j.ok).toBe(true);
    expect(typeof j.adapter.vendor).toBe('string');
    expect(j.adapter.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(4);
  }, TEST_TIMEOUT);

  it('--help lists the commands; --version prints the version', async () => {
    const h = await ok(['--help']);
    for (const c of ['predict', 'saliency', 'fool', 'classviz', 'trace', 'import', 'weights', 'doctor', 'gallery']) expect(h.stdout).toContain(`  ${c}`);
    const h2 = await ok(['predict', '--help']);
    expect(h2.stdout).toContain('Usage: gradsight predict --image <file>...');
    expect((await ok(['--version'])).stdout.trim()).toMatch(/^gradsight \d+\.\d+\.\d+$/);
  }, TEST_TIMEOUT);
});

// ------------------------------------------------------------------ predict

describe('predict', () => {
  const logits25 = () => fixtureNpy('model/logits25.npy').data;

  it('a PNG with --json and --raw: top-5 classes and probabilities, logits (N, 1000) equal to the JSON and to PyTorch', async () => {
    const r = await ok(['predict', '--image', IMG0, '--json', '--raw', out('p0.npy')]);
    const j = lastJson<PredictJson>(r);
    expect(j.results).toHaveLength(1);
    const res = j.results[0];
    expect(res.image).toBe('00_958.png');
    expect(res.label).toBe(958); // samples/labels.json beside the images
    expect(res.labelName).toBe('hay');
    expect(res.top).toHaveLength(5);
    expect(res.top[0].class).toBe(958);
    expect(res.top[0].className).toBe('hay');
    for (let i = 1; i < 5; i++) expect(res.top[i].prob).toBeLessThanOrEqual(res.top[i - 1].prob);
    expect(res.top.reduce((s, t) => s + t.prob, 0)).toBeLessThanOrEqual(1 + 1e-6);
    expect(res.top[0].prob).toBeGreaterThan(0.9);
    expect(j.accuracy).toEqual({ top1: 1, of: 1 });
    const raw = npy(out('p0.npy'));
    expect(raw.dtype).toMatch(/^<?f4$/); // float32
    expect(raw.shape).toEqual([1, 1000]);
    for (const t of res.top) expect(raw.data[t.class]).toBe(Math.fround(t.logit));
    // PyTorch's logits for image 0
    expect(maxRelDiff(raw.data, logits25().subarray(0, 1000))).toBeLessThan(1e-4);
  }, TEST_TIMEOUT);

  it('a folder of two PNGs with --top 3 (text), and the same images as a float32 (2, 3, 224, 224) .npy give equal logits', async () => {
    const dir = out('two');
    mkdirSync(dir);
    copyFileSync(IMG0, join(dir, '00_958.png'));
    copyFileSync(IMG1, join(dir, '01_85.png'));
    writeFileSync(join(dir, 'notes.txt'), 'not an image: skipped');
    const r = await ok(['predict', '--image', dir, '--top', '3', '--raw', out('dir.npy')]);
    const lines = r.stdout.trim().split('\n');
    // no labels.json in the temp folder: no "(true: ...)" and no accuracy line
    expect(lines).toHaveLength(2 * (1 + 3));
    expect(lines[0]).toBe('00_958.png');
    expect(lines[4]).toBe('01_85.png');
    expect(lines[1]).toMatch(/^\s+\d+\.\d\d%\s+958\s+hay$/);
    expect(lines[5]).toMatch(/^\s+\d+\.\d\d%\s+85\s+quail$/);
    expect(r.stdout).not.toContain('top-1 correct');

    const chw = [IMG0, IMG1].map((f) => preprocess(decodeImage(new Uint8Array(readFileSync(f)), f), 224));
    const x = new Float32Array(2 * 3 * 224 * 224);
    chw.forEach((c, i) => x.set(c, i * c.length));
    writeFileSync(out('x.npy'), writeNpy(x, [2, 3, 224, 224]));
    const r2 = await ok(['predict', '--image', out('x.npy'), '--raw', out('npy.npy'), '--top', '1']);
    expect(r2.stdout).toContain('x.npy:0');
    expect(r2.stdout).toContain('x.npy:1');
    const a = npy(out('dir.npy')), b = npy(out('npy.npy'));
    expect(a.shape).toEqual([2, 1000]);
    expect(b.shape).toEqual([2, 1000]);
    expect(maxRelDiff(b.data, a.data)).toBeLessThan(1e-6);
    expect(maxRelDiff(a.data, logits25().subarray(0, 2000))).toBeLessThan(1e-4);
  }, TEST_TIMEOUT);

  it('several files after one --image (as a shell glob gives them) and --image again: all used, in order', async () => {
    const glob = readdirSync(SAMPLES).filter((f) => /^0[0-2]_.*\.png$/.test(f)).sort().map((f) => join(SAMPLES, f)); // what 0[0-2]_*.png expands to
    expect(glob).toHaveLength(3);
    const j = lastJson<PredictJson>(await ok(['predict', '--image', ...glob, '--top', '1', '--json']));
    expect(j.results.map((r) => r.image)).toEqual(glob.map((f) => f.split('/').pop()));
    const k = lastJson<PredictJson>(await ok(['predict', '--image', glob[2], glob[0], '--top', '1', '--image', glob[1], '--json']));
    expect(k.results.map((r) => r.image)).toEqual([2, 0, 1].map((i) => glob[i].split('/').pop()));
    expect(k.results.map((r) => r.top[0].class)).toEqual([2, 0, 1].map((i) => j.results[i].top[0].class));
  }, TEST_TIMEOUT);

  it('npz selections :3 and :0-4 carry their labels; the top-1 line matches PyTorch', async () => {
    const ref = fixtureJson<{ images: { file: string; label: number; name: string; top1: number }[] }>('model/labels25.json').images;
    const one = await ok(['predict', '--image', `${NPZ}:3`]);
    expect(one.stdout).toContain(`samples.npz:3  (true: ${ref[3].label} ${ref[3].name})`);
    expect(one.stdout).toContain(`top-1 correct: ${ref[3].top1 === ref[3].label ? 1 : 0}/1`);

    const five = await ok(['predict', '--image', `${NPZ}:0-4`]);
    const lines = five.stdout.trim().split('\n');
    for (let i = 0; i < 5; i++) {
      const k = lines.findIndex((l) => l.startsWith(`samples.npz:${i} `));
      expect(k, `row for image ${i}`).toBeGreaterThanOrEqual(0);
      expect(lines[k]).toContain(`(true: ${ref[i].label} ${ref[i].name})`);
      const top1 = Number(/^\s+[\d.]+%\s+(\d+)\s/.exec(lines[k + 1])?.[1]);
      expect(top1, `top-1 of image ${i}`).toBe(ref[i].top1);
    }
    const correct = ref.slice(0, 5).filter((e) => e.top1 === e.label).length;
    expect(lines[lines.length - 1]).toBe(`top-1 correct: ${correct}/5`);
  }, TEST_TIMEOUT);

  it('import into a safetensors file; predict --weights with it gives the default logits bit for bit; weights path', async () => {
    const w = out('w.safetensors');
    const imp = await ok(['import', DEFAULT_WEIGHTS, '--out', w]);
    expect(imp.stdout).toMatch(/imported .*squeezenet1_1\.safetensors → .*w\.safetensors \(52 tensors, 1,235,496 parameters/);
    expect(existsSync(w)).toBe(true);
    const cache = out('empty-cache');
    await ok(['predict', '--image', IMG0, '--image', IMG1, '--weights', w, '--raw', out('imported.npy'), '--json']);
    await ok(['predict', '--image', IMG0, '--image', IMG1, '--raw', out('default.npy'), '--json'], { GRADSIGHT_CACHE: cache });
    const a = npy(out('imported.npy')), b = npy(out('default.npy'));
    expect(a.shape).toEqual([2, 1000]);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);

    expect((await ok(['weights', 'path', '--weights', w])).stdout.trim()).toBe(resolve(w));
    expect((await ok(['weights', 'path'], { GRADSIGHT_WEIGHTS: w })).stdout.trim()).toBe(resolve(w));
    // no user cache: the embedded default; an imported cache comes before it
    expect((await ok(['weights', 'path'], { GRADSIGHT_CACHE: cache })).stdout.trim()).toBe(DEFAULT_WEIGHTS);
    await ok(['import', DEFAULT_WEIGHTS], { GRADSIGHT_CACHE: cache });
    expect((await ok(['weights', 'path'], { GRADSIGHT_CACHE: cache })).stdout.trim()).toBe(join(cache, 'squeezenet1_1.safetensors'));
  }, TEST_TIMEOUT);
});

// ------------------------------------------------------------------ saliency

interface SaliencyJson {
  command: string;
  method: string;
  settings: Record<string, unknown>;
  shape: number[];
  results: { image: string; class: number; className: string; predicted: number; max: number; mean: number; completenessGap?: number }[];
  out: string | null;
  raw: string | null;
}

describe('saliency', () => {
  it('vanilla on npz:0-1 (classes from the npz labels) with --out, --raw, --json: maps match PyTorch', async () => {
    const j = lastJson<SaliencyJson>(await ok(['saliency', '--image', `${NPZ}:0-1`, '--out', out('sv.png'), '--raw', out('sv.npy'), '--json']));
    expect(j.command).toBe('saliency');
    expect(j.method).toBe('vanilla');
    expect(j.settings).toEqual({});
    expect(j.shape).toEqual([2, 224, 224]);
    expect(j.results.map((r) => r.class)).toEqual([958, 85]);
    expect(j.results.map((r) => r.className)).toEqual(['hay', 'quail']);
    const raw = npy(out('sv.npy'));
    expect(raw.dtype).toMatch(/^<?f4$/); // float32
    expect(raw.shape).toEqual([2, 224, 224]);
    expect(raw.data.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    const ref = fixtureNpy('model/saliency25_part0.npy').data; // float16: compare relative to each map's max
    for (let i = 0; i < 2; i++) {
      const m = raw.data.subarray(i * 224 * 224, (i + 1) * 224 * 224);
      expect(maxOf(m)).toBeCloseTo(j.results[i].max, 5);
      expect(maxRelDiff(m, ref.subarray(i * 224 * 224, (i + 1) * 224 * 224))).toBeLessThan(1e-2);
    }
    checkPng(out('sv.png'), 2 * 224, 3 * 224); // two columns of image / heat map / overlay
  }, TEST_TIMEOUT);

  it('smoothgrad --samples 2 with --class by name ("hay"), text output', async () => {
    const r = await ok(['saliency', '--image', IMG0, '--method', 'smoothgrad', '--samples', '2', '--class', 'hay', '--out', out('ss.png'), '--raw', out('ss.npy')]);
    expect(r.stdout).toMatch(/^00_958\.png: class 958 hay — saliency max [\d.e+-]+, mean [\d.e+-]+$/m);
    expect(r.stdout).toMatch(/^smoothgrad \(samples 2, noise 0\.15, seed 0\) for 1 image\(s\) in \d+ ms; figure: .*ss\.png; maps: .*ss\.npy$/m);
    const raw = npy(out('ss.npy'));
    expect(raw.shape).toEqual([1, 224, 224]);
    expect(maxOf(raw.data)).toBeGreaterThan(0);
    checkPng(out('ss.png'), 224, 3 * 224);
  }, TEST_TIMEOUT);

  it('integrated-gradients --samples 2 with --class by index: completeness gap reported', async () => {
    const j = lastJson<SaliencyJson>(await ok(['saliency', '--image', IMG0, '--method', 'integrated-gradients', '--samples', '2', '--class', '958', '--out', out('si.png'), '--raw', out('si.npy'), '--json']));
    expect(j.method).toBe('integrated-gradients');
    expect(j.settings).toEqual({ steps: 2, baseline: 'zeros', rule: 'riemann' });
    expect(j.results[0].class).toBe(958);
    expect(Number.isFinite(j.results[0].completenessGap)).toBe(true);
    const raw = npy(out('si.npy'));
    expect(raw.shape).toEqual([1, 224, 224]);
    expect(maxOf(raw.data)).toBeGreaterThan(0);
    checkPng(out('si.png'), 224, 3 * 224);
  }, TEST_TIMEOUT);

  it('gradcam with --class 6 (stingray)', async () => {
    const j = lastJson<SaliencyJson>(await ok(['saliency', '--image', IMG0, '--method', 'gradcam', '--class', '6', '--out', out('sg.png'), '--raw', out('sg.npy'), '--json']));
    expect(j.method).toBe('gradcam');
    expect(j.settings).toEqual({ layer: 'features.12' });
    expect(j.results[0]).toMatchObject({ class: 6, className: 'stingray', predicted: 958 });
    const raw = npy(out('sg.npy'));
    expect(raw.shape).toEqual([1, 224, 224]);
    expect(raw.data.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    checkPng(out('sg.png'), 224, 3 * 224);
  }, TEST_TIMEOUT);
});

// ------------------------------------------------------------------ fool, classviz

describe('fool and classviz', () => {
  it('fool --target 6 --max-iter 5 --json, and --target stingray with --out and --raw', async () => {
    const j = lastJson<{ target: number; targetName: string; settings: { lr: number; maxIter: number }; results: { image: string; originalPredicted: number; target: number; iterations: number; success: boolean; predicted: number; targetProb: number; linf255: number }[] }>(
      await ok(['fool', '--image', IMG0, '--target', '6', '--max-iter', '5', '--json']),
    );
    expect(j.target).toBe(6);
    expect(j.targetName).toBe('stingray');
    expect(j.settings).toEqual({ lr: 1, maxIter: 5 });
    expect(j.results).toHaveLength(1);
    const r0 = j.results[0];
    expect(r0).toMatchObject({ image: '00_958.png', originalPredicted: 958, target: 6 });
    expect(r0.iterations).toBeGreaterThanOrEqual(1);
    expect(r0.iterations).toBeLessThanOrEqual(5);
    expect(r0.success).toBe(r0.predicted === 6);
    expect(r0.linf255).toBeGreaterThan(0);

    const r = await ok(['fool', '--image', IMG0, '--target', 'stingray', '--max-iter', '5', '--out', out('f.png'), '--raw', out('f.npy')]);
    expect(r.stdout).toMatch(/^00_958\.png: hay → (fooled|NOT fooled) as \d+ .* after [1-5] step\(s\)/m);
    expect(r.stdout).toMatch(/^[01]\/1 fooled into 6 stingray in \d+ ms; figure: .*f\.png$/m);
    checkPng(out('f.png'), 3 * 224, 224);
    const raw = npy(out('f.npy'));
    expect(raw.shape).toEqual([1, 3, 224, 224]);
    const x0 = preprocess(decodeImage(new Uint8Array(readFileSync(IMG0)), IMG0), 224);
    const d = maxRelDiff(raw.data, x0);
    expect(d).toBeGreaterThan(0); // the image changed...
    expect(d).toBeLessThan(0.2); // ...a little
  }, TEST_TIMEOUT);

  it('classviz --target 76 --iterations 3 with --frames, --out, --raw, --json; the same seed twice gives identical bytes', async () => {
    const args = (k: string) => ['classviz', '--target', '76', '--iterations', '3', '--frames', out(`frames${k}`), '--out', out(`c${k}.png`), '--raw', out(`c${k}.npy`), '--json'];
    const j = lastJson<{ target: number; targetName: string; settings: { iterations: number; seed: number }; top: { class: number; className: string }[]; frames: string[]; score: number }>(await ok(args('1')));
    expect(j).toMatchObject({ target: 76, targetName: 'tarantula', settings: { iterations: 3, seed: 0 } });
    expect(j.top).toHaveLength(5);
    expect(Number.isFinite(j.score)).toBe(true);
    const frames = readdirSync(out('frames1')).filter((f) => f.endsWith('.png')).sort();
    expect(frames.length).toBeGreaterThan(0);
    expect(j.frames.map((f) => f.split('/').pop())).toEqual(frames);
    for (const f of frames) checkPng(join(out('frames1'), f), 224, 224);
    checkPng(out('c1.png'), 224, 224);
    const raw = npy(out('c1.npy'));
    expect(raw.shape).toEqual([1, 3, 224, 224]);
    expect(raw.data.every(Number.isFinite)).toBe(true);

    await ok(args('2'));
    expect(Buffer.compare(readFileSync(out('c1.npy')), readFileSync(out('c2.npy')))).toBe(0);
  }, TEST_TIMEOUT);
});

// ------------------------------------------------------------------ trace

interface TorchLayer { name: string; shape: number[]; min: number; max: number; mean: number; grad_norm: number; grad_max_abs: number; grad_zero_frac: number }
interface OurLayer { name: string; shape: number[]; activation: { min: number; max: number; mean: number; zeros: number }; gradient: { norm: number; maxAbs: number; zeros: number } }

describe('trace', () => {
  it('--json: layers from the scores back to the input, agreeing with PyTorch', async () => {
    const j = lastJson<{ image: string; class: number; className: string; score: number; layers: OurLayer[] }>(await ok(['trace', '--image', IMG0, '--json']));
    const ref = fixtureJson<{ label: number; score: number; layers: TorchLayer[] }>('model/trace_img0.json');
    expect(j.image).toBe('00_958.png');
    expect(j.class).toBe(ref.label);
    expect(j).not.toHaveProperty('classId');
    expect(j.className).toBe('hay');
    expect(Math.abs(j.score - ref.score) / ref.score).toBeLessThan(1e-4);
    // scores first, input last
    expect(j.layers.map((l) => l.name)).toEqual([...[...LAYER_NAMES].reverse(), 'input']);

    // our name → torch's (torchvision module names; logits are classifier.3 flattened)
    const torchName = (n: string): string | null =>
      n === 'logits' ? 'classifier.3' : /^(input|features\.\d+|classifier\.[23])$/.test(n) ? n : null;
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    const close = (what: string, a: number, b: number, tol = 1e-3) =>
      expect(a === b || rel(a, b) <= tol, `${what}: ours ${a}, torch ${b} (rel ${rel(a, b).toExponential(2)})`).toBe(true);
    let compared = 0;
    for (const l of j.layers) {
      const tn = torchName(l.name);
      if (!tn) continue;
      const t = ref.layers.find((r) => r.name === tn);
      expect(t, `torch layer ${tn}`).toBeDefined();
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      expect(size(l.shape), `${l.name} size`).toBe(size(t!.shape));
      close(`${l.name} activation min`, l.activation.min, t!.min);
      close(`${l.name} activation max`, l.activation.max, t!.max);
      close(`${l.name} activation mean`, l.activation.mean, t!.mean);
      close(`${l.name} gradient norm`, l.gradient.norm, t!.grad_norm);
      close(`${l.name} gradient max|g|`, l.gradient.maxAbs, t!.grad_max_abs);
      expect(Math.abs(l.gradient.zeros - t!.grad_zero_frac), `${l.name} gradient zeros: ours ${l.gradient.zeros}, torch ${t!.grad_zero_frac}`).toBeLessThanOrEqual(1e-3);
      compared++;
    }
    expect(compared).toBe(16); // input, features.1–12, classifier.2, classifier.3, logits
  }, TEST_TIMEOUT);

  it('table output: a header and one row per layer, scores first', async () => {
    const r = await ok(['trace', '--image', IMG0, '--class', 'hay']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^gradient of score\[958\] \(hay\) = 22\.11\d w\.r\.t\. each layer of 00_958\.png, from the scores back to the input:$/);
    expect(lines[1]).toMatch(/^layer\s+shape\s+act min\s+act max\s+act mean\s+act 0s\s+\|grad\|₂\s+max\|grad\|\s+grad 0s$/);
    expect(lines[2]).toMatch(/^[─ ]+$/);
    const rows = lines.slice(3);
    const names = [...[...LAYER_NAMES].reverse(), 'input'];
    expect(rows).toHaveLength(names.length);
    rows.forEach((row, i) => {
      const cells = row.trim().split(/\s+/);
      expect(cells[0]).toBe(names[i]);
      expect(cells).toHaveLength(9);
      expect(cells[1]).toMatch(/^1×\d+(×\d+)*$/);
    });
    expect(rows[rows.length - 1]).toMatch(/^input\s+1×3×224×224\s/);
  }, TEST_TIMEOUT);
});

describe('bench and tune', () => {
  it('tune times the conv tiles and remembers them per adapter; bench --json reports them and its workloads', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'gradsight-tune-'));
    try {
      const env = { GRADSIGHT_CACHE: cache };
      const t = lastJson<{ adapter: string; cache: string; results: { family: string; chosen: object; candidates: { tile: object; medianMs: number }[] }[] }>(
        await ok(['tune', '--rounds', '1', '--json'], env),
      );
      expect(t.results.map((r) => r.family)).toEqual(['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward']);
      for (const r of t.results) {
        expect(r.candidates.length).toBeGreaterThanOrEqual(2);
        expect(r.candidates.map((c) => JSON.stringify(c.tile))).toContain(JSON.stringify(r.chosen));
        for (const c of r.candidates) expect(c.medianMs).toBeGreaterThan(0);
      }
      const saved = JSON.parse(readFileSync(join(cache, 'conv-tuning.json'), 'utf8'));
      expect(Object.keys(saved)).toEqual([t.adapter]);
      const b = lastJson<{ config: { tiles: Record<string, object>; tiles_from: string }; results: Record<string, { median_ms: number; min_ms: number; peak_bytes: number }> }>(
        await ok(['bench', '--only', 'forward,saliency', '--runs', '1', '--warmup', '0', '--random-weights', '--json'], env),
      );
      expect(Object.keys(b.results)).toEqual(['forward_b1', 'saliency_b1']);
      for (const r of Object.values(b.results)) {
        expect(r.median_ms).toBeGreaterThan(0);
        expect(r.peak_bytes).toBeGreaterThan(4.7 * 2 ** 20);
      }
      expect(b.config.tiles_from).toContain(join(cache, 'conv-tuning.json'));
      expect(b.config.tiles).toEqual(saved[t.adapter].tiles);
      // the fooling and class-visualization steps are src/viz's own (foolingStep, classVizStep)
      const steps = lastJson<{ command: string; results: Record<string, { median_ms: number; dispatches: number }> }>(
        await ok(['bench', '--only', 'fooling,classviz', '--runs', '1', '--warmup', '0', '--random-weights', '--json'], env),
      );
      expect(steps.command).toBe('bench');
      expect(Object.keys(steps.results)).toEqual(['fooling_iter_b1', 'classviz_step_b1']);
      for (const r of Object.values(steps.results)) {
        expect(r.median_ms).toBeGreaterThan(0);
        expect(r.dispatches).toBeGreaterThan(50); // a forward and a backward pass
      }
      const off = lastJson<{ config: { tiles_from: string } }>(
        await ok(['bench', '--only', 'forward', '--runs', '1', '--warmup', '0', '--random-weights', '--json'], { ...env, GRADSIGHT_TUNING: 'off' }),
      );
      expect(off.config.tiles_from).toMatch(/^defaults/);
      await ok(['tune', '--reset', '--json'], env);
      expect(JSON.parse(readFileSync(join(cache, 'conv-tuning.json'), 'utf8'))).toEqual({});
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, TEST_TIMEOUT);
});
