// Module composition: `extends` (a document merged over its base), `include` (another circuit under a
// prefix, with a merge-patch override) and `ports` (aliases a module exposes). The result is one flat
// document with qualified names ("left.flexor") plus, for every element, where it was written, so
// later checks can point at the right file and line.
import semver from 'semver';
import { parseFile, parseText, schemaIssues, splitPointer, type ParsedFile } from './parse.js';
import { SECTIONS, locateIn, type FlatCircuit, type Layer, type ModuleNode, type Section } from './flat.js';
import { CircuitError, IssueList, pointer, type CircuitIssue } from './errors.js';
import { mergePatch, isPlainObject } from './merge.js';
import { checkCircuit } from './check.js';
import type { CircuitDoc, IncludeDoc } from './document.js';
import { host } from '../platform/host.js';

const dirname = (path: string): string => host().dirname(path);
const join = (...segments: string[]): string => host().join(...segments);
const resolvePath = (...segments: string[]): string => host().resolve(...segments);
const isAbsolute = (path: string): boolean => host().isAbsolute(path);

// Callers that load a flat circuit also read its shape and follow its ports: one import for both.
export { SECTIONS, followPorts, type FlatCircuit, type Layer, type ModuleNode, type Origin, type Section } from './flat.js';

interface MergedModule {
  doc: CircuitDoc;
  layers: Layer[];
  includes: { spec: IncludeDoc; layer: Layer; path: string }[];
  /** Elements left out because the schema rejected them (already reported), by local name. */
  broken: string[];
}

/**
 * Leaves out what the schema rejected so the remaining document can still be checked for
 * references, units and ranges: every problem is reported in one run. Returns null when the
 * problem is in the document's structure (includes, extends) and nothing further can be trusted.
 */
function pruneRejected(doc: CircuitDoc, paths: string[]): { doc: CircuitDoc; broken: string[] } | null {
  const out = { ...doc } as Record<string, unknown>;
  const broken: string[] = [];
  for (const path of paths) {
    const [top, name] = splitPointer(path);
    if (top === undefined || top === 'include' || top === 'extends') return null;
    if ((SECTIONS as string[]).includes(top) && name !== undefined && isPlainObject(out[top])) {
      const section = { ...(out[top] as Record<string, unknown>) };
      delete section[name];
      out[top] = section;
      broken.push(name);
    } else delete out[top];
  }
  return { doc: out as CircuitDoc, broken };
}

function layerOf(p: ParsedFile): Layer {
  return { file: p.file, prefix: '', raw: p.doc, locate: p.locate };
}

/** Whether an include/extends reference is a file path (relative, absolute, or ending in .yaml/.json) rather than a package circuit. */
export function isModulePath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(ya?ml|json)$/i.test(spec);
}

/** The package a package reference names: `@lab/cpg/half-centre` -> `@lab/cpg`, `cpg/x` -> `cpg`. */
export function packageNameOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Resolves an include/extends reference: a path relative to the including file, or "<package>/<circuit>". */
/** A package circuit or model (`@lab/cpg/half-centre`), or a file path, as a file; `kind` is the package.json table. */
export function resolveModulePath(spec: string, fromFile: string, kind: 'circuits' | 'models' = 'circuits'): string {
  if (isModulePath(spec)) return resolvePath(dirname(fromFile), spec);
  const what = kind === 'circuits' ? 'circuit' : 'model';
  const pkgName = packageNameOf(spec);
  const entry = spec.slice(pkgName.length + 1);
  const pkgDir = findPackageDir(pkgName, fromFile);
  if (!pkgDir) throw new Error(`package "${pkgName}" is not installed (looked from ${dirname(fromFile)}); install it with npm`);
  const manifest = JSON.parse(host().readText(join(pkgDir, 'package.json'))) as { flux?: Record<string, unknown> };
  const table = manifest.flux?.[kind];
  const entries: Record<string, unknown> = isPlainObject(table) ? table : {};
  const rel = Object.hasOwn(entries, entry) ? entries[entry] : undefined;
  if (typeof rel !== 'string') {
    const known = Object.keys(entries);
    throw new Error(
      `package "${pkgName}" provides no ${what} "${entry}"` +
        (known.length ? ` (it provides: ${known.join(', ')})` : ` (its package.json has no flux.${kind})`),
    );
  }
  const file = resolvePath(pkgDir, rel);
  if (!file.startsWith(resolvePath(pkgDir) + '/'))
    throw new Error(`package "${pkgName}" names ${what} "${entry}" outside the package (${rel})`);
  return file;
}

