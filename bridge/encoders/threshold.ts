// threshold: an event: `amplitude` while the value is past the threshold (level), or for one tick when
// it crosses it (rising). Vectors are resampled to the population size, one event per neuron.
import { Type } from '@sinclair/typebox';
import { stringEnum } from '../../extensions/builtin/util.js';
import { Num } from './kinds.js';
import { defineEncoder, resample } from './encoder.js';

export const threshold = defineEncoder({
  options: Type.Object(
    {
      threshold: Num,
      amplitude: Num,
      direction: Type.Optional(stringEnum(['above', 'below'])),
      edge: Type.Optional(stringEnum(['level', 'rising'])),
    },
    { additionalProperties: false },
  ),
  read: (o) => o,
  create(spec) {
    const past = (x: number) => (spec.direction === 'below' ? x <= spec.threshold : x >= spec.threshold);
    let before: boolean[] = [];
    return {
      stateful: true,
      encode(value, size) {
        const xs = typeof value === 'number' ? [value] : Array.from(resample(value, size));
        const now = xs.map(past);
        const out = now.map((p, i) => (p && (spec.edge !== 'rising' || !before[i]) ? spec.amplitude : 0));
        before = now;
        return typeof value === 'number' ? out[0] : Float64Array.from(out);
      },
    };
  },
});
