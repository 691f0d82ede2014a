// The built CLI for the CLI tests.
import { spawnSync } from 'node:child_process';
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
