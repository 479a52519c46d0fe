// What an encoder is, and the maps encoders (and decoders) share. Each encoder is a module of its own
// in this folder (rate.ts, ...) that declares its options, how they are read, and its factory, and is
// listed once in bridge/encoders.ts.
import type { TObject } from '@sinclair/typebox';
import type { Kind } from './kinds.js';

export interface Encoder {
  /** The input value for a target population of `size` neurons. */
  encode(value: number | ArrayLike<number>, size: number): number | Float64Array;
  /**
   * True when the result depends on earlier calls (an event fires once per crossing), so it must be
   * called on every tick; otherwise the same value gives the same result and may be skipped.
   */
  readonly stateful: boolean;
}

/** One encoder: its document options (Kind) and the encoder a read spec makes. */
export interface EncoderKernel<O extends TObject, S extends object> extends Kind<O, S> {
  create(spec: S): Encoder;
}

/** Declares an encoder (the types of the options and the spec are inferred and checked together). */
export const defineEncoder = <O extends TObject, S extends object>(kernel: EncoderKernel<O, S>): EncoderKernel<O, S> => kernel;

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

/** A per-value map applied to a scalar, or to a vector resampled to the population size. */
export function pointwise(f: (x: number) => number) {
  return (value: number | ArrayLike<number>, size: number): number | Float64Array => {
    if (typeof value === 'number') return f(value);
    // In place, not .map(f): one array per message instead of two (the robot loop's garbage).
    const out = resample(value, size);
    for (let k = 0; k < out.length; k++) out[k] = f(out[k]);
    return out;
  };
}

/** Preferred value of neuron `k` of `size`, spread evenly over [min, max] (the middle for one neuron). */
export const preferred = (k: number, size: number, min: number, max: number) =>
  size === 1 ? (min + max) / 2 : min + ((max - min) * k) / (size - 1);
