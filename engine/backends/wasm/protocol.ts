// Slots of the control block shared by the main thread and a kernel thread.
/** Incremented by the main thread to hand over a batch of commands. */
export const SEQ = 0;
/** Set by the kernel thread to the SEQ it has finished. */
export const DONE = 1;
/** Set when a command threw in the kernel thread. */
export const FAILED = 2;
/** Non-zero: the kernel thread exits at the next SEQ. */
export const STOP = 3;
export const CONTROL_SLOTS = 4;
/** Busy-wait iterations before falling back to Atomics.wait (about 10-50 us). */
export const SPIN_LIMIT = 1_000_000;
