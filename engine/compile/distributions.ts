// Drawing weights, delays and initial state from resolved distributions.
import type { Distribution } from '../circuit/circuit.js';
import type { Rng } from '../rng.js';

export function sample(d: Distribution, rng: Rng): number {
  let x: number;
  switch (d.kind) {
    case 'constant':
      x = d.value;
      break;
    case 'uniform':
      x = d.low + (d.high - d.low) * rng.uniform();
      break;
    case 'normal':
      x = d.mean + d.sd * rng.normal();
      break;
    case 'lognormal':
      x = Math.exp(d.mu + d.sigma * rng.normal());
      break;
  }
  if (d.clip) x = Math.min(d.clip[1], Math.max(d.clip[0], x));
  return x;
}

export function fill(out: { length: number; [i: number]: number }, d: Distribution, rng: Rng, lowerBound = -Infinity): void {
  if (d.kind === 'constant') {
    const v = Math.max(lowerBound, d.clip ? Math.min(d.clip[1], Math.max(d.clip[0], d.value)) : d.value);
    for (let i = 0; i < out.length; i++) out[i] = v;
    return;
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.max(lowerBound, sample(d, rng));
}

/**
 * Draws `count` values of d into out[0..count), for weights and delays in bulk. Normal deviates come
 * in pairs from Marsaglia's polar method: no trigonometry, about twice as fast here as Rng.normal's
 * Box-Muller, which stays as it is because generated kernels on every backend draw noise with it.
 */
export function drawBlock(d: Distribution, rng: Rng, out: Float64Array, count: number): void {
  switch (d.kind) {
    case 'constant':
      out.fill(d.value, 0, count);
      break;
    case 'uniform':
      for (let k = 0; k < count; k++) out[k] = d.low + (d.high - d.low) * rng.uniform();
      break;
    case 'normal':
    case 'lognormal': {
      const [mean, sd] = d.kind === 'normal' ? [d.mean, d.sd] : [d.mu, d.sigma];
      for (let k = 0; k < count;) {
        let u: number;
        let v: number;
        let s: number;
        do {
          u = rng.nextU32() * (2 / 4294967296) - 1;
          v = rng.nextU32() * (2 / 4294967296) - 1;
          s = u * u + v * v;
        } while (s >= 1 || s === 0);
        const f = sd * Math.sqrt((-2 * Math.log(s)) / s);
        out[k++] = mean + u * f;
        if (k < count) out[k++] = mean + v * f;
      }
      if (d.kind === 'lognormal') for (let k = 0; k < count; k++) out[k] = Math.exp(out[k]);
      break;
    }
  }
  if (d.clip) {
    const [lo, hi] = d.clip;
    for (let k = 0; k < count; k++) out[k] = Math.min(hi, Math.max(lo, out[k]));
  }
}
