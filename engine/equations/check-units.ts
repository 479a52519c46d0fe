// Dimension checking of expressions, as Brian2 does it: + - and comparisons need equal dimensions,
// * / combine them, functions have rules (exp wants a dimensionless argument, sqrt halves), and a
// dimensioned base may only be raised to a constant power. Also the compile-time value of an
// expression made of numbers, units and constants, and the dimension of an equation's declared unit.
import { EquationError, type BinaryOp, type Expr, type SourceLine } from './ast.js';
import { DIMENSIONLESS, UNITS, dimDiv, dimEqual, dimMul, dimPow, formatDim, isDimensionless, toInternal, type Dim } from './dimension.js';
import { formatExpr } from './parse-expression.js';

export interface SymbolInfo {
  dim: Dim;
  kind: 'state' | 'parameter' | 'subexpression' | 'engine' | 'constant' | 'unit';
  /** Known at compile time (internal units): constants and units. */
  value?: number;
}

/** What a name means in a model; undefined for names the model does not define (units and constants are found after). */
export type SymbolTable = (name: string) => SymbolInfo | undefined;

export interface FunctionInfo {
  readonly arity: number;
  /** The result's dimension from the arguments'; a string says what is wrong (the checker adds the function's name). */
  readonly dim: (args: readonly Dim[]) => Dim | string;
  /** The value for constant arguments; absent where the result is never constant (random numbers). */
  readonly evaluate?: (...args: number[]) => number;
}

const dimensionless = (args: readonly Dim[]): Dim | string =>
  args.every(isDimensionless) ? DIMENSIONLESS : `a dimensionless argument, not ${formatDim(args.find((d) => !isDimensionless(d))!)}`;
const same = (args: readonly Dim[]): Dim => args[0];

function table<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  // Null prototype: looked up by user text, so "constructor" must not find Object.prototype's.
  return Object.freeze(Object.assign(Object.create(null), entries));
}

const unary = (evaluate: (x: number) => number): FunctionInfo => ({ arity: 1, dim: dimensionless, evaluate });

/** Brian2's default functions that Flux supports: the checker's and the code generators' one list. */
export const FUNCTIONS: Readonly<Record<string, FunctionInfo>> = table<FunctionInfo>({
  exp: unary(Math.exp),
  log: unary(Math.log),
  log10: unary(Math.log10),
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  sinh: unary(Math.sinh),
  cosh: unary(Math.cosh),
  tanh: unary(Math.tanh),
  arcsin: unary(Math.asin),
  arccos: unary(Math.acos),
  arctan: unary(Math.atan),
  // (exp(x) - 1)/x without the cancellation near 0, where it is 1 (Brian2's definition).
  exprel: unary((x) => (x === 0 ? 1 : Math.expm1(x) / x)),
  sqrt: { arity: 1, dim: ([d]) => dimPow(d, 0.5), evaluate: Math.sqrt },
  abs: { arity: 1, dim: same, evaluate: Math.abs },
  floor: { arity: 1, dim: same, evaluate: Math.floor },
  ceil: { arity: 1, dim: same, evaluate: Math.ceil },
  sign: { arity: 1, dim: () => DIMENSIONLESS, evaluate: Math.sign },
  clip: {
    arity: 3,
    dim: (args) =>
      dimEqual(args[0], args[1]) && dimEqual(args[0], args[2])
        ? args[0]
        : `three arguments in the same units, not ${args.map(formatDim).join(', ')}`,
    evaluate: (x, lo, hi) => Math.min(Math.max(x, lo), hi),
  },
  int: { arity: 1, dim: dimensionless, evaluate: Math.trunc },
  rand: { arity: 0, dim: () => DIMENSIONLESS },
  randn: { arity: 0, dim: () => DIMENSIONLESS },
});

/** Brian2's constants (True and False are 1 and 0, as in Python arithmetic). */
export const CONSTANTS: Readonly<Record<string, number>> = table({ pi: Math.PI, e: Math.E, inf: Infinity, True: 1, False: 0 });

