import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { requires } from '../../tests/requirements.js';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONLESS,
  UNITS,
  dimDiv,
  dimEqual,
  dimMul,
  dimPow,
  formatDim,
  internalScale,
  isDimensionless,
  isUnitName,
  toInternal,
  type Dim,
} from './dimension.js';

const d = (name: string): Dim => UNITS[name].dim;
const internal = (name: string): number => toInternal(UNITS[name].si, UNITS[name].dim);
const arbDim = fc.array(
  fc.integer({ min: -8, max: 8 }).map((x) => x / 2),
  { minLength: 7, maxLength: 7 },
);

describe('dimension algebra', () => {
  it('multiplies, divides and raises exponent vectors', () => {
    expect(dimMul(d('volt'), d('siemens'))).toEqual(d('amp'));
    expect(dimDiv(d('coulomb'), d('second'))).toEqual(d('amp'));
    expect(dimEqual(dimDiv(dimMul(d('farad'), d('volt')), d('second')), d('amp'))).toBe(true);
    expect(dimPow(d('metre'), 2)).toEqual(d('metre2'));
    expect(dimPow(d('second'), -0.5)).toEqual([0, 0, -0.5, 0, 0, 0, 0]);
    expect(isDimensionless(d('radian'))).toBe(true);
    expect(isDimensionless(d('volt'))).toBe(false);
    expect(dimEqual([1e-10, 0, 0, 0, 0, 0, 0], DIMENSIONLESS)).toBe(true);
    expect(dimEqual([1e-6, 0, 0, 0, 0, 0, 0], DIMENSIONLESS)).toBe(false);
  });

  it('division undoes multiplication', () => {
    fc.assert(fc.property(arbDim, arbDim, (a, b) => dimEqual(dimDiv(dimMul(a, b), b), a) && dimEqual(dimMul(dimDiv(a, b), b), a)));
  });

  it('powers agree with repeated multiplication and invert', () => {
    fc.assert(
      fc.property(arbDim, fc.integer({ min: -4, max: 4 }), (a, k) => {
        let product = DIMENSIONLESS;
        for (let i = 0; i < Math.abs(k); i++) product = k > 0 ? dimMul(product, a) : dimDiv(product, a);
        return dimEqual(dimPow(a, k), product) && (k === 0 || dimEqual(dimPow(dimPow(a, k), 1 / k), a));
      }),
    );
    fc.assert(fc.property(arbDim, (a) => dimEqual(dimPow(dimPow(a, 0.5), 2), a) && dimEqual(dimMul(a, dimPow(a, -1)), DIMENSIONLESS)));
  });

  it('internal scales multiply as dimensions do', () => {
    // Exponents within ±2 keep every product's scale inside float64 (|exponent| ≤ 204); with ±4 a
    // product such as 1e144 × 1e165 overflows to Infinity, which says nothing about the algebra.
    const arbUnitDim = fc.array(
      fc.integer({ min: -4, max: 4 }).map((x) => x / 2),
      { minLength: 7, maxLength: 7 },
    );
    fc.assert(
      fc.property(arbUnitDim, arbUnitDim, (a, b) => {
        const s = internalScale(dimMul(a, b));
        return Math.abs(s - internalScale(a) * internalScale(b)) <= 1e-12 * s;
      }),
    );
  });
});

describe('formatDim', () => {
  it('uses Brian2 names where one matches', () => {
    expect(formatDim(DIMENSIONLESS)).toBe('1');
    for (const name of ['volt', 'amp', 'siemens', 'farad', 'ohm', 'coulomb', 'second', 'hertz', 'metre', 'mole'])
      expect(formatDim(d(name))).toBe(name);
    expect(formatDim(dimDiv(d('volt'), d('second')))).toBe('volt/second');
    expect(formatDim(dimDiv(d('amp'), d('metre2')))).toBe('amp/metre**2');
    expect(formatDim(dimDiv(d('siemens'), d('cm2')))).toBe('siemens/metre**2');
    expect(formatDim(dimDiv(d('farad'), d('metre2')))).toBe('farad/metre**2');
    expect(formatDim(dimMul(d('volt'), d('second')))).toBe('volt*second');
    expect(formatDim(d('mM'))).toBe('molar');
    expect(formatDim(dimPow(d('metre'), 2))).toBe('metre**2');
    expect(formatDim(dimPow(d('volt'), -1))).toBe('1/volt');
  });

  it('falls back to base-unit exponents', () => {
    expect(formatDim([0, 0, -0.5, 0, 0, 0, 0])).toBe('s^-0.5');
    expect(formatDim(dimPow(d('volt'), 3))).toBe('m^6 kg^3 s^-9 A^-3');
  });
});