/**
 * A model given by reference (`models: { eif: "@lab/neurons/eif" }` or `"./eif.yaml"`): the model
 * file, checked against the model schema, with a layer so problems point into that file.
 */
function importModel(ref: string, name: string, layers: Layer[], issues: CircuitIssue[]): { doc: unknown; layer: Layer } | null {
  const where = locateIn(layers, pointer('models', name));
  try {
    const file = resolveModulePath(ref, where.file, 'models');
    const parsed = parseFile(file);
    const list = new IssueList(file, parsed.locate);
    schemaIssues(parsed.doc, list, '', '#/properties/models/additionalProperties/anyOf/0');
    issues.push(...list.issues);
    return list.ok ? { doc: parsed.doc, layer: { file, prefix: '', raw: parsed.doc, locate: parsed.locate } } : null;
  } catch (e) {
    if (e instanceof CircuitError) issues.push(...e.issues);
    else issues.push({ ...where, message: (e as Error).message });
    return null;
  }
}

/**
 * Why the installed package of a package circuit does not satisfy `range` (semver), or null when it
 * does. A path module has no version: giving one is a mistake too.
 */
export function versionProblem(spec: string, range: string, fromFile: string): string | null {
  if (isModulePath(spec)) return `"${spec}" is a file, not a package circuit: it has no version to check`;
  if (semver.validRange(range) === null) return `"${range}" is not a semver range (e.g. ^1.2.0, ~1.2, >=1.0.0 <3)`;
  const pkgName = packageNameOf(spec);
  const dir = findPackageDir(pkgName, fromFile)!;
  const installed = (JSON.parse(host().readText(join(dir, 'package.json'))) as { version?: string }).version ?? '(no version)';
  // A prerelease (1.3.0-beta.1) installed on purpose satisfies the range it is meant for.
  if (semver.valid(installed) && semver.satisfies(installed, range, { includePrerelease: true })) return null;
  return `package "${pkgName}" is ${installed}, which does not satisfy ${range}; install a matching version: npm install "${pkgName}@${range}"`;
}

/** The folder of an installed package, found as Node finds it from `fromFile` (node_modules upwards). */
export function findPackageDir(pkgName: string, fromFile: string): string | undefined {
  return host().packageDir(pkgName, fromFile);
}

function loadMerged(file: string, stack: string[], issues: CircuitIssue[], text?: string): MergedModule | undefined {
  if (stack.includes(file)) {
    issues.push({ file: stack[stack.length - 1], path: '', message: `circular module reference: ${[...stack, file].join(' -> ')}` });
    return undefined;
  }
  let parsed: ParsedFile;
  try {
    parsed = text === undefined ? parseFile(file) : parseText(text, file);
  } catch (e) {
    if (e instanceof CircuitError) {
      issues.push(...e.issues);
      return undefined;
    }
    throw e;
  }
  const self = layerOf(parsed);
  let own = parsed.doc;
  let broken: string[] = [];
  if (!parsed.doc.extends || typeof parsed.doc.extends !== 'string') {
    const list = new IssueList(file, parsed.locate);
    schemaIssues(parsed.doc, list);
    issues.push(...list.issues);
    if (!list.ok) {
      const pruned = pruneRejected(
        parsed.doc,
        list.issues.map((i) => i.path),
      );
      if (!pruned) return undefined;
      own = pruned.doc;
      broken = pruned.broken;
    }
  }
  const ownIncludes = (own.include ?? []).map((spec, i) => ({ spec, layer: self, path: pointer('include', i) }));
  if (!own.extends) return { doc: own, layers: [self], includes: ownIncludes, broken };
  let basePath: string;
  try {
    basePath = resolveModulePath(own.extends, file);
  } catch (e) {
    issues.push({ file, path: '/extends', line: parsed.locate('/extends'), message: (e as Error).message });
    return undefined;
  }
  const base = loadMerged(basePath, [...stack, file], issues);
  if (!base) return undefined;
  const { extends: _drop, include: _inc, ...patch } = parsed.doc;
  let doc = mergePatch(base.doc, patch) as CircuitDoc;
  delete doc.extends;
  // A derived document is a merge patch (it may give only the changed fields, or null to delete):
  // the schema applies to the merged result, and problems point at whichever file wrote the value.
  const layers = [self, ...base.layers];
  const list = new IssueList(file);
  schemaIssues({ ...doc, include: [...(base.doc.include ?? []), ...(parsed.doc.include ?? [])] }, list);
  for (const i of list.issues) issues.push({ ...locateIn(layers, i.path), message: i.message });
  broken = [...base.broken];
  if (!list.ok) {
    const pruned = pruneRejected(
      doc,
      list.issues.map((i) => i.path),
    );
    if (!pruned) return undefined;
    doc = pruned.doc;
    broken.push(...pruned.broken);
  }
  // Includes accumulate along the inheritance chain instead of replacing each other.
  return { doc, layers, includes: [...base.includes, ...ownIncludes], broken };
}

