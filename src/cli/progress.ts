// A progress bar on a terminal (stderr); silent when stderr is piped or --json is given.
export class Progress {
  private start = Date.now();
  readonly enabled: boolean;
  private lastDraw = 0;
  private shown = 0;
  private closed = false;
  constructor(private label: string, private total: number, quiet = false) {
    this.enabled = !quiet && (!!process.stderr.isTTY || process.env.GRADSIGHT_STDERR_TTY === '1'); // the latter: behind quiet.ts's filter
  }

  update(done: number, extra = ''): void {
    if (!this.enabled || this.closed) return;
    this.shown = Math.max(this.shown, done);
    const now = Date.now();
    if (done < this.total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const frac = this.total ? Math.min(1, done / this.total) : 1;
    const fill = Math.round(frac * width);
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : 0;
    const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
    process.stderr.write(`\r${this.label} ${bar} ${done}/${this.total}${extra ? ` ${extra}` : ''} ETA ${eta.toFixed(0)}s  `);
  }

  /**
   * Step `done` has been queued: advance to it once `finished()` resolves, i.e. once the GPU has finished the
   * work queued so far (pass context.ts's gpuDone). The bar then counts finished work, not queued work, at the
   * cost of one submit and one wait per step, made only when the bar is shown. Never moves backwards.
   */
  follow(finished: () => Promise<unknown>, done: number, extra = ''): void {
    if (!this.enabled) return;
    finished().then(
      () => {
        if (done > this.shown) this.update(done, extra);
      },
      () => {}, // the error surfaces where the work is awaited
    );
  }

  /** End the bar's line; later updates (a wait that resolves after the result) are ignored. */
  done(): void {
    if (this.enabled && !this.closed) process.stderr.write('\n');
    this.closed = true;
  }
}
