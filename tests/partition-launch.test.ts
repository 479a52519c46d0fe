// `flux run <circuit> --partition N` (issue 22): the partitions as processes on this machine, found by
// DDS discovery, in lockstep. Their spikes (--spikes) equal one engine's, population by population;
// a partition killed mid-run is reported within a second and the others are stopped.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ddsUnavailable } from '../bridge/transport/dds.js';
import { Engine } from '../engine/engine.js';
import { takeSpikes } from '../engine/recorder.js';
import { RELAY } from '../bridge/partition/split.js';
import { microcircuitText } from '../bench/networks.js';
import { LOOP4 } from './fixtures/loop4.js';
import { cycloneUri, ddsTestDomain } from './fixtures/dds-peers.js';
import { requires } from './requirements.js';
import { holdLock } from './fixtures/hold-lock.js';
import { fluxRun, type FluxRun } from './fixtures/flux-run.js';

const why = ddsUnavailable();
if (why !== null && process.env.CI !== 'true') requires('dds', why);

const dir = mkdtempSync(join(tmpdir(), 'flux-partition-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The loop of tests/partition-run.test.ts: four populations, cut delays of 1 ms and more.

const FILE = join(dir, 'loop4.yaml');
writeFileSync(FILE, LOOP4);
// The same circuit placed on two named machines (a split of its own: the automatic plan pairs them otherwise).
const PLACED = join(dir, 'loop4-placed.yaml');
writeFileSync(PLACED, `${LOOP4}placement: { A: left, B: right, C: left, D: right }\n`);
// The Potjans-Diesmann microcircuit at 10% (bench/networks.ts): 8 populations, delays from 0.1 ms, so
// its partitions exchange every step.
const MICRO = join(dir, 'microcircuit-10pct.json');
writeFileSync(MICRO, microcircuitText(0.1));

const env = { ...process.env, ROS_DOMAIN_ID: String(ddsTestDomain('dds-partition')), CYCLONEDDS_URI: cycloneUri() };

/** Starts `flux run <FILE> --partition ...`; collects its output lines. */
const launch = (args: string[], file = FILE): FluxRun => fluxRun(file, args, dir, env);

/** step:neuron strings by population, from the partitions' CSV files (relays left out), and the last step each reached. */
function readSpikes(files: string[]): { spikes: Map<string, string[]>; horizon: number } {
  const spikes = new Map<string, string[]>();
  let horizon = Infinity;
  for (const f of files) {
    const rows = readFileSync(f, 'utf8').trim().split('\n').slice(1);
    let last = 0;
    for (const row of rows) {
      const [step, population, neuron] = row.split(',');
      last = Math.max(last, Number(step));
      if (population.endsWith(RELAY)) continue;
      const into = spikes.get(population) ?? [];
      into.push(`${step}:${neuron}`);
      spikes.set(population, into);
    }
    horizon = Math.min(horizon, last);
  }
  return { spikes, horizon };
}

describe.skipIf(why !== null && process.env.CI !== 'true')('flux run --partition: processes over DDS', () => {
  // Processes running as fast as they go take both cores: not beside the suites that time the loop.
  holdLock();

  /** `flux run <file> --partition n` for a while, as fast as it runs; every population's spikes against one engine's. */
  async function sameAsOneEngine(file: string, n: number, minSteps: number): Promise<void> {
    const base = join(dir, `spikes-${n}-${file.split('/').pop()}`);
    const run = launch(
      ['--partition', String(n), '--paced', '0', '--duration', '5s', '--threads', '1', '--backend', 'cpu', '--spikes', `${base}.csv`],
      file,
    );
    const code = await run.exited;
    expect(code, run.lines.map((l) => l.text).join('\n')).toBe(0);
    expect(run.lines.filter((l) => /^flux: partition \d: pid \d+$/.test(l.text))).toHaveLength(n);
    await expectOneEngine(file, readSpikes(Array.from({ length: n }, (_, k) => `${base}.part${k}.csv`)), minSteps, `${n} processes`);
  }

  /** Every population's spikes below the steps every process ran, against one engine's. */
  async function expectOneEngine(file: string, { spikes, horizon }: ReturnType<typeof readSpikes>, minSteps: number, what: string) {
    expect(horizon, 'steps every process ran').toBeGreaterThan(minSteps);
    const below = horizon - 20;
    const engine = await Engine.create(file, { backend: 'cpu', threads: 1, log: () => undefined });
    engine.backend.configureRecording({});
    await engine.step(below);
    const rec = engine.backend.recording();
    for (const p of engine.circuit.populations) {
      const s = takeSpikes(rec, p.name);
      const reference = Array.from(s.steps, (t, i) => `${t}:${s.indices[i]}`);
      expect(reference.length, `${p.name} fires`).toBeGreaterThan(10);
      const got = (spikes.get(p.name) ?? []).filter((x) => Number(x.split(':')[0]) < below);
      expect(got, `${p.name} on ${what}`).toEqual(reference);
    }
    engine.dispose();
  }

  it('2 and 3 processes fire spike for spike as one engine', async () => {
    for (const n of [2, 3]) await sameAsOneEngine(FILE, n, 5000);
  }, 120_000);

  it('the microcircuit at 10% on 2, 3 and 4 processes, exchanging every 0.1 ms step: spike for spike as one engine', async () => {
    for (const n of [2, 3, 4]) await sameAsOneEngine(MICRO, n, 150);
  }, 180_000);

  it('two machines, each running its node of the placement section with --node (here both on this one): spike for spike as one engine', async () => {
    const base = join(dir, 'spikes-nodes');
    const runs = ['left', 'right'].map((node) =>
      launch(
        [
          '--node',
          node,
          '--run-id',
          `nodes${process.pid}`,
          '--paced',
          '0',
          '--duration',
          '3s',
          '--threads',
          '1',
          '--backend',
          'cpu',
          '--spikes',
          `${base}-${node}.csv`,
          '--dir',
          join(dir, `docs-${node}`),
        ],
        PLACED,
      ),
    );
    for (const r of runs) expect(await r.exited, r.lines.map((l) => l.text).join('\n')).toBe(0);
    // Each launch ran one process, its node's populations; the other node's documents unused.
    for (const [k, r] of runs.entries()) {
      const text = r.lines.map((l) => l.text);
      expect(text).toContain('  left: A C' + (k === 0 ? '' : ' (on another machine)'));
      expect(text).toContain('  right: B D' + (k === 1 ? '' : ' (on another machine)'));
      expect(text.filter((l) => /^flux: \w+: pid \d+$/.test(l)).map((l) => l.split(':')[1])).toEqual([` ${['left', 'right'][k]}`]);
    }
    await expectOneEngine(PLACED, readSpikes([`${base}-left.part0.csv`, `${base}-right.part1.csv`]), 5000, 'two machines');
    // --dir: each machine wrote its own node's documents there, and only those.
    expect(readdirSync(join(dir, 'docs-left')).sort()).toEqual(['loop4.part0.bridge.json', 'loop4.part0.json']);
    expect(readdirSync(join(dir, 'docs-right')).sort()).toEqual(['loop4.part1.bridge.json', 'loop4.part1.json']);
    // A name the section lacks, or a count it contradicts, is refused.
    const wrong = launch(['--node', 'middle'], PLACED);
    expect(await wrong.exited).not.toBe(0);
    expect(wrong.lines.map((l) => l.text).join('\n')).toContain("--node middle: the circuit's placement section names left, right");
    const count = launch(['--partition', '3'], PLACED);
    expect(await count.exited).not.toBe(0);
    expect(count.lines.map((l) => l.text).join('\n')).toContain(
      '--partition 3: the circuit places its populations on 2 nodes (left, right)',
    );
  }, 60_000);

  it('a partition killed mid-run is reported within a second, and the others are stopped', async () => {
    const run = launch(['--partition', '2', '--threads', '1', '--backend', 'cpu']);
    await expect.poll(() => run.lines.filter((l) => /^\[partition \d\] flux: running/.test(l.text)).length, { timeout: 30_000 }).toBe(2);
    const pids = run.lines
      .flatMap((l) => /^flux: partition (\d): pid (\d+)$/.exec(l.text) ?? [])
      .filter((_, i) => i % 3 === 2)
      .map(Number);
    expect(pids).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = performance.now();
    process.kill(pids[1], 'SIGKILL');
    const code = await run.exited;
    const report = run.lines.find((l) => l.text.startsWith('flux: partition 1 ('));
    expect(report?.text).toMatch(/ended \(SIGKILL\) while the others ran: stopping them/);
    expect(report!.at - killedAt).toBeLessThan(1000);
    expect(code).toBe(1);
    // The other partition stopped too (its shutdown line), and is gone.
    expect(run.lines.some((l) => /^\[partition 0\] flux: SIGTERM: safe command published/.test(l.text))).toBe(true);
    expect(existsSync(`/proc/${pids[0]}`)).toBe(false);
  }, 60_000);
});
