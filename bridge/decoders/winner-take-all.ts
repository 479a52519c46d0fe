// winner_take_all: the neurons split into as many equal groups as `values`; the value of the group with
// the highest filtered rate (`idle` when all are silent).
import { Type, type Static } from '@sinclair/typebox';
import { Num, Quantity } from '../encoders/kinds.js';
import { defineDecoder, filteredRates } from './decoder.js';

const options = Type.Object(
  { tau: Quantity(), values: Type.Array(Num, { minItems: 1 }), idle: Type.Optional(Num) },
  { additionalProperties: false },
);

/** The options in internal units (tau in ms). */
export type WinnerTakeAllSpec = Omit<Static<typeof options>, 'tau'> & { tau: number };

export const winnerTakeAll = defineDecoder({
  options,
  read: (o, ck, at): WinnerTakeAllSpec => ({ tau: ck.q([...at, 'tau'], o.tau, 'time', 100, 'positive'), values: o.values, idle: o.idle }),
  create(spec, size) {
    const { rates, step } = filteredRates(size, spec.tau);
    return {
      step,
      value() {
        const groups = spec.values.length;
        let best = -1;
        let bestRate = 1e-9;
        for (let g = 0; g < groups; g++) {
          let r = 0;
          const a = Math.floor((g * size) / groups);
          const b = Math.floor(((g + 1) * size) / groups);
          for (let k = a; k < b; k++) r += rates[k];
          r /= Math.max(1, b - a);
          if (r > bestRate) {
            best = g;
            bestRate = r;
          }
        }
        return best < 0 ? (spec.idle ?? 0) : spec.values[best];
      },
    };
  },
});
