// population: scalar -> one amplitude per neuron from Gaussian tuning curves with preferred values
// spread evenly over [min, max] (Pouget et al. 2000).
import { Type } from '@sinclair/typebox';
import { Num } from './kinds.js';
import { defineEncoder, preferred } from './encoder.js';

export const population = defineEncoder({
  options: Type.Object({ min: Num, max: Num, sigma: Num, amplitude: Num }, { additionalProperties: false }),
  // A Gaussian tuning curve of width 0 divides by 0.
  signs: { sigma: 'positive' },
  read: (o) => o,
  create: (spec) => ({
    stateful: false,
    encode(value, size) {
      if (typeof value !== 'number') throw new Error('population coding takes one number; use a field path that selects one value');
      const out = new Float64Array(size);
      for (let k = 0; k < size; k++)
        out[k] = spec.amplitude * Math.exp(-((value - preferred(k, size, spec.min, spec.max)) ** 2) / (2 * spec.sigma ** 2));
      return out;
    },
  }),
});
