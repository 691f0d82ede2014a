// `gradsight <command> --help` (issue 13): every command prints its own usage and every option it parses with
// its default, the defaults being the code's (SmoothGrad 25 samples, IG 32 steps, ...), not retyped.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { privateCli, spawnCli } from '../helpers/cli.js';
import type { Command } from '../../src/cli/args.js';
import { predict } from '../../src/cli/commands/predict.js';
import { saliencyCommand } from '../../src/cli/commands/saliency.js';
import { fool } from '../../src/cli/commands/fool.js';
import { classviz } from '../../src/cli/commands/classviz.js';
import { trace } from '../../src/cli/commands/trace.js';
import { importCommand } from '../../src/cli/commands/import.js';
import { weights } from '../../src/cli/commands/weights.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { bench } from '../../src/cli/commands/bench.js';
import { tune } from '../../src/cli/commands/tune.js';
import { serve } from '../../src/cli/commands/serve.js';
import { gallery } from '../../src/cli/commands/gallery.js';
import { SALIENCY_DEFAULTS } from '../../src/viz/saliency.js';
import { FOOLING_DEFAULTS } from '../../src/viz/fooling.js';
import { CLASSVIZ_DEFAULTS } from '../../src/viz/classviz.js';

const ALL: Command[] = [predict, saliencyCommand, fool, classviz, trace, importCommand, weights, doctor, bench, tune, serve, gallery];

let CLI = '';
beforeAll(() => {
  CLI = privateCli();
});
afterAll(() => {
  if (CLI) rmSync(CLI, { force: true });
});

async function help(args: string[]): Promise<string> {
  const r = await spawnCli(CLI, args, { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

describe('per-command help', () => {
  it('every command lists every option it parses, with its default', async () => {
    expect(ALL.map((c) => c.name).sort()).toEqual(['bench', 'classviz', 'doctor', 'fool', 'gallery', 'import', 'predict', 'saliency', 'serve', 'trace', 'tune', 'weights']);
    const global = await help(['--help']);
    for (const c of ALL) {
      expect(global).toContain(`  ${c.name.padEnd(9)} ${c.summary}`);
      for (const flag of ['--help', '-h']) {
        const out = await help([c.name, flag]);
        expect(out.startsWith(`gradsight ${c.name} — ${c.summary}\n\nUsage: gradsight ${c.name}`), out).toBe(true);
        for (const [name, o] of Object.entries(c.options)) {
          const line = out.split('\n').find((l) => l.startsWith(`  --${name}`));
          expect(line, `${c.name} --${name}`).toBeDefined();
          if (o.def !== undefined) expect(line, `${c.name} --${name} default`).toContain(`(default: ${String(o.def)})`);
        }
      }
    }
  }, 240_000);

  it("the defaults shown are the algorithms' own", async () => {
    const s = await help(['saliency', '--help']);
    expect(s).toContain(`SmoothGrad samples (default: ${SALIENCY_DEFAULTS.smoothgradSamples}) / Integrated Gradients steps (default: ${SALIENCY_DEFAULTS.igSteps})`);
    expect(SALIENCY_DEFAULTS.smoothgradSamples).toBe(25);
    expect(SALIENCY_DEFAULTS.igSteps).toBe(32);
    expect(s).toMatch(new RegExp(`--noise <σ> +SmoothGrad noise .*\\(default: ${SALIENCY_DEFAULTS.noise}\\)`));
    expect(s).toMatch(new RegExp(`--layer <name> +Grad-CAM layer .*\\(default: ${SALIENCY_DEFAULTS.layer.replace('.', '\\.')}\\)`));
    const f = await help(['fool', '--help']);
    expect(f).toMatch(new RegExp(`--max-iter <n> +.*\\(default: ${FOOLING_DEFAULTS.maxIter}\\)`));
    expect(f).toMatch(new RegExp(`--lr <x> +.*\\(default: ${FOOLING_DEFAULTS.lr}\\)`));
    const c = await help(['classviz', '--help']);
    for (const [flag, v] of [['iterations', CLASSVIZ_DEFAULTS.iterations], ['l2', CLASSVIZ_DEFAULTS.l2], ['lr', CLASSVIZ_DEFAULTS.lr], ['blur-every', CLASSVIZ_DEFAULTS.blurEvery], ['blur-sigma', CLASSVIZ_DEFAULTS.blurSigma], ['jitter', CLASSVIZ_DEFAULTS.jitter], ['seed', CLASSVIZ_DEFAULTS.seed]] as const) {
      expect(c).toMatch(new RegExp(`--${flag} <[^>]+> +.*\\(default: ${String(v).replace('.', '\\.')}\\)`));
    }
  }, 120_000);
});
