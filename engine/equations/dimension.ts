// Physical dimensions as exponent vectors over the SI base units, Brian2's unit names, and Flux's
// internal unit system. Every quantity is converted once into internal units (ms, mV, pA, nS, pF,
// GOhm, µm, attomole), chosen so that the generated code needs no conversion factors:
// pF * mV / ms = pA, nS * mV = pA, mV / pA = GOhm, attomole / µm^3 = mol/m^3 = mM.

/** Exponents of m, kg, s, A, K, mol, cd (halves occur: white noise xi has s^-0.5). */
export type Dim = readonly number[];

const SYMBOLS = ['m', 'kg', 's', 'A', 'K', 'mol', 'cd'] as const;

function dim(m = 0, kg = 0, s = 0, a = 0, k = 0, mol = 0, cd = 0): Dim {
  return Object.freeze([m, kg, s, a, k, mol, cd]);
}

export const DIMENSIONLESS: Dim = dim();

export const dimMul = (a: Dim, b: Dim): Dim => Object.freeze(a.map((x, i) => x + b[i]));
export const dimDiv = (a: Dim, b: Dim): Dim => Object.freeze(a.map((x, i) => x - b[i]));
export const dimPow = (a: Dim, k: number): Dim => Object.freeze(a.map((x) => (x === 0 ? 0 : x * k)));
export const dimEqual = (a: Dim, b: Dim): boolean => a.every((x, i) => Math.abs(x - b[i]) <= 1e-9);
export const isDimensionless = (d: Dim): boolean => dimEqual(d, DIMENSIONLESS);

// The SI base and derived units Brian2 names (brian2/units/allunits.py).
const METRE = dim(1);
const KILOGRAM = dim(0, 1);
const SECOND = dim(0, 0, 1);
const AMP = dim(0, 0, 0, 1);
const VOLT = dim(2, 1, -3, -1);
const MOLE = dim(0, 0, 0, 0, 0, 1);
const JOULE = dim(2, 1, -2);

interface Base {
  names: string[];
  dim: Dim;
  /** The unit's size in SI is 10^siExp (gram 1e-3 kg, molar 1e3 mol/m^3, litre 1e-3 m^3). */
  siExp: number;
  /** Brian2 gives prefixed forms (mvolt) and squared/cubed forms (metre2, cmetre3) to most units. */
  prefixed: boolean;
  powered: boolean;
}

