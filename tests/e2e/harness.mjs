// What the browser test scripts (run.mjs, bench.mjs) share: the repository paths, building dist/ when the
// sources are newer, starting and stopping `gradsight serve --port 0`, and launching headless Chromium with
// WebGPU (SwiftShader without a GPU) in a fresh profile.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'test-results', 'e2e');
export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
export const ONLY = process.env.E2E_ONLY ? new Set(process.env.E2E_ONLY.split(',')) : null;
export const log = (...a) => console.log(...a);
export const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** The newest modification time under `dir` (0 when it does not exist). */
function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Run build.mjs when dist/ is missing or older than src/, shaders/, weights/ or build.mjs; exit 1 if it fails. */
export function buildIfNeeded() {
  const outputs = ['dist/cli.js', 'dist/index.js', 'dist/web/app.js', 'dist/web/index.html', 'dist/web/style.css'].map((p) => join(ROOT, p));
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'shaders')), newest(join(ROOT, 'weights')), statSync(join(ROOT, 'build.mjs')).mtimeMs);
  if (built >= sources) {
    log('build: dist/ is up to date');
    return;
  }
  log('build: node build.mjs');
  const r = spawnSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    log('build failed: cannot run the end-to-end tests');
    log('0 passed, 1 failed');
    process.exit(1);
  }
}

/** `gradsight serve --port 0`; resolves with the child, its URL, port and start-up banner. */
export function startServer() {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'serve', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`gradsight serve printed no URL in 20 s:\n${out}`)), 20000);
    const onData = (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        ok({ child, url: m[0], port: Number(m[1]), banner: out });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`gradsight serve exited with ${code}:\n${out}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves with the exit code or signal. */
export async function stopServer(child) {
  if (child.exitCode !== null) return child.exitCode;
  const done = new Promise((ok) => child.once('exit', (code, sig) => ok(code ?? sig)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  const code = await done;
  clearTimeout(t);
  return code;
}

/** Headless Chromium with WebGPU in the fresh profile folder `userData` (playwright's persistent context). */
export function launchChromium(chromium, userData, options = {}) {
  return chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: process.env.E2E_HEADED !== '1',
    viewport: { width: 1400, height: 900 },
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...options,
  });
}
