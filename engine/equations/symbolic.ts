// The little computer algebra the integrators need: substitution, simplification and differentiation
// of expression trees. Brian2 uses sympy for this; Flux needs only enough to split a right-hand side
// into A*x + B (exponential Euler), to find the coefficient matrix of a linear system (exact), and to
// keep generated code free of `0*x` and `x*1` noise. Written here rather than taken from a CAS library
// because the tree is tiny and the rules must be exact (no reordering that changes float rounding of
// what the user wrote, beyond removing terms that are exactly zero or one).
import type { Expr } from './ast.js';

export const num = (value: number): Expr => ({ kind: 'num', value });
export const sym = (name: string): Expr => ({ kind: 'sym', name });
export const bin = (op: '+' | '-' | '*' | '/' | '**', left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const neg = (arg: Expr): Expr => ({ kind: 'unary', op: '-', arg });
export const call = (fn: string, ...args: Expr[]): Expr => ({ kind: 'call', fn, args });

const isNum = (e: Expr, v?: number): e is { kind: 'num'; value: number } => e.kind === 'num' && (v === undefined || e.value === v);

/** Every symbol the expression reads. */
export function symbolsOf(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'sym':
      out.add(e.name);
      break;
    case 'unary':
      symbolsOf(e.arg, out);
      break;
    case 'binary':
      symbolsOf(e.left, out);
      symbolsOf(e.right, out);
      break;
    case 'call':
      for (const a of e.args) symbolsOf(a, out);
      break;
  }
  return out;
}

/**
 * Whether evaluating the expression draws random numbers (rand, randn): it must then be evaluated
 * exactly as often, and in the same order, as written.
 */
export function draws(e: Expr): boolean {
  switch (e.kind) {
    case 'num':
    case 'sym':
      return false;
    case 'unary':
      return draws(e.arg);
    case 'binary':
      return draws(e.left) || draws(e.right);
    case 'call':
      return e.fn === 'rand' || e.fn === 'randn' || e.args.some(draws);
  }
}

export function dependsOn(e: Expr, names: ReadonlySet<string> | string): boolean {
  const set = typeof names === 'string' ? new Set([names]) : names;
  for (const s of symbolsOf(e)) if (set.has(s)) return true;
  return false;
}

/** Replaces symbols by expressions (one pass: replacements are not substituted again). */
export function substitute(e: Expr, map: ReadonlyMap<string, Expr>): Expr {
  switch (e.kind) {
    case 'num':
      return e;
    case 'sym':
      return map.get(e.name) ?? e;
    case 'unary':
      return { ...e, arg: substitute(e.arg, map) };
    case 'binary':
      return { ...e, left: substitute(e.left, map), right: substitute(e.right, map) };
    case 'call':
      return { ...e, args: e.args.map((a) => substitute(a, map)) };
  }
}

/**
 * Removes exact zeros and ones and folds arithmetic on two literals. Nothing else is reordered, so
 * the simplified tree computes what the user wrote with the same rounding.
 */
export function simplify(e: Expr): Expr {
  switch (e.kind) {
    case 'num':
    case 'sym':
      return e;
    case 'call':
      return { ...e, args: e.args.map(simplify) };
    case 'unary': {
      const a = simplify(e.arg);
      if (e.op === '+') return a;
      if (e.op === '-') {
        if (isNum(a)) return num(-a.value);
        if (a.kind === 'unary' && a.op === '-') return a.arg;
      }
      return { ...e, arg: a };
    }
    case 'binary':
      return simplifyBinary(e.op, simplify(e.left), simplify(e.right));
  }
}

function simplifyBinary(op: Extract<Expr, { kind: 'binary' }>['op'], l: Expr, r: Expr): Expr {
  if (isNum(l) && isNum(r)) {
    const v = foldNumbers(op, l.value, r.value);
    if (v !== null) return num(v);
  }
  switch (op) {
    case '+':
      if (isNum(l, 0)) return r;
      if (isNum(r, 0)) return l;
      if (r.kind === 'unary' && r.op === '-') return simplifyBinary('-', l, r.arg);
      break;
    case '-':
      if (isNum(r, 0)) return l;
      if (isNum(l, 0)) return simplify(neg(r));
      break;
    case '*':
      if (isNum(l, 0) || isNum(r, 0)) return num(0);
      if (isNum(l, 1)) return r;
      if (isNum(r, 1)) return l;
      if (isNum(l, -1)) return simplify(neg(r));
      if (isNum(r, -1)) return simplify(neg(l));
      break;
    case '/':
      if (isNum(l, 0)) return num(0);
      if (isNum(r, 1)) return l;
      break;
    case '**':
      if (isNum(r, 1)) return l;
      if (isNum(r, 0)) return num(1);
      break;
  }
  return { kind: 'binary', op, left: l, right: r };
}

