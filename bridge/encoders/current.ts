// current: value in [min, max] -> current in [current_min, current_max] pA (inputs of mode current).
import { Type, type Static } from '@sinclair/typebox';
import { Num, Quantity } from './kinds.js';
import { defineEncoder, mapRange, pointwise } from './encoder.js';

const options = Type.Object(
  { min: Num, max: Num, current_min: Type.Optional(Quantity()), current_max: Quantity() },
  { additionalProperties: false },
);

/** The options in internal units (pA). */
export type CurrentEncoderSpec = Pick<Static<typeof options>, 'min' | 'max'> & { currentMin?: number; currentMax: number };

export const current = defineEncoder({
  options,
  read: (o, ck, at): CurrentEncoderSpec => ({
    min: o.min,
    max: o.max,
    currentMin: ck.q([...at, 'current_min'], o.current_min, 'current', 0),
    currentMax: ck.q([...at, 'current_max'], o.current_max, 'current', 0),
  }),
  create: (spec) => ({ stateful: false, encode: pointwise((x) => mapRange(x, spec.min, spec.max, spec.currentMin ?? 0, spec.currentMax)) }),
});
