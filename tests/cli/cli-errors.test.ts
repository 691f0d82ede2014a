// The command line's failures: each bad invocation exits non-zero on its own (no hang), prints nothing on
// stdout and one clear message on stderr naming the command and what is wrong. Usage errors (bad flags,
// missing or unreadable files, unknown classes) exit 2; runtime errors exit 1.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateCli, spawnCli, type CliRun } from '../helpers/cli.js';
import { DEFAULT_WEIGHTS, SAMPLES, samplesNpz } from '../helpers/shared.js';
import { encodePng } from '../../src/image/png.js';
import { newRgb } from '../../src/image/types.js';
import { writeNpy } from '../../src/io/npy.js';

let CLI = '';
const SPAWN_TIMEOUT = 120_000;
const TEST_TIMEOUT = 240_000;

/** A run with stderr trimmed (the whole message is usually one line). */
async function cli(args: string[]): Promise<CliRun> {
  const r = await spawnCli(CLI, args, { timeoutMs: SPAWN_TIMEOUT });
  return { ...r, stderr: r.stderr.trim() };
}

interface Case {
  args: string[];
  code: number;
  /** stderr must match (the whole message is usually one line). */
  message: RegExp;
  /** stderr must not match (e.g. work that should not have started). */
  not?: RegExp;
}

/** Run the cases two at a time (lavapipe has 2 cores) and report every mismatch at once. */
async function check(cases: Case[]): Promise<void> {
  const failures: string[] = [];
  const queue = [...cases];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const r = await cli(c.args);
      const what = `gradsight ${c.args.join(' ')}`;
      if (r.code !== c.code) failures.push(`${what}: exit ${r.code}, expected ${c.code}; stderr: ${r.stderr}`);
      if (!c.message.test(r.stderr)) failures.push(`${what}: stderr ${JSON.stringify(r.stderr.slice(0, 600))} does not match ${c.message}`);
      if (c.not?.test(r.stderr)) failures.push(`${what}: stderr ${JSON.stringify(r.stderr.slice(0, 600))} should not match ${c.not}`);
      if (r.stdout.trim() !== '') failures.push(`${what}: unexpected stdout ${JSON.stringify(r.stdout.slice(0, 300))}`);
    }
  };
  await Promise.all([worker(), worker()]);
  expect(failures, failures.join('\n')).toEqual([]);
}

