// Property-based fuzzing of circuit and bridge documents (issue 16, section 3): every example and
// library document mutated at a random node (hostile values, deleted keys, unknown and prototype
// keys, deep nesting), then checked in full; accepted circuits within a size budget are compiled.
// Properties: the only exception is CircuitError; every issue names its file and a JSON path; an
// accepted document compiles to finite numbers; no input takes over HANG_MS; nothing pollutes
// Object.prototype. And arbitrary strings through the quantity parser.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadCircuit } from '../engine/engine.js';
import { loadBridge } from '../bridge/config.js';
import { compile } from '../engine/compile/compiler.js';
import { synapseBound } from '../engine/circuit/limits.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { parseQuantity, checkQuantity, QUANTITY_LIMITS, type Dimension } from '../engine/units.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { runs, judge, hasNonFinite, countNonFinite, flushTallies, HANG_MS } from './fuzz.js';
import { ROOT } from './helpers.js';

afterAll(() => flushTallies('fuzz-documents'));

/** A property's time: its CI runs take seconds; the campaign (`npm run fuzz`) runs 10^5 documents. */
const PROPERTY_MS = process.env.FLUX_FUZZ_CAMPAIGN ? 6 * 3_600_000 : 60_000;

/** Every circuit and bridge document the repository ships (arenas are the simulator's, not documents). */
function documents(): { file: string; kind: 'circuit' | 'bridge'; doc: unknown }[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'arenas') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.yaml')) files.push(path);
    }
  };
  walk(join(ROOT, 'examples'));
  for (const pkg of readdirSync(join(ROOT, 'library'))) {
    const dir = join(ROOT, 'library', pkg);
    if (statSync(dir).isDirectory()) for (const name of readdirSync(dir)) if (name.endsWith('.yaml')) files.push(join(dir, name));
  }
  return files.sort().map((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return { file, kind: typeof doc.circuit === 'string' ? 'bridge' : 'circuit', doc };
  });
}

const DOCS = documents();

/** Nested arrays `depth` deep: parsers and checkers that recurse must not overflow the stack. */
const deep = (depth: number): unknown => {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = [x];
  return x;
};

/** An object whose own keys are the names JavaScript objects inherit (JSON.parse makes them own data). */
const prototypeKeys = () =>
  JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "toString": 5, "prototype": null}') as unknown;

const HOSTILE: (() => unknown)[] = [
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => '1e400 ms',
  () => '1e400',
  () => '1e-320',
  () => 1e-320,
  () => 5e-324,
  () => -0,
  () => 1e308,
  () => -1e308,
  () => 3.5e38,
  () => 2 ** 53,
  () => 1e15,
  () => 4294967296,
  () => 70000,
  () => -1,
  () => 0,
  () => 1,
  () => '',
  () => 'x',
  () => '20 mV',
  () => '1e-300 s',
  () => '1'.repeat(5000) + '!',
  () => 'constructor',
  () => '__proto__',
  () => true,
  () => null,
  () => [],
  () => [1, 2, 3],
  () => ({}),
  () => ({ constant: NaN }),
  () => ({ normal: { mean: 1e308, sd: 1e308 } }),
  () => ({ lognormal: { mean: 5e-324, sd: 1e9 } }),
  prototypeKeys,
  () => deep(200),
];

