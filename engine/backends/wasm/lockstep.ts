// Steps run in lockstep by the main thread and the kernel thread: each runs its share of every step
// of a batch on its own, and the two meet once a step, after the neuron updates, when both halves'
// spikes are known. A batch of commands per meeting (threads.ts `run`) costs the main thread writing
// every call's arguments and the thread reading them, twice a step: at dt 0.1 ms with a few thousand
// neurons that hand-over was a third of the step. Here the thread is told its share once (a plan,
// sent when the network or a population's constants change) and a batch says only which steps to run.
//
// After the meeting each thread propagates into its own half of the targets and goes on to its next
// update, which reads only its own half: neither waits for the other's propagation. The spike lists
// and counts of a step are kept by the step's parity, so that a thread a step ahead writes the other
// pair while the slower one still reads this step's (it cannot get further ahead: it would need the
// other's arrival at the next meeting). Plasticity changes the weights the kernel thread's propagation
// reads: with plastic projections the threads also meet after the propagation.
//
// A share: the populations' upper parts it advances (the kernel thread only), then its rows of every
// projection, for the spikes of the lower and the upper part of the source in turn (the order of the
// merged spike list, so every target sums its inputs in the same order as on one thread), then its
// part of the delay rings. What changes from step to step (spike counts, ring slots) is computed here.
import { BARRIER, ABORT, FAILED, STOP, SPIN_MS, MAIN_MEETING_SLEEPS, THREAD_MEETING_SLEEPS, countSlot } from './protocol.js';
import type { LockstepPlan, PlannedPropagation, ShareWork } from './protocol.js';

type Kernel = (...args: number[]) => unknown;

/** The kernels a share calls besides the populations' generated steps (kernels.as.ts). */
export interface ShareKernels {
  propagate: Kernel;
  propagateDelayed: Kernel;
  drain: Kernel;
}

function propagateList(k: ShareKernels, p: PlannedPropagation, a: number[], spikes: number, n: number, count: number): void {
  if (p.delayed) {
    k.propagateDelayed(spikes, count, a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], n % p.ringLen, a[13]);
    return;
  }
  const dest = p.delaySteps === 0 ? p.direct : p.ring + ((n + p.delaySteps) % p.ringLen) * p.slotBytes;
  k.propagate(spikes, count, a[2], a[3], a[4], a[5], a[6], dest);
}

/** A share's propagation and ring draining in step n, after both parts' spike counts are in `counts`. */
export function runShare(k: ShareKernels, share: ShareWork, n: number, counts: Int32Array): void {
  const parity = n & 1;
  for (const p of share.propagations) {
    const lo = counts[countSlot('lo', parity, p.q)];
    if (lo > 0) propagateList(k, p, p.lo, p.loSpikes[parity], n, lo);
    if (p.hi) {
      const hi = counts[countSlot('hi', parity, p.q)];
      if (hi > 0) propagateList(k, p, p.hi, p.hiSpikes[parity], n, hi);
    }
  }
  for (const d of share.drains) k.drain(d.ring, (n % d.ringLen) * d.size + d.from, d.dest, d.count);
}

/** Thrown on the kernel thread when the main thread gave up on the batch (it threw): the thread goes back to waiting. */
export class BatchAborted extends Error {}

/**
 * The two threads' meeting point within a batch: each arrival adds one to BARRIER, and a side waits
 * until the other has arrived as often. Busy-waits (meetings are microseconds apart), then sleeps
 * where the thread may block; the arriving side wakes a sleeper only when it says it sleeps.
 */
export class Barrier {
  private target = 0;
  /** This side's flag while it sleeps, and the other side's. */
  private readonly sleeps: number;
  private readonly otherSleeps: number;

  constructor(
    private readonly control: Int32Array,
    private readonly mayBlock: boolean,
    /** The kernel thread's side: the main thread may abort the batch. The main thread's: the kernel thread may fail. */
    private readonly side: 'main' | 'thread',
  ) {
    this.sleeps = side === 'main' ? MAIN_MEETING_SLEEPS : THREAD_MEETING_SLEEPS;
    this.otherSleeps = side === 'main' ? THREAD_MEETING_SLEEPS : MAIN_MEETING_SLEEPS;
  }

  /** Before a batch: no meeting yet (the main thread zeroes BARRIER before it hands the batch over). */
  begin(): void {
    this.target = 0;
  }

  arrive(): void {
    const c = this.control;
    this.target += 2;
    Atomics.add(c, BARRIER, 1);
    if (Atomics.load(c, this.otherSleeps) !== 0) Atomics.notify(c, BARRIER);
    const started = performance.now();
    for (let spins = 0; ; spins++) {
      const seen = Atomics.load(c, BARRIER);
      if (seen >= this.target) return;
      if ((spins & 255) !== 255) continue;
      this.check();
      const waited = performance.now() - started;
      if (waited > 10_000)
        throw new Error(`flux kernel threads: the ${this.side === 'main' ? 'kernel' : 'main'} thread did not meet within 10 s`);
      if (waited > SPIN_MS && this.mayBlock) {
        // The flag before the check: either the other side sees it, or this load sees its arrival.
        Atomics.store(c, this.sleeps, 1);
        if (Atomics.load(c, BARRIER) === seen) Atomics.wait(c, BARRIER, seen, 1);
        Atomics.store(c, this.sleeps, 0);
      }
    }
  }

  private check(): void {
    const c = this.control;
    if (this.side === 'main') {
      if (Atomics.load(c, FAILED) !== 0) throw new Error('flux kernel thread failed (see the error above)');
    } else if (Atomics.load(c, ABORT) !== 0 || Atomics.load(c, STOP) !== 0) throw new BatchAborted('the main thread gave up on the batch');
  }
}

/** The kernel thread's side of a batch: `steps` steps from step n0 (`updates`: the plan's, bound, by step parity). */
export function runThreadShare(
  k: ShareKernels,
  plan: LockstepPlan,
  updates: [(() => number)[], (() => number)[]],
  counts: Int32Array,
  barrier: Barrier,
  n0: number,
  steps: number,
): void {
  barrier.begin();
  for (let s = 0; s < steps; s++) {
    const n = n0 + s;
    const parity = n & 1;
    const calls = updates[parity];
    for (let u = 0; u < calls.length; u++) counts[countSlot('hi', parity, plan.updates[u].q)] = calls[u]();
    barrier.arrive();
    runShare(k, plan, n, counts);
    if (plan.meetAfterPropagation) barrier.arrive();
  }
}
