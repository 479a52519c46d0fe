// gain: y = clamp(gain·x + offset, min, max), on a scalar or element-wise on a vector.
import { defineExtension } from '../api.js';
import { Type } from '@sinclair/typebox';
import { Elementwise, bounds, clamp, defaultsOf, finite, port, withDefault, withDefaults, type OptionsOf } from './util.js';

const gainSchema = Type.Object(
  {
    gain: withDefault(Type.Number({ description: 'Multiplier applied to the input (output units per input unit). Default 1.' }), 1),
    offset: withDefault(Type.Number({ description: 'Added after the gain (output units). Default 0.' }), 0),
    min: Type.Optional(Type.Number({ description: 'Lower output limit (output units). Default: none.' })),
    max: Type.Optional(Type.Number({ description: 'Upper output limit (output units), >= min. Default: none.' })),
  },
  { additionalProperties: false },
);

export type GainOptions = OptionsOf<typeof gainSchema>;

function paramsOf(options: GainOptions) {
  const o = withDefaults(gainSchema, options);
  const why = 'the output would be NaN';
  return { k: finite('gain', 'gain', o.gain, why), c: finite('gain', 'offset', o.offset, why), ...bounds('gain', o.min, o.max) };
}

export const gain = defineExtension<GainOptions>({
  name: 'gain',
  kind: 'compute',
  doc:
    'Gain, offset and clamp: y = clamp(gain·x + offset, min, max) (min and max each optional). Scalar, or ' +
    'element-wise on a vector. Stateless; a missing or non-finite input holds the output.',
  options: gainSchema,
  defaults: defaultsOf(gainSchema),
  inputs: { x: { type: 'scalar', doc: 'Input (a vector is mapped element-wise).' } },
  outputs: { y: { type: 'scalar', doc: 'clamp(gain·x + offset, min, max).', safe: 0 } },
  create(options) {
    let p = paramsOf(options);
    const cells = new Elementwise<null>(
      () => null,
      (_s, x) => clamp(p.k * x + p.c, p.lo, p.hi),
    );
    return {
      step(inputs) {
        const y = cells.step(inputs.x, 0);
        return port('y', y);
      },
      reconfigure(o) {
        p = paramsOf(o as GainOptions);
      },
    };
  },
});
