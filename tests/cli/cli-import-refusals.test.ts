// The CLI on weight files the importer refuses: a usage error (exit 2) naming the file's problem, nothing
// cached, nothing run. The SqueezeNet-sized files are made here from the embedded default weights.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/weights/index.js';
import { ROOT } from '../helpers/shared.js';
import { privateCli, spawnCli } from '../helpers/cli.js';

let cli: string;
let tmp: string;
beforeAll(() => {
  cli = privateCli();
  tmp = mkdtempSync(join(tmpdir(), 'gradsight-refusals-'));
});
afterAll(() => {
  rmSync(cli, { force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/** The embedded default with one value replaced, as a safetensors file in tmp. */
function damagedDefault(name: string, tensor: string, index: number, value: number): string {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(ROOT, 'weights', 'squeezenet1_1.safetensors'))));
  tensors.get(tensor)!.data[index] = value;
  const path = join(tmp, name);
  writeFileSync(path, writeSafetensors(tensors));
  return path;
}

describe('gradsight and refused weight files', () => {
  it('import refuses NaN weights with exit 2, naming the tensor and index, and writes no cache', async () => {
    const file = damagedDefault('nan.safetensors', 'features.0.weight', 5, NaN);
    const cache = join(tmp, 'cache');
    mkdirSync(cache); // --out must name an existing folder
    const r = await spawnCli(cli, ['import', file, '--out', join(cache, 'w.safetensors')], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/gradsight import: nan\.safetensors: tensor 'features\.0\.weight' holds NaN at index \[0, 0, 1, 2\]/);
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it('predict refuses Infinity in the weights before running the model', async () => {
    const file = damagedDefault('inf.safetensors', 'classifier.1.bias', 7, -Infinity);
    const r = await spawnCli(cli, ['predict', '--weights', file, '--image', join(ROOT, 'tests', 'fixtures', 'image', 'png', 'rgb8.png')], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot load weights file .*inf\.safetensors: tensor 'classifier\.1\.bias' holds -Infinity at index \[7\]/);
    expect(r.stdout).toBe('');
  });

  it('predict and import refuse a pickle naming os.system, by name', async () => {
    const file = join(ROOT, 'tests', 'fixtures', 'weights', 'hostile-system.pth');
    const p = await spawnCli(cli, ['predict', '--weights', file, '--image', join(ROOT, 'tests', 'fixtures', 'image', 'png', 'rgb8.png')], { timeoutMs: 60_000 });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stderr).toMatch(/refused: the pickle at byte \d+ \(\w+\) names the global "posix\.system"/);
    mkdirSync(join(tmp, 'sys'));
    const i = await spawnCli(cli, ['import', file, '--out', join(tmp, 'sys', 'w.safetensors')], { timeoutMs: 60_000 });
    expect(i.code, i.stderr).toBe(2);
    expect(i.stderr).toMatch(/^gradsight import: hostile-system\.pth: \S+data\.pkl: refused: .*"posix\.system"/m);
    expect(readdirSync(join(tmp, 'sys'))).toEqual([]);
  });
});
