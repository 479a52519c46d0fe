// Sensor message in -> actuator message out through the whole bridge: memory transport, a 10,000-neuron
// Braitenberg controller (library/braitenberg/braitenberg.yaml scaled, wired by examples/bridges/braitenberg.yaml),
// a 1 kHz engine tick at dt 1 ms, Twist
// published every tick period. Prints latency percentiles (scan published -> first Twist published
// after the tick that consumed it), tick jitter and CPU use. Target (issue 4): latency p99 < 2 ms and
// tick jitter p99 < 1 ms on the 2-core development machines. Beside them, a baseline measured in the
// same run (issue 20): a bare 1 kHz loop in a worker on the same clock (bench/timer-baseline.ts), its
// jitter, and the goal "latency p99 within one tick plus the baseline's jitter p99".
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge } from '../bridge/bridge.js';
import { loadBridge } from '../bridge/config.js';
import { RemapTransport } from '../bridge/transport/remap.js';
import { expandTopic } from '../bridge/node/rosargs.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { SENSOR_QOS, DEFAULT_QOS } from '../bridge/transport/transport.js';
import { createCodec } from '../bridge/codec/cdr.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NEURONS = Number(process.env.FLUX_BRIDGE_BENCH_NEURONS ?? 10000);
const SECONDS = Number(process.env.FLUX_BRIDGE_BENCH_SECONDS ?? 10);

const original = readFileSync(join(ROOT, 'library/braitenberg/braitenberg.yaml'), 'utf8');
const perPop = Math.round(NEURONS / (original.match(/size: 20/g) ?? []).length);
const text = original.replace(/size: 20/g, `size: ${perPop}`);
// One kernel thread: at one step per call the hand-over to a second thread costs more than it saves.
const engine = await Engine.create(loadFlat(join(ROOT, 'library/braitenberg/braitenberg-bench.yaml'), text), {
  backend: 'cpu',
  threads: Number(process.env.FLUX_BRIDGE_BENCH_THREADS ?? 1),
});
const transport = new MemoryTransport();
const ticks: [number, number][] = [];
// The example bridge document, with the Twist published every tick instead of at 50 Hz.
const { config } = loadBridge(join(ROOT, 'examples/bridges/braitenberg.yaml'));
// Relative topic names as a node called flux in the root namespace resolves them (scan -> /scan).
const bridge = new Bridge(engine, new RemapTransport(transport, (t) => expandTopic(t, 'flux', '/')), {
  ...config,
  tickHz: 1000,
  onTick: (a, b) => ticks.push([a, b]),
  outputs: config.outputs.map((o) => ({ ...o, rateHz: 1000 })),
});
const scan = createCodec('sensor_msgs/msg/LaserScan');
const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
const arrivals: number[] = [];
const sent: number[] = [];
transport.subscribe('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS, () => arrivals.push(performance.now()));
const twists: number[] = [];
transport.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, () => twists.push(performance.now()));

