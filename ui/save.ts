// Saving a live-edited circuit back to its file. The engine holds one flat document (modules inlined,
// names qualified); the file on disk is a document that may extend a base and include modules. Save
// works out, element by element, what changed between the file as it loads now and the running
// network, and writes each change where it belongs: a root element into the root document (as a merge
// patch over the base when the document `extends` one), an element of an included module into that
// include's `override`. The YAML is edited in place (comments and layout of untouched parts survive;
// anchors and aliases are expanded so an edit to one element cannot leak into another). Before the
// file is written, the new text is loaded and its flat document compared with the running one: a save
// that would not reload equal is refused, and nothing is written.
import { basename, resolve } from 'node:path';
import { isCollection, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { loadFlat, resolveModulePath, SECTIONS, type FlatCircuit, type ModuleNode, type Section } from '../engine/circuit/resolve.js';
import { isPlainObject } from '../engine/circuit/merge.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { host } from '../engine/platform/host.js';
import { ideFiles, type StagedWrite } from './files.js';

export class SaveError extends Error {}

type Obj = Record<string, unknown>;

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as Obj).filter((k) => (a as Obj)[k] !== undefined);
  const kb = Object.keys(b as Obj).filter((k) => (b as Obj)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Obj)[k], (b as Obj)[k]));
}

