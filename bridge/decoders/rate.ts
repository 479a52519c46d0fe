// rate: population rate, exponentially filtered (tau), mapped from [rate_min, rate_max] Hz onto [min, max].
import { Type, type Static } from '@sinclair/typebox';
import { Num, Quantity } from '../encoders/kinds.js';
import { mapRange } from '../encoders/encoder.js';
import { defineDecoder } from './decoder.js';

const options = Type.Object(
  { tau: Quantity(), rate_min: Type.Optional(Quantity()), rate_max: Quantity(), min: Num, max: Num },
  { additionalProperties: false },
);

/** The options in internal units (ms, Hz). */
export type RateDecoderSpec = Pick<Static<typeof options>, 'min' | 'max'> & { tau: number; rateMin?: number; rateMax: number };

export const rate = defineDecoder({
  options,
  read: (o, ck, at): RateDecoderSpec => ({
    tau: ck.q([...at, 'tau'], o.tau, 'time', 100, 'positive'),
    rateMin: ck.q([...at, 'rate_min'], o.rate_min, 'rate', 0, 'nonNegative'),
    rateMax: ck.q([...at, 'rate_max'], o.rate_max, 'rate', 100, 'nonNegative'),
    min: o.min,
    max: o.max,
  }),
  create(spec, size) {
    let rate = 0;
    return {
      step(spiking, dt) {
        const inst = (spiking.length / size) * (1000 / dt);
        rate += (inst - rate) * (1 - Math.exp(-dt / spec.tau));
      },
      value: () => mapRange(rate, spec.rateMin ?? 0, spec.rateMax, spec.min, spec.max),
    };
  },
});
