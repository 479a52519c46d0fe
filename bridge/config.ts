// Bridge documents: which topics drive which circuit inputs and which populations drive which
// messages, in YAML or JSON next to the circuit they reference. Checked like a circuit: a JSON Schema
// (ajv) for the shape, then the references (circuit inputs and populations, message types, field paths)
// against the circuit and the message definitions; every problem with its file, line and JSON path.
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parseFile, parseText } from '../engine/circuit/parse.js';
import { resolveModulePath } from '../engine/circuit/resolve.js';
import { CircuitError, IssueList, pointer } from '../engine/circuit/errors.js';
import { loadCircuit } from '../engine/engine.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { checkQuantity, quantityProblem, QUANTITY_PATTERN, type Dimension, type Sign } from '../engine/units.js';
import { definitionsFor } from './codec/definitions.js';
import { compileFieldPath } from './fieldpath.js';
import { stampedVariant } from './stamped.js';
import type { DeviceSpec } from './devices.js';
import type { SpikeReceiveSpec, SpikeSendSpec } from './spike-link.js';
import type { Extension } from '../extensions/api.js';
import { BUILTIN_EXTENSIONS } from '../extensions/builtin/index.js';
import { IO_EXTENSIONS } from './io/index.js';
import type { NodeSpec } from '../extensions/host.js';
import { ExtensionRegistry } from '../extensions/registry.js';
import { DEVICES_SCHEMA } from './device-schema.js';
import type { BridgeConfig, InputBinding, OutputBinding } from './bridge.js';
import type { EncoderSpec } from './encoders.js';
import type { DecoderSpec } from './decoders.js';
import { DEFAULT_QOS, SENSOR_QOS, type QoS } from './transport/transport.js';

const quantity = { anyOf: [{ type: 'number' }, { type: 'string', pattern: QUANTITY_PATTERN }] };
const num = { type: 'number' };
const qos = {
  anyOf: [
    { enum: ['sensor', 'default'] },
    { type: 'object', additionalProperties: false, properties: { reliability: { enum: ['reliable', 'best_effort'] }, durability: { enum: ['volatile', 'transient_local'] }, depth: { type: 'integer', minimum: 1 } } },
  ],
};
const one = (props: Record<string, unknown>, required: string[]) => ({ type: 'object', additionalProperties: false, properties: props, required });
const encoder = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  properties: {
    rate: one({ min: num, max: num, rate_min: quantity, rate_max: quantity }, ['min', 'max', 'rate_max']),
    current: one({ min: num, max: num, current_min: quantity, current_max: quantity }, ['min', 'max', 'current_max']),
    population: one({ min: num, max: num, sigma: num, amplitude: num }, ['min', 'max', 'sigma', 'amplitude']),
    threshold: one({ threshold: num, amplitude: num, direction: { enum: ['above', 'below'] }, edge: { enum: ['level', 'rising'] } }, ['threshold', 'amplitude']),
  },
};
const decoder = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  properties: {
    rate: one({ tau: quantity, rate_min: quantity, rate_max: quantity, min: num, max: num }, ['tau', 'rate_max', 'min', 'max']),
    population_vector: one({ tau: quantity, min: num, max: num, idle: num }, ['tau', 'min', 'max']),
    winner_take_all: one({ tau: quantity, values: { type: 'array', items: num, minItems: 1 }, idle: num }, ['tau', 'values']),
    count: one({ window: quantity, scale: num }, ['window']),
  },
};

