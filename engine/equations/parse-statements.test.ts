import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EquationError } from './ast.js';
import { formatExpr } from './parse-expression.js';
import { parseStatements } from './parse-statements.js';

function errorOf(f: () => unknown): EquationError {
  try {
    f();
  } catch (e) {
    if (e instanceof EquationError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('parseStatements', () => {
  it('reads statements separated by newlines and ";", with comments', () => {
    const s = parseStatements(
      'v = v_r; w += b  # adaptation\n\n# spike-timing\napre += Apre ; w = clip(w + apost, 0, wmax)\nx -= 1; y *= 2; z /= 3;',
    );
    expect(s.map((x) => [x.line, x.target, x.op, formatExpr(x.expr)])).toEqual([
      [1, 'v', '=', 'v_r'],
      [1, 'w', '+=', 'b'],
      [4, 'apre', '+=', 'Apre'],
      [4, 'w', '=', 'clip(w + apost, 0, wmax)'],
      [5, 'x', '-=', '1'],
      [5, 'y', '*=', '2'],
      [5, 'z', '/=', '3'],
    ]);
    expect(s[0].text).toBe('v = v_r; w += b  # adaptation');
    expect(parseStatements('')).toEqual([]);
    expect(parseStatements(' ; ;\n# nothing')).toEqual([]);
    expect(parseStatements('__proto__ = 1')[0].target).toBe('__proto__');
  });

  it('refuses what is not an assignment, with line, column and symbol', () => {
    expect(errorOf(() => parseStatements('v = 0\nv == 3'))).toMatchObject({
      line: 2,
      column: 1,
      symbol: 'v',
      message: expect.stringMatching(/compares with "=="/),
    });
    expect(errorOf(() => parseStatements('v = 0;  3 = v'))).toMatchObject({
      line: 1,
      column: 9,
      message: expect.stringMatching(/"3 = v" is not an assignment/),
    });
    expect(errorOf(() => parseStatements('v + 1'))).toMatchObject({ message: expect.stringMatching(/is not an assignment/) });
    expect(errorOf(() => parseStatements('v = 1; w = (2 +'))).toMatchObject({
      line: 1,
      column: 16,
      message: 'unexpected end of expression',
    });
    expect(errorOf(() => parseStatements('a = 1\nv = w $ 2'))).toMatchObject({ line: 2, text: 'v = w $ 2', column: 7 });
    expect(errorOf(() => parseStatements('v = '))).toMatchObject({ message: 'empty expression' });
    expect(errorOf(() => parseStatements('v = w = 0')).message).toMatch(/==/);
    expect(errorOf(() => parseStatements('v ** = 2')).message).toMatch(/not an assignment/);
  });

  it('bounds size, lines and statements', () => {
    expect(errorOf(() => parseStatements('v = 1\n'.repeat(4000))).message).toMatch(/too long/);
    expect(errorOf(() => parseStatements('\n'.repeat(600))).message).toMatch(/at most 500/);
    expect(errorOf(() => parseStatements('a=1;'.repeat(501))).message).toMatch(/more than 500 statements/);
    expect(parseStatements('a=1;'.repeat(500))).toHaveLength(500);
  });
});

describe('hostile input', () => {
  const pieces = ['v', ' = ', '+=', '==', ';', '\n', '#', '1', '(', ')', '*', ' ', 'clip(', ',', '-'];
  const soup = (maxLength: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...pieces), { maxLength }).map((p) => p.join(''));

  it('returns statements or throws EquationError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), soup(30)), (text) => {
        try {
          parseStatements(text);
        } catch (err) {
          expect(err).toBeInstanceOf(EquationError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finishes quickly on 10 000-character inputs', () => {
    const inputs = [
      'v = ' + '('.repeat(9_990),
      'v' + ' '.repeat(9_990) + '=',
      ';'.repeat(10_000),
      'v = 1;'.repeat(1_666),
      'v = ' + '-'.repeat(9_990) + '1',
    ];
    fc.sample(soup(3_000), 10).forEach((s) => inputs.push(s.slice(0, 10_000)));
    for (const text of inputs) {
      const started = performance.now();
      try {
        parseStatements(text);
      } catch (err) {
        expect(err).toBeInstanceOf(EquationError);
      }
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