describe('internal units', () => {
  it('are mV, pA, nS, pF, ms, GOhm, µm and mM, with rates per ms', () => {
    expect(internalScale(d('volt'))).toBe(1e-3);
    expect(internalScale(d('siemens'))).toBe(1e-9);
    expect(internalScale(d('farad'))).toBe(1e-12);
    expect(internalScale(d('ohm'))).toBe(1e9);
    expect(internalScale(d('hertz'))).toBe(1e3);
    expect(internalScale(d('amp'))).toBe(1e-12);
    expect(internalScale(d('second'))).toBe(1e-3);
    expect(internalScale(d('metre'))).toBe(1e-6);
    expect(internalScale(d('mole'))).toBe(1e-18);
    expect(internalScale(d('molar'))).toBe(1);
    for (const name of ['mV', 'pA', 'nS', 'pF', 'ms', 'Gohm', 'um', 'mM', 'kHz', 'amol']) expect(internal(name)).toBe(1);
    expect(internal('volt')).toBe(1000);
    expect(internal('Hz')).toBe(1e-3);
    expect(internal('nA')).toBe(1000);
    expect(internal('Mohm')).toBe(1e-3);
    expect(internal('um2')).toBe(1);
    expect(internal('cm2')).toBe(1e8);
    expect(toInternal(-0.0706, d('volt'))).toBeCloseTo(-70.6, 12);
    expect(toInternal(0, d('volt'))).toBe(0);
  });

  it('are consistent: capacitance × voltage / time is current, conductance × voltage is current', () => {
    const pF = internalScale(d('farad'));
    expect(internalScale(dimDiv(dimMul(d('farad'), d('volt')), d('second')))).toBeCloseTo((pF * 1e-3) / 1e-3, 20);
    expect(internalScale(dimMul(d('siemens'), d('volt')))).toBeCloseTo(internalScale(d('amp')), 20);
    expect(internalScale(dimDiv(d('volt'), d('amp')))).toBe(internalScale(d('ohm')));
  });
});

describe('UNITS', () => {
  it("has Brian2's names, prefixes, powers and short forms", () => {
    const expected: [string, Dim, number][] = [
      ['metre', d('meter'), 1],
      ['gram', d('kilogram'), 1e-3],
      ['kgram', d('kilogram'), 1],
      ['molar', [-3, 0, 0, 0, 0, 1, 0], 1e3],
      ['mmolar', d('molar'), 1],
      ['litre', [3, 0, 0, 0, 0, 0, 0], 1e-3],
      ['mlitre', d('liter'), 1e-6],
      ['mV', d('volt'), 1e-3],
      ['mvolt', d('volt'), 1e-3],
      ['uA', d('amp'), 1e-6],
      ['pA', d('ampere'), 1e-12],
      ['nS', d('siemens'), 1e-9],
      ['msiemens', d('siemens'), 1e-3],
      ['pF', d('farad'), 1e-12],
      ['ufarad', d('farad'), 1e-6],
      ['ms', d('second'), 1e-3],
      ['usecond', d('second'), 1e-6],
      ['kHz', d('hertz'), 1e3],
      ['MHz', d('hertz'), 1e6],
      ['cm', d('metre'), 1e-2],
      ['cm2', dimPow(d('metre'), 2), 1e-4],
      ['um3', dimPow(d('metre'), 3), 1e-18],
      ['cmetre2', d('cm2'), 1e-4],
      ['metre3', dimPow(d('metre'), 3), 1],
      ['Mohm', d('ohm'), 1e6],
      ['kohm', d('ohm'), 1e3],
      ['Gohm', d('ohm'), 1e9],
      ['mohm', d('ohm'), 1e-3],
      ['daamp', d('amp'), 10],
      ['damp', d('amp'), 0.1],
      ['uM', d('molar'), 1e-3],
      ['radian', DIMENSIONLESS, 1],
      ['joule', [2, 1, -2, 0, 0, 0, 0], 1],
      ['kelvin2', [0, 0, 0, 0, 2, 0, 0], 1],
    ];
    for (const [name, dim, si] of expected) {
      expect(isUnitName(name), name).toBe(true);
      expect(UNITS[name].dim, name).toEqual(dim);
      expect(UNITS[name].si, name).toBe(si);
    }
    for (const name of ['litre2', 'kkelvin', 'mkilogram', 'celsius', 'candela', 'nm', 'mv', 'MV2'])
      expect(isUnitName(name), name).toBe(false);
    expect(Object.keys(UNITS)).toHaveLength(2095);
  });

  it('finds only units for names that are properties of every object', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(isUnitName(name)).toBe(false);
      expect(Object.hasOwn(UNITS, name)).toBe(false);
    }
    expect(Object.getPrototypeOf(UNITS)).toBeNull();
    expect(Object.isFrozen(UNITS)).toBe(true);
  });

  const brian2 = requires('brian2');
  const python = '/usr/bin/python3';
  const dump = `
import json, brian2.units.allunits as a, brian2.units.stdunits as s
out = {}
for m in (a, s):
    for n in m.__all__:
        if n != 'celsius':
            u = getattr(m, n); out[n] = [[float(x) for x in u.dim._dims], float(u)]
print(json.dumps(out))`;
  const brian = brian2.skip ? null : spawnSync(python, ['-W', 'ignore', '-c', dump], { encoding: 'utf8', timeout: 60_000 });
  // Brian2 is the reference for the unit table (the table above pins the common units without it).
  it.skipIf(brian2.skip)('matches every unit Brian2 2.5 defines, exactly', () => {
    expect(brian!.status, brian!.stderr).toBe(0);
    const theirs: Record<string, [number[], number]> = JSON.parse(brian!.stdout);
    expect(Object.keys(UNITS).sort()).toEqual(Object.keys(theirs).sort());
    for (const [name, [dim, si]] of Object.entries(theirs)) {
      expect(dimEqual(UNITS[name].dim, dim), name).toBe(true);
      expect(Math.abs(UNITS[name].si - si) <= 1e-15 * si, name).toBe(true);
    }
  });
});