let tmp = '';
let img = '';
beforeAll(() => {
  CLI = privateCli();
  tmp = mkdtempSync(join(tmpdir(), 'gradsight-cli-err-'));
  // A small valid PNG, so that these tests run without ../shared.
  const pic = newRgb(40, 30);
  for (let i = 0; i < pic.data.length; i++) pic.data[i] = (i * 37) % 256;
  img = join(tmp, 'ok.png');
  writeFileSync(img, encodePng(pic));
  writeFileSync(join(tmp, 'x.png'), 'this is a text file, not a picture\n');
  writeFileSync(join(tmp, 'garbage.safetensors'), 'not weights at all');
  mkdirSync(join(tmp, 'empty'));
});
afterAll(() => {
  if (CLI) rmSync(CLI, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
const t = (name: string) => join(tmp, name);

describe('usage errors', () => {
  it('unknown command and unknown flag', async () => {
    await check([
      { args: ['frobnicate'], code: 2, message: /^gradsight: unknown command 'frobnicate'\n\n[^]*\nUsage: gradsight <command>/ },
      { args: ['predict', '--bogus'], code: 2, message: /^gradsight predict: Unknown option '--bogus'$/ },
      { args: ['fool', '--image', img, '--target', '6', '--max-iter'], code: 2, message: /^gradsight fool: Option '--max-iter <value>' argument missing$/ },
      { args: ['weights'], code: 2, message: /^gradsight weights: expected 'download' or 'path'; got ''$/ },
      { args: ['saliency', '--image', img, '--method', 'magic'], code: 2, message: /^gradsight saliency: unknown --method 'magic' \(use vanilla, smoothgrad, integrated-gradients, gradcam\)$/ },
    ]);
  }, TEST_TIMEOUT);

  it('inputs: none, missing, unreadable, a batch for trace', async () => {
    await check([
      { args: ['predict'], code: 2, message: /^gradsight predict: no input: pass --image / },
      { args: ['predict', '--image', t('nope.png')], code: 2, message: /^gradsight predict: image not found: .*nope\.png$/ },
      { args: ['saliency', '--image', t('x.png')], code: 2, message: /^gradsight saliency: .*x\.png: not a PNG or JPEG image \(unrecognized header 74 68 69 73/ },
      { args: ['predict', '--image', img, '--image', t('empty')], code: 2, message: /^gradsight predict: no PNG or JPEG images in folder .*empty$/ },
      { args: ['trace', '--image', img, '--image', img], code: 2, message: /^gradsight trace: one image at a time; got 2$/ },
    ]);
  }, TEST_TIMEOUT);

  it('classes: out of range, unknown name, ambiguous name (lists the matches), missing --target', async () => {
    await check([
      { args: ['saliency', '--image', img, '--class', '1000'], code: 2, message: /^gradsight saliency: --class: unknown class id 1000 \(valid 0\.\.999\)$/ },
      { args: ['trace', '--image', img, '--class', '-3'], code: 2, message: /^gradsight trace: --class: unknown class id -3 \(valid 0\.\.999\)$/ },
      { args: ['saliency', '--image', img, '--class', 'no such class'], code: 2, message: /^gradsight saliency: --class: unknown class name "no such class"/ },
      {
        args: ['fool', '--image', img, '--target', 'terrier'], code: 2,
        message: /^gradsight fool: --target: class name "terrier" is ambiguous: \d+ classes match \(.*182 "Border terrier".*\); give the index or a longer name$/,
      },
      { args: ['classviz', '--target', 'terrier', '--iterations', '1'], code: 2, message: /--target: class name "terrier" is ambiguous/ },
      { args: ['fool', '--image', img], code: 2, message: /^gradsight fool: --target N\|name is required$/ },
      { args: ['classviz'], code: 2, message: /^gradsight classviz: --target N\|name is required$/ },
      { args: ['gallery', '--image', img, '--out', t('gallery'), '--target', 'no such class'], code: 2, message: /^gradsight gallery: --target: unknown class name "no such class"/ },
    ]);
    expect(existsSync(t('gallery')), 'gallery failed before creating its output folder').toBe(false);
  }, TEST_TIMEOUT);

  it('numbers out of range, negative ones included', async () => {
    await check([
      { args: ['fool', '--image', img, '--target', '6', '--max-iter', '-1'], code: 2, message: /^gradsight fool: --max-iter expects an integer from 0 to 10000; got '-1'$/ },
      { args: ['fool', '--image', img, '--target', '6', '--max-iter', '2.5'], code: 2, message: /^gradsight fool: --max-iter expects an integer from 0 to 10000; got '2\.5'$/ },
      { args: ['fool', '--image', img, '--target', '6', '--lr', '-0.5'], code: 2, message: /^gradsight fool: --lr expects a positive number; got '-0\.5'$/ },
      { args: ['predict', '--image', img, '--top', '0'], code: 2, message: /^gradsight predict: --top expects an integer from 1 to 1000; got '0'$/ },
      { args: ['saliency', '--image', img, '--samples', 'many'], code: 2, message: /^gradsight saliency: --samples expects an integer from 1 to 1000; got 'many'$/ },
      { args: ['classviz', '--target', '76', '--lr', 'Infinity'], code: 2, message: /^gradsight classviz: --lr expects a positive number; got 'Infinity'$/ },
    ]);
  }, TEST_TIMEOUT);

  it('an output that cannot be written fails before any work (before the weights are even read)', async () => {
    const bad = t('garbage.safetensors');
    await check([
      { args: ['saliency', '--image', img, '--weights', bad, '--out', '/nonexistent/dir/x.png'], code: 2, message: /^gradsight saliency: cannot write --out \/nonexistent\/dir\/x\.png: directory \/nonexistent\/dir does not exist$/, not: /weights/ },
      { args: ['predict', '--image', img, '--weights', bad, '--raw', '/nonexistent/dir/l.npy'], code: 2, message: /^gradsight predict: cannot write --raw \/nonexistent\/dir\/l\.npy: directory \/nonexistent\/dir does not exist$/ },
      { args: ['fool', '--image', img, '--target', '6', '--weights', bad, '--out', '/nonexistent/dir/f.png'], code: 2, message: /^gradsight fool: cannot write --out / },
      { args: ['classviz', '--target', '76', '--weights', bad, '--raw', '/nonexistent/dir/c.npy'], code: 2, message: /^gradsight classviz: cannot write --raw / },
      { args: ['saliency', '--image', img, '--weights', bad, '--out', tmp], code: 2, message: /^gradsight saliency: cannot write --out .*: it is a directory$/ },
    ]);
  }, TEST_TIMEOUT);

  it('weights: missing file, not a weights file, missing import source', async () => {
    await check([
      { args: ['predict', '--image', img, '--weights', t('missing.pth')], code: 2, message: /^gradsight predict: --weights .*missing\.pth: no such file$/ },
      { args: ['weights', 'path', '--weights', t('missing.pth')], code: 2, message: /^gradsight weights: --weights .*missing\.pth: no such file$/ },
      { args: ['predict', '--image', img, '--weights', t('garbage.safetensors')], code: 2, message: /^gradsight predict: cannot load weights file .*garbage\.safetensors: / },
      { args: ['import', t('missing.onnx'), '--out', t('w.safetensors')], code: 2, message: /^gradsight import: weights file not found: .*missing\.onnx$/ },
      { args: ['import'], code: 2, message: /^gradsight import: give exactly one weights file/ },
    ]);
    expect(existsSync(t('w.safetensors'))).toBe(false);
  }, TEST_TIMEOUT);
});

describe('errors with the pretrained weights and samples', () => {
  it('a truncated copy of the weights; an npz index out of range; an unknown Grad-CAM layer (once found only inside the model)', async () => {
    const st = readFileSync(DEFAULT_WEIGHTS);
    writeFileSync(t('trunc.safetensors'), st.subarray(0, Math.floor(st.length / 2)));
    const npz = t('samples.npz');
    writeFileSync(npz, samplesNpz());
    const png = join(SAMPLES, '00_958.png');
    await check([
      { args: ['predict', '--image', png, '--weights', t('trunc.safetensors')], code: 2, message: /^gradsight predict: cannot load weights file .*trunc\.safetensors: .*truncated/ },
      { args: ['predict', '--image', `${npz}:30`], code: 2, message: /^gradsight predict: .*samples\.npz: image index 30 out of range \(X holds 10 images: 0-9\)$/ },
      { args: ['predict', '--image', `${npz}:3-1`], code: 2, message: /^gradsight predict: .*empty selection/ },
      // was exit 1 with "error:" (found inside the model): a usage error, refused before any work
      { args: ['saliency', '--image', png, '--method', 'gradcam', '--layer', 'features.99'], code: 2, message: /^gradsight saliency: unknown --layer 'features\.99' \(use one of features\.1, /, not: /error:/ },
    ]);
  }, TEST_TIMEOUT);
});

// ------------------------------------------------------------------ issue 12: the CLI's edges

/** The embedded weights with classifier.1.weight scaled by `k` (finite, but the logits overflow to infinity). */
function hugeWeights(k: number): Uint8Array {
  const b = new Uint8Array(readFileSync(DEFAULT_WEIGHTS));
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
  const [s, e] = header['classifier.1.weight'].data_offsets;
  const f = new Float32Array(b.buffer.slice(b.byteOffset + 8 + n + s, b.byteOffset + 8 + n + e));
  for (let i = 0; i < f.length; i++) f[i] *= k;
  b.set(new Uint8Array(f.buffer), 8 + n + s);
  return b;
}

describe('issue 12: CLI edges', () => {
  it("--out '' and stray words are named usage errors", async () => {
    await check([
      { args: ['saliency', '--image', img, '--out', ''], code: 2, message: /^gradsight saliency: --out needs a value; got ''$/ },
      { args: ['predict', '--image', img, '--raw='], code: 2, message: /^gradsight predict: --raw needs a value; got ''$/ },
      { args: ['classviz', '--target', '76', '--out', '', '--iterations', '1'], code: 2, message: /^gradsight classviz: --out needs a value/ },
      { args: ['predict', '--image', img, '--top', '3', 'stray'], code: 2, message: /^gradsight predict: unexpected argument 'stray'/ },
      { args: ['fool', 'word', '--image', img, '--target', '6'], code: 2, message: /^gradsight fool: unexpected argument 'word'/ },
      { args: ['doctor', 'extra'], code: 2, message: /^gradsight doctor: unexpected argument 'extra'/ },
      { args: ['serve', '--port', '0', 'x'], code: 2, message: /^gradsight serve: unexpected argument 'x'/ },
      { args: ['import', DEFAULT_WEIGHTS, 'second.pth'], code: 2, message: /^gradsight import: unexpected argument 'second\.pth'/ },
    ]);
  }, TEST_TIMEOUT);

  it('--raw / --out never overwrite an input (same file, another spelling, a symlink, each other)', async () => {
    const pic = t('input.png');
    copyFileSync(img, pic);
    symlinkSync(pic, t('alias.png'));
    const x = t('input.npy');
    writeFileSync(x, writeNpy(new Float32Array(3 * 24 * 24).fill(0.5), [1, 3, 24, 24]));
    const before = [readFileSync(pic), readFileSync(x)];
    await check([
      { args: ['saliency', '--image', pic, '--raw', pic], code: 2, message: /^gradsight saliency: --raw .*input\.png is the input .*input\.png: refusing to overwrite an input/ },
      { args: ['saliency', '--image', pic, '--out', t('alias.png')], code: 2, message: /^gradsight saliency: --out .*alias\.png is the input .*input\.png/ },
      { args: ['predict', '--image', x, '--raw', join(tmp, '.', 'input.npy')], code: 2, message: /^gradsight predict: --raw .*input\.npy is the input/ },
      { args: ['fool', '--image', img, '--image', pic, '--target', '6', '--out', pic], code: 2, message: /refusing to overwrite an input/ },
      { args: ['saliency', '--image', img, '--out', t('same.png'), '--raw', t('same.png')], code: 2, message: /^gradsight saliency: --raw and --out name the same file/ },
      { args: ['import', DEFAULT_WEIGHTS, '--out', DEFAULT_WEIGHTS], code: 2, message: /^gradsight import: --out .* is the input .*: refusing to overwrite an input/ },
    ]);
    expect(readFileSync(pic).equals(before[0])).toBe(true);
    expect(readFileSync(x).equals(before[1])).toBe(true);
  }, TEST_TIMEOUT);

  it('iteration counts are bounded, the message names the limit', async () => {
    await check([
      { args: ['classviz', '--target', '76', '--iterations', '1e12'], code: 2, message: /^gradsight classviz: --iterations expects an integer from 0 to 10000; got '1e12'$/ },
      { args: ['fool', '--image', img, '--target', '6', '--max-iter', '10001'], code: 2, message: /^gradsight fool: --max-iter expects an integer from 0 to 10000; got '10001'$/ },
      { args: ['saliency', '--image', img, '--method', 'smoothgrad', '--samples', '1e6'], code: 2, message: /^gradsight saliency: --samples expects an integer from 1 to 1000; got '1e6'$/ },
      { args: ['gallery', '--iterations', '99999999'], code: 2, message: /^gradsight gallery: --iterations expects an integer from 1 to 10000/ },
      { args: ['bench', '--runs', '1e9'], code: 2, message: /^gradsight bench: --runs expects an integer from 1 to 1000/ },
      { args: ['bench', '--batch', '100000'], code: 2, message: /^gradsight bench: --batch expects an integer from 1 to 256/ },
      { args: ['tune', '--rounds', '1e7'], code: 2, message: /^gradsight tune: --rounds expects an integer from 1 to 100/ },
      { args: ['classviz', '--target', '76', '--seed', '1e20'], code: 2, message: /^gradsight classviz: --seed expects an integer from 0 to 4294967295/ },
    ]);
  }, TEST_TIMEOUT);

  it('usage errors that used to exit 1 with "error:" exit 2, named', async () => {
    await check([
      { args: ['classviz', '--target', '76', '--jitter', '300'], code: 2, message: /^gradsight classviz: --jitter expects an integer from 0 to 223; got '300'$/, not: /error:/ },
      { args: ['classviz', '--target', '76', '--blur-sigma', '40'], code: 2, message: /^gradsight classviz: --blur-sigma expects a number > 0 and at most 30; got '40'$/, not: /error:/ },
      { args: ['classviz', '--target', '76', '--l2', '1e39', '--iterations', '2'], code: 2, message: /^gradsight classviz: --l2 1e39 is outside the float32 range the GPU computes in \(at most 3\.4028e\+38\)$/ },
      { args: ['saliency', '--image', img, '--method', 'gradcam', '--layer', 'logits'], code: 2, message: /^gradsight saliency: unknown --layer 'logits'/, not: /error:/ },
      { args: ['import', t('garbage.safetensors'), '--out', t('w2.safetensors')], code: 2, message: /^gradsight import: .*garbage\.safetensors/, not: /error:/ },
    ]);
    expect(existsSync(t('w2.safetensors'))).toBe(false);
  }, TEST_TIMEOUT);

  it('an empty .npy, a too small one and non-finite inputs are refused, naming the file and the image', async () => {
    writeFileSync(t('empty.npy'), writeNpy(new Float32Array(0), [0, 3, 224, 224]));
    const two = new Float32Array(2 * 3 * 24 * 24).fill(0.1);
    two[3 * 24 * 24 + 2 * 24 * 24 + 5 * 24 + 7] = NaN; // image 1, channel 2, row 5, column 7
    writeFileSync(t('nan.npy'), writeNpy(two, [2, 3, 24, 24]));
    const inf = new Float32Array(3 * 24 * 24).fill(0.1);
    inf[0] = -Infinity;
    writeFileSync(t('inf.npy'), writeNpy(inf, [1, 3, 24, 24]));
    writeFileSync(t('small.npy'), writeNpy(new Float32Array(3 * 8 * 8), [1, 3, 8, 8]));
    await check([
      { args: ['predict', '--image', t('empty.npy')], code: 2, message: /^gradsight predict: .*empty\.npy: the \.npy holds no image data \(shape \(0, 3, 224, 224\)\)$/, not: /destructure/ },
      { args: ['saliency', '--image', t('nan.npy'), '--raw', t('nan-map.npy')], code: 2, message: /^gradsight saliency: .*nan\.npy: image 1 holds a non-finite value \(NaN at channel 2, row 5, column 7\); inputs must be finite$/ },
      { args: ['predict', '--image', t('small.npy')], code: 2, message: /^gradsight predict: .*small\.npy: images of 8×8 are too small for SqueezeNet \(at least 17×17\)$/, not: /error:/ },
      { args: ['predict', '--image', img, '--image', t('inf.npy')], code: 2, message: /^gradsight predict: .*inf\.npy: image 0 holds a non-finite value \(-Infinity at channel 0, row 0, column 0\)/ },
    ]);
    expect(existsSync(t('nan-map.npy'))).toBe(false);
  }, TEST_TIMEOUT);

  it('a score that turns non-finite (finite weights whose logits overflow) fails, named, and writes nothing', async () => {
    writeFileSync(t('huge.safetensors'), hugeWeights(1e36));
    const png = join(SAMPLES, '00_958.png');
    await check([
      { args: ['predict', '--image', png, '--weights', t('huge.safetensors'), '--raw', t('huge-logits.npy')], code: 1, message: /^gradsight predict: error: non-finite logits for 00_958\.png \((-?Infinity|NaN) at index \d+\); nothing was written$/ },
      { args: ['saliency', '--image', png, '--weights', t('huge.safetensors'), '--class', '6', '--raw', t('huge-map.npy'), '--out', t('huge-map.png')], code: 1, message: /^gradsight saliency: error: .*(not finite|non-finite)/i },
    ]);
    for (const f of ['huge-logits.npy', 'huge-map.npy', 'huge-map.png']) expect(existsSync(t(f)), `${f} was not written`).toBe(false);
  }, TEST_TIMEOUT);

  it('outputs are written to a temporary file and renamed: a hard link at the target is replaced, not written through', async () => {
    const precious = t('precious.npy');
    writeFileSync(precious, 'the only copy of something else');
    const target = t('linked.npy');
    linkSync(precious, target);
    const r = await cli(['predict', '--image', join(SAMPLES, '00_958.png'), '--raw', target, '--top', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(precious, 'utf8')).toBe('the only copy of something else');
    expect(readFileSync(target).subarray(1, 6).toString()).toBe('NUMPY');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, TEST_TIMEOUT);
});
