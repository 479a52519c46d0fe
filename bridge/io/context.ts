// What the bridge gives its I/O extensions beyond the public ExtensionContext: its transport and
// devices, counters, a failure report that never throws into RxJS, and its clock for message stamps.
// The I/O extensions declare it (defineExtension<Options, IoContext>) and the bridge's extension host
// makes it for every node; an extension declared with plain ExtensionContext sees only that. The fields
// are optional (a host may lack a transport or devices), so an extension checks before use (need).
import type { ExtensionContext } from '../../extensions/api.js';
import type { Device } from '../devices.js';
import type { Transport } from '../transport/transport.js';
import type { DefinitionSource } from '../codec/definitions.js';

export interface IoContext extends ExtensionContext {
  readonly transport?: Transport;
  readonly devices?: ReadonlyMap<string, Device>;
  readonly definitions?: DefinitionSource;
  /** Adds to a named counter (received, malformed, ...). */
  count?(what: string, n?: number): void;
  /** Reports a failure of the node's own work (a publish that threw) without throwing. */
  fail?(e: unknown): void;
  /** The bridge clock's ROS time in ms since the epoch (sim time under /clock). */
  rosTime?(): number;
}

export function need<T>(v: T | undefined, ctx: ExtensionContext, what: string): T {
  if (v === undefined) throw new Error(`extension node ${ctx.name} needs ${what}, which this host does not provide`);
  return v;
}
