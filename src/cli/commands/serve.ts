// `gradsight serve`: the interactive page on http://127.0.0.1 (the server: src/cli/server.ts).
import { resolve } from 'node:path';
import { resolveWeights } from '../../weights/node.js';
import { int, parse, str, type Command } from '../args.js';
import { ROOT } from '../context.js';
import { listSamples, startServer } from '../server.js';
import { WEIGHTS_OPTION } from './common.js';

const PORT = 8080;
const HOST = '127.0.0.1';

export const serve: Command = {
  name: 'serve',
  summary: 'the interactive page on http://127.0.0.1',
  usage: '[options]',
  gpu: false,
  options: {
    port: { type: 'string', arg: '<n>', help: 'port (0: any free port)', def: PORT },
    host: { type: 'string', arg: '<address>', help: 'address to listen on', def: HOST },
    weights: { ...WEIGHTS_OPTION, help: `the weights the page loads: ${WEIGHTS_OPTION.help}` },
  },
  notes: [
    'The server answers only requests for Host 127.0.0.1, localhost or [::1] (or the --host address when it is an IP) with its port; others get 421.',
    'Runs until Ctrl-C (SIGINT) or SIGTERM.',
  ],
  async run(argv) {
    const { values } = parse('serve', argv, this.options);
    const port = int('serve', 'port', values.port, PORT, 0, 65535);
    const host = str(values.host) ?? HOST;
    const flag = str(values.weights);
    const served = await startServer({ root: ROOT, port, host, weightsFlag: flag });
    let w: string;
    try {
      const r = resolveWeights({ flag, env: process.env, repoRoot: ROOT });
      w = `weights: ${r.path} (${r.source})`;
    } catch (e) {
      w = `weights: none on the server (${(e as Error).message.split('\n')[0]}); the page can load a file from disk`;
    }
    const samples = listSamples(resolve(ROOT, 'samples')).length;
    console.log(`gradsight serve: ${served.url}`);
    console.log(`  ${w}`);
    console.log(`  samples: ${samples ? `${samples} images from samples/` : 'none (the package has no samples/); pick or drop your own images'}`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
      console.log('  note: browsers expose WebGPU only in secure contexts (https, or http on localhost/127.0.0.1): over plain http on another address the page will report that WebGPU is missing');
    }
    console.log('  Ctrl-C to stop');
    await new Promise<void>((ok) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        ok();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await served.close();
    console.log('gradsight serve: stopped');
  },
};
