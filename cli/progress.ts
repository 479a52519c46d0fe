// One progress line on stderr for long work: rewritten in place on a terminal, a line per 10% otherwise.
export class ProgressLine {
  private lastPct = -1;
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;
  private readonly start = Date.now();
  constructor(
    private readonly label: string,
    private readonly quiet = false,
  ) {}

  update(fraction: number, detail = ''): void {
    // Work that finishes within a second needs no progress report.
    if (this.quiet || Date.now() - this.start < 1000) return;
    const pct = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
    const now = Date.now();
    if (this.tty) {
      if (pct === this.lastPct && now - this.lastDraw < 200) return;
      const bar = '#'.repeat(Math.round(pct / 5)).padEnd(20, '.');
      process.stderr.write(`\r${this.label} [${bar}] ${String(pct).padStart(3)}% ${detail}`.padEnd(79));
    } else if (Math.floor(pct / 10) > Math.floor(this.lastPct / 10)) {
      process.stderr.write(`${this.label} ${pct}% ${detail}\n`);
    }
    this.lastPct = pct;
    this.lastDraw = now;
  }

  /** A line of its own (a notice during the work), not rewritten by the bar. */
  note(line: string): void {
    if (this.tty && this.lastPct >= 0) process.stderr.write('\n');
    process.stderr.write(line + '\n');
    this.lastPct = this.tty ? -1 : this.lastPct;
  }

  done(detail = ''): void {
    if (this.quiet || this.lastPct < 0) return;
    if (this.tty) process.stderr.write(`\r${this.label} [${'#'.repeat(20)}] 100% ${detail}`.padEnd(79) + '\n');
    else if (this.lastPct < 100) process.stderr.write(`${this.label} 100% ${detail}\n`);
  }
}
