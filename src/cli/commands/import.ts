// `gradsight import`: convert a weights file (.pth, .onnx, .safetensors) into the safetensors cache.
import { statSync } from 'node:fs';
import { importToCache } from '../../weights/node.js';
import { UsageError, parse, str, type Command } from '../args.js';
import { checkWritable, guardOutputs } from '../output.js';

export const importCommand: Command = {
  name: 'import',
  summary: "check a weights file against SqueezeNet 1.1 and store it as the user's default (safetensors)",
  usage: '<weights.pth|.onnx|.safetensors> [--out <file>]',
  gpu: false,
  options: {
    out: { type: 'string', arg: '<file>', help: 'where to write (default: ~/.cache/gradsight/squeezenet1_1.safetensors, $GRADSIGHT_CACHE moves the folder)' },
  },
  async run(argv) {
    const { values, positionals } = parse('import', argv, this.options, 1);
    if (positionals.length !== 1) throw new UsageError('gradsight import: give exactly one weights file (.pth, .onnx or .safetensors)');
    const [src] = positionals;
    let st;
    try {
      st = statSync(src);
    } catch {
      throw new UsageError(`gradsight import: weights file not found: ${src}`);
    }
    if (!st.isFile()) throw new UsageError(`gradsight import: ${src} is not a file`);
    const out = str(values.out);
    if (out !== undefined) {
      checkWritable('import', 'out', out);
      guardOutputs('import', [{ flag: 'out', path: out }], [src]);
    }
    const t0 = performance.now();
    let r;
    try {
      r = importToCache(src, out);
    } catch (e) {
      throw new UsageError(`gradsight import: ${(e as Error).message}`);
    }
    console.log(`imported ${src} → ${r.out} (${r.tensors} tensors, ${r.parameters.toLocaleString('en-US')} parameters, ${(performance.now() - t0).toFixed(0)} ms)`);
    if (r.extras.length) console.log(`note: ${r.extras.length} extra tensor(s) ignored: ${r.extras.join(', ')}`);
  },
};
