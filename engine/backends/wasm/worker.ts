// A kernel thread: runs the WebAssembly kernels it is told to, on the shared memory, in lockstep
// with the main thread (see threads.ts for the protocol). It holds no state of its own.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { SEQ, DONE, FAILED, STOP, SPIN_MS, WORKER_SLEEPS, MAIN_SLEEPS, MODULES } from './protocol.js';
import { instantiateStep } from '../../equations/codegen-wasm.js';

const { module, memory, control, commands, results, names, setup, port } = workerData as {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
  commands: Float64Array;
  results: Int32Array;
  names: string[];
  setup: [string, number[]][];
  port: MessagePort;
};

let loaded = 0;
const released = (): number => {
  throw new Error('internal: a released generated module was called');
};

/** Instantiates the generated modules the main thread sent (threads.ts load), and drops released ones, before this batch. */
function loadModules(): void {
  const sent = Atomics.load(control, MODULES);
  const since = performance.now();
  while (loaded < sent) {
    // The message was posted before MODULES was raised; it is in the port's queue or about to be.
    const m = receiveMessageOnPort(port) as { message: { module?: WebAssembly.Module; expTable?: number; index: number } } | undefined;
    if (!m) {
      if (performance.now() - since > 10_000) throw new Error('a generated module announced to the kernel thread never arrived');
      continue;
    }
    const { module: generated, expTable, index } = m.message;
    fns[index] = generated && expTable !== undefined ? instantiateStep(generated, memory, expTable).step : released;
    loaded++;
  }
}

function fail(e: unknown): void {
  console.error('flux kernel thread:', e);
  Atomics.store(control, FAILED, 1);
  Atomics.notify(control, DONE);
}

/** Sleeps until SEQ changes; the flag tells the main thread to wake us (see protocol.ts). */
function sleep(seen: number): void {
  Atomics.store(control, WORKER_SLEEPS, 1);
  // Stored before the check: either the main thread sees the flag, or this load sees its SEQ.
  if (Atomics.load(control, SEQ) === seen) Atomics.wait(control, SEQ, seen, 1000);
  Atomics.store(control, WORKER_SLEEPS, 0);
}

let fns: ((...args: number[]) => number)[] = [];
try {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel abort');
      },
    },
  });
  fns = names.map((n) => instance.exports[n] as (...args: number[]) => number);
  // Module globals (the exp table's address) are per instance: repeat the main thread's setup calls.
  for (const [name, args] of setup) (instance.exports[name] as (...a: number[]) => void)(...args);
} catch (e) {
  fail(e);
}

let seen = 0;
while (Atomics.load(control, FAILED) === 0) {
  const since = performance.now();
  for (let spins = 0; Atomics.load(control, SEQ) === seen; spins++) {
    // Spin briefly (the next batch usually follows within microseconds), then sleep.
    if ((spins & 255) === 255 && performance.now() - since > SPIN_MS) sleep(seen);
  }
  seen = Atomics.load(control, SEQ);
  if (Atomics.load(control, STOP) !== 0) break;
  try {
    if (Atomics.load(control, MODULES) !== loaded) loadModules();
    const count = commands[0];
    let at = 1;
    for (let c = 0; c < count; c++) {
      const fn = fns[commands[at]];
      const slot = commands[at + 1];
      const nargs = commands[at + 2];
      const c_ = commands;
      const b = at + 3;
      // A fixed list of arguments (WebAssembly ignores the extra ones): no array per call.
      const r = fn(
        c_[b],
        c_[b + 1],
        c_[b + 2],
        c_[b + 3],
        c_[b + 4],
        c_[b + 5],
        c_[b + 6],
        c_[b + 7],
        c_[b + 8],
        c_[b + 9],
        c_[b + 10],
        c_[b + 11],
        c_[b + 12],
        c_[b + 13],
        c_[b + 14],
        c_[b + 15],
        c_[b + 16],
        c_[b + 17],
        c_[b + 18],
        c_[b + 19],
        c_[b + 20],
        c_[b + 21],
        c_[b + 22],
        c_[b + 23],
        c_[b + 24],
        c_[b + 25],
        c_[b + 26],
        c_[b + 27],
        c_[b + 28],
        c_[b + 29],
        c_[b + 30],
        c_[b + 31],
        c_[b + 32],
        c_[b + 33],
        c_[b + 34],
        c_[b + 35],
        c_[b + 36],
        c_[b + 37],
        c_[b + 38],
        c_[b + 39],
        c_[b + 40],
        c_[b + 41],
        c_[b + 42],
        c_[b + 43],
        c_[b + 44],
        c_[b + 45],
        c_[b + 46],
        c_[b + 47],
      );
      if (slot >= 0) results[slot] = r;
      at += 3 + nargs;
    }
  } catch (e) {
    fail(e);
  }
  Atomics.store(control, DONE, seen);
  if (Atomics.load(control, MAIN_SLEEPS) !== 0) Atomics.notify(control, DONE);
}
