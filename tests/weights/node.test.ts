// Node-side weight handling: which file is used, the safetensors cache, and the download's hash check
// (with an injected fetch; nothing touches the network).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveWeights, resolveWeightsPath, importToCache, downloadTorchvision, checkSha256Prefix, packageRoot } from '../../src/weights/node.js';
import { importSqueezeNet } from '../../src/weights/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { FIXTURES, REPO, TINY, expectTiny, fixture } from './fixtures.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'gradsight-weights-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake package root <tmp>/<name>/repo with optional embedded default, and a user cache dir <tmp>/<name>/cache. */
function layout(name: string, { embedded = false, cache = false } = {}): { repo: string; env: Record<string, string> } {
  const repo = join(tmp, name, 'repo');
  const cacheDir = join(tmp, name, 'cache');
  mkdirSync(join(repo, 'weights'), { recursive: true });
  if (embedded) writeFileSync(join(repo, 'weights', 'squeezenet1_1.safetensors'), 'x');
  if (cache) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, 'squeezenet1_1.safetensors'), 'x');
  }
  // A ../shared beside the fake repo must never be used.
  mkdirSync(join(tmp, name, 'shared', 'weights'), { recursive: true });
  writeFileSync(join(tmp, name, 'shared', 'weights', 'squeezenet1_1.pth'), 'x');
  return { repo, env: { GRADSIGHT_CACHE: cacheDir } };
}

describe('resolveWeights', () => {
  const tinyPth = join(FIXTURES, 'tiny.pth');

  it('prefers the flag, then GRADSIGHT_WEIGHTS, then the user cache, then the embedded default', () => {
    const { repo, env } = layout('all', { embedded: true, cache: true });
    const withVar = { ...env, GRADSIGHT_WEIGHTS: join(FIXTURES, 'tiny-legacy.pth') };
    expect(resolveWeights({ flag: tinyPth, env: withVar, repoRoot: repo })).toEqual({ path: tinyPth, source: 'flag' });
    expect(resolveWeights({ env: withVar, repoRoot: repo })).toEqual({ path: withVar.GRADSIGHT_WEIGHTS, source: 'env' });
    expect(resolveWeights({ env, repoRoot: repo })).toEqual({ path: join(env.GRADSIGHT_CACHE, 'squeezenet1_1.safetensors'), source: 'cache' });
    const embeddedOnly = layout('embedded-only', { embedded: true });
    expect(resolveWeights({ env: embeddedOnly.env, repoRoot: embeddedOnly.repo })).toEqual({ path: join(embeddedOnly.repo, 'weights', 'squeezenet1_1.safetensors'), source: 'default' });
  });

  it('resolves to the embedded default in this repository', () => {
    const r = resolveWeights({ env: { GRADSIGHT_CACHE: join(tmp, 'empty-cache') }, repoRoot: REPO });
    expect(r).toEqual({ path: join(REPO, 'weights', 'squeezenet1_1.safetensors'), source: 'default' });
    expect(existsSync(r.path)).toBe(true);
  });

  it('says how to get weights when there are none (and never reaches for ../shared)', () => {
    const { repo, env } = layout('none');
    expect(() => resolveWeightsPath({ env, repoRoot: repo })).toThrow(/run `gradsight weights download`.*or pass --weights/);
  });

  it('never falls back silently from a flag or variable naming a missing file', () => {
    const { repo, env } = layout('missing', { embedded: true, cache: true });
    expect(() => resolveWeightsPath({ flag: 'nope.pth', env, repoRoot: repo })).toThrow('--weights nope.pth: no such file');
    expect(() => resolveWeightsPath({ env: { ...env, GRADSIGHT_WEIGHTS: '/nope.onnx' }, repoRoot: repo })).toThrow('GRADSIGHT_WEIGHTS=/nope.onnx: no such file');
  });

  it('finds the package root from the module location', () => {
    expect(packageRoot()).toBe(REPO);
  });
});

describe('importToCache', () => {
  it('converts a .pth into safetensors that import to the same values', () => {
    const out = join(tmp, 'cache', 'weights', 'squeezenet1_1.safetensors');
    const r = importToCache(join(FIXTURES, 'tiny-old.pth'), out, TINY);
    expect(r.out).toBe(out);
    expect(r.format).toBe('pth-legacy');
    const back = importSqueezeNet(new Uint8Array(readFileSync(out)), 'cache', TINY);
    expect(back.format).toBe('safetensors');
    expect(expectTiny(back.dict)).toEqual([]);
    expect(readdirSync(join(tmp, 'cache', 'weights'))).toEqual(['squeezenet1_1.safetensors']); // no temp file left
  });
});

