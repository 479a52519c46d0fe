// Neuromodulators: levels follow their sources (population activity, inputs, constants, pulses) and
// act on gain, threshold, excitability and learning rate of their targets.
import { describe, it, expect } from 'vitest';
import { engineFromText } from './helpers.js';

const base = (mod: string, extra = '') => `
dt: 0.1 ms
populations:
  drive: { model: poisson, size: 50, params: { rate: 50 Hz } }
  n: { model: lif, size: 20 }
projections:
  p: { source: drive, target: n, connectivity: { type: all_to_all }, weight: 1.5 nS, synapse: { type: conductance, receptor: excitatory } }
inputs:
  signal: {}
modulators:
  m:
${mod}
${extra}`;

function spikes(yaml: string, steps: number, setup?: (e: ReturnType<typeof engineFromText>) => void): number {
  const e = engineFromText(yaml);
  e.backend.configureRecording({});
  setup?.(e);
  e.step(steps);
  return e.backend.recording().populations.n.spikeSteps.length;
}

describe('modulator levels', () => {
  it('relax exponentially towards baseline + constant + gain * input with their tau', () => {
    const e = engineFromText(base('    tau: 10 ms\n    baseline: 0.5\n    sources: [{ constant: 0.25 }, { input: signal, gain: 2 }]'));
    expect(e.backend.modulatorLevel('m')).toBe(0.5);
    e.backend.setInput('signal', 1);
    e.step(100); // 10 ms = one tau
    const target = 0.5 + 0.25 + 2;
    expect(e.backend.modulatorLevel('m')).toBeCloseTo(target + (0.5 - target) * Math.exp(-1), 9);
    e.step(2000);
    expect(e.backend.modulatorLevel('m')).toBeCloseTo(target, 6);
  });

  it('count the spikes of a source population (gain per spike) and decay back to baseline', () => {
    const e = engineFromText(base('    tau: 50 ms\n    sources: [{ population: drive, gain: 0.01 }]'));
    e.backend.configureRecording({});
    e.step(10000);
    const driveSpikes = e.backend.recording().populations.drive.spikeSteps.length;
    // Steady state of a leaky counter: gain * rate * tau = 0.01 * (50 neurons * 50 Hz) * 0.05 s = 1.25.
    expect(Math.abs(driveSpikes - 2500)).toBeLessThan(4 * 50);
    expect(e.backend.modulatorLevel('m')).toBeGreaterThan(0.8);
    expect(e.backend.modulatorLevel('m')).toBeLessThan(1.8);
  });

  it('take pulses (a reward) on top of their level', () => {
    const e = engineFromText(base('    tau: 100 ms'));
    e.backend.pulseModulator('m', 1);
    expect(e.backend.modulatorLevel('m')).toBe(1);
    e.step(1000);
    expect(e.backend.modulatorLevel('m')).toBeCloseTo(Math.exp(-1), 9);
  });
});

describe('modulator effects', () => {
  const steps = 5000;
  it('gain scales synaptic input: more dopamine, more firing; negative gain floors at zero input', () => {
    const mk = (level: number) =>
      base(`    tau: 1000 s\n    baseline: ${level}\n    targets: [{ population: n, effect: gain, sensitivity: 1 }]`);
    const none = spikes(mk(0), steps);
    const more = spikes(mk(1), steps);
    const off = spikes(mk(-2), steps);
    expect(none).toBeGreaterThan(20);
    expect(more).toBeGreaterThan(none * 1.5);
    expect(off).toBe(0);
  });

  it('threshold shifts v_thresh by sensitivity * level mV', () => {
    const mk = (level: number) =>
      base(`    tau: 1000 s\n    baseline: ${level}\n    targets: [{ population: n, effect: threshold, sensitivity: 2 }]`);
    const none = spikes(mk(0), steps);
    expect(none).toBeGreaterThan(20);
    expect(spikes(mk(2), steps)).toBeLessThan(none);
    expect(spikes(mk(-2), steps)).toBeGreaterThan(none);
  });

  it('excitability adds sensitivity * level pA of bias current', () => {
    const quiet = `
dt: 0.1 ms
populations:
  n: { model: lif, size: 5 }
modulators:
  m: { tau: 1000 s, baseline: 1, targets: [{ population: n, effect: excitability, sensitivity: 400 }] }
`;
    expect(spikes(quiet, steps)).toBeGreaterThan(0);
    expect(spikes(quiet.replace('baseline: 1', 'baseline: 0'), steps)).toBe(0);
  });

  it('learning_rate scales STDP weight change (zero level factor 1, level -1 freezes learning)', () => {
    const mk = (level: number) =>
      base(`    tau: 1000 s\n    baseline: ${level}\n    targets: [{ projection: p, effect: learning_rate, sensitivity: 1 }]`).replace(
        'synapse: { type: conductance, receptor: excitatory } }',
        'synapse: { type: conductance, receptor: excitatory }, plasticity: { rule: stdp, w_max: 8 nS, a_plus: 0.01, a_minus: 0.012 } }',
      );
    const change = (level: number) => {
      const e = engineFromText(mk(level));
      const before = e.backend.readWeights('p').reduce((a, b) => a + b, 0);
      e.step(steps);
      return e.backend.readWeights('p').reduce((a, b) => a + b, 0) - before;
    };
    const normal = change(0);
    expect(Math.abs(normal)).toBeGreaterThan(0);
    expect(change(-1)).toBe(0);
    expect(Math.abs(change(1))).toBeGreaterThan(Math.abs(normal));
  });
});
