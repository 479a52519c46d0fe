// Poisson spike source as a population: each neuron spikes with probability rate*dt per step.
// Inputs add a per-neuron rate (state `drive`); modulator gain scales the total rate.
import type { NeuronModel } from './model.js';

export const poisson: NeuronModel = {
  name: 'poisson',
  doc: 'Independent Poisson spike trains (a spike source, receives no synapses)',
  integration: 'Bernoulli draw per step with p = rate * dt',
  params: {
    rate: { dimension: 'rate', default: 10, min: 0, doc: 'firing rate' },
  },
  state: {
    drive: { dimension: 'rate', doc: 'per-neuron rate added to `rate` (set by rate-mode inputs)', init: () => 0 },
  },
  step(p, s, dt, spikes) {
    const drive = s.vars.drive;
    const base = p.rate;
    const scale = (dt / 1000) * s.mod.gain;
    const rng = s.rng;
    let count = 0;
    for (let i = 0; i < s.n; i++) {
      if (rng.uniform() < (base + drive[i]) * scale) spikes[count++] = i;
    }
    return count;
  },
};
