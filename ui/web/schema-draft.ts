// A document element as a form from its JSON schema, the pure part: how each property is edited (its
// shape), the form's state for a value (a draft: the text of every field, the items of every list, the
// chosen form of every either-or), and the value a draft stands for. Nested objects become sub-forms
// (a projection's connectivity, plasticity, synapse), lists of objects lists of sub-forms (a
// modulator's sources and targets), an either-or (a weight: a value or a distribution) a choice with a
// sub-form per form. The schema stays the one definition: names, choices and descriptions are its.
import { parse as parseYaml } from 'yaml';

export interface PropSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  title?: string;
  description?: string;
  maxLength?: number;
  properties?: Record<string, PropSchema>;
  required?: string[];
  items?: PropSchema | PropSchema[];
  anyOf?: PropSchema[];
  oneOf?: PropSchema[];
  allOf?: { properties?: unknown; then?: { properties?: unknown }; else?: { properties?: unknown } }[];
  additionalProperties?: unknown;
}

export type Shape =
  | { k: 'choice'; options: string[] }
  | { k: 'bool' }
  /** Text as typed (names, descriptions). */
  | { k: 'string' }
  /** Multi-line text as typed (equations, statements). */
  | { k: 'lines' }
  /** A scalar read as YAML: 3 a number, "5 Hz" a quantity. */
  | { k: 'text' }
  /** Anything else as YAML text (maps of parameters, lists of numbers, a merge patch). */
  | { k: 'yaml' }
  | { k: 'object'; props: [string, PropSchema][] }
  | { k: 'list'; item: PropSchema }
  /** Names to values that may be sub-forms (a population's params: a value or a distribution each). */
  | { k: 'map'; value: PropSchema }
  | { k: 'either'; forms: { label: string; schema: PropSchema }[] };

export type Draft =
  | { t: 'text'; text: string }
  | { t: 'object'; fields: Record<string, Draft> }
  | { t: 'list'; items: Draft[] }
  | { t: 'map'; entries: { key: string; value: Draft }[] }
  /** One draft per form, so that switching back keeps what was typed. */
  | { t: 'either'; pick: number; drafts: Draft[] };

/** Deeper than this a value is edited as YAML text (no schema here nests so far). */
const MAX_DEPTH = 5;

const typesOf = (p: PropSchema): string[] => (Array.isArray(p.type) ? p.type : p.type ? [p.type] : []);
const isSubForm = (s: Shape) => s.k === 'object' || s.k === 'list' || s.k === 'either';

/** How a property is edited: its schema decides. */
export function shapeOf(p: PropSchema, depth = 0): Shape {
  if (p.enum) return { k: 'choice', options: p.enum.map(String) };
  if (p.const !== undefined) return { k: 'choice', options: [String(p.const)] };
  // Alternatives that only require keys (a path or a vendorId) constrain the object; they are no forms.
  const alternatives = (p.anyOf ?? p.oneOf)?.some((a) => a.type || a.properties || a.enum || a.const !== undefined)
    ? (p.anyOf ?? p.oneOf)
    : undefined;
  if (alternatives) {
    if (depth >= MAX_DEPTH || !alternatives.some((a) => isSubForm(shapeOf(a, depth + 1)))) {
      return alternatives.every((a) => isScalar(shapeOf(a, depth + 1))) ? { k: 'text' } : { k: 'yaml' };
    }
    const labels = alternatives.map((a, i) => formLabel(a, i));
    // Forms that would share a name are told apart by a field's value (a framing's kind: lines or json, binary, slip or cobs).
    const named = labels.map((l, i) => (labels.indexOf(l) !== labels.lastIndexOf(l) ? (tagLabel(alternatives[i]) ?? l) : l));
    return { k: 'either', forms: alternatives.map((a, i) => ({ label: named[i], schema: a })) };
  }
  const types = typesOf(p);
  if (types.includes('object')) {
    // Fields that only some forms have (if/then: a board input's pin for one kind, its address for another)
    // are not in `properties`: such an object is YAML, or its form would drop them.
    const known = (q: unknown) => Object.keys(isPlainObject(q) ? q : {}).every((k) => Object.hasOwn(p.properties ?? {}, k));
    const conditional = p.allOf?.some((a) => !known(a.properties) || !known(a.then?.properties) || !known(a.else?.properties));
    if (p.properties && depth < MAX_DEPTH && !p.additionalProperties && !conditional)
      return { k: 'object', props: Object.entries(p.properties) };
    // A map whose values may be sub-forms; a map of plain values stays "name: value" text, which says it shorter.
    const value = isPlainObject(p.additionalProperties) ? (p.additionalProperties as PropSchema) : undefined;
    if (!p.properties && value && depth < MAX_DEPTH && isSubForm(shapeOf(value, depth + 1))) return { k: 'map', value };
    return { k: 'yaml' };
  }
  if (types.includes('array')) {
    const item = p.items;
    return item && !Array.isArray(item) && depth < MAX_DEPTH && shapeOf(item, depth + 1).k === 'object'
      ? { k: 'list', item }
      : { k: 'yaml' };
  }
  if (types.length === 1 && types[0] === 'boolean') return { k: 'bool' };
  if (types.includes('string') && !types.includes('number') && (p.maxLength ?? 0) >= 2000) return { k: 'lines' };
  if (types.length === 1 && types[0] === 'string') return { k: 'string' };
  return { k: 'text' };
}

function isScalar(s: Shape): boolean {
  return s.k === 'choice' || s.k === 'bool' || s.k === 'string' || s.k === 'lines' || s.k === 'text';
}

