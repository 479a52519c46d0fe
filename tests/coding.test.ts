// Encoders, decoders and output limits against their definitions (bridge/encoders.ts, decoders.ts, limits.ts).
import { describe, it, expect } from 'vitest';
import { createEncoder, mapRange, resample } from '../bridge/encoders.js';
import { createDecoder } from '../bridge/decoders.js';
import { Limiter } from '../bridge/limits.js';

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

describe('decoders', () => {
  const dt = 1;
  it('rate: filtered population rate reaches the steady rate and maps onto [min, max]', () => {
    const d = createDecoder({ kind: 'rate', tau: 20, rateMax: 100, min: 0, max: 0.5 }, 10);
    // One of ten neurons spikes every step: 100 Hz per neuron on average.
    for (let s = 0; s < 500; s++) d.step([s % 10], dt);
    expect(d.value()).toBeCloseTo(0.5, 6);
    for (let s = 0; s < 20; s++) d.step([], dt);
    // One time constant later the rate has fallen to 1/e.
    expect(d.value()).toBeCloseTo(0.5 * Math.exp(-1), 3);
  });

  it('population_vector: the rate-weighted mean of preferred values; idle when silent', () => {
    const d = createDecoder({ kind: 'population_vector', tau: 10, min: -1, max: 1, idle: 0.25 }, 5);
    expect(d.value()).toBe(0.25);
    // Neurons 3 and 4 (preferring 0.5 and 1) fire equally: the vector points at 0.75.
    for (let s = 0; s < 200; s++) d.step([3, 4], dt);
    expect(d.value()).toBeCloseTo(0.75, 9);
  });

  it('winner_take_all: the value of the most active group', () => {
    const d = createDecoder({ kind: 'winner_take_all', tau: 10, values: [-1, 0, 1], idle: 7 }, 6);
    expect(d.value()).toBe(7);
    for (let s = 0; s < 100; s++) d.step(s % 3 ? [4, 5] : [0], dt);
    expect(d.value()).toBe(1);
  });

  it('count: spikes in the last window times scale', () => {
    const d = createDecoder({ kind: 'count', window: 5, scale: 2 }, 3);
    for (let s = 0; s < 5; s++) d.step([0, 1], dt);
    expect(d.value()).toBe(20);
    d.step([], dt);
    d.step([], dt);
    expect(d.value()).toBe(12);
  });
});

describe('limits', () => {
  it('clamp, slew rate, safe value; non-finite targets stop', () => {
    const l = new Limiter({ min: -0.5, max: 0.5, slewRate: 1, safe: 0 });
    expect(l.apply(2, 0.1)).toBe(0.5); // first value: clamped, nothing to slew from
    expect(l.apply(-2, 0.1)).toBeCloseTo(0.4, 12); // 1 unit/s over 0.1 s
    expect(l.apply(-2, 0.5)).toBeCloseTo(-0.1, 12);
    expect(l.apply(NaN, 0.1)).toBe(0);
    expect(l.stop()).toBe(0);
    expect(l.apply(0.05, 0.01)).toBeCloseTo(0.01, 12);
  });
});