/** What a name means: the model's symbol table first, then Brian2's units, then its constants. */
export function resolveSymbol(name: string, symbols: SymbolTable): SymbolInfo | undefined {
  const own = symbols(name);
  if (own) return own;
  if (Object.hasOwn(UNITS, name)) {
    const u = UNITS[name];
    return { dim: u.dim, kind: 'unit', value: toInternal(u.si, u.dim) };
  }
  if (Object.hasOwn(CONSTANTS, name)) return { dim: DIMENSIONLESS, kind: 'constant', value: CONSTANTS[name] };
  return undefined;
}

/** The leftmost symbol of an expression (the one an error names). */
export function firstSymbol(e: Expr): string | undefined {
  if (e.kind === 'sym') return e.name;
  if (e.kind === 'unary') return firstSymbol(e.arg);
  if (e.kind === 'binary') return firstSymbol(e.left) ?? firstSymbol(e.right);
  if (e.kind === 'call')
    for (const a of e.args) {
      const s = firstSymbol(a);
      if (s !== undefined) return s;
    }
  return undefined;
}

/** An expression quoted in a message, shortened when long. */
function quote(e: Expr): string {
  const text = formatExpr(e);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

function mismatch(op: string, l: Dim, r: Dim): string {
  if (op === '+') return `cannot add ${formatDim(l)} and ${formatDim(r)}`;
  if (op === '-') return `cannot subtract ${formatDim(r)} from ${formatDim(l)}`;
  return `cannot compare ${formatDim(l)} and ${formatDim(r)}`;
}

/** The dimension of an expression; throws EquationError (at `where`) when its units do not agree. */
export function dimensionOf(e: Expr, symbols: SymbolTable, where: SourceLine): Dim {
  const fail = (message: string, symbol?: string): never => {
    throw new EquationError(message, where.line, where.text, symbol);
  };
  switch (e.kind) {
    case 'num':
      return DIMENSIONLESS;
    case 'sym': {
      const info = resolveSymbol(e.name, symbols);
      if (info) return info.dim;
      if (Object.hasOwn(FUNCTIONS, e.name)) return fail(`"${e.name}" is a function: call it, e.g. ${e.name}(x)`, e.name);
      return fail(`unknown symbol "${e.name}"`, e.name);
    }
    case 'unary': {
      const d = dimensionOf(e.arg, symbols, where);
      if (e.op === 'not' && !isDimensionless(d))
        fail(`"not" needs a dimensionless (boolean) operand, not ${formatDim(d)}, in ${quote(e)}`, firstSymbol(e.arg));
      return d;
    }
    case 'binary':
      return binaryDim(e, symbols, where, fail);
    case 'call':
      return callDim(e, symbols, where, fail);
  }
}

type Fail = (message: string, symbol?: string) => never;

function binaryDim(e: Expr & { kind: 'binary' }, symbols: SymbolTable, where: SourceLine, fail: Fail): Dim {
  const l = dimensionOf(e.left, symbols, where);
  const r = dimensionOf(e.right, symbols, where);
  switch (e.op) {
    case '*':
      return dimMul(l, r);
    case '/':
      return dimDiv(l, r);
    case '**': {
      if (!isDimensionless(r)) return fail(`an exponent must be dimensionless, not ${formatDim(r)}, in ${quote(e)}`, firstSymbol(e.right));
      if (isDimensionless(l)) return DIMENSIONLESS;
      const k = constantValue(e.right, symbols);
      if (k === null || !Number.isFinite(k))
        return fail(
          `a quantity in ${formatDim(l)} can only be raised to a constant power, in ${quote(e)}`,
          firstSymbol(e.right) ?? firstSymbol(e.left),
        );
      return dimPow(l, k);
    }
    case 'and':
    case 'or': {
      if (isDimensionless(l) && isDimensionless(r)) return DIMENSIONLESS;
      const bad = isDimensionless(l) ? e.right : e.left;
      return fail(
        `"${e.op}" needs dimensionless (boolean) operands, not ${formatDim(l)} and ${formatDim(r)}, in ${quote(e)}`,
        firstSymbol(bad),
      );
    }
    default:
      if (!dimEqual(l, r)) fail(`${mismatch(e.op, l, r)} in ${quote(e)}`, firstSymbol(e.right) ?? firstSymbol(e.left));
      return e.op === '+' || e.op === '-' ? l : DIMENSIONLESS;
  }
}

function callDim(e: Expr & { kind: 'call' }, symbols: SymbolTable, where: SourceLine, fail: Fail): Dim {
  if (!Object.hasOwn(FUNCTIONS, e.fn)) return fail(`unknown function "${e.fn}"`, e.fn);
  const f = FUNCTIONS[e.fn];
  if (e.args.length !== f.arity) {
    const want = f.arity === 0 ? 'no arguments' : f.arity === 1 ? '1 argument' : `${f.arity} arguments`;
    return fail(`${e.fn} takes ${want}, not ${e.args.length}, in ${quote(e)}`, e.fn);
  }
  const dims = e.args.map((a) => dimensionOf(a, symbols, where));
  const d = f.dim(dims);
  if (typeof d === 'string') return fail(`${e.fn} needs ${d}, in ${quote(e)}`, e.fn);
  return d;
}

/**
 * The value (internal units) of an expression made of numbers, units, constants and functions of them,
 * or null when it depends on anything else. IEEE results stand (1/0 is Infinity); callers check finiteness.
 */
export function constantValue(e: Expr, symbols: SymbolTable): number | null {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'sym': {
      const info = resolveSymbol(e.name, symbols);
      return info && (info.kind === 'constant' || info.kind === 'unit') && info.value !== undefined ? info.value : null;
    }
    case 'unary': {
      const a = constantValue(e.arg, symbols);
      if (a === null) return null;
      return e.op === '-' ? -a : e.op === '+' ? a : a === 0 ? 1 : 0;
    }
    case 'binary': {
      const l = constantValue(e.left, symbols);
      const r = constantValue(e.right, symbols);
      return l === null || r === null ? null : applyBinary(e.op, l, r);
    }
    case 'call': {
      const f = Object.hasOwn(FUNCTIONS, e.fn) ? FUNCTIONS[e.fn] : undefined;
      if (!f?.evaluate || f.arity !== e.args.length) return null;
      const args = e.args.map((a) => constantValue(a, symbols));
      return args.every((a) => a !== null) ? f.evaluate(...args) : null;
    }
  }
}

