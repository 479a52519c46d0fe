// A kernel thread: runs the WebAssembly kernels it is told to, on the shared memory, in lockstep
// with the main thread (see threads.ts for the protocol). It holds no state of its own. The same
// script is a Node worker thread and a page's Web Worker (the host gives it its channel).
import { SEQ, DONE, FAILED, STOP, SPIN_MS, WORKER_SLEEPS, MAIN_SLEEPS, MODULES, LOCKSTEP_BATCH } from './protocol.js';
import type { KernelThreadData, LockstepPlan, ModuleMessage, PlanMessage, ThreadStarted } from './protocol.js';
import { instantiateStep } from '../../equations/codegen-wasm.js';
import { boundCall, callReading } from './bound-call.js';
import { Barrier, BatchAborted, runThreadShare, type ShareKernels } from './lockstep.js';
import { host } from '../../platform/host.js';

const side = host().workerSide();
// Listening before the data arrives: a module may be sent right after it.
const inbox: (ModuleMessage | PlanMessage)[] = [];
let arrived: (() => void) | null = null;
side.onMessage((m) => {
  inbox.push(m as ModuleMessage | PlanMessage);
  arrived?.();
});
const { module, memory, control, commands, results, names, setup } = (await side.data()) as KernelThreadData;

let loaded = 0;
const released = (): number => {
  throw new Error('internal: a released generated module was called');
};

/**
 * Instantiates the generated modules the main thread sent (threads.ts load), and drops released ones,
 * before this batch. The messages come on this thread's event loop, so it returns to it here: the
 * main thread waits for this batch meanwhile (a live edit, not a step of a running network).
 */
async function loadModules(): Promise<void> {
  const sent = Atomics.load(control, MODULES);
  const since = performance.now();
  while (loaded < sent) {
    // The message was posted before MODULES was raised; it is in this thread's queue or about to be.
    const m = inbox.shift();
    if (!m) {
      // Sooner than the main thread gives up on the batch (10 s), so that this, the precise reason, is what it reports.
      if (performance.now() - since > 5_000) throw new Error('a generated module announced to the kernel thread never arrived');
      await new Promise<void>((r) => {
        arrived = r;
        setTimeout(r, 100);
      });
      arrived = null;
      continue;
    }
    if ('plan' in m) {
      // Its updates call modules sent before it, which are loaded by now.
      plan = m.plan;
      planUpdates = [0, 1].map((parity) => m.plan.updates.map((u) => boundCall(fns[u.fn], u.args[parity]))) as typeof planUpdates;
    } else fns[m.index] = m.module && m.expTable !== undefined ? instantiateStep(m.module, memory, m.expTable).step : released;
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
let shareKernels: ShareKernels | null = null;
let plan: LockstepPlan | null = null;
let planUpdates: [(() => number)[], (() => number)[]] = [[], []];
const barrier = new Barrier(control, true, 'thread');
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
  const kernel = (n: string) => instance.exports[n] as (...args: number[]) => number;
  shareKernels = { propagate: kernel('propagate'), propagateDelayed: kernel('propagateDelayed'), drain: kernel('drain') };
  // Module globals (the exp table's address) are per instance: repeat the main thread's setup calls.
  for (const [name, args] of setup) (instance.exports[name] as (...a: number[]) => void)(...args);
  side.postMessage({ ready: true } satisfies ThreadStarted);
} catch (e) {
  fail(e);
  side.postMessage({ ready: false, message: (e as Error).message } satisfies ThreadStarted);
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
    if (Atomics.load(control, MODULES) !== loaded) await loadModules();
    const count = commands[0];
    if (count === LOCKSTEP_BATCH) {
      if (!plan || !shareKernels) throw new Error('internal: a lockstep batch before its plan');
      runThreadShare(shareKernels, plan, planUpdates, results, barrier, commands[1], commands[2]);
    }
    let at = 1;
    for (let c = 0; c < count; c++) {
      const fn = fns[commands[at]];
      const slot = commands[at + 1];
      const nargs = commands[at + 2];
      // Exactly the kernel's arguments, written out (bound-call.ts): no array, no spread per call.
      const r = callReading(nargs)(fn, commands, at + 3);
      if (slot >= 0) results[slot] = r;
      at += 3 + nargs;
    }
  } catch (e) {
    if (!(e instanceof BatchAborted)) fail(e);
  }
  Atomics.store(control, DONE, seen);
  if (Atomics.load(control, MAIN_SLEEPS) !== 0) Atomics.notify(control, DONE);
}
