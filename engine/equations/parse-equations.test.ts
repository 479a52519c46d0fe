import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EquationError, type Equation } from './ast.js';
import { dimensionOf, unitDim, type SymbolInfo, type SymbolTable } from './check-units.js';
import { UNITS, dimDiv, dimEqual, formatDim } from './dimension.js';
import { formatExpr } from './parse-expression.js';
import { parseEquations } from './parse-equations.js';

function errorOf(f: () => unknown): EquationError {
  try {
    f();
  } catch (e) {
    if (e instanceof EquationError) return e;
    throw e;
  }
  throw new Error('no error');
}

// Brian2 2.5.1's COBAHH benchmark (brian2/tests/features/speed.py), as written there: expressions
// continue over several lines until their ": unit".
const COBAHH = `
        dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
                 g_na*(m*m*m)*h*(v-ENa)-
                 g_kd*(n*n*n*n)*(v-EK))/Cm : volt
        dm/dt = alpha_m*(1-m)-beta_m*m : 1
        dn/dt = alpha_n*(1-n)-beta_n*n : 1
        dh/dt = alpha_h*(1-h)-beta_h*h : 1
        dge/dt = -ge*(1./taue) : siemens
        dgi/dt = -gi*(1./taui) : siemens
        alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/
                 (exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
        beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/
                (exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/
                 (exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        `;

// The standard Hodgkin–Huxley model with exprel (Brian2's examples), one equation per line.
const HH = `
# Hodgkin-Huxley, per unit area
dv/dt = (gl*(El - v) - g_na*(m*m*m)*h*(v - ENa) - g_kd*(n*n*n*n)*(v - EK) + I)/Cm : volt (unless refractory)
dm/dt = 0.32*(mV**-1)*4*mV/exprel((13.*mV - v + VT)/(4*mV))/ms*(1 - m) - 0.28*(mV**-1)*5*mV/exprel((v - VT - 40.*mV)/(5*mV))/ms*m : 1
dn/dt = 0.032*(mV**-1)*5*mV/exprel((15.*mV - v + VT)/(5*mV))/ms*(1. - n) - .5*exp((10.*mV - v + VT)/(40.*mV))/ms*n : 1
dh/dt = 0.128*exp((17.*mV - v + VT)/(18.*mV))/ms*(1. - h) - 4./(1 + exp((40.*mV - v + VT)/(5.*mV)))/ms*h : 1
I : amp   # injected current
`;

const PARAMETERS: Record<string, string> = {
  Cm: 'farad',
  gl: 'siemens',
  g_na: 'siemens',
  g_kd: 'siemens',
  El: 'volt',
  EK: 'volt',
  ENa: 'volt',
  VT: 'volt',
  Ee: 'volt',
  Ei: 'volt',
  taue: 'second',
  taui: 'second',
};

/** The symbol table a model would build: its parameters, then every equation's declared unit. */
function tableFor(eqs: Equation[]): SymbolTable {
  const map = new Map<string, SymbolInfo>(Object.entries(PARAMETERS).map(([k, unit]) => [k, { dim: UNITS[unit].dim, kind: 'parameter' }]));
  for (const eq of eqs)
    map.set(eq.name, {
      dim: unitDim(eq.unitExpr, eq),
      kind: eq.kind === 'differential' ? 'state' : eq.kind === 'parameter' ? 'parameter' : 'subexpression',
    });
  return (name) => map.get(name);
}

function checkAll(eqs: Equation[]): void {
  const table = tableFor(eqs);
  for (const eq of eqs) {
    if (eq.kind === 'parameter') continue;
    const declared = unitDim(eq.unitExpr, eq);
    const want = eq.kind === 'differential' ? dimDiv(declared, UNITS.second.dim) : declared;
    const got = dimensionOf(eq.expr, table, eq);
    expect(dimEqual(got, want), `${eq.name}: ${formatDim(got)} vs ${formatDim(want)}`).toBe(true);
  }
}

