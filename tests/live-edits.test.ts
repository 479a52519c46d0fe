// Live edits through Engine.apply: each kind of edit changes the running network from the next step
// on and nothing else; invalid edits throw CircuitError and leave the network bit-identical.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, loadCircuit, type Edit } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { untyped } from './fixtures/hostile.js';

const DIR = mkdtempSync(join(tmpdir(), 'flux-live-'));

function engineOf(yaml: string, name = 'circuit.yaml'): Engine {
  const file = join(DIR, name);
  return new Engine(loadFlat(file, yaml));
}

/**
 * quiet: LIF without drive, never fires; busy: LIF with a strong bias, fires regularly;
 * drive: Poisson 200 Hz into target (excitatory current, no delay);
 * busy -> target inhibitory, no delay; busy is read by an output.
 */
const CIRCUIT = `
name: live
dt: 0.1 ms
seed: 5
populations:
  quiet:
    model: lif
    size: 20
    init: { v: { uniform: { low: -70 mV, high: -55 mV } } }
  busy:
    model: lif
    size: 20
    params: { i_offset: 300 pA }
    init: { v: { uniform: { low: -65 mV, high: -51 mV } } }
  drive: { model: poisson, size: 30, params: { rate: 200 Hz } }
  target: { model: lif, size: 10, params: { tau_syn_exc: 5 ms, tau_syn_inh: 10 ms } }
projections:
  d2t: { source: drive, target: target, connectivity: { type: fixed_probability, p: 0.5 }, weight: 30 pA, synapse: { type: current, receptor: excitatory } }
  b2t: { source: busy, target: target, connectivity: { type: all_to_all }, weight: { uniform: { low: 5 pA, high: 10 pA } }, synapse: { type: current, receptor: inhibitory } }
outputs:
  busy_rate: { source: busy, measure: rate }
`;

const DT = 0.1;
const DE = Math.exp(-DT / 5); // target tau_syn_exc
const DI = Math.exp(-DT / 10); // target tau_syn_inh

/** Steps one at a time; returns spike counts per population over the run. */
function run(e: Engine, steps: number, pops = e.circuit.populations.map((p) => p.name)): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(pops.map((p) => [p, 0]));
  for (let s = 0; s < steps; s++) {
    e.step(1);
    for (const p of pops) counts[p] += e.backend.lastSpikes(p).length;
  }
  return counts;
}

const VARS = ['v', 'ie', 'ii', 'ge', 'gi'];

/** Every state variable, spike list, weight array and output, as bytes, for exact comparison. */
function snapshot(e: Engine): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  for (const p of e.circuit.populations) {
    const vars = p.model === 'poisson' ? ['drive', 'ie', 'ii', 'ge', 'gi'] : VARS;
    for (const v of vars) out[`${p.name}.${v}`] = bytes(e.backend.readState(p.name, v));
    out[`${p.name}.spikes`] = bytes(e.backend.lastSpikes(p.name));
  }
  for (const p of e.circuit.projections) out[`${p.name}.w`] = bytes(e.backend.readWeights(p.name));
  for (const o of e.circuit.outputs) out[`${o.name}.out`] = bytes(Float64Array.of(e.backend.readOutput(o.name)));
  out.step = bytes(Float64Array.of(e.backend.stepIndex));
  return out;
}

function expectSame(a: Engine, b: Engine, label = ''): void {
  const sa = snapshot(a);
  const sb = snapshot(b);
  expect(Object.keys(sa).sort(), label).toEqual(Object.keys(sb).sort());
  for (const k of Object.keys(sa)) expect(sa[k].equals(sb[k]), `${label} ${k}`).toBe(true);
}

function rejects(e: Engine, edit: Edit): CircuitError {
  let err: unknown;
  try {
    e.apply(edit);
  } catch (x) {
    err = x;
  }
  expect(err, JSON.stringify(edit)).toBeInstanceOf(CircuitError);
  return err as CircuitError;
}