export const BRIDGE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Flux bridge',
  type: 'object',
  additionalProperties: false,
  required: ['circuit'],
  properties: {
    $schema: { type: 'string' },
    circuit: { type: 'string', description: 'the circuit file, relative to this file' },
    tick: { ...quantity, description: 'engine ticks per second (default 1 kHz)' },
    watchdog: { ...quantity, description: 'no finished tick for this long sends every output to its safe value (default 50 ms)' },
    devices: DEVICES_SCHEMA,
    spikes: {
      type: 'object',
      additionalProperties: false,
      description: 'spike links to and from other Flux processes (distributed circuits; bridge/spike-link.ts)',
      properties: {
        send: {
          type: 'object',
          description: "populations whose spikes this process sends, one message per tick; keys are population names",
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['topic'],
            properties: {
              topic: { type: 'string' },
              wait_for: { type: 'integer', minimum: 0, description: 'receivers to wait for before the first tick (lockstep links), default 0' },
            },
          },
        },
        receive: {
          type: 'object',
          description: 'spikes fired by a relay population: keys are rate inputs that target a poisson population with rate 0',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['topic'],
            properties: {
              topic: { type: 'string' },
              delay: { type: 'integer', minimum: 1, description: 'ticks added to every spike, at least 1 (default 1)' },
              sync: { enum: ['lockstep', 'free'], description: 'lockstep (default): wait for the sender\'s tick; free: fire what has arrived' },
              timeout: { ...quantity, description: 'lockstep: how long a tick waits for the sender (default 1 s)' },
            },
          },
        },
      },
    },
    extensions: {
      type: 'object',
      additionalProperties: false,
      description: 'extension nodes (extensions/api.ts): built-in compute nodes and extensions loaded from modules',
      properties: {
        load: { type: 'array', items: { type: 'string' }, description: 'extension modules: a path relative to this file, or an installed package' },
        nodes: {
          type: 'object',
          description: 'extension nodes by name; an input binding or an output value reads one with from: <node>.<port>',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['type'],
            properties: {
              type: { type: 'string', description: 'a built-in extension or one from a loaded module' },
              options: { type: 'object', description: "the extension's options (its own schema)" },
              in: { type: 'object', additionalProperties: { type: ['string', 'number'] }, description: 'input port -> <node>.<port>, inputs.<input>, outputs.<output>.<path>, or a number' },
              rate: { ...quantity, description: 'compute nodes: how often they run (default: every engine tick)' },
              isolate: { type: 'boolean', description: 'run in a worker thread (default: yes for loaded modules, no for built-ins)' },
            },
          },
        },
      },
    },
    inputs: {
      type: 'object',
      additionalProperties: {
        ...one(
          {
            from: { type: 'string', description: 'an extension node output (<node>.<port>) instead of a topic or device' },
            topic: { type: 'string', pattern: '^/?[A-Za-z~][A-Za-z0-9_/~{}]*$' },
            type: { type: 'string' },
            path: { type: 'string' },
            device: { type: 'string', description: 'a device of `devices` instead of a topic' },
            field: { type: 'string', description: "the device's input field" },
            qos,
            encoder,
            timeout: quantity,
            valid: { type: 'array', items: num, minItems: 2, maxItems: 2 },
          },
          [],
        ),
        oneOf: [{ required: ['topic', 'type', 'path'] }, { required: ['device', 'field'] }, { required: ['from'] }],
      },
    },
    outputs: {
      type: 'object',
      additionalProperties: one(
        {
          topic: { type: 'string' },
          type: { type: 'string' },
          device: { type: 'string', description: "a device of `devices` instead of a topic; value paths name the device's output fields" },
          rate: quantity,
          qos,
          requires: { type: 'array', items: { type: 'string' } },
          stamped: { type: 'boolean', description: 'publish the stamped variant (Twist -> TwistStamped); a ROS parameter can change it' },
          frame_id: { type: 'string', description: 'header.frame_id of a stamped output (default base_link)' },
          fields: { type: 'object' },
          values: {
            type: 'object',
            minProperties: 1,
            additionalProperties: {
              ...one(
                {
                  terms: { type: 'array', minItems: 1, items: one({ population: { type: 'string' }, decoder, weight: num }, ['population', 'decoder']) },
                  from: { type: 'string', description: 'an extension node output (<node>.<port>) instead of decoded populations' },
                  limits: one({ min: num, max: num, slew_rate: num, safe: num }, []),
                },
                [],
              ),
              oneOf: [{ required: ['terms'] }, { required: ['from'] }],
            },
          },
        },
        ['rate', 'values'],
      ),
    },
  },
} as const;

