// Quiet output: Dawn prints adapter-limit warnings straight to file descriptor 2; the CLI's commands that
// open a device run behind src/cli/quiet.ts's filter, so normal use prints nothing on stderr but progress
// and errors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoiseFilter, isDawnNoise } from '../../src/cli/quiet.js';
import { privateCli, spawnCli } from '../helpers/cli.js';
import { SAMPLES } from '../helpers/shared.js';

const DAWN = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const DAWN2 = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

function filtered(chunks: string[]): string {
  let out = '';
  const f = new NoiseFilter((s) => (out += s));
  for (const c of chunks) f.push(c);
  f.end();
  return out;
}

describe('the stderr noise filter', () => {
  it('knows Dawn\'s limit warnings and nothing else', () => {
    expect(isDawnNoise(DAWN)).toBe(true);
    expect(isDawnNoise(DAWN2)).toBe(true);
    expect(isDawnNoise(`${DAWN} extra`)).toBe(false);
    expect(isDawnNoise('Warning: something else')).toBe(false);
    expect(isDawnNoise('gradsight predict: image not found: x.png')).toBe(false);
  });

  it('drops whole noise lines however the chunks fall, and passes everything else byte for byte', () => {
    const text = `${DAWN}\n${DAWN2}\ngradsight: real error\nWarning: keep me\n`;
    const want = 'gradsight: real error\nWarning: keep me\n';
    expect(filtered([text])).toBe(want);
    for (let cut = 1; cut < text.length; cut += 7) expect(filtered([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toBe(want);
    expect(filtered([...text])).toBe(want); // one character at a time
  });

  it('forwards a progress bar (\\r, no newline) at once', () => {
    let out = '';
    const f = new NoiseFilter((s) => (out += s));
    f.push('\rsaliency ███░░ 3/5 ETA 1s  ');
    expect(out).toBe('\rsaliency ███░░ 3/5 ETA 1s  ');
    f.push('\rsaliency █████ 5/5 ETA 0s  ');
    expect(out.endsWith('5/5 ETA 0s  ')).toBe(true);
    f.push('\n');
    f.end();
    expect(out).toBe('\rsaliency ███░░ 3/5 ETA 1s  \rsaliency █████ 5/5 ETA 0s  \n');
  });

  it('holds a partial line only while it could still be noise', () => {
    let out = '';
    const f = new NoiseFilter((s) => (out += s));
    f.push('Warn');
    expect(out).toBe('');
    f.push('ing: unrelated');
    expect(out).toBe('');
    f.push(' text\n');
    expect(out).toBe('Warning: unrelated text\n');
    f.push('Wa');
    f.push('X');
    expect(out).toBe('Warning: unrelated text\nWaX');
    f.end();
  });
});

describe('commands print nothing on stderr in normal use', () => {
  let CLI = '';
  let cache = '';
  beforeAll(() => {
    CLI = privateCli();
    cache = mkdtempSync(join(tmpdir(), 'gradsight-quiet-'));
  });
  afterAll(() => {
    rmSync(CLI, { force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  it('doctor and predict: stdout as usual, stderr empty; errors still reach stderr', async () => {
    const env = { GRADSIGHT_CACHE: cache };
    const doctor = await spawnCli(CLI, ['doctor'], { env, timeoutMs: 240_000 });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^WebGPU adapter: /m);
    expect(doctor.stderr).toBe('');
    const p = await spawnCli(CLI, ['predict', '--image', join(SAMPLES, '00_958.png'), '--top', '1'], { env, timeoutMs: 240_000 });
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/958\s+hay/);
    expect(p.stderr).toBe('');
    const bad = await spawnCli(CLI, ['predict', '--image', join(SAMPLES, 'nope.png')], { env, timeoutMs: 240_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gradsight predict: image not found: .*nope\.png\n$/);
  }, 800_000);
});