/** The JSON Merge Patch that turns `a` into `b` ({} when they are equal). */
export function diffPatch(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return structuredClone(b);
  const out: Obj = {};
  for (const k of Object.keys(a)) if (a[k] !== undefined && b[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    if (a[k] === undefined) out[k] = structuredClone(v);
    else if (!deepEqual(a[k], v)) out[k] = diffPatch(a[k], v);
  }
  return out;
}

/** Rewrites the references an element makes (the fields module flattening qualifies). */
function mapRefs(section: Section, el: Obj, f: (ref: string) => string): Obj {
  const out = structuredClone(el);
  const re = (o: Obj, k: string) => {
    if (typeof o[k] === 'string') o[k] = f(o[k] as string);
  };
  // A model a module defines is qualified like its populations (left.eif); built-in models are not.
  const qualifiedModel = (o: Obj) => typeof o.model === 'string' && o.model.includes('.');
  if (section === 'populations') {
    if (qualifiedModel(out)) re(out, 'model');
  } else if (section === 'projections') {
    re(out, 'source');
    re(out, 'target');
    if (isPlainObject(out.plasticity)) re(out.plasticity, 'modulator');
    if (isPlainObject(out.synapse) && qualifiedModel(out.synapse)) re(out.synapse, 'model');
  } else if (section === 'modulators') {
    for (const s of (out.sources as Obj[] | undefined) ?? []) {
      re(s, 'population');
      re(s, 'input');
    }
    for (const t of (out.targets as Obj[] | undefined) ?? []) {
      re(t, 'population');
      re(t, 'projection');
    }
  } else if (section === 'sources' || section === 'inputs') re(out, 'target');
  else if (section === 'outputs') re(out, 'source');
  return out;
}

function prefixes(m: ModuleNode, out: string[] = []): string[] {
  if (m.prefix) out.push(m.prefix);
  for (const c of m.children) prefixes(c, out);
  return out;
}

function sectionOf(flat: FlatCircuit, s: Section): Obj {
  return (flat.doc[s] as Obj | undefined) ?? {};
}

/** The differences between two flat documents, as "section.name" lines (empty when equal). */
export function flatDifferences(a: FlatCircuit, b: FlatCircuit): string[] {
  const out: string[] = [];
  for (const s of SECTIONS) {
    const x = sectionOf(a, s);
    const y = sectionOf(b, s);
    for (const name of new Set([...Object.keys(x), ...Object.keys(y)])) if (!deepEqual(x[name], y[name])) out.push(`${s}.${name}`);
  }
  for (const k of ['name', 'dt', 'seed'] as const) if (!deepEqual(a.doc[k], b.doc[k])) out.push(k);
  if (!deepEqual([...a.aliases].sort(), [...b.aliases].sort())) out.push('ports');
  return out;
}

/** Replaces every alias by a copy of what it points at and drops the anchors. */
function expandAliases(doc: Document): void {
  let again = true;
  while (again) {
    again = false;
    visit(doc, {
      Alias(_key, node) {
        const target = node.resolve(doc);
        if (!target) return undefined;
        again = true;
        return (target as YamlNode).clone() as YamlNode;
      },
    });
  }
  visit(doc, {
    Node(_key, node) {
      if ('anchor' in node && node.anchor) delete (node as { anchor?: string }).anchor;
    },
  });
}

/** Edits the YAML document in place from `before` (its current value) to `after`, leaf by leaf. */
function applyToYaml(doc: Document, path: (string | number)[], before: unknown, after: unknown): void {
  if (deepEqual(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after) && path.length > 0 && isMap(doc.getIn(path, true))) {
    for (const k of Object.keys(before)) if (after[k] === undefined && before[k] !== undefined) doc.deleteIn([...path, k]);
    for (const [k, v] of Object.entries(after)) if (v !== undefined) applyToYaml(doc, [...path, k], before[k], v);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && path.length > 0 && isSeq(doc.getIn(path, true))) {
    after.forEach((v, i) => applyToYaml(doc, [...path, i], before[i], v));
    return;
  }
  if (path.length === 0 && isPlainObject(before) && isPlainObject(after)) {
    for (const k of Object.keys(before)) if (after[k] === undefined) doc.deleteIn([k]);
    for (const [k, v] of Object.entries(after)) if (v !== undefined) applyToYaml(doc, [k], before[k], v);
    return;
  }
  const node = doc.getIn(path, true);
  // Keep a scalar's style (quotes) where only its value changes.
  if (isScalar(node) && !isCollection(after) && typeof after !== 'object') node.value = after;
  else doc.setIn(path, doc.createNode(after));
}

export interface SavePlan {
  file: string;
  text: string;
  /** What the save writes, as "section.name" (empty: the file already loads as the running network). */
  changed: string[];
}

/**
 * Works out the text that makes `file` load as `current` (the engine's flat document). Throws
 * SaveError when a change cannot be expressed in that file (an element of a nested module, or one that
 * a base document's include brings), or when the result would not reload equal.
 */
export function planSave(file: string, current: FlatCircuit): SavePlan {
  const abs = resolve(file);
  const text = host().readText(abs);
  const json = /\.json$/i.test(abs);
  const ydoc = parseDocument(text, { merge: true, uniqueKeys: true });
  if (ydoc.errors.length) throw new SaveError(`${abs}: cannot parse the file on disk: ${ydoc.errors[0].message.split('\n')[0]}`);
  if (!json) expandAliases(ydoc);
  const original = (ydoc.toJS({ maxAliasCount: -1 }) ?? {}) as Obj;
  const desired = structuredClone(original);
  let onDisk: FlatCircuit;
  try {
    onDisk = loadFlat(abs);
  } catch (e) {
    throw new SaveError(
      `${abs}: the file on disk does not load (${e instanceof CircuitError ? e.message : (e as Error).message}); not overwriting it`,
    );
  }
  const base = typeof original.extends === 'string' ? loadFlat(resolveModulePath(original.extends, abs)) : null;
  const mods = prefixes(onDisk.modules).sort((a, b) => b.length - a.length);
  const ownIncludes = (Array.isArray(desired.include) ? desired.include : []) as Obj[];
  const childFlats = new Map<string, FlatCircuit>();
  const changed: string[] = [];
  for (const s of SECTIONS) {
    const before = sectionOf(onDisk, s);
    const after = sectionOf(current, s);
    for (const q of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const a = before[q] as Obj | undefined;
      const b = after[q] as Obj | undefined;
      if (deepEqual(a, b)) continue;
      changed.push(`${s}.${q}`);
      const prefix = mods.find((p) => q.startsWith(p + '.')) ?? '';
      if (prefix === '') {
        if (q.includes('.'))
          throw new SaveError(`cannot save ${s}.${q}: a dotted name outside any module cannot be written in a circuit file`);
        const sec = ((desired[s] as Obj | undefined) ?? {}) as Obj;
        desired[s] = sec;
        const inherited = base ? (sectionOf(base, s)[q] as Obj | undefined) : undefined;
        if (b === undefined) {
          if (inherited !== undefined) sec[q] = null;
          else delete sec[q];
        } else if (inherited !== undefined) sec[q] = diffPatch(inherited, b);
        else sec[q] = b;
        continue;
      }
      const inc = ownIncludes.find((i) => i.prefix === prefix);
      const local = q.slice(prefix.length + 1);
      if (!inc || typeof inc.module !== 'string')
        throw new SaveError(
          `cannot save ${s}.${q}: module "${prefix}" is not included by ${basename(abs)} itself (a nested module or one a base document includes); edit that module's file`,
        );
      if (local.includes('.')) throw new SaveError(`cannot save ${s}.${q}: "${local}" is not a name module "${prefix}" can hold`);
      let child = childFlats.get(prefix);
      if (!child) childFlats.set(prefix, (child = loadFlat(resolveModulePath(inc.module, abs))));
      const unqualify = (ref: string) => {
        if (!ref.startsWith(prefix + '.'))
          throw new SaveError(
            `cannot save ${s}.${q}: it refers to "${ref}" outside module "${prefix}", which a module's override cannot name`,
          );
        return ref.slice(prefix.length + 1);
      };
      const override = (isPlainObject(inc.override) ? inc.override : (inc.override = {})) as Obj;
      const sec = (isPlainObject(override[s]) ? override[s] : (override[s] = {})) as Obj;
      const childValue = sectionOf(child, s)[local] as Obj | undefined;
      if (b === undefined) {
        if (childValue !== undefined) sec[local] = null;
        else delete sec[local];
      } else {
        const value = mapRefs(s, b, unqualify);
        const patch = childValue === undefined ? value : diffPatch(childValue, value);
        if (isPlainObject(patch) && Object.keys(patch).length === 0) delete sec[local];
        else sec[local] = patch;
      }
      if (Object.keys(sec).length === 0) delete override[s];
      if (Object.keys(override).length === 0) delete inc.override;
    }
  }
  let out: string;
  if (json) out = JSON.stringify(desired, null, 2) + '\n';
  else {
    applyToYaml(ydoc, [], original, desired);
    out = ydoc.toString({ lineWidth: 0 });
  }
  // Never write what would not reload as the running network.
  let reloaded: FlatCircuit;
  try {
    reloaded = loadFlat(abs, out);
  } catch (e) {
    throw new SaveError(`the saved document would not load: ${e instanceof CircuitError ? e.message : (e as Error).message}`);
  }
  const diff = flatDifferences(reloaded, current);
  if (diff.length)
    throw new SaveError(`the saved document would not reload as the running network (differs in ${diff.join(', ')}); nothing written`);
  return { file: abs, text: out, changed };
}

/**
 * Writes the plan's text (staged beside the file, then put in its place whole: never half a file; see
 * ui/files.ts). `tempName` names the staging file (Node).
 */
export function writePlan(plan: { file: string; text: string }, tempName?: (target: string) => string): void {
  stagePlan(plan, tempName).commit();
}

/**
 * The first half of writePlan: the text staged. Committing puts it in place; aborting drops it. Two
 * files saved together are both staged before either is committed, so a failure to write one leaves
 * both as they were.
 */
export function stagePlan(plan: { file: string; text: string }, tempName?: (target: string) => string): StagedWrite {
  const staged = asSaveError(() => ideFiles().stage(plan, tempName));
  return { commit: () => asSaveError(() => staged.commit()), abort: () => staged.abort() };
}

function asSaveError<T>(write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw e instanceof SaveError ? e : new SaveError((e as Error).message, { cause: e });
  }
}
