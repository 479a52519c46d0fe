import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSIONLESS, UNITS, dimDiv, dimPow, formatDim, type Dim } from './dimension.js';
import { parseQuantity } from './quantity.js';

const u = (name: string): Dim => UNITS[name].dim;

function ok(value: unknown): { value: number; dim: Dim } {
  const q = parseQuantity(value);
  if (typeof q === 'string') throw new Error(q);
  return q;
}

function problem(value: unknown): string {
  const q = parseQuantity(value);
  if (typeof q !== 'string') throw new Error(`accepted ${JSON.stringify(value)}`);
  return q;
}

describe('parseQuantity', () => {
  it('reads numbers with units into internal units', () => {
    expect(ok('281 pF')).toEqual({ value: 281, dim: u('farad') });
    expect(ok('-70.6 mV')).toEqual({ value: -70.6, dim: u('volt') });
    expect(ok('0.7 pA/mV**2')).toEqual({ value: 0.7, dim: dimDiv(u('amp'), dimPow(u('volt'), 2)) });
    expect(ok('0.02/ms')).toEqual({ value: 0.02, dim: u('hertz') });
    expect(ok('0.02 /ms')).toEqual({ value: 0.02, dim: u('hertz') });
    expect(ok('-65*mV')).toEqual({ value: -65, dim: u('volt') });
    expect(ok('10')).toEqual({ value: 10, dim: DIMENSIONLESS });
    expect(ok('2 * ms')).toEqual({ value: 2, dim: u('second') });
    expect(ok('  20 ms  ')).toEqual({ value: 20, dim: u('second') });
    expect(ok('5 nA')).toEqual({ value: 5000, dim: u('amp') });
    expect(ok('1 Mohm')).toEqual({ value: 1e-3, dim: u('ohm') });
    expect(ok('2 um')).toEqual({ value: 2, dim: u('metre') });
    expect(ok('1 mM').value).toBe(1);
    expect(ok('10 Hz').value).toBeCloseTo(0.01, 15);
    expect(ok('-.5e1 mV').value).toBe(-5);
    expect(ok('3 volt').value).toBe(3000);
    const g = ok('1e-3 siemens/cm**2');
    expect(g.value).toBeCloseTo(0.01, 15);
    expect(formatDim(g.dim)).toBe('siemens/metre**2');
    expect(ok('(1 + 2) * mV')).toEqual({ value: 3, dim: u('volt') });
    expect(ok(3)).toEqual({ value: 3, dim: DIMENSIONLESS });
    expect(ok(-0.5)).toEqual({ value: -0.5, dim: DIMENSIONLESS });
  });

  it('refuses unknown names, functions, non-finite values and long text, saying why', () => {
    expect(problem('5 foo')).toBe('"5 foo" is not a quantity: unknown unit "foo"');
    expect(problem('5 mV + 3 mV')).toMatch(/expected an operator before "mV" \(a number with a unit is written 2\*mV\) \(column 10\)/);
    expect(problem('exp(1)')).toMatch(/cannot call functions/);
    expect(problem('pi * mV')).toMatch(/unknown unit "pi"/);
    expect(problem('1 < 2')).toMatch(/cannot contain "<"/);
    expect(problem('mV + ms')).toMatch(/cannot add volt and second/);
    expect(problem('1e308 * 1e308')).toMatch(/not a finite quantity/);
    expect(problem('1e999 mV')).toMatch(/not a finite quantity|too large/);
    expect(problem('1/0')).toMatch(/not a finite/);
    expect(problem('5 boolean')).toMatch(/unknown unit "boolean"/);
    expect(problem('')).toMatch(/empty expression/);
    expect(problem('x'.repeat(201))).toMatch(/too long \(at most 200\)/);
    expect(problem(NaN)).toMatch(/not a finite number/);
    expect(problem(Infinity)).toMatch(/not a finite number/);
    expect(problem(null)).toMatch(/not null/);
    expect(problem({ value: 1 })).toMatch(/not an object/);
    expect(problem([1])).toMatch(/not a list/);
    expect(problem(true)).toMatch(/not boolean true/);
    for (const name of ['__proto__', 'constructor', 'toString']) {
      expect(problem(`1 ${name}`)).toMatch(`unknown unit "${name}"`);
      expect(problem(`${name}`)).toMatch(`unknown unit "${name}"`);
    }
  });

  it('returns a finite value or a problem for anything', () => {
    const pieces = ['1', '.5', 'e3', ' ', 'mV', 'ms', '*', '/', '**', '-', '(', ')', 'pA', 'foo', '2'];
    const soup = fc.array(fc.constantFrom(...pieces), { maxLength: 20 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ maxLength: 40 }), soup, fc.string({ maxLength: 300 })), (value) => {
        const q = parseQuantity(value);
        if (typeof q === 'string') expect(q.length).toBeGreaterThan(0);
        else {
          expect(Number.isFinite(q.value)).toBe(true);
          expect(q.dim).toHaveLength(7);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finishes quickly on 10 000-character inputs', () => {
    for (const text of ['1'.repeat(10_000), '1 ' + 'mV*'.repeat(3_000), '('.repeat(10_000)]) {
      const started = performance.now();
      expect(typeof parseQuantity(text)).toBe('string');
      expect(performance.now() - started).toBeLessThan(100);
    }
  });
});
