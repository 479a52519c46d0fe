// Property-based fuzzing of NIR import (issue 16, D12 and section 3): random in-memory NIR graphs
// (random node types, hostile names, random shapes, NaN/Inf/huge values, missing fields) through the
// graph-to-circuit step, and random byte mutations of a valid .nir file through the time-boxed reader.
// Properties: only the importer's own errors (NirFileError, NirConversionError, and the circuit
// checker's CircuitError for the written document), no input over the bound, no non-finite value in
// an accepted circuit, and a refusal names the file.
import { untyped } from './fixtures/hostile.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  importNir,
  nirToCircuit,
  writeNirFile,
  NirConversionError,
  NirFileError,
  META,
  type NirFile,
  type NirGraph,
} from '../interop/nir/index.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { HANG_MS, countNonFinite, flushTallies, hasNonFinite, judge, judgeAsync, runs } from './fuzz.js';
import { tempDir } from './helpers.js';

const isRefusal = (e: unknown) => e instanceof NirFileError || e instanceof NirConversionError || e instanceof CircuitError;

/** A quantity string of the document that holds a non-finite number ("NaN mV", "Infinity pA"). */
function nonFiniteQuantity(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof v === 'string') return /^[-+]?(NaN|Infinity)\b/.test(v.trim());
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v as object).some((x) => nonFiniteQuantity(x, depth + 1));
}

const NAMES = ['in', 'lin', 'lif', 'out', 'a.b', '0', '', '__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf'];
const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const TYPES = [
  'LIF',
  'CubaLIF',
  'IF',
  'LI',
  'CubaLI',
  'I',
  'Affine',
  'Linear',
  'Scale',
  'Delay',
  'Flatten',
  'Identity',
  'Input',
  'Output',
  'Conv2d',
  'Threshold',
  'pass',
  '__proto__',
];
const PARAMS = [
  'tau',
  'r',
  'v_leak',
  'v_threshold',
  'v_reset',
  'tau_mem',
  'tau_syn',
  'w_in',
  'weight',
  'bias',
  'scale',
  'delay',
  'shape',
  '__proto__',
  'constructor',
];

const value = fc.oneof(
  { weight: 30, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }) },
  { weight: 30, arbitrary: fc.constantFrom(0, 0.001, 0.02, 1, 2, 1e5) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e300, -1e300, 1e-320, 3.5e38) },
  { weight: 1, arbitrary: fc.double() },
);
const data = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((a) => Float64Array.from(a));
const array = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }).chain((n) => fc.record({ shape: fc.constant([n]), data: data(n) })) },
  {
    weight: 9,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
      .chain(([r, c]) => fc.record({ shape: fc.constant([r, c]), data: data(r * c) })),
  },
  // sizes for Input/Output shapes, including ones no importer can build
  { weight: 6, arbitrary: fc.constantFrom(1, 2, 3, 4, 0, -1, 2.5, NaN, 1e5, 1e9).map((n) => ({ shape: [1], data: Float64Array.of(n) })) },
  // inconsistent or missing structure
  {
    weight: 1,
    arbitrary: fc.record({
      shape: fc.array(fc.constantFrom(-1, 0, 1, 2, 1.5, NaN, 1e12), { maxLength: 3 }),
      data: fc.array(value, { maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 5, 'x', {}, { shape: [2] }, { data: [1, 2] }) },
);
const metadata = fc
  .array(
    fc.tuple(
      fc.constantFrom(...Object.values(META), '__proto__', 'constructor', 'flux_rate_input', 'flux_rate_input_gain'),
      fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('population', 'spikes', 'current', 'voltage', 'projection', 'input', 'output', 'rate'),
        value,
      ),
    ),
    { maxLength: 4 },
  )
  .map((entries) => Object.fromEntries(entries));
const leafNode = fc.record({
  type: fc.constantFrom(...TYPES),
  params: fc.array(fc.tuple(fc.constantFrom(...PARAMS), array), { maxLength: 6 }).map((e) => Object.fromEntries(e)),
  metadata,
});
const edges = fc.array(fc.tuple(name, name), { maxLength: 10 });
const graphOf = (node: fc.Arbitrary<unknown>) =>
  fc.record({ nodes: fc.array(fc.tuple(name, node), { minLength: 1, maxLength: 7 }).map((e) => Object.fromEntries(e)), edges, metadata });
const inner = graphOf(leafNode);
const anyNode = fc.oneof(
  { weight: 8, arbitrary: leafNode },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('NIRGraph'), params: fc.constant({}), metadata, graph: inner }) },
);
// Hostile on purpose: unknown node types and wrong shapes go in where NirFile is typed.
const nirFile = fc.record({ version: fc.constantFrom('1.0.7', 'x'), graph: graphOf(anyNode) }).map((f) => untyped<NirFile>(f));

