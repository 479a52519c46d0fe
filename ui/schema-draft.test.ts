// The element form's drafts against the real circuit schema: every element of the examples and the
// library's circuits goes into a form and comes back equal; the forms chosen for either-ors; a field
// that cannot be read named by its path; and any JSON value survives the round trip (fast-check).
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { circuitSchema } from '../engine/circuit/schema.js';
import { BRIDGE_SCHEMA } from '../bridge/config.js';
import { draftOf, shapeOf, valueOfDraft, type Draft, type PropSchema } from './web/schema-draft.js';

const SECTIONS = ['populations', 'projections', 'models', 'modulators', 'sources', 'inputs', 'outputs'];
const props = (circuitSchema() as { properties: Record<string, { additionalProperties: PropSchema }> }).properties;
/** The element schema the form gets (ui/routes.ts elementSchemas: a model's equations form). */
const element = (s: string): PropSchema => {
  const item = props[s].additionalProperties;
  return item.anyOf ? item.anyOf[0] : item;
};

function circuitFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('element drafts (the schema-driven form)', () => {
  it('each element of the example and library circuits comes back from its form equal', () => {
    let n = 0;
    for (const file of [...circuitFiles('examples'), ...circuitFiles('library')]) {
      const doc = parse(readFileSync(file, 'utf8'), { merge: true }) as Record<string, unknown> | null;
      // Circuits only (bridge documents and arenas lie beside them).
      if (!doc || Object.hasOwn(doc, 'circuit') || !(Object.hasOwn(doc, 'populations') || Object.hasOwn(doc, 'include'))) continue;
      for (const s of SECTIONS) {
        const table = doc[s];
        if (!table || typeof table !== 'object') continue;
        for (const [name, v] of Object.entries(table)) {
          // A model by reference ("./eif.yaml") is no equations form.
          if (typeof v !== 'object' || v === null) continue;
          expect(valueOfDraft(element(s), draftOf(element(s), v), name), `${file} ${s}.${name}`).toEqual(v);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(40);
  });

  it('a projection is sub-forms: connectivity, weight as a value or a distribution, synapse built-in or a model, plasticity', () => {
    const p = element('projections');
    const shape = shapeOf(p);
    if (shape.k !== 'object') throw new Error(`a projection is an object form, got ${shape.k}`);
    const kinds = Object.fromEntries(shape.props.map(([k, q]) => [k, shapeOf(q, 1).k]));
    expect(kinds).toMatchObject({
      source: 'string',
      connectivity: 'object',
      weight: 'either',
      delay: 'either',
      synapse: 'either',
      plasticity: 'object',
    });
    // A population's per-neuron values are a map of sub-forms (a value, a distribution or a list each);
    // a model's parameters stay "name: value" text.
    const pop = shapeOf(element('populations'));
    const popKinds = pop.k === 'object' ? Object.fromEntries(pop.props.map(([k, q]) => [k, shapeOf(q, 1).k])) : {};
    expect(popKinds).toMatchObject({ params: 'map', init: 'yaml', grid: 'yaml' });
    const params = pop.k === 'object' ? shapeOf(pop.props.find(([k]) => k === 'params')![1], 1) : null;
    const valueForms = params?.k === 'map' ? shapeOf(params.value, 2) : null;
    expect(valueForms?.k === 'either' && valueForms.forms.map((f) => f.label)).toEqual(['value', 'distribution', 'list']);
    const model = shapeOf(element('models'));
    expect(model.k === 'object' && shapeOf(model.props.find(([k]) => k === 'parameters')![1], 1).k).toBe('yaml');
    const d = draftOf(p, {
      source: 'a',
      target: 'b',
      connectivity: { type: 'fixed_probability', p: 0.1, autapses: true },
      weight: { normal: { mean: '2 nS', sd: '0.5 nS' } },
      delay: '1.5 ms',
      synapse: { model: 'stp', params: { U: 0.5 } },
    }) as Extract<Draft, { t: 'object' }>;
    const weight = d.fields.weight as Extract<Draft, { t: 'either' }>;
    const delay = d.fields.delay as Extract<Draft, { t: 'either' }>;
    const synapse = d.fields.synapse as Extract<Draft, { t: 'either' }>;
    expect([weight.pick, delay.pick, synapse.pick]).toEqual([1, 0, 1]);
    expect(d.fields.connectivity).toMatchObject({
      t: 'object',
      fields: { p: { t: 'text', text: '0.1' }, autapses: { t: 'text', text: 'true' } },
    });
    const forms = shapeOf(props.projections.additionalProperties.properties!.synapse, 1);
    expect(forms.k === 'either' && forms.forms.map((f) => f.label)).toEqual(['type, receptor', 'model']);
  });

  it('a modulator’s sources and targets are lists of sub-forms; empty fields and items are left out', () => {
    const m = element('modulators');
    const d = draftOf(m, {
      tau: '200 ms',
      sources: [{ population: 'r', gain: 2 }, {}],
      targets: [{ projection: 'p', effect: 'learning_rate' }],
    });
    expect(d).toMatchObject({ t: 'object', fields: { sources: { t: 'list', items: [{ t: 'object' }, { t: 'object' }] } } });
    expect(valueOfDraft(m, d, '')).toEqual({
      tau: '200 ms',
      sources: [{ population: 'r', gain: 2 }],
      targets: [{ projection: 'p', effect: 'learning_rate' }],
    });
    expect(valueOfDraft(m, draftOf(m, undefined), '')).toBeUndefined();
  });

  it('a field that cannot be read is named by its path', () => {
    const p = element('projections');
    const d = draftOf(p, { connectivity: { type: 'fixed_probability', p: 0.1 } }) as Extract<Draft, { t: 'object' }>;
    const conn = d.fields.connectivity as Extract<Draft, { t: 'object' }>;
    const bad: Draft = {
      ...d,
      fields: { ...d.fields, connectivity: { ...conn, fields: { ...conn.fields, p: { t: 'text', text: '[0.1' } } } },
    };
    expect(() => valueOfDraft(p, bad, '')).toThrow(/^connectivity\.p: cannot read "\[0\.1"/);
  });

  it("a bridge document's device is sub-forms too: its framing's forms named by their kind, any device back unchanged (fast-check)", () => {
    // As the page gets it: JSON (GET /api/schema/bridge-devices).
    const device = (JSON.parse(JSON.stringify(BRIDGE_SCHEMA.properties.devices)) as { additionalProperties: PropSchema })
      .additionalProperties;
    const serial = shapeOf(device.properties!.serial, 1);
    if (serial.k !== 'object') throw new Error(`a serial device is an object form, got ${serial.k}`);
    const framing = shapeOf(device.properties!.serial.properties!.framing, 2);
    expect(framing.k === 'either' && framing.forms.map((f) => f.label)).toEqual([
      'kind: lines or json',
      'kind, length',
      'kind: slip or cobs',
    ]);
    expect(shapeOf(device.properties!.serial.properties!.inputs, 2).k).toBe('list');
    // A board's inputs have fields only some kinds take (if/then: a pin, an address): YAML, not a form that would drop them.
    expect(shapeOf(device.properties!.board.properties!.inputs, 2).k).toBe('yaml');
    const imu = { inputs: { accel: { kind: 'imu', address: 104, controller: 'MPU6050' } } };
    expect(valueOfDraft(device.properties!.board, draftOf(device.properties!.board, imu, 1), 'board', 1)).toEqual(imu);
    // A choice gives the schema's own value back: a number stays a number.
    expect(valueOfDraft({ enum: [104, 105] }, { t: 'text', text: '105' }, 'address')).toBe(105);
    fc.assert(
      fc.property(arbitraryOf(device, 0), (v) => {
        expect(valueOfDraft(device, draftOf(device, v), '') ?? {}).toEqual(pruned(v) ?? {});
      }),
      { numRuns: 150 },
    );
  });

  it('any value the schema describes comes back from its form unchanged (fast-check)', () => {
    // Values drawn from the element's own schema: the form must neither lose nor change one, so that
    // Load then Set leaves an element as it was. Empty objects and lists are left out by the form.
    for (const s of SECTIONS) {
      const schema = element(s);
      fc.assert(
        fc.property(arbitraryOf(schema, 0), (v) => {
          expect(valueOfDraft(schema, draftOf(schema, v), '') ?? {}).toEqual(pruned(v) ?? {});
        }),
        { numRuns: 150 },
      );
    }
  });
});

const NAME = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const NUMBER = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
);
const QUANTITY = fc
  .tuple(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom('ms', 'mV', 'nS', 'pA', 'Hz'))
  .map(([n, u]) => `${n} ${u}`);

/** Values a schema describes (its required keys present; strings as the schema's kind of field reads them). */
function arbitraryOf(p: PropSchema, depth: number): fc.Arbitrary<unknown> {
  if (p.enum) return fc.constantFrom(...p.enum);
  if (p.const !== undefined) return fc.constant(p.const);
  // Alternatives that only require keys constrain an object; they are no forms of it.
  const alternatives = p.anyOf ?? p.oneOf;
  if (alternatives?.some((a) => a.type || a.properties || a.enum || a.const !== undefined))
    return fc.oneof(...alternatives.map((a) => arbitraryOf(a, depth + 1)));
  const types = Array.isArray(p.type) ? p.type : [p.type];
  if (types.includes('object')) {
    if (!p.properties) {
      const value =
        p.additionalProperties && typeof p.additionalProperties === 'object' && depth <= 3
          ? arbitraryOf(p.additionalProperties as PropSchema, depth + 1)
          : fc.oneof(NUMBER, QUANTITY);
      return fc.dictionary(NAME, value, { minKeys: 1, maxKeys: 3 });
    }
    const model = Object.fromEntries(Object.entries(p.properties).map(([k, q]) => [k, arbitraryOf(q, depth + 1)]));
    return fc.record(model, { requiredKeys: (p.required ?? []).filter((k) => k in model) });
  }
  if (types.includes('array')) {
    const item = Array.isArray(p.items) || !p.items ? { type: 'number' } : p.items;
    return fc.array(arbitraryOf(item, depth + 1), { minLength: 1, maxLength: 3 });
  }
  if (types.includes('boolean')) return fc.boolean();
  if (types.includes('string') && types.includes('number')) return fc.oneof(NUMBER, QUANTITY);
  if (types.includes('string')) return fc.string({ minLength: 1, maxLength: 12 }).filter((x) => x.trim() !== '');
  if (types.includes('integer')) return fc.integer({ min: 0, max: 1e6 });
  return NUMBER;
}

/** The value without its empty objects and lists (which a form leaves out); undefined when nothing is left. */
function pruned(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(pruned).filter((x) => x !== undefined);
    return items.length ? items : undefined;
  }
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v)
      .map(([k, x]) => [k, pruned(x)] as const)
      .filter(([, x]) => x !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return v;
}
