// Output limits against their definitions.
import { describe, it, expect } from 'vitest';
import { Limiter } from './limits.js';

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

  it('without limits a finite target passes unchanged; the safe value defaults to 0', () => {
    const l = new Limiter({});
    expect(l.apply(1e9, 1)).toBe(1e9);
    expect(l.apply(-3, 0)).toBe(-3);
    expect(l.apply(Infinity, 1)).toBe(0);
  });

  it('after a stop, slewing restarts from the safe value', () => {
    const l = new Limiter({ slewRate: 2, safe: 1 });
    expect(l.apply(10, 1)).toBe(10);
    expect(l.stop()).toBe(1);
    expect(l.apply(10, 0.5)).toBe(2);
    expect(l.apply(-10, 0.25)).toBe(1.5);
  });
});
