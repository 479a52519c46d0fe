// Whether the control loop's outputs can be trusted, from the ticks it finishes: pure logic on the
// loop's clock, so it is tested on a manual clock.
//
// Unsafe while (a) the loop is recovering from a stall (a gap over the watchdog, seen by the guard
// thread or by the loop itself) until it has run on time for a whole watchdog period again AND a whole
// window measured since the stall keeps the real-time bound (a loop that came back slow must not be
// trusted for the window's first milliseconds), or (b) its real-time factor over the last window is
// below the bound: a loop at 11-230 ticks/s of 1000 after a big live edit computes commands from a
// circuit that no longer keeps up with the robot.

export interface HealthOptions {
  watchdogMs: number;
  periodMs: number;
  /** Simulated time per clock time below this is unsafe (default 0.5). */
  minRealtimeFactor?: number;
  /** The window of that measure (ms of clock; default max(200, 20 periods)). */
  windowMs?: number;
}

export class LoopHealth {
  private recovering: string | null = null;
  /** Clock time since which every tick was on time (while recovering). */
  private onTimeSince: number | null = null;
  /** End times of the ticks in the window, oldest first. */
  private ends: number[] = [];
  /** The window counts only after the loop has run a whole window (since start or recovery). */
  private measuredSince: number | null = null;
  private lastEnd: number | null = null;
  private slow: string | null = null;

  constructor(private options: HealthOptions) {}

  configure(options: Partial<HealthOptions>): void {
    this.options = { ...this.options, ...options };
  }

  private get windowMs(): number {
    return this.options.windowMs ?? Math.max(200, 20 * this.options.periodMs);
  }

  /** The loop (or the guard thread) found a stall: outputs are unsafe until the loop has caught up. */
  stalled(reason: string): void {
    this.recovering = reason;
    this.onTimeSince = null;
    this.ends = [];
    this.measuredSince = null;
  }

  /** A tick finished at `end`; it was due at `due` (both on the loop's clock). */
  tick(due: number, end: number): void {
    const { watchdogMs, periodMs } = this.options;
    if (this.lastEnd !== null && end - this.lastEnd > watchdogMs) this.stalled(`no tick for ${Math.round(end - this.lastEnd)} ms`);
    this.lastEnd = end;
    const onTime = end - due <= Math.max(periodMs, watchdogMs / 2);
    if (this.recovering !== null) {
      if (!onTime) this.onTimeSince = null;
      else if (this.onTimeSince === null) this.onTimeSince = end;
    }
    this.measuredSince ??= end;
    this.ends.push(end);
    const from = end - this.windowMs;
    let drop = 0;
    while (drop < this.ends.length && this.ends[drop] <= from) drop++;
    if (drop) this.ends.splice(0, drop);
    this.slow = null;
    if (end - this.measuredSince >= this.windowMs) {
      const factor = (this.ends.length * periodMs) / this.windowMs;
      const min = this.options.minRealtimeFactor ?? 0.5;
      if (factor < min)
        this.slow = `the loop runs at ${factor.toFixed(2)}x real time over the last ${Math.round(this.windowMs)} ms (below ${min})`;
      if (this.recovering !== null && this.slow === null && this.onTimeSince !== null && end - this.onTimeSince >= watchdogMs) {
        this.recovering = null;
        this.onTimeSince = null;
      }
    }
  }

  /** Why the loop's outputs must not be used now, or null. */
  get unsafe(): string | null {
    if (this.recovering !== null) return `recovering from a stall (${this.recovering})`;
    return this.slow;
  }
}
