// Node-only weight file handling: where the weights come from, converting a file into the safetensors
// cache, and downloading torchvision's squeezenet1_1. Not part of the browser bundle (src/index.ts must not
// import this module).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { importSqueezeNet, writeSafetensors, SQUEEZENET1_1, type ImportResult, type Manifest } from './index.js';

/** The default weights embedded in the repository and the package (converted by scripts/embed_weights.mjs). */
export const DEFAULT_RELATIVE = 'weights/squeezenet1_1.safetensors';
/** The user's imported cache, under $GRADSIGHT_CACHE or ~/.cache/gradsight. */
export const CACHE_FILE = 'squeezenet1_1.safetensors';
export const TORCHVISION_URL = 'https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth';
export const TORCHVISION_SHA256_PREFIX = 'b8a52dc0';

/** The package root: the nearest directory above this module with a package.json (src/weights → repo, dist → package). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..', '..');
    dir = up;
  }
}

export type WeightsSource = 'flag' | 'env' | 'cache' | 'default';

/** The user's cache directory: $GRADSIGHT_CACHE, else ~/.cache/gradsight (shared with the conv tuning cache). */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.GRADSIGHT_CACHE || join(homedir(), '.cache', 'gradsight');
}

/** Where `gradsight import` and `gradsight weights download` write the user's imported weights. */
export function userCachePath(env: Record<string, string | undefined> = process.env): string {
  return join(cacheDir(env), CACHE_FILE);
}

export interface ResolveOptions {
  /** The --weights flag. */
  flag?: string;
  env?: Record<string, string | undefined>;
  repoRoot?: string;
}

/**
 * Which weights file to use, in order: the --weights flag; $GRADSIGHT_WEIGHTS; the user's imported cache
 * ($GRADSIGHT_CACHE or ~/.cache/gradsight)/squeezenet1_1.safetensors; the default embedded in the package,
 * weights/squeezenet1_1.safetensors. A flag or variable naming a missing file is an error (no silent
 * fallback); nothing found (a package without its weights/) is an error saying how to get weights.
 */
export function resolveWeights({ flag, env = process.env, repoRoot = packageRoot() }: ResolveOptions = {}): { path: string; source: WeightsSource } {
  if (flag) {
    const path = resolve(flag);
    if (!existsSync(path)) throw new Error(`--weights ${flag}: no such file`);
    return { path, source: 'flag' };
  }
  const fromEnv = env.GRADSIGHT_WEIGHTS;
  if (fromEnv) {
    const path = resolve(fromEnv);
    if (!existsSync(path)) throw new Error(`GRADSIGHT_WEIGHTS=${fromEnv}: no such file`);
    return { path, source: 'env' };
  }
  const cache = userCachePath(env);
  if (existsSync(cache)) return { path: cache, source: 'cache' };
  const embedded = join(repoRoot, DEFAULT_RELATIVE);
  if (existsSync(embedded)) return { path: embedded, source: 'default' };
  throw new Error(
    `no SqueezeNet weights found (the package's ${DEFAULT_RELATIVE} is missing): run \`gradsight weights download\` (fetches torchvision's squeezenet1_1 into ${cache}), ` +
    'or pass --weights <file.pth|.onnx|.safetensors> (or set GRADSIGHT_WEIGHTS)',
  );
}

/** resolveWeights' path. */
export function resolveWeightsPath(opts: ResolveOptions = {}): string {
  return resolveWeights(opts).path;
}

export interface CacheResult extends ImportResult {
  /** The safetensors file written. */
  out: string;
  /** Number of tensors written. */
  tensors: number;
  /** SHA-256 of the source file. */
  sha256: string;
}

function writeCache(bytes: Uint8Array, source: string, out: string, manifest: Manifest): CacheResult {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const result = importSqueezeNet(bytes, basename(source), manifest);
  const file = writeSafetensors(result.dict, {
    format: 'pt',
    model: manifest.model,
    source: basename(source),
    source_format: result.format,
    source_sha256: sha256,
  });
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, file);
  renameSync(tmp, out); // never leave a half-written cache
  return { ...result, out, tensors: result.dict.size, sha256 };
}

/**
 * Convert any supported weights file into the safetensors cache (default: userCachePath()). The file is
 * validated first; nothing is written when it does not pass.
 */
export function importToCache(file: string, out?: string, manifest: Manifest = SQUEEZENET1_1): CacheResult {
  return writeCache(readFileSync(file), file, out ?? userCachePath(), manifest);
}

/** Throw unless the SHA-256 hex digest of `bytes` starts with `prefix` (torchvision's file-name convention). */
export function checkSha256Prefix(bytes: Uint8Array, prefix: string, what: string): string {
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (!digest.startsWith(prefix.toLowerCase())) {
    throw new Error(`${what}: SHA-256 is ${digest}, expected a digest starting with ${prefix} (corrupt or wrong download); nothing was written`);
  }
  return digest;
}

export interface DownloadOptions {
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; statusText?: string; arrayBuffer(): Promise<ArrayBuffer> }>;
  url?: string;
  sha256Prefix?: string;
  out?: string;
  manifest?: Manifest;
  /** Progress messages. */
  log?: (message: string) => void;
}

/** Fetch torchvision's squeezenet1_1 weights, check the hash, and import them into the cache. */
export async function downloadTorchvision(opts: DownloadOptions = {}): Promise<CacheResult> {
  const url = opts.url ?? TORCHVISION_URL;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const log = opts.log ?? (() => {});
  log(`downloading ${url}`);
  const failed = (why: string) => new Error(`download ${url} failed: ${why}; nothing was written (the weights in use are unchanged: pass --weights <file> or \`gradsight import <file>\` where there is no network)`);
  let bytes: Uint8Array;
  try {
    const res = await doFetch(url);
    if (!res.ok) throw failed(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    if ((e as Error).message.startsWith(`download ${url} failed`)) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw failed(cause?.code ?? cause?.message ?? (e as Error).message);
  }
  const prefix = opts.sha256Prefix ?? TORCHVISION_SHA256_PREFIX;
  checkSha256Prefix(bytes, prefix, `download ${url}`);
  log(`${bytes.length} bytes, SHA-256 starts with ${prefix} as expected`);
  const out = opts.out ?? userCachePath();
  const r = writeCache(bytes, url.slice(url.lastIndexOf('/') + 1), out, opts.manifest ?? SQUEEZENET1_1);
  log(`imported ${r.format} file (${r.parameters} parameters) into ${out}`);
  return r;
}
