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