export interface LoadedBridge {
  file: string;
  circuitFile: string;
  circuit: Circuit;
  config: BridgeConfig;
  /** The devices the document declares (opened by whoever runs the bridge: FluxNode). */
  devices: Record<string, DeviceSpec>;
  /** Extension modules and nodes; prepareExtensions loads the modules and checks the nodes' options. */
  extensions: { load: string[]; nodes: NodeSpec[]; dir: string; file: string; locate: (path: string) => number | undefined };
}

/** What every bridge document can use without loading a module: the built-in compute nodes and the topic and device I/O. */
export const STANDARD_EXTENSIONS: Extension[] = [...BUILTIN_EXTENSIONS, ...(IO_EXTENSIONS as Extension[])];

/**
 * The bridge schema with every known extension's options schema in place (for editors): a node's
 * `options` are checked against the schema of the extension its `type` names.
 */
export function bridgeSchemaWith(registry: ExtensionRegistry): Record<string, unknown> {
  const schema = structuredClone(BRIDGE_SCHEMA) as { properties: { extensions: { properties: { nodes: { additionalProperties: Record<string, unknown> } } } } };
  const node = schema.properties.extensions.properties.nodes.additionalProperties;
  (node.properties as Record<string, Record<string, unknown>>).type = { enum: registry.names(), description: 'a built-in extension or one from a loaded module' };
  node.allOf = registry.names().map((name) => {
    const e = registry.get(name)!.extension;
    return { if: { properties: { type: { const: name } } }, then: { properties: { options: { ...e.options, description: `${name} (${e.kind}): ${e.doc}` } } } };
  });
  return schema;
}

/**
 * Loads the extension modules a bridge document names and checks every node's type and options
 * against the extension's schema: a problem names the file, line and path (and the extension).
 */
export async function prepareExtensions(loaded: LoadedBridge, builtins: Extension[] = STANDARD_EXTENSIONS): Promise<ExtensionRegistry> {
  const { load, nodes, dir, file, locate } = loaded.extensions;
  const registry = new ExtensionRegistry(builtins);
  const issues = new IssueList(file, locate);
  for (const [k, spec] of load.entries()) {
    try {
      await registry.load(spec, dir);
    } catch (e) {
      issues.add(pointer('extensions', 'load', k), (e as Error).message);
    }
  }
  for (const n of nodes) {
    if (!registry.get(n.type)) {
      issues.add(pointer('extensions', 'nodes', n.name, 'type'), `no extension type "${n.type}"; known: ${registry.names().join(', ')}`);
      continue;
    }
    for (const p of registry.validate(n.type, n.options, pointer('extensions', 'nodes', n.name, 'options'))) issues.add(p.path, p.message);
  }
  if (!issues.ok) throw new CircuitError(issues.issues);
  return registry;
}

let validate: ReturnType<Ajv['compile']> | undefined;

/**
 * The ranges of a bridge's safety and timing values (internal units: ms, Hz), beyond the plausible
 * range every quantity has (units.ts QUANTITY_LIMITS). A watchdog or a staleness timeout that never
 * fires, or a tick or output rate of 1e400 Hz, would leave the robot holding its last command.
 */
export const BRIDGE_LIMITS = {
  /** Engine ticks per second. */
  tickHz: { min: 1, max: 10_000 },
  /** Messages per second of an output (its safe value is repeated at this rate too). */
  outputRateHz: { min: 1, max: 10_000 },
  /** Compute nodes' rate. */
  nodeRateHz: { min: 1e-3, max: 10_000 },
  /** No finished tick for this long sends the safe values. */
  watchdogMs: { min: 0, max: 10_000 },
  /** Input staleness and spike-link waits. */
  timeoutMs: { min: 0, max: 3_600_000 },
  /** A count decoder keeps one slot per engine step of its window. */
  countWindowMs: { min: 0, max: 60_000 },
} as const;

