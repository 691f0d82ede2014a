// The built CLI for the CLI tests.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './shared.js';

/**
 * A private copy of dist/cli.js for one test file's runs, checked to answer --version: a concurrent test run
 * may rebuild dist/ (tests/setup/build.ts; outputs are renamed into place, but a copy also keeps a file's runs
 * on one bundle). The copy lives in dist/ so `webgpu` and ../shared resolve as for dist/cli.js.
 */
export function privateCli(): string {
  const src = join(ROOT, 'dist', 'cli.js');
  const dst = join(ROOT, 'dist', `cli-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}.js`);
  for (let attempt = 0; attempt < 20; attempt++) {
    if (existsSync(src)) {
      copyFileSync(src, dst);
      const r = spawnSync(process.execPath, [dst, '--version'], { encoding: 'utf8', timeout: 60_000 });
      if (r.status === 0 && /^gradsight \d/.test(r.stdout)) return dst;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // a rebuild is in progress: wait, retry
  }
  throw new Error('dist/cli.js is missing or broken (is a build running?); expected it from tests/setup/build.ts');
}

export interface CliRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr exactly as printed (the CLI filters Dawn's start-up noise itself: src/cli/quiet.ts). */
  stderr: string;
  ms: number;
}

/**
 * Run `cli` (a copy from privateCli) with `args` in the repository root. The environment is the caller's
 * without GRADSIGHT_WEIGHTS (unless `env` sets it) and GRADSIGHT_DEBUG, plus `env`. A run longer than
 * `timeoutMs` is killed and rejected as a hang.
 */
export function spawnCli(cli: string, args: string[], opts: { env?: Record<string, string>; timeoutMs: number }): Promise<CliRun> {
  const extra = opts.env ?? {};
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('GRADSIGHT_WEIGHTS' in extra)) delete env.GRADSIGHT_WEIGHTS;
  delete env.GRADSIGHT_DEBUG;
  return new Promise((done, fail) => {
    const t0 = performance.now();
    // Its own process group, so that a hang kills the GPU child behind the stderr filter too.
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '', hung = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      hung = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (hung) {
        fail(new Error(`gradsight ${args.join(' ')}: did not exit within ${opts.timeoutMs / 1000} s (hang)\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
        return;
      }
      done({ args, code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}
