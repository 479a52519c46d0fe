// What the host gives built-in I/O extensions beyond the public ExtensionContext: the bridge's
// transport and devices, counters, a failure report that never throws into RxJS, and the bridge's
// clock for message stamps. Third-party extensions may use these too (they are in the context the
// host passes every node); they are optional there, so an extension checks before use.
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
