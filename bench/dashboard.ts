// The dashboard's cost to the engine and its stream's bandwidth, with a 100,000-neuron network running:
// examples/coba.yaml scaled (80 synapses per neuron, dt 0.1 ms) behind a bridge ticking at 1 kHz
// (10 steps per tick; on a small machine the network runs slower than real time, so ticks run back to
// back). Blocks alternate without and with a connected client (a separate process reading the
// WebSocket, as a browser would). Compared: the engine's tick time (wall; target: < 10% rise with a
// client) and the process's CPU time per tick (robust against other processes on a shared machine);
// and the client's bytes per second against the stream's bound.
//
//   node dist/bench/dashboard.js     env FLUX_DASH_BENCH_NEURONS (100000), _BLOCKS (6 pairs), _SECONDS (3 per block), _THREADS (1),
//                                    _ROWS (raster rows per population, 128; 65535 streams every neuron, up to the bound)
import { cpus, totalmem, loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { CpuBackend } from '../engine/backends/cpu.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge, type BridgeConfig } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { startDashboard } from '../ui/server.js';
import { ROOT, cobaText } from './networks.js';

const NEURONS = Number(process.env.FLUX_DASH_BENCH_NEURONS ?? 100_000);
const BLOCKS = Number(process.env.FLUX_DASH_BENCH_BLOCKS ?? 6);
const SECONDS = Number(process.env.FLUX_DASH_BENCH_SECONDS ?? 3);
const THREADS = Number(process.env.FLUX_DASH_BENCH_THREADS ?? 1);
/** Raster rows per population: the default 128, or more to push the stream against its bound. */
const ROWS = Number(process.env.FLUX_DASH_BENCH_ROWS ?? 128);
const BOUND = 256 * 1024;

/**
 * The client: a small Node process with nothing but `ws`. On "connect" it opens the stream; on
 * "report" it prints what it received (bytes, frames, spikes drawn and counted) and closes it.
 */
const CLIENT = `
import WebSocket from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('ws')).href)};
let ws = null, got = null;
const fresh = () => ({ bytes: 0, frames: 0, json: 0, kept: 0, total: 0, t0: performance.now() });
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  for (const cmd of text.split('\\n').filter(Boolean)) {
    if (cmd === 'connect') {
      got = fresh();
      ws = new WebSocket(process.argv[1]);
      ws.on('open', () => { got = fresh(); process.stdout.write('open\\n'); });
      ws.on('message', (d, binary) => {
        got.bytes += d.length;
        if (!binary) { got.json++; return; }
        got.frames++;
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        let o = 20;
        for (let k = v.getUint16(16, true); k > 0; k--) { const kept = v.getUint32(o + 4, true); got.kept += kept; got.total += v.getUint32(o + 8, true); o += 12 + 4 * kept; }
      });
    } else if (cmd === 'report') {
      process.stdout.write(JSON.stringify({ ...got, seconds: (performance.now() - got.t0) / 1000 }) + '\\n');
      ws.close();
    } else if (cmd === 'exit') process.exit(0);
  }
});
`;

function lines(child: { stdout: Readable }): () => Promise<string> {
  let buf = '';
  const waiting: ((l: string) => void)[] = [];
  const ready: string[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(l);
      else ready.push(l);
    }
  });
  return () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((r) => waiting.push(r)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load average at start ${loadavg()[0].toFixed(2)}`,
);
const t0 = performance.now();
const file = join(ROOT, 'examples', 'coba-dashboard-bench.yaml');
const engine = await Engine.create(loadFlat(file, cobaText(NEURONS, 80)), { backend: 'cpu', threads: THREADS });
const kernel = engine.backend;
if (!(kernel instanceof CpuBackend)) throw new Error(`the dashboard bench needs the CPU backend (got ${kernel.name})`);
console.log(
  `network: COBA ${engine.network.neurons} neurons, ${engine.network.synapses} synapses, dt ${engine.backend.dt} ms (built in ${((performance.now() - t0) / 1000).toFixed(1)} s); CPU backend, ${kernel.kernels} kernels, ${kernel.threadCount} thread(s); bridge tick 1 kHz (10 steps); raster rows per population ${ROWS}`,
);
const ticks: number[] = [];
const config: BridgeConfig = { inputs: [], outputs: [], tickHz: 1000, watchdogMs: 60_000, onTick: (a, b) => ticks.push(b - a) };
const bridge = new Bridge(engine, new MemoryTransport(), config);
const dash = await startDashboard({
  node: { engine, bridge, loaded: { circuitFile: file, config } },
  port: 0,
  limits: { clientBytesPerSecond: BOUND, rowsPerPopulation: ROWS },
});
// Time spent in the spike tap itself (the dashboard's share of each tick, besides recording every population).
let tapMs = 0;
const setTap = bridge.setSpikeTap.bind(bridge);
bridge.setSpikeTap = (tap) =>
  setTap(
    tap &&
      ((t) => {
        const s = performance.now();
        tap(t);
        tapMs += performance.now() - s;
      }),
  );
const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, `ws://127.0.0.1:${dash.port}/ws?token=${dash.token}`], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const next = lines(child);
bridge.start();

interface Block {
  client: boolean;
  tickMs: number;
  cpuMs: number;
  perSecond: number;
  tapShare: number;
  got?: { bytes: number; frames: number; kept: number; total: number; seconds: number };
}

async function block(client: boolean): Promise<Block> {
  if (client) {
    child.stdin.write('connect\n');
    await next(); // open
  }
  await sleep(700); // the stream (or its absence) settles
  const from = ticks.length;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  tapMs = 0;
  await sleep(SECONDS * 1000);
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const xs = ticks.slice(from);
  const busy = xs.reduce((a, x) => a + x, 0);
  const b: Block = {
    client,
    tickMs: busy / xs.length,
    cpuMs: (cpu.user + cpu.system) / 1000 / xs.length,
    perSecond: (xs.length / wall) * 1000,
    tapShare: tapMs / busy,
  };
  if (client) {
    child.stdin.write('report\n');
    b.got = JSON.parse(await next());
  }
  return b;
}

await sleep(3000); // warm the JIT
const blocks: Block[] = [];
for (let i = 0; i < BLOCKS; i++)
  for (const client of i % 2 ? [true, false] : [false, true]) {
    const b = await block(client);
    blocks.push(b);
    console.log(
      `  ${client ? 'client   ' : 'no client'}: tick ${b.tickMs.toFixed(2)} ms, CPU ${b.cpuMs.toFixed(2)} ms/tick, ${b.perSecond.toFixed(0)} ticks/s` +
        (b.got
          ? `, tap ${(b.tapShare * 100).toFixed(2)}% of tick time; stream ${(b.got.bytes / b.got.seconds / 1024).toFixed(1)} KiB/s, ${(b.got.frames / b.got.seconds).toFixed(1)} frames/s, ${b.got.kept} of ${b.got.total} spikes drawn`
          : ''),
    );
  }
child.stdin.write('exit\n');
const w = blocks.filter((b) => b.client);
const o = blocks.filter((b) => !b.client);
const rise = (k: 'tickMs' | 'cpuMs') => median(w.map((b) => b[k])) / median(o.map((b) => b[k])) - 1;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const rates = w.map((b) => b.got!.bytes / b.got!.seconds);
console.log(
  `tick time (median of ${w.length} blocks each): ${median(o.map((b) => b.tickMs)).toFixed(2)} ms without a client, ${median(w.map((b) => b.tickMs)).toFixed(2)} ms with one: ${pct(rise('tickMs'))} (target < +10%: ${rise('tickMs') < 0.1 ? 'met' : 'NOT met'})`,
);
console.log(
  `CPU time per tick (the whole process, server included): ${median(o.map((b) => b.cpuMs)).toFixed(2)} -> ${median(w.map((b) => b.cpuMs)).toFixed(2)} ms: ${pct(rise('cpuMs'))}; the tap itself ${(median(w.map((b) => b.tapShare)) * 100).toFixed(2)}% of tick time`,
);
console.log(
  `stream: ${(Math.min(...rates) / 1024).toFixed(1)}-${(Math.max(...rates) / 1024).toFixed(1)} KiB/s against a bound of ${BOUND / 1024} KiB/s (${Math.max(...rates) <= BOUND ? 'under' : 'OVER'}); frames dropped ${dash.stats().framesDropped}; load average at the end ${loadavg()[0].toFixed(2)}`,
);
await dash.close();
await bridge.stop();
engine.dispose();
process.exit(0);
