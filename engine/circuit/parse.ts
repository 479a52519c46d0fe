// Reading circuit files: JSON or YAML (JSON is read by the YAML parser too, which keeps line
// positions for error messages) and checking them against the JSON Schema with ajv.
import { LineCounter, parseDocument, isCollection } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import { circuitSchema, NAME_PATTERN } from './schema.js';
import { CircuitError, IssueList } from './errors.js';
import type { CircuitDoc } from './document.js';
import { QUANTITY_PATTERN } from '../units.js';
import { host } from '../platform/host.js';

export interface ParsedFile {
  file: string;
  doc: CircuitDoc;
  /** Line (1-based) of the value at a JSON pointer, or of its nearest existing parent. */
  locate: (pointer: string) => number | undefined;
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function parseText(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const ydoc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  if (ydoc.errors.length > 0) {
    throw new CircuitError(
      ydoc.errors.map((e) => ({
        file,
        path: '',
        line: lineCounter.linePos(e.pos[0]).line,
        message: `syntax error: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  let doc: unknown;
  try {
    doc = ydoc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // The YAML library refuses documents whose aliases expand without bound ("billion laughs").
    throw new CircuitError([{ file, path: '', message: `cannot expand the document: ${(e as Error).message}` }]);
  }
  const locate = (pointer: string): number | undefined => {
    const parts: (string | number)[] = splitPointer(pointer).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    while (true) {
      const node = parts.length === 0 ? ydoc.contents : ydoc.getIn(parts, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
      if (parts.length === 0) return undefined;
      parts.pop();
    }
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !isCollection(ydoc.contents)) {
    throw new CircuitError([
      { file, path: '', line: 1, message: 'expected a circuit document (an object with populations, projections, ...)' },
    ]);
  }
  return { file, doc: doc as CircuitDoc, locate };
}

export function parseFile(file: string): ParsedFile {
  let text: string;
  try {
    text = host().readText(file);
  } catch (e) {
    throw new CircuitError([{ file, path: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  return parseText(text, file);
}

let ajv: Ajv | undefined;
function getAjv(): Ajv {
  if (!ajv) {
    // strictNumbers: NaN and ±Infinity (YAML .nan, .inf, 1e400) are not numbers to any field.
    ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true });
    ajv.addSchema(circuitSchema(), 'circuit');
  }
  return ajv;
}

/** Validates a whole document, or a fragment against a sub-schema ("#/properties/populations/additionalProperties"). */
export function schemaIssues(data: unknown, issues: IssueList, basePath = '', fragment = ''): void {
  const validate = getAjv().getSchema('circuit' + (fragment ? fragment : ''));
  if (!validate) throw new Error(`no schema fragment ${fragment}`);
  if (validate(data)) return;
  // Two branches (a model's parameter schema and the generic one) may say the same about one value.
  const said = new Set<string>();
  for (const e of usefulErrors(validate.errors ?? [], data)) {
    const { path, message } = describe(e, valueAt(data, e.instancePath));
    if (said.has(path + '\n' + message)) continue;
    said.add(path + '\n' + message);
    issues.add(basePath + path, message);
  }
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur: unknown = data;
  for (const p of splitPointer(pointer)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, p)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/**
 * ajv reports every branch of an anyOf; keep only the branch that fits the value's kind
 * (a quantity for strings and numbers, a distribution for objects) and drop if/then bookkeeping.
 */
function usefulErrors(errors: ErrorObject[], data: unknown): ErrorObject[] {
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const out: ErrorObject[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'anyOf') continue;
    const branch = /\/anyOf\/(\d+)\//.exec(e.schemaPath);
    if (branch) {
      const valuePath = anyOfPaths
        .filter((a) => e.instancePath === a || e.instancePath.startsWith(a + '/'))
        .sort((x, y) => y.length - x.length)[0];
      const isObject = typeof valueAt(data, valuePath ?? e.instancePath) === 'object';
      if ((branch[1] === '1') !== isObject) continue;
    }
    const key = e.instancePath + '|' + e.keyword + '|' + JSON.stringify(e.params);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

function describe(e: ErrorObject, value: unknown): { path: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return {
        path: `${e.instancePath}/${String(p.additionalProperty)}`,
        message: `unknown property "${String(p.additionalProperty)}"` + (allowed.length ? `; expected one of: ${allowed.join(', ')}` : ''),
      };
    }
    case 'required':
      return { path: e.instancePath, message: `missing required property "${String(p.missingProperty)}"` };
    case 'enum':
      return {
        path: e.instancePath,
        message: `expected one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { path: e.instancePath, message: `expected ${JSON.stringify(p.allowedValue)}` };
    case 'pattern':
      if (p.pattern === QUANTITY_PATTERN)
        return { path: e.instancePath, message: 'expected a number or a quantity with a unit, e.g. "20 ms", "-65 mV", "6 nS"' };
      if (p.pattern === NAME_PATTERN)
        return { path: e.instancePath, message: 'expected a name of letters, digits and _ (not starting with a digit)' };
      return { path: e.instancePath, message: `expected a name like "pop" or "module.pop" (pattern ${String(p.pattern)})` };
    case 'propertyNames':
      return {
        path: `${e.instancePath}/${String(p.propertyName)}`,
        message: `invalid name "${String(p.propertyName)}": use letters, digits and _, not starting with a digit`,
      };
    case 'dependencies':
      return { path: e.instancePath, message: `"${String(p.missingProperty)}" is required when "${String(p.property)}" is given` };
    case 'type':
      if (typeof value === 'number' && !Number.isFinite(value))
        return { path: e.instancePath, message: `expected a finite number, got ${value}` };
      return { path: e.instancePath, message: `expected ${Array.isArray(p.type) ? p.type.join(' or ') : String(p.type)}` };
    case 'minItems':
    case 'maxItems':
      return { path: e.instancePath, message: `expected at ${e.keyword === 'minItems' ? 'least' : 'most'} ${String(p.limit)} items` };
    default:
      return { path: e.instancePath, message: `expected a value that ${e.message ?? 'matches the schema'}` };
  }
}