function applyBinary(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '**':
      return l ** r;
    case '<':
      return l < r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    // Python's: the deciding operand itself.
    case 'and':
      return l === 0 ? l : r;
    case 'or':
      return l !== 0 ? l : r;
  }
}

/**
 * The dimension of an equation's declared unit: `1`, `boolean` and `integer` are dimensionless;
 * otherwise a product/quotient of Brian2's unit names, raised to constant numeric powers.
 */
export function unitDim(unitExpr: Expr, where: SourceLine): Dim {
  if (unitExpr.kind === 'sym' && (unitExpr.name === 'boolean' || unitExpr.name === 'integer')) return DIMENSIONLESS;
  return unitPart(unitExpr, unitExpr, where);
}

function unitPart(e: Expr, whole: Expr, where: SourceLine): Dim {
  const fail = (message: string, symbol?: string): never => {
    throw new EquationError(message, where.line, where.text, symbol);
  };
  const notUnit = `${quote(whole)} is not a unit: write names of units (volt, amp/metre**2, siemens/cm**2) or 1, with numbers only as exponents`;
  switch (e.kind) {
    case 'num':
      return e.value === 1 ? DIMENSIONLESS : fail(notUnit);
    case 'sym':
      if (Object.hasOwn(UNITS, e.name)) return UNITS[e.name].dim;
      if (e.name === 'bool') return fail('write "boolean", not "bool", for a boolean variable', e.name);
      if (e.name === 'boolean' || e.name === 'integer') return fail(`"${e.name}" stands alone as a unit, in ${quote(whole)}`, e.name);
      return fail(`unknown unit "${e.name}"`, e.name);
    case 'binary':
      if (e.op === '*' || e.op === '/') {
        const l = unitPart(e.left, whole, where);
        const r = unitPart(e.right, whole, where);
        return e.op === '*' ? dimMul(l, r) : dimDiv(l, r);
      }
      if (e.op === '**') {
        const base = unitPart(e.left, whole, where);
        const k = firstSymbol(e.right) === undefined ? constantValue(e.right, () => undefined) : null;
        if (k === null || !Number.isFinite(k)) return fail(`the exponent in ${quote(whole)} must be a number`, firstSymbol(e.right));
        return dimPow(base, k);
      }
      return fail(notUnit);
    default:
      return fail(notUnit, firstSymbol(e));
  }
}
