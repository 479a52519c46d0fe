// Splitting a total number of synapses over blocks of targets, for fixed_total_number wiring: the
// count in each part is drawn from its exact conditional distribution given what the parts before it
// took (binomial with repeated pairs allowed, hypergeometric for distinct pairs), so the parts are
// multinomial (or multivariate hypergeometric) as if the whole total had been drawn pair by pair.
//
// Written here because no maintained npm library samples these two distributions from a caller's
// counter-based stream (the draws must come from the block's own Rng so that any thread reproduces
// them). The samplers invert the distribution starting at its mode, walking outwards, so a draw costs
// O(standard deviation) steps; the probability at the mode is computed by Loader's saddle-point form
// (C. Loader, "Fast and accurate computation of binomial probabilities", 2000, as R's dbinom and
// dhyper do), accurate to a few ulps where log-factorials of numbers near 2^32 would lose six digits.
import type { Rng } from '../rng.js';

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(n!) for n = 0..15, summed exactly enough for the Stirling error of small n. */
const LOG_FACTORIAL = ((): Float64Array => {
  const t = new Float64Array(16);
  for (let k = 1; k < 16; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();

/** log(n!) - [(n + 1/2) log n - n + log sqrt(2 pi)], the error of Stirling's formula, for whole n >= 1. */
function stirlingError(n: number): number {
  if (n < 16) return LOG_FACTORIAL[n] - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  const nn = n * n;
  // The asymptotic series 1/12n - 1/360n^3 + 1/1260n^5 - 1/1680n^7 + 1/1188n^9, cut where the next term is below an ulp.
  if (n > 500) return (1 / 12 - 1 / 360 / nn) / n;
  if (n > 80) return (1 / 12 - (1 / 360 - 1 / 1260 / nn) / nn) / n;
  if (n > 35) return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / 1680 / nn) / nn) / nn) / n;
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / nn) / nn) / nn) / nn) / n;
}

/** x log(x / m) + m - x without the cancellation the plain formula has when x is near m. */
function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let term = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      term *= v;
      const next = s + term / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** P(X = x) for X ~ Binomial(n, p), q = 1 - p given separately so that neither loses digits. */
export function binomialProbability(x: number, n: number, p: number, q: number): number {
  if (x < 0 || x > n) return 0;
  if (p === 0) return x === 0 ? 1 : 0;
  if (q === 0) return x === n ? 1 : 0;
  if (x === 0) return n === 0 ? 1 : Math.exp(p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q));
  if (x === n) return Math.exp(q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p));
  const lc = stirlingError(n) - stirlingError(x) - stirlingError(n - x) - deviance(x, n * p) - deviance(n - x, n * q);
  const lf = Math.log(2 * Math.PI) + Math.log(x) + Math.log1p(-x / n);
  return Math.exp(lc - 0.5 * lf);
}

/** P(X = x) for X, the marked items among `draws` taken without replacement from `total` of which `marked` are marked. */
export function hypergeometricProbability(x: number, total: number, marked: number, draws: number): number {
  const unmarked = total - marked;
  if (x < Math.max(0, draws - unmarked) || x > Math.min(draws, marked)) return 0;
  if (draws === 0) return 1;
  const p = draws / total;
  const q = (total - draws) / total;
  return (binomialProbability(x, marked, p, q) * binomialProbability(draws - x, unmarked, p, q)) / binomialProbability(draws, total, p, q);
}

/** Uniform in [0, 1) with 53 bits: the walk below can tell apart tail probabilities down to 1e-16. */
function uniform53(rng: Rng): number {
  const hi = Math.floor(rng.uniform() * 2097152); // 21 bits
  return (hi * 4294967296 + rng.uniform() * 4294967296) / 9007199254740992;
}

/**
 * Inversion from the mode: subtracts P(mode), P(mode+1), P(mode-1), P(mode+2), ... from a uniform
 * until it drops below zero. The order of the walk is fixed, so this is an exact inversion of the
 * distribution with its values taken in that order. `up(k)` is P(k+1)/P(k), `down(k)` is P(k-1)/P(k).
 */
function invertFromMode(
  rng: Rng,
  lo: number,
  hi: number,
  mode: number,
  atMode: number,
  up: (k: number) => number,
  down: (k: number) => number,
): number {
  let u = uniform53(rng) - atMode;
  if (u < 0) return mode;
  let above = mode;
  let below = mode;
  let pAbove = atMode;
  let pBelow = atMode;
  // Both sides end when they reach the support's end or their probability underflows (about 38
  // standard deviations out), so a rounding shortfall in the total ends the walk too.
  while ((above < hi && pAbove > 0) || (below > lo && pBelow > 0)) {
    if (above < hi && pAbove > 0) {
      pAbove *= up(above);
      above++;
      u -= pAbove;
      if (u < 0) return above;
    }
    if (below > lo && pBelow > 0) {
      pBelow *= down(below);
      below--;
      u -= pBelow;
      if (u < 0) return below;
    }
  }
  return mode;
}

/** A draw from Binomial(n, p), n a whole number. */
export function binomial(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const q = 1 - p;
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / q;
  return invertFromMode(
    rng,
    0,
    n,
    mode,
    binomialProbability(mode, n, p, q),
    (k) => ((n - k) / (k + 1)) * odds,
    (k) => k / (n - k + 1) / odds,
  );
}

/** A draw of how many of `draws` items taken without replacement from `total` are among its `marked`. */
export function hypergeometric(total: number, marked: number, draws: number, rng: Rng): number {
  const unmarked = total - marked;
  const lo = Math.max(0, draws - unmarked);
  const hi = Math.min(draws, marked);
  if (lo >= hi) return lo;
  const mode = Math.min(hi, Math.max(lo, Math.floor(((draws + 1) * (marked + 1)) / (total + 2))));
  return invertFromMode(
    rng,
    lo,
    hi,
    mode,
    hypergeometricProbability(mode, total, marked, draws),
    (k) => ((marked - k) * (draws - k)) / ((k + 1) * (unmarked - draws + k + 1)),
    (k) => (k * (unmarked - draws + k)) / ((marked - k + 1) * (draws - k + 1)),
  );
}

/**
 * Splits `total` items over parts of the given sizes (in slots, e.g. the pairs each block of targets
 * offers), each item in a slot drawn uniformly: with repeats (`distinct` false), every item takes any
 * slot, so the counts are multinomial; without, the items take distinct slots (at most a part's size
 * each). Writes the counts into `out` (their sum is `total`). The caller checks total <= sum of sizes
 * when distinct.
 */
export function splitTotal(total: number, sizes: ArrayLike<number>, distinct: boolean, rng: Rng, out: { [i: number]: number }): void {
  let slots = 0;
  for (let k = 0; k < sizes.length; k++) slots += sizes[k];
  let left = total;
  for (let k = 0; k < sizes.length; k++) {
    let c: number;
    if (k === sizes.length - 1) c = left;
    else if (distinct) c = hypergeometric(slots, sizes[k], left, rng);
    else c = slots > 0 ? binomial(left, sizes[k] / slots, rng) : 0;
    out[k] = c;
    left -= c;
    slots -= sizes[k];
  }
}
