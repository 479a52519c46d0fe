import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EquationError, type Expr } from './ast.js';
import { CONSTANTS, FUNCTIONS, constantValue, dimensionOf, unitDim, type SymbolInfo, type SymbolTable } from './check-units.js';
import { DIMENSIONLESS, UNITS, dimDiv, dimPow, formatDim, type Dim } from './dimension.js';
import { parseExpression } from './parse-expression.js';

const u = (name: string): Dim => UNITS[name].dim;
const VOLT = u('volt');
const AMP = u('amp');

const symbols = new Map<string, SymbolInfo>([
  ['v', { dim: VOLT, kind: 'state' }],
  ['I', { dim: AMP, kind: 'parameter' }],
  ['C', { dim: u('farad'), kind: 'parameter' }],
  ['g', { dim: u('siemens'), kind: 'parameter' }],
  ['tau', { dim: u('second'), kind: 'parameter' }],
  ['area', { dim: u('metre2'), kind: 'parameter' }],
  ['x', { dim: DIMENSIONLESS, kind: 'state' }],
  ['n', { dim: DIMENSIONLESS, kind: 'parameter' }],
  ['N', { dim: DIMENSIONLESS, kind: 'constant', value: 3 }],
  ['t', { dim: u('second'), kind: 'engine' }],
  ['xi', { dim: [0, 0, -0.5, 0, 0, 0, 0], kind: 'engine' }],
]);
const table: SymbolTable = (name) => symbols.get(name);
const where = { line: 7, text: 'dv/dt = ... : volt' };
const dimOf = (text: string): Dim => dimensionOf(parseExpression(text), table, where);
const valueOf = (text: string): number | null => constantValue(parseExpression(text), table);

