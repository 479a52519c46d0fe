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
/** Set by the kernel thread once it has started (a page's worker starts only after its page yields). */
export const READY = 7;
export const CONTROL_SLOTS = 8;
/** The most arguments one kernel call takes. */
export const MAX_ARGS = 48;
/**
 * How long a side busy-waits for the other before sleeping in Atomics.wait. Hand-overs within a
 * step take microseconds; between calls to step() (a robot loop waiting for its next tick) the
 * kernel thread goes to sleep after this long instead of holding a core.
 */
export const SPIN_MS = 0.1;
