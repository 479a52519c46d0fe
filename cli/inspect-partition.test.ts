import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT } from '../tests/helpers.js';
import { MICROCIRCUIT_NEST_RATES } from '../bench/networks.js';
import { inspectPartition } from './inspect-partition.js';
import { spikeTickBytes } from '../bridge/spike-link.js';
import type { PartitionPlan } from '../bridge/partition/plan.js';
import type { TrafficModel } from '../bridge/partition/traffic.js';

const MICROCIRCUIT = join(ROOT, 'library/microcircuit/potjans-diesmann.yaml');

describe('flux inspect --partition', () => {
  it('the microcircuit on 4 processes: partitions, the exchange period and the bytes each pair sends, from the document alone', () => {
    const r = JSON.parse(inspectPartition(MICROCIRCUIT, { partitions: 4, rateHz: 10, rates: MICROCIRCUIT_NEST_RATES, json: true })) as {
      plan: PartitionPlan;
      traffic: TrafficModel;
    };
    expect(r.plan.partitions).toHaveLength(4);
    expect(r.plan.partitions.reduce((a, p) => a + p.neurons, 0)).toBe(77_169);
    // Delays clipped at dt: an exchange every step of 0.1 ms.
    expect(r.traffic.exchangesPerSecond).toBe(10_000);
    // Each pair: one message per slice whose spikes it needs, 44 bytes each and 6 per spike (the encoder's sizes).
    expect([r.traffic.framingBytes, r.traffic.bytesPerSpike]).toEqual([spikeTickBytes(0), (spikeTickBytes(10) - spikeTickBytes(0)) / 10]);
    for (const p of r.traffic.pairs) {
      expect(p.bytesPerExchange).toBeCloseTo(p.messagesPerExchange * 44 + 6 * p.spikesPerExchange, 9);
      expect(p.bytesPerSecond).toBeCloseTo(p.bytesPerExchange * 10_000, 6);
    }
    expect(r.traffic.bytesPerSecond).toBeCloseTo(
      r.traffic.pairs.reduce((a, p) => a + p.bytesPerSecond, 0),
      3,
    );

    const text = inspectPartition(MICROCIRCUIT, { partitions: 4, rateHz: 10, rates: MICROCIRCUIT_NEST_RATES });
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'circuit potjans-diesmann on 4 partitions (a model from the document: synapses estimated from the connectivity rules; firing rates given for every population)',
    );
    expect(lines.filter((l) => /^ {4}\d: /.test(l))).toHaveLength(4);
    expect(text).toMatch(
      /^exchange every 1 step \(0\.100 ms, the shortest delay of a projection that crosses: \w+\), 10,000 exchanges per biological second/m,
    );
    expect(lines.filter((l) => / -> /.test(l))).toHaveLength(r.traffic.pairs.length);
  });

  it('100 processes: the busiest pairs, and what each sends', () => {
    const text = inspectPartition(MICROCIRCUIT, { partitions: 100, rateHz: 5 });
    expect(text).toMatch(/firing rates 5 Hz assumed for every population/);
    expect(text).toMatch(/^the 24 busiest of \d+ pairs:$/m);
    expect(text.split('\n').filter((l) => / -> /.test(l))).toHaveLength(24);
  });

  it('one process: nothing crosses', () => {
    expect(inspectPartition(MICROCIRCUIT, { partitions: 1, rateHz: 5 })).toMatch(/nothing crosses: no spikes are exchanged$/);
  });
});