/** What a document that does not say gets (the `tick` and `watchdog` schema descriptions say the same). */
export const BRIDGE_DEFAULTS = { tickHz: 1000, watchdogMs: 50 } as const;

/**
 * Reads and checks a bridge document and its circuit (or `circuitFile` in place of the one it names,
 * e.g. from a ROS parameter). Throws one CircuitError listing every problem.
 */
export function loadBridge(file: string, circuitFile?: string, text?: string, circuitText?: string): LoadedBridge {
  // `text` in place of the file's content (as loadCircuit takes it): relative references still resolve from `file`.
  const parsed = text === undefined ? parseFile(file) : parseText(text, file);
  const issues = new IssueList(file, parsed.locate);
  const doc = parsed.doc as unknown as Record<string, unknown>;
  validateShape(doc, issues);
  // A path relative to this file, or a package circuit (`@lab/cpg/half-centre`) as includes name them.
  if (circuitFile === undefined) {
    try {
      circuitFile = resolveModulePath(doc.circuit as string, file);
    } catch (e) {
      issues.add(pointer('circuit'), (e as Error).message);
      throw new CircuitError(issues.issues);
    }
  }
  // `circuitText`: the circuit file's next content (a module insert builds before it writes).
  const { circuit } = loadCircuit(circuitFile, circuitText);
  const ck = new DocumentChecks(issues, circuit);
  const devices = (doc.devices ?? {}) as Record<string, DeviceSpec>;
  const ex = (doc.extensions ?? {}) as { load?: string[]; nodes?: Record<string, { type: string; options?: Record<string, unknown>; in?: Record<string, string | number>; rate?: unknown; isolate?: boolean }> };
  const nodes: NodeSpec[] = Object.entries(ex.nodes ?? {}).map(([name, n]) => ({
    name,
    type: n.type,
    options: n.options ?? {},
    in: n.in ?? {},
    ...(n.rate !== undefined ? { rateHz: ck.within(['extensions', 'nodes', name, 'rate'], n.rate, 'rate', 1, BRIDGE_LIMITS.nodeRateHz) } : {}),
    ...(n.isolate !== undefined ? { isolate: n.isolate } : {}),
  }));
  const refs = { devices, nodes };
  const inputs = Object.entries((doc.inputs ?? {}) as Record<string, Record<string, unknown>>).map(([name, raw]) => readInput(ck, refs, name, raw));
  const outputs = Object.entries((doc.outputs ?? {}) as Record<string, Record<string, unknown>>).map(([name, raw]) => readOutput(ck, { ...refs, inputs }, name, raw));
  const spikes = readSpikes(ck, (doc.spikes ?? {}) as SpikesDoc);
  const tickHz = ck.within(['tick'], doc.tick, 'rate', BRIDGE_DEFAULTS.tickHz, BRIDGE_LIMITS.tickHz);
  const watchdogMs = ck.within(['watchdog'], doc.watchdog, 'time', BRIDGE_DEFAULTS.watchdogMs, BRIDGE_LIMITS.watchdogMs);
  for (const [name, dev] of Object.entries(devices))
    for (const [out, spec] of Object.entries((dev as { board?: { outputs?: Record<string, Record<string, number>> } }).board?.outputs ?? {}))
      ck.limitsOk(['devices', name, 'board', 'outputs', out], spec);
  if (!issues.ok) throw new CircuitError(issues.issues);
  return { file, circuitFile, circuit, config: { inputs, outputs, tickHz, watchdogMs, ...(spikes.send.length || spikes.receive.length ? { spikes } : {}) }, devices, extensions: { load: ex.load ?? [], nodes, dir: dirname(file), file, locate: parsed.locate } };
}

