// The expression language (precedence, functions, errors with columns, no reachable globals) and
// the expression node built on it.
import { describe, it, expect } from 'vitest';
import { Ajv } from 'ajv';
import type { ComputeInstance, ExtensionContext } from '../api.js';
import { expression, parseExpression, evaluate, ExpressionError, type ExpressionOptions } from './expression.js';

function ctxOf(): ExtensionContext & { logs: string[] } {
  const logs: string[] = [];
  return { name: 'node1', dir: '.', logs, log: (l: string) => logs.push(l) };
}

/** A node from options as the runtime gives them: validated by ajv with defaults filled in. */
function make(options: Record<string, unknown>, ctx = ctxOf()): ComputeInstance {
  const v = new Ajv({ strict: true, useDefaults: true, allErrors: true }).compile<ExpressionOptions>(expression.options);
  const o = structuredClone(options);
  if (!v(o)) throw new Error(`expression: ${JSON.stringify(v.errors)}`);
  return expression.create(o, ctx);
}

const ev = (src: string, vars: Record<string, number> = {}) => evaluate(parseExpression(src, Object.keys(vars)).root, Object.values(vars));
const parseError = (src: string, vars: string[] = ['a']): ExpressionError => {
  try {
    parseExpression(src, vars);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error(`${src} parsed`);
};

describe('expression', () => {
  it('follows the usual precedence and associativity', () => {
    const cases: [string, number][] = [
      ['1 + 2 * 3', 7],
      ['(1 + 2) * 3', 9],
      ['10 - 4 - 3', 3],
      ['12 / 3 / 2', 2],
      ['7 % 3 + 1', 2],
      ['2 ^ 3 ^ 2', 512],
      ['2 ** 3', 8],
      ['-2 ^ 2', -4],
      ['2 ^ -1', 0.5],
      ['--3', 3],
      ['-(1 - 4) * 2', 6],
      ['1e3 + .5 + 2.5E-1', 1000.75],
      ['1 + 2 < 4', 1],
      ['2 <= 1', 0],
      ['1 + 1 == 2', 1],
      ['3 != 3', 0],
      ['1 < 2 == 1', 1],
      ['1 < 2 && 2 < 1', 0],
      ['0 || 2', 1],
      ['!0 + !5', 1],
      ['0 ? 1 : 0 ? 2 : 3', 3],
      ['1 ? 0 ? 4 : 5 : 6', 5],
      ['1 + (2 > 1 ? 10 : 20) * 2', 21],
    ];
    for (const [src, want] of cases) expect(ev(src), src).toBe(want);
    expect(ev('a > 0 ? 1 : a < 0 ? -1 : 0', { a: -3 })).toBe(-1);
    expect(ev('a > 0 ? 1 : a < 0 ? -1 : 0', { a: 0 })).toBe(0);
  });

  it('has the documented functions and constants', () => {
    const cases: [string, number][] = [
      ['abs(-2)', 2],
      ['min(3, 1, 2)', 1],
      ['max(3, 1, 2)', 3],
      ['min(4)', 4],
      ['clamp(5, -1, 1)', 1],
      ['clamp(-5, -1, 1)', -1],
      ['clamp(0.5, -1, 1)', 0.5],
      ['sqrt(9)', 3],
      ['exp(0)', 1],
      ['log(e)', 1],
      ['sin(pi / 2)', 1],
      ['cos(0)', 1],
      ['tan(0)', 0],
      ['atan2(1, 1) * 4', Math.PI],
      ['floor(-1.5)', -2],
      ['ceil(1.2)', 2],
      ['round(2.5)', 3],
      ['sign(-4)', -1],
      ['pi', Math.PI],
      ['e', Math.E],
      ['max(abs(-7), sqrt(16)) + min(1, 2)', 8],
    ];
    for (const [src, want] of cases) expect(ev(src), src).toBeCloseTo(want, 12);
  });

  it('runs as a node over its declared input ports, output y', () => {
    const n = make({ inputs: ['a', 'b'], expression: 'clamp(a - 0.5*b, -1, 1)' });
    expect(n.step({ a: 1, b: 1 }, 1)).toEqual({ y: 0.5 });
    expect(n.step({ a: 3, b: 0 }, 1)).toEqual({ y: 1 });
    expect(n.step({ a: [0.25], b: -0.5 }, 1)).toEqual({ y: 0.5 }); // a one-element vector is a scalar
    // Until every input it reads has a value, the output holds.
    const m = make({ inputs: ['a', 'b'], expression: 'a * 2' });
    expect(m.step({ b: 1 }, 1)).toEqual({});
    expect(m.step({ a: 2 }, 1)).toEqual({ y: 4 }); // b is declared but unused: not needed
    // The default port is x.
    expect(make({ expression: 'x ^ 2' }).step({ x: 3 }, 1)).toEqual({ y: 9 });
  });

  it('holds (and logs once) when the result is not finite', () => {
    const ctx = ctxOf();
    const n = make({ inputs: ['a'], expression: '1 / a' }, ctx);
    expect(n.step({ a: 4 }, 1)).toEqual({ y: 0.25 });
    expect(n.step({ a: 0 }, 1)).toEqual({});
    expect(n.step({ a: 0 }, 1)).toEqual({});
    expect(ctx.logs).toHaveLength(1);
    expect(ctx.logs[0]).toMatch(/Infinity/);
    expect(n.step({ a: 2 }, 1)).toEqual({ y: 0.5 });
  });

  it('reports parse errors with the column and what was expected', () => {
    const cases: [string, number, RegExp][] = [
      ['1 +', 4, /expected a number, an input name, a function call or "\(", found the end of the expression/],
      ['clamp(a, 1', 11, /expected "," or "\)" after argument 2 of clamp\(, found the end/],
      ['(1 + 2', 7, /expected "\)" to close the "\(" at column 1/],
      ['1 2', 3, /expected an operator or the end of the expression, found "2"/],
      ['a = 1', 3, /unexpected character "=" \(compare with ==\)/],
      ['a ? 1', 6, /expected ":"/],
      ['foo(1)', 1, /unknown function "foo"/],
      ['1 + clamp(1, 2)', 10, /clamp\(\) takes 3 arguments, got 2/],
      ['sin + 1', 5, /expected "\(" after the function name sin/],
      ['   ', 4, /expected an expression, found nothing/],
      ['2 * * 3', 5, /expected a number/],
      ['a.b', 2, /unexpected character "\." \(there is no property access\)/],
      ['a["x"]', 2, /unexpected character "\["/],
      ['b + 1', 1, /unknown name "b"; the inputs are a/],
    ];
    for (const [src, col, re] of cases) {
      const e = parseError(src);
      expect(e.column, src).toBe(col);
      expect(e.problem, src).toMatch(re);
      expect(e.message, src).toContain(`at column ${col}`);
    }
    // Through create: an OptionError naming the node type and the option.
    expect(() => make({ inputs: ['a'], expression: 'a +' })).toThrow(/^expression: option "expression" at column 4: expected/);
  });

  it('reaches no JavaScript names: constructor, process, this, __proto__ and the like are unknown', () => {
    for (const name of [
      'constructor',
      'process',
      'this',
      '__proto__',
      'prototype',
      'globalThis',
      'eval',
      'Function',
      'require',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'Math',
      'window',
      'import',
    ]) {
      const e = parseError(`${name} + 1`);
      expect(e.column).toBe(1);
      expect(e.problem, name).toMatch(new RegExp(`unknown name "${name}"`));
      expect(parseError(`${name}(1)`).problem).toMatch(/unknown function/);
    }
    expect(parseError('a.constructor').problem).toMatch(/unexpected character "\."/);
    expect(parseError('(a).constructor("return process")()').column).toBe(4);
    // Such a name cannot even be declared as an input (issue 16, D11: no prototype names anywhere).
    expect(() => ev('constructor * 2', { constructor: 21 })).toThrow(/"constructor" is not allowed as an input name/);
  });

  it('checks its input names and bounds nesting, and a bad live edit keeps the running expression', () => {
    expect(() => make({ inputs: ['sin'], expression: 'sin' })).toThrow(/option "inputs\[0\]" "sin" is a function or constant name/);
    expect(() => make({ inputs: ['a', 'pi'], expression: 'a' })).toThrow(/inputs\[1\]/);
    const deep = '('.repeat(5000) + '1' + ')'.repeat(5000);
    expect(parseError(deep).problem).toMatch(/nesting deeper than 256 levels/);
    expect(parseError('-'.repeat(5000) + '1').problem).toMatch(/nesting deeper/);
    expect(parseError('2' + '^2'.repeat(5000)).problem).toMatch(/nesting deeper/);
    expect(ev('('.repeat(100) + '1' + ')'.repeat(100))).toBe(1);
    const n = make({ inputs: ['a'], expression: 'a + 1' });
    expect(() => n.reconfigure!({ inputs: ['a'], expression: 'a +' })).toThrow(/column 4/);
    expect(n.step({ a: 1 }, 1)).toEqual({ y: 2 });
    n.reconfigure!({ inputs: ['a', 'b'], expression: 'a * b' });
    expect(n.step({ a: 3, b: 4 }, 1)).toEqual({ y: 12 });
  });
});
