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
export const CONTROL_SLOTS = 7;
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

/** What the thread tells the main thread, once: it started (or could not). */
export type ThreadStarted = { ready: true } | { ready: false; message: string };

/** How long the main thread waits for a kernel thread to start (ms). */
export const START_TIMEOUT_MS = 10_000;