/** The document against BRIDGE_SCHEMA: every problem with its path; throws when there is one. */
function validateShape(doc: Record<string, unknown>, issues: IssueList): void {
  // strictNumbers: YAML's .nan and .inf (and 1e400) are not numbers to any field of the document.
  validate ??= new Ajv({ allErrors: true, strict: false, strictNumbers: true, verbose: true }).compile(BRIDGE_SCHEMA);
  if (validate(doc)) return;
  for (const e of validate.errors ?? []) {
    if (e.keyword === 'additionalProperties') {
      // Point at the unknown property itself (its line), not at the object holding it.
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      issues.add(`${e.instancePath}${pointer(extra)}`, `unknown property "${extra}"; expected one of ${Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).join(', ')}`);
    } else if (typeof e.data === 'number' && !Number.isFinite(e.data)) {
      // One issue for the value, not one per branch of the anyOf it fails.
      if (!issues.issues.some((i) => i.path === e.instancePath)) issues.add(e.instancePath, `expected a finite number, got ${e.data}`);
    } else issues.add(e.instancePath, e.message ?? 'invalid');
  }
  throw new CircuitError(issues.issues);
}

/** The checks a document's values need beyond its schema; each problem is added to `issues` with its path. */
class DocumentChecks {
  constructor(
    readonly issues: IssueList,
    readonly circuit: Circuit,
  ) {}

  add(path: string[], message: string): void {
    this.issues.add(pointer(...path), message);
  }

  /** A quantity in internal units, or `fallback` when it is not given (or wrong: the problem is added). */
  q(path: string[], v: unknown, dim: Dimension, fallback: number, sign: Sign = 'any'): number {
    if (v === undefined) return fallback;
    const x = checkQuantity(v, dim, sign);
    if (typeof x === 'string') {
      this.add(path, x);
      return fallback;
    }
    return x;
  }

  /** A quantity > 0 within one of BRIDGE_LIMITS (the fallback, used when it is not given, is in range). */
  within(path: string[], v: unknown, dim: Dimension, fallback: number, range: { min: number; max: number }): number {
    if (v === undefined) return fallback;
    const x = checkQuantity(v, dim, 'positive');
    const unit = dim === 'time' ? 'ms' : 'Hz';
    const problem =
      typeof x === 'string' ? x
      : x < range.min ? `${x} ${unit} is too low: at least ${range.min} ${unit}`
      : x > range.max ? `${x} ${unit} is too high: at most ${range.max} ${unit}`
      : null;
    if (problem) this.add(path, problem);
    return problem ? fallback : (x as number);
  }

  /** A plain number of the document (encoder and decoder bounds, limits): finite and plausible. */
  plain<T extends number | undefined>(path: string[], v: T, sign: Sign = 'any'): T {
    if (v === undefined) return v;
    const problem = quantityProblem(v as number, 'dimensionless', sign);
    if (problem) this.add(path, problem);
    return v;
  }

  /** Output limits: every number finite, min <= max, the safe value within them, a slew rate > 0. */
  limitsOk(at: string[], l: Record<string, number>): void {
    const bad = ['min', 'max', 'safe'].filter((k) => l[k] !== undefined && this.plain([...at, k], l[k]) !== undefined && quantityProblem(l[k], 'dimensionless') !== null);
    if (l.slew_rate !== undefined) this.plain([...at, 'slew_rate'], l.slew_rate, 'positive');
    if (bad.length > 0) return;
    const lo = l.min ?? -Infinity;
    const hi = l.max ?? Infinity;
    if (lo > hi) this.add(at, `min (${lo}) is above max (${hi})`);
    else if (l.safe !== undefined && !(l.safe >= lo && l.safe <= hi)) this.add([...at, 'safe'], `the safe value ${l.safe} is outside [${lo}, ${hi}]: it would not be sent as it is`);
  }

  /** A message type's definitions, or null (the problem added) when there is no such type. */
  typeOk(path: string[], type: string): MessageDefinitions | null {
    try {
      return definitionsFor(type).definitions;
    } catch (e) {
      this.add(path, (e as Error).message);
      return null;
    }
  }