const BASES: Base[] = [
  { names: ['metre', 'meter'], dim: METRE, siExp: 0, prefixed: true, powered: true },
  { names: ['kilogram', 'kilogramme'], dim: KILOGRAM, siExp: 0, prefixed: false, powered: true },
  { names: ['gram', 'gramme'], dim: KILOGRAM, siExp: -3, prefixed: true, powered: true },
  { names: ['second'], dim: SECOND, siExp: 0, prefixed: true, powered: true },
  { names: ['amp', 'ampere'], dim: AMP, siExp: 0, prefixed: true, powered: true },
  { names: ['kelvin'], dim: dim(0, 0, 0, 0, 1), siExp: 0, prefixed: false, powered: true },
  { names: ['mole', 'mol'], dim: MOLE, siExp: 0, prefixed: true, powered: true },
  { names: ['molar'], dim: dim(-3, 0, 0, 0, 0, 1), siExp: 3, prefixed: true, powered: true },
  { names: ['candle'], dim: dim(0, 0, 0, 0, 0, 0, 1), siExp: 0, prefixed: true, powered: true },
  { names: ['radian', 'steradian'], dim: DIMENSIONLESS, siExp: 0, prefixed: true, powered: true },
  { names: ['hertz', 'becquerel'], dim: dim(0, 0, -1), siExp: 0, prefixed: true, powered: true },
  { names: ['newton'], dim: dim(1, 1, -2), siExp: 0, prefixed: true, powered: true },
  { names: ['pascal'], dim: dim(-1, 1, -2), siExp: 0, prefixed: true, powered: true },
  { names: ['joule'], dim: JOULE, siExp: 0, prefixed: true, powered: true },
  { names: ['watt'], dim: dim(2, 1, -3), siExp: 0, prefixed: true, powered: true },
  { names: ['coulomb'], dim: dim(0, 0, 1, 1), siExp: 0, prefixed: true, powered: true },
  { names: ['volt'], dim: VOLT, siExp: 0, prefixed: true, powered: true },
  { names: ['farad'], dim: dim(-2, -1, 4, 2), siExp: 0, prefixed: true, powered: true },
  { names: ['ohm'], dim: dim(2, 1, -3, -2), siExp: 0, prefixed: true, powered: true },
  { names: ['siemens'], dim: dim(-2, -1, 3, 2), siExp: 0, prefixed: true, powered: true },
  { names: ['weber'], dim: dim(2, 1, -2, -1), siExp: 0, prefixed: true, powered: true },
  { names: ['tesla'], dim: dim(0, 1, -2, -1), siExp: 0, prefixed: true, powered: true },
  { names: ['henry'], dim: dim(2, 1, -2, -2), siExp: 0, prefixed: true, powered: true },
  { names: ['lumen'], dim: dim(0, 0, 0, 0, 0, 0, 1), siExp: 0, prefixed: true, powered: true },
  { names: ['lux'], dim: dim(-2, 0, 0, 0, 0, 0, 1), siExp: 0, prefixed: true, powered: true },
  { names: ['gray', 'sievert'], dim: dim(2, 0, -2), siExp: 0, prefixed: true, powered: true },
  { names: ['katal'], dim: dim(0, 0, -1, 0, 0, 1), siExp: 0, prefixed: true, powered: true },
  { names: ['litre', 'liter'], dim: dim(3), siExp: -3, prefixed: true, powered: false },
];

/** The units every other is made of, and whether each takes a prefix (mvolt) and a power 2 or 3 (metre2). */
export const BASE_UNITS: readonly { name: string; prefixed: boolean; powered: boolean }[] = Object.freeze(
  BASES.flatMap((b) => b.names.map((name) => ({ name, prefixed: b.prefixed, powered: b.powered }))),
);

/** Brian2's SI prefixes and their powers of ten. */
export const PREFIXES: Readonly<Record<string, number>> = Object.freeze({
  y: -24,
  z: -21,
  a: -18,
  f: -15,
  p: -12,
  n: -9,
  u: -6,
  m: -3,
  c: -2,
  d: -1,
  da: 1,
  h: 2,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
  Z: 21,
  Y: 24,
});

/** brian2/units/stdunits.py: the short names (mV = mvolt, ...). */
export const SHORT_NAMES: Readonly<Record<string, string>> = {
  mV: 'mvolt',
  mA: 'mamp',
  uA: 'uamp',
  nA: 'namp',
  pA: 'pamp',
  pF: 'pfarad',
  uF: 'ufarad',
  nF: 'nfarad',
  nS: 'nsiemens',
  uS: 'usiemens',
  mS: 'msiemens',
  ms: 'msecond',
  us: 'usecond',
  Hz: 'hertz',
  kHz: 'khertz',
  MHz: 'Mhertz',
  cm: 'cmetre',
  cm2: 'cmetre2',
  cm3: 'cmetre3',
  mm: 'mmetre',
  mm2: 'mmetre2',
  mm3: 'mmetre3',
  um: 'umetre',
  um2: 'umetre2',
  um3: 'umetre3',
  mM: 'mmolar',
  uM: 'umolar',
  nM: 'nmolar',
};

export interface UnitInfo {
  readonly dim: Dim;
  /** The unit's size in SI units. */
  readonly si: number;
}

/** An exact power of ten (10 ** k can be an ulp off; the decimal literal is correctly rounded). */
const pow10 = (k: number): number => (Number.isInteger(k) ? Number(`1e${k}`) : 10 ** k);