/** A graph that maps completely, so the mutations below start from something the importer accepts. */
function validGraph(): NirGraph {
  const arr = (d: number[], shape = [d.length]) => ({ shape, data: Float64Array.from(d) });
  return {
    metadata: { flux_dt_ms: 0.1 },
    edges: [
      ['input', 'lin'],
      ['lin', 'lif'],
      ['lif', 'output'],
    ],
    nodes: {
      input: { type: 'Input', params: { shape: arr([4]) }, metadata: {} },
      lin: {
        type: 'Linear',
        params: {
          weight: arr(
            Array.from({ length: 16 }, (_, i) => (i % 5) / 10),
            [4, 4],
          ),
        },
        metadata: {},
      },
      lif: {
        type: 'LIF',
        params: {
          tau: arr([0.02, 0.02, 0.02, 0.02]),
          r: arr([1, 1, 1, 1]),
          v_leak: arr([0, 0, 0, 0]),
          v_threshold: arr([1, 1, 1, 1]),
          v_reset: arr([0, 0, 0, 0]),
        },
        metadata: {},
      },
      output: { type: 'Output', params: { shape: arr([4]) }, metadata: {} },
    },
  };
}

describe('fuzz: NIR import', () => {
  afterAll(() => flushTallies('fuzz-nir'));

  it("random NIR graphs: only the importer's errors, each within the bound, no non-finite value in an accepted circuit", () => {
    fc.assert(
      fc.property(nirFile, fc.boolean(), (file, partial) => {
        const r = judge('nir-graph', () => nirToCircuit(file, { partial, fileName: 'fuzz.nir' }), isRefusal);
        expect(r.ms).toBeLessThan(HANG_MS);
        if (!r.ok) {
          expect(r.refused, String((r.error as Error)?.stack ?? r.error)).toBe(true);
          if (r.error instanceof NirFileError) expect(r.error.message).toMatch(/^fuzz\.nir: /);
          return;
        }
        const bad = hasNonFinite(r.value.doc) || nonFiniteQuantity(r.value.doc);
        if (bad) countNonFinite('nir-graph');
        expect(bad, r.value.yaml).toBe(false);
        expect(r.value.yaml).not.toMatch(/\.nan|\.inf|NaN|Infinity/);
        // Every NIR name that became a population is an own key of the result, whatever it is.
        for (const [nirName, pop] of Object.entries(r.value.populations)) {
          expect(Object.hasOwn(r.value.doc.populations!, pop), `${nirName} -> ${pop}`).toBe(true);
        }
      }),
      { numRuns: runs(400, 100_000) },
    );
  });

  describe('byte mutations of a valid .nir file, through the time-boxed reader', () => {
    let dir: string;
    let base: Buffer;
    beforeAll(async () => {
      dir = tempDir('flux-fuzz-nir-');
      await writeNirFile(join(dir, 'base.nir'), validGraph());
      base = readFileSync(join(dir, 'base.nir'));
    });

    it('the unmutated file imports (the mutations start from an accepted file)', async () => {
      const r = await importNir(join(dir, 'base.nir'), join(dir, 'base.yaml'));
      expect(r.problems).toEqual([]);
      expect(Object.keys(r.doc.populations!)).toEqual(['lif', 'input']);
    });

    // Each input starts a reader thread (about 0.1 s, up to the 0.7 s bound): the campaign needs more time.
    const MUTATIONS = runs(12, 1000);
    it(
      "only the importer's errors, the read stopped at its bound, no non-finite value accepted",
      { timeout: Math.max(120_000, MUTATIONS * 1500) },
      async () => {
        const TIMEOUT = 700;
        let n = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
            async (mutations) => {
              const bytes = Buffer.from(base);
              for (const [at, b] of mutations) bytes[at % bytes.length] = b;
              const file = join(dir, `m${n++}.nir`);
              writeFileSync(file, bytes);
              const r = await judgeAsync(
                'nir-file-mutation',
                () => importNir(file, `${file}.yaml`, { partial: true, read: { timeoutMs: TIMEOUT } }),
                isRefusal,
              );
              // The reader's bound plus starting and stopping its thread on a shared machine.
              expect(r.ms).toBeLessThan(TIMEOUT + 2000);
              if (!r.ok) {
                expect(r.refused, String((r.error as Error)?.stack ?? r.error)).toBe(true);
                expect((r.error as Error).message).toContain(file);
                return;
              }
              const bad = hasNonFinite(r.value.doc) || nonFiniteQuantity(r.value.doc);
              if (bad) countNonFinite('nir-file-mutation');
              expect(bad, r.value.yaml).toBe(false);
            },
          ),
          { numRuns: MUTATIONS },
        );
      },
    );
  });
});
