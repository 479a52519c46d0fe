// Live edits as a hostile dashboard client would send them, straight to the engine (the HTTP layer
// around them is fuzzed in tests/fuzz-http.test.ts): random and malformed edits of every op against
// the running Braitenberg circuit. Properties: an edit is applied or refused with the engine's own
// CircuitError (never a TypeError or RangeError), no input takes over a second, no edit leaves
// non-finite state after the next steps, and nothing is written into Object.prototype.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, type Edit } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { flushTallies, hasNonFinite, judge, runs, tally, HANG_MS } from './fuzz.js';
import { libraryCircuit } from './helpers.js';

const flat = loadFlat(libraryCircuit('braitenberg/braitenberg'));
const POPS = Object.keys(flat.doc.populations ?? {});
const PROJS = Object.keys(flat.doc.projections ?? {});
const PROTO = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

const name = fc.oneof(fc.constantFrom(...POPS, ...PROJS, ...PROTO, ''), fc.string({ maxLength: 12 }));
const quantity = fc.oneof(
  fc.constantFrom(
    '20 ms',
    '-65 mV',
    '1e400 ms',
    '1e-320 ms',
    'NaN',
    '.nan',
    'Infinity',
    '1 nS',
    '3.5e38 pA',
    '-0',
    '5 Hz',
    '10 parsecs',
    '',
  ),
  fc.double(),
  fc.integer(),
  fc.constant(null),
  fc.constant({ __proto__: { polluted: 1 } }),
  fc.array(fc.double(), { maxLength: 3 }),
);
const PARAMS = ['cm', 'tau_m', 'v_rest', 'v_thresh', 'v_reset', 'tau_refrac', 'tau_syn_exc', 'tau_syn_inh', 'rate', 'a', 'b', 'c', 'd'];
const model = fc.constantFrom('lif', 'izhikevich', 'adex', 'poisson', 'hodgkin_huxley', '__proto__');
const population = fc.record(
  {
    model,
    size: fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constantFrom(1e12, NaN, 2 ** 32)),
    params: fc.dictionary(fc.constantFrom(...PARAMS, ...PROTO), quantity, { maxKeys: 3 }),
  },
  { requiredKeys: ['model', 'size'] },
);
const connectivity = fc.oneof(
  fc.record({
    type: fc.constant('fixed_probability'),
    p: fc.oneof(fc.double({ min: 0, max: 1 }), fc.constantFrom(1e-17, 5e-324, NaN, 2, -1)),
  }),
  fc.record({
    type: fc.constantFrom('fixed_indegree', 'fixed_outdegree', 'fixed_total_number'),
    n: fc.oneof(fc.integer({ min: -1, max: 100 }), fc.constantFrom(1e9, 1e12, 2 ** 32 - 1)),
    multapses: fc.boolean(),
  }),
  fc.record({ type: fc.constantFrom('all_to_all', 'one_to_one', 'gaussian', 'nope') }),
);
const projection = fc.record({
  source: name,
  target: name,
  connectivity,
  weight: quantity,
  synapse: fc.oneof(
    fc.record({ type: fc.constantFrom('current', 'conductance'), receptor: fc.constantFrom('excitatory', 'inhibitory') }),
    fc.constant({}),
  ),
});
const edit: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    op: fc.constant('set_param'),
    population: name,
    param: fc.oneof(fc.constantFrom(...PARAMS, ...PROTO), fc.string({ maxLength: 8 })),
    value: quantity,
  }),
  fc.record({ op: fc.constant('set_weights'), projection: name, value: quantity }),
  fc.record({
    op: fc.constant('set_weights'),
    projection: name,
    indices: fc.array(fc.oneof(fc.integer({ min: -1, max: 50 }), fc.double()), { maxLength: 4 }),
    values: fc.array(quantity, { maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('add_population'), name, population }),
  fc.record({ op: fc.constant('remove_population'), name, cascade: fc.boolean() }),
  fc.record({ op: fc.constant('add_projection'), name, projection }),
  fc.record({ op: fc.constant('remove_projection'), name }),
  fc.anything({ maxDepth: 3 }),
);

afterAll(() => flushTallies('edits'));

describe('live edits, fuzzed against the running engine', () => {
  it('every edit is applied or refused with a CircuitError, fast, and leaves finite state', () => {
    let engine = new Engine<Backend>(flat);
    let applied = 0;
    let sinceReset = 0;
    fc.assert(
      fc.property(edit, (e) => {
        // A fresh engine every 100 edits: additions accumulate otherwise.
        if (++sinceReset > 100) {
          engine.dispose();
          engine = new Engine<Backend>(flat);
          sinceReset = 0;
        }
        const r = judge(
          'edits: random and hostile edits',
          () => engine.apply(e as Edit),
          (err) => err instanceof CircuitError,
        );
        expect(r.ms).toBeLessThan(HANG_MS);
        if (!r.ok) {
          expect(r.refused, `not a CircuitError: ${(r.error as Error)?.stack}`).toBe(true);
          return;
        }
        applied++;
        void engine.step(5);
        for (const p of engine.circuit.populations) {
          if (p.model === 'poisson') continue;
          const v = engine.backend.readState(p.name, 'v') as Float64Array;
          if (hasNonFinite(v)) tally('edits: random and hostile edits').nonFinite++;
          expect(hasNonFinite(v), `${p.name} has non-finite state after ${JSON.stringify(e)}`).toBe(false);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: runs(1500, 100_000), seed: 16 },
    );
    engine.dispose();
    // The fuzzer reaches the engine: some edits are accepted, most refused.
    expect(applied).toBeGreaterThan(20);
    expect(tally('edits: random and hostile edits').refused).toBeGreaterThan(100);
  }, 600_000);
});
