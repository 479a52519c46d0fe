// population_vector: sum of preferred values weighted by each neuron's filtered rate (preferred values
// spread evenly over [min, max]; Georgopoulos et al. 1986); `idle` when silent.
import { Type, type Static } from '@sinclair/typebox';
import { Num, Quantity } from '../encoders/kinds.js';
import { preferred } from '../encoders/encoder.js';
import { defineDecoder, filteredRates } from './decoder.js';

const options = Type.Object({ tau: Quantity(), min: Num, max: Num, idle: Type.Optional(Num) }, { additionalProperties: false });

/** The options in internal units (tau in ms). */
export type PopulationVectorSpec = Omit<Static<typeof options>, 'tau'> & { tau: number };

export const populationVector = defineDecoder({
  options,
  read: (o, ck, at): PopulationVectorSpec => ({
    tau: ck.q([...at, 'tau'], o.tau, 'time', 100, 'positive'),
    min: o.min,
    max: o.max,
    idle: o.idle,
  }),
  create(spec, size) {
    const { rates, step } = filteredRates(size, spec.tau);
    return {
      step,
      value() {
        let w = 0;
        let sum = 0;
        for (let k = 0; k < size; k++) {
          w += rates[k];
          sum += rates[k] * preferred(k, size, spec.min, spec.max);
        }
        return w > 1e-9 ? sum / w : (spec.idle ?? 0);
      },
    };
  },
});