const NEW_KEYS = ['extra', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

type Mutation = { op: 'replace' | 'delete' | 'add'; node: number; value: number; key: number };

/** JSON-pointer-like paths (as key lists) of every node of a document, the root included. */
function nodes(doc: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (x: unknown, path: (string | number)[]) => {
    out.push(path);
    if (Array.isArray(x)) x.forEach((v, i) => walk(v, [...path, i]));
    else if (x !== null && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, [...path, k]);
  };
  walk(doc, []);
  return out;
}

/** Sets a property as own data, whatever its name (a plain `o[k] = v` with "__proto__" would set the prototype). */
function put(o: Record<string | number, unknown>, k: string | number, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mutate(doc: unknown, m: Mutation): unknown {
  const copy = structuredClone(doc);
  const all = nodes(copy);
  const path = all[m.node % all.length];
  const value = HOSTILE[m.value % HOSTILE.length]();
  if (path.length === 0) {
    if (m.op === 'replace') return value;
    if (m.op === 'add' && copy !== null && typeof copy === 'object')
      put(copy as Record<string, unknown>, NEW_KEYS[m.key % NEW_KEYS.length], value);
    return copy;
  }
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  const target = parent[last];
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (m.op === 'add' && target !== null && typeof target === 'object' && !Array.isArray(target)) {
    put(target as Record<string, unknown>, NEW_KEYS[m.key % NEW_KEYS.length], value);
  } else put(parent, last, value);
  return copy;
}

const mutation = fc.record({
  op: fc.constantFrom<Mutation['op']>('replace', 'replace', 'delete', 'add'),
  node: fc.nat(),
  value: fc.nat(),
  key: fc.nat(),
});

/** Compile only what is cheap: hostile documents may be valid and still large (library microcircuit). */
const BUDGET = { neurons: 20_000, synapses: 200_000 };
function withinBudget(c: Circuit): boolean {
  const pops = new Map(c.populations.map((p) => [p.name, p.size]));
  const neurons = c.populations.reduce((a, p) => a + p.size, 0);
  const synapses = c.projections.reduce((a, p) => a + synapseBound(p.connectivity, pops.get(p.source) ?? 0, pops.get(p.target) ?? 0), 0);
  return neurons <= BUDGET.neurons && synapses <= BUDGET.synapses;
}

/** The numbers a compiled network runs from: parameters, initial state, weights, delays. */
function compiledNumbers(c: Circuit): unknown {
  const net = compile(c);
  return {
    dt: net.dt,
    populations: net.populations.map((p) => ({ params: p.spec.params, init: p.init })),
    projections: net.projections.map((p) => ({ weights: p.weights, plasticity: p.spec.plasticity ?? {} })),
    modulators: c.modulators.map((m) => ({
      tau: m.tau,
      baseline: m.baseline,
      gains: m.sources,
      sens: m.targets.map((t) => t.sensitivity),
    })),
    sources: c.sources,
    inputs: c.inputs.map((i) => i.gain),
    outputs: c.outputs.map((o) => o.tau),
  };
}

/** A refusal names its file and a JSON path in every issue (and the message carries them). */
function expectNamed(e: CircuitError): void {
  expect(e.issues.length).toBeGreaterThan(0);
  for (const i of e.issues) {
    expect(typeof i.file === 'string' && i.file.length > 0, JSON.stringify(i)).toBe(true);
    expect(i.path === '' || i.path.startsWith('/'), JSON.stringify(i)).toBe(true);
    expect(e.message).toContain(i.file);
  }
}

const isRefusal = (e: unknown) => e instanceof CircuitError;

function check(name: string, file: string, kind: 'circuit' | 'bridge', text: string): void {
  const r = judge(
    name,
    () => {
      if (kind === 'bridge') return loadBridge(file, undefined, text).circuit;
      const { circuit } = loadCircuit(file, text);
      return circuit;
    },
    isRefusal,
  );
  expect(r.ms, `${file}: ${r.ms} ms`).toBeLessThan(HANG_MS);
  if (!r.ok) {
    if (!r.refused) throw r.error;
    expectNamed(r.error as CircuitError);
  } else if (kind === 'circuit' && withinBudget(r.value)) {
    const c = judge(`${name} compile`, () => compiledNumbers(r.value), isRefusal);
    expect(c.ms).toBeLessThan(HANG_MS);
    if (!c.ok) {
      if (!c.refused) throw c.error;
      expectNamed(c.error as CircuitError);
    } else if (hasNonFinite(c.value)) {
      countNonFinite(name);
      throw new Error(`${file}: accepted and compiled to a non-finite number:\n${text}`);
    }
  }
  expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
}

describe('document fuzzing', () => {
  // The first load compiles the JSON Schemas and reads the message definitions: once, not a hang.
  beforeAll(() => {
    for (const d of DOCS.filter((x) => x.kind === 'bridge').slice(0, 1)) loadBridge(d.file);
  });

  it('every shipped document is found and the unmutated ones load', () => {
    expect(DOCS.filter((d) => d.kind === 'circuit').length).toBeGreaterThanOrEqual(10);
    expect(DOCS.filter((d) => d.kind === 'bridge').length).toBeGreaterThanOrEqual(4);
    for (const d of DOCS) check('unmutated', d.file, d.kind, readFileSync(d.file, 'utf8'));
  });

  for (const kind of ['circuit', 'bridge'] as const) {
    const docs = DOCS.filter((d) => d.kind === kind);
    it(
      `mutated ${kind} documents: only CircuitError, file and path named, finite when accepted, under ${HANG_MS} ms`,
      () => {
        fc.assert(
          fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, ms) => {
            const d = docs[which % docs.length];
            let doc = d.doc;
            for (const m of ms) doc = mutate(doc, m);
            check(`mutated ${kind}`, d.file, kind, stringify(doc));
          }),
          { numRuns: runs(kind === 'circuit' ? 250 : 120, kind === 'circuit' ? 60_000 : 30_000) },
        );
      },
      PROPERTY_MS,
    );
  }

  it(
    'hostile values at every quantity of a small circuit: refused with the path, or finite',
    () => {
      const file = join(ROOT, 'tests', 'fixtures', 'fuzz-small.yaml'); // never written: the text is given
      const base = {
        populations: { a: { model: 'lif', size: 10, params: { tau_m: '20 ms', cm: '250 pF' } }, b: { model: 'adex', size: 5 } },
        projections: {
          p: {
            source: 'a',
            target: 'b',
            connectivity: { type: 'fixed_probability', p: 0.1 },
            weight: '5 nS',
            delay: '1 ms',
            synapse: { type: 'conductance', receptor: 'excitatory' },
          },
        },
        inputs: { i: { target: 'a', mode: 'current', gain: 1 } },
      };
      fc.assert(
        fc.property(mutation, (m) => check('small circuit', file, 'circuit', stringify(mutate(base, m)))),
        { numRuns: runs(200, 20_000) },
      );
    },
    PROPERTY_MS,
  );
});