function foldNumbers(op: string, a: number, b: number): number | null {
  const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : op === '**' ? Math.pow(a, b) : Number.NaN;
  return Number.isFinite(v) ? v : null;
}

/**
 * d e / d x, simplified; null when e depends on x through something without a derivative rule here
 * (a comparison, `abs`, `clip`, a function of x in an exponent). For the integrators a null means
 * "not linear in x", which is what such an expression is.
 */
export function derivative(e: Expr, x: string): Expr | null {
  if (!dependsOn(e, x)) return num(0);
  switch (e.kind) {
    case 'num':
      return num(0);
    case 'sym':
      return num(e.name === x ? 1 : 0);
    case 'unary': {
      if (e.op === 'not') return null;
      const d = derivative(e.arg, x);
      return d && simplify(e.op === '-' ? neg(d) : d);
    }
    case 'binary':
      return binaryDerivative(e.op, e.left, e.right, x);
    case 'call':
      return callDerivative(e.fn, e.args, x);
  }
}

function binaryDerivative(op: string, l: Expr, r: Expr, x: string): Expr | null {
  const dl = derivative(l, x);
  const dr = derivative(r, x);
  if (!dl || !dr) return null;
  switch (op) {
    case '+':
    case '-':
      return simplify(bin(op, dl, dr));
    case '*':
      return simplify(bin('+', bin('*', dl, r), bin('*', l, dr)));
    case '/':
      if (isNum(dr, 0)) return simplify(bin('/', dl, r));
      return simplify(bin('/', bin('-', bin('*', dl, r), bin('*', l, dr)), bin('**', r, num(2))));
    case '**':
      if (!isNum(dr, 0)) return null;
      return simplify(bin('*', bin('*', r, bin('**', l, simplify(bin('-', r, num(1))))), dl));
    default:
      return null;
  }
}

function callDerivative(fn: string, args: Expr[], x: string): Expr | null {
  if (args.length !== 1) return null;
  const u = args[0];
  const du = derivative(u, x);
  if (!du) return null;
  const outer: Record<string, () => Expr> = {
    exp: () => call('exp', u),
    log: () => bin('/', num(1), u),
    sqrt: () => bin('/', num(0.5), call('sqrt', u)),
    sin: () => call('cos', u),
    cos: () => neg(call('sin', u)),
    sinh: () => call('cosh', u),
    cosh: () => call('sinh', u),
    tanh: () => bin('-', num(1), bin('**', call('tanh', u), num(2))),
  };
  if (!Object.hasOwn(outer, fn)) return null;
  return simplify(bin('*', outer[fn](), du));
}

/** Structural equality of two trees. */
export function sameExpr(a: Expr, b: Expr): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'num':
      return Object.is(a.value, (b as typeof a).value);
    case 'sym':
      return a.name === (b as typeof a).name;
    case 'unary':
      return a.op === (b as typeof a).op && sameExpr(a.arg, (b as typeof a).arg);
    case 'binary': {
      const o = b as typeof a;
      return a.op === o.op && sameExpr(a.left, o.left) && sameExpr(a.right, o.right);
    }
    case 'call': {
      const o = b as typeof a;
      return a.fn === o.fn && a.args.length === o.args.length && a.args.every((x, i) => sameExpr(x, o.args[i]));
    }
  }
}

/**
 * Splits f into a*x + b where a is free of x and b holds every term that is not a constant times x
 * (b may still depend on x, non-linearly). Brian2's exponential Euler reads equations this way
 * (sympy's collect on x): the linear part is integrated exactly, the rest is held at its start-of-step
 * value. Products and quotients by factors free of x are distributed; anything else stays in b.
 */
export function linearPart(f: Expr, x: string): { a: Expr; b: Expr } {
  const zero = num(0);
  if (!dependsOn(f, x)) return { a: zero, b: f };
  switch (f.kind) {
    case 'sym':
      return { a: num(1), b: zero };
    case 'unary': {
      if (f.op === 'not') break;
      const { a, b } = linearPart(f.arg, x);
      return f.op === '-' ? { a: simplify(neg(a)), b: simplify(neg(b)) } : { a, b };
    }
    case 'binary': {
      const { op, left, right } = f;
      if (op === '+' || op === '-') {
        const l = linearPart(left, x);
        const r = linearPart(right, x);
        return { a: simplify(bin(op, l.a, r.a)), b: simplify(bin(op, l.b, r.b)) };
      }
      if (op === '*' && !dependsOn(left, x)) {
        const r = linearPart(right, x);
        return { a: simplify(bin('*', left, r.a)), b: simplify(bin('*', left, r.b)) };
      }
      if ((op === '*' || op === '/') && !dependsOn(right, x)) {
        const l = linearPart(left, x);
        return { a: simplify(bin(op, l.a, right)), b: simplify(bin(op, l.b, right)) };
      }
      break;
    }
  }
  return { a: zero, b: f };
}