const qualify = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/** Names that would be read as (or write to) every object's own machinery rather than as data. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

function qualifyRefs(section: Section, el: Record<string, unknown>, q: (n: string) => string, models: object): Record<string, unknown> {
  const out = structuredClone(el);
  const re = (obj: Record<string, unknown>, key: string) => {
    if (typeof obj[key] === 'string') obj[key] = q(obj[key] as string);
  };
  if (section === 'populations') {
    // A model the module defines itself is the module's (qualified like its populations); others are built-in.
    if (typeof out.model === 'string' && Object.hasOwn(models, out.model)) re(out, 'model');
  } else if (section === 'projections') {
    re(out, 'source');
    re(out, 'target');
    // A synapse model the module defines is the module's, as for a population's model.
    if (isPlainObject(out.synapse) && typeof out.synapse.model === 'string' && Object.hasOwn(models, out.synapse.model))
      re(out.synapse, 'model');
    if (isPlainObject(out.plasticity)) re(out.plasticity, 'modulator');
  } else if (section === 'modulators') {
    for (const s of (out.sources as Record<string, unknown>[] | undefined) ?? []) {
      re(s, 'population');
      re(s, 'input');
    }
    for (const t of (out.targets as Record<string, unknown>[] | undefined) ?? []) {
      re(t, 'population');
      re(t, 'projection');
    }
  } else if (section === 'sources' || section === 'inputs') {
    re(out, 'target');
  } else if (section === 'outputs') {
    re(out, 'source');
  }
  return out;
}

function flatten(
  merged: MergedModule,
  prefix: string,
  file: string,
  stack: string[],
  flat: FlatCircuit,
  issues: CircuitIssue[],
): ModuleNode {
  const node: ModuleNode = { prefix, file, name: merged.doc.name, children: [] };
  const q = (n: string) => qualify(prefix, n);
  for (const section of SECTIONS) {
    const entries = merged.doc[section] as Record<string, Record<string, unknown>> | undefined;
    if (!entries) continue;
    const target = ((flat.doc[section] as Record<string, unknown> | undefined) ??= {}) as Record<string, unknown>;
    for (const [name, el] of Object.entries(entries)) {
      const qn = q(name);
      if (RESERVED_NAMES.has(name)) {
        issues.push({
          ...locateIn(merged.layers, pointer(section, name)),
          message: `"${name}" is reserved (it names a property of every JavaScript object); choose another name`,
        });
        continue;
      }
      if (Object.hasOwn(target, qn)) {
        const where = locateIn(merged.layers, pointer(section, name));
        issues.push({ ...where, message: `${section.slice(0, -1)} "${qn}" is defined twice (a module prefix collides with a name)` });
        continue;
      }
      if (section === 'models' && typeof el === 'string') {
        const imported = importModel(el, name, merged.layers, issues);
        if (imported) {
          target[qn] = imported.doc;
          flat.origins.set(`models:${qn}`, { layers: [imported.layer], local: '' });
        } else flat.broken.add(qn);
        continue;
      }
      target[qn] = qualifyRefs(section, el, q, isPlainObject(merged.doc.models) ? merged.doc.models : {});
      flat.origins.set(`${section}:${qn}`, { layers: merged.layers, local: pointer(section, name) });
    }
  }
  for (const [port, ref] of Object.entries(merged.doc.ports ?? {})) flat.aliases.set(q(port), q(ref));
  // Where populations run is the run's choice: the document that is run says it, a module does not.
  if (merged.doc.placement !== undefined) {
    if (prefix === '') flat.doc.placement = { ...merged.doc.placement };
    else
      issues.push({
        ...locateIn(merged.layers, '/placement'),
        message: `placement belongs to the circuit that is run, not to a module (included as ${prefix})`,
      });
  }
  for (const name of merged.broken) flat.broken.add(q(name));
  for (const inc of merged.includes) {
    const where = { file: inc.layer.file, path: inc.layer.prefix + inc.path, line: inc.layer.locate(inc.layer.prefix + inc.path) };
    let childFile: string;
    try {
      childFile = resolveModulePath(inc.spec.module, inc.layer.file);
    } catch (e) {
      issues.push({ ...where, path: where.path + '/module', message: (e as Error).message });
      continue;
    }
    if (inc.spec.version !== undefined) {
      const problem = versionProblem(inc.spec.module, inc.spec.version, inc.layer.file);
      if (problem) {
        issues.push({
          ...where,
          path: where.path + '/version',
          line: inc.layer.locate(where.path + '/version') ?? where.line,
          message: problem,
        });
        continue;
      }
    }
    const child = loadMerged(childFile, [...stack], issues);
    if (!child) continue;
    if (stack.includes(childFile)) {
      issues.push({ ...where, message: `circular include: ${[...stack, childFile].join(' -> ')}` });
      continue;
    }
    let layers = child.layers;
    let doc = child.doc;
    if (inc.spec.override) {
      const overridePath = where.path + '/override';
      doc = mergePatch(child.doc, inc.spec.override) as CircuitDoc;
      const overrideLayer: Layer = { file: inc.layer.file, prefix: overridePath, raw: inc.spec.override, locate: inc.layer.locate };
      layers = [overrideLayer, ...child.layers];
      const list = new IssueList(childFile);
      schemaIssues(doc, list);
      for (const i of list.issues) issues.push({ ...locateIn(layers, i.path), message: i.message + ' (after override)' });
      if (!list.ok) {
        const pruned = pruneRejected(
          doc,
          list.issues.map((i) => i.path),
        );
        if (!pruned) continue;
        doc = pruned.doc;
        child.broken.push(...pruned.broken);
      }
    }
    const childNode = flatten({ ...child, doc, layers }, q(inc.spec.prefix), childFile, [...stack, childFile], flat, issues);
    node.children.push(childNode);
  }
  return node;
}

/** Loads a circuit file with its bases and modules into one flat document. Throws CircuitError with every problem. */
export function loadFlat(file: string, text?: string): FlatCircuit {
  const abs = resolvePath(file);
  const issues: CircuitIssue[] = [];
  const merged = loadMerged(abs, [], issues, text);
  if (!merged) throw new CircuitError(issues);
  const flat: FlatCircuit = {
    rootFile: abs,
    rootLayers: merged.layers,
    doc: { name: merged.doc.name, description: merged.doc.description, dt: merged.doc.dt, seed: merged.doc.seed },
    aliases: new Map(),
    origins: new Map(),
    modules: { prefix: '', file: abs, children: [] },
    broken: new Set(),
  };
  flat.modules = flatten(merged, '', abs, [abs], flat, issues);
  if (issues.length > 0) {
    // Report the reference, unit and range problems of what the schema accepted in the same run.
    try {
      checkCircuit(flat);
    } catch (e) {
      if (!(e instanceof CircuitError)) throw e;
      issues.push(...e.issues);
    }
    throw new CircuitError(issues);
  }
  return flat;
}
