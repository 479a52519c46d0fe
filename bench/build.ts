// `npm run bench`: building the full Potjans-Diesmann microcircuit (77,169 neurons, about 3e8
// synapses) on the CPU engine: wiring time with the default wiring workers (one per core) and with
// one, peak memory (the process's peak resident set, from the kernel) against the finished network's
// bytes, and whether one and the default number of workers give the same network (a SHA-256 over
// every synapse array). Target (issue 20): at most 20 s on the 2-core development machines, peak
// memory within 1.5x of the network.
import { createHash } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { defaultWiringWorkers } from '../engine/compile/wiring-pool.js';
import { ProgressLine } from '../cli/progress.js';
import { ROOT } from './networks.js';

const FILE = join(ROOT, 'library/microcircuit/potjans-diesmann.yaml');
const GiB = 2 ** 30;

/** The process's peak resident set so far (bytes): the kernel's high-water mark, so nothing between samples is missed. */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

interface Built {
  seconds: number;
  synapses: number;
  networkBytes: number;
  hash: string;
  stepMs: number;
}

async function build(workers: number): Promise<Built> {
  const bar = new ProgressLine(`microcircuit, ${workers} wiring worker${workers === 1 ? '' : 's'}`);
  const t0 = performance.now();
  const e = await Engine.create(FILE, { backend: 'cpu', wiringWorkers: workers, progress: (f, l) => bar.update(f, l) });
  const seconds = (performance.now() - t0) / 1000;
  bar.done();
  const hash = createHash('sha256');
  let networkBytes = 0;
  for (const p of e.network.projections)
    for (const a of [p.rowPtr, p.targets, p.weights, p.delays]) {
      if (!a) continue;
      networkBytes += a.byteLength;
      hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
  // It runs: ten steps, timed (the first steps include V8's compiling).
  e.backend.configureRecording({ spikes: false, rateBin: 0 });
  const t1 = performance.now();
  await e.step(10);
  const stepMs = (performance.now() - t1) / 10;
  const synapses = e.network.synapses;
  e.dispose();
  return { seconds, synapses, networkBytes, hash: hash.digest('hex'), stepMs };
}

console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${(totalmem() / GiB).toFixed(0)} GiB, node ${process.version}`);
const workers = defaultWiringWorkers();
const base = process.memoryUsage().rss;
// The default first, while the process's peak still belongs to it alone.
const byDefault = await build(workers);
const peak = peakRss();
const one = workers === 1 ? byDefault : await build(1);
const rate = (b: Built) => `${(b.synapses / b.seconds / 1e6).toFixed(1)} M synapses/s`;
console.log(`microcircuit: ${byDefault.synapses} synapses, ${(byDefault.networkBytes / GiB).toFixed(2)} GiB of synapse arrays`);
console.log(
  `  built (wired, then the engine ready) with ${workers} wiring workers (the default here): ${byDefault.seconds.toFixed(1)} s (${rate(byDefault)}); target <= 20 s: ${byDefault.seconds <= 20 ? 'met' : 'NOT met'}`,
);
if (workers !== 1)
  console.log(
    `  with 1 wiring worker: ${one.seconds.toFixed(1)} s (${rate(one)}); speed-up ${(one.seconds / byDefault.seconds).toFixed(2)}x`,
  );
console.log(
  `  peak resident memory while building: ${(peak / GiB).toFixed(2)} GiB (${((peak - base) / GiB).toFixed(2)} GiB over the ${(base / GiB).toFixed(2)} GiB before), ${((peak - base) / byDefault.networkBytes).toFixed(2)}x the synapse arrays; target <= 1.5x: ${(peak - base) / byDefault.networkBytes <= 1.5 ? 'met' : 'NOT met'}`,
);
console.log(
  `  the same network with 1 and ${workers} workers (SHA-256 of every synapse array): ${one.hash === byDefault.hash ? 'yes' : 'NO'} (${byDefault.hash.slice(0, 16)}...)`,
);
console.log(`  a step of the built network: ${byDefault.stepMs.toFixed(1)} ms (first ten steps, dt 0.1 ms)`);
