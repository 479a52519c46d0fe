// `npm run bench:partition-full` (issue 22): the full-scale Potjans-Diesmann microcircuit (77,169
// neurons, 299 M synapses) over 4 processes on this machine, with `flux run --partition 4 --paced 0`
// (processes over DDS in lockstep, exchanging every 0.1 ms step), and every population's rate after a
// 100 ms warm-up beside the reference's full-scale rates (MICROCIRCUIT_NEST_RATES, the circuit file's header). Apart from
// `npm run bench`: on a 2-core machine a biological second takes minutes (a step of the whole network
// costs about 34 ms here). FLUX_BENCH_FULL_SECONDS sets the wall time the run gets (default 600 s).
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MICROCIRCUIT_NEST_RATES as NEST, ROOT } from './networks.js';
import { countSpikes, launchPartitioned, ratesArg } from './partition-launch.js';
import { ddsUnavailable } from '../bridge/transport/dds.js';
import { loadCircuit } from '../engine/engine.js';

const SECONDS = Number(process.env.FLUX_BENCH_FULL_SECONDS ?? 600);
const PROCESSES = 4;
const WARMUP_MS = 100;
const FILE = join(ROOT, 'library/microcircuit/potjans-diesmann.yaml');

const why = ddsUnavailable();
if (why !== null) {
  console.log(`full-scale partition bench skipped: DDS is not available here (${why})`);
  process.exit(0);
}

const { circuit } = loadCircuit(FILE);
const dir = mkdtempSync(join(tmpdir(), 'flux-partition-full-'));
const base = join(dir, 'spikes');
console.log(
  `full-scale partition bench: ${circuit.name} (${circuit.populations.reduce((a, p) => a + p.size, 0)} neurons) on ${PROCESSES} processes over DDS, ${SECONDS} s of wall time; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
// The plan balances on NEST's rates; the processes record every spike.
const args = ['--paced', '0', '--duration', `${SECONDS * 1000}ms`, '--threads', '1', '--backend', 'cpu', '--spikes', `${base}.csv`];
args.push('--rates', ratesArg(Object.entries(NEST)));
const started = performance.now();
// The processes run without status lines: the elapsed time is the progress to show.
const progress = setInterval(() => console.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s of ${SECONDS} s`), 60_000);
const r = await launchPartitioned(FILE, PROCESSES, args, 95).finally(() => clearInterval(progress));
const text = r.text;
const tickHz = r.tickHz ?? 10_000;
// Every process ran at least this many ticks (lockstep): the steps compared.
const ticks = Math.min(...r.processes.map((p) => p.ticks));
const horizonSteps = Math.floor((ticks * (1000 / tickHz)) / circuit.dt);
const fromStep = Math.round(WARMUP_MS / circuit.dt);
if (horizonSteps <= fromStep + 1000) throw new Error(`only ${horizonSteps} steps ran: give FLUX_BENCH_FULL_SECONDS more`);
const counts = countSpikes(base, PROCESSES, (s) => s >= fromStep && s < horizonSteps);
const seconds = ((horizonSteps - fromStep) * circuit.dt) / 1000;
console.log(
  `built and ran in ${((performance.now() - started) / 1000).toFixed(0)} s of wall time: ${(horizonSteps * circuit.dt).toFixed(1)} ms of network time; rates over ${(seconds * 1000).toFixed(0)} ms after a ${WARMUP_MS} ms warm-up:`,
);
console.log('\n| population | Flux, 4 processes (Hz) | NEST (Hz) | Flux / NEST | within 10% |\n| --- | --- | --- | --- | --- |');
let all = true;
for (const p of circuit.populations) {
  const rate = (counts.get(p.name) ?? 0) / p.size / seconds;
  const ratio = rate / NEST[p.name];
  const within = Math.abs(ratio - 1) <= 0.1;
  all &&= within;
  console.log(`| ${p.name} | ${rate.toFixed(3)} | ${NEST[p.name]} | ${ratio.toFixed(3)} | ${within ? 'yes' : 'no'} |`);
}
console.log(`\nevery population within 10% of NEST: ${all ? 'yes' : 'no'}`);
for (const line of text.split('\n').filter((l) => /flux: done after|on \d+ processes|partition \d+: /.test(l))) console.log(`  ${line}`);
rmSync(dir, { recursive: true, force: true });