function buildUnits(): Readonly<Record<string, UnitInfo>> {
  // Null prototype: lookups by user text ("constructor", "__proto__") find only units.
  const table: Record<string, UnitInfo> = Object.create(null);
  const add = (name: string, d: Dim, siExp: number): void => {
    table[name] = Object.freeze({ dim: d, si: pow10(siExp) });
  };
  for (const base of BASES) {
    const prefixes: [string, number][] = [['', 0], ...(base.prefixed ? Object.entries(PREFIXES) : [])];
    for (const name of base.names)
      for (const [p, exp] of prefixes) {
        add(p + name, base.dim, exp + base.siExp);
        if (!base.powered) continue;
        add(`${p}${name}2`, dimPow(base.dim, 2), 2 * (exp + base.siExp));
        add(`${p}${name}3`, dimPow(base.dim, 3), 3 * (exp + base.siExp));
      }
  }
  for (const [short, long] of Object.entries(SHORT_NAMES)) table[short] = table[long];
  return Object.freeze(table);
}

/** Every unit name Brian2 defines (allunits.py and stdunits.py; not `celsius`, which Brian2 refuses too). */
export const UNITS: Readonly<Record<string, UnitInfo>> = buildUnits();

export const isUnitName = (name: string): boolean => Object.hasOwn(UNITS, name);

// The size of one internal unit of each base dimension, as a power of ten of the SI unit:
// µm, 1e-12 kg (so that pF * mV^2 = 1e-18 J is consistent), ms, pA, K, attomole, cd.
const INTERNAL_EXP = [-6, -12, -3, -12, 0, -18, 0];

const scaleExp = (d: Dim): number => d.reduce((sum, x, i) => sum + x * INTERNAL_EXP[i], 0);

/** The size in SI of one internal unit of dimension d: volt → 1e-3 (mV), hertz → 1e3 (1/ms). */
export const internalScale = (d: Dim): number => pow10(scaleExp(d));

/** An SI value of dimension d in internal units. Exact for powers of ten (1 mV → 1, 1 nS → 1). */
export function toInternal(si: number, d: Dim): number {
  const k = scaleExp(d);
  const siExp = Math.round(Math.log10(Math.abs(si)));
  if (Number.isInteger(k) && Number.isFinite(siExp) && pow10(siExp) === Math.abs(si)) return Math.sign(si) * pow10(siExp - k);
  return si / internalScale(d);
}

// Brian2-style names for error messages, tried in this order (e.g. siemens/metre**2 before a generic form).
const NAMED: [string, Dim][] = [
  ['volt', VOLT],
  ['amp', AMP],
  ['siemens', dim(-2, -1, 3, 2)],
  ['farad', dim(-2, -1, 4, 2)],
  ['ohm', dim(2, 1, -3, -2)],
  ['coulomb', dim(0, 0, 1, 1)],
  ['second', SECOND],
  ['hertz', dim(0, 0, -1)],
  ['metre', METRE],
  ['mole', MOLE],
  ['molar', dim(-3, 0, 0, 0, 0, 1)],
  ['kilogram', KILOGRAM],
  ['kelvin', dim(0, 0, 0, 0, 1)],
  ['joule', JOULE],
];

const FORMS: [(n: string) => string, (d: Dim) => Dim][] = [
  [(n) => n, (d) => d],
  [(n) => `${n}/second`, (d) => dimDiv(d, SECOND)],
  [(n) => `${n}/metre**2`, (d) => dimDiv(d, dimPow(METRE, 2))],
  [(n) => `${n}**2`, (d) => dimPow(d, 2)],
  [(n) => `${n}*second`, (d) => dimMul(d, SECOND)],
  [(n) => `1/${n}`, (d) => dimPow(d, -1)],
  [(n) => `1/${n}**2`, (d) => dimPow(d, -2)],
];

export function formatDim(d: Dim): string {
  if (isDimensionless(d)) return '1';
  for (const [name, make] of FORMS) for (const [n, nd] of NAMED) if (dimEqual(make(nd), d)) return name(n);
  return SYMBOLS.map((s, i) => (Math.abs(d[i]) <= 1e-9 ? '' : d[i] === 1 ? s : `${s}^${d[i]}`))
    .filter((s) => s !== '')
    .join(' ');
}
