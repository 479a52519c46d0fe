// The circuit file's text with one element set, the YAML edited in place (comments, key order and
// layout of the rest kept): an element of a section by name, a module (an `include` entry, by its
// prefix) or a port. Also the root document's modules and ports as tables by name, as the element
// form loads them, and the check of a module the page names (a listed package circuit or a file in
// the circuit's folder, never a path outside it).
import { dirname, relative, isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, parse as parseYaml, parseDocument } from 'yaml';
import semver from 'semver';
import { isModulePath } from '../engine/circuit/resolve.js';
import { isPlainObject } from '../engine/circuit/merge.js';
import { ideFiles } from './files.js';
import type { InstalledCircuit } from '../sharing/packages.js';

/** A refusal with the HTTP status it gets (the session's RefusedEdit, which this module must not import). */
export class SectionRefusal extends Error {}

const isJson = (file: string) => /\.json$/i.test(file);

/** `text` with `section.name` set to `value` (null: removed), comments and layout of the rest kept. */
export function withElement(file: string, text: string, section: string, name: string, value: unknown): string {
  if (isJson(file)) {
    const d = JSON.parse(text) as Record<string, Record<string, unknown> | undefined>;
    const table = (d[section] = isPlainObject(d[section]) ? d[section] : {});
    if (value === null) delete table[name];
    else table[name] = value;
    return JSON.stringify(d, null, 2) + '\n';
  }
  const doc = parseDocument(text);
  if (value === null) doc.deleteIn([section, name]);
  else {
    if (!isMap(doc.get(section))) doc.set(section, doc.createNode({}));
    doc.setIn([section, name], doc.createNode(value));
  }
  return doc.toString({ lineWidth: 0 });
}

/** An include entry as a document writes it. */
export interface IncludeEntry {
  module: string;
  prefix: string;
  override?: Record<string, unknown>;
  version?: string;
}

/**
 * `text` with the include entry of `prefix` set to `entry` (null: removed): replaced where it is, or
 * added at the end of `include` (created when missing).
 */
