// threshold: a comparator with hysteresis (a Schmitt trigger). High once the input rises above `on`,
// low once it falls below `off`; in between it keeps its state, so noise inside the band cannot chatter.
import { defineExtension } from '../api.js';
import { Type } from '@sinclair/typebox';
import { Elementwise, OptionError, defaultsOf, finite, port, stringEnum, withDefault, withDefaults, type OptionsOf } from './util.js';

const thresholdSchema = Type.Object(
  {
    on: Type.Number({ description: 'Switch high when the input rises above this (input units; strictly above). Required, > off.' }),
    off: Type.Number({ description: 'Switch low when the input falls below this (input units; strictly below). Required, < on.' }),
    high: withDefault(Type.Number({ description: 'Output value in the high state. Default 1.' }), 1),
    low: withDefault(Type.Number({ description: 'Output value in the low state. Default 0.' }), 0),
    initial: withDefault(
      stringEnum(['low', 'high'], { description: 'State before the first input (and after reset). Default low.' }),
      'low',
    ),
  },
  { additionalProperties: false },
);

export type ThresholdOptions = OptionsOf<typeof thresholdSchema>;

// The schema states the types, `initial`'s values and the defaults; on > off it cannot say.
function paramsOf(options: ThresholdOptions) {
  const o = withDefaults(thresholdSchema, options);
  const why = 'the comparison would never switch';
  const on = finite('threshold', 'on', o.on, why);
  const off = finite('threshold', 'off', o.off, why);
  if (!(on > off))
    throw new OptionError('threshold', 'on', `(${on}) must be greater than "off" (${off}): the hysteresis band would be empty or inverted`);
  const high = finite('threshold', 'high', o.high, 'it is the output value');
  const low = finite('threshold', 'low', o.low, 'it is the output value');
  return { on, off, high, low, initialHigh: o.initial === 'high' };
}

export const threshold = defineExtension<ThresholdOptions>({
  name: 'threshold',
  kind: 'compute',
  doc:
    'Threshold with hysteresis: the output switches to `high` when the input rises strictly above `on` ' +
    'and to `low` when it falls strictly below `off` (on > off); in between it keeps its state (`initial` ' +
    'before the first switch). Scalar, or element-wise on a vector (a state per element). A missing or ' +
    'non-finite input holds the output.',
  options: thresholdSchema,
  defaults: defaultsOf(thresholdSchema),
  inputs: { x: { type: 'scalar', doc: 'Value compared (a vector is compared element-wise).' } },
  outputs: { y: { type: 'scalar', doc: '`high` or `low`.', safe: 0 } },
  create(options) {
    let p = paramsOf(options);
    const cells = new Elementwise<{ high: boolean }>(
      () => ({ high: p.initialHigh }),
      (s, x) => {
        if (x > p.on) s.high = true;
        else if (x < p.off) s.high = false;
        return s.high ? p.high : p.low;
      },
    );
    return {
      step(inputs) {
        const y = cells.step(inputs.x, 0);
        return port('y', y);
      },
      reconfigure(o) {
        // The states are kept; the new band and values apply from the next sample.
        p = paramsOf(o as ThresholdOptions);
      },
      reset() {
        cells.reset();
      },
    };
  },
});
