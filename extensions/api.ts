// The public extension API: what an input, output or compute extension declares and implements.
// Built-in extensions (extensions/builtin/, and the ROS topic, serial and board I/O in
// bridge/io/) use exactly this module, as a third-party package does:
//
//   import { defineExtension } from 'flux-ans/extensions';
//   export default defineExtension({ name: 'doubler', kind: 'compute', ... });
//
// Values crossing ports are plain numbers (scalar), number arrays (vector), spike trains (indices of
// the neurons that fired in one step, with the step's time) or JSON-able messages. Inputs and outputs
// are RxJS streams; a compute node is a function of its input ports' latest values, called on the
// engine tick or at its own rate, and the host turns it into an operator (see asOperator).
import { Observable, map } from 'rxjs';

export type PortType = 'scalar' | 'vector' | 'spikes' | 'message';

/** One step's spikes: neuron indices within a population, at time `t` (ms). */
export interface SpikeTrain {
  t: number;
  indices: number[];
}

export type PortValue = number | number[] | SpikeTrain | Record<string, unknown>;

export interface PortSpec {
  type: PortType;
  doc?: string;
  /** The value this port takes when its extension fails, stops or has nothing yet (outputs). */
  safe?: PortValue;
}

/** JSON Schema (draft-07) of an extension's options; merged into the bridge schema under its type. */
export type OptionsSchema = Record<string, unknown>;

export interface ExtensionContext {
  /** The node's name in the document (errors and logs carry it). */
  readonly name: string;
  /** The document's directory: relative paths in options resolve from here. */
  readonly dir: string;
  /** Logs a line attributed to the node. */
  log(line: string): void;
}

/** A running compute node: latest input values in, output values out. */
export interface ComputeInstance {
  /**
   * Called on every engine tick (or at the node's rate) with each input port's latest value
   * (undefined before the first) and the time since the last call (ms). Returns output port values;
   * a port left out keeps its last value.
   */
  step(inputs: Record<string, PortValue | undefined>, dtMs: number): Record<string, PortValue>;
  /** Live reconfiguration: new options, state kept where it makes sense. Absent: the node is recreated. */
  reconfigure?(options: Record<string, unknown>): void;
  /** Back to the initial state (e.g. an integrator after a fault). */
  reset?(): void;
  stop?(): void | Promise<void>;
}

/** A running input extension: a stream per output port (a sensor, a web API, a game...). */
export interface InputInstance {
  readonly outputs: Record<string, Observable<PortValue>>;
  start?(): void | Promise<void>;
  reconfigure?(options: Record<string, unknown>): void;
  stop?(): void | Promise<void>;
}

/** A running output extension: consumes a stream per input port (an actuator, a logger...). */
export interface OutputInstance {
  /** Called once with the streams of its input ports; returns when it has subscribed. */
  consume(inputs: Record<string, Observable<PortValue>>): void;
  start?(): void | Promise<void>;
  reconfigure?(options: Record<string, unknown>): void;
  /**
   * Drive what it controls to its safe state now: the host calls it when the engine stalls, a tick
   * fails, an input goes stale, and before stop(). Without it the host sends its ports' safe values.
   */
  safe?(): void;
  /** Must leave what it drives safe (its ports' safe values) before it resolves. */
  stop?(): void | Promise<void>;
}

interface Common<O> {
  /** The type name documents use (`type: lowpass`); unique among loaded extensions. */
  name: string;
  doc: string;
  /** JSON Schema of `options`; documents are validated against it before the node is created. */
  options: OptionsSchema;
  inputs?: Record<string, PortSpec>;
  outputs?: Record<string, PortSpec>;
  /**
   * The input ports follow the options (an expression's variables, a recorder's columns): any port a
   * document wires is accepted and passed by its name; `inputs` then describes the usual ones.
   */
  dynamicInputs?: boolean;
  /** Options with defaults filled in (after validation), for create. */
  defaults?: Partial<O>;
}

// `C` is the context a node's create() needs: ExtensionContext for any host, or more where a host
// gives more (the bridge's own topic and device I/O get its transport and devices: bridge/io/context.ts).
// A host whose context is C runs extensions that need C or less (`in C`: an extension that needs only
// ExtensionContext fits any host; one that needs a host's services must not fit a host without them).

export interface ComputeExtension<O = Record<string, unknown>, in C extends ExtensionContext = ExtensionContext> extends Common<O> {
  kind: 'compute';
  create(options: O, ctx: C): ComputeInstance;
}

export interface InputExtension<O = Record<string, unknown>, in C extends ExtensionContext = ExtensionContext> extends Common<O> {
  kind: 'input';
  create(options: O, ctx: C): InputInstance;
}

export interface OutputExtension<O = Record<string, unknown>, in C extends ExtensionContext = ExtensionContext> extends Common<O> {
  kind: 'output';
  create(options: O, ctx: C): OutputInstance;
}

export type Extension<O = Record<string, unknown>, C extends ExtensionContext = ExtensionContext> =
  ComputeExtension<O, C> | InputExtension<O, C> | OutputExtension<O, C>;

/** Identity with type checking: the one call an extension module makes. */
export function defineExtension<O, C extends ExtensionContext = ExtensionContext>(e: ComputeExtension<O, C>): ComputeExtension<O, C>;
export function defineExtension<O, C extends ExtensionContext = ExtensionContext>(e: InputExtension<O, C>): InputExtension<O, C>;
export function defineExtension<O, C extends ExtensionContext = ExtensionContext>(e: OutputExtension<O, C>): OutputExtension<O, C>;
export function defineExtension<O, C extends ExtensionContext = ExtensionContext>(e: Extension<O, C>): Extension<O, C> {
  return e;
}

/**
 * A compute node as an RxJS operator: a stream of input-port snapshots (with the time since the last)
 * in, a stream of output-port values out. The host drives nodes this way on the engine tick.
 */
export function asOperator(
  node: ComputeInstance,
): (source: Observable<{ inputs: Record<string, PortValue | undefined>; dtMs: number }>) => Observable<Record<string, PortValue>> {
  return (source) => source.pipe(map(({ inputs, dtMs }) => node.step(inputs, dtMs)));
}

/** The number in a scalar port value, or NaN for anything else (nodes treat NaN as "no value"). */
export function scalar(v: PortValue | undefined): number {
  return typeof v === 'number' ? v : Array.isArray(v) && v.length === 1 ? v[0] : NaN;
}
