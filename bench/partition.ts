// `npm run bench`: one circuit over 1, 2 and 4 processes on this machine (issue 22), with `flux run
// --partition N --paced 0` (processes over DDS in lockstep, as fast as they run): the time per
// biological second, the bytes the spike links sent per step, and the partition model's prediction
// beside it (bridge/partition: the plan's traffic at the rates the one-process run measured).
// The circuit is the Potjans-Diesmann microcircuit at 10% (bench/networks.ts microcircuitText), so
// every cut exchanges every 0.1 ms step. On a 2-core machine 4 processes share 2 cores: the figures
// say what the exchange costs, not what 4 machines would give.
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { microcircuitText } from './networks.js';
import { countSpikes, launchPartitioned, ratesArg } from './partition-launch.js';
import { ddsUnavailable } from '../bridge/transport/dds.js';
import { loadCircuit } from '../engine/engine.js';
import { partitionCircuit } from '../bridge/partition/plan.js';
import { trafficModel } from '../bridge/partition/traffic.js';
import { sentPopulations } from '../bridge/partition/split.js';
import { spikeTickBytes } from '../bridge/spike-link.js';

const SECONDS = Number(process.env.FLUX_BENCH_PARTITION_SECONDS ?? 8);
const COUNTS = [1, 2, 4];

const why = ddsUnavailable();
if (why !== null) {
  console.log(`partition bench skipped: DDS is not available here (${why})`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'flux-partition-bench-'));
const file = join(dir, 'microcircuit-10pct.json');
writeFileSync(file, microcircuitText(0.1));
const { circuit } = loadCircuit(file);
const neurons = circuit.populations.reduce((a, p) => a + p.size, 0);
console.log(
  `partition bench: ${circuit.name} (${neurons} neurons, dt ${circuit.dt} ms) on 1, 2 and 4 processes over DDS, ${SECONDS} s each as fast as they run; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`,
);

interface Run {
  ticks: number;
  tickMs: number;
  messages: number;
  spikes: number;
  rates: Map<string, number>;
}

/** `flux run --partition n` for SECONDS of wall time; what its processes said at the end. */
async function run(n: number, given: Map<string, number> | null): Promise<Run> {
  const base = join(dir, `spikes-${n}`);
  const args = ['--paced', '0', '--duration', `${SECONDS * 1000}ms`, '--threads', '1', '--backend', 'cpu', '--spikes', `${base}.csv`];
  // The plan balances on the rates the one-process run measured, as the model below does: the same placement.
  if (given) args.push('--rates', ratesArg(given));
  const r = await launchPartitioned(file, n, args, 90 + n);
  const tickHz = r.tickHz ?? 1000;
  // The processes run the same ticks in lockstep; the slowest stopped first.
  const ticks = Math.min(...r.processes.map((p) => p.ticks));
  const counts = countSpikes(base, n);
  const seconds = (ticks * 1000) / tickHz / 1000;
  const rates = new Map(circuit.populations.map((p) => [p.name, (counts.get(p.name) ?? 0) / p.size / seconds]));
  return {
    ticks,
    tickMs: 1000 / tickHz,
    messages: r.processes.reduce((a, p) => a + p.messages, 0),
    spikes: r.processes.reduce((a, p) => a + p.spikes, 0),
    rates,
  };
}

const rows: string[][] = [];
let measuredRates: Map<string, number> | null = null;
for (const n of COUNTS) {
  const r = await run(n, measuredRates);
  measuredRates ??= r.rates;
  const bio = (r.ticks * r.tickMs) / 1000;
  const steps = Math.round((r.ticks * r.tickMs) / circuit.dt);
  // Bytes the senders published (one copy per message; DDS sends it to each reader).
  const sent = r.messages * spikeTickBytes(0) + r.spikes * (spikeTickBytes(1) - spikeTickBytes(0));
  const plan = partitionCircuit(circuit, { partitions: n, rateHz: 0, rates: Object.fromEntries(measuredRates), wholePopulations: true });
  const model = trafficModel(plan);
  // What the senders publish, predicted from the plan: one message per exchange for each population
  // another partition reads, with its expected spikes.
  const sentPops = new Set(sentPopulations(circuit, plan).keys());
  const exchangeS = ((plan.exchangeSteps ?? 1) * circuit.dt) / 1000;
  const predicted =
    [...sentPops].reduce(
      (a, name) =>
        a +
        model.framingBytes +
        model.bytesPerSpike * circuit.populations.find((p) => p.name === name)!.size * measuredRates!.get(name)! * exchangeS,
      0,
    ) / (plan.exchangeSteps ?? 1);
  // The model's pairs: each message once per reader (what DDS unicast carries to them).
  const toReaders = model.bytesPerSecond / (1000 / circuit.dt);
  const published = sentPops.size;
  rows.push([
    String(n),
    (SECONDS / bio).toFixed(2),
    bio.toFixed(3),
    (sent / steps).toFixed(0),
    predicted.toFixed(0),
    toReaders.toFixed(0),
    String(published),
  ]);
  console.log(
    `  ${n} process${n > 1 ? 'es' : ''}: ${bio.toFixed(3)} s of network time in ${SECONDS} s (${(SECONDS / bio).toFixed(2)} s per biological second); spike links published ${r.messages} messages with ${r.spikes} spikes (${(sent / steps).toFixed(0)} B per step; the model predicts ${predicted.toFixed(0)}, and ${toReaders.toFixed(0)} B per step to its readers), ${published} populations sent`,
  );
}
console.log(
  '\n| processes | s per biological s | biological s run | bytes published per step | model: published | model: to readers | populations sent |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`measured rates (1 process, Hz): ${[...measuredRates!].map(([p, hz]) => `${p} ${hz.toFixed(2)}`).join(', ')}`);
rmSync(dir, { recursive: true, force: true });
