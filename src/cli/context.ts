// What the commands share: the package root, one GPU device per process (with the remembered conv tiles), the
// model from the weights the CLI resolves, and batch helpers (logits in chunks, the classes to explain).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Device, keep, tidy, type Tensor } from '../core.js';
import { SqueezeNet } from '../nn/squeezenet.js';
import type { StateDict } from '../state_dict.js';
import { resolveClass } from '../nn/classes.js';
import { argmaxRows } from '../viz/common.js';
import { importSqueezeNet } from '../weights/index.js';
import { resolveWeightsPath } from '../weights/node.js';
import { UsageError } from './args.js';
import type { InputBatch } from './inputs.js';
import { loadTuning } from './tuning.js';

/** The package root (dist/cli.js → ..): samples/, weights/, dist/web/. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let device: Device | null = null;
/** Where the conv tiles come from: the built-in defaults or the tuning cache (see tuning.ts). */
let tiles = 'defaults';

export async function getDevice(): Promise<Device> {
  if (!device) {
    device = await Device.create();
    tiles = loadTuning(device);
  }
  return device;
}

export function tilesSource(): string {
  return tiles;
}

/** Release the device (Dawn keeps Node alive while it exists). */
export function releaseDevice(): void {
  try {
    device?.destroy();
  } catch {
    /* already lost */
  }
  device = null;
}

/** resolveWeightsPath, with "no such file" / "no weights found" as usage errors (exit 2). */
export function weightsPath(flag: string | undefined, root = ROOT): string {
  try {
    return resolveWeightsPath({ flag, env: process.env, repoRoot: root });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function loadModelWeights(flag: string | undefined, root = ROOT): StateDict {
  const path = weightsPath(flag, root);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`cannot read weights file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return importSqueezeNet(bytes, path).dict;
  } catch (e) {
    throw new UsageError(`cannot load weights file ${path}: ${(e as Error).message.replace(`${path}: `, '')}`);
  }
}

export async function getModel(weights?: unknown): Promise<SqueezeNet> {
  const dict = loadModelWeights(typeof weights === 'string' ? weights : undefined);
  return SqueezeNet.fromStateDict(await getDevice(), dict);
}

/** A class option (index or name), or null when absent; a bad one is a usage error naming the flag. */
export function classArg(cmd: string, v: unknown, flag: string): number | null {
  if (v === undefined) return null;
  try {
    return resolveClass(String(v));
  } catch (e) {
    throw new UsageError(`gradsight ${cmd}: ${flag}: ${(e as Error).message}`);
  }
}

export function batchTensor(d: Device, b: InputBatch): Tensor {
  return keep(d.tensor(b.data, b.shape));
}

const CHUNK = 25;

/** Logits for the whole batch, in chunks of 25. */
export async function logitsOf(model: SqueezeNet, d: Device, b: InputBatch): Promise<Float32Array> {
  const [n, c, h, w] = b.shape;
  const out = new Float32Array(n * model.numClasses);
  for (let s = 0; s < n; s += CHUNK) {
    const e = Math.min(n, s + CHUNK);
    const t = tidy(() => model.logits(d.tensor(b.data.subarray(s * c * h * w, e * c * h * w), [e - s, c, h, w])));
    out.set(await t.toArray(), s * model.numClasses);
    t.dispose();
  }
  return out;
}

/** The class to explain per image: `given` (--class), else the labels the inputs carry, else the predictions. */
export async function classesFor(model: SqueezeNet, d: Device, b: InputBatch, given: number | null): Promise<number[]> {
  if (given !== null) return b.names.map(() => given);
  if (b.labels.every((l) => l !== null)) return b.labels as number[];
  const pred = argmaxRows(await logitsOf(model, d, b), b.shape[0], model.numClasses);
  return b.labels.map((l, i) => l ?? pred[i]);
}

/**
 * A wait for the GPU work queued so far, for Progress.follow: one tiny dispatch and a 4-byte read-back, recorded
 * now (in queue order after the step just queued), so it resolves when that step has finished even though the
 * algorithm goes on queueing the next ones. (Device.sync would wait from the next await on, i.e. for everything
 * queued by then.)
 */
export function gpuDone(d: Device): () => Promise<unknown> {
  return () => {
    const t = d.zeros([1]);
    return t.toArray().finally(() => t.dispose());
  };
}
