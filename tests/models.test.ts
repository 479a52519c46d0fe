// Behaviour every neuron model must show, run for every model in the registry (a new model is
// picked up without editing this file), plus closed-form checks where a model has one.
import { describe, it, expect } from 'vitest';
import { MODELS } from '../engine/models/registry.js';
import { engineFromText } from './helpers.js';

const spiking = Object.values(MODELS).filter((m) => m.name !== 'poisson');

function fI(model: string, current: number, extra = ''): number {
  const e = engineFromText(`
dt: 0.1 ms
populations:
  n: { model: ${model}, size: 1 ${extra} }
sources:
  i: { type: constant, target: n, amplitude: ${current} pA }
`);
  e.backend.configureRecording({});
  e.step(5000);
  return e.backend.recording().populations.n.spikeSteps.length;
}

describe.each(spiking.map((m) => [m.name, m] as const))('model %s', (name, model) => {
  it('has defaults for every parameter and a finite initial state', () => {
    for (const [k, p] of Object.entries(model.params)) expect(Number.isFinite(p.default), k).toBe(true);
    const e = engineFromText(`populations:\n  n: { model: ${name}, size: 3 }`);
    for (const v of Object.keys(model.state)) expect(e.backend.readState('n', v).every(Number.isFinite)).toBe(true);
  });

  it('stays silent and finite without input', () => {
    const e = engineFromText(`dt: 0.1 ms\npopulations:\n  n: { model: ${name}, size: 5 }`);
    e.backend.configureRecording({});
    e.step(5000);
    expect(e.backend.recording().populations.n.spikeSteps.length).toBe(0);
    for (const v of Object.keys(model.state)) expect(e.backend.readState('n', v).every(Number.isFinite)).toBe(true);
  });

  it('fires more with more input current (monotonic f-I curve)', () => {
    const currents = name === 'izhikevich' ? [5, 10, 20] : [600, 1000, 2000];
    const counts = currents.map((c) => fI(name, c));
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(counts[0]);
    expect(counts[2]).toBeGreaterThan(counts[1]);
  });

  it('responds to excitatory and inhibitory synapses of both kinds in the right direction', () => {
    for (const type of ['current', 'conductance']) {
      const w = type === 'current' ? (name === 'izhikevich' ? '30 pA' : '2000 pA') : name === 'izhikevich' ? '0.5 nS' : '40 nS';
      const run = (receptor: string) => {
        const e = engineFromText(`
dt: 0.1 ms
populations:
  drive: { model: poisson, size: 20, params: { rate: 100 Hz } }
  n: { model: ${name}, size: 1 }
projections:
  p: { source: drive, target: n, connectivity: { type: all_to_all }, weight: ${w}, synapse: { type: ${type}, receptor: ${receptor} } }
`);
        e.backend.configureRecording({ state: [{ population: 'n', variable: 'v' }] });
        e.step(300);
        const r = e.backend.recording().populations.n;
        const vs = r.state.v.values.map((x) => x[0]);
        return { spikes: r.spikeSteps.length, max: Math.max(...vs), min: Math.min(...vs) };
      };
      const rest = engineFromText(`populations:\n  n: { model: ${name}, size: 1 }`).backend.readState('n', 'v')[0];
      const exc = run('excitatory');
      expect(exc.spikes > 0 || exc.max > rest + 1, `${type} excitation depolarises`).toBe(true);
      const inh = run('inhibitory');
      expect(inh.spikes, `${type} inhibition never fires`).toBe(0);
      expect(inh.min, `${type} inhibition hyperpolarises`).toBeLessThan(rest - 0.01);
    }
  });
});

