// Physical quantities in circuit documents: "20 ms", "-65 mV", "0.6 nS", "200pF", "10 Hz".
// A small parser rather than a units library: the documents need only SI prefixes on a handful of
// base units, and every value is converted once at load time into Flux's internal unit system.
//
// Internal units (consistent: pF * mV / ms = pA, nS * mV = pA, mV / pA = GOhm):
//   time ms, voltage mV, current pA, conductance nS, capacitance pF, resistance GOhm, rate Hz.

export type Dimension =
  | 'time'
  | 'voltage'
  | 'current'
  | 'conductance'
  | 'capacitance'
  | 'resistance'
  | 'rate'
  | 'dimensionless';

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

/** Regex (also used in the JSON Schema) for a number with an optional unit. */
export const QUANTITY_PATTERN = '^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*[A-Za-zµΩ]*\\s*$';

export interface ParsedQuantity {
  value: number;
  dimension: Dimension;
}

export function parseQuantity(text: string): ParsedQuantity | string {
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµΩ]*)\s*$/.exec(text);
  if (!m) return `"${text}" is not a number with a unit (e.g. "20 ms", "-65 mV")`;
  const num = Number(m[1]);
  const unit = m[2];
  if (unit === '') return { value: num, dimension: 'dimensionless' };
  // Try the longest base symbol first so "Ohm" is not read as prefix "O" + "hm".
  for (const base of Object.keys(BASE).sort((a, b) => b.length - a.length)) {
    if (!unit.endsWith(base)) continue;
    const prefix = unit.slice(0, unit.length - base.length);
    if (!(prefix in PREFIX)) continue;
    const [dimension, toInternal] = BASE[base];
    return { value: num * PREFIX[prefix] * toInternal, dimension };
  }
  return `unknown unit "${unit}" in "${text}" (use s, V, A, S, F, Ohm or Hz with an SI prefix)`;
}

/**
 * Converts a document value to the internal unit of `expected`.
 * A bare number is taken to be in the internal unit already (documented in the README).
 * Returns a string describing the problem when the value does not fit.
 */
export function toInternal(value: unknown, expected: Dimension): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `expected a finite number, got ${value}`;
    return value;
  }
  if (typeof value !== 'string') return `expected a number or a quantity string, got ${typeof value}`;
  const q = parseQuantity(value);
  if (typeof q === 'string') return q;
  if (q.dimension === 'dimensionless') return q.value;
  if (q.dimension !== expected) {
    const want = expected === 'dimensionless' ? 'a plain number' : `a ${expected} (e.g. in ${INTERNAL_UNIT[expected]})`;
    return `"${value}" is a ${q.dimension}, expected ${want}`;
  }
  return q.value;
}
