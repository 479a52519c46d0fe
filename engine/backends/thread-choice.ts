// Whether a second kernel thread pays off on the machine the engine runs on, measured rather than
// predicted: the hand-over between threads costs differently on every CPU (on a 2-core EPYC VM, COBA
// with 4000 exponential-Euler neurons steps slower on two threads than on one, which the cost weights
// measured elsewhere said would gain). The backend alternates blocks of steps on two threads and on one
// (their results are bit-identical) and keeps the faster. A first, untimed block on two threads warms
// the code: the kernel thread's WebAssembly tiers up later than the main thread's, and timed cold it
// looked ten times slower than it runs.
//
// The first round is measured while V8 still compiles the step's code on background threads, which
// share the cores with the two threads (a compile job that takes a core stalls both threads of a
// step): on a 2-core VM it chose one thread for COBA with 4000 Euler neurons, where two ran a third
// faster once compiled. So the first round's choice holds for a while (recheckAfterSteps), and a second
// round, whose choice is final, measures both again; the kernel thread is kept until then.

export interface ThreadChoiceOptions {
  /** Steps of the warm-up block, on two threads, not timed (default 300). */
  warmupSteps?: number;
  /** Steps per timed block (default 50). */
  blockSteps?: number;
  /** Timed blocks of each kind per round (default 3). */
  blocks?: number;
  /** Two threads are kept only when their median block is at least this much faster (default 5%). */
  margin?: number;
  /** Steps the first round's choice holds before the second round measures again (default 10000; 0: one round). */
  recheckAfterSteps?: number;
}

/**
 * The choice made, with the median step time measured on each side (µs) in the round that made it,
 * and the first round's when there were two.
 */
export interface ThreadChoiceMade {
  threads: 1 | 2;
  oneUs: number;
  twoUs: number;
  first?: { threads: 1 | 2; oneUs: number; twoUs: number };
}

export class ThreadChoice {
  readonly blockSteps: number;
  readonly warmupSteps: number;
  readonly recheckAfterSteps: number;
  private readonly blocks: number;
  private readonly margin: number;
  /** Blocks of this round so far (its warm-up included). */
  private done = 0;
  private round: 1 | 2 = 1;
  /** The first round's choice, while it holds (until the second round starts). */
  private holding: 1 | 2 | null = null;
  private firstRound: ThreadChoiceMade | null = null;
  private times: Record<1 | 2, number[]> = { 1: [], 2: [] };
  private chosen: 1 | 2 | null = null;

  constructor(o: ThreadChoiceOptions = {}) {
    this.blockSteps = o.blockSteps ?? 50;
    this.warmupSteps = o.warmupSteps ?? 300;
    this.blocks = o.blocks ?? 3;
    this.margin = o.margin ?? 0.05;
    this.recheckAfterSteps = o.recheckAfterSteps ?? 10_000;
  }

  /**
   * Whether the next block is untimed: a round's warm-up (two threads, as the round starts: after a
   * hold on one thread the kernel thread's side of the step is cold again), or the first choice holding.
   */
  private get untimed(): boolean {
    return this.done === 0 || this.holding !== null;
  }

  /**
   * Threads for the next block: two for a round's warm-up, then one and two in turn (the first
   * choice while it holds); the choice once made.
   */
  next(): 1 | 2 {
    if (this.chosen) return this.chosen;
    if (this.holding) return this.holding;
    return this.done === 0 ? 2 : (this.done - 1) % 2 === 0 ? 1 : 2;
  }

  /** Steps of the next block: a round's warm-up, the first choice's hold, else blockSteps. */
  nextSteps(): number {
    if (this.holding) return this.recheckAfterSteps;
    return this.done === 0 ? this.warmupSteps : this.blockSteps;
  }

  /** Steps until the choice is made, from the start. */
  get totalSteps(): number {
    const round = this.warmupSteps + 2 * this.blocks * this.blockSteps;
    return round + (this.recheckAfterSteps > 0 ? this.recheckAfterSteps + round : 0);
  }

  /** The final choice, once every block of the last round is measured (null until then). */
  get decision(): 1 | 2 | null {
    return this.chosen;
  }

  /** The first round's choice while the second round has not decided (null before and after). */
  get provisional(): 1 | 2 | null {
    return this.chosen ? null : (this.firstRound?.threads ?? null);
  }

  /** Records the block just run on `threads` threads, which took `ms`. */
  record(threads: 1 | 2, ms: number): void {
    if (this.chosen) return;
    if (this.holding) {
      this.holding = null;
      this.round = 2;
      this.done = 0;
      return;
    }
    if (!this.untimed) this.times[threads].push(ms);
    this.done++;
    if (this.times[1].length < this.blocks || this.times[2].length < this.blocks) return;
    const faster = median(this.times[2]) <= median(this.times[1]) * (1 - this.margin) ? 2 : 1;
    if (this.round === 2 || this.recheckAfterSteps <= 0) {
      this.chosen = faster;
      return;
    }
    const { one, two } = this.perStep();
    this.firstRound = { threads: faster, oneUs: one, twoUs: two };
    this.holding = faster;
    this.times = { 1: [], 2: [] };
  }

  /** What was measured, for a log line: the median block time of each, per step (µs), in the round that made the choice. */
  summary(): { one: number; two: number } {
    return this.perStep();
  }

  /** The first round's choice and measurements, when a second round followed it. */
  get first(): ThreadChoiceMade | null {
    return this.chosen && this.recheckAfterSteps > 0 ? this.firstRound : null;
  }

  private perStep(): { one: number; two: number } {
    const perStep = (xs: number[]) => (median(xs) * 1000) / this.blockSteps;
    return { one: perStep(this.times[1]), two: perStep(this.times[2]) };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1] : Infinity;
}
