// The main thread's side of a kernel thread: batches of kernel calls are written into shared
// memory, the thread runs them while the main thread runs its own share, then both meet.
// One step needs two such meetings (neuron updates; propagation and delay rings), so the
// hand-over is a busy-wait of a few microseconds rather than a message.
import { host, type HostWorker } from '../../platform/host.js';
import {
  SEQ,
  DONE,
  FAILED,
  STOP,
  CONTROL_SLOTS,
  SPIN_MS,
  WORKER_SLEEPS,
  MAIN_SLEEPS,
  MODULES,
  MAX_ARGS,
  START_TIMEOUT_MS,
  BARRIER,
  ABORT,
  RESULT_SLOTS,
  LOCKSTEP_BATCH,
} from './protocol.js';
import type { KernelThreadData, LockstepPlan, ModuleMessage, PlanMessage, ThreadStarted } from './protocol.js';
import { Barrier } from './lockstep.js';

export class KernelThread {
  private readonly worker: HostWorker;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  private readonly commands: Float64Array;
  readonly results: Int32Array;
  private readonly fnIndex: Map<string, number>;
  /** Settles once the thread has started or could not (see whenStarted). */
  private readonly started: Promise<void>;
  /** Whether the thread said it started (a page's main thread may not hand it a batch before). */
  private running = false;
  private giveUp: (e: Error) => void = () => undefined;
  private nextSlot: number;
  private readonly freeSlots: number[] = [];
  private at = 1;
  private count = 0;
  private seq = 0;
  private readonly barrier: Barrier;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[], setup: [string, number[]][], capacity = 1 << 16) {
    this.commands = new Float64Array(new SharedArrayBuffer(capacity * 8));
    this.results = new Int32Array(new SharedArrayBuffer(RESULT_SLOTS * 4));
    this.barrier = new Barrier(this.control, host().canBlock(), 'main');
    this.fnIndex = new Map(names.map((n, i) => [n, i]));
    this.nextSlot = names.length;
    const data: KernelThreadData = { module, memory, control: this.control, commands: this.commands, results: this.results, names, setup };
    this.worker = host().startWorker('kernel-thread', data);
    this.started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`flux kernel thread did not start within ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
      this.giveUp = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.worker.onMessage((m) => {
        clearTimeout(timer);
        const s = m as ThreadStarted;
        if (s.ready) {
          this.running = true;
          resolve();
        } else reject(new Error(`flux kernel thread could not start: ${s.message}`));
      });
      this.worker.onError((e) => {
        Atomics.store(this.control, FAILED, 1);
        console.error('flux kernel thread failed:', e);
        this.giveUp(e);
      });
    });
    // The engine decides when the process ends, not an idle kernel thread: unref'd once it has said
    // how it started (Node refs a worker again when a message listener is added; before the answer,
    // an await of whenStarted() may be all that keeps the process running). Whoever does not wait
    // for the start learns of a failure from the next batch instead.
    const settled = () => this.worker.unref();
    this.started.then(settled, settled);
  }

  /**
   * Resolves once the thread runs (rejects when it could not start, within 10 s). A page's worker
   * starts only after the page yields to its event loop, so a page awaits this before the first step
   * (Engine.create does); Node's starts on its own, and a batch handed over before simply waits.
   */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /**
   * Sends a generated neuron module (codegen-wasm.ts) to the thread, which instantiates it over the
   * shared memory before its next batch; its step is then called by the returned name.
   */
  load(module: WebAssembly.Module, expTable: number): string {
    // A slot a released module left, else a new one: a long run of edits does not grow the tables.
    const index = this.freeSlots.pop() ?? this.nextSlot++;
    const name = `generated:${index}`;
    this.worker.postMessage({ module, expTable, index } satisfies ModuleMessage);
    this.fnIndex.set(name, index);
    Atomics.add(this.control, MODULES, 1);
    return name;
  }

  /** Releases a module sent with `load` (the population it served was rebuilt or removed). */
  unload(name: string): void {
    const index = this.fnIndex.get(name);
    if (index === undefined || !name.startsWith('generated:')) return;
    this.fnIndex.delete(name);
    this.worker.postMessage({ index } satisfies ModuleMessage);
    Atomics.add(this.control, MODULES, 1);
    this.freeSlots.push(index);
  }

  /** The thread's index of a kernel or a loaded module's step (the `fn` of a lockstep plan's updates). */
  indexOf(name: string): number {
    const i = this.fnIndex.get(name);
    if (i === undefined) throw new Error(`internal: no kernel ${name} on the kernel thread`);
    return i;
  }

  /**
   * The thread's share of every lockstep batch from now on (lockstep.ts). Sent like a module: the
   * thread takes it before its next batch, after the modules sent before it.
   */
  sendPlan(plan: LockstepPlan): void {
    this.worker.postMessage({ plan } satisfies PlanMessage);
    Atomics.add(this.control, MODULES, 1);
  }

  /**
   * Runs `steps` steps from step n0 in lockstep: the thread runs its plan's share of each, and this
   * thread `local`, which must call `barrier.arrive()` as often as the thread does (after the updates,
   * and after the propagation when the plan says so). If `local` throws, the thread is told to give
   * up the batch.
   */
  lockstep(n0: number, steps: number, local: (barrier: Barrier) => void): void {
    this.mayHandOver();
    if (this.count !== 0) throw new Error('internal: kernel calls are queued before a lockstep batch');
    const c = this.commands;
    c[0] = LOCKSTEP_BATCH;
    c[1] = n0;
    c[2] = steps;
    Atomics.store(this.control, BARRIER, 0);
    Atomics.store(this.control, ABORT, 0);
    this.handOver();
    this.barrier.begin();
    try {
      local(this.barrier);
    } catch (e) {
      Atomics.store(this.control, ABORT, 1);
      throw e;
    } finally {
      this.wait();
    }
  }

  /** Queues a kernel call; its return value lands in results[slot] (slot -1: discarded). */
  call(name: string, slot: number, args: number[]): void {
    if (args.length > MAX_ARGS) throw new Error(`kernel ${name}: at most ${MAX_ARGS} arguments`);
    const c = this.commands;
    // A full buffer is run now: the queued calls are independent of this thread's share.
    if (this.at + 3 + args.length > c.length) this.run(() => undefined);
    c[this.at] = this.fnIndex.get(name)!;
    c[this.at + 1] = slot;
    c[this.at + 2] = args.length;
    for (let a = 0; a < args.length; a++) c[this.at + 3 + a] = args[a];
    this.at += 3 + args.length;
    this.count++;
  }

  /** Starts the queued calls on the thread, runs `local` here meanwhile, and waits for the thread. */
  run(local: () => void): void {
    this.mayHandOver();
    this.commands[0] = this.count;
    this.handOver();
    try {
      local();
    } finally {
      this.wait();
      this.at = 1;
      this.count = 0;
    }
  }

  /**
   * Checked before a batch is handed over: a page's thread that has not started would run it later,
   * beside whatever this thread does by then.
   */
  private mayHandOver(): void {
    if (!this.running && !host().canBlock())
      throw new Error('the kernel thread has not started yet: in a page, build the engine with Engine.create, which waits for it');
  }

  private handOver(): void {
    // The control block is 32-bit: wrap as it does, or a long run stops matching after 2^31 batches.
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.control, SEQ, this.seq);
    if (Atomics.load(this.control, WORKER_SLEEPS) !== 0) Atomics.notify(this.control, SEQ);
  }

  private wait(): void {
    const started = performance.now();
    const mayBlock = host().canBlock();
    for (let spins = 0; Atomics.load(this.control, DONE) !== this.seq; spins++) {
      if ((spins & 255) !== 255) continue;
      if (Atomics.load(this.control, FAILED) !== 0) throw new Error('flux kernel thread failed (see the error above)');
      const waited = performance.now() - started;
      if (waited > SPIN_MS && mayBlock) {
        const done = Atomics.load(this.control, DONE);
        Atomics.store(this.control, MAIN_SLEEPS, 1);
        if (Atomics.load(this.control, DONE) === done && done !== this.seq) Atomics.wait(this.control, DONE, done, 100);
        Atomics.store(this.control, MAIN_SLEEPS, 0);
      }
      if (waited > 10_000) throw new Error('flux kernel thread did not answer within 10 s');
    }
    if (Atomics.load(this.control, FAILED) !== 0) throw new Error('flux kernel thread failed (see the error above)');
  }

  dispose(): void {
    Atomics.store(this.control, STOP, 1);
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.control, SEQ, this.seq);
    Atomics.notify(this.control, SEQ);
    this.giveUp(new Error('the kernel thread was disposed before it started'));
    void this.worker.terminate();
  }
}
