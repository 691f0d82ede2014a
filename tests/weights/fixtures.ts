// Shared helpers for the weight-import tests: fixture files (tests/fixtures/weights, made by
// scripts/make_weight_fixtures.py) and the tiny model's manifest and exact values.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest, StateDict } from '../../src/weights/index.js';
import { crc32 } from '../../src/io/zip.js';

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

/**
 * Recompute the CRC-32 of every stored entry of a zip archive in place (central directory and local
 * header), so that a test can damage an entry's contents and reach the parser behind the CRC check.
 */
export function fixZipCrcs(bytes: Uint8Array): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 0; p + 46 <= bytes.length; p++) {
    if (dv.getUint32(p, true) !== 0x02014b50) continue;
    const method = dv.getUint16(p + 10, true);
    const size = dv.getUint32(p + 20, true);
    const lho = dv.getUint32(p + 42, true);
    if (method !== 0 || lho + 30 > bytes.length) continue;
    const start = lho + 30 + dv.getUint16(lho + 26, true) + dv.getUint16(lho + 28, true);
    if (start + size > bytes.length) continue;
    const crc = crc32(bytes.subarray(start, start + size));
    dv.setUint32(p + 16, crc, true);
    dv.setUint32(lho + 14, crc, true);
  }
  return bytes;
}