describe('Node Buffers', () => {
  it('decodes files read as Node Buffers (whose slice() is a view into a shared pool)', () => {
    // readFileSync gives small files a Buffer at a non-zero offset in a pooled ArrayBuffer.
    for (const f of ['tiny.pth', 'tiny-old.pth', 'tiny-frombytes.pth', 'tiny.onnx', 'tiny-halfs.safetensors']) {
      const buf = readFileSync(join(FIXTURES, f));
      expect(expectTiny(importSqueezeNet(buf, f, TINY).dict), f).toEqual([]);
    }
    const npy = Buffer.from(writeNpy(new Float32Array([1.5, -2, 3]), [3])); // a small Buffer: pooled
    const arr = readNpy(npy);
    expect(Array.from(arr.data as Float32Array)).toEqual([1.5, -2, 3]);
  });
});

describe('importToCache: validation', () => {

  it('writes nothing when the file does not validate', () => {
    const out = join(tmp, 'bad', 'x.safetensors');
    expect(() => importToCache(join(FIXTURES, 'tiny-wrongshape.pth'), out, TINY)).toThrow(/wrong shape/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('downloadTorchvision', () => {
  const body = fixture('tiny-legacy.pth');
  const digest = createHash('sha256').update(body).digest('hex');
  const fakeFetch = (bytes: Uint8Array, status = 200) => async (url: string) => {
    fakeFetch.urls.push(url);
    return { ok: status === 200, status, statusText: status === 200 ? 'OK' : 'Not Found', arrayBuffer: async () => bytes.slice().buffer };
  };
  fakeFetch.urls = [] as string[];

  it('checks the SHA-256 prefix of the bytes', () => {
    expect(checkSha256Prefix(body, digest.slice(0, 8), 'x')).toBe(digest);
    expect(() => checkSha256Prefix(body, 'b8a52dc0', 'download')).toThrow(`download: SHA-256 is ${digest}, expected a digest starting with b8a52dc0`);
  });

  it('refuses a download whose hash does not start with b8a52dc0 and writes nothing', async () => {
    const out = join(tmp, 'dl1', 'w.safetensors');
    await expect(downloadTorchvision({ fetch: fakeFetch(body), out, manifest: TINY })).rejects.toThrow(/squeezenet1_1-b8a52dc0\.pth: SHA-256 is [0-9a-f]{64}, expected a digest starting with b8a52dc0/);
    expect(fakeFetch.urls.at(-1)).toBe('https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth');
    expect(existsSync(out)).toBe(false);
  });

  it('imports a download whose hash matches into the cache', async () => {
    const out = join(tmp, 'dl2', 'w.safetensors');
    const log: string[] = [];
    const r = await downloadTorchvision({ fetch: fakeFetch(body), out, manifest: TINY, sha256Prefix: digest.slice(0, 8), log: (m) => log.push(m) });
    expect(r.sha256).toBe(digest);
    expect(r.tensors).toBe(10);
    expect(log.length).toBe(3);
    expect(expectTiny(importSqueezeNet(new Uint8Array(readFileSync(out)), 'w', TINY).dict)).toEqual([]);
  });

  it('reports HTTP errors and writes nothing', async () => {
    const out = join(tmp, 'dl3', 'w');
    await expect(downloadTorchvision({ fetch: fakeFetch(body, 404), out })).rejects.toThrow(/download https:\/\/download\.pytorch\.org\/models\/squeezenet1_1-b8a52dc0\.pth failed: HTTP 404 Not Found; nothing was written/);
    expect(existsSync(out)).toBe(false);
  });

  it('says clearly when there is no network, and writes nothing', async () => {
    const out = join(tmp, 'dl4', 'w');
    const offline = async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }); };
    await expect(downloadTorchvision({ fetch: offline, out })).rejects.toThrow(/failed: ENOTFOUND; nothing was written .*pass --weights/);
    const cut = async () => ({ ok: true, status: 200, arrayBuffer: async () => { throw new Error('terminated'); } });
    await expect(downloadTorchvision({ fetch: cut, out })).rejects.toThrow(/failed: terminated; nothing was written/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(tmp, 'dl4'))).toBe(false);
  });
});
