import { describe, expect, it } from 'vitest';
import { loadCircuit } from '../engine/engine.js';
import { nodeIndex, planOf } from './partition-run.js';

const TEXT = `name: t
dt: 0.1 ms
populations: { a: { model: lif, size: 20 }, b: { model: lif, size: 20 }, c: { model: lif, size: 20 } }
projections:
  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
  bc: { source: b, target: c, connectivity: { type: all_to_all }, weight: 1 pA, delay: 2 ms, synapse: { type: current, receptor: excitatory } }
`;
const load = (text: string) => loadCircuit('/virtual/t.yaml', text).circuit;

describe('which plan a partitioned run follows, and which partition --node names', () => {
  it('without a placement section: the automatic plan over --partition processes, --node an index of it', () => {
    const plan = planOf(load(TEXT), { partitions: 3, rateHz: 10 });
    expect(plan.nodes).toBeUndefined();
    expect(plan.partitions).toHaveLength(3);
    expect(nodeIndex(plan, '2')).toBe(2);
    for (const bad of ['3', '-1', '1.5', 'b', ''])
      expect(() => nodeIndex(plan, bad)).toThrow(`--node ${bad}: a partition of this run, from 0 to 2`);
    expect(() => planOf(load(TEXT), { rateHz: 10 })).toThrow('--node needs --partition <n>, or a placement section');
  });

  it("with one: its nodes in the order it first names them, --node a node's name, --partition its node count or nothing", () => {
    const placed = load(`${TEXT}placement: { c: far, a: near, b: near }\n`);
    const plan = planOf(placed, { rateHz: 10 });
    expect(plan.nodes).toEqual(['far', 'near']);
    expect(plan.partitions.map((p) => p.slices.map((s) => s.population))).toEqual([['c'], ['a', 'b']]);
    expect(plan.exchangeSteps).toBe(20);
    expect(nodeIndex(plan, 'near')).toBe(1);
    expect(() => nodeIndex(plan, '0')).toThrow("--node 0: the circuit's placement section names far, near");
    expect(planOf(placed, { partitions: 2, rateHz: 10 })).toEqual(plan);
    expect(() => planOf(placed, { partitions: 3, rateHz: 10 })).toThrow(
      '--partition 3: the circuit places its populations on 2 nodes (far, near)',
    );
  });
});
