// gradsight command line: parses the command name and dispatches to src/cli/commands/<name>.ts. Also the global
// help and version, the stderr filter for commands that open a GPU device, and the exit codes: 0 success,
// 2 a usage error (`gradsight <cmd>: ...`), 1 anything else (`gradsight <cmd>: error: ...`).
import { NoAdapterError } from '../core.js';
import { UsageError, commandHelp, type Command } from './args.js';
import { runFiltered, wantsFilter } from './quiet.js';
import { releaseDevice } from './context.js';
import { predict } from './commands/predict.js';
import { saliencyCommand } from './commands/saliency.js';
import { fool } from './commands/fool.js';
import { classviz } from './commands/classviz.js';
import { trace } from './commands/trace.js';
import { importCommand } from './commands/import.js';
import { weights } from './commands/weights.js';
import { doctor } from './commands/doctor.js';
import { bench } from './commands/bench.js';
import { tune } from './commands/tune.js';
import { serve } from './commands/serve.js';
import { gallery } from './commands/gallery.js';
import { WEIGHTS_NOTE } from './commands/common.js';

export const COMMANDS: readonly Command[] = [predict, saliencyCommand, fool, classviz, trace, importCommand, weights, doctor, bench, tune, serve, gallery];

const VERSION = '0.1.0';

const HELP = [
  'gradsight — tensors and autodiff on WebGPU; SqueezeNet 1.1 network visualization',
  '',
  'Usage: gradsight <command> [options]',
  '',
  ...COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`),
  '',
  "`gradsight <command> --help` lists the command's options with their defaults.",
  WEIGHTS_NOTE,
].join('\n');

async function main(): Promise<number> {
  const [name, ...argv] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return 0;
  }
  if (name === '--version') {
    console.log(`gradsight ${VERSION}`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`gradsight: unknown command '${name}'\n\n${HELP}`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(commandHelp(cmd));
    return 0;
  }
  // Commands that open a GPU device run behind a filter for Dawn's stderr noise (src/cli/quiet.ts).
  if (cmd.gpu && wantsFilter()) return runFiltered();
  try {
    await cmd.run(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const err = e as Error;
    // One prefix naming the command (many messages already start with `gradsight <cmd>:`).
    const body = err.message.replace(/^gradsight [^:]*: /, '');
    if (err instanceof UsageError || err instanceof NoAdapterError) console.error(`gradsight ${name}: ${body}`);
    else console.error(`gradsight ${name}: error: ${body}${process.env.GRADSIGHT_DEBUG ? `\n${err.stack}` : ''}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

const code = await main();
// Dawn keeps Node alive while the device exists: release it and leave explicitly once output is flushed.
releaseDevice();
process.stdout.write('', () => process.exit(code));
