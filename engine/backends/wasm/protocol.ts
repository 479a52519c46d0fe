// Slots of the control block shared by the main thread and a kernel thread.
/** Incremented (wrapping at 2^31) by the main thread to hand over a batch of commands. */
export const SEQ = 0;
/** Set by the kernel thread to the SEQ it has finished. */
export const DONE = 1;
/** Set when the kernel thread failed (at start-up or in a command). */
export const FAILED = 2;
/** Non-zero: the kernel thread exits at the next SEQ. */
export const STOP = 3;
/**
 * Set while the kernel thread (WORKER_SLEEPS) or the main thread (MAIN_SLEEPS) sleeps in
 * Atomics.wait: the other side calls Atomics.notify, which costs a lock, only then.
 */
export const WORKER_SLEEPS = 4;
export const MAIN_SLEEPS = 5;
/** How many generated modules the main thread has sent (the kernel thread instantiates them before its next batch). */
export const MODULES = 6;
/**
 * Lockstep batches (lockstep.ts): arrivals at the meeting point; set when the main thread gave up on
 * the batch; set while the main thread, or the kernel thread, sleeps at the meeting point (one flag
 * each: with one shared flag, a side waking late cleared the flag of the other, which then slept its
 * full timeout unwoken).
 */
export const BARRIER = 7;
export const ABORT = 8;
export const MAIN_MEETING_SLEEPS = 9;
export const THREAD_MEETING_SLEEPS = 10;
export const CONTROL_SLOTS = 11;
/** Populations a kernel thread can count spikes for (slots of `results` per part and step parity). */
export const MAX_POPULATIONS = 4096;
/**
 * The slot of `results` holding a population's spike count: of its upper part (the kernel thread's)
 * or its lower part (the main thread's, or the whole population when it runs there), in a step of
 * parity `parity` (lockstep batches keep two steps' counts: the kernel thread may be a step ahead).
 * Batches of calls use the upper part's slots of parity 0.
 */
export const countSlot = (part: 'hi' | 'lo', parity: number, q: number): number =>
  (part === 'lo' ? 2 * MAX_POPULATIONS : 0) + parity * MAX_POPULATIONS + q;
export const RESULT_SLOTS = 4 * MAX_POPULATIONS;
/** commands[0] of a lockstep batch (otherwise the count of calls): commands[1] is its first step, commands[2] its steps. */
export const LOCKSTEP_BATCH = -1;
/** The most arguments one kernel call takes. */
export const MAX_ARGS = 48;
/**
 * How long a side busy-waits for the other before sleeping in Atomics.wait. Hand-overs within a
 * step take microseconds; between calls to step() (a robot loop waiting for its next tick) the
 * kernel thread goes to sleep after this long instead of holding a core.
 */
export const SPIN_MS = 0.1;

/** What the main thread starts a kernel thread with (threads.ts, read by worker.ts). */
export interface KernelThreadData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
  commands: Float64Array;
  results: Int32Array;
  names: string[];
  setup: [string, number[]][];
}

/** A generated module to instantiate (or, without one, a slot to release): threads.ts load/unload. */
export interface ModuleMessage {
  module?: WebAssembly.Module;
  expTable?: number;
  index: number;
}

/** The kernel thread's share of lockstep batches from now on (threads.ts sendPlan). */
export interface PlanMessage {
  plan: LockstepPlan;
}

/** What the thread tells the main thread, once: it started (or could not). */
export type ThreadStarted = { ready: true } | { ready: false; message: string };

/** How long the main thread waits for a kernel thread to start (ms). */
export const START_TIMEOUT_MS = 10_000;

// ---- lockstep batches (lockstep.ts) ----

/**
 * One thread's rows of one projection (CpuBackend.propagateArgs' layout; its spike list, count and
 * step-dependent entries filled per step).
 */
export interface PlannedPropagation {
  delayed: boolean;
  /** The source population's slot (countSlot). */
  q: number;
  /** Arguments for the lower part's spike list (its first, the list, is loSpikes[parity]). */
  lo: number[];
  /**
   * Arguments for the upper part's (the kernel thread's) spike list, hiSpikes[parity]: null when the
   * thread does not advance part of the source.
   */
  hi: number[] | null;
  /** Byte offsets of the lower and upper parts' spike lists, by step parity. */
  loSpikes: [number, number];
  hiSpikes: [number, number];
  /** Uniform delay: the destination is `direct` for 0 steps, else slot (n + delaySteps) mod ringLen of the ring. */
  delaySteps: number;
  ring: number;
  ringLen: number;
  /** Bytes per ring slot (a row of the target's neurons). */
  slotBytes: number;
  direct: number;
}

/** One thread's part of a population's delay ring of one channel, drained into the channel at the end of the step. */
export interface PlannedDrain {
  ring: number;
  ringLen: number;
  size: number;
  from: number;
  dest: number;
  count: number;
}

export interface ShareWork {
  propagations: PlannedPropagation[];
  drains: PlannedDrain[];
  /**
   * Whether the threads meet again after the propagation (plasticity changes the weights after it,
   * and the kernel thread's propagation must be done); otherwise once a step, after the updates.
   */
  meetAfterPropagation: boolean;
}

/** What the kernel thread runs in every step of a lockstep batch (sent once, in a message). */
export interface LockstepPlan extends ShareWork {
  /**
   * The populations' upper parts: the thread's generated function, the population's slot, the
   * arguments by step parity (their spike lists differ).
   */
  updates: { fn: number; q: number; args: [number[], number[]] }[];
}