  pathOk(at: string[], text: string, defs: MessageDefinitions | null): void {
    if (!defs) return;
    try {
      compileFieldPath(text, defs);
    } catch (e) {
      this.add(at, (e as Error).message);
    }
  }

  fromOk(at: string[], ref: string, nodes: NodeSpec[]): void {
    const [node, port] = ref.split('.');
    if (!port || !nodes.some((n) => n.name === node)) this.add(at, `"${ref}" is not <node>.<port> of a node in extensions.nodes (${nodes.map((n) => n.name).join(', ') || 'none'})`);
  }

  deviceOk(at: string[], device: unknown, devices: Record<string, DeviceSpec>): void {
    if (device !== undefined && !Object.hasOwn(devices, device as string)) this.add([...at, 'device'], `no device "${device as string}" in devices (${Object.keys(devices).join(', ') || 'none'})`);
  }
}

type MessageDefinitions = ReturnType<typeof definitionsFor>['definitions'];
const qosOf = (v: unknown, fallback: QoS): QoS => (v === 'sensor' ? SENSOR_QOS : v === 'default' || v === undefined ? fallback : { ...fallback, ...(v as Partial<QoS>) });

/** One input binding: its circuit input, source (topic, device or node output), encoder and timeout. */
function readInput(ck: DocumentChecks, refs: { devices: Record<string, DeviceSpec>; nodes: NodeSpec[] }, name: string, raw: Record<string, unknown>): InputBinding {
  const at = ['inputs', name];
  const { circuit } = ck;
  const inp = circuit.inputs.find((i) => i.name === name);
  if (!inp) ck.add(at, `the circuit has no input "${name}"; it has ${circuit.inputs.map((i) => i.name).join(', ') || 'none'}`);
  else if (inp.target !== null && !raw.encoder) ck.add(at, `input "${name}" drives population ${inp.target}: give an encoder`);
  ck.deviceOk(at, raw.device, refs.devices);
  const defs = raw.device === undefined && raw.from === undefined ? ck.typeOk([...at, 'type'], raw.type as string) : null;
  if (defs) ck.pathOk([...at, 'path'], raw.path as string, defs);
  if (raw.from !== undefined) ck.fromOk([...at, 'from'], raw.from as string, refs.nodes);
  const e = raw.encoder as Record<string, Record<string, unknown>> | undefined;
  encoderNumbersOk(ck, at, e);
  if (Array.isArray(raw.valid)) {
    const [lo, hi] = raw.valid.map((x, k) => ck.plain([...at, 'valid', String(k)], x as number));
    if (lo > hi) ck.add([...at, 'valid'], `the valid range [${lo}, ${hi}] is reversed`);
  }
  const device =
    raw.from !== undefined ? { from: raw.from as string, topic: `extension ${raw.from as string}`, type: 'extension', path: raw.from as string }
    : raw.device === undefined ? {}
    : { device: raw.device as string, field: raw.field as string, topic: `${raw.device as string}/${raw.field as string}`, type: 'device', path: raw.field as string };
  const encoder = readEncoder(ck, at, e);
  const timeoutMs = ck.within([...at, 'timeout'], raw.timeout, 'time', 500, BRIDGE_LIMITS.timeoutMs);
  return { input: name, topic: raw.topic as string, type: raw.type as string, path: raw.path as string, ...device, qos: qosOf(raw.qos, SENSOR_QOS), encoder, timeoutMs, valid: raw.valid as [number, number] | undefined };
}

function encoderNumbersOk(ck: DocumentChecks, at: string[], e: Record<string, Record<string, unknown>> | undefined): void {
  for (const [kind, body] of Object.entries(e ?? {}))
    for (const k of ['min', 'max', 'threshold', 'amplitude'] as const) ck.plain([...at, 'encoder', kind, k], body[k] as number | undefined);
  // A Gaussian tuning curve of width 0 divides by 0.
  if (e?.population) ck.plain([...at, 'encoder', 'population', 'sigma'], e.population.sigma as number, 'positive');
}

