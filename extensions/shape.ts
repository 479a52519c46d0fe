// The shape every extension must have, checked where one enters: the registry (built-ins and modules a
// document loads) and the worker of an isolated node (which imports the module again on its own).
import type { Extension } from './api.js';

/** How errors name an extension: built-in by its name, from a module by its name (or export) and file. */
export function describe(e: unknown, module: string, exportPath: string): string {
  const name = typeof e === 'object' && e !== null && 'name' in e ? e.name : undefined;
  return module === 'builtin' ? `built-in extension ${String(name)}` : `extension ${String(name ?? exportPath)} from ${module}`;
}

const KINDS: readonly unknown[] = ['input', 'output', 'compute'];
const PORT_TYPES: readonly unknown[] = ['scalar', 'vector', 'spikes', 'message'];

/** Throws naming what is wrong unless `value` has an extension's shape (its create() is called as one). */
export function checkShape(value: unknown, where: string): asserts value is Extension {
  const bad = (what: string) => new Error(`${where}: ${what}`);
  if (!value || typeof value !== 'object') throw bad('is not an object (export defineExtension({...}))');
  // Every field as untrusted: a module's export may hold anything under these names.
  const e: { [K in keyof Extension]?: unknown } = value;
  if (typeof e.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(e.name))
    throw bad(`name must be lower_snake_case, got ${JSON.stringify(e.name)}`);
  if (!KINDS.includes(e.kind)) throw bad(`kind must be input, output or compute, got ${JSON.stringify(e.kind)}`);
  if (typeof e.create !== 'function') throw bad('has no create(options, ctx) function');
  if (!e.options || typeof e.options !== 'object') throw bad('has no options schema (give {} for none)');
  const portsOf = (side: string, ports: unknown): [string, unknown][] => {
    if (ports === undefined || ports === null) return [];
    if (typeof ports !== 'object') throw bad(`${side} must map port names to { type }`);
    return Object.entries(ports);
  };
  for (const [side, ports] of [
    ['inputs', portsOf('inputs', e.inputs)],
    ['outputs', portsOf('outputs', e.outputs)],
  ] as const) {
    for (const [p, s] of ports) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) throw bad(`${side} port name ${JSON.stringify(p)} is not a name`);
      if (!(s && typeof s === 'object' && 'type' in s && PORT_TYPES.includes(s.type)))
        throw bad(`${side}.${p}: type must be scalar, vector, spikes or message`);
    }
  }
  if (e.kind === 'input' && portsOf('inputs', e.inputs).length) throw bad('an input extension has no input ports');
  if (e.kind === 'output' && portsOf('outputs', e.outputs).length) throw bad('an output extension has no output ports');
}
