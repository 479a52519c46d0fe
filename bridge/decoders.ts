// Decoders: the spikes of an output population become one number per publish (or a vector).
// They see which neurons spiked in every engine step and keep filtered state:
//   rate               population rate, exponentially filtered (tau), mapped from [rate_min, rate_max] Hz
//                      onto [min, max]
//   population_vector  sum of preferred values weighted by each neuron's filtered rate (preferred
//                      values spread evenly over [min, max]; Georgopoulos et al. 1986); `idle` when silent
//   winner_take_all    the neurons split into as many equal groups as `values`; the value of the group
//                      with the highest filtered rate (`idle` when all are silent)
//   count              spikes of the whole population in the last `window` ms, times `scale`
import { mapRange } from './encoders.js';

export type DecoderSpec =
  | { kind: 'rate'; tau: number; rateMin?: number; rateMax: number; min: number; max: number }
  | { kind: 'population_vector'; tau: number; min: number; max: number; idle?: number }
  | { kind: 'winner_take_all'; tau: number; values: number[]; idle?: number }
  | { kind: 'count'; window: number; scale?: number };

export interface Decoder {
  /** One engine step of `dt` ms: the indices of the neurons that spiked in it. */
  step(spiking: ArrayLike<number>, dt: number): void;
  value(): number;
}

export function createDecoder(spec: DecoderSpec, size: number): Decoder {
  switch (spec.kind) {
    case 'rate': {
      let rate = 0;
      return {
        step(spiking, dt) {
          const inst = (spiking.length / size) * (1000 / dt);
          rate += (inst - rate) * (1 - Math.exp(-dt / spec.tau));
        },
        value: () => mapRange(rate, spec.rateMin ?? 0, spec.rateMax, spec.min, spec.max),
      };
    }
    case 'population_vector':
    case 'winner_take_all': {
      const rates = new Float64Array(size);
      return {
        step(spiking, dt) {
          const keep = Math.exp(-dt / spec.tau);
          const add = (1 - keep) * (1000 / dt);
          for (let k = 0; k < size; k++) rates[k] *= keep;
          for (let s = 0; s < spiking.length; s++) rates[spiking[s]] += add;
        },
        value() {
          if (spec.kind === 'population_vector') {
            let w = 0;
            let sum = 0;
            for (let k = 0; k < size; k++) {
              const pref = size === 1 ? (spec.min + spec.max) / 2 : spec.min + ((spec.max - spec.min) * k) / (size - 1);
              w += rates[k];
              sum += rates[k] * pref;
            }
            return w > 1e-9 ? sum / w : (spec.idle ?? 0);
          }
          const groups = spec.values.length;
          let best = -1;
          let bestRate = 1e-9;
          for (let g = 0; g < groups; g++) {
            let r = 0;
            const a = Math.floor((g * size) / groups);
            const b = Math.floor(((g + 1) * size) / groups);
            for (let k = a; k < b; k++) r += rates[k];
            r /= Math.max(1, b - a);
            if (r > bestRate) (best = g), (bestRate = r);
          }
          return best < 0 ? (spec.idle ?? 0) : spec.values[best];
        },
      };
    }
    case 'count': {
      // A ring of per-step counts covering the window.
      let ring: number[] = [];
      let at = 0;
      let total = 0;
      return {
        step(spiking, dt) {
          const len = Math.max(1, Math.round(spec.window / dt));
          if (ring.length !== len) (ring = new Array(len).fill(0)), (at = 0), (total = 0);
          total += spiking.length - ring[at];
          ring[at] = spiking.length;
          at = (at + 1) % len;
        },
        value: () => total * (spec.scale ?? 1),
      };
    }
  }
}