export function withModule(file: string, text: string, prefix: string, entry: IncludeEntry | null): string {
  const at = (list: unknown[]) => list.findIndex((x) => isPlainObject(x) && x.prefix === prefix);
  if (isJson(file)) {
    const d = JSON.parse(text) as { include?: unknown[] };
    const list = Array.isArray(d.include) ? d.include : (d.include = []);
    const i = at(list);
    if (entry === null) {
      if (i >= 0) list.splice(i, 1);
    } else if (i >= 0) list[i] = entry;
    else list.push(entry);
    return JSON.stringify(d, null, 2) + '\n';
  }
  const doc = parseDocument(text);
  const seq = doc.get('include');
  const i = isSeq(seq) ? at(seq.toJSON() as unknown[]) : -1;
  if (entry === null) {
    if (i >= 0) doc.deleteIn(['include', i]);
  } else if (i >= 0) doc.setIn(['include', i], doc.createNode(entry, { flow: true }));
  else {
    if (!isSeq(seq)) doc.set('include', doc.createNode([]));
    (doc.get('include') as { add(v: unknown): void }).add(doc.createNode(entry, { flow: true }));
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * The root document's modules (its include entries by prefix, without the prefix) and ports (each
 * `{ population }`): the shape the element form edits them in.
 */
export function rootTables(file: string, text: string): { modules: Record<string, unknown>; ports: Record<string, unknown> } {
  const doc = (isJson(file) ? JSON.parse(text) : parseYaml(text, { merge: true })) as unknown;
  const d = isPlainObject(doc) ? doc : {};
  const modules: Record<string, unknown> = {};
  for (const x of Array.isArray(d.include) ? d.include : []) {
    if (!isPlainObject(x) || typeof x.prefix !== 'string' || Object.hasOwn(modules, x.prefix)) continue;
    const { prefix, ...rest } = x;
    modules[prefix] = rest;
  }
  const ports: Record<string, unknown> = {};
  if (isPlainObject(d.ports)) for (const [k, v] of Object.entries(d.ports)) ports[k] = { population: v };
  return { modules, ports };
}

/**
 * The include entry the page asks for (`value` as the element form sends it: module, override,
 * version), checked: the module is the one the file has already, a package circuit the component
 * browser lists (its installed version in `version`), or a circuit file in the circuit's folder or
 * below it (a path elsewhere would read any file and tell which exist).
 */
export function checkedInclude(
  circuitFile: string,
  prefix: string,
  value: unknown,
  current: unknown,
  listed: (module: string) => InstalledCircuit,
): IncludeEntry {
  if (!isPlainObject(value)) throw new SectionRefusal('value: the module as { module, override, version }');
  const extra = Object.keys(value).filter((k) => !['module', 'override', 'version'].includes(k));
  if (extra.length) throw new SectionRefusal(`${extra[0]}: a module has module, override and version`);
  const { module, override, version } = value;
  if (typeof module !== 'string' || !module || module.length > 200)
    throw new SectionRefusal('module: a package circuit ("<package>/<circuit>") or a circuit file beside this one');
  if (override !== undefined && !isPlainObject(override))
    throw new SectionRefusal('override: a merge patch (an object) of the module document');
  checkVersionRange(version);
  const kept = isPlainObject(current) && current.module === module;
  if (override !== undefined) checkOverrideFiles(override, isPlainObject(current) ? current.override : undefined);
  if (isModulePath(module)) {
    if (!kept) confinedFile(circuitFile, module);
    if (version !== undefined) throw new SectionRefusal('version: only a package circuit has a version to check');
  } else if (!kept || version !== undefined) {
    const found = listed(module);
    if (version !== undefined) checkInstalledVersion(found, version);
  }
  return { module, prefix, ...(override !== undefined ? { override } : {}), ...(version !== undefined ? { version } : {}) };
}

/** A version range as a request gives it, or a refusal. */
export function checkVersionRange(version: unknown): asserts version is string | undefined {
  if (version !== undefined && (typeof version !== 'string' || version.length > 64 || semver.validRange(version) === null))
    throw new SectionRefusal('version: a semver range (e.g. ^1.0.0)');
}

/** That the installed package is in the range, or a refusal. */
export function checkInstalledVersion(found: InstalledCircuit, version: string): void {
  if (!semver.satisfies(found.version, version))
    throw new SectionRefusal(`version: ${found.package} is installed at ${found.version}, which is not in ${version}`);
}

/**
 * The fields of a module document that name files (its base, its own includes, a model by reference):
 * an override from a request may not set them, or it would make the loader read any file (and tell
 * which exist) past the module check. What the file's override has already is kept as it is.
 */
function checkOverrideFiles(override: Record<string, unknown>, current: unknown): void {
  const before = isPlainObject(current) ? current : {};
  const same = (k: string) => JSON.stringify(override[k]) === JSON.stringify(before[k]);
  for (const k of ['extends', 'include'])
    if (Object.hasOwn(override, k) && !same(k)) throw new SectionRefusal(`override.${k}: names files; write it in the module's own file`);
  const models = isPlainObject(override.models) ? override.models : {};
  const had = isPlainObject(before.models) ? before.models : {};
  for (const [name, m] of Object.entries(models))
    if (typeof m === 'string' && !(Object.hasOwn(had, name) && had[name] === m))
      throw new SectionRefusal(`override.models.${name}: a model by reference names a file or package; write it in the module's own file`);
}

/** A circuit file named relative to the circuit, in its folder or below (refused otherwise, naming no other file). */
function confinedFile(circuitFile: string, spec: string): void {
  const files = ideFiles();
  const folder = files.realpath(dirname(circuitFile));
  const refuse = () => new SectionRefusal(`module: "${spec}" is no circuit file in this circuit's folder (${folder}) or below it`);
  if (isAbsolute(spec) || !/\.(ya?ml|json)$/i.test(spec)) throw refuse();
  const path = resolve(folder, spec);
  const inside = (p: string) => {
    const r = relative(folder, p);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  if (!inside(path) || !files.exists(path) || !inside(files.realpath(path))) throw refuse();
}
