// The STDP window: a single pre/post pair at dt = t_post - t_pre in [-50, 50] ms changes the weight by
// a_plus*w_max*exp(-dt/tau_plus) or -a_minus*w_max*exp(dt/tau_minus). Traces decay exactly per step,
// so the only error is float rounding: checked to 1e-6 relative.
import { describe, it, expect } from 'vitest';
import { createPlasticState, plasticityStep } from '../engine/plasticity/stdp.js';
import type { PlasticitySpec } from '../engine/circuit/circuit.js';
import { engineFromText } from './helpers.js';

const base: PlasticitySpec = {
  rule: 'stdp',
  tauPlus: 16.8,
  tauMinus: 33.7,
  aPlus: 0.9,
  aMinus: 0.5,
  wMin: 0,
  wMax: 1,
  update: 'additive',
  bounds: 'hard',
  pairing: 'all',
  tauEligibility: 1000,
  learningRate: 1,
};

/** One synapse 0 -> 0; pre spikes at step a, post at step b; returns the weight change. */
function pair(spec: PlasticitySpec, dtMs: number, w0: number, dt = 0.1): number {
  const rowPtr = Uint32Array.of(0, 1);
  const targets = Uint32Array.of(0);
  const weights = Float32Array.of(w0);
  const st = createPlasticState(spec, rowPtr, targets, 1, 1);
  const lag = Math.round(dtMs / dt);
  const a = lag >= 0 ? 10 : 10 - lag;
  const b = a + lag;
  const one = Uint32Array.of(0);
  for (let n = 0; n <= Math.max(a, b) + 1; n++) {
    plasticityStep(st, rowPtr, targets, weights, one, n === a ? 1 : 0, one, n === b ? 1 : 0, dt, 1, 0);
  }
  return weights[0] - w0;
}

describe('pair-based STDP window', () => {
  const lags: number[] = [];
  for (let d = -50; d <= 50; d += 2.5) lags.push(d);

  it.each(lags.filter((d) => d > 0))('potentiation at dt = +%f ms matches a_plus*w_max*exp(-dt/tau_plus)', (d) => {
    const dw = pair(base, d, 0);
    const expected = base.aPlus * base.wMax * Math.exp(-d / base.tauPlus);
    expect(Math.abs(dw - expected) / expected).toBeLessThan(1e-6);
  });

  it.each(lags.filter((d) => d < 0))('depression at dt = %f ms matches -a_minus*w_max*exp(dt/tau_minus)', (d) => {
    const dw = pair(base, d, 1);
    const expected = -base.aMinus * base.wMax * Math.exp(d / base.tauMinus);
    expect(Math.abs(dw - expected) / Math.abs(expected)).toBeLessThan(1e-6);
  });

  it('simultaneous spikes potentiate by a_plus*w_max (pre is processed before post within a step)', () => {
    expect(pair(base, 0, 0)).toBeCloseTo(base.aPlus * base.wMax, 6);
  });

  it('hard bounds clip and soft bounds scale the change by the distance to the bound', () => {
    expect(pair(base, 1, 0.99) + 0.99).toBeCloseTo(1, 6);
    const soft = { ...base, bounds: 'soft' as const };
    const w0 = 0.75;
    const dw = pair(soft, 10, w0);
    expect(dw).toBeCloseTo(base.aPlus * Math.exp(-10 / base.tauPlus) * (1 - w0), 6);
    const dwm = pair(soft, -10, w0);
    expect(dwm).toBeCloseTo(-base.aMinus * Math.exp(-10 / base.tauMinus) * w0, 6);
  });

  it('multiplicative depression is proportional to the weight', () => {
    const mult = { ...base, update: 'multiplicative' as const };
    const a = pair(mult, -10, 0.5);
    const b = pair(mult, -10, 0.25);
    expect(a / b).toBeCloseTo(2, 5);
  });

  it('all-to-all pairing sums two pre spikes; nearest pairing counts only the latest', () => {
    const run = (pairing: 'all' | 'nearest') => {
      const spec = { ...base, pairing };
      const rowPtr = Uint32Array.of(0, 1);
      const targets = Uint32Array.of(0);
      const weights = Float32Array.of(0);
      const st = createPlasticState(spec, rowPtr, targets, 1, 1);
      const one = Uint32Array.of(0);
      for (let n = 0; n <= 300; n++)
        plasticityStep(st, rowPtr, targets, weights, one, n === 100 || n === 200 ? 1 : 0, one, n === 300 ? 1 : 0, 0.1, 1, 0);
      return weights[0];
    };
    const e1 = Math.exp(-10 / base.tauPlus);
    const e2 = Math.exp(-20 / base.tauPlus);
    expect(run('all')).toBeCloseTo(base.aPlus * (e1 + e2), 6);
    expect(run('nearest')).toBeCloseTo(base.aPlus * e1, 6);
  });
});