describe('set_param', () => {
  it('raising i_offset mid-run makes a silent population fire; other populations are untouched', () => {
    const e = engineOf(CIRCUIT);
    const control = engineOf(CIRCUIT);
    const before = run(e, 300);
    run(control, 300);
    expect(before.quiet).toBe(0);
    expect(before.busy).toBeGreaterThan(0);
    const busyV = e.backend.readState('busy', 'v');
    const targetIe = e.backend.readState('target', 'ie');
    const r = e.apply({ op: 'set_param', population: 'quiet', param: 'i_offset', value: '400 pA' });
    expect(r).toMatchObject({ applied: true, step: 300 });
    // applying the edit changes no state
    expect(Buffer.from(e.backend.readState('busy', 'v').buffer).equals(Buffer.from(busyV.buffer))).toBe(true);
    expect(Buffer.from(e.backend.readState('target', 'ie').buffer).equals(Buffer.from(targetIe.buffer))).toBe(true);
    expect(e.circuit.populations.find((p) => p.name === 'quiet')!.params.i_offset).toBe(400);
    expect(e.circuit.populations.find((p) => p.name === 'busy')!.params.i_offset).toBe(300);
    for (let s = 0; s < 300; s++) {
      run(e, 1);
      run(control, 1);
      // quiet projects nowhere: every other population evolves exactly as without the edit
      for (const pop of ['busy', 'target', 'drive']) {
        const vars = pop === 'drive' ? ['drive'] : VARS;
        for (const v of vars)
          expect(
            Buffer.from(e.backend.readState(pop, v).buffer).equals(Buffer.from(control.backend.readState(pop, v).buffer)),
            `${pop}.${v} step ${s}`,
          ).toBe(true);
        expect(Array.from(e.backend.lastSpikes(pop))).toEqual(Array.from(control.backend.lastSpikes(pop)));
      }
    }
    const after = run(e, 600);
    // 400 pA: v_inf = -65 + 400/12.5 = -33 mV, well above threshold: every neuron fires repeatedly
    expect(after.quiet).toBeGreaterThan(40);
    expect(run(control, 600).quiet).toBe(0);
  });

  it('takes effect exactly at the returned step: the first step after the edit integrates the new bias in full', () => {
    const e = engineOf(CIRCUIT);
    const control = engineOf(CIRCUIT);
    run(e, 137);
    run(control, 137);
    expect(e.backend.stepIndex).toBe(137);
    const r = e.apply({ op: 'set_param', population: 'quiet', param: 'i_offset', value: '0.1 nA' });
    expect(r.step).toBe(137);
    expect(r.step).toBe(e.backend.stepIndex);
    expect(e.timeMs).toBeCloseTo(13.7, 10);
    // state at the edit is the control's
    expect(Array.from(e.backend.readState('quiet', 'v'))).toEqual(Array.from(control.backend.readState('quiet', 'v')));
    e.step(1);
    control.step(1);
    // LIF, exact integration: a bias change dI moves v by dI * (1 - exp(-dt/tau_m)) / gL in one step.
    const gL = 250 / 20;
    const dv = (100 * (1 - Math.exp(-DT / 20))) / gL;
    const ve = e.backend.readState('quiet', 'v');
    const vc = control.backend.readState('quiet', 'v');
    for (let i = 0; i < ve.length; i++) expect(ve[i] - vc[i]).toBeCloseTo(dv, 9);
  });

  it('several edits between the same two steps all take effect at that step', () => {
    const e = engineOf(CIRCUIT);
    run(e, 10);
    const r1 = e.apply({ op: 'set_param', population: 'quiet', param: 'i_offset', value: 50 });
    const r2 = e.apply({ op: 'set_param', population: 'quiet', param: 'v_rest', value: '-60 mV' });
    expect(r1.step).toBe(10);
    expect(r2.step).toBe(10);
    const p = e.circuit.populations.find((x) => x.name === 'quiet')!.params;
    expect(p.i_offset).toBe(50);
    expect(p.v_rest).toBe(-60);
    // v relaxes towards v_rest + i_offset / gL = -60 + 50/12.5 = -56
    run(e, 3000);
    for (const v of e.backend.readState('quiet', 'v')) expect(v).toBeCloseTo(-56, 3);
  });
});

