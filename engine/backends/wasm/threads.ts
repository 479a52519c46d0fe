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
} from './protocol.js';
import type { KernelThreadData, ModuleMessage, ThreadStarted } from './protocol.js';

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

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[], setup: [string, number[]][], capacity = 1 << 16) {
    this.commands = new Float64Array(new SharedArrayBuffer(capacity * 8));
    this.results = new Int32Array(new SharedArrayBuffer(4096 * 4));
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
    // Checked before the batch is handed over: a page's thread that has not started would run it later,
    // beside whatever this thread does by then.
    if (!this.running && !host().canBlock())
      throw new Error('the kernel thread has not started yet: in a page, build the engine with Engine.create, which waits for it');
    this.commands[0] = this.count;
    // The control block is 32-bit: wrap as it does, or a long run stops matching after 2^31 batches.
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.control, SEQ, this.seq);
    if (Atomics.load(this.control, WORKER_SLEEPS) !== 0) Atomics.notify(this.control, SEQ);
    try {
      local();
    } finally {
      this.wait();
      this.at = 1;
      this.count = 0;
    }
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
