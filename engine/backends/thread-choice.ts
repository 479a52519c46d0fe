// Whether a second kernel thread pays off on the machine the engine runs on, measured rather than
// predicted: the hand-over between threads costs differently on every CPU (on a 2-core EPYC VM, COBA
// with 4000 exponential-Euler neurons steps slower on two threads than on one, which the cost weights
// measured elsewhere said would gain). The backend alternates blocks of steps on two threads and on one
// (their results are bit-identical) and keeps the faster. A first, untimed block on two threads warms
// the code: the kernel thread's WebAssembly tiers up later than the main thread's, and timed cold it
// looked ten times slower than it runs.

export interface ThreadChoiceOptions {
  /** Steps of the warm-up block, on two threads, not timed (default 300). */
  warmupSteps?: number;
  /** Steps per timed block (default 50). */
  blockSteps?: number;
  /** Timed blocks of each kind after the warm-up block (default 3). */
  blocks?: number;
  /** Two threads are kept only when their median block is at least this much faster (default 5%). */
  margin?: number;
}

/** The choice made, with the median step time measured on each side (µs). */
export interface ThreadChoiceMade {
  threads: 1 | 2;
  oneUs: number;
  twoUs: number;
}

export class ThreadChoice {
  readonly blockSteps: number;
  readonly warmupSteps: number;
  private readonly blocks: number;
  private readonly margin: number;
  /** Blocks measured so far, the warm-up first. */
  private done = 0;
  private readonly times: Record<1 | 2, number[]> = { 1: [], 2: [] };
  private chosen: 1 | 2 | null = null;

  constructor(o: ThreadChoiceOptions = {}) {
    this.blockSteps = o.blockSteps ?? 50;
    this.warmupSteps = o.warmupSteps ?? 300;
    this.blocks = o.blocks ?? 3;
    this.margin = o.margin ?? 0.05;
  }

  /** Threads for the next block: two for the warm-up, then one and two in turn; the choice once made. */
  next(): 1 | 2 {
    if (this.chosen) return this.chosen;
    return this.done === 0 || this.done % 2 === 0 ? 2 : 1;
  }

  /** Steps of the next block: the warm-up's, then blockSteps. */
  nextSteps(): number {
    return this.done === 0 ? this.warmupSteps : this.blockSteps;
  }

  /** Steps until the choice is made, from the start. */
  get totalSteps(): number {
    return this.warmupSteps + 2 * this.blocks * this.blockSteps;
  }

  /** The choice, once every block is measured (null until then). */
  get decision(): 1 | 2 | null {
    return this.chosen;
  }

  /** Records the block just run on `threads` threads, which took `ms`. */
  record(threads: 1 | 2, ms: number): void {
    if (this.chosen) return;
    if (this.done > 0) this.times[threads].push(ms);
    this.done++;
    if (this.times[1].length >= this.blocks && this.times[2].length >= this.blocks)
      this.chosen = median(this.times[2]) <= median(this.times[1]) * (1 - this.margin) ? 2 : 1;
  }

  /** What was measured, for a log line: the median block time of each, per step (µs). */
  summary(): { one: number; two: number } {
    const perStep = (xs: number[]) => (median(xs) * 1000) / this.blockSteps;
    return { one: perStep(this.times[1]), two: perStep(this.times[2]) };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1] : Infinity;
}
