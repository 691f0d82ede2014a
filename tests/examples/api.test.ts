// docs/API.md is generated from the TSDoc comments of what src/index.ts exports (scripts/gen_api.mjs) and kept
// up to date: regenerate with `node scripts/gen_api.mjs` after changing the public API or its comments.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as api from '../../src/index.js';

const ROOT = resolve(__dirname, '..', '..');

describe('docs/API.md', () => {
  it('is what scripts/gen_api.mjs writes from the current sources', () => {
    const r = spawnSync(process.execPath, ['scripts/gen_api.mjs', '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr + r.stdout).toMatch(/docs\/API\.md is up to date/);
    expect(r.status).toBe(0);
  });

  it('documents every exported value, with the comments users look for', () => {
    const md = readFileSync(join(ROOT, 'docs', 'API.md'), 'utf8');
    const missing = Object.keys(api).filter((name) => !md.includes(`### \`${name}\``));
    expect(missing).toEqual([]);
    for (const [name, words] of [['loadStateDict', 'Parse any supported file'], ['attribution', 'signed'], ['Device', 'Acquire a WebGPU device']] as const) {
      const at = md.indexOf(`### \`${name}\``);
      expect(md.slice(at, at + 1500)).toContain(words);
    }
  });
});