describe('parseEquations', () => {
  it("reads Brian2's COBAHH equations (multi-line expressions) and every line's units check", () => {
    const eqs = parseEquations(COBAHH);
    expect(eqs.map((e) => [e.name, e.kind, e.unit, e.line])).toEqual([
      ['v', 'differential', 'volt', 2],
      ['m', 'differential', '1', 5],
      ['n', 'differential', '1', 6],
      ['h', 'differential', '1', 7],
      ['ge', 'differential', 'siemens', 8],
      ['gi', 'differential', 'siemens', 9],
      ['alpha_m', 'subexpression', 'Hz', 10],
      ['beta_m', 'subexpression', 'Hz', 12],
      ['alpha_h', 'subexpression', 'Hz', 14],
      ['beta_h', 'subexpression', 'Hz', 15],
      ['alpha_n', 'subexpression', 'Hz', 16],
      ['beta_n', 'subexpression', 'Hz', 18],
    ]);
    const v = eqs[0];
    expect(v.kind === 'differential' && formatExpr(v.expr)).toBe(
      '(gl * (El - v) + ge * (Ee - v) + gi * (Ei - v) - g_na * (m * m * m) * h * (v - ENa) - g_kd * (n * n * n * n) * (v - EK)) / Cm',
    );
    expect(v.text.split('\n')).toHaveLength(3);
    checkAll(eqs);
  });

  it('reads the Hodgkin–Huxley model with exprel, flags and comments, and its units check', () => {
    const eqs = parseEquations(HH);
    expect(eqs.map((e) => [e.name, e.kind, e.line, e.flags])).toEqual([
      ['v', 'differential', 3, ['unless refractory']],
      ['m', 'differential', 4, []],
      ['n', 'differential', 5, []],
      ['h', 'differential', 6, []],
      ['I', 'parameter', 7, []],
    ]);
    expect(eqs[4]).toEqual({
      line: 7,
      text: 'I : amp   # injected current',
      name: 'I',
      unit: 'amp',
      unitExpr: { kind: 'sym', name: 'amp' },
      flags: [],
      kind: 'parameter',
    });
    checkAll(eqs);
  });

  it('names line, symbol and both units when an equation does not check', () => {
    const eqs = parseEquations('dv/dt = -v/tau : volt\ndw/dt = (v + I)/tau : volt\nI : amp\ntau : second');
    const table = tableFor(eqs);
    const w = eqs[1];
    const e = errorOf(() => w.kind === 'differential' && dimensionOf(w.expr, table, w));
    expect(e).toMatchObject({ line: 2, text: 'dw/dt = (v + I)/tau : volt', symbol: 'I', message: 'cannot add volt and amp in "v + I"' });
  });

  it('reads every form, unit and flag', () => {
    const eqs = parseEquations(
      [
        'dv/dt = (I - g*v)/C : volt (unless refractory, constant over dt)',
        '  I_syn = g_syn*(E - v) : amp/meter**2',
        'g_syn : siemens/cm**2 (constant,shared)',
        'spiking : boolean',
        'count : integer',
        'x : 1',
        'dapre/dt=-apre/taupre:1(event-driven)',
        'y = v > 2*mV : boolean',
        'dx2 = 3 : 1',
      ].join('\r\n'),
    );
    expect(eqs.map((e) => [e.name, e.kind, e.unit, e.flags])).toEqual([
      ['v', 'differential', 'volt', ['unless refractory', 'constant over dt']],
      ['I_syn', 'subexpression', 'amp/meter**2', []],
      ['g_syn', 'parameter', 'siemens/cm**2', ['constant', 'shared']],
      ['spiking', 'parameter', 'boolean', []],
      ['count', 'parameter', 'integer', []],
      ['x', 'parameter', '1', []],
      ['apre', 'differential', '1', ['event-driven']],
      ['y', 'subexpression', 'boolean', []],
      ['dx2', 'subexpression', '1', []],
    ]);
    expect(eqs[0].text).toBe('dv/dt = (I - g*v)/C : volt (unless refractory, constant over dt)');
    expect(eqs[2].unitExpr).toEqual({
      kind: 'binary',
      op: '/',
      left: { kind: 'sym', name: 'siemens' },
      right: { kind: 'binary', op: '**', left: { kind: 'sym', name: 'cm' }, right: { kind: 'num', value: 2 } },
    });
    expect(parseEquations('')).toEqual([]);
    expect(parseEquations('\n  # only a comment\n\n')).toEqual([]);
  });

  it('refuses malformed lines with line, text, column and symbol', () => {
    expect(errorOf(() => parseEquations('x : 1\nv = 3\n'))).toMatchObject({
      line: 2,
      text: 'v = 3',
      message: expect.stringMatching(/"v = 3" has no ": unit"/),
    });
    expect(errorOf(() => parseEquations('v = 3\nw : 1'))).toMatchObject({
      line: 2,
      column: 1,
      symbol: 'w',
      message: expect.stringMatching(/expected an operator before "w"/),
    });
    expect(errorOf(() => parseEquations('x : 1\ndv/dt = -v/ : volt'))).toMatchObject({
      line: 2,
      column: 13,
      message: 'unexpected end of expression',
    });
    expect(errorOf(() => parseEquations('dv/dt = (1 + : volt'))).toMatchObject({ line: 1, column: 14 });
    expect(errorOf(() => parseEquations('a\n  = (1 +\n 2 $ 3) : 1'))).toMatchObject({ line: 3, text: ' 2 $ 3) : 1', column: 4 });
    expect(errorOf(() => parseEquations('2x : 1')).message).toMatch(/"2x" cannot be defined/);
    expect(errorOf(() => parseEquations('d v/dt = 1 : 1')).message).toMatch(/"d v\/dt" cannot be defined/);
    expect(errorOf(() => parseEquations('dv/dt : volt')).message).toMatch(/a parameter is written name : unit/);
    expect(errorOf(() => parseEquations(': volt')).message).toMatch(/missing name/);
    expect(errorOf(() => parseEquations('x = 1 :')).message).toMatch(/missing unit/);
    expect(errorOf(() => parseEquations('x == 1 : boolean')).message).toMatch(/==/);
  });

  it('refuses a name defined twice and a unit part that is not a unit', () => {
    expect(errorOf(() => parseEquations('v : volt\n\ndv/dt = 1/ms*mV : volt'))).toMatchObject({
      line: 3,
      symbol: 'v',
      message: '"v" is defined twice (lines 1 and 3)',
    });
    expect(errorOf(() => parseEquations('x : 1\ny : foo/second'))).toMatchObject({
      line: 2,
      symbol: 'foo',
      column: 5,
      message: 'unknown unit "foo"',
    });
    expect(errorOf(() => parseEquations('y : 2*mV')).message).toMatch(/is not a unit/);
    expect(errorOf(() => parseEquations('y : bool')).message).toMatch(/boolean/);
    expect(errorOf(() => parseEquations('y : __proto__'))).toMatchObject({ symbol: '__proto__' });
    expect(errorOf(() => parseEquations('y : volt (constant')).message).toMatch(/malformed flags/);
    expect(errorOf(() => parseEquations('y : volt ()')).message).toMatch(/malformed flags/);
    expect(errorOf(() => parseEquations('y : volt (1st)'))).toMatchObject({ symbol: '1st' });
  });

  it('bounds size and lines', () => {
    expect(errorOf(() => parseEquations('x : 1\n'.repeat(4000))).message).toMatch(/too long \(at most 20000\)/);
    expect(errorOf(() => parseEquations('\n'.repeat(500))).message).toMatch(/501 lines are too long \(at most 500\)/);
    expect(parseEquations('\n'.repeat(499) + 'x : 1')).toHaveLength(1);
  });
});

