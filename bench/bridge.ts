// Sensor message in -> actuator message out through the whole bridge: memory transport, a 10,000-neuron
// Braitenberg controller (library/braitenberg/braitenberg.yaml scaled, wired by examples/bridges/braitenberg.yaml),
// a 1 kHz engine tick at dt 1 ms, Twist
// published every tick period. Prints latency percentiles (scan published -> first Twist published
// after the tick that consumed it), tick jitter and CPU use. Target (issue 4): latency p99 < 2 ms and
// tick jitter p99 < 1 ms on the 2-core development machines. Beside them, a baseline measured in the
// same run (issue 20): a bare sensor -> actuator loop in a worker with the same transport, messages and
// tick (bench/timer-baseline.ts), measured the same way (bench/latency.ts); the ratios of the two; and
// the goal "latency p99 within one tick plus the baseline's latency p99".
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PerformanceObserver, constants as perfConstants, type NodeGCPerformanceDetail } from 'node:perf_hooks';
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
import { Series, jitter, latencies, percentile as pct, type LoopTrace } from './latency.js';

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
const tickStarts = new Series();
const tickEnds = new Series();
// The example bridge document, with the Twist published every tick instead of at 50 Hz.
const { config } = loadBridge(join(ROOT, 'examples/bridges/braitenberg.yaml'));
// Relative topic names as a node called flux in the root namespace resolves them (scan -> /scan).
const bridge = new Bridge(engine, new RemapTransport(transport, (t) => expandTopic(t, 'flux', '/')), {
  ...config,
  tickHz: 1000,
  onTick: (a, b) => (tickStarts.push(a), tickEnds.push(b)),
  outputs: config.outputs.map((o) => ({ ...o, rateHz: 1000 })),
});
const scan = createCodec('sensor_msgs/msg/LaserScan');
const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
const arrivals = new Series();
const sent = new Series();
transport.subscribe('/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS, () => arrivals.push(performance.now()));
const twists = new Series();
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
// The baseline: a bare loop with the same transport, scans and Twists in a worker, before the bridge runs.
const twistBytes = createCodec('geometry_msgs/msg/Twist').encode(createCodec('geometry_msgs/msg/Twist').zero());
const baseline = await new Promise<LoopTrace>((resolve, reject) => {
  const w = new Worker(new URL('./timer-baseline.js', import.meta.url), {
    workerData: { hz: 1000, seconds: SECONDS, scan: bytes, twist: twistBytes },
  });
  w.once('message', resolve);
  w.once('error', reject);
});
// The loop's own garbage, seen as the collections that pause its thread during the run.
const pauses = { minor: new Series(), major: new Series() };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: NodeGCPerformanceDetail }).detail?.kind;
    (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR ? pauses.minor : pauses.major).push(e.duration);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
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
gcObserver.disconnect();
const cpu = process.cpuUsage(cpu0);

const trace: LoopTrace = {
  sent: sent.values,
  arrivals: arrivals.values,
  tickStarts: tickStarts.values,
  tickEnds: tickEnds.values,
  actuations: twists.values,
};
const parts = latencies(trace);
const lat = parts.latency;
const tickJitter = jitter(trace.tickStarts, 1);
const tickMs = Array.from(trace.tickEnds, (end, k) => end - trace.tickStarts[k]);
console.log(`latency scan -> Twist: p50 ${pct(lat, 0.5).toFixed(3)} ms, p99 ${pct(lat, 0.99).toFixed(3)} ms (${lat.length} scans)`);
// The same, leaving out the scans whose tick the machine slowed (tick compute over 3x its median).
const tickMedian = pct(tickMs, 0.5);
const clean = lat.filter((_, k) => parts.compute[k] <= 3 * tickMedian);
console.log(
  `  without the ${lat.length - clean.length} scans whose tick ran over 3x its median compute time (the machine's bursts, see above; ${(machine.slow * 100).toFixed(2)}% of compute slices): p99 ${pct(clean, 0.99).toFixed(3)} ms`,
);
console.log(
  `  p99 of its parts: delivery ${pct(parts.deliver, 0.99).toFixed(3)} ms, wait for a tick ${pct(parts.wait, 0.99).toFixed(3)} ms, tick to Twist ${pct(parts.tick, 0.99).toFixed(3)} ms`,
);
console.log(
  `tick jitter |interval - 1 ms|: p50 ${pct(tickJitter, 0.5).toFixed(3)} ms, p99 ${pct(tickJitter, 0.99).toFixed(3)} ms; tick compute p50 ${pct(tickMs, 0.5).toFixed(3)} ms, p99 ${pct(tickMs, 0.99).toFixed(3)} ms`,
);
console.log(
  `ticks ${bridge.stats.ticks} in ${wall.toFixed(1)} s (${(bridge.stats.ticks / wall).toFixed(0)}/s), overruns ${bridge.stats.overruns}, watchdog trips ${bridge.stats.watchdogTrips}, Twists ${bridge.stats.published}`,
);
console.log(`CPU: ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of one core`);
const gcLine = (name: string, s: Series) =>
  s.length
    ? `${s.length} ${name} (${(s.length / wall).toFixed(2)}/s, p50 ${pct(s.values, 0.5).toFixed(2)} ms, max ${pct(s.values, 1).toFixed(2)} ms)`
    : `no ${name}`;
console.log(`garbage collections during the run: ${gcLine('young-generation', pauses.minor)}, ${gcLine('others', pauses.major)}`);
const base = latencies(baseline);
const baseJitter = jitter(baseline.tickStarts, 1);
const goal = 1 + pct(base.latency, 0.99);
console.log(
  `baseline (a bare sensor -> actuator loop in a worker: same transport, scans and 1 kHz Twists, no work per tick; ${SECONDS} s, same run): latency p50 ${pct(base.latency, 0.5).toFixed(3)} ms, p99 ${pct(base.latency, 0.99).toFixed(3)} ms (${base.latency.length} scans); tick jitter p50 ${pct(baseJitter, 0.5).toFixed(3)} ms, p99 ${pct(baseJitter, 0.99).toFixed(3)} ms`,
);
const ratio = (a: number[], b: number[], p: number) => (pct(a, p) / pct(b, p)).toFixed(2);
console.log(
  `  bridge / baseline: latency p50 ${ratio(lat, base.latency, 0.5)}, p99 ${ratio(lat, base.latency, 0.99)}; tick jitter p99 ${ratio(tickJitter, baseJitter, 0.99)}`,
);
console.log(
  `  goal (issue 20): latency p99 ${pct(lat, 0.99).toFixed(3)} ms within 1 tick + the baseline's latency p99 = ${goal.toFixed(3)} ms: ${pct(lat, 0.99) <= goal ? 'met' : 'not met'}`,
);
console.log(
  'Targets (issue 4): latency p99 < 2 ms, tick jitter p99 < 1 ms. Goal (issue 20): latency p99 within 1 tick + the baseline latency p99.',
);
engine.dispose();
process.exit(0);