function errorOf(f: () => unknown): EquationError {
  try {
    f();
  } catch (e) {
    if (e instanceof EquationError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('dimensionOf', () => {
  it('derives the dimensions of model expressions', () => {
    expect(dimOf('(g*(-70*mV - v) + I)/C')).toEqual(dimDiv(VOLT, u('second')));
    expect(dimOf('-v/tau + xi*mV/sqrt(ms)')).toEqual(dimDiv(VOLT, u('second')));
    expect(dimOf('sqrt(area)')).toEqual(u('metre'));
    expect(dimOf('v**2')).toEqual(dimPow(VOLT, 2));
    expect(dimOf('v**N / mV**3')).toEqual(DIMENSIONLESS);
    expect(dimOf('v**-0.5')).toEqual(dimPow(VOLT, -0.5));
    expect(dimOf('x**n')).toEqual(DIMENSIONLESS);
    expect(dimOf('v > -50*mV and not (t < 2*ms) or False')).toEqual(DIMENSIONLESS);
    expect(dimOf('clip(v, -80*mV, 0*volt)')).toEqual(VOLT);
    expect(dimOf('abs(I) + floor(I) - ceil(I)')).toEqual(AMP);
    expect(dimOf('sign(v) + int(x) + rand() + randn() + pi + e + inf + True')).toEqual(DIMENSIONLESS);
    expect(dimOf('exprel(v/mV) * exp(1) * log(2) * log10(3) * tanh(x) * arctan(x)')).toEqual(DIMENSIONLESS);
  });

  it('names the operation, both units, the expression and the symbol when units disagree', () => {
    expect(errorOf(() => dimOf('v + I'))).toMatchObject({
      message: 'cannot add volt and amp in "v + I"',
      symbol: 'I',
      line: 7,
      text: where.text,
    });
    expect(errorOf(() => dimOf('v - 2*I'))).toMatchObject({ message: 'cannot subtract amp from volt in "v - 2 * I"', symbol: 'I' });
    expect(errorOf(() => dimOf('v > 3*nA'))).toMatchObject({ message: 'cannot compare volt and amp in "v > 3 * nA"', symbol: 'nA' });
    expect(errorOf(() => dimOf('v + 1'))).toMatchObject({ message: 'cannot add volt and 1 in "v + 1"', symbol: 'v' });
    expect(errorOf(() => dimOf('v and x')).message).toMatch(/"and" needs dimensionless \(boolean\) operands, not volt and 1/);
    expect(errorOf(() => dimOf('not I')).message).toMatch(/"not" needs a dimensionless/);
  });

  it('checks powers', () => {
    expect(errorOf(() => dimOf('x**tau'))).toMatchObject({
      message: 'an exponent must be dimensionless, not second, in "x**tau"',
      symbol: 'tau',
    });
    expect(errorOf(() => dimOf('v**n'))).toMatchObject({
      message: 'a quantity in volt can only be raised to a constant power, in "v**n"',
      symbol: 'n',
    });
    expect(errorOf(() => dimOf('v**(1/0)')).message).toMatch(/constant power/);
  });

  it('checks functions: arity and argument units, naming the function', () => {
    expect(errorOf(() => dimOf('exp(v)'))).toMatchObject({
      message: 'exp needs a dimensionless argument, not volt, in "exp(v)"',
      symbol: 'exp',
    });
    expect(errorOf(() => dimOf('exp(x, x)'))).toMatchObject({ message: 'exp takes 1 argument, not 2, in "exp(x, x)"', symbol: 'exp' });
    expect(errorOf(() => dimOf('rand(1)')).message).toBe('rand takes no arguments, not 1, in "rand(1)"');
    expect(errorOf(() => dimOf('clip(v, 0, 1)')).message).toBe(
      'clip needs three arguments in the same units, not volt, 1, 1, in "clip(v, 0, 1)"',
    );
    expect(errorOf(() => dimOf('clip(v)')).message).toMatch(/clip takes 3 arguments, not 1/);
    expect(errorOf(() => dimOf('int(tau)')).message).toMatch(/^int needs a dimensionless argument, not second/);
    for (const fn of ['sin', 'cos', 'tan', 'sinh', 'cosh', 'arcsin', 'arccos', 'log', 'log10', 'exprel'])
      expect(errorOf(() => dimOf(`${fn}(I)`)).symbol).toBe(fn);
    expect(errorOf(() => dimOf('foo(1)'))).toMatchObject({ message: 'unknown function "foo"', symbol: 'foo' });
    expect(errorOf(() => dimOf('v(1)'))).toMatchObject({ message: 'unknown function "v"' });
  });

  it('treats names that every object has as unknown', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(errorOf(() => dimOf(`${name} + 1`))).toMatchObject({ message: `unknown symbol "${name}"`, symbol: name });
      expect(errorOf(() => dimOf(`${name}(1)`))).toMatchObject({ message: `unknown function "${name}"`, symbol: name });
      expect(valueOf(name)).toBeNull();
      expect(() => unitDim(parseExpression(name), where)).toThrow(`unknown unit "${name}"`);
    }
    expect(Object.getPrototypeOf(FUNCTIONS)).toBeNull();
    expect(Object.getPrototypeOf(CONSTANTS)).toBeNull();
    expect(errorOf(() => dimOf('exp + 1')).message).toMatch(/"exp" is a function/);
  });

  it('lets the model shadow units and constants', () => {
    const own: SymbolTable = (name) => (name === 'ms' || name === 'e' ? { dim: VOLT, kind: 'state' } : undefined);
    expect(dimensionOf(parseExpression('ms + e'), own, where)).toEqual(VOLT);
    expect(constantValue(parseExpression('ms'), own)).toBeNull();
  });

  it('returns a dimension or throws EquationError for any expression', () => {
    const names = ['v', 'I', 'x', 'n', 'N', 'tau', 'mV', 'ms', 'pi', 'nope', '__proto__', 'exp', 'True'];
    const fns = ['exp', 'sqrt', 'clip', 'rand', 'abs', 'sign', 'int', 'nope', 'constructor'];
    const { tree } = fc.letrec<{ tree: Expr }>((t) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.double({ noNaN: true }).map((value): Expr => ({ kind: 'num', value })),
        fc.constantFrom(...names).map((name): Expr => ({ kind: 'sym', name })),
        fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom('-' as const, '+' as const, 'not' as const), arg: t('tree') }),
        fc.record({
          kind: fc.constant('binary' as const),
          op: fc.constantFrom('+' as const, '-' as const, '*' as const, '/' as const, '**' as const, '<' as const, 'and' as const),
          left: t('tree'),
          right: t('tree'),
        }),
        fc.record({ kind: fc.constant('call' as const), fn: fc.constantFrom(...fns), args: fc.array(t('tree'), { maxLength: 3 }) }),
      ),
    }));
    fc.assert(
      fc.property(tree, (e) => {
        try {
          expect(dimensionOf(e, table, where)).toHaveLength(7);
        } catch (err) {
          expect(err).toBeInstanceOf(EquationError);
        }
        const c = constantValue(e, table);
        expect(c === null || typeof c === 'number').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('constantValue', () => {
  it('evaluates numbers, units, constants and functions of them, in internal units', () => {
    expect(valueOf('-70.6*mV')).toBeCloseTo(-70.6, 12);
    expect(valueOf('1/ms')).toBe(1);
    expect(valueOf('10*Hz')).toBeCloseTo(0.01, 15);
    expect(valueOf('2*volt')).toBe(2000);
    expect(valueOf('N**2 + 1')).toBe(10);
    expect(valueOf('2*pi')).toBe(2 * Math.PI);
    expect(valueOf('exprel(0) + sqrt(4) + clip(5, 0, 1) + int(-2.5) + sign(-3)')).toBe(1 + 2 + 1 - 2 - 1);
    expect(valueOf('True and 0')).toBe(0);
    expect(valueOf('(1 < 2) + (2 == 2) + (not 0)')).toBe(3);
    expect(valueOf('1/0')).toBe(Infinity);
    expect(valueOf('v*2')).toBeNull();
    expect(valueOf('tau')).toBeNull();
    expect(valueOf('rand()')).toBeNull();
    expect(valueOf('exp()')).toBeNull();
    expect(valueOf('foo(1)')).toBeNull();
  });
});

describe('unitDim', () => {
  const dimOfUnit = (text: string): Dim => unitDim(parseExpression(text), where);
  it('reads declared units', () => {
    expect(dimOfUnit('1')).toEqual(DIMENSIONLESS);
    expect(dimOfUnit('boolean')).toEqual(DIMENSIONLESS);
    expect(dimOfUnit('integer')).toEqual(DIMENSIONLESS);
    expect(dimOfUnit('volt')).toEqual(VOLT);
    expect(formatDim(dimOfUnit('amp/meter**2'))).toBe('amp/metre**2');
    expect(formatDim(dimOfUnit('siemens/cm**2'))).toBe('siemens/metre**2');
    expect(formatDim(dimOfUnit('metre**-2'))).toBe('1/metre**2');
    expect(dimOfUnit('second**-0.5')).toEqual([0, 0, -0.5, 0, 0, 0, 0]);
    expect(dimOfUnit('1/second')).toEqual(u('hertz'));
    expect(dimOfUnit('mV')).toEqual(VOLT);
  });

  it('refuses what is not a unit, naming the offending name', () => {
    expect(errorOf(() => dimOfUnit('2*mV')).message).toMatch(/"2 \* mV" is not a unit/);
    expect(errorOf(() => dimOfUnit('volt + amp')).message).toMatch(/is not a unit/);
    expect(errorOf(() => dimOfUnit('exp(volt)')).message).toMatch(/is not a unit/);
    expect(errorOf(() => dimOfUnit('-volt')).message).toMatch(/is not a unit/);
    expect(errorOf(() => dimOfUnit('foo'))).toMatchObject({ message: 'unknown unit "foo"', symbol: 'foo', line: 7 });
    expect(errorOf(() => dimOfUnit('bool')).message).toMatch(/"boolean", not "bool"/);
    expect(errorOf(() => dimOfUnit('boolean/second')).message).toMatch(/stands alone/);
    expect(errorOf(() => dimOfUnit('volt**n'))).toMatchObject({ symbol: 'n' });
    expect(errorOf(() => dimOfUnit('volt**ms')).message).toMatch(/must be a number/);
  });
});
