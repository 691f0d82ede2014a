// `gradsight weights download | path`: fetch torchvision's squeezenet1_1 into the cache / show which file is used.
import { downloadTorchvision } from '../../weights/node.js';
import { UsageError, parse, str, type Command } from '../args.js';
import { weightsPath } from '../context.js';
import { WEIGHTS_OPTION } from './common.js';

export const weights: Command = {
  name: 'weights',
  summary: "download: fetch torchvision's squeezenet1_1 and import it; path: show which weights file is used",
  usage: 'download | path [--weights <file>]',
  gpu: false,
  options: { weights: { ...WEIGHTS_OPTION, help: `path: ${WEIGHTS_OPTION.help}` } },
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'download') {
      parse('weights download', rest, {});
      const r = await downloadTorchvision({ log: (m: string) => console.error(m) });
      console.log(`downloaded and imported torchvision's squeezenet1_1 → ${r.out}`);
      return;
    }
    if (sub === 'path') {
      const { values } = parse('weights path', rest, this.options);
      console.log(weightsPath(str(values.weights)));
      return;
    }
    throw new UsageError(`gradsight weights: expected 'download' or 'path'; got '${sub ?? ''}'`);
  },
};
