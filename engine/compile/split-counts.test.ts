// The samplers behind fixed_total_number: exact probabilities against sums of logarithms, draws
// against their distributions (a chi-square on small cases, mean and variance on the sizes the
// microcircuit splits), and splits that always add up and never overfill a part.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../rng.js';
import { binomial, binomialProbability, hypergeometric, hypergeometricProbability, splitTotal } from './split-counts.js';

const logFactorial = (n: number): number => {
  let s = 0;
  for (let k = 2; k <= n; k++) s += Math.log(k);
  return s;
};
const logChoose = (n: number, k: number): number => logFactorial(n) - logFactorial(k) - logFactorial(n - k);

/** Pearson's chi-square of the draws against the probabilities, bins below 5 expected merged into their neighbour. */
function chiSquare(draws: number[], probability: (k: number) => number, lo: number, hi: number): { stat: number; bins: number } {
  const observed = new Map<number, number>();
  for (const d of draws) observed.set(d, (observed.get(d) ?? 0) + 1);
  let stat = 0;
  let bins = 0;
  let expected = 0;
  let seen = 0;
  for (let k = lo; k <= hi; k++) {
    expected += probability(k) * draws.length;
    seen += observed.get(k) ?? 0;
    if (expected >= 5 || k === hi) {
      stat += (seen - expected) ** 2 / Math.max(expected, 1e-12);
      bins++;
      expected = 0;
      seen = 0;
    }
  }
  return { stat, bins };
}

/** The chi-square bound a correct sampler exceeds with probability about 1e-6 (Wilson-Hilferty, z = 4.75). */
function chiBound(dof: number): number {
  const z = 4.75;
  return dof * (1 - 2 / (9 * dof) + z * Math.sqrt(2 / (9 * dof))) ** 3;
}

function moments(draws: number[]): { mean: number; variance: number } {
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
  return { mean, variance };
}

describe('binomial', () => {
  it('gives the exact probabilities', () => {
    for (const [n, p] of [
      [1, 0.3],
      [10, 0.5],
      [37, 0.02],
      [200, 0.9],
      [1000, 1 / 160],
    ]) {
      let total = 0;
      for (let x = 0; x <= n; x++) {
        const got = binomialProbability(x, n, p, 1 - p);
        const want = Math.exp(logChoose(n, x) + x * Math.log(p) + (n - x) * Math.log1p(-p));
        // The reference sums about n logarithms, so it is itself good to about 1e-12 relative.
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-10 * want + 1e-300);
        total += got;
      }
      expect(total).toBeCloseTo(1, 12);
    }
  });

  it('draws from the distribution (chi-square)', () => {
    const rng = new Rng(7);
    for (const [n, p] of [
      [12, 0.4],
      [500, 0.03],
      [3000, 0.5],
    ]) {
      const draws = Array.from({ length: 20000 }, () => binomial(n, p, rng));
      const { stat, bins } = chiSquare(draws, (k) => binomialProbability(k, n, p, 1 - p), 0, n);
      expect(stat).toBeLessThan(chiBound(bins - 1));
    }
  });

  it('has the mean and variance of the microcircuit-sized splits', () => {
    const rng = new Rng(11);
    // The largest projection's total over 162 blocks of 128 columns (L23E -> L23E).
    const n = 45_499_805;
    const p = 128 / 20683;
    const draws = Array.from({ length: 4000 }, () => binomial(n, p, rng));
    const { mean, variance } = moments(draws);
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(mean - n * p)).toBeLessThan((5 * sd) / Math.sqrt(draws.length));
    // The variance estimate's sd is about variance * sqrt(2 / draws).
    expect(Math.abs(variance / (sd * sd) - 1)).toBeLessThan(5 * Math.sqrt(2 / draws.length));
  });

  it('stays in its support for any n and p (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (n, p, seed) => {
        const x = binomial(n, p, new Rng(seed));
        return Number.isInteger(x) && x >= 0 && x <= n;
      }),
      { numRuns: 300 },
    );
  });
});

describe('hypergeometric', () => {
  it('gives the exact probabilities', () => {
    for (const [total, marked, draws] of [
      [10, 3, 4],
      [50, 25, 25],
      [300, 20, 150],
      [1000, 999, 500],
    ]) {
      let sum = 0;
      for (let x = 0; x <= draws; x++) {
        const got = hypergeometricProbability(x, total, marked, draws);
        const possible = x <= marked && draws - x <= total - marked;
        const want = possible ? Math.exp(logChoose(marked, x) + logChoose(total - marked, draws - x) - logChoose(total, draws)) : 0;
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-10 * want + 1e-300);
        sum += got;
      }
      expect(sum).toBeCloseTo(1, 11);
    }
  });

  it('draws from the distribution (chi-square)', () => {
    const rng = new Rng(3);
    for (const [total, marked, draws] of [
      [20, 7, 9],
      [5000, 640, 2500],
      [100000, 50000, 400],
    ]) {
      const samples = Array.from({ length: 20000 }, () => hypergeometric(total, marked, draws, rng));
      const { stat, bins } = chiSquare(samples, (k) => hypergeometricProbability(k, total, marked, draws), 0, Math.min(marked, draws));
      expect(stat).toBeLessThan(chiBound(bins - 1));
    }
  });

  it('stays in its support for any sizes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (total, a, b, seed) => {
          const marked = Math.floor(a * total);
          const draws = Math.floor(b * total);
          const x = hypergeometric(total, marked, draws, new Rng(seed));
          return Number.isInteger(x) && x >= Math.max(0, draws - (total - marked)) && x <= Math.min(draws, marked);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('splitTotal', () => {
  it('adds up, and without repeats never puts more in a part than it holds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer(),
        (sizes, fraction, distinct, seed) => {
          const slots = sizes.reduce((a, b) => a + b, 0);
          const total = Math.floor(fraction * (distinct ? slots : 3 * slots));
          const out = new Float64Array(sizes.length);
          splitTotal(total, sizes, distinct, new Rng(seed), out);
          const sum = out.reduce((a, b) => a + b, 0);
          return (
            sum === total && out.every((c, k) => c >= 0 && Number.isInteger(c) && (sizes[k] > 0 || c === 0) && (!distinct || c <= sizes[k]))
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits as a multinomial: each part binomial with its share', () => {
    const rng = new Rng(5);
    const sizes = [1, 2, 3, 4];
    const total = 1000;
    const parts = sizes.map(() => [] as number[]);
    const out = new Float64Array(sizes.length);
    for (let r = 0; r < 5000; r++) {
      splitTotal(total, sizes, false, rng, out);
      out.forEach((c, k) => parts[k].push(c));
    }
    for (let k = 0; k < sizes.length; k++) {
      const p = sizes[k] / 10;
      const { mean, variance } = moments(parts[k]);
      const sd = Math.sqrt(total * p * (1 - p));
      expect(Math.abs(mean - total * p)).toBeLessThan((5 * sd) / Math.sqrt(5000));
      expect(Math.abs(variance / (sd * sd) - 1)).toBeLessThan(5 * Math.sqrt(2 / 5000));
    }
  });
});
