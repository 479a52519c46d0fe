// A turn of the event loop, in Node and in a page. Node's setImmediate runs after pending I/O (what
// the bridge's loop relies on to let messages, timers and workers in between ticks). A page has no
// setImmediate; a MessageChannel message is its equivalent: a new task, not clamped to 4 ms as nested
// setTimeout(0) is (which would hold a robot loop to 250 turns a second).
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

let page: Turn | undefined;

/** Runs `run` on a later turn of the event loop (after pending I/O). */
export function nextTurn(run: () => void): void {
  // Looked up at each call: a test's fake timers replace setImmediate after this module loads.
  const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;
  if (immediate) immediate(run);
  else (page ??= pageTurn())(run);
}

/** Resolves on a later turn of the event loop. */
export const turn = (): Promise<void> => new Promise<void>((r) => nextTurn(r));
