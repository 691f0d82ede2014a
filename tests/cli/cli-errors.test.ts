// The command line's failures: each bad invocation exits non-zero on its own (no hang), prints nothing on
// stdout and one clear message on stderr naming the command and what is wrong. Usage errors (bad flags,
// missing or unreadable files, unknown classes) exit 2; runtime errors exit 1.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateCli, spawnCli, type CliRun } from '../helpers/cli.js';
import { DEFAULT_WEIGHTS, SAMPLES, samplesNpz } from '../helpers/shared.js';
import { encodePng } from '../../src/image/png.js';
import { newRgb } from '../../src/image/types.js';

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
      { args: ['fool', '--image', img, '--target', '6', '--max-iter', '-1'], code: 2, message: /^gradsight fool: --max-iter expects an integer ≥ 0; got '-1'$/ },
      { args: ['fool', '--image', img, '--target', '6', '--max-iter', '2.5'], code: 2, message: /^gradsight fool: --max-iter expects an integer ≥ 0; got '2\.5'$/ },
      { args: ['fool', '--image', img, '--target', '6', '--lr', '-0.5'], code: 2, message: /^gradsight fool: --lr expects a positive number; got '-0\.5'$/ },
      { args: ['predict', '--image', img, '--top', '0'], code: 2, message: /^gradsight predict: --top expects an integer ≥ 1; got '0'$/ },
      { args: ['saliency', '--image', img, '--samples', 'many'], code: 2, message: /^gradsight saliency: --samples expects an integer ≥ 1; got 'many'$/ },
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
  it('a truncated copy of the weights; an npz index out of range; a runtime error after the GPU started still exits', async () => {
    const st = readFileSync(DEFAULT_WEIGHTS);
    writeFileSync(t('trunc.safetensors'), st.subarray(0, Math.floor(st.length / 2)));
    const npz = t('samples.npz');
    writeFileSync(npz, samplesNpz());
    const png = join(SAMPLES, '00_958.png');
    await check([
      { args: ['predict', '--image', png, '--weights', t('trunc.safetensors')], code: 2, message: /^gradsight predict: cannot load weights file .*trunc\.safetensors: .*truncated/ },
      { args: ['predict', '--image', `${npz}:30`], code: 2, message: /^gradsight predict: .*samples\.npz: image index 30 out of range \(X holds 10 images: 0-9\)$/ },
      { args: ['predict', '--image', `${npz}:3-1`], code: 2, message: /^gradsight predict: .*empty selection/ },
      // fails inside the model, after the device and weights are up
      { args: ['saliency', '--image', png, '--method', 'gradcam', '--layer', 'features.99'], code: 1, message: /^gradsight saliency: error: .*unknown layer 'features\.99'/ },
    ]);
  }, TEST_TIMEOUT);
});
