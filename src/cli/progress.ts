// A progress bar on a terminal (stderr); silent when stderr is piped or --json is given.
export class Progress {
  private start = Date.now();
  private enabled: boolean;
  private lastDraw = 0;
  constructor(private label: string, private total: number, quiet = false) {
    this.enabled = !quiet && (!!process.stderr.isTTY || process.env.GRADSIGHT_STDERR_TTY === '1'); // the latter: behind quiet.ts's filter
  }
  update(done: number, extra = ''): void {
    if (!this.enabled) return;
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
  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
