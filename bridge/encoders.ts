// Encoders: a sensor value (a number, or a vector such as laser ranges) becomes the value of a circuit
// input for the next engine steps. Each is a small object with state (the event trigger remembers the
// last value). Values are assumed finite: the stream layer drops and counts NaN before encoding.
//   rate        value in [min, max] -> Poisson rate in [rate_min, rate_max] Hz (inputs of mode rate)
//   current     value in [min, max] -> current in [current_min, current_max] pA (inputs of mode current)
//   population  scalar -> one amplitude per neuron from Gaussian tuning curves with preferred values
//               spread evenly over [min, max] (Pouget et al. 2000)
//   threshold   an event: `amplitude` while the value is past the threshold (level), or for one tick
//               when it crosses it (rising)
// Vectors are resampled to the population size (mean over each neuron's share of the elements).

export type EncoderSpec =
  | { kind: 'rate'; min: number; max: number; rateMin?: number; rateMax: number }
  | { kind: 'current'; min: number; max: number; currentMin?: number; currentMax: number }
  | { kind: 'population'; min: number; max: number; sigma: number; amplitude: number }
  | { kind: 'threshold'; threshold: number; amplitude: number; direction?: 'above' | 'below'; edge?: 'level' | 'rising' };

export interface Encoder {
  /** The input value for a target population of `size` neurons. */
  encode(value: number | ArrayLike<number>, size: number): number | Float64Array;
  /**
   * True when the result depends on earlier calls (an event fires once per crossing), so it must be
   * called on every tick; otherwise the same value gives the same result and may be skipped.
   */
  readonly stateful: boolean;
}

/** Linear map of [a, b] onto [c, d], clamped to [c, d]. */
export function mapRange(x: number, a: number, b: number, c: number, d: number): number {
  const t = b === a ? 0 : (x - a) / (b - a);
  return c + (d - c) * Math.min(1, Math.max(0, t));
}

/** Mean of each neuron's share of the elements (or the element it falls on, when there are fewer). */
export function resample(v: ArrayLike<number>, size: number): Float64Array {
  const out = new Float64Array(size);
  const n = v.length;
  for (let k = 0; k < size; k++) {
    const a = Math.floor((k * n) / size);
    const b = Math.max(a + 1, Math.floor(((k + 1) * n) / size));
    let s = 0;
    for (let i = a; i < b; i++) s += v[i];
    out[k] = s / (b - a);
  }
  return out;
}

function pointwise(f: (x: number) => number) {
  return (value: number | ArrayLike<number>, size: number) => (typeof value === 'number' ? f(value) : resample(value, size).map(f));
}

export function createEncoder(spec: EncoderSpec): Encoder {
  switch (spec.kind) {
    case 'rate':
      return { stateful: false, encode: pointwise((x) => mapRange(x, spec.min, spec.max, spec.rateMin ?? 0, spec.rateMax)) };
    case 'current':
      return { stateful: false, encode: pointwise((x) => mapRange(x, spec.min, spec.max, spec.currentMin ?? 0, spec.currentMax)) };
    case 'population':
      return {
        stateful: false,
        encode(value, size) {
          if (typeof value !== 'number') throw new Error('population coding takes one number; use a field path that selects one value');
          const out = new Float64Array(size);
          for (let k = 0; k < size; k++) {
            const pref = size === 1 ? (spec.min + spec.max) / 2 : spec.min + ((spec.max - spec.min) * k) / (size - 1);
            out[k] = spec.amplitude * Math.exp(-((value - pref) ** 2) / (2 * spec.sigma ** 2));
          }
          return out;
        },
      };
    case 'threshold': {
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
    }
  }
}
