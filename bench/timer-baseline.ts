// The baseline bench/bridge.ts compares the bridge with (issue 20): a bare sensor -> actuator loop in a
// worker thread. The same memory transport, the same LaserScan bytes at 50 Hz, the same 1 kHz tick on
// the bridge's real-time clock (bridge/clock.ts WallClock) and a Twist published every tick, but no
// decoding, no network and no safety work: a tick only takes the latest scan and publishes. Its
// latency and jitter are what the machine and Node give any 1 kHz loop; what the bridge adds is the rest.
import { parentPort, workerData } from 'node:worker_threads';
import { WallClock } from '../bridge/clock.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { DEFAULT_QOS, SENSOR_QOS } from '../bridge/transport/transport.js';
import { Series, type LoopTrace } from './latency.js';

const { hz, seconds, scan, twist } = workerData as { hz: number; seconds: number; scan: Uint8Array; twist: Uint8Array };
const clock = new WallClock();
const transport = new MemoryTransport();
const period = 1000 / hz;
const sent = new Series();
const arrivals = new Series();
const starts = new Series();
const ends = new Series();
const actuations = new Series();
let latest: Uint8Array | null = null;
transport.subscribe('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS, (bytes) => {
  arrivals.push(clock.now());
  latest = bytes;
});
transport.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, () => actuations.push(clock.now()));
const scans = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
const commands = transport.advertise('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS);
const timer = setInterval(() => {
  sent.push(clock.now());
  scans.publish(scan);
}, 20);

let due = clock.now() + period;
const end = clock.now() + seconds * 1000;
while (clock.now() < end) {
  await clock.waitUntil(due);
  const start = clock.now();
  // The tick's only work: the command follows the latest scan (here, that one was seen).
  if (latest !== null) commands.publish(twist);
  starts.push(start);
  ends.push(clock.now());
  // As the bridge does without catch-up: the next tick is due a period after this one was.
  due += period;
  if (due < clock.now()) due = clock.now() + period;
}
clearInterval(timer);
// Let the last tick's Twist arrive before the trace goes back.
await new Promise<void>((r) => setImmediate(r));
const trace: LoopTrace = {
  sent: sent.values,
  arrivals: arrivals.values,
  tickStarts: starts.values,
  tickEnds: ends.values,
  actuations: actuations.values,
};
parentPort!.postMessage(trace);