describe('set_weights', () => {
  it('a constant value replaces every weight, shows in readWeights and scales the target response', () => {
    const e = engineOf(CIRCUIT);
    const control = engineOf(CIRCUIT);
    run(e, 50);
    run(control, 50);
    expect(e.backend.readWeights('d2t').every((w) => w === 30)).toBe(true);
    e.apply({ op: 'set_weights', projection: 'd2t', value: '60 pA' });
    expect(e.backend.readWeights('d2t').every((w) => w === 60)).toBe(true);
    expect(control.backend.readWeights('d2t').every((w) => w === 30)).toBe(true);
    // the document keeps the new weight
    expect(e.circuit.projections.find((p) => p.name === 'd2t')!.weight).toEqual({ kind: 'constant', value: 60 });
    let checked = 0;
    for (let s = 0; s < 40; s++) {
      const ie0 = e.backend.readState('target', 'ie');
      // at the edit both engines are in the same state
      if (s === 0) expect(Array.from(ie0)).toEqual(Array.from(control.backend.readState('target', 'ie')));
      const ieC0 = control.backend.readState('target', 'ie');
      e.step(1);
      control.step(1);
      const ie1 = e.backend.readState('target', 'ie');
      const ieC1 = control.backend.readState('target', 'ie');
      for (let j = 0; j < ie1.length; j++) {
        const inE = ie1[j] - ie0[j] * DE;
        const inC = ieC1[j] - ieC0[j] * DE;
        expect(inE).toBeCloseTo(2 * inC, 6);
        if (inC > 0) checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('setting the weights to 0 silences the projection', () => {
    const e = engineOf(CIRCUIT);
    run(e, 100);
    expect(e.backend.readState('target', 'ie').some((x) => x > 0)).toBe(true);
    e.apply({ op: 'set_weights', projection: 'd2t', value: 0 });
    for (let s = 0; s < 100; s++) {
      const before = e.backend.readState('target', 'ie');
      e.step(1);
      const after = e.backend.readState('target', 'ie');
      for (let j = 0; j < after.length; j++) expect(after[j]).toBe(before[j] * DE);
    }
  });

  it('indices and values change exactly those synapses, and the target feels them', () => {
    const e = engineOf(CIRCUIT);
    run(e, 20);
    const w0 = e.backend.readWeights('b2t');
    const { rowPtr, targets } = e.backend.readStructure('b2t');
    const n = targets.length;
    expect(n).toBe(200);
    const indices = [0, 7, 42, n - 1];
    e.apply({ op: 'set_weights', projection: 'b2t', indices, values: ['100 pA', 0.5, '0.2 nA', 0] });
    const w1 = e.backend.readWeights('b2t');
    expect([w1[0], w1[7], w1[42], w1[n - 1]]).toEqual([100, 0.5, 200, 0]);
    for (let k = 0; k < n; k++) if (!indices.includes(k)) expect(w1[k]).toBe(w0[k]);
    // the inhibitory input of each target after a step is exactly the sum of the new weights of the
    // busy neurons that spiked in it
    let spiking = 0;
    for (let s = 0; s < 200; s++) {
      const ii0 = e.backend.readState('target', 'ii');
      e.step(1);
      const spikes = e.backend.lastSpikes('busy');
      spiking += spikes.length;
      const expected = Float64Array.from(ii0, (x) => x * DI);
      for (const i of spikes) for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) expected[targets[k]] += w1[k];
      const ii1 = e.backend.readState('target', 'ii');
      for (let j = 0; j < ii1.length; j++) expect(ii1[j]).toBeCloseTo(expected[j], 9);
    }
    expect(spiking).toBeGreaterThan(0);
  });
});

describe('adding and removing', () => {
  it('add_population mid-run, then add_projection from it: the new population fires and drives its target', () => {
    const e = engineOf(CIRCUIT);
    expect(run(e, 100).quiet).toBe(0);
    const r = e.apply({ op: 'add_population', name: 'pacer', population: { model: 'lif', size: 5, params: { i_offset: '500 pA' } } });
    expect(r.step).toBe(100);
    expect(Array.from(e.backend.readState('pacer', 'v'))).toEqual([-65, -65, -65, -65, -65]);
    const c1 = run(e, 400);
    expect(c1.pacer).toBeGreaterThanOrEqual(15); // period ~11.4 ms at 500 pA
    expect(c1.quiet).toBe(0);
    e.apply({
      op: 'add_projection',
      name: 'pace',
      projection: {
        source: 'pacer',
        target: 'quiet',
        connectivity: { type: 'all_to_all' },
        weight: '200 pA',
        synapse: { type: 'current', receptor: 'excitatory' },
      },
    });
    expect(e.backend.readStructure('pace').targets.length).toBe(5 * 20);
    expect(e.backend.readWeights('pace').every((w) => w === 200)).toBe(true);
    const c2 = run(e, 300);
    expect(c2.pacer).toBeGreaterThan(10);
    expect(c2.quiet).toBeGreaterThan(20);
    expect(e.circuit.projections.map((p) => p.name)).toContain('pace');
  });

  it('add_projection with a longer delay keeps in-flight events of existing delayed projections', () => {
    const delayed = CIRCUIT.replace(
      'b2t: { source: busy, target: target, connectivity: { type: all_to_all }, weight: { uniform: { low: 5 pA, high: 10 pA } },',
      'b2t: { source: busy, target: target, connectivity: { type: all_to_all }, weight: { uniform: { low: 5 pA, high: 10 pA } }, delay: 2 ms,',
    ).replace(
      '  d2t: { source: drive, target: target, connectivity: { type: fixed_probability, p: 0.5 }, weight: 30 pA,',
      '  d2t: { source: drive, target: target, connectivity: { type: fixed_probability, p: 0.5 }, weight: 30 pA, delay: { uniform: { low: 0.5 ms, high: 3 ms } },',
    );
    expect(delayed).toContain('delay: 2 ms');
    expect(delayed).toContain('delay: { uniform');
    const e = engineOf(delayed);
    const control = engineOf(delayed);
    run(e, 333);
    run(control, 333);
    e.apply({ op: 'add_population', name: 'silent', population: { model: 'lif', size: 3 } });
    // grows target's delay rings (both channels) from 31 to 101 slots while spikes are in flight
    e.apply({
      op: 'add_projection',
      name: 'slow',
      projection: {
        source: 'silent',
        target: 'target',
        connectivity: { type: 'all_to_all' },
        weight: '1 pA',
        delay: '10 ms',
        synapse: { type: 'current', receptor: 'inhibitory' },
      },
    });
    e.apply({
      op: 'add_projection',
      name: 'slow_e',
      projection: {
        source: 'silent',
        target: 'target',
        connectivity: { type: 'all_to_all' },
        weight: '1 pA',
        delay: '7 ms',
        synapse: { type: 'current', receptor: 'excitatory' },
      },
    });
    for (let s = 0; s < 150; s++) {
      e.step(1);
      control.step(1);
      for (const v of ['v', 'ie', 'ii'])
        expect(Array.from(e.backend.readState('target', v)), `${v} at step ${333 + s}`).toEqual(
          Array.from(control.backend.readState('target', v)),
        );
    }
  });

  it('remove_projection stops its effect from the next step', () => {
    const e = engineOf(CIRCUIT);
    run(e, 100);
    expect(e.backend.readState('target', 'ie').some((x) => x > 0)).toBe(true);
    const r = e.apply({ op: 'remove_projection', name: 'd2t' });
    expect(r.step).toBe(100);
    expect(() => e.backend.readWeights('d2t')).toThrow();
    expect(e.circuit.projections.map((p) => p.name)).toEqual(['b2t']);
    let driveSpikes = 0;
    for (let s = 0; s < 200; s++) {
      const before = e.backend.readState('target', 'ie');
      e.step(1);
      driveSpikes += e.backend.lastSpikes('drive').length;
      const after = e.backend.readState('target', 'ie');
      for (let j = 0; j < after.length; j++) expect(after[j]).toBe(before[j] * DE);
    }
    expect(driveSpikes).toBeGreaterThan(50); // the source kept firing
  });

  it('remove_population refuses while the population is used, listing its users', () => {
    const e = engineOf(CIRCUIT);
    run(e, 10);
    const err = rejects(e, { op: 'remove_population', name: 'busy' });
    expect(err.message).toContain('projections b2t');
    expect(err.message).toContain('outputs busy_rate');
    expect(err.message).toMatch(/cascade/);
    expect(e.circuit.populations.map((p) => p.name)).toContain('busy');
    expect(() => e.backend.readState('busy', 'v')).not.toThrow();
  });

  it('remove_population with cascade removes its projections and other users', () => {
    const e = engineOf(CIRCUIT);
    run(e, 10);
    const r = e.apply({ op: 'remove_population', name: 'busy', cascade: true });
    expect(r.removed?.sort()).toEqual(['outputs.busy_rate', 'projections.b2t']);
    expect(e.circuit.populations.map((p) => p.name)).toEqual(['quiet', 'drive', 'target']);
    expect(e.circuit.projections.map((p) => p.name)).toEqual(['d2t']);
    expect(e.circuit.outputs).toEqual([]);
    expect(() => e.backend.readState('busy', 'v')).toThrow();
    expect(() => e.backend.readWeights('b2t')).toThrow();
    expect(() => e.backend.readOutput('busy_rate')).toThrow();
    // the target's inhibition only decays from now on
    for (let s = 0; s < 100; s++) {
      const before = e.backend.readState('target', 'ii');
      e.step(1);
      const after = e.backend.readState('target', 'ii');
      for (let j = 0; j < after.length; j++) expect(after[j]).toBe(before[j] * DI);
    }
    // an unused population can be removed without cascade
    expect(e.apply({ op: 'remove_population', name: 'quiet' }).removed).toBeUndefined();
    expect(e.circuit.populations.map((p) => p.name)).toEqual(['drive', 'target']);
  });

  // Regression test for a bug fixed in (engine/engine.ts Engine.usersOf): users are found by comparing a projection's source/target
  // (as written, e.g. the port "left.out") with the population's name ("left.flexor"), without
  // resolving port aliases. A projection that reaches the population through a port is not seen as a
  // user: without cascade the refusal is the generic 'no population "left.out"' check error instead
  // of the list of users, and with cascade the projection is not removed, so the edit fails. Fix:
  // resolve references through flat.aliases (as Checker.resolvePop does) before comparing.
  it('remove_population with cascade also removes projections that reach it through a port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-live-port-'));
    writeFileSync(
      join(dir, 'hc.yaml'),
      'ports: { out: flexor }\npopulations:\n  flexor: { model: lif, size: 4, params: { i_offset: 400 pA } }\n',
    );
    const main = join(dir, 'main.yaml');
    writeFileSync(
      main,
      'include: [{ module: ./hc.yaml, prefix: left }]\npopulations:\n  mn: { model: lif, size: 2 }\nprojections:\n  out: { source: left.out, target: mn, connectivity: { type: all_to_all }, weight: 10 pA, synapse: { type: current, receptor: excitatory } }\n',
    );
    const e = new Engine(loadFlat(main));
    e.step(5);
    const r = e.apply({ op: 'remove_population', name: 'left.flexor', cascade: true });
    expect(r.removed).toEqual(['projections.out']);
    expect(e.circuit.projections).toEqual([]);
  });
});

