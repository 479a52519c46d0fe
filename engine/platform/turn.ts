// A turn of the event loop, in Node and in a page. Node's setImmediate runs after pending I/O (what
// the bridge's loop relies on to let messages, timers and workers in between ticks). A page has no
// setImmediate; a task is its equivalent, not clamped to 4 ms as nested setTimeout(0) is (which would
// hold a robot loop to 250 turns a second): scheduler.postTask where the browser has it, else a
// MessageChannel message (in Chromium a port's message goes through its IPC layer: the robot's 10 s
// took 1.79 s under the profiler with postTask, 2.05 s with messages; 1.30 and 1.37 s in the bench).
type Turn = (run: () => void) => void;

function pageTurn(): Turn {
  const queue: (() => void)[] = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    // One task per callback, in order, as setImmediate does: promise continuations a callback starts
    // run before the next callback, as in Node. (All queued callbacks in one task would run the next
    // callback first: tried, and the robot then drove differently from Node.)
    const run = queue.shift();
    run?.();
  };
  return (run) => {
    queue.push(run);
    channel.port2.postMessage(null);
  };
}

/** Prioritized Task Scheduling (Chromium, Firefox): a task queued without a message port's IPC. */
type Scheduler = { postTask(run: () => void, options?: { priority?: 'user-blocking' | 'user-visible' | 'background' }): Promise<void> };

function schedulerTurn(scheduler: Scheduler): Turn {
  // Tasks of one priority run in the order they were posted, one task each, as setImmediate's.
  // A callback that throws rejects its task's promise: reported as an uncaught error would be.
  return (run) => void scheduler.postTask(run).catch(reportError);
}

let page: Turn | undefined;

/** Runs `run` on a later turn of the event loop (after pending I/O). */
export function nextTurn(run: () => void): void {
  // Looked up at each call: a test's fake timers replace setImmediate after this module loads.
  const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;
  if (immediate) immediate(run);
  else {
    const scheduler = (globalThis as { scheduler?: Scheduler }).scheduler;
    (page ??= typeof scheduler?.postTask === 'function' ? schedulerTurn(scheduler) : pageTurn())(run);
  }
}

/** Resolves on a later turn of the event loop. */
export const turn = (): Promise<void> => new Promise<void>((r) => nextTurn(r));
