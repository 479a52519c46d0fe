import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expm, propagators } from './propagator.js';

describe('propagators', () => {
  it('match the closed form of a leaky membrane driven by a decaying current', () => {
    // v' = -v/tm + I/c, I' = -I/ts: Rotter & Diesmann's propagator for I into v.
    const [tm, ts, c, dt] = [20, 5, 250, 0.1];
    const { phi, psi } = propagators(
      [
        [-1 / tm, 1 / c],
        [0, -1 / ts],
      ],
      dt,
    );
    expect(phi[0][0]).toBeCloseTo(Math.exp(-dt / tm), 15);
    expect(phi[1][1]).toBeCloseTo(Math.exp(-dt / ts), 15);
    const p21 = ((tm * ts) / (c * (ts - tm))) * (Math.exp(-dt / ts) - Math.exp(-dt / tm));
    expect(phi[0][1] / p21).toBeCloseTo(1, 12);
    expect(psi[0][0]).toBeCloseTo(tm * (1 - Math.exp(-dt / tm)), 13);
  });

  it('exp of a diagonal matrix is the exponential of its entries, at any scale', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 5, noNaN: true }), { minLength: 1, maxLength: 5 }), (d) => {
        const m = d.map((x, i) => d.map((_, j) => (i === j ? x : 0)));
        const e = expm(m);
        d.forEach((x, i) => expect(Math.abs(e[i][i] - Math.exp(x))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.exp(x))));
      }),
    );
  });

  it('integrates a constant input with a zero coefficient to b*dt', () => {
    const { phi, psi } = propagators([[0]], 0.25);
    expect(phi[0][0]).toBe(1);
    expect(psi[0][0]).toBeCloseTo(0.25, 15);
  });
});
