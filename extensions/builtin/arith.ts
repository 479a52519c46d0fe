// gain: y = clamp(gain·x + offset, min, max), on a scalar or element-wise on a vector.
import { defineExtension } from '../api.js';
import { Elementwise, bounds, clamp, defaultsOf, finite, port } from './util.js';

const gainSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    gain: { type: 'number', default: 1, description: 'Multiplier applied to the input (output units per input unit). Default 1.' },
    offset: { type: 'number', default: 0, description: 'Added after the gain (output units). Default 0.' },
    min: { type: 'number', description: 'Lower output limit (output units). Default: none.' },
    max: { type: 'number', description: 'Upper output limit (output units), >= min. Default: none.' },
  },
};

export type GainOptions = { gain: number; offset: number; min?: number; max?: number };

function paramsOf(o: GainOptions) {
  const why = 'the output would be NaN';
  return { k: finite('gain', 'gain', o.gain ?? 1, why), c: finite('gain', 'offset', o.offset ?? 0, why), ...bounds('gain', o.min, o.max) };
}

export const gain = defineExtension<GainOptions>({
  name: 'gain',
  kind: 'compute',
  doc:
    'Gain, offset and clamp: y = clamp(gain·x + offset, min, max) (min and max each optional). Scalar, or ' +
    'element-wise on a vector. Stateless; a missing or non-finite input holds the output.',
  options: gainSchema,
  defaults: defaultsOf<GainOptions>(gainSchema),
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
