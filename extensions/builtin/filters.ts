// Linear filters: first-order low-pass and high-pass, and a moving average over a window of samples.
// All three work on a scalar port value, or element-wise on a vector (one state per element).
import { defineExtension, type ComputeInstance } from '../api.js';
import { Type } from '@sinclair/typebox';
import { Elementwise, OptionError, defaultsOf, lowpassAlpha, positive, port, withDefault, withDefaults, type OptionsOf } from './util.js';

// ---------------------------------------------------------------------------------------------
// lowpass / highpass

const cutoffSchema = (what: string) =>
  Type.Object(
    {
      cutoff: Type.Number({
        exclusiveMinimum: 0,
        description: `Cut-off (-3 dB) frequency in Hz (${what}). Required, > 0; the time constant is 1/(2π·cutoff) s.`,
      }),
    },
    { additionalProperties: false },
  );

export type CutoffOptions = OptionsOf<ReturnType<typeof cutoffSchema>>;

const checkCutoff = (type: string, o: CutoffOptions) =>
  positive(type, 'cutoff', o.cutoff, 'the filter coefficient 1 - exp(-2π·cutoff·dt) needs a positive finite frequency (Hz)');

function firstOrder(type: 'lowpass' | 'highpass', options: CutoffOptions): ComputeInstance {
  let fc = checkCutoff(type, options);
  const high = type === 'highpass';
  // State: the low-pass output. The high-pass output is the input minus it.
  const cells = new Elementwise<{ y: number }>(
    (x) => ({ y: x }),
    (s, x, dtMs) => {
      s.y += lowpassAlpha(fc, dtMs) * (x - s.y);
      return high ? x - s.y : s.y;
    },
  );
  return {
    step(inputs, dtMs) {
      const y = cells.step(inputs.x, dtMs);
      return port('y', y);
    },
    reconfigure(o) {
      fc = checkCutoff(type, o as CutoffOptions);
    },
    reset() {
      cells.reset();
    },
  };
}

const lowpassSchema = cutoffSchema('first-order low-pass');
export const lowpass = defineExtension<CutoffOptions>({
  name: 'lowpass',
  kind: 'compute',
  doc:
    'First-order low-pass filter y += α(x - y), α = 1 - exp(-2π·cutoff·dt): the exact discretisation of ' +
    'a one-pole RC filter for an input held over each step, so a step response reaches 1 - 1/e after ' +
    '1/(2π·cutoff) s whatever the step size. The first sample initialises the state (no start-up ' +
    'transient from 0). Scalar, or element-wise on a vector. A missing or non-finite input holds the output.',
  options: lowpassSchema,
  defaults: defaultsOf(lowpassSchema),
  inputs: { x: { type: 'scalar', doc: 'Signal to filter (a vector is filtered element-wise).' } },
  outputs: { y: { type: 'scalar', doc: 'Low-passed signal.', safe: 0 } },
  create: (options) => firstOrder('lowpass', options),
});

const highpassSchema = cutoffSchema('first-order high-pass');
export const highpass = defineExtension<CutoffOptions>({
  name: 'highpass',
  kind: 'compute',
  doc:
    'First-order high-pass filter, the complement of `lowpass`: y = x - lowpass(x) with the same ' +
    'cut-off and the same exact discretisation (so lowpass + highpass = identity). Rejects DC exactly ' +
    'in steady state; the first sample initialises the state, so a constant input gives 0 from the ' +
    'start. Scalar, or element-wise on a vector. A missing or non-finite input holds the output.',
  options: highpassSchema,
  defaults: defaultsOf(highpassSchema),
  inputs: { x: { type: 'scalar', doc: 'Signal to filter (a vector is filtered element-wise).' } },
  outputs: { y: { type: 'scalar', doc: 'High-passed signal.', safe: 0 } },
  create: (options) => firstOrder('highpass', options),
});

// ---------------------------------------------------------------------------------------------
// moving_average

const movingAverageSchema = Type.Object(
  {
    window: withDefault(
      Type.Integer({
        minimum: 1,
        description:
          'Window length in samples (calls of the node, whatever their dt). Default 10. Until the window has filled, the mean of the samples so far.',
      }),
      10,
    ),
  },
  { additionalProperties: false },
);

export type MovingAverageOptions = OptionsOf<typeof movingAverageSchema>;

/** A ring buffer of the last `n` samples and their running sum (re-summed exactly once per lap, so no drift). */
class Window {
  buf: Float64Array;
  count = 0;
  head = 0;
  sum = 0;
  constructor(n: number) {
    this.buf = new Float64Array(n);
  }
  push(x: number): number {
    const n = this.buf.length;
    if (this.count < n) this.count++;
    else this.sum -= this.buf[this.head];
    this.buf[this.head] = x;
    this.sum += x;
    this.head = (this.head + 1) % n;
    if (this.head === 0) {
      let s = 0;
      for (let i = 0; i < this.count; i++) s += this.buf[i];
      this.sum = s;
    }
    return this.sum / this.count;
  }
  /** The same samples in a window of `n` (the latest ones kept). */
  resized(n: number): Window {
    const w = new Window(n);
    const keep = Math.min(n, this.count);
    const len = this.buf.length;
    for (let k = keep; k >= 1; k--) w.push(this.buf[(this.head - k + len * 2) % len]);
    return w;
  }
}

const checkWindow = (o: MovingAverageOptions) => {
  const n = positive(
    'moving_average',
    'window',
    withDefaults(movingAverageSchema, o).window,
    'the mean divides by the window length (samples)',
  );
  if (!Number.isInteger(n)) throw new OptionError('moving_average', 'window', `must be a whole number of samples, got ${n}`);
  return n;
};

export const movingAverage = defineExtension<MovingAverageOptions>({
  name: 'moving_average',
  kind: 'compute',
  doc:
    'Moving average over the last `window` samples (a sample per call of the node: the window is in ' +
    'samples, not ms). Before the window has filled, the mean of the samples so far. Scalar, or ' +
    'element-wise on a vector. A missing or non-finite input is not a sample (the output holds).',
  options: movingAverageSchema,
  defaults: defaultsOf(movingAverageSchema),
  inputs: { x: { type: 'scalar', doc: 'Signal to average (a vector is averaged element-wise).' } },
  outputs: { y: { type: 'scalar', doc: 'Mean of the window.', safe: 0 } },
  create(options) {
    let n = checkWindow(options);
    const cells = new Elementwise<{ w: Window }>(
      () => ({ w: new Window(n) }),
      (s, x) => s.w.push(x),
    );
    return {
      step(inputs) {
        const y = cells.step(inputs.x, 0);
        return port('y', y);
      },
      reconfigure(o) {
        n = checkWindow(o as MovingAverageOptions);
        // Keep the latest samples that fit the new window.
        for (const s of cells.states()) s.w = s.w.resized(n);
      },
      reset() {
        cells.reset();
      },
    };
  },
});
