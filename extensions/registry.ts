// Extension types by name: the built-in ones and those loaded from modules a document names (a path
// relative to the document, or a package installed where the document is). A module's default export
// (or its `extensions` export) is one extension or a list; each is checked before use and a broken one
// is refused with the module's and the extension's name. Options are validated against each type's
// JSON Schema, and the schemas are merged into the bridge schema for editors (bridgeSchemaWith).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Extension } from './api.js';
import { findPackageDir, packageNameOf } from '../engine/circuit/resolve.js';

export interface RegisteredExtension {
  extension: Extension;
  /** Where it came from: 'builtin', or the module file (isolated nodes load it again in a worker). */
  module: string;
  /** The export it came from in that module ('default', 'extensions', or an index into a list). */
  exportPath: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

export class ExtensionRegistry {
  private readonly types = new Map<string, RegisteredExtension>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(builtins: Extension[] = []) {
    builtins.forEach((e, i) => this.register(e, 'builtin', String(i)));
  }

  register(e: Extension, module: string, exportPath: string): void {
    const where = module === 'builtin' ? `built-in extension ${String((e as { name?: unknown }).name)}` : `extension ${String((e as { name?: unknown }).name ?? exportPath)} from ${module}`;
    checkShape(e, where);
    const prior = this.types.get(e.name);
    if (prior) throw new Error(`${where}: the type name "${e.name}" is taken by ${prior.module === 'builtin' ? 'a built-in extension' : prior.module}`);
    let validate: ValidateFunction;
    try {
      validate = ajv.compile({ ...e.options, $id: undefined });
    } catch (err) {
      throw new Error(`${where}: its options schema does not compile: ${(err as Error).message}`);
    }
    this.types.set(e.name, { extension: e, module, exportPath });
    this.validators.set(e.name, validate);
  }

  get(type: string): RegisteredExtension | undefined {
    return this.types.get(type);
  }

  names(): string[] {
    return [...this.types.keys()];
  }

  /**
   * Checks `options` against the type's schema, filling in defaults (in place). Returns the problems,
   * each with its JSON pointer under `at` (the node's options in the document).
   */
  validate(type: string, options: Record<string, unknown>, at: string): { path: string; message: string }[] {
    const v = this.validators.get(type);
    if (!v) return [{ path: at.replace(/\/options$/, '/type'), message: `no extension type "${type}"; known: ${this.names().join(', ')}` }];
    if (v(options)) return [];
    return (v.errors ?? []).map((e) => ({
      path: `${at}${e.instancePath}`,
      message: `${type}: ${e.keyword === 'additionalProperties' ? `unknown option "${(e.params as { additionalProperty: string }).additionalProperty}"` : e.message}`,
    }));
  }

  /** Loads a module a document names (`./ext.js`, `/abs/ext.js`, or a package) and registers what it exports. */
  async load(spec: string, fromDir: string): Promise<string[]> {
    const file = resolveModule(spec, fromDir);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`extension module ${spec} (${file}) failed to load: ${(e as Error).message}`);
    }
    const [exportName, value] = 'extensions' in mod ? ['extensions', mod.extensions] : ['default', mod.default];
    if (value === undefined) throw new Error(`extension module ${spec}: it exports neither a default extension nor \`extensions\``);
    const list = Array.isArray(value) ? value : [value];
    const added: string[] = [];
    list.forEach((e, i) => {
      this.register(e as Extension, file, Array.isArray(value) ? `${exportName}.${i}` : exportName);
      added.push((e as Extension).name);
    });
    return added;
  }
}

function checkShape(e: Extension, where: string): void {
  const bad = (what: string) => new Error(`${where}: ${what}`);
  if (!e || typeof e !== 'object') throw bad('is not an object (export defineExtension({...}))');
  if (typeof e.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(e.name)) throw bad(`name must be lower_snake_case, got ${JSON.stringify(e.name)}`);
  if (!['input', 'output', 'compute'].includes(e.kind)) throw bad(`kind must be input, output or compute, got ${JSON.stringify(e.kind)}`);
  if (typeof e.create !== 'function') throw bad('has no create(options, ctx) function');
  if (!e.options || typeof e.options !== 'object') throw bad('has no options schema (give {} for none)');
  for (const [side, ports] of [['inputs', e.inputs], ['outputs', e.outputs]] as const) {
    for (const [p, s] of Object.entries(ports ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) throw bad(`${side} port name ${JSON.stringify(p)} is not a name`);
      if (!['scalar', 'vector', 'spikes', 'message'].includes(s?.type)) throw bad(`${side}.${p}: type must be scalar, vector, spikes or message`);
    }
  }
  if (e.kind === 'input' && Object.keys(e.inputs ?? {}).length) throw bad('an input extension has no input ports');
  if (e.kind === 'output' && Object.keys(e.outputs ?? {}).length) throw bad('an output extension has no output ports');
}

/** A package folder's entry point for import: its exports ('.' with import/default), module or main. */
export function packageEntry(root: string): string {
  const p = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; exports?: unknown; module?: string; main?: string };
  const ex = p.exports as Record<string, unknown> | string | undefined;
  const dot = typeof ex === 'string' ? ex : ((ex?.['.'] ?? ex) as Record<string, unknown> | string | undefined);
  const entry = typeof dot === 'string' ? dot : ((dot?.import ?? dot?.default ?? dot?.node) as string | undefined) ?? p.module ?? p.main ?? 'index.js';
  const file = join(root, entry);
  if (!existsSync(file)) throw new Error(`extension package ${p.name ?? root}: its entry point ${entry} does not exist`);
  return file;
}

/** A path (relative to the document) or an installed package's entry point, as Node would import it. */
export function resolveModule(spec: string, fromDir: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const file = resolve(fromDir, spec);
    if (!existsSync(file)) throw new Error(`extension module ${spec}: no file ${file}`);
    return file;
  }
  // A package: its package.json's exports ('.' with import/default), module or main, found as Node
  // finds packages (node_modules from the document's folder up), as circuit packages are.
  const name = packageNameOf(spec);
  const root = findPackageDir(name, join(fromDir, 'document'));
  if (!root) throw new Error(`extension package ${name} is not installed where ${fromDir} can see it (npm install ${name} there)`);
  const sub = spec.slice(name.length);
  return sub ? createRequire(join(root, 'package.json')).resolve(`.${sub}`) : packageEntry(root);
}