/** A form's name in the either-or choice: "value", its title, its tag field's values, its required fields, or its description's head. */
function formLabel(a: PropSchema, i: number): string {
  const s = shapeOf(a, MAX_DEPTH - 1);
  if (isScalar(s)) return 'value';
  if (a.title) return a.title;
  if (typesOf(a).includes('array')) return 'list';
  if (a.required?.length) return a.required.join(', ');
  const head = a.description?.split(/[:;,(]/)[0].trim();
  return head || (a.properties ? Object.keys(a.properties).join(' / ') : `form ${i + 1}`);
}

/** "kind: lines or json": a required field whose values tell this form from the others, if it has one. */
function tagLabel(a: PropSchema): string | undefined {
  const tag = Object.entries(a.properties ?? {}).find(([k, q]) => a.required?.includes(k) && (q.enum || q.const !== undefined));
  return tag && `${tag[0]}: ${(tag[1].enum ?? [tag[1].const]).map(String).join(' or ')}`;
}

/** A document value as a field's text: objects and lists as flow YAML (which JSON is), nothing as empty. */
export function fieldText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);

/** The form's state for `value` (undefined: an empty form). */
export function draftOf(p: PropSchema, value: unknown, depth = 0): Draft {
  const s = shapeOf(p, depth);
  switch (s.k) {
    case 'object': {
      const v = isPlainObject(value) ? value : {};
      return { t: 'object', fields: Object.fromEntries(s.props.map(([k, q]) => [k, draftOf(q, own(v, k), depth + 1)])) };
    }
    case 'list':
      return { t: 'list', items: Array.isArray(value) ? value.map((x) => draftOf(s.item, x, depth + 1)) : [] };
    case 'map':
      return {
        t: 'map',
        entries: isPlainObject(value) ? Object.entries(value).map(([key, x]) => ({ key, value: draftOf(s.value, x, depth + 1) })) : [],
      };
    case 'either': {
      const pick =
        value === undefined
          ? 0
          : Math.max(
              0,
              s.forms.findIndex((f) => fits(f.schema, value, depth + 1)),
            );
      return { t: 'either', pick, drafts: s.forms.map((f, i) => draftOf(f.schema, i === pick ? value : undefined, depth + 1)) };
    }
    default:
      return { t: 'text', text: fieldText(value) };
  }
}

/** Whether `value` is written in the form `p` (a first, shallow look: the checker has the last word). */
function fits(p: PropSchema, value: unknown, depth: number): boolean {
  const s = shapeOf(p, depth);
  if (s.k === 'object') {
    if (!isPlainObject(value)) return false;
    const keys = Object.keys(value);
    return keys.every((k) => s.props.some(([n]) => n === k)) && (p.required ?? []).every((k) => keys.includes(k));
  }
  if (s.k === 'list' || (s.k === 'yaml' && typesOf(p).includes('array'))) return Array.isArray(value);
  if (s.k === 'yaml' || s.k === 'map') return isPlainObject(value);
  if (s.k === 'either') return s.forms.some((f) => fits(f.schema, value, depth + 1));
  return !isPlainObject(value) && !Array.isArray(value);
}

/** A field's value as YAML: "6 nS" stays a string, "0.02" is a number, "{ normal: { mean: -65 mV, sd: 5 mV } }" a distribution. */
export function parseField(name: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new Error(`${name}: cannot read "${text.trim()}" (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
}

/**
 * The value a draft stands for; undefined where nothing was filled in (left out of the element), so
 * that an empty sub-form adds no key. Throws naming the field (`connectivity.p`) that cannot be read.
 */
export function valueOfDraft(p: PropSchema, d: Draft, path: string, depth = 0): unknown {
  const s = shapeOf(p, depth);
  if (s.k === 'object' && d.t === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, q] of s.props) {
      const f = own(d.fields, k) as Draft | undefined;
      const v = f ? valueOfDraft(q, f, path ? `${path}.${k}` : k, depth + 1) : undefined;
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (s.k === 'list' && d.t === 'list') {
    const items = d.items.map((x, i) => valueOfDraft(s.item, x, `${path}[${i}]`, depth + 1)).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (s.k === 'map' && d.t === 'map') {
    const out: Record<string, unknown> = {};
    for (const [i, e] of d.entries.entries()) {
      const key = e.key.trim();
      if (!key) continue;
      if (Object.hasOwn(out, key)) throw new Error(`${path}: "${key}" is named twice (entry ${i + 1})`);
      const v = valueOfDraft(s.value, e.value, path ? `${path}.${key}` : key, depth + 1);
      // Defined, not assigned: a key typed as "__proto__" stays a key (the server's checker refuses it by name).
      if (v !== undefined) Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (s.k === 'either' && d.t === 'either') {
    const form = s.forms[d.pick] ?? s.forms[0];
    return valueOfDraft(form.schema, d.drafts[d.pick] ?? draftOf(form.schema, undefined, depth + 1), path, depth + 1);
  }
  if (d.t !== 'text') return undefined;
  const text = d.text;
  if (!text.trim()) return undefined;
  switch (s.k) {
    case 'choice': {
      // The schema's own value (a number stays a number: an IMU address 104), as the option shows it.
      const options = p.enum ?? (p.const !== undefined ? [p.const] : []);
      const chosen = options.find((x) => String(x) === text);
      return chosen === undefined ? text : chosen;
    }
    case 'string':
    case 'lines':
      return text;
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : parseField(path, text);
    default:
      return parseField(path, text);
  }
}

/** The value a whole form stands for (an empty form: an empty element), or why a field cannot be read. */
export function formValue(schema: PropSchema, draft: Draft): { value: unknown } | { error: string } {
  try {
    return { value: valueOfDraft(schema, draft, '') ?? {} };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
