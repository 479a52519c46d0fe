// Numeric evaluation of an expression once, outside generated code: initial values, refractory times,
// the coefficient matrix of an exactly integrated system. Same function semantics as the generated code.
import type { Expr } from './ast.js';
import { FUNCTIONS } from './check-units.js';

/** The value of `e`, with `lookup` giving each symbol's value (a unit's internal size, a parameter's value). */
export function evaluate(e: Expr, lookup: (name: string) => number): number {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'sym':
      return lookup(e.name);
    case 'unary': {
      const a = evaluate(e.arg, lookup);
      return e.op === '-' ? -a : e.op === '+' ? a : a ? 0 : 1;
    }
    case 'binary': {
      const l = evaluate(e.left, lookup);
      const r = evaluate(e.right, lookup);
      switch (e.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return l / r;
        case '**':
          return Math.pow(l, r);
        case '<':
          return +(l < r);
        case '<=':
          return +(l <= r);
        case '>':
          return +(l > r);
        case '>=':
          return +(l >= r);
        case '==':
          return +(l === r);
        case '!=':
          return +(l !== r);
        case 'and':
          return +(l !== 0 && r !== 0);
        case 'or':
          return +(l !== 0 || r !== 0);
      }
      break;
    }
    case 'call': {
      const f = Object.hasOwn(FUNCTIONS, e.fn) ? FUNCTIONS[e.fn].evaluate : undefined;
      if (!f) throw new Error(`${e.fn}() has no value outside the simulation loop`);
      return f(...e.args.map((a) => evaluate(a, lookup)));
    }
  }
  throw new Error('unreachable');
}
