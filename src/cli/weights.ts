// The CLI's weights: resolve which file to use, import it, and the `import` / `weights` commands.
import { readFileSync, statSync } from 'node:fs';
import { importSqueezeNet } from '../weights/index.js';
import { resolveWeightsPath, importToCache, downloadTorchvision } from '../weights/node.js';
import type { StateDict } from '../state_dict.js';
import { parse, UsageError } from './args.js';

/** resolveWeightsPath, with "no such file" / "no weights found" as usage errors (exit 2). */
function weightsPath(flag: string | undefined, root: string): string {
  try {
    return resolveWeightsPath({ flag, env: process.env, repoRoot: root });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function loadModelWeights(flag: string | undefined, root: string): StateDict {
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

export async function importCommand(argv: string[], root: string): Promise<void> {
  const { values, positionals } = parse('import', argv, { out: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('gradsight import: give exactly one weights file (.pth, .onnx or .safetensors)');
  let st;
  try {
    st = statSync(positionals[0]);
  } catch {
    throw new UsageError(`gradsight import: weights file not found: ${positionals[0]}`);
  }
  if (!st.isFile()) throw new UsageError(`gradsight import: ${positionals[0]} is not a file`);
  const t0 = performance.now();
  let r;
  try {
    r = await importToCache(positionals[0], typeof values.out === 'string' ? values.out : undefined);
  } catch (e) {
    // A file the importer refuses (corrupt, hostile, non-finite, another model) is the user's input: exit 2.
    // System errors (writing the cache) and internal faults stay as they are.
    if (e instanceof Error && e.constructor === Error && !(e as NodeJS.ErrnoException).code) throw new UsageError(`gradsight import: ${e.message}`);
    throw e;
  }
  console.log(`imported ${positionals[0]} → ${r.out} (${r.tensors} tensors, ${r.parameters.toLocaleString('en-US')} parameters, ${(performance.now() - t0).toFixed(0)} ms)`);
  if (r.extras.length) console.log(`note: ${r.extras.length} extra tensor(s) ignored: ${r.extras.join(', ')}`);
}

export async function weightsCommand(argv: string[], root: string): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'download') {
    parse('weights download', rest, {});
    const r = await downloadTorchvision({ log: (m: string) => console.error(m) });
    console.log(`downloaded and imported torchvision's squeezenet1_1 → ${r.out}`);
    return;
  }
  if (sub === 'path') {
    const { values } = parse('weights path', rest, { weights: { type: 'string' } });
    console.log(weightsPath(typeof values.weights === 'string' ? values.weights : undefined, root));
    return;
  }
  throw new UsageError(`gradsight weights: expected 'download' or 'path'; got '${sub ?? ''}'`);
}
