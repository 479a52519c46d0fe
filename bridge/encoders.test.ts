// Encoders against their definitions.
import { describe, it, expect } from 'vitest';
import { createEncoder, mapRange, resample } from './encoders.js';

describe('encoders', () => {
  it('rate: [min, max] maps linearly onto [rate_min, rate_max] Hz, clamped; vectors are resampled per neuron', () => {
    const e = createEncoder({ kind: 'rate', min: 0.2, max: 4, rateMin: 5, rateMax: 100 });
    expect(e.encode(0.2, 10)).toBe(5);
    expect(e.encode(2.1, 10)).toBeCloseTo(52.5, 12);
    expect(e.encode(9, 10)).toBe(100);
    expect(e.encode(-1, 10)).toBe(5);
    // 6 ranges onto 3 neurons: each neuron gets the mean of its two elements.
    const v = e.encode([0.2, 0.2, 4, 4, 0.2, 4], 3) as Float64Array;
    [5, 100, 52.5].forEach((x, k) => expect(v[k]).toBeCloseTo(x, 12));
  });

  it('current: the same map onto pA; resample handles fewer elements than neurons', () => {
    const e = createEncoder({ kind: 'current', min: 0, max: 1, currentMax: 1000 });
    expect(e.encode(0.25, 1)).toBe(250);
    expect(Array.from(resample([1, 3], 4))).toEqual([1, 1, 3, 3]);
    expect(mapRange(5, 5, 5, 0, 1)).toBe(0);
  });

  it('population: Gaussian tuning curves with preferred values spread over [min, max]', () => {
    const e = createEncoder({ kind: 'population', min: -1, max: 1, sigma: 0.5, amplitude: 200 });
    const out = e.encode(0.5, 5) as Float64Array;
    const prefs = [-1, -0.5, 0, 0.5, 1];
    prefs.forEach((p, k) => expect(out[k]).toBeCloseTo(200 * Math.exp(-((0.5 - p) ** 2) / (2 * 0.25)), 12));
    expect(out.indexOf(Math.max(...out))).toBe(3);
    expect(() => e.encode([1, 2], 5)).toThrow(/one number/);
  });

  it('threshold: level holds while past the threshold, rising fires once per crossing, below inverts', () => {
    const level = createEncoder({ kind: 'threshold', threshold: 1, amplitude: 500 });
    expect([0.5, 1, 2, 0.9].map((x) => level.encode(x, 1))).toEqual([0, 500, 500, 0]);
    const rising = createEncoder({ kind: 'threshold', threshold: 1, amplitude: 500, edge: 'rising' });
    expect([0.5, 1, 2, 0.9, 3].map((x) => rising.encode(x, 1))).toEqual([0, 500, 0, 0, 500]);
    // The bridge calls a stateful encoder on every tick, others only when their value changes.
    expect(rising.stateful).toBe(true);
    expect(createEncoder({ kind: 'current', min: 0, max: 1, currentMax: 1 }).stateful).toBe(false);
    const near = createEncoder({ kind: 'threshold', threshold: 0.3, amplitude: 1, direction: 'below', edge: 'rising' });
    expect(Array.from(near.encode([1, 0.2], 2) as Float64Array)).toEqual([0, 1]);
    expect(Array.from(near.encode([0.1, 0.2], 2) as Float64Array)).toEqual([1, 0]);
  });
});
