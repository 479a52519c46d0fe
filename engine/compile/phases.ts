// A projection is wired as a plan: a generator that yields phases (a task over a number of blocks)
// and reads back each thread's result. One plan, two drivers: runPlan here runs every phase on the
// caller's thread; wiring-pool.ts shares each phase's blocks among worker threads. Both give the same
// network because every block draws from its own stream.
import { blockStream, runTask, type Task, type TaskContext } from './wiring-tasks.js';

export interface Phase {
  /** Blocks to run (rows, columns or synapses, as the task counts them). */
  units: number;
  /** The task for the thread that runs blocks [lo, hi). */
  task: (lo: number, hi: number) => Task;
  /** The part of the projection's work this phase is, as fractions [from, to] (for progress lines). */
  span: readonly [number, number];
}

/** What one thread's range gave back, in block order. */
export interface RangeResult {
  lo: number;
  hi: number;
  value: ReturnType<typeof runTask>;
}

export type Plan<T> = Generator<Phase, T, RangeResult[]>;

type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array;

export interface TypedCtor<T extends Typed> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

export type Alloc = <T extends Typed>(ctor: TypedCtor<T>, length: number) => T;

/**
 * Where a plan's arrays live: plain memory on one thread, shared memory for workers, or the CPU
 * backend's WebAssembly memory (shared too), so the wired network is already where the kernels read
 * it and is never copied. `scratch` holds what the plan drops when it is done.
 */
export interface WiringMemory {
  result: Alloc;
  scratch: Alloc;
  /** Gives back a result array the plan did not keep. */
  release: (view: Typed) => void;
}

const plainAlloc: Alloc = (ctor, length) => new ctor(length);
const sharedAlloc: Alloc = (ctor, length) => new ctor(new SharedArrayBuffer(length * ctor.BYTES_PER_ELEMENT), 0, length);

export const PLAIN_MEMORY: WiringMemory = { result: plainAlloc, scratch: plainAlloc, release: () => undefined };
export const SHARED_MEMORY: WiringMemory = { result: sharedAlloc, scratch: sharedAlloc, release: () => undefined };

/** A plan whose phases report progress within [from, to] of the caller's span. */
export function* within<T>(plan: Plan<T>, from: number, to: number): Plan<T> {
  let r = plan.next();
  while (!r.done) {
    const p = r.value;
    let results: RangeResult[];
    try {
      results = yield { ...p, span: [from + (to - from) * p.span[0], from + (to - from) * p.span[1]] };
    } catch (e) {
      r = plan.throw(e);
      continue;
    }
    r = plan.next(results);
  }
  return r.value;
}

/** Runs every phase of a plan on this thread. `rngFor` replaces the block streams (tests count draws). */
export function runPlan<T>(plan: Plan<T>, options: { progress?: (f: number) => void; rngFor?: TaskContext['rngFor'] } = {}): T {
  const ctx: TaskContext = { store: new Map(), rngFor: options.rngFor ?? blockStream };
  let r = plan.next();
  while (!r.done) {
    const { units, task, span } = r.value;
    const progress = options.progress;
    let results: RangeResult[];
    try {
      const tick = progress && ((done: number) => progress(span[0] + ((span[1] - span[0]) * done) / units));
      results = units > 0 ? [{ lo: 0, hi: units, value: runTask(task(0, units), 0, units, { ...ctx, tick }) }] : [];
    } catch (e) {
      r = plan.throw(e);
      continue;
    }
    r = plan.next(results);
  }
  return r.value;
}