describe('invalid edits', () => {
  const INVALID: [string, Edit][] = [
    ['unknown parameter', { op: 'set_param', population: 'quiet', param: 'tau_x', value: 3 }],
    ['parameter of another model', { op: 'set_param', population: 'drive', param: 'tau_m', value: '10 ms' }],
    ['bad unit', { op: 'set_param', population: 'quiet', param: 'i_offset', value: '5 mV' }],
    ['malformed quantity', { op: 'set_param', population: 'quiet', param: 'i_offset', value: 'lots' }],
    ['time constant <= 0', { op: 'set_param', population: 'busy', param: 'tau_m', value: 0 }],
    ['unknown population', { op: 'set_param', population: 'nobody', param: 'i_offset', value: 1 }],
    ['schema-invalid add_population (size)', { op: 'add_population', name: 'x', population: { model: 'lif', size: -1 } }],
    ['schema-invalid add_population (unknown model)', { op: 'add_population', name: 'x', population: { model: 'hh', size: 3 } }],
    [
      'schema-invalid add_population (unknown param)',
      { op: 'add_population', name: 'x', population: { model: 'lif', size: 3, params: { nope: 1 } } },
    ],
    [
      'add_population with a bad unit',
      { op: 'add_population', name: 'x', population: { model: 'lif', size: 3, params: { tau_m: '3 mV' } } },
    ],
    ['add_population with an existing name', { op: 'add_population', name: 'busy', population: { model: 'lif', size: 3 } }],
    [
      'add_projection to a missing population',
      {
        op: 'add_projection',
        name: 'x',
        projection: {
          source: 'busy',
          target: 'ghost',
          connectivity: { type: 'all_to_all' },
          weight: 1,
          synapse: { type: 'current', receptor: 'excitatory' },
        },
      },
    ],
    [
      'add_projection with nS on a current synapse',
      {
        op: 'add_projection',
        name: 'x',
        projection: {
          source: 'busy',
          target: 'quiet',
          connectivity: { type: 'all_to_all' },
          weight: '5 nS',
          synapse: { type: 'current', receptor: 'excitatory' },
        },
      },
    ],
    [
      'schema-invalid add_projection',
      {
        op: 'add_projection',
        name: 'x',
        projection: untyped({
          source: 'busy',
          target: 'quiet',
          connectivity: { type: 'fixed_probability' },
          weight: 1,
          synapse: { type: 'current', receptor: 'excitatory' },
        }),
      },
    ],
    [
      'add_projection onto a Poisson population',
      {
        op: 'add_projection',
        name: 'x',
        projection: {
          source: 'busy',
          target: 'drive',
          connectivity: { type: 'all_to_all' },
          weight: 1,
          synapse: { type: 'current', receptor: 'excitatory' },
        },
      },
    ],
    [
      'add_projection with an existing name',
      {
        op: 'add_projection',
        name: 'd2t',
        projection: {
          source: 'busy',
          target: 'quiet',
          connectivity: { type: 'one_to_one' },
          weight: 1,
          synapse: { type: 'current', receptor: 'excitatory' },
        },
      },
    ],
    ['weight index out of range', { op: 'set_weights', projection: 'b2t', indices: [0, 200], values: [1, 2] }],
    ['negative weight index', { op: 'set_weights', projection: 'b2t', indices: [-1], values: [1] }],
    ['non-integer weight index', { op: 'set_weights', projection: 'b2t', indices: [1.5], values: [1] }],
    ['negative weight (value)', { op: 'set_weights', projection: 'd2t', value: -1 }],
    ['negative weight (values)', { op: 'set_weights', projection: 'b2t', indices: [0, 1], values: [1, '-2 pA'] }],
    ['weight with the wrong unit', { op: 'set_weights', projection: 'd2t', value: '5 nS' }],
    ['indices and values of different lengths', { op: 'set_weights', projection: 'b2t', indices: [0, 1], values: [1] }],
    ['set_weights on a missing projection', { op: 'set_weights', projection: 'nope', value: 1 }],
    ['remove_population while used', { op: 'remove_population', name: 'drive' }],
    ['remove a missing population', { op: 'remove_population', name: 'nope', cascade: true }],
    ['remove a missing projection', { op: 'remove_projection', name: 'nope' }],
    ['unknown op', untyped({ op: 'rewire_everything' })],
  ];

  for (const [label, edit] of INVALID) {
    it(`${label}: throws CircuitError and leaves the network bit-identical`, () => {
      const a = engineOf(CIRCUIT);
      const b = engineOf(CIRCUIT);
      run(a, 40);
      run(b, 40);
      const docBefore = structuredClone(a.flat.doc);
      const circuitBefore = structuredClone({ ...a.circuit, modules: null });
      const err = rejects(a, edit);
      expect(err.issues.length).toBeGreaterThan(0);
      expect(a.flat.doc).toEqual(docBefore);
      expect({ ...a.circuit, modules: null }).toEqual(circuitBefore);
      expectSame(a, b, 'right after the edit');
      for (let s = 0; s < 60; s++) {
        a.step(1);
        b.step(1);
        expectSame(a, b, `step ${s}`);
      }
    });
  }

  // Regression test for a bug fixed in (engine/engine.ts Engine.apply, cases add_population and add_projection): edit.name is never
  // checked against the name pattern that documents must follow (schema propertyNames, NAME_PATTERN
  // in schema.ts), so a live edit can create "bad name!" — a circuit no document could describe and
  // whose saved form fails validation. Fix: in both cases, reject names not matching NAME_PATTERN
  // (or REF_PATTERN if edits into modules are meant to be allowed) with editError('/name', ...).
  it('add_population and add_projection reject names a document could not use', () => {
    const a = engineOf(CIRCUIT);
    const b = engineOf(CIRCUIT);
    run(a, 10);
    run(b, 10);
    rejects(a, { op: 'add_population', name: 'bad name!', population: { model: 'lif', size: 2 } });
    rejects(a, {
      op: 'add_projection',
      name: '9lives',
      projection: {
        source: 'busy',
        target: 'quiet',
        connectivity: { type: 'one_to_one' },
        weight: 1,
        synapse: { type: 'current', receptor: 'excitatory' },
      },
    });
    expectSame(a, b);
  });

  it('a rejected edit does not block a later valid one', () => {
    const e = engineOf(CIRCUIT);
    run(e, 5);
    rejects(e, { op: 'set_param', population: 'quiet', param: 'i_offset', value: '5 mV' });
    expect(e.apply({ op: 'set_param', population: 'quiet', param: 'i_offset', value: '5 pA' }).applied).toBe(true);
    expect(e.circuit.populations.find((p) => p.name === 'quiet')!.params.i_offset).toBe(5);
  });

  it('the error of an invalid add_population names the edit and the path in it', () => {
    const e = engineOf(CIRCUIT);
    const err = rejects(e, { op: 'add_population', name: 'x', population: untyped({ model: 'lif', size: 3, extra: 1 }) });
    expect(err.issues).toEqual([expect.objectContaining({ file: '<live edit>', path: '/population/extra' })]);
  });
});

