// One circuit over several Flux bridges (issue 22): the documents bridge/partition/split.ts makes from
// an automatic plan run here, each on its own engine and bridge, linked by lockstep spike links on one
// in-process graph (the memory transport; DDS between processes carries the same messages, see
// tests/dds-split.test.ts). Every population fires spike for spike as in one engine.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bridge, type TickSpikes } from '../bridge/bridge.js';
import { loadBridge } from '../bridge/config.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { Engine, loadCircuit } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { takeSpikes } from '../engine/recorder.js';
import { PartitionError, partitionCircuit } from '../bridge/partition/plan.js';
import { RELAY, partitionDocuments } from '../bridge/partition/split.js';
import { LOOP4 } from './fixtures/loop4.js';

const dir = mkdtempSync(join(tmpdir(), 'flux-partition-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE = join(dir, 'loop4.yaml');
writeFileSync(FILE, LOOP4);
const TICKS = 400; // 0.4 s of network time at 1 ms ticks
const STEPS = TICKS * 10;

type Spikes = Map<string, string[]>;

/** The whole circuit in one engine: every population's spikes as "step:neuron". */
async function whole(file = FILE): Promise<Spikes> {
  const engine = await Engine.create(file, { backend: 'cpu', threads: 1, log: () => undefined });
  engine.backend.configureRecording({});
  await engine.step(STEPS);
  const rec = engine.backend.recording();
  const out: Spikes = new Map();
  for (const p of engine.circuit.populations) {
    const s = takeSpikes(rec, p.name);
    out.set(
      p.name,
      Array.from(s.steps, (t, i) => `${t}:${s.indices[i]}`),
    );
  }
  engine.dispose();
  return out;
}

/** The partitions' documents written beside each other; each runs on its engine and bridge, on one graph. */
async function partitioned(partitions: number, file = FILE): Promise<{ spikes: Spikes; links: ReturnType<Bridge['spikeLinks']>[] }> {
  const { circuit } = loadCircuit(file);
  const plan = partitionCircuit(circuit, { partitions, rateHz: 10, wholePopulations: true });
  const docs = partitionDocuments(loadFlat(file), circuit, plan, join(dir, `${circuit.name}-${partitions}`));
  const graph = new MemoryGraph();
  const spikes: Spikes = new Map();
  const running: { bridge: Bridge; engine: { dispose(): void }; done: Promise<void> }[] = [];
  for (const d of docs) {
    writeFileSync(d.circuitFile, JSON.stringify(d.circuit));
    writeFileSync(d.bridgeFile, JSON.stringify(d.bridge));
  }
  for (const d of docs) {
    const loaded = loadBridge(d.bridgeFile);
    const engine = await Engine.create(loaded.circuitFile, { backend: 'cpu', threads: 1, log: () => undefined });
    const bridge = new Bridge(engine, new MemoryTransport(graph), { ...loaded.config, onError: () => undefined });
    let finish: () => void;
    const done = new Promise<void>((r) => (finish = r));
    bridge.setSpikeTap((t: TickSpikes) => {
      if (t.first >= STEPS) return finish();
      for (const [pop, s] of t.populations) {
        if (pop.endsWith(RELAY)) continue;
        const into = spikes.get(pop) ?? [];
        for (let i = 0; i < s.steps.length; i++) into.push(`${s.steps[i]}:${s.indices[i]}`);
        spikes.set(pop, into);
      }
    });
    running.push({ bridge, engine, done });
  }
  for (const r of running) r.bridge.start();
  await Promise.all(running.map((r) => r.done));
  const links = running.map((r) => r.bridge.spikeLinks());
  for (const r of running) {
    await r.bridge.stop();
    r.engine.dispose();
  }
  return { spikes, links };
}

describe('a circuit over several bridges from an automatic partition plan', () => {
  it('2 and 3 partitions fire spike for spike as one engine, in lockstep with nothing missed', async () => {
    const reference = await whole();
    for (const [name, s] of reference) expect(s.length, `${name} fires`).toBeGreaterThan(100);
    for (const n of [2, 3]) {
      const { spikes, links } = await partitioned(n);
      for (const [name, s] of reference) expect(spikes.get(name), `${name} on ${n} partitions`).toEqual(s);
      const all = links.flat();
      expect(all.some((l) => l.role === 'receive')).toBe(true);
      for (const l of all.filter((x) => x.role === 'receive')) {
        expect(l.stats.lockstep).toBe(true);
        expect(l.stats.missed).toBe(0);
        expect(l.stats.malformed + l.stats.mismatched).toBe(0);
      }
    }
  }, 120_000);

  it('delays a little under a whole exchange period (0.96 ms, 10 steps of 0.1 ms) cross as their rounded steps: spike for spike', async () => {
    const file = join(dir, 'loop4-096.yaml');
    writeFileSync(file, LOOP4.replace('name: loop4', 'name: loop4_096').replace(/delay: 1 ms/g, 'delay: 0.96 ms'));
    const reference = await whole(file);
    const { spikes } = await partitioned(2, file);
    for (const [name, s] of reference) expect(spikes.get(name), name).toEqual(s);
  }, 120_000);

  it('plastic projections within a partition learn as in one engine: spike for spike on 2 partitions', async () => {
    // On 2 partitions loop4 runs A, D | B, C: b_b and b_c stay within one partition.
    const plastic = LOOP4.replace('name: loop4', 'name: loop4_plastic')
      .replace(
        'b_c: { source: B, target: C, connectivity: { type: fixed_indegree, n: 20 }, weight: 30 pA, delay: 1.5 ms, synapse: { type: current, receptor: excitatory } }',
        'b_c: { source: B, target: C, connectivity: { type: fixed_indegree, n: 20 }, weight: 30 pA, delay: 1.5 ms, synapse: { type: current, receptor: excitatory }, plasticity: { rule: stdp, w_max: 100 pA, a_plus: 0.5, a_minus: 0.3 } }',
      )
      .replace(
        'b_b: { source: B, target: B, connectivity: { type: fixed_probability, p: 0.05 }, weight: 10 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }',
        'b_b: { source: B, target: B, connectivity: { type: fixed_probability, p: 0.05 }, weight: 10 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory }, plasticity: { rule: stdp, w_max: 60 pA, a_plus: 0.5, a_minus: 0.3 } }',
      );
    expect(plastic).toContain('a_plus: 0.5, a_minus: 0.3 } }\n  c_a');
    const file = join(dir, 'loop4-plastic.yaml');
    writeFileSync(file, plastic);
    const reference = await whole(file);
    // The learning matters: without it C fires otherwise.
    expect(reference.get('C')).not.toEqual((await whole()).get('C'));
    const { spikes } = await partitioned(2, file);
    for (const [name, s] of reference) expect(spikes.get(name), name).toEqual(s);
  }, 120_000);

  it('refuses what it cannot split yet, with the reason', () => {
    const plastic = LOOP4.replace(
      'b_c: { source: B, target: C, connectivity: { type: fixed_indegree, n: 20 }, weight: 30 pA, delay: 1.5 ms, synapse: { type: current, receptor: excitatory } }',
      'b_c: { source: B, target: C, connectivity: { type: fixed_indegree, n: 20 }, weight: 30 pA, delay: 1.5 ms, synapse: { type: current, receptor: excitatory }, plasticity: { rule: stdp, w_max: 100 pA } }',
    );
    const file = join(dir, 'plastic.yaml');
    writeFileSync(file, plastic);
    const { circuit } = loadCircuit(file);
    const plan = partitionCircuit(circuit, { partitions: 4, rateHz: 10, wholePopulations: true });
    expect(() => partitionDocuments(loadFlat(file), circuit, plan, join(dir, 'plastic'))).toThrow(PartitionError);
    expect(() => partitionDocuments(loadFlat(file), circuit, plan, join(dir, 'plastic'))).toThrow(/b_c is plastic and crosses partitions/);
    const cut = partitionCircuit(loadCircuit(FILE).circuit, { partitions: 8, rateHz: 10 });
    expect(() => partitionDocuments(loadFlat(FILE), loadCircuit(FILE).circuit, cut, join(dir, 'cut'))).toThrow(/is cut across partitions/);
  });
});
