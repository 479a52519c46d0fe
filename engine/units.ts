// Physical quantities in circuit documents: "20 ms", "-65 mV", "0.6 nS", "200pF", "10 Hz".
// A small parser rather than a units library: the documents need only SI prefixes on a handful of
// base units, and every value is converted once at load time into Flux's internal unit system.
//
// Internal units (consistent: pF * mV / ms = pA, nS * mV = pA, mV / pA = GOhm):
//   time ms, voltage mV, current pA, conductance nS, capacitance pF, resistance GOhm, rate Hz.

export type Dimension = 'time' | 'voltage' | 'current' | 'conductance' | 'capacitance' | 'resistance' | 'rate' | 'dimensionless';

const PREFIX: Record<string, number> = {
  '': 1,
  G: 1e9,
  M: 1e6,
  k: 1e3,
  m: 1e-3,
  u: 1e-6,
  'µ': 1e-6,
  n: 1e-9,
  p: 1e-12,
  f: 1e-15,
};

// base SI unit symbol -> [dimension, factor from SI to the internal unit]
const BASE: Record<string, [Dimension, number]> = {
  s: ['time', 1e3],
  V: ['voltage', 1e3],
  A: ['current', 1e12],
  S: ['conductance', 1e9],
  F: ['capacitance', 1e12],
  Ohm: ['resistance', 1e-9],
  'Ω': ['resistance', 1e-9],
  Hz: ['rate', 1],
};

export const INTERNAL_UNIT: Record<Dimension, string> = {
  time: 'ms',
  voltage: 'mV',
  current: 'pA',
  conductance: 'nS',
  capacitance: 'pF',
  resistance: 'GOhm',
  rate: 'Hz',
  dimensionless: '',
};

/**
 * Regex (also used in the JSON Schema) for a number with an optional unit. Written so that no two of
 * its parts can match the same characters (digits before and after the point, spaces before and after
 * the unit): a long hostile string fails in linear time instead of backtracking quadratically.
 */
export const QUANTITY_PATTERN = '^\\s*[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?\\s*([A-Za-zµΩ]+\\s*)?$';

/** Longer quantity strings are refused before any regex runs (the longest sensible one is ~30 characters). */
export const MAX_QUANTITY_LENGTH = 100;

export interface ParsedQuantity {
  value: number;
  dimension: Dimension;
}

export function parseQuantity(text: string): ParsedQuantity | string {
  if (text.length > MAX_QUANTITY_LENGTH)
    return `a quantity of ${text.length} characters is not a number with a unit (at most ${MAX_QUANTITY_LENGTH})`;
  const m = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:([A-Za-zµΩ]+)\s*)?$/.exec(text);
  if (!m) return `"${text}" is not a number with a unit (e.g. "20 ms", "-65 mV")`;
  const num = Number(m[1]);
  const unit = m[2] ?? '';
  if (!Number.isFinite(num)) return `"${text}" is not a finite number`;
  if (unit === '') return { value: num, dimension: 'dimensionless' };
  // Try the longest base symbol first so "Ohm" is not read as prefix "O" + "hm".
  for (const base of BASE_SYMBOLS) {
    if (!unit.endsWith(base)) continue;
    const prefix = unit.slice(0, unit.length - base.length);
    if (!Object.hasOwn(PREFIX, prefix)) continue;
    const [dimension, toInternal] = BASE[base];
    const value = num * PREFIX[prefix] * toInternal;
    if (!Number.isFinite(value)) return `"${text}" overflows: it is not a finite ${dimension}`;
    return { value, dimension };
  }
  return `unknown unit "${unit}" in "${text}" (use s, V, A, S, F, Ohm or Hz with an SI prefix)`;
}

const BASE_SYMBOLS = Object.keys(BASE).sort((a, b) => b.length - a.length);

/**
 * The plausible range of every quantity, in internal units: the one table that the document checker
 * (engine/circuit/check.ts, bridge/config.ts) and live edits (through toInternal and checkQuantity) share.
 * A value beyond it is a typo or an attack, never a circuit: it would overflow float32 weights, drive
 * the state to infinity, or (a denormal time constant) turn dt / tau into Infinity and the state into
 * NaN. `max` bounds the magnitude; `minPositive` is the smallest value a strictly positive quantity
 * (a time constant, a capacitance, a slope) may take, since such values divide.
 */
