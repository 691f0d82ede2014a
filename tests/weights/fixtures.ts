// Shared helpers for the weight-import tests: fixture files (tests/fixtures/weights, made by
// scripts/make_weight_fixtures.py) and the tiny model's manifest and exact values.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest, StateDict } from '../../src/weights/index.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(REPO, 'tests', 'fixtures', 'weights');
export const SHARED = resolve(REPO, '..', 'shared');
export const HAVE_SHARED = existsSync(join(SHARED, 'weights'));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export const TINY: Manifest = JSON.parse(readFileSync(join(FIXTURES, 'tiny_manifest.json'), 'utf8'));
export const TINY_VALUES: Record<string, number[]> = JSON.parse(readFileSync(join(FIXTURES, 'tiny_expected.json'), 'utf8'));

/** Every manifest tensor present with its shape and exactly the expected float32 values. */
export function expectTiny(dict: StateDict): string[] {
  const problems: string[] = [];
  for (const { name, shape } of TINY.tensors) {
    const t = dict.get(name);
    if (!t) { problems.push(`${name}: missing`); continue; }
    if (t.shape.join() !== shape.join()) problems.push(`${name}: shape [${t.shape}] != [${shape}]`);
    const want = Float32Array.from(TINY_VALUES[name]);
    if (t.data.length !== want.length || t.data.some((v, i) => !Object.is(v, want[i]))) problems.push(`${name}: values differ`);
  }
  return problems;
}
