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
import type { Extension, ExtensionContext } from './api.js';
import { checkShape, describe } from './shape.js';
import { findPackageDir, packageNameOf } from '../engine/circuit/resolve.js';

/** An extension with its options as the registry holds them: checked against its schema, not yet its own type. */
export type AnyExtension<C extends ExtensionContext = ExtensionContext> = Extension<Record<string, unknown>, C>;

export interface RegisteredExtension<C extends ExtensionContext = ExtensionContext> {
  extension: AnyExtension<C>;
  /** Where it came from: 'builtin', or the module file (isolated nodes load it again in a worker). */
  module: string;
  /** The export it came from in that module ('default', 'extensions', or an index into a list). */
  exportPath: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

/**
 * `C`: the context its extensions need (bridge/io's need the bridge's; modules loaded from documents
 * need only ExtensionContext, so they fit any registry).
 */
export class ExtensionRegistry<C extends ExtensionContext = ExtensionContext> {
  private readonly types = new Map<string, RegisteredExtension<C>>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(builtins: AnyExtension<C>[] = []) {
    builtins.forEach((e, i) => this.register(e, 'builtin', String(i)));
  }

  register(e: AnyExtension<C>, module: string, exportPath: string): void {
    // Checked again although typed: built-ins and modules may be plain JavaScript.
    const where = describe(e, module, exportPath);
    checkShape(e, where);
    const prior = this.types.get(e.name);
    if (prior)
      throw new Error(
        `${where}: the type name "${e.name}" is taken by ${prior.module === 'builtin' ? 'a built-in extension' : prior.module}`,
      );
    let validate: ValidateFunction;
    try {
      validate = ajv.compile({ ...e.options, $id: undefined });
    } catch (err) {
      throw new Error(`${where}: its options schema does not compile: ${(err as Error).message}`, { cause: err });
    }
    this.types.set(e.name, { extension: e, module, exportPath });
    this.validators.set(e.name, validate);
  }

  get(type: string): RegisteredExtension<C> | undefined {
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
      throw new Error(`extension module ${spec} (${file}) failed to load: ${(e as Error).message}`, { cause: e });
    }
    const [exportName, value] = 'extensions' in mod ? ['extensions', mod.extensions] : ['default', mod.default];
    if (value === undefined) throw new Error(`extension module ${spec}: it exports neither a default extension nor \`extensions\``);
    const list = Array.isArray(value) ? value : [value];
    const added: string[] = [];
    list.forEach((e: unknown, i) => {
      const exportPath = Array.isArray(value) ? `${exportName}.${i}` : exportName;
      checkShape(e, describe(e, file, exportPath));
      this.register(e, file, exportPath);
      added.push(e.name);
    });
    return added;
  }
}

// Without useDefaults: a guard reads options, it never fills them in.
const guardAjv = new Ajv({ strict: false });

/**
 * A type guard from an extension's own options schema: what passes is its options type `O` (as
 * checked by the schema the registry validates documents with). For code outside the node that reads a
 * node's options, e.g. the bridge's guard thread reading an output node's safe value.
 */
export function optionsGuard<O, C extends ExtensionContext>(e: Extension<O, C>): (options: unknown) => options is O {
  const validate = guardAjv.compile<O>({ ...e.options, $id: undefined });
  return (options): options is O => validate(options);
}

/** A package folder's entry point for import: its exports ('.' with import/default), module or main. */
export function packageEntry(root: string): string {
  const p = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name?: string;
    exports?: unknown;
    module?: string;
    main?: string;
  };
  const ex = p.exports as Record<string, unknown> | string | undefined;
  const dot = typeof ex === 'string' ? ex : ((ex?.['.'] ?? ex) as Record<string, unknown> | string | undefined);
  const entry =
    typeof dot === 'string'
      ? dot
      : (((dot?.import ?? dot?.default ?? dot?.node) as string | undefined) ?? p.module ?? p.main ?? 'index.js');
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
