// `npm run bench:partition-full` (issue 22): the full-scale Potjans-Diesmann microcircuit (77,169
// neurons, 299 M synapses) over 4 processes on this machine, with `flux run --partition 4 --paced 0`
// (processes over DDS in lockstep, exchanging every 0.1 ms step), and every population's rate after a
// 100 ms warm-up beside NEST's full-scale reference (PD14 Fig. 6, the circuit file's header). Apart from
// `npm run bench`: on a 2-core machine a biological second takes minutes (a step of the whole network
// costs about 34 ms here). FLUX_BENCH_FULL_SECONDS sets the wall time the run gets (default 600 s).
import { spawn } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './networks.js';
import { ddsUnavailable } from '../bridge/transport/dds.js';
import { loadCircuit } from '../engine/engine.js';

const SECONDS = Number(process.env.FLUX_BENCH_FULL_SECONDS ?? 600);
const PROCESSES = 4;
const WARMUP_MS = 100;
const FILE = join(ROOT, 'library/microcircuit/potjans-diesmann.yaml');
// PD14 Fig. 6 / NEST's full_mean_rates (Hz), as the circuit file's header gives them.
const NEST: Record<string, number> = { L23E: 0.971, L23I: 2.868, L4E: 4.746, L4I: 5.396, L5E: 8.142, L5I: 9.078, L6E: 0.991, L6I: 7.523 };

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
const args = ['bin/flux.js', 'run', FILE, '--partition', String(PROCESSES), '--paced', '0', '--duration', `${SECONDS * 1000}ms`];
// The plan balances on NEST's rates; the processes record every spike.
args.push(
  '--threads',
  '1',
  '--backend',
  'cpu',
  '--spikes',
  `${base}.csv`,
  '--rates',
  Object.entries(NEST)
    .map(([p, hz]) => `${p}=${hz}`)
    .join(','),
);
const started = performance.now();
const out: string[] = [];
const code = await new Promise<number | null>((resolve) => {
  const p = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ROS_DOMAIN_ID: '95' }, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout.on('data', (b: Buffer) => out.push(b.toString()));
  p.stderr.on('data', (b: Buffer) => out.push(b.toString()));
  // The processes run without status lines: the elapsed time is the progress to show.
  const progress = setInterval(() => console.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s of ${SECONDS} s`), 60_000);
  p.on('exit', (c) => (clearInterval(progress), resolve(c)));
});
const text = out.join('');
if (code !== 0) throw new Error(`flux run --partition ${PROCESSES} failed (${code}):\n${text}`);
const done = [...text.matchAll(/\[partition (\d+)\] flux: done after [\d.]+ s: .*?; (\d+) ticks/g)];
if (done.length !== PROCESSES) throw new Error(`expected ${PROCESSES} processes to report, got ${done.length}:\n${text}`);
const tickHz = Number(/tick (\d+(?:\.\d+)?) Hz/.exec(text)?.[1] ?? 10_000);
// Every process ran at least this many ticks (lockstep): the steps compared.
const ticks = Math.min(...done.map((m) => Number(m[2])));
const horizonSteps = Math.floor((ticks * (1000 / tickHz)) / circuit.dt);
const fromStep = Math.round(WARMUP_MS / circuit.dt);
if (horizonSteps <= fromStep + 1000) throw new Error(`only ${horizonSteps} steps ran: give FLUX_BENCH_FULL_SECONDS more`);
const counts = new Map<string, number>();
for (let k = 0; k < PROCESSES; k++)
  for (const row of readFileSync(`${base}.part${k}.csv`, 'utf8').trim().split('\n').slice(1)) {
    const [step, population] = row.split(',');
    const s = Number(step);
    if (s >= fromStep && s < horizonSteps) counts.set(population, (counts.get(population) ?? 0) + 1);
  }
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
