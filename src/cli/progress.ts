/**
 * A progress bar on stderr. Silent when stderr is not a terminal or when the command
 * runs with --json, so logs and machine-read output stay clean.
 */
export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  readonly enabled: boolean;

  constructor(private readonly total: number, private label: string, opts: { json?: boolean } = {}) {
    this.enabled = !opts.json && Boolean(process.stderr.isTTY);
  }

  /** Advances by n steps; `info` replaces the trailing text (e.g. the current loss). */
  tick(n = 1, info?: string): void {
    this.done = Math.min(this.total, this.done + n);
    if (info !== undefined) this.label = info;
    const now = Date.now();
    if (this.enabled && (now - this.lastDraw > 100 || this.done === this.total)) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  private draw(now: number): void {
    const width = 28;
    const frac = this.total > 0 ? this.done / this.total : 1;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 ? elapsed * (1 / frac - 1) : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${this.done}/${this.total} ${fmt(elapsed)}<${fmt(eta)} ${this.label}`;
    const cols = process.stderr.columns ?? 100;
    process.stderr.write('\r' + line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length)) + '\x1b[K');
  }

  /** Moves to an absolute position (e.g. a resumed run's step). */
  update(done: number, info?: string): void {
    this.tick(done - this.done, info);
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}

function fmt(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60), r = Math.floor(s % 60);
  return m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