describe('quantity strings', () => {
  const DIMS = Object.keys(QUANTITY_LIMITS) as Dimension[];
  const units = fc.constantFrom(
    '',
    ' ',
    'ms',
    ' s',
    'us',
    'µs',
    'mV',
    'kV',
    'pA',
    'nA',
    'nS',
    'pF',
    'F',
    'Hz',
    'kHz',
    'GHz',
    'MOhm',
    'Ω',
    'x',
    'constructor',
    '__proto__',
    'e',
  );
  const numberText = fc.oneof(
    fc.double().map(String),
    fc.double({ min: -1e-300, max: 1e-300 }).map((x) => x.toExponential()),
    fc.integer({ min: -400, max: 400 }).map((e) => `1e${e}`),
    fc.stringMatching(/^[-+]?\d{0,30}\.?\d{0,30}([eE][-+]?\d{0,4})?$/),
  );
  const quantityText = fc.oneof(
    fc.tuple(numberText, fc.constantFrom('', ' ', '  '), units).map(([n, s, u]) => n + s + u),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: fc.constantFrom('1', ' ', '.', 'e', '-', 'm', 's'), maxLength: 3000 }),
  );

  it(
    'parseQuantity and checkQuantity: a finite, plausible value or a message; never an exception; fast',
    () => {
      fc.assert(
        fc.property(
          quantityText,
          fc.constantFrom(...DIMS),
          fc.constantFrom('any', 'nonNegative', 'positive') as fc.Arbitrary<'any' | 'nonNegative' | 'positive'>,
          (text, dim, sign) => {
            const r = judge(
              'quantity strings',
              () => [parseQuantity(text), checkQuantity(text, dim, sign)] as const,
              () => false,
            );
            if (!r.ok) throw r.error;
            expect(r.ms).toBeLessThan(HANG_MS);
            const [parsed, checked] = r.value;
            if (typeof parsed !== 'string') expect(Number.isFinite(parsed.value), text).toBe(true);
            if (typeof checked === 'number') {
              expect(Number.isFinite(checked), text).toBe(true);
              expect(Math.abs(checked)).toBeLessThanOrEqual(QUANTITY_LIMITS[dim].max);
              if (sign === 'positive') expect(checked).toBeGreaterThanOrEqual(QUANTITY_LIMITS[dim].minPositive);
              if (sign === 'nonNegative') expect(checked).toBeGreaterThanOrEqual(0);
            } else expect(typeof checked).toBe('string');
          },
        ),
        { numRuns: runs(3000, 1_000_000) },
      );
    },
    PROPERTY_MS,
  );
});