/** The encoder a binding names, its quantities in internal units. */
function readEncoder(ck: DocumentChecks, at: string[], e: Record<string, Record<string, unknown>> | undefined): EncoderSpec | undefined {
  if (e?.rate) return { kind: 'rate', min: e.rate.min as number, max: e.rate.max as number, rateMin: ck.q([...at, 'encoder', 'rate', 'rate_min'], e.rate.rate_min, 'rate', 0, 'nonNegative'), rateMax: ck.q([...at, 'encoder', 'rate', 'rate_max'], e.rate.rate_max, 'rate', 0, 'nonNegative') };
  if (e?.current) return { kind: 'current', min: e.current.min as number, max: e.current.max as number, currentMin: ck.q([...at, 'encoder', 'current', 'current_min'], e.current.current_min, 'current', 0), currentMax: ck.q([...at, 'encoder', 'current', 'current_max'], e.current.current_max, 'current', 0) };
  if (e?.population) return { kind: 'population', ...(e.population as { min: number; max: number; sigma: number; amplitude: number }) };
  if (e?.threshold) return { kind: 'threshold', ...(e.threshold as { threshold: number; amplitude: number }) };
  return undefined;
}

type TermDoc = { population: string; decoder: Record<string, Record<string, unknown>>; weight?: number };
type ValueDoc = { terms?: TermDoc[]; from?: string; limits?: Record<string, number> };

/** One output binding: its destination (topic or device), rate and the values decoded into it. */
function readOutput(ck: DocumentChecks, refs: { devices: Record<string, DeviceSpec>; nodes: NodeSpec[]; inputs: InputBinding[] }, name: string, raw: Record<string, unknown>): OutputBinding {
  const at = ['outputs', name];
  if (raw.device === undefined && (raw.topic === undefined || raw.type === undefined)) ck.add(at, 'give topic and type, or a device');
  ck.deviceOk(at, raw.device, refs.devices);
  const defs = raw.device === undefined && raw.type !== undefined ? ck.typeOk([...at, 'type'], raw.type as string) : null;
  for (const r of (raw.requires as string[] | undefined) ?? []) if (!refs.inputs.some((i) => i.input === r)) ck.add([...at, 'requires'], `"${r}" is not an input of this bridge`);
  const values = Object.entries(raw.values as Record<string, ValueDoc>).map(([path, v]) => {
    if (defs) ck.pathOk([...at, 'values', path], path, defs);
    if (v.from !== undefined) ck.fromOk([...at, 'values', path, 'from'], v.from, refs.nodes);
    if (v.limits) ck.limitsOk([...at, 'values', path, 'limits'], v.limits);
    return {
      path,
      limits: v.limits ? { min: v.limits.min, max: v.limits.max, slewRate: v.limits.slew_rate, safe: v.limits.safe } : undefined,
      ...(v.from !== undefined ? { from: v.from } : {}),
      terms: (v.terms ?? []).map((t, k) => readTerm(ck, [...at, 'values', path, 'terms', String(k)], t)),
    };
  });
  if (raw.stamped === true && defs && !stampedVariant(raw.type as string)) ck.add([...at, 'stamped'], `${raw.type as string} has no stamped variant`);
  const device = raw.device === undefined ? {} : { device: raw.device as string, topic: raw.device as string, type: 'device' };
  const rateHz = ck.within([...at, 'rate'], raw.rate, 'rate', 10, BRIDGE_LIMITS.outputRateHz);
  return { name, topic: raw.topic as string, type: raw.type as string, ...device, rateHz, qos: qosOf(raw.qos, DEFAULT_QOS), requires: raw.requires as string[] | undefined, fields: raw.fields as Record<string, unknown> | undefined, values, stamped: raw.stamped as boolean | undefined, frameId: raw.frame_id as string | undefined };
}