export const QUANTITY_LIMITS: Readonly<Record<Dimension, { max: number; minPositive: number; why: string }>> = {
  time: { max: 1e9, minPositive: 1e-3, why: 'ms: up to ~11.6 days; time constants at least 1 µs' },
  voltage: { max: 1e4, minPositive: 1e-3, why: 'mV: within ±10 V; slopes at least 1 µV' },
  current: { max: 1e9, minPositive: 1e-9, why: 'pA: within ±1 mA' },
  conductance: { max: 1e9, minPositive: 1e-9, why: 'nS: within ±1 S' },
  capacitance: { max: 1e9, minPositive: 1e-3, why: 'pF: up to 1 mF; at least 1 fF' },
  resistance: { max: 1e9, minPositive: 1e-9, why: 'GOhm' },
  rate: { max: 1e6, minPositive: 1e-9, why: 'Hz: up to 1 MHz' },
  dimensionless: { max: 1e9, minPositive: 1e-12, why: 'gains, sensitivities, model constants' },
};

/** Largest finite float32: weights are stored as float32, anything above becomes Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Which signs a quantity may take: any, >= 0, or > 0 (at least the dimension's minPositive). */
export type Sign = 'any' | 'nonNegative' | 'positive';

function show(x: number, dimension: Dimension): string {
  const unit = INTERNAL_UNIT[dimension];
  return unit ? `${x} ${unit}` : String(x);
}

/**
 * Checks a value already in internal units against QUANTITY_LIMITS: finite, within the dimension's
 * plausible magnitude, of the required sign. Returns the problem, or null when it is fine.
 */
export function quantityProblem(x: number, dimension: Dimension, sign: Sign = 'any'): string | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return `expected a finite number, got ${String(x)}`;
  const lim = QUANTITY_LIMITS[dimension];
  const what = dimension === 'dimensionless' ? 'plain numbers' : `a ${dimension}`;
  if (Math.abs(x) > lim.max)
    return `${show(x, dimension)} is out of the plausible range for ${what} (at most ${show(lim.max, dimension)} in magnitude)`;
  if (sign === 'nonNegative' && x < 0) return `must be >= 0 (got ${show(x, dimension)})`;
  if (sign === 'positive' && !(x > 0)) return `must be > 0 (got ${show(x, dimension)})`;
  if (sign === 'positive' && x < lim.minPositive)
    return `${show(x, dimension)} is too small: a positive ${dimension === 'dimensionless' ? 'number' : dimension} here must be at least ${show(lim.minPositive, dimension)}`;
  return null;
}

/**
 * Converts a document value to the internal unit of `expected`.
 * A bare number is taken to be in the internal unit already (documented in the README).
 * Returns a string describing the problem when the value does not fit, including a value outside
 * the dimension's plausible range (QUANTITY_LIMITS): every quantity read anywhere is finite and bounded.
 */
export function toInternal(value: unknown, expected: Dimension): number | string {
  const x = convert(value, expected);
  if (typeof x === 'string') return x;
  return quantityProblem(x, expected) ?? x;
}

function convert(value: unknown, expected: Dimension): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `expected a finite number, got ${value}`;
    return value;
  }
  if (typeof value !== 'string')
    return `expected a number or a quantity string, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`;
  const q = parseQuantity(value);
  if (typeof q === 'string') return q;
  if (q.dimension === 'dimensionless') return q.value;
  if (q.dimension !== expected) {
    const want = expected === 'dimensionless' ? 'a plain number' : `a ${expected} (e.g. in ${INTERNAL_UNIT[expected]})`;
    return `"${value}" is a ${q.dimension}, expected ${want}`;
  }
  return q.value;
}

/**
 * The shared rule for one quantity, for document checks and live edits alike: converts `value` (a
 * number in internal units or a quantity string) and checks it is finite, plausible for its dimension
 * and of the required sign. Returns the internal value or the problem (the caller adds file and path).
 */
export function checkQuantity(value: unknown, dimension: Dimension, sign: Sign = 'any'): number | string {
  const x = convert(value, dimension);
  if (typeof x === 'string') return x;
  return quantityProblem(x, dimension, sign) ?? x;
}

/**
 * A synaptic weight (a magnitude, pA or nS): a quantity >= 0 within its dimension's range, which
 * also keeps it a finite float32.
 */
export function checkWeight(value: unknown, dimension: 'current' | 'conductance'): number | string {
  const x = checkQuantity(value, dimension, 'nonNegative');
  if (typeof x === 'number' && Math.abs(x) > FLOAT32_MAX) return `${x} does not fit a float32 weight`;
  return x;
}