describe('LIF closed forms', () => {
  it('subthreshold response to a constant current is v(t) = E_L + I R (1 - exp(-t/tau_m)) to 1e-9', () => {
    const e = engineFromText(`
dt: 0.1 ms
populations:
  n: { model: lif, size: 1, params: { cm: 250 pF, tau_m: 20 ms, v_rest: -65 mV, v_thresh: 0 mV } }
sources:
  i: { type: constant, target: n, amplitude: 200 pA }
`);
    for (let k = 1; k <= 5; k++) {
      e.step(100);
      const t = k * 10;
      const expected = -65 + 200 * (20 / 250) * (1 - Math.exp(-t / 20));
      expect(Math.abs(e.backend.readState('n', 'v')[0] - expected)).toBeLessThan(1e-9);
    }
  });

  it('a current-synapse PSP follows the exact difference-of-exponentials to 1e-9', () => {
    // Inject the synaptic current directly as initial state: ie(0) = 100 pA at t = 0.
    const e2 = engineFromText(`
dt: 0.1 ms
populations:
  n: { model: lif, size: 1, params: { cm: 250 pF, tau_m: 20 ms, v_rest: -65 mV, tau_syn_exc: 5 ms }, init: { ie: 100 pA } }
`);
    for (let k = 1; k <= 4; k++) {
      e2.step(50);
      const t = k * 5;
      const expected = -65 + (100 / 250) * ((20 * 5) / (5 - 20)) * (Math.exp(-t / 5) - Math.exp(-t / 20));
      expect(Math.abs(e2.backend.readState('n', 'v')[0] - expected)).toBeLessThan(1e-9);
    }
  });

  it('refractory period: no two spikes closer than tau_refrac', () => {
    const e = engineFromText(`
dt: 0.1 ms
populations:
  n: { model: lif, size: 1, params: { tau_refrac: 5 ms } }
sources:
  i: { type: constant, target: n, amplitude: 100000 pA }
`);
    e.backend.configureRecording({});
    e.step(1000);
    const s = e.backend.recording().populations.n.spikeSteps;
    expect(s.length).toBeGreaterThan(10);
    // With overwhelming drive the neuron fires on the first step after the refractory period.
    for (let k = 1; k < s.length; k++) expect(s[k] - s[k - 1]).toBe(51);
  });

  it('a refractory period between whole steps freezes round(tau_refrac/dt) steps (lif and adex)', () => {
    for (const [model, tau, frozen] of [
      ['lif', 0.25, 3],
      ['lif', 0.24, 2],
      ['adex', 0.25, 3],
    ] as const) {
      const e = engineFromText(`
dt: 0.1 ms
populations:
  n: { model: ${model}, size: 1, params: { tau_refrac: ${tau} ms } }
sources:
  i: { type: constant, target: n, amplitude: 1000000 pA }
`);
      e.backend.configureRecording({});
      e.step(200);
      const s = e.backend.recording().populations.n.spikeSteps;
      expect(s.length).toBeGreaterThan(10);
      for (let k = 1; k < s.length; k++) expect(s[k] - s[k - 1], `${model} tau_refrac ${tau} ms`).toBe(frozen + 1);
    }
  });
});

describe('AdEx', () => {
  it('adapts: inter-spike intervals lengthen under constant drive (Brette & Gerstner 2005 defaults)', () => {
    const e = engineFromText(`
dt: 0.1 ms
populations:
  n: { model: adex, size: 1 }
sources:
  i: { type: constant, target: n, amplitude: 1000 pA }
`);
    e.backend.configureRecording({});
    e.step(5000);
    const s = e.backend.recording().populations.n.spikeSteps;
    expect(s.length).toBeGreaterThan(4);
    const isi = s.slice(1).map((x, k) => x - s[k]);
    expect(isi[isi.length - 1]).toBeGreaterThan(1.5 * isi[0]);
  });
});

describe('Poisson source', () => {
  it('fires at its rate (within 4 sigma) and rate inputs add to it', () => {
    const e = engineFromText(`
dt: 1 ms
populations:
  p: { model: poisson, size: 1000, params: { rate: 20 Hz } }
inputs:
  extra: { target: p, mode: rate }
`);
    e.backend.configureRecording({});
    e.step(1000);
    const n1 = e.backend.recording().populations.p.spikeSteps.length;
    expect(Math.abs(n1 - 20000)).toBeLessThan(4 * Math.sqrt(20000));
    e.backend.setInput('extra', 30);
    e.step(1000);
    const n2 = e.backend.recording().populations.p.spikeSteps.length - n1;
    expect(Math.abs(n2 - 50000)).toBeLessThan(4 * Math.sqrt(50000));
  });
});
