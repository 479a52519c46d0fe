import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EquationError, type BinaryOp, type Expr } from './ast.js';
import { MAX_NESTING, formatExpr, parseExpression } from './parse-expression.js';

const num = (value: number): Expr => ({ kind: 'num', value });
const sym = (name: string): Expr => ({ kind: 'sym', name });
const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
const neg = (arg: Expr): Expr => ({ kind: 'unary', op: '-', arg });
const not = (arg: Expr): Expr => ({ kind: 'unary', op: 'not', arg });

function errorOf(f: () => unknown): EquationError {
  try {
    f();
  } catch (e) {
    if (e instanceof EquationError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('parseExpression', () => {
  it('reads numbers in every Python form', () => {
    for (const [text, value] of [
      ['1', 1],
      ['1.', 1],
      ['.5', 0.5],
      ['1e-3', 1e-3],
      ['2.5E+2', 250],
      ['1.e5', 1e5],
      ['007', 7],
    ] as const)
      expect(parseExpression(text)).toEqual(num(value));
  });

  it('follows Python precedence and associativity', () => {
    const [a, b, c] = [sym('a'), sym('b'), sym('c')];
    expect(parseExpression('-x**2')).toEqual(neg(bin('**', sym('x'), num(2))));
    expect(parseExpression('x**-2')).toEqual(bin('**', sym('x'), neg(num(2))));
    expect(parseExpression('a**b**c')).toEqual(bin('**', a, bin('**', b, c)));
    expect(parseExpression('x**-y**z')).toEqual(bin('**', sym('x'), neg(bin('**', sym('y'), sym('z')))));
    expect(parseExpression('a - b - c')).toEqual(bin('-', bin('-', a, b), c));
    expect(parseExpression('a / b * c')).toEqual(bin('*', bin('/', a, b), c));
    expect(parseExpression('a + b * c')).toEqual(bin('+', a, bin('*', b, c)));
    expect(parseExpression('-a * b')).toEqual(bin('*', neg(a), b));
    expect(parseExpression('not a < b')).toEqual(not(bin('<', a, b)));
    expect(parseExpression('a or b and not c')).toEqual(bin('or', a, bin('and', b, not(c))));
    expect(parseExpression('a + b > c - 1')).toEqual(bin('>', bin('+', a, b), bin('-', c, num(1))));
    expect(parseExpression('(a < b) == c')).toEqual(bin('==', bin('<', a, b), c));
    expect(parseExpression('+ - a')).toEqual({ kind: 'unary', op: '+', arg: neg(a) });
  });

  it('reads calls, True/False and whitespace anywhere', () => {
    expect(parseExpression('  clip ( w + apre ,0,\twmax )  ')).toEqual({
      kind: 'call',
      fn: 'clip',
      args: [bin('+', sym('w'), sym('apre')), num(0), sym('wmax')],
    });
    expect(parseExpression('rand()')).toEqual({ kind: 'call', fn: 'rand', args: [] });
    expect(parseExpression('True or False')).toEqual(bin('or', sym('True'), sym('False')));
    expect(parseExpression('v>=-50*mV')).toEqual(bin('>=', sym('v'), bin('*', neg(num(50)), sym('mV'))));
  });

  it('refuses chained comparisons, %, = and juxtaposition with clear messages and columns', () => {
    const chain = errorOf(() => parseExpression('a < b < c'));
    expect(chain.message).toMatch(/chained comparisons/);
    expect(chain.column).toBe(7);
    expect(errorOf(() => parseExpression('a % b')).message).toMatch(/% operator is not supported/);
    expect(errorOf(() => parseExpression('a // b')).message).toMatch(/floor/);
    expect(errorOf(() => parseExpression('a = b')).message).toMatch(/==/);
    const juxta = errorOf(() => parseExpression('2 ms'));
    expect(juxta.message).toMatch(/expected an operator before "ms" \(a number with a unit is written 2\*mV\)/);
    expect(juxta).toMatchObject({ column: 3, symbol: 'ms', line: 1 });
    expect(errorOf(() => parseExpression('(a + b')).message).toMatch(/missing "\)" for the "\(" at column 1/);
    expect(errorOf(() => parseExpression('a + b)')).message).toBe('unmatched ")"');
    expect(errorOf(() => parseExpression('a +')).message).toBe('unexpected end of expression');
    expect(errorOf(() => parseExpression('   ')).message).toBe('empty expression');
    expect(errorOf(() => parseExpression('a $ b'))).toMatchObject({ message: 'unexpected character "$"', column: 3 });
    expect(errorOf(() => parseExpression('a < not b')).message).toBe('unexpected "not"');
    expect(errorOf(() => parseExpression('1e999')).message).toMatch(/too large/);
    expect(errorOf(() => parseExpression('f(a,)')).message).toBe('unexpected ")"');
  });

  it('reports columns within the line the expression came from', () => {
    const e = errorOf(() => parseExpression('-v/tau $', 4, 'dv/dt = -v/tau $ : volt', 8));
    expect(e).toMatchObject({ line: 4, text: 'dv/dt = -v/tau $ : volt', column: 16 });
    expect(errorOf(() => parseExpression('b $', 2, 'x = b $')).column).toBe(7);
  });

  it('bounds length, nesting and depth', () => {
    expect(errorOf(() => parseExpression('a'.repeat(10_001))).message).toMatch(/too long/);
    const ok = '('.repeat(MAX_NESTING) + 'a' + ')'.repeat(MAX_NESTING);
    expect(parseExpression(ok)).toEqual(sym('a'));
    const deep = '('.repeat(MAX_NESTING + 1) + 'a' + ')'.repeat(MAX_NESTING + 1);
    expect(errorOf(() => parseExpression(deep)).message).toMatch(/nested more than 100 levels/);
    expect(errorOf(() => parseExpression('-'.repeat(200) + 'x')).message).toMatch(/nested/);
    expect(errorOf(() => parseExpression(Array(1200).fill('a').join('+'))).message).toMatch(/more than 1000 levels/);
    expect(parseExpression(Array(900).fill('a').join('+')).kind).toBe('binary');
  });
});

describe('formatExpr', () => {
  it('prints only the parentheses the structure needs', () => {
    const cases = [
      '(a + b) * c',
      'a - (b - c)',
      'a - b - c',
      '-(a + b)',
      '-x**2',
      '(-x)**2',
      '(a**b)**c',
      'a**b**c',
      'x**-2',
      'not (a and b)',
      'not a < b',
      '(a < b) == c',
      'a < (b == c)',
      'a or b and c',
      '(a or b) and c',
      'f(a + b, -c, g())',
      '--x',
      'a / (b * c)',
      'a * b / c',
      '2.5e-7 * mV',
    ];
    for (const text of cases) expect(formatExpr(parseExpression(text))).toBe(text);
    expect(formatExpr(parseExpression('((a)) + ((b * c))'))).toBe('a + b * c');
    expect(formatExpr(num(-3))).toBe('(-3)');
    expect(formatExpr(num(Infinity))).toBe('inf');
    expect(formatExpr(num(1e21))).toBe('1e+21');
  });

  // Every tree the parser can produce: non-negative finite numbers, identifiers other than the keywords.
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/).filter((s) => !['and', 'or', 'not'].includes(s));
  const number = fc.oneof(
    fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
    fc.nat().map(Number),
  );
  const ops: BinaryOp[] = ['+', '-', '*', '/', '**', '<', '<=', '>', '>=', '==', '!=', 'and', 'or'];
  const { tree } = fc.letrec<{ tree: Expr }>((t) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      number.map((value): Expr => ({ kind: 'num', value })),
      name.map((n): Expr => ({ kind: 'sym', name: n })),
      fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom('-' as const, '+' as const, 'not' as const), arg: t('tree') }),
      fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom(...ops), left: t('tree'), right: t('tree') }),
      fc.record({ kind: fc.constant('call' as const), fn: name, args: fc.array(t('tree'), { maxLength: 3 }) }),
    ),
  }));

  it('reads back as the same tree (round trip)', () => {
    fc.assert(
      fc.property(tree, (e) => {
        expect(parseExpression(formatExpr(e))).toEqual(e);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hostile input', () => {
  const pieces = ['(', ')', '-', '+', '*', '**', '/', '<', '==', ' ', 'a', 'not ', ' and ', '1', '.5', 'e', ',', 'f(', '%', '=', '1e'];
  const soup = (maxLength: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...pieces), { maxLength }).map((p) => p.join(''));

  it('returns a tree or throws EquationError, and a parsed tree round-trips', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 }), soup(40)), (text) => {
        let e: Expr;
        try {
          e = parseExpression(text);
        } catch (err) {
          expect(err).toBeInstanceOf(EquationError);
          expect((err as EquationError).column ?? 1).toBeGreaterThanOrEqual(1);
          return;
        }
        expect(parseExpression(formatExpr(e))).toEqual(e);
      }),
      { numRuns: 3000 },
    );
  });

  it('finishes quickly on 10 000-character inputs', () => {
    const inputs = [
      '('.repeat(10_000),
      '-'.repeat(9_999) + 'x',
      'a**'.repeat(3_333) + 'a',
      'not '.repeat(2_499) + 'x',
      Array(5_000).fill('a').join('+'),
      '1'.repeat(10_000),
      'a '.repeat(5_000),
      'f(' + 'a,'.repeat(4_998) + ')',
      '9'.repeat(400) + '.' + '9'.repeat(9_599),
    ];
    fc.sample(soup(10_000), 20).forEach((s) => inputs.push(s.slice(0, 10_000)));
    for (const text of inputs) {
      const started = performance.now();
      try {
        parseExpression(text);
      } catch (err) {
        expect(err).toBeInstanceOf(EquationError);
      }
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