const msg = scan.zero();
msg.ranges = Float32Array.from({ length: 360 }, (_, i) => (i < 180 ? 3 : 0.5));
const bytes = scan.encode(msg);
console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}`);
console.log(
  `bridge bench: ${engine.network.neurons} neurons, ${engine.network.synapses} synapses, dt ${engine.backend.dt} ms, tick 1 kHz, LaserScan (360 ranges) at 50 Hz in, Twist at 1 kHz out, ${SECONDS} s`,
);
// The machine's own slowdowns, measured in this run: fixed ~0.1 ms slices of arithmetic for 3 s. These
// VMs have bursts, a few times a second, in which a thread runs several times slower for tens of
// milliseconds (a busy neighbour, a preempted vCPU); a slice over 3x the median was caught in one.
const machine = (() => {
  const data = new Float64Array(40000).map((_, i) => i * 1e-3);
  const slices: number[] = [];
  const end = performance.now() + 3000;
  let sink = 0;
  while (performance.now() < end) {
    const a = performance.now();
    for (let k = 0; k < 40000; k++) sink += Math.sqrt(data[k] * k);
    slices.push(performance.now() - a);
  }
  const sorted = [...slices].sort((x, y) => x - y);
  const p50 = sorted[sorted.length >> 1];
  let bursts = 0;
  slices.forEach((x, i) => x > 3 * p50 && !(slices[i - 1] > 3 * p50) && bursts++);
  const slow = slices.filter((x) => x > 3 * p50).length / slices.length;
  console.log(
    `machine: ${(slow * 100).toFixed(2)}% of 0.1 ms compute slices ran over 3x slower than the median, in ${(bursts / 3).toFixed(1)} bursts per second (longest slice ${sorted.at(-1)!.toFixed(2)} ms)${sink < 0 ? '' : ''}`,
  );
  return { slow };
})();
// The baseline: the same real-time clock ticking at 1 kHz in a worker with no work, before the bridge runs.
const BASELINE_S = 3;
const baseline = await new Promise<number[]>((resolve, reject) => {
  const w = new Worker(new URL('./timer-baseline.js', import.meta.url), { workerData: { hz: 1000, seconds: BASELINE_S } });
  w.once('message', (m: { jitter: number[] }) => resolve(m.jitter));
  w.once('error', reject);
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
bridge.start();
const timer = setInterval(() => {
  sent.push(performance.now());
  pub.publish(bytes);
}, 20);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
clearInterval(timer);
await bridge.stop();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
// Latency: scan published -> first Twist after the end of the first tick that started after it arrived.
const lat: number[] = [];
// Its parts: delivery (sent -> arrived), waiting for the next tick to start, that tick until the Twist.
const parts = { deliver: [] as number[], wait: [] as number[], tick: [] as number[], compute: [] as number[] };
let ti = 0;
let wi = 0;
for (let k = 0; k < Math.min(sent.length, arrivals.length); k++) {
  while (ti < ticks.length && ticks[ti][0] < arrivals[k]) ti++;
  if (ti >= ticks.length) break;
  while (wi < twists.length && twists[wi] < ticks[ti][1]) wi++;
  if (wi >= twists.length) break;
  lat.push(twists[wi] - sent[k]);
  parts.deliver.push(arrivals[k] - sent[k]);
  parts.wait.push(ticks[ti][0] - arrivals[k]);
  parts.tick.push(twists[wi] - ticks[ti][0]);
  parts.compute.push(ticks[ti][1] - ticks[ti][0]);
}
const starts = ticks.map((t) => t[0]);
const jitter = starts.slice(1).map((s, i) => Math.abs(s - starts[i] - 1));
const tickMs = ticks.map((t) => t[1] - t[0]);
console.log(`latency scan -> Twist: p50 ${pct(lat, 0.5).toFixed(3)} ms, p99 ${pct(lat, 0.99).toFixed(3)} ms (${lat.length} scans)`);
// The same, leaving out the scans whose tick the machine slowed (tick compute over 3x its median).
const tickMedian = pct(
  ticks.map((t) => t[1] - t[0]),
  0.5,
);
const clean = lat.filter((_, k) => parts.compute[k] <= 3 * tickMedian);
console.log(
  `  without the ${lat.length - clean.length} scans whose tick ran over 3x its median compute time (the machine's bursts, see above; ${(machine.slow * 100).toFixed(2)}% of compute slices): p99 ${pct(clean, 0.99).toFixed(3)} ms`,
);
console.log(
  `  p99 of its parts: delivery ${pct(parts.deliver, 0.99).toFixed(3)} ms, wait for a tick ${pct(parts.wait, 0.99).toFixed(3)} ms, tick to Twist ${pct(parts.tick, 0.99).toFixed(3)} ms`,
);
console.log(
  `tick jitter |interval - 1 ms|: p50 ${pct(jitter, 0.5).toFixed(3)} ms, p99 ${pct(jitter, 0.99).toFixed(3)} ms; tick compute p50 ${pct(tickMs, 0.5).toFixed(3)} ms, p99 ${pct(tickMs, 0.99).toFixed(3)} ms`,
);
console.log(
  `ticks ${bridge.stats.ticks} in ${wall.toFixed(1)} s (${(bridge.stats.ticks / wall).toFixed(0)}/s), overruns ${bridge.stats.overruns}, watchdog trips ${bridge.stats.watchdogTrips}, Twists ${bridge.stats.published}`,
);
console.log(`CPU: ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of one core`);
const baseP50 = pct(baseline, 0.5);
const baseP99 = pct(baseline, 0.99);
console.log(
  `baseline (a bare 1 kHz loop on the same clock in a worker, ${BASELINE_S} s, same run): tick jitter p50 ${baseP50.toFixed(3)} ms, p99 ${baseP99.toFixed(3)} ms`,
);
console.log(
  `  bridge / baseline, tick jitter p99: ${(pct(jitter, 0.99) / baseP99).toFixed(2)}; latency p99 ${pct(lat, 0.99).toFixed(3)} ms against the goal of 1 tick + baseline p99 = ${(1 + baseP99).toFixed(3)} ms: ${pct(lat, 0.99) <= 1 + baseP99 ? 'met' : 'not met'}`,
);
console.log(
  'Targets (issue 4): latency p99 < 2 ms, tick jitter p99 < 1 ms. Goal (issue 20): latency p99 within 1 tick + the baseline jitter p99.',
);
engine.dispose();
process.exit(0);
