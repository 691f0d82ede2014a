// Dawn, the native WebGPU behind Node's `webgpu` package, prints some warnings with fprintf straight to file
// descriptor 2 while it enumerates adapters (on lavapipe: "Warning: maxDynamicUniformBuffersPerPipelineLayout
// artificially reduced from 1000000 to 16 ..."). They describe Dawn's own limit clamping, not a fault, yet
// users read them as one. No Dawn setting silences them and Node cannot redirect its own descriptor 2, so
// the commands that open a GPU device run in a child process whose stderr passes through this filter:
// every byte goes through as it comes (progress bars included), except whole lines that are known Dawn noise.
import { spawn } from 'node:child_process';

/** Whole stderr lines that are Dawn's informational noise (anchored: nothing else is ever dropped). */
const DAWN_NOISE = [
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];

export function isDawnNoise(line: string): boolean {
  return DAWN_NOISE.some((re) => re.test(line));
}

const PREFIX = 'Warning: ';

/**
 * A line filter that forwards text as soon as it can no longer be noise: a partial line is held back only
 * while it could still become a noise line (it is a prefix of, or starts with, "Warning: ").
 */
export class NoiseFilter {
  private pending = '';
  private passing = false; // the current line has been forwarded in part already

  constructor(private readonly write: (s: string) => void) {}

  push(chunk: string): void {
    let text = chunk;
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      const line = this.pending + text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.passing) this.write(`${line}\n`);
      else if (!isDawnNoise(line)) this.write(`${line}\n`);
      this.pending = '';
      this.passing = false;
    }
    if (!text) return;
    if (this.passing) {
      this.write(text);
      return;
    }
    this.pending += text;
    const p = this.pending;
    const couldBeNoise = p.startsWith(PREFIX) || PREFIX.startsWith(p);
    if (!couldBeNoise) {
      this.write(p);
      this.pending = '';
      this.passing = true;
    }
  }

  end(): void {
    if (this.pending && !isDawnNoise(this.pending)) this.write(this.pending);
    this.pending = '';
  }
}

/** Set in the child so that it does not spawn again. */
export const FILTERED_ENV = 'GRADSIGHT_STDERR_FILTERED';

/** True when this process should re-run itself behind the filter (Node, not yet filtered, not disabled). */
export function wantsFilter(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[FILTERED_ENV] !== '1' && env.GRADSIGHT_RAW_STDERR !== '1';
}

/** Run this same command in a child process with stderr filtered; resolves to its exit code. */
export function runFiltered(): Promise<number> {
  return new Promise((resolveCode) => {
    const env = { ...process.env, [FILTERED_ENV]: '1', GRADSIGHT_STDERR_TTY: process.stderr.isTTY ? '1' : '' };
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'pipe'], env });
    const filter = new NoiseFilter((s) => process.stderr.write(s));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => filter.push(s));
    // A terminal's Ctrl-C reaches the child too (same process group); a kill of this process is passed on.
    const onInt = () => {};
    const onTerm = () => child.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', (e) => {
      process.stderr.write(`gradsight: cannot start ${process.execPath}: ${e.message}\n`);
      resolveCode(1);
    });
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveCode(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}
