// vitest global setup: build dist/ (library + CLI) once so the CLI tests run the real bundle.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, ['build.mjs'], { cwd: resolve(__dirname, '..', '..'), stdio: 'inherit' });
}
