// Output files of the CLI (--out, --raw, --frames): checked before any work (the folder exists and is writable,
// the path is not a folder, not one of the inputs), written only once the result is known to be finite, and
// written atomically: to a temporary file in the same folder, then renamed over the target, so a reader never
// sees half a file, a failure leaves the old file as it was, and a hard link or symlink at the target is
// replaced rather than written through.
import { accessSync, constants as fsc, existsSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './args.js';

/** The real path of `p`, or of its folder joined with its name when it does not exist yet. */
export function realTarget(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/** Fail before the work if an output file cannot be written; null when the flag is absent. */
export function checkWritable(cmd: string, flag: string, path: unknown): string | null {
  if (path === undefined) return null;
  if (typeof path !== 'string' || path === '') throw new UsageError(`gradsight ${cmd}: --${flag} needs a file name; got '${String(path)}'`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new UsageError(`gradsight ${cmd}: cannot write --${flag} ${path}: directory ${dir} does not exist`);
  try {
    accessSync(dir, fsc.W_OK);
    if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`gradsight ${cmd}: cannot write --${flag} ${path}: it is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`gradsight ${cmd}: cannot write --${flag} ${path}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  return path;
}

/**
 * Refuse outputs that would replace an input (compared by real path, so `./a.png`, a symlink to it or a path
 * through a symlinked folder all count) or each other.
 */
export function guardOutputs(cmd: string, outputs: { flag: string; path: string | null }[], inputs: readonly string[]): void {
  const ins = new Map(inputs.map((p) => [realTarget(p), p]));
  const seen = new Map<string, string>();
  for (const o of outputs) {
    if (!o.path) continue;
    const real = realTarget(o.path);
    const hit = ins.get(real);
    if (hit !== undefined) throw new UsageError(`gradsight ${cmd}: --${o.flag} ${o.path} is the input ${hit}: refusing to overwrite an input; choose another file`);
    const other = seen.get(real);
    if (other) throw new UsageError(`gradsight ${cmd}: --${o.flag} and --${other} name the same file ${o.path}`);
    seen.set(real, o.flag);
  }
}

/** Write `bytes` to `path` atomically (temporary file in the same folder, then rename). */
export function writeAtomic(flag: string, path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot write --${flag} ${path}: ${(e as Error).message}`);
  }
}

/**
 * Throw a named error when `data` holds a NaN or an infinity: `what` names the result, `names` the images (one
 * per `per` values). Called before anything is written, so a non-finite result leaves no file behind.
 */
export function checkFiniteResult(cmd: string, what: string, data: Float32Array, per: number, names: readonly string[]): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) continue;
    const img = Math.floor(i / per);
    throw new Error(`gradsight ${cmd}: non-finite ${what} for ${names[img] ?? `image ${img}`} (${v} at index ${i - img * per}); nothing was written`);
  }
}
