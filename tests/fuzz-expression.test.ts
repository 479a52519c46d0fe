// Property-based fuzzing of the expression language (extensions/builtin/expression.ts): random source
// strings, random trees printed and parsed back, hostile names and deep nesting. Properties: a source is
// refused with an ExpressionError (or OptionError) or evaluates to a number, never another exception;
// no input takes over 1 s; nothing reaches a prototype; the node never emits a non-finite output.
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { expression, parseExpression, evaluate, ExpressionError, FUNCTIONS, type Node } from '../extensions/builtin/expression.js';
import { OptionError } from '../extensions/builtin/util.js';
import type { ComputeInstance, ExtensionContext, PortValue } from '../extensions/api.js';
import { runs, judge, flushTallies, tally, countNonFinite, HANG_MS } from './fuzz.js';

afterAll(() => flushTallies('expression'));

const isRefusal = (e: unknown) => e instanceof ExpressionError || e instanceof OptionError;
const clean = () => (({}) as Record<string, unknown>).polluted === undefined && !Object.hasOwn(Object.prototype, 'polluted');
const ctx = (): ExtensionContext => ({ name: 'expr', dir: '.', log: () => undefined });
const node = (o: { expression: string; inputs?: string[] }): ComputeInstance =>
  (expression.create as (o: unknown, c: ExtensionContext) => ComputeInstance)({ inputs: ['x'], ...o }, ctx());

describe('expression language: regressions (issue 16, D11 and deep nesting)', () => {
  it('prototype names are refused as input names, in the node and in parseExpression', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      expect(() => node({ expression: name, inputs: [name] }), name).toThrow(/not allowed as an input name/);
      expect(() => parseExpression(name, [name]), name).toThrow(ExpressionError);
    }
    // As free names they were and stay unknown names.
    expect(() => parseExpression('constructor', ['x'])).toThrow(/unknown name "constructor"/);
    expect(() => parseExpression('x.constructor', ['x'])).toThrow(/there is no property access/);
    expect(clean()).toBe(true);
  });

  it('a long chain of operators is refused at once, not evaluated into a stack overflow', () => {
    for (const src of [
      '1+'.repeat(200_000) + '1',
      '-'.repeat(200_000) + '1',
      '2^'.repeat(100_000) + '2',
      '('.repeat(100_000) + '1' + ')'.repeat(100_000),
      'max(' + '1,'.repeat(200_000) + '1)',
    ]) {
      const r = judge('expression: long chains', () => evaluate(parseExpression(src, ['x']).root, [0]), isRefusal);
      expect(r.ok, src.slice(0, 12)).toBe(false);
      expect(!r.ok && r.refused, String(!r.ok && r.error)).toBe(true);
      expect(r.ms).toBeLessThan(HANG_MS);
    }
    // Long but shallow enough: still fine.
    expect(evaluate(parseExpression('1+'.repeat(500) + '1', []).root, [])).toBe(501);
  });
});

// ---------------------------------------------------------------------------------------------------
// Random trees, printed with full parentheses: parsing the print gives a tree that evaluates the same.

const VARS = ['a', 'b', 'c'];
const BIN = ['+', '-', '*', '/', '%', '^', '<', '<=', '>', '>=', '==', '!='] as const;
const FN_NAMES = [...FUNCTIONS.keys()];

const treeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 100 })).map((v): Node => ({ k: 'num', v })),
    fc.integer({ min: 0, max: VARS.length - 1 }).map((i): Node => ({ k: 'var', i, name: VARS[i] })),
    fc.record({ k: fc.constantFrom('neg' as const, 'not' as const), a: tie('node') }),
    fc.record({ k: fc.constant('bin' as const), op: fc.constantFrom(...BIN), a: tie('node'), b: tie('node') }),
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), a: tie('node'), b: tie('node') }),
    fc.record({ k: fc.constant('cond' as const), c: tie('node'), a: tie('node'), b: tie('node') }),
    fc.constantFrom(...FN_NAMES).chain((name) => {
      const f = FUNCTIONS.get(name)!;
      const n = Math.min(f.max, Math.max(f.min, 2));
      return fc.array(tie('node'), { minLength: f.min, maxLength: Math.max(f.min, n) }).map((args): Node => ({ k: 'call', f, name, args }));
    }),
  ),
})).node;

function print(n: Node): string {
  switch (n.k) {
    case 'num':
      // Exponent form keeps every double exact (the tokenizer reads 1.5e-7 and 1e+21).
      return String(n.v).replace('e+', 'e');
    case 'var':
      return n.name;
    case 'neg':
      return `(-${print(n.a)})`;
    case 'not':
      return `(!${print(n.a)})`;
    case 'bin':
      return `(${print(n.a)} ${n.op} ${print(n.b)})`;
    case 'and':
      return `(${print(n.a)} && ${print(n.b)})`;
    case 'or':
      return `(${print(n.a)} || ${print(n.b)})`;
    case 'cond':
      return `(${print(n.c)} ? ${print(n.a)} : ${print(n.b)})`;
    case 'call':
      return `${n.name}(${n.args.map(print).join(', ')})`;
  }
}

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });

