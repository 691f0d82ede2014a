#!/usr/bin/env node
// Benchmarks (never part of `npm test`):  npm run bench -- <which> [options]
//   kernels   each SqueezeNet 1.1 conv shape at 224×224 (forward, input gradient, weight gradient), the max-pools,
//             the global average pool and a fire concat: ms, GFLOP/s, GB/s (GPU timestamps where available)
//   model     forward at batch 1, 5, 25 (ms, images/s) and weight import time per file format
//   viz       saliency per method, fooling and class visualization ms per iteration
//   peers     gradsight bench's workloads against TensorFlow.js (WebGPU, same adapter) and PyTorch (CPU)
//   browser   gradsight vs tfjs-webgpu, jax-js and ONNX Runtime Web in one headless Chromium page (SwiftShader)
//   cli       `gradsight bench` itself (options passed through: --batch N --runs R --json ...)
// Builds dist/ first when it is missing or older than the sources. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './common.mjs';

const WHICH = ['kernels', 'model', 'viz', 'peers', 'browser', 'cli'];
const [which, ...argv] = process.argv.slice(2);

const USAGE = `usage: npm run bench -- <${WHICH.join('|')}> [options]   (add --help after the name for its options)`;

if (!which || which === '--help' || which === '-h') {
  console.log(USAGE);
  process.exit(which ? 0 : 2);
}
if (!WHICH.includes(which)) {
  console.error(`bench: unknown benchmark '${which}'\n${USAGE}`);
  process.exit(2);
}

let code = 0;
try {
  if (which === 'cli') {
    ensureBuilt({ needCli: true });
    code = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'bench', ...argv], { stdio: 'inherit' }).status ?? 1;
  } else {
    const mod = await import(`./${which}.mjs`);
    await mod.run(argv);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  }
} catch (e) {
  const msg = e.message.startsWith(`bench ${which}:`) ? e.message : `bench ${which}: ${e.message}`;
  console.error(`${msg}${process.env.GRADSIGHT_DEBUG ? `\n${e.stack}` : ''}`);
  code = 1;
}
// Dawn keeps the process alive while a device exists: leave once stdout is flushed.
process.stdout.write('', () => process.exit(code));
