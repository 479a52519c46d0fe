// Quantities in model documents, in Brian2's unit syntax: "281 pF", "-70.6 mV", "0.7 pA/mV**2",
// "0.02/ms", "-65*mV", "10". A leading number, whitespace, then a unit expression is number × unit
// (the way people write values); anything else must be an expression over numbers and unit names.
import { EquationError, type Expr } from './ast.js';
import { constantValue, dimensionOf, unitDim, type SymbolTable } from './check-units.js';
import { DIMENSIONLESS, UNITS, type Dim } from './dimension.js';
import { parseExpression } from './parse-expression.js';

export const MAX_QUANTITY_LENGTH = 200;

/** A number (its alternatives cannot match the same characters, so no backtracking), whitespace, then a name. */
const NUMBER_THEN_UNIT = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s+(?=[A-Za-z_])/;

/** Nothing but units and constants resolve in a quantity: the model's names are not known here. */
const NO_SYMBOLS: SymbolTable = () => undefined;

/** Refuses what a quantity cannot contain: names other than units, functions, comparisons and logic. */
function onlyUnits(e: Expr, fail: (message: string, symbol?: string) => never): void {
  switch (e.kind) {
    case 'num':
      return;
    case 'sym':
      if (!Object.hasOwn(UNITS, e.name)) fail(`unknown unit "${e.name}"`, e.name);
      return;
    case 'call':
      return fail(`a quantity cannot call functions (${e.fn})`, e.fn);
    case 'unary':
      if (e.op === 'not') fail('a quantity cannot contain "not"');
      return onlyUnits(e.arg, fail);
    case 'binary':
      if (!['+', '-', '*', '/', '**'].includes(e.op)) fail(`a quantity cannot contain "${e.op}"`);
      onlyUnits(e.left, fail);
      return onlyUnits(e.right, fail);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function evaluate(text: string): { value: number; dim: Dim } {
  const where = { line: 1, text };
  const fail = (message: string, symbol?: string): never => {
    throw new EquationError(message, 1, text, symbol);
  };
  const m = NUMBER_THEN_UNIT.exec(text);
  if (m) {
    const unitExpr = parseExpression(text.slice(m[0].length), 1, text, m[0].length);
    onlyUnits(unitExpr, fail);
    const dim = unitDim(unitExpr, where);
    return { value: Number(m[1]) * constantValue(unitExpr, NO_SYMBOLS)!, dim };
  }
  const e = parseExpression(text, 1, text, 0);
  onlyUnits(e, fail);
  const dim = dimensionOf(e, NO_SYMBOLS, where);
  return { value: constantValue(e, NO_SYMBOLS)!, dim };
}

/**
 * A quantity's value in Flux's internal units (mV, pA, nS, pF, ms, ...) and its dimension, or a
 * string saying what is wrong. Accepts a finite number (dimensionless) or a string.
 */
export function parseQuantity(value: unknown): { value: number; dim: Dim } | string {
  if (typeof value === 'number') return Number.isFinite(value) ? { value, dim: DIMENSIONLESS } : `${value} is not a finite number`;
  if (typeof value !== 'string') return `expected a number or a quantity such as "20 ms", not ${describe(value)}`;
  if (value.length > MAX_QUANTITY_LENGTH) return `a quantity of ${value.length} characters is too long (at most ${MAX_QUANTITY_LENGTH})`;
  const shown = JSON.stringify(value);
  try {
    const q = evaluate(value);
    if (!Number.isFinite(q.value)) return `${shown} is not a finite quantity`;
    return q;
  } catch (e) {
    if (!(e instanceof EquationError)) throw e;
    return `${shown} is not a quantity: ${e.message}${e.column === undefined ? '' : ` (column ${e.column})`}`;
  }
}
