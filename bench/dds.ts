// The DDS transport between two Flux processes on loopback (tests/fixtures/dds-node-peer.mjs is the
// other process): small-message throughput, reliable; round-trip latency; spikes per second across
// processes as SpikeTick messages (distributed circuits); the receiver's memory over 10^6 messages.
// Targets (issue 8): at least 50k messages/s and RTT p50 under 200 us.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { DdsTransport, ddsUnavailable } from '../bridge/transport/dds.js';
import { decodeSpikeTick, SPIKE_QOS, SPIKE_TICK_TYPE } from '../bridge/spike-link.js';
import { DEFAULT_QOS } from '../bridge/transport/transport.js';

const why = ddsUnavailable();
if (why) {
  console.log(`dds bench skipped: ${why}`);
  process.exit(0);
}
const DOMAIN = Number(process.env.FLUX_DDS_BENCH_DOMAIN ?? 71);
const SECONDS = Number(process.env.FLUX_DDS_BENCH_SECONDS ?? 5);
const MESSAGES = Number(process.env.FLUX_DDS_BENCH_MESSAGES ?? 1_000_000);
const env = { ...process.env, ROS_DOMAIN_ID: String(DOMAIN) };
const t = DdsTransport.open({ domainId: DOMAIN });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const mb = () => process.memoryUsage().rss / 2 ** 20;

function child(...args: string[]): Promise<Record<string, unknown>[]> & { proc: ReturnType<typeof spawn> } {
  const proc = spawn(process.execPath, ['tests/fixtures/dds-node-peer.mjs', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  const done = new Promise<Record<string, unknown>[]>((r) => proc.on('exit', () => r(lines)));
  return Object.assign(done, { proc });
}

console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}`);
console.log(`dds bench: Flux <-> Flux over Cyclone DDS on loopback, domain ${DOMAIN}`);

// 1. Throughput and memory: 64-byte samples, reliable, keep-last 1000, until MESSAGES have arrived.
{
  let got = 0;
  const perSecond: number[] = [];
  const stop = t.subscribe('/bench/blast', 'std_msgs/msg/String', { ...DEFAULT_QOS, depth: 1000 }, () => got++);
  const seconds = Math.max(SECONDS, 30);
  const c = child('blast', '/bench/blast', 'std_msgs/msg/String', String(seconds), '64');
  let rss0 = 0;
  let last = 0;
  const started = performance.now();
  const timer = setInterval(() => {
    perSecond.push(got - last);
    last = got;
    if (perSecond.length === 2) rss0 = mb();
    if (got >= MESSAGES) c.proc.kill('SIGTERM');
  }, 1000);
  await c;
  clearInterval(timer);
  const wall = (performance.now() - started) / 1000;
  const steady = perSecond.slice(1).filter((x) => x > 0);
  console.log(
    `throughput, 64 B reliable: ${got} messages in ${wall.toFixed(1)} s; per second median ${pct(steady, 0.5)} (min ${Math.min(...steady)}, max ${Math.max(...steady)})`,
  );
  console.log(`receiver memory over ${got} messages: RSS ${rss0.toFixed(1)} MiB after 2 s -> ${mb().toFixed(1)} MiB at the end`);
  stop();
}

// 2. Round trips: ping here, echo in the other process, one at a time.
{
  const c = child('echo', '/bench/ping', '/bench/pong', 'std_msgs/msg/String');
  const ping = t.advertise('/bench/ping', 'std_msgs/msg/String', DEFAULT_QOS);
  let resolveOne: (() => void) | null = null;
  const stop = t.subscribe('/bench/pong', 'std_msgs/msg/String', DEFAULT_QOS, () => resolveOne?.());
  while (ping.matched() === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 300)); // the echo's own writer matches our reader
  const b = new Uint8Array(64);
  b[1] = 1;
  const rtt: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end && rtt.length < 20_000) {
    const t0 = performance.now();
    const back = new Promise<void>((r) => (resolveOne = r));
    ping.publish(b);
    await Promise.race([back, new Promise((r) => setTimeout(r, 100))]);
    rtt.push((performance.now() - t0) * 1000);
  }
  console.log(
    `round trip, 64 B reliable: p50 ${pct(rtt, 0.5).toFixed(0)} us, p90 ${pct(rtt, 0.9).toFixed(0)} us, p99 ${pct(rtt, 0.99).toFixed(0)} us (${rtt.length} round trips)`,
  );
  stop();
  ping.close();
  c.proc.kill('SIGTERM');
  await c;
}

// 3. Spikes across processes: SpikeTick messages of 1,000 spikes (a 100,000-neuron population at 10 Hz
// in 1 ms ticks fires 1,000 spikes per tick), decoded here as the receiving bridge does.
{
  let messages = 0;
  let spikes = 0;
  const stop = t.subscribe('/bench/spikes', SPIKE_TICK_TYPE, SPIKE_QOS, (bytes) => {
    spikes += decodeSpikeTick(bytes).index.length;
    messages++;
  });
  const started = performance.now();
  const lines = await child('spikes', '/bench/spikes', String(SECONDS), '1000');
  await new Promise((r) => setTimeout(r, 200));
  const wall = (performance.now() - started) / 1000;
  const sent = Number(lines.at(-1)?.sent ?? 0);
  console.log(
    `spikes across processes: ${(spikes / SECONDS / 1e6).toFixed(2)} M spikes/s received and decoded over ${SECONDS} s of sending (${messages} of ${sent} SpikeTick messages of 1000 spikes, ${(messages / SECONDS).toFixed(0)} ticks/s; the sender outran the receiver, and keep-last ${SPIKE_QOS.depth} drops what a reader has not taken; ${wall.toFixed(1)} s with discovery)`,
  );
  stop();
}

console.log('Targets (issue 8): at least 50k messages/s reliable Node -> Node, RTT p50 under 200 us.');
await t.close();
