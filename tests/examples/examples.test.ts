// The examples/ scripts and the README's library example run as plain Node ESM against the built package
// (`gradsight` → dist/index.js, built by the global setup), with few steps so they stay quick.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeImage } from '../../src/image/decode.js';

const ROOT = resolve(__dirname, '..', '..');

/** Run node with these arguments in the repository root (asynchronously: the test worker stays responsive). */
function node(args: string[]): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      ok({ status, out, err });
    });
  });
}

function pngSize(path: string): [number, number] {
  const img = decodeImage(new Uint8Array(readFileSync(path)), path);
  return [img.width, img.height];
}

/** The first ```js block of a README section. */
export function readmeBlock(section: string): string {
  const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = md.indexOf(`\n## ${section}\n`);
  expect(at, `README has no '## ${section}' section`).toBeGreaterThanOrEqual(0);
  const m = /```js\n([\s\S]*?)```/.exec(md.slice(at));
  expect(m, `no \`\`\`js block under '## ${section}'`).not.toBeNull();
  return m![1];
}

describe('examples/', () => {
  const out = mkdtempSync(join(tmpdir(), 'gradsight-examples-'));
  const sample = join(ROOT, 'samples', '00_958.png');

  it('the sample image and weights the examples default to are in the repo', () => {
    expect(existsSync(sample)).toBe(true);
    expect(existsSync(join(ROOT, 'weights', 'squeezenet1_1.safetensors'))).toBe(true);
  });

  it('gradcheck.mjs: autodiff agrees with finite differences', async () => {
    const r = await node(['examples/gradcheck.mjs', '--checks', '6']);
    expect(r.status, r.err).toBe(0);
    expect(r.out.match(/rel\. error/g)?.length).toBe(6);
    expect(r.out).toMatch(/worst relative error .* gradients agree/);
  });

  it('saliency.mjs on an image file: top-1 and an overlay PNG', async () => {
    const png = join(out, 's.png');
    const r = await node(['examples/saliency.mjs', sample, '--out', png]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/^top-1: 958 hay \(p 0\.9\d\d\)$/m);
    expect(r.out).toMatch(/vanilla saliency for class 958 \(hay\): max \d\.\d\de-\d+ →/);
    expect(pngSize(png)).toEqual([224, 224]);
  });

  it('fooling.mjs: two steps towards stingray', async () => {
    const png = join(out, 'f.png');
    const r = await node(['examples/fooling.mjs', sample, '--target', '6', '--max-iter', '2', '--out', png]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/(not )?fooled after [12] iteration\(s\): predicted \d+ .*, p\(stingray\) \d\.\d{3}, change L∞ \d+\.\d\d \/ 255/);
    expect(pngSize(png)).toEqual([224, 224]);
  });

  it('classviz.mjs: three iterations of tarantula', async () => {
    const png = join(out, 'c.png');
    const r = await node(['examples/classviz.mjs', '--target', '76', '--iterations', '3', '--out', png]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/class 76 \(tarantula\): final score -?\d+\.\d\d/);
    expect(pngSize(png)).toEqual([224, 224]);
    rmSync(out, { recursive: true, force: true });
  });
});

describe('README', () => {
  it("the library example runs as plain JavaScript (node --input-type=module)", async () => {
    const code = readmeBlock('The library');
    expect(code).toMatch(/from 'gradsight'/);
    const r = await node(['--input-type=module', '-e', code]);
    expect(r.status, r.err).toBe(0);
    // x.shape, the loss and the first gradient values (relu'd conv of ones with 0.1 weights, 3×3 max pools)
    expect(r.out).toMatch(/^\[ 1, 3, 8, 8 \] \d+(\.\d+)? Float32Array\(4\) \[/m);
  });
});