describe('expression language: fuzzing', () => {
  it('random trees: the printed tree parses and evaluates to the same value', () => {
    fc.assert(
      fc.property(treeArb, fc.tuple(finite, finite, finite), (tree, vars) => {
        const src = print(tree);
        const r = judge('expression: printed trees', () => evaluate(parseExpression(src, VARS).root, vars), isRefusal);
        // A random tree may nest past the parser's bound; that refusal is fine, anything else is not.
        if (!r.ok) {
          expect(r.refused, `${src}: ${String(r.error)}`).toBe(true);
          expect(String(r.error)).toMatch(/nesting deeper than|nested more than/);
          return;
        }
        expect(Object.is(r.value, evaluate(tree, vars)) || (Number.isNaN(r.value) && Number.isNaN(evaluate(tree, vars))), src).toBe(true);
        expect(r.ms).toBeLessThan(HANG_MS);
      }),
      { numRuns: runs(400) },
    );
    expect(tally('expression: printed trees').crashes).toBe(0);
  });

  const pieces = [
    'x',
    'y',
    '1',
    '0',
    '2.5e3',
    '1e400',
    '.',
    '(',
    ')',
    ',',
    '+',
    '-',
    '*',
    '/',
    '%',
    '^',
    '**',
    '!',
    '<',
    '<=',
    '==',
    '!=',
    '&&',
    '||',
    '?',
    ':',
    ' ',
    'min',
    'max',
    'clamp',
    'sqrt',
    'log',
    'pi',
    'e',
    '__proto__',
    'constructor',
    'prototype',
    'this',
    'process',
    '[',
    ']',
    '"',
    '=',
    '\u0000',
    'é',
  ];
  const source = fc.oneof(
    fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((a) => a.join('')),
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
  );

  it('random sources: refused with an ExpressionError or evaluated to a number; nothing polluted', () => {
    fc.assert(
      fc.property(source, finite, finite, (src, x, y) => {
        const r = judge('expression: random sources', () => evaluate(parseExpression(src, ['x', 'y']).root, [x, y]), isRefusal);
        if (!r.ok) expect(r.refused, `${JSON.stringify(src)}: ${String(r.error)}`).toBe(true);
        else expect(typeof r.value).toBe('number');
        if (!r.ok && r.error instanceof ExpressionError) {
          // The column points into the source (1-based, the end counts).
          expect(r.error.column).toBeGreaterThanOrEqual(1);
          expect(r.error.column).toBeLessThanOrEqual(src.length + 1);
        }
        expect(r.ms).toBeLessThan(HANG_MS);
        expect(clean()).toBe(true);
      }),
      { numRuns: runs(1500) },
    );
    expect(tally('expression: random sources').crashes).toBe(0);
  });

  it('random input names: refused when not identifiers or prototype names, never polluting', () => {
    const name = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'pi', 'min', 'x'),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 4 }), fc.double(), (names, v) => {
        const src = names.length ? names.join(' + ') : '1';
        const r = judge('expression: input names', () => node({ expression: src, inputs: names }), isRefusal);
        if (!r.ok) {
          expect(r.refused, `${JSON.stringify(names)}: ${String(r.error)}`).toBe(true);
          return;
        }
        // Accepted: every name is an own port; the step reads only own input values.
        const out = r.value.step(Object.fromEntries(names.map((n) => [n, v])) as Record<string, PortValue>, 1);
        const y = (out as { y?: number }).y;
        if (y !== undefined && !Number.isFinite(y)) countNonFinite('expression: input names');
        expect(y === undefined || Number.isFinite(y)).toBe(true);
        expect(clean()).toBe(true);
      }),
      { numRuns: runs(500) },
    );
    expect(tally('expression: input names').crashes).toBe(0);
  });

  it('the node never emits a non-finite output, whatever its inputs', () => {
    const inputs = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, 5e-324));
    fc.assert(
      fc.property(treeArb, fc.array(fc.tuple(inputs, inputs, inputs), { minLength: 1, maxLength: 5 }), (tree, steps) => {
        const src = print(tree);
        const made = judge('expression: node outputs', () => node({ expression: src, inputs: VARS }), isRefusal);
        if (!made.ok) {
          expect(made.refused).toBe(true);
          return;
        }
        for (const [a, b, c] of steps) {
          const y = (made.value.step({ a, b, c }, 1) as { y?: number }).y;
          if (y !== undefined && !Number.isFinite(y)) countNonFinite('expression: node outputs');
          expect(y === undefined || Number.isFinite(y), `${src} at ${a}, ${b}, ${c}`).toBe(true);
        }
      }),
      { numRuns: runs(300) },
    );
    expect(tally('expression: node outputs').nonFinite).toBe(0);
  });
});
