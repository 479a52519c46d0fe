// A wiring thread (wiring-pool.ts): runs the blocks of a task it is sent, writing into the shared
// arrays the task carries, and keeps a `rows` chunk until the `place` task that copies it. The same
// script is a Node worker thread and a page's Web Worker (the host gives it its channel).
import type { FromWorker, ToWorker } from './wiring-pool.js';
import { blockStream, runTask } from './wiring-tasks.js';
import { host } from '../platform/host.js';

const store = new Map<string, unknown>();
const side = host().workerSide();
const post = (m: FromWorker) => side.postMessage(m);

side.onMessage((message) => {
  const { id, task, lo, hi } = message as ToWorker;
  // About fifty progress messages per range.
  const every = Math.max(1, Math.floor((hi - lo) / 50));
  try {
    const value = runTask(task, lo, hi, {
      store,
      rngFor: blockStream,
      tick: (done) => done % every === 0 && post({ id, type: 'tick', done }),
    });
    post({ id, type: 'done', value });
  } catch (e) {
    post({ id, type: 'error', name: (e as Error).name, message: (e as Error).message });
  }
});
