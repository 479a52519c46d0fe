// A kernel thread: runs the WebAssembly kernels it is told to, on the shared memory, in lockstep
// with the main thread (see threads.ts for the protocol). It holds no state of its own.
import { workerData } from 'node:worker_threads';
import { SEQ, DONE, FAILED, STOP, SPIN_LIMIT } from './protocol.js';

const { module, memory, control, commands, results, names, setup } = workerData as {
  setup: [string, number[]][];
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
  commands: Float64Array;
  results: Int32Array;
  names: string[];
};

const instance = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => {
      throw new Error('wasm kernel abort');
    },
  },
});
const fns = names.map((n) => instance.exports[n] as (...args: number[]) => number);
// Module globals (the exp table's address) are per instance: repeat the main thread's setup calls.
for (const [name, args] of setup) (instance.exports[name] as (...a: number[]) => void)(...args);

let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(control, SEQ) === seen) {
    // Spin briefly (the next command usually follows within microseconds), then sleep.
    if (++spins > SPIN_LIMIT) Atomics.wait(control, SEQ, seen, 50);
  }
  seen = Atomics.load(control, SEQ);
  if (Atomics.load(control, STOP) !== 0) break;
  try {
    const count = commands[0];
    let at = 1;
    for (let c = 0; c < count; c++) {
      const fn = fns[commands[at]];
      const slot = commands[at + 1];
      const nargs = commands[at + 2];
      const c = commands;
      const b = at + 3;
      // A fixed list of arguments (WebAssembly ignores the extra ones): no array per call.
      const r = fn(c[b], c[b + 1], c[b + 2], c[b + 3], c[b + 4], c[b + 5], c[b + 6], c[b + 7], c[b + 8], c[b + 9], c[b + 10], c[b + 11], c[b + 12], c[b + 13], c[b + 14], c[b + 15], c[b + 16], c[b + 17], c[b + 18], c[b + 19], c[b + 20], c[b + 21], c[b + 22], c[b + 23], c[b + 24], c[b + 25], c[b + 26], c[b + 27], c[b + 28], c[b + 29], c[b + 30], c[b + 31]);
      if (slot >= 0) results[slot] = r;
      at += 3 + nargs;
    }
  } catch (e) {
    Atomics.store(control, FAILED, 1);
    console.error('flux kernel thread:', e);
  }
  Atomics.store(control, DONE, seen);
  Atomics.notify(control, DONE);
}
