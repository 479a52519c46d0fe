// Decoders against their definitions.
import { describe, it, expect } from 'vitest';
import { createDecoder } from './decoders.js';

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