describe('engines from the same circuit', () => {
  it('are bit-identical without edits (the premise of the invalid-edit tests)', () => {
    const a = engineOf(CIRCUIT);
    const b = new Engine(loadCircuit(join(DIR, 'again.yaml'), CIRCUIT).flat);
    for (let s = 0; s < 100; s++) {
      a.step(1);
      b.step(1);
    }
    expectSame(a, b);
    const counts = run(a, 500);
    expect(counts.busy).toBeGreaterThan(0);
    expect(counts.drive).toBeGreaterThan(0);
  });
});

describe('inherited property names (issue 16, D6)', () => {
  const INHERITED = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'prototype'];

  it('set_param refuses a parameter or population named after an Object.prototype property, and the document stays plain', () => {
    const e = engineOf(CIRCUIT);
    const before = structuredClone(e.flat.doc);
    for (const name of INHERITED) {
      expect(() => e.apply({ op: 'set_param', population: 'quiet', param: name, value: 1 })).toThrow(CircuitError);
      expect(() => e.apply({ op: 'set_param', population: name, param: 'tau_m', value: '5 ms' })).toThrow(CircuitError);
    }
    expect(e.flat.doc).toEqual(before);
    expect(Object.getPrototypeOf(e.flat.doc.populations)).toBe(Object.prototype);
    // A later valid edit still works.
    e.apply({ op: 'set_param', population: 'quiet', param: 'tau_m', value: '5 ms' });
    expect(e.circuit.populations.find((p) => p.name === 'quiet')!.params.tau_m).toBe(5);
  });

  it('set_weights, remove_population, remove_projection and the add_* names refuse inherited names', () => {
    const e = engineOf(CIRCUIT);
    const before = structuredClone(e.flat.doc);
    for (const name of INHERITED) {
      expect(() => e.apply({ op: 'set_weights', projection: name, value: '1 pA' })).toThrow(CircuitError);
      expect(() => e.apply({ op: 'remove_population', name })).toThrow(CircuitError);
      expect(() => e.apply({ op: 'remove_projection', name })).toThrow(CircuitError);
    }
    // The three names that reach a prototype are reserved (as in every path language Flux parses).
    for (const name of ['__proto__', 'constructor', 'prototype', 'm.__proto__']) {
      expect(() => e.apply({ op: 'add_population', name, population: { model: 'lif', size: 2 } })).toThrow(/reserved|invalid name/);
      expect(() =>
        e.apply({
          op: 'add_projection',
          name,
          projection: {
            source: 'busy',
            target: 'quiet',
            connectivity: { type: 'one_to_one' },
            weight: '1 pA',
            synapse: { type: 'current', receptor: 'excitatory' },
          },
        }),
      ).toThrow(/reserved|invalid name/);
    }
    expect(e.flat.doc).toEqual(before);
    expect(Object.getPrototypeOf(e.flat.doc.populations)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(e.flat.doc.projections)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).size).toBeUndefined();
    // Other inherited names are ordinary names once looked up as own properties: added, edited, removed as themselves.
    e.apply({ op: 'add_population', name: 'toString', population: { model: 'lif', size: 2 } });
    e.apply({ op: 'set_param', population: 'toString', param: 'tau_m', value: '7 ms' });
    expect(e.circuit.populations.find((p) => p.name === 'toString')!.params.tau_m).toBe(7);
    e.apply({ op: 'remove_population', name: 'toString' });
    expect(e.flat.doc).toEqual(before);
  });

  it('names that are not strings are refused, not coerced', () => {
    const e = engineOf(CIRCUIT);
    expect(() => e.apply({ op: 'set_param', population: untyped(['quiet']), param: 'tau_m', value: '5 ms' })).toThrow(CircuitError);
    expect(() => e.apply({ op: 'set_param', population: 'quiet', param: untyped(['tau_m']), value: '5 ms' })).toThrow(CircuitError);
    expect(() => e.apply({ op: 'remove_projection', name: untyped({ toString: () => 'd2t' }) })).toThrow(CircuitError);
    expect(e.circuit.projections.map((p) => p.name)).toContain('d2t');
  });
});
