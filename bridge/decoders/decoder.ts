// What a decoder is. Each decoder is a module of its own in this folder (rate.ts, ...) that declares
// its options, how they are read, and its factory, and is listed once in bridge/decoders.ts.
import type { TObject } from '@sinclair/typebox';
import type { Kind } from '../encoders/kinds.js';

export interface Decoder {
  /** One engine step of `dt` ms: the indices of the neurons that spiked in it. */
  step(spiking: ArrayLike<number>, dt: number): void;
  value(): number;
}

/** One decoder: its document options (Kind) and the decoder a read spec makes for a population of `size`. */
export interface DecoderKernel<O extends TObject, S extends object> extends Kind<O, S> {
  create(spec: S, size: number): Decoder;
}

/** Declares a decoder (the types of the options and the spec are inferred and checked together). */
export const defineDecoder = <O extends TObject, S extends object>(kernel: DecoderKernel<O, S>): DecoderKernel<O, S> => kernel;

/** Each neuron's rate (Hz), exponentially filtered with time constant `tau` (ms). */
export function filteredRates(size: number, tau: number): { rates: Float64Array; step: Decoder['step'] } {
  const rates = new Float64Array(size);
  return {
    rates,
    step(spiking, dt) {
      const keep = Math.exp(-dt / tau);
      const add = (1 - keep) * (1000 / dt);
      for (let k = 0; k < size; k++) rates[k] *= keep;
      for (let s = 0; s < spiking.length; s++) rates[spiking[s]] += add;
    },
  };
}
