// rate: value in [min, max] -> Poisson rate in [rate_min, rate_max] Hz (inputs of mode rate).
import { Type, type Static } from '@sinclair/typebox';
import { Num, Quantity } from './kinds.js';
import { defineEncoder, mapRange, pointwise } from './encoder.js';

const options = Type.Object(
  { min: Num, max: Num, rate_min: Type.Optional(Quantity()), rate_max: Quantity() },
  { additionalProperties: false },
);

/** The options in internal units (Hz). */
export type RateEncoderSpec = Pick<Static<typeof options>, 'min' | 'max'> & { rateMin?: number; rateMax: number };

export const rate = defineEncoder({
  options,
  read: (o, ck, at): RateEncoderSpec => ({
    min: o.min,
    max: o.max,
    rateMin: ck.q([...at, 'rate_min'], o.rate_min, 'rate', 0, 'nonNegative'),
    rateMax: ck.q([...at, 'rate_max'], o.rate_max, 'rate', 0, 'nonNegative'),
  }),
  create: (spec) => ({ stateful: false, encode: pointwise((x) => mapRange(x, spec.min, spec.max, spec.rateMin ?? 0, spec.rateMax)) }),
});
