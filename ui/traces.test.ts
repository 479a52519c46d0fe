// Traces against a real node (memory transport, CPU backend, the IDE's ControlledClock stepped by
// hand): the samples handed over are the engine's own state, once per millisecond, for the neurons
// asked for; requests are checked like any input from outside.
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { FluxNode } from '../bridge/node/node.js';
import { ControlledClock } from '../bridge/clock.js';
import { writeFiles } from '../tests/helpers.js';
import { MAX_PROBES, Traces, parseProbes } from './traces.js';
import { RefusedEdit } from './session.js';

// dt 1 ms: a trace samples once a millisecond, so here every step, and its last sample is the state now.
const dir = writeFiles({
  'c.yaml': `name: c
dt: 1 ms
populations:
  a: { model: lif, size: 4, params: { i_offset: 500 pA }, init: { v: { uniform: { low: -70 mV, high: -55 mV } } } }
  b: { model: izhikevich, size: 2 }
`,
});
const clock = new ControlledClock();
clock.pause();
const node = await FluxNode.start({
  bridge: join(dir, 'c.bridge.yaml'),
  bridgeText: 'circuit: ./c.yaml\n',
  transport: 'memory',
  backend: 'cpu',
  threads: 1,
  clock,
  log: () => undefined,
});
afterAll(() => node.shutdown());

/** Steps the clock `n` ticks (1 ms each) and waits until the bridge has run them. */
async function ticks(n: number): Promise<void> {
  const from = node.bridge.stats.ticks;
  for (let k = 0; k < n; k++) clock.step();
  for (let t = 0; node.bridge.stats.ticks < from + n && t < 2000; t++) await new Promise((r) => setTimeout(r, 1));
  expect(node.bridge.stats.ticks).toBe(from + n);
}

describe('Traces', () => {
  it("hands over each traced neuron's samples once a millisecond, equal to the engine's state", async () => {
    const traces = new Traces(node);
    traces.set([
      { population: 'a', neuron: 3, variable: 'v' },
      { population: 'a', neuron: 1, variable: 'v' },
      { population: 'b', neuron: 0, variable: 'u' },
    ]);
    traces.take();
    await ticks(20);
    const got = traces.take();
    expect(got.probes.map((p) => `${p.population}${p.neuron}${p.variable}`)).toEqual(['a3v', 'a1v', 'b0u']);
    for (const s of got.series) {
      expect(s.t.length).toBe(20);
      for (let i = 1; i < s.t.length; i++) expect(s.t[i] - s.t[i - 1]).toBeCloseTo(1, 9);
    }
    // The last sample is the state now (the tick ended on a sampled step).
    // Values travel to 6 significant digits.
    const near = (a: number | undefined, b: number) => expect(Math.abs(a! - b)).toBeLessThanOrEqual(Math.abs(b) * 5e-6);
    const v = (await node.engine.backend.readState('a', 'v')) as Float64Array;
    near(got.series[0].v.at(-1), v[3]);
    near(got.series[1].v.at(-1), v[1]);
    // Two neurons from different initial values: their traces differ.
    expect(got.series[0].v).not.toEqual(got.series[1].v);
    near(got.series[2].v.at(-1), ((await node.engine.backend.readState('b', 'u')) as Float64Array)[0]);
    // Nothing since the last take; none at all once cleared.
    expect(traces.take().series.every((s) => s.t.length === 0)).toBe(true);
    traces.set([]);
    await ticks(3);
    expect(traces.take()).toEqual({ probes: [], series: [] });
  });

  it('a message carries at most 300 samples in all, evenly thinned, the newest kept; a probe of a population removed live is dropped', async () => {
    const traces = new Traces(node);
    traces.set([
      { population: 'a', neuron: 0, variable: 'v' },
      { population: 'b', neuron: 1, variable: 'v' },
    ]);
    traces.take();
    await ticks(500);
    const got = traces.take();
    for (const s of got.series) {
      // 300 samples a message for both: 500 each, every fourth: 125.
      expect(s.t.length).toBeLessThanOrEqual(150);
      expect(s.t.length).toBeGreaterThanOrEqual(125);
      expect(s.t.at(-1)).toBeCloseTo(node.engine.timeMs, 6);
    }
    await node.bridge.betweenTicks(() => node.engine.apply({ op: 'remove_population', name: 'b' }));
    await ticks(2);
    expect(traces.take().probes).toEqual([{ population: 'a', neuron: 0, variable: 'v' }]);
  });

  it('property: parseProbes accepts only own populations, indices in range and their variables, at most MAX_PROBES', () => {
    const circuit = node.engine.circuit;
    const probeArb = fc.record({
      population: fc.oneof(fc.constantFrom('a', 'b', '__proto__', 'constructor', 'c'), fc.string({ maxLength: 8 })),
      neuron: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.double(), fc.constant('1')),
      variable: fc.oneof(fc.constantFrom('v', 'u', 'ge', 'w', 'toString'), fc.string({ maxLength: 6 })),
    });
    fc.assert(
      fc.property(fc.oneof(fc.record({ probes: fc.array(probeArb, { maxLength: MAX_PROBES + 2 }) }), fc.jsonValue()), (body) => {
        let probes;
        try {
          probes = parseProbes(body, circuit);
        } catch (e) {
          expect(e).toBeInstanceOf(RefusedEdit);
          expect((e as RefusedEdit).status).toBe(400);
          return;
        }
        expect(probes.length).toBeLessThanOrEqual(MAX_PROBES);
        for (const p of probes) {
          const pop = circuit.populations.find((q) => q.name === p.population)!;
          expect(Number.isInteger(p.neuron) && p.neuron >= 0 && p.neuron < pop.size).toBe(true);
          expect(p.population === 'a' ? ['v', 'ge', 'gi', 'ie', 'ii'] : ['v', 'u', 'ge', 'gi', 'ie', 'ii']).toContain(p.variable);
        }
      }),
      { numRuns: 500 },
    );
  });
});
