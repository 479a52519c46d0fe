// The machine's own tick jitter, for bench/bridge.ts to compare the bridge with: a bare 1 kHz loop on
// the bridge's real-time clock (bridge/clock.ts WallClock) in a worker thread, doing nothing per tick.
// Whatever jitter it shows the machine and Node give any loop; what the bridge adds is the rest.
import { parentPort, workerData } from 'node:worker_threads';
import { WallClock } from '../bridge/clock.js';

const { hz, seconds } = workerData as { hz: number; seconds: number };
const clock = new WallClock();
const period = 1000 / hz;
const starts: number[] = [];
let due = clock.now() + period;
const end = clock.now() + seconds * 1000;
while (clock.now() < end) {
  await clock.waitUntil(due);
  starts.push(clock.now());
  // As the bridge does without catch-up: the next tick is due a period after this one was.
  due += period;
  if (due < clock.now()) due = clock.now() + period;
}
const jitter = starts.slice(1).map((s, i) => Math.abs(s - starts[i] - period));
parentPort!.postMessage({ jitter });