describe('reward-modulated (three-factor) STDP', () => {
  it('a pairing changes no weight without the modulator; the modulator turns the eligibility into weight change', () => {
    const spec: PlasticitySpec = { ...base, rule: 'reward_stdp', tauEligibility: 200, learningRate: 2, modulator: 'da' };
    const rowPtr = Uint32Array.of(0, 1);
    const targets = Uint32Array.of(0);
    const weights = Float32Array.of(0.5);
    const st = createPlasticState(spec, rowPtr, targets, 1, 1);
    const one = Uint32Array.of(0);
    const dt = 0.1;
    for (let n = 0; n <= 200; n++) plasticityStep(st, rowPtr, targets, weights, one, n === 0 ? 1 : 0, one, n === 100 ? 1 : 0, dt, 1, 0);
    expect(weights[0]).toBe(0.5);
    const e0 = st.eligibility![0];
    // Eligibility after the pairing at 10 ms, decayed for 10 ms.
    expect(e0).toBeCloseTo(base.aPlus * Math.exp(-10 / base.tauPlus) * Math.exp(-10.1 / 200), 5);
    // Reward level 1 for 50 ms: dw = lr * level * integral of e(t) dt (in s).
    const steps = 500;
    for (let n = 0; n < steps; n++) plasticityStep(st, rowPtr, targets, weights, one, 0, one, 0, dt, 1, 1);
    const decay = Math.exp(-dt / 200);
    const expected = 2 * (dt / 1000) * e0 * ((1 - decay ** steps) / (1 - decay));
    expect(weights[0] - 0.5).toBeCloseTo(expected, 6);
    expect(weights[0]).toBeGreaterThan(0.5);
  });
});

describe('STDP in a running circuit', () => {
  // Two LIF neurons forced to spike by brief current pulses; the post pulse comes `lag` ms after the pre pulse.
  const circuit = (lag: number) => `
dt: 0.1 ms
populations:
  pre:  { model: lif, size: 1, params: { tau_refrac: 2 ms } }
  post: { model: lif, size: 1, params: { tau_refrac: 2 ms } }
projections:
  syn:
    source: pre
    target: post
    connectivity: { type: one_to_one }
    weight: 0.5 pA
    synapse: { type: current, receptor: excitatory }
    plasticity: { rule: stdp, w_max: 1 pA, a_plus: 0.1, a_minus: 0.1, tau_plus: 20 ms, tau_minus: 20 ms }
sources:
  kick_pre:  { type: step, target: pre,  times: [${[20, 120, 220].map((t) => `${t} ms, ${t + 0.1} ms`).join(', ')}], amplitudes: [${'100000 pA, 0 pA, '.repeat(3).slice(0, -2)}] }
  kick_post: { type: step, target: post, times: [${[20, 120, 220].map((t) => `${t + lag} ms, ${t + lag + 0.1} ms`).join(', ')}], amplitudes: [${'100000 pA, 0 pA, '.repeat(3).slice(0, -2)}] }
`;
  it.each([10, -10])('pairs at dt = %i ms move the weight by the window summed over all spike pairs', (lag) => {
    const e = engineFromText(circuit(lag));
    e.backend.configureRecording({});
    e.step(3500);
    const rec = e.backend.recording();
    expect(rec.populations.pre.spikeSteps.length).toBe(3);
    expect(rec.populations.post.spikeSteps.length).toBe(3);
    const pre = rec.populations.pre.spikeSteps.map((s) => s * rec.dt);
    const post = rec.populations.post.spikeSteps.map((s) => s * rec.dt);
    // The spikes fall exactly on the pulses.
    expect(pre).toEqual([20, 120, 220].map((t) => expect.closeTo(t, 9)));
    expect(post).toEqual([20, 120, 220].map((t) => expect.closeTo(t + lag, 9)));
    // All-to-all pairing: every pre/post pair contributes its window value (weights stay inside the bounds).
    let expected = 0;
    for (const p of pre) for (const q of post) expected += q >= p ? 0.1 * Math.exp(-(q - p) / 20) : -0.1 * Math.exp((q - p) / 20);
    const dw = e.backend.readWeights('syn')[0] - 0.5;
    expect(Math.sign(dw)).toBe(Math.sign(lag));
    expect(dw).toBeCloseTo(expected, 6);
  });
});