/** One term of an output value: a population of the circuit and its decoder. */
function readTerm(ck: DocumentChecks, tp: string[], t: TermDoc): { population: string; decoder: DecoderSpec; weight?: number } {
  if (!ck.circuit.populations.some((p) => p.name === t.population)) ck.add([...tp, 'population'], `the circuit has no population "${t.population}"`);
  const [kind, d] = Object.entries(t.decoder)[0];
  const dp = [...tp, 'decoder', kind];
  ck.plain([...tp, 'weight'], t.weight);
  for (const k of ['min', 'max', 'idle', 'scale'] as const) ck.plain([...dp, k], d[k] as number | undefined);
  if (Array.isArray(d.values)) d.values.forEach((x, k) => ck.plain([...dp, 'values', String(k)], x as number));
  const tau = (fallback: number) => ck.q([...dp, 'tau'], d.tau, 'time', fallback, 'positive');
  const dec: DecoderSpec =
    kind === 'rate' ? { kind, tau: tau(100), rateMin: ck.q([...dp, 'rate_min'], d.rate_min, 'rate', 0, 'nonNegative'), rateMax: ck.q([...dp, 'rate_max'], d.rate_max, 'rate', 100, 'nonNegative'), min: d.min as number, max: d.max as number }
    : kind === 'population_vector' ? { kind, tau: tau(100), min: d.min as number, max: d.max as number, idle: d.idle as number | undefined }
    : kind === 'winner_take_all' ? { kind, tau: tau(100), values: d.values as number[], idle: d.idle as number | undefined }
    : { kind: 'count', window: ck.within([...dp, 'window'], d.window, 'time', 100, BRIDGE_LIMITS.countWindowMs), scale: d.scale as number | undefined };
  return { population: t.population, decoder: dec, weight: t.weight };
}

type SpikesDoc = { send?: Record<string, { topic: string; wait_for?: number }>; receive?: Record<string, { topic: string; delay?: number; sync?: 'lockstep' | 'free'; timeout?: unknown }> };

/** Spike links: populations sent, and relay inputs (a rate input on a poisson population at 0 Hz) received. */
function readSpikes(ck: DocumentChecks, sp: SpikesDoc): { send: SpikeSendSpec[]; receive: SpikeReceiveSpec[] } {
  const { circuit } = ck;
  const spikes = { send: [] as SpikeSendSpec[], receive: [] as SpikeReceiveSpec[] };
  for (const [population, raw] of Object.entries(sp.send ?? {})) {
    if (!circuit.populations.some((p) => p.name === population)) ck.add(['spikes', 'send', population], `the circuit has no population "${population}"`);
    spikes.send.push({ population, topic: raw.topic, waitFor: raw.wait_for });
  }
  for (const [input, raw] of Object.entries(sp.receive ?? {})) {
    const at = ['spikes', 'receive', input];
    const inp = circuit.inputs.find((i) => i.name === input);
    const relay = inp?.target ? circuit.populations.find((p) => p.name === inp.target) : undefined;
    if (!inp) ck.add(at, `the circuit has no input "${input}"; a relay needs a rate input targeting a poisson population with rate 0`);
    else if (inp.mode !== 'rate' || !relay || relay.model !== 'poisson') ck.add(at, `input "${input}" must be a rate input targeting a poisson population (the relay); it is a ${inp.mode} input${relay ? ` of ${relay.name} (${relay.model})` : ''}`);
    else if ((relay.params.rate ?? 0) !== 0) ck.add(at, `relay population ${relay.name} must have rate 0 Hz (it has ${relay.params.rate} Hz): it would fire spikes the sender never fired`);
    spikes.receive.push({ input, topic: raw.topic, delayTicks: raw.delay, sync: raw.sync, timeoutMs: ck.within([...at, 'timeout'], raw.timeout, 'time', 1000, BRIDGE_LIMITS.timeoutMs) });
  }
  return spikes;
}
