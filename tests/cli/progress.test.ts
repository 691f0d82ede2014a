// The progress bar follows finished GPU work (issue 13): a step queued is drawn only once the wait passed to
// follow() resolves, never ahead of it, and never after the bar is done.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { Progress } from '../../src/cli/progress.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function capture(): string[] {
  const out: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => {
    out.push(String(s));
    return true;
  }) as typeof process.stderr.write);
  return out;
}

describe('Progress.follow', () => {
  it('draws a step when its GPU work has finished, not when it was queued', async () => {
    vi.stubEnv('GRADSIGHT_STDERR_TTY', '1');
    const out = capture();
    const bar = new Progress('smoothgrad', 3);
    const waits: (() => void)[] = [];
    const finished = () => new Promise<void>((r) => waits.push(r));
    for (let i = 1; i <= 3; i++) bar.follow(finished, i); // all three queued at once, as SmoothGrad does
    await Promise.resolve();
    expect(out.join('')).toBe(''); // nothing finished yet: nothing drawn (it used to read 3/3 here)
    waits[0]();
    waits[1]();
    await new Promise((r) => setTimeout(r, 0));
    expect(out.join('')).toMatch(/ 1\/3 /); // (2/3 falls within the 100 ms redraw throttle)
    expect(out.join('')).not.toMatch(/3\/3/);
    waits[2]();
    await new Promise((r) => setTimeout(r, 0));
    expect(out[out.length - 1]).toMatch(/ 3\/3 /);
    bar.done();
    const n = out.length;
    bar.update(3); // late: ignored once done
    expect(out.length).toBe(n);
  });

  it('does not wait for the GPU at all when the bar is not shown', () => {
    vi.stubEnv('GRADSIGHT_STDERR_TTY', '');
    const bar = new Progress('x', 5, true);
    let waits = 0;
    bar.follow(() => {
      waits++;
      return Promise.resolve();
    }, 1);
    expect(waits).toBe(0);
  });
});
