// Poisson spike source as a population: each neuron spikes with probability rate*dt per step, the
// rate being the population's `rate` plus the neuron's `drive` (the sum of rate-mode inputs, or its
// initial value), scaled by the gain modulator. A definition like the other built-ins: the draw is
// `rand()` from the population's stream, one per neuron and step, in neuron order.
import { builtinFamily, type FamilyModel } from './family.js';

export const poisson: FamilyModel = builtinFamily({
  name: 'poisson',
  doc: 'Independent Poisson spike trains (a spike source, receives no synapses)',
  integration: 'Bernoulli draw per step with p = rate * dt',
  params: {
    rate: { dimension: 'rate', default: 10, min: 0, doc: 'firing rate' },
  },
  state: {
    drive: { dimension: 'rate', doc: 'per-neuron rate added to `rate` (set by rate-mode inputs)', init: () => 0 },
  },
  // Rates are numbers in Hz here (the documents' unit), scaled by dt/second in the threshold: the same
  // product (dt/1000)*gain as ever, so the same draws give the same spikes.
  units: { rate: '' },
  variants: {
    default: {
      description: 'Poisson spike source: one uniform draw per neuron and step',
      equations: 'ddrive/dt = 0/second : 1\n',
      threshold: 'rand() < (rate + drive)*(dt/second*gain)',
      method: 'euler',
      initial: { drive: 0 },
    },
  },
  variantFor: () => 'default',
});
