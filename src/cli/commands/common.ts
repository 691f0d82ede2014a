// Options and output conventions shared by the commands that run the model.
import type { OptionSpec } from '../args.js';

export const IMAGE_OPTION: OptionSpec = {
  type: 'string', variadic: true, arg: '<file>',
  help: 'input images: PNG/JPEG files, folders, x.npz selections (x.npz:3, x.npz:0-4) or a float32 (N, 3, H, W) .npy; several after one --image (a shell glob) or --image again, all used in order',
};
export const WEIGHTS_OPTION: OptionSpec = {
  type: 'string', arg: '<file>',
  help: 'weights (.pth, .onnx, .safetensors); else $GRADSIGHT_WEIGHTS, else the imported cache, else the embedded default',
};
export const JSON_OPTION: OptionSpec = { type: 'boolean', help: 'print one JSON document on stdout (no progress bar)' };

export const WEIGHTS_NOTE = 'Weights: --weights <file>, else $GRADSIGHT_WEIGHTS, else the file `gradsight import` wrote to ~/.cache/gradsight ($GRADSIGHT_CACHE), else the embedded weights/squeezenet1_1.safetensors.';

/** A class in the JSON output: its id and name side by side, `<key>` and `<key>Name` (class/className, target/targetName, ...). */
export function top(list: { index: number; value: number }[], className: (i: number) => string): { class: number; className: string; prob: number }[] {
  return list.map((t) => ({ class: t.index, className: className(t.index), prob: t.value }));
}
