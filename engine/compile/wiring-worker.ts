// A wiring thread (wiring-pool.ts): runs the blocks of a task it is sent, writing into the shared
// arrays the task carries, and keeps a `rows` chunk until the `place` task that copies it.
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './wiring-pool.js';
import { blockStream, runTask } from './wiring-tasks.js';

const store = new Map<string, unknown>();
const post = (m: FromWorker) => parentPort!.postMessage(m);

parentPort!.on('message', ({ id, task, lo, hi }: ToWorker) => {
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
