// The quantity parser and the one table of plausible ranges (units.ts QUANTITY_LIMITS) that the
// document checker and live edits share (issue 16, D5).
import { describe, it, expect } from 'vitest';
import { performance } from 'node:perf_hooks';
import {
  parseQuantity,
  toInternal,
  checkQuantity,
  checkWeight,
  quantityProblem,
  QUANTITY_LIMITS,
  QUANTITY_PATTERN,
  FLOAT32_MAX,
} from '../engine/units.js';
import { untyped } from './fixtures/hostile.js';

describe('parseQuantity', () => {
  it('reads numbers with SI-prefixed units into internal units', () => {
    expect(parseQuantity('20 ms')).toEqual({ value: 20, dimension: 'time' });
    expect(parseQuantity('-65mV')).toEqual({ value: -65, dimension: 'voltage' });
    expect(parseQuantity(' .5 nA ')).toEqual({ value: expect.closeTo(500, 9), dimension: 'current' });
    expect(parseQuantity('5.')).toEqual({ value: 5, dimension: 'dimensionless' });
    expect(parseQuantity('1e3 Hz')).toEqual({ value: 1000, dimension: 'rate' });
    expect(parseQuantity('2 MOhm')).toEqual({ value: expect.closeTo(2e-3, 12), dimension: 'resistance' });
  });

  it('refuses numbers that are not finite, before or after the unit is applied', () => {
    expect(parseQuantity('1e400 ms')).toMatch(/not a finite number/);
    expect(parseQuantity('1e308 GHz')).toMatch(/overflows/);
    expect(parseQuantity('1e308 s')).toMatch(/overflows/);
  });

  it('a prefix is looked up as an own property (no "constructor" prefix)', () => {
    expect(parseQuantity('1 constructors')).toMatch(/unknown unit/);
    expect(parseQuantity('1 __proto__s')).toMatch(/not a number with a unit/);
  });

  it('long hostile strings fail in linear time (the old pattern backtracked: 20000 digits took 1.5 s)', () => {
    const pattern = new RegExp(QUANTITY_PATTERN, 'u');
    for (const text of [
      '1'.repeat(20000) + '!',
      '1' + ' '.repeat(20000) + '!',
      '1 ' + 'm'.repeat(20000) + '1',
      '1.' + '1'.repeat(20000) + 'e+',
    ]) {
      const t0 = performance.now();
      expect(pattern.test(text)).toBe(false);
      expect(parseQuantity(text)).toMatch(/not a number with a unit|characters/);
      expect(performance.now() - t0).toBeLessThan(100);
    }
  });

  it('the schema pattern and the parser accept the same strings', () => {
    const pattern = new RegExp(QUANTITY_PATTERN, 'u');
    for (const text of ['20 ms', '-65mV', '.5', '5.', '+1e-3 s', ' 3 ', '1 Ohm', '2 µA', '1 2 ms', 'ms', '1e', '--1', '1 m s', '']) {
      expect(pattern.test(text), text).toBe(
        typeof parseQuantity(text) !== 'string' || /unknown unit|finite|overflows/.test(parseQuantity(text) as string),
      );
    }
  });
});

describe('QUANTITY_LIMITS: one table of plausible ranges', () => {
  it("every quantity is finite and within its dimension's range, whether a bare number or a string", () => {
    expect(toInternal(1e308, 'capacitance')).toMatch(/plausible range for a capacitance/);
    expect(toInternal('1e308 pF', 'capacitance')).toMatch(/plausible range/);
    expect(toInternal('2e4 mV', 'voltage')).toMatch(/plausible range for a voltage/);
    expect(toInternal(NaN, 'time')).toMatch(/finite/);
    expect(toInternal('1e400 ms', 'time')).toMatch(/finite/);
    expect(toInternal('250 pF', 'capacitance')).toBeCloseTo(250, 9);
    expect(toInternal(-0, 'voltage')).toBe(-0);
  });

  it("a positive quantity is at least the dimension's smallest: no denormal time constant", () => {
    expect(checkQuantity(1e-320, 'time', 'positive')).toMatch(/too small/);
    expect(checkQuantity('1 ns', 'time', 'positive')).toMatch(/too small/);
    expect(checkQuantity('1 us', 'time', 'positive')).toBeCloseTo(0.001, 12);
    expect(checkQuantity(0, 'time', 'positive')).toMatch(/> 0/);
    expect(checkQuantity(-1, 'rate', 'nonNegative')).toMatch(/>= 0/);
    expect(checkQuantity(1e-320, 'voltage')).toBe(1e-320);
  });

  it("weights fit float32: the current and conductance ranges are far below float32's largest", () => {
    expect(QUANTITY_LIMITS.current.max).toBeLessThan(FLOAT32_MAX);
    expect(QUANTITY_LIMITS.conductance.max).toBeLessThan(FLOAT32_MAX);
    expect(checkWeight(3.5e38, 'current')).toMatch(/plausible/);
    expect(checkWeight('3.5e38 nS', 'conductance')).toMatch(/plausible/);
    expect(checkWeight(-1, 'current')).toMatch(/>= 0/);
    expect(checkWeight('6 nS', 'conductance')).toBeCloseTo(6, 9);
    expect(Number.isFinite(Math.fround(QUANTITY_LIMITS.current.max))).toBe(true);
  });

  it('quantityProblem refuses what is not a number at all', () => {
    expect(quantityProblem(untyped('5'), 'time')).toMatch(/finite/);
    expect(quantityProblem(Infinity, 'dimensionless')).toMatch(/finite/);
    expect(quantityProblem(5, 'dimensionless')).toBeNull();
  });
});