describe('hostile input', () => {
  const pieces = [
    'dv/dt',
    ' = ',
    'v',
    ':',
    ' volt',
    '(',
    ')',
    'flag',
    ',',
    '\n',
    '#',
    '1',
    '*',
    '-',
    ' ',
    'mV',
    '==',
    '__proto__',
    'boolean',
  ];
  const soup = (maxLength: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...pieces), { maxLength }).map((p) => p.join(''));

  it('returns equations or throws EquationError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), soup(30)), (text) => {
        try {
          const eqs = parseEquations(text);
          for (const eq of eqs) expect(eq.line).toBeGreaterThanOrEqual(1);
        } catch (err) {
          expect(err).toBeInstanceOf(EquationError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finishes quickly on 10 000-character inputs', () => {
    const inputs = [
      'x = ' + '('.repeat(9_990) + ' : 1',
      'dv/dt = ' + 'a*'.repeat(4_990) + 'a : volt',
      'x'.repeat(10_000),
      'a\n'.repeat(499),
      'x = 1 ' + ':'.repeat(9_990),
      'x : volt (' + 'a,'.repeat(4_990) + 'a)',
      ('y = 1 : 1 # ' + '#'.repeat(30) + '\n').repeat(240),
    ];
    fc.sample(soup(2_000), 10).forEach((s) => inputs.push(s.slice(0, 10_000)));
    for (const text of inputs) {
      const started = performance.now();
      try {
        parseEquations(text);
      } catch (err) {
        expect(err).toBeInstanceOf(EquationError);
      }
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
