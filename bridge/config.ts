// Bridge documents: which topics drive which circuit inputs and which populations drive which
// messages, in YAML or JSON next to the circuit they reference. Checked like a circuit: a JSON Schema
// (ajv) for the shape, then the references (circuit inputs and populations, message types, field paths)
// against the circuit and the message definitions; every problem with its file, line and JSON path.
// The schema is declared once, with TypeBox: the types of the document the readers below take are
// its Static types; encoders and decoders bring their own options (bridge/encoders.ts, decoders.ts).
import { BRIDGE_DEFAULTS, TICK_HZ, WATCHDOG_MS } from './loop-limits.js';
import { host } from '../engine/platform/host.js';
import { Ajv, type ValidateFunction } from 'ajv';
import { Type, type SchemaOptions, type Static, type TSchema } from '@sinclair/typebox';
import { parseFile, parseText } from '../engine/circuit/parse.js';
import { resolveModulePath } from '../engine/circuit/resolve.js';
import { CircuitError, IssueList, pointer } from '../engine/circuit/errors.js';
import { loadCircuit } from '../engine/engine.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { checkQuantity, quantityProblem, type Dimension, type Sign } from '../engine/units.js';
import { definitionsFor } from './codec/definitions.js';
import { compileFieldPath } from './fieldpath.js';
import { stampedVariant } from './stamped.js';
import type { DeviceSpec } from './devices.js';
import type { SpikeReceiveSpec, SpikeSendSpec } from './spike-link.js';
import type { Extension } from '../extensions/api.js';
import { BUILTIN_EXTENSIONS } from '../extensions/builtin/index.js';
import { stringEnum } from '../extensions/builtin/util.js';
import { IO_EXTENSIONS } from './io/index.js';
import { qosOf, qosSchema } from './io/ros-topic.js';
import type { NodeSpec } from '../extensions/host.js';
import { ExtensionRegistry } from '../extensions/registry.js';
import { DEVICES_SCHEMA } from './device-schema.js';
import type { BridgeConfig, InputBinding, OutputBinding } from './bridge.js';
import { Num, Quantity, type DocChecks } from './encoders/kinds.js';
import { ENCODER_SCHEMA, readEncoder } from './encoders.js';
import { COUNT_WINDOW_MS, DECODER_SCHEMA, readDecoder, type DecoderSpec } from './decoders.js';
import { DEFAULT_QOS, SENSOR_QOS, type QoS } from './transport/transport.js';

const QOS_SCHEMA = Type.Union([stringEnum(['sensor', 'default']), qosSchema]);

/** An object with only the properties it declares (an all-optional one keeps the `required: []` it is published with). */
const closed = <P extends Record<string, TSchema>>(properties: P, options: Record<string, unknown> = {}) =>
  Type.Object(properties, { additionalProperties: false, required: [], ...options });

/**
 * A map from the document's names (inputs, nodes, populations) to `value`, as `additionalProperties`
 * (TypeBox's Record would state it as patternProperties, a different published schema).
 */
const named = <T extends TSchema>(value: T, options: SchemaOptions = {}) =>
  Type.Unsafe<Record<string, Static<T>>>({ type: 'object', ...options, additionalProperties: value });

/** An object of any shape (an extension's options, a message's fixed fields): checked elsewhere or not at all. */
const anyObject = (options: SchemaOptions = {}) => Type.Unsafe<Record<string, unknown>>({ type: 'object', ...options });

const SPIKES_SCHEMA = Type.Object(
  {
    send: Type.Optional(
      named(
        closed({
          topic: Type.String(),
          wait_for: Type.Optional(
            Type.Integer({ minimum: 0, description: 'receivers to wait for before the first tick (lockstep links), default 0' }),
          ),
        }),
        { description: 'populations whose spikes this process sends, one message per tick; keys are population names' },
      ),
    ),
    receive: Type.Optional(
      named(
        closed({
          topic: Type.String(),
          delay: Type.Optional(Type.Integer({ minimum: 1, description: 'ticks added to every spike, at least 1 (default 1)' })),
          sync: Type.Optional(
            stringEnum(['lockstep', 'free'], {
              description: "lockstep (default): wait for the sender's tick; free: fire what has arrived",
            }),
          ),
          timeout: Type.Optional(Quantity({ description: 'lockstep: how long a tick waits for the sender (default 1 s)' })),
        }),
        { description: 'spikes fired by a relay population: keys are rate inputs that target a poisson population with rate 0' },
      ),
    ),
  },
  { additionalProperties: false, description: 'spike links to and from other Flux processes (distributed circuits; bridge/spike-link.ts)' },
);

const NODE_SCHEMA = closed({
  type: Type.String({ description: 'a built-in extension or one from a loaded module' }),
  options: Type.Optional(anyObject({ description: "the extension's options (its own schema)" })),
  in: Type.Optional(
    named(Type.Unsafe<string | number>({ type: ['string', 'number'] }), {
      description: 'input port -> <node>.<port>, inputs.<input>, outputs.<output>.<path>, or a number',
    }),
  ),
  rate: Type.Optional(Quantity({ description: 'compute nodes: how often they run (default: every engine tick)' })),
  isolate: Type.Optional(Type.Boolean({ description: 'run in a worker thread (default: yes for loaded modules, no for built-ins)' })),
});

const INPUT_SCHEMA = closed(
  {
    from: Type.Optional(Type.String({ description: 'an extension node output (<node>.<port>) instead of a topic or device' })),
    topic: Type.Optional(Type.String({ pattern: '^/?[A-Za-z~][A-Za-z0-9_/~{}]*$' })),
    type: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    device: Type.Optional(Type.String({ description: 'a device of `devices` instead of a topic' })),
    field: Type.Optional(Type.String({ description: "the device's input field" })),
    qos: Type.Optional(QOS_SCHEMA),
    encoder: Type.Optional(ENCODER_SCHEMA),
    timeout: Type.Optional(Quantity()),
    valid: Type.Optional(Type.Array(Num, { minItems: 2, maxItems: 2 })),
  },
  { oneOf: [{ required: ['topic', 'type', 'path'] }, { required: ['device', 'field'] }, { required: ['from'] }] },
);

const LIMITS_SCHEMA = closed({ min: Type.Optional(Num), max: Type.Optional(Num), slew_rate: Type.Optional(Num), safe: Type.Optional(Num) });

const TERM_SCHEMA = closed({ population: Type.String(), decoder: DECODER_SCHEMA, weight: Type.Optional(Num) });

const VALUE_SCHEMA = closed(
  {
    terms: Type.Optional(Type.Array(TERM_SCHEMA, { minItems: 1 })),
    from: Type.Optional(Type.String({ description: 'an extension node output (<node>.<port>) instead of decoded populations' })),
    limits: Type.Optional(LIMITS_SCHEMA),
  },
  { oneOf: [{ required: ['terms'] }, { required: ['from'] }] },
);

const OUTPUT_SCHEMA = closed({
  topic: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  device: Type.Optional(
    Type.String({ description: "a device of `devices` instead of a topic; value paths name the device's output fields" }),
  ),
  rate: Quantity(),
  qos: Type.Optional(QOS_SCHEMA),
  requires: Type.Optional(Type.Array(Type.String())),
  stamped: Type.Optional(
    Type.Boolean({ description: 'publish the stamped variant (Twist -> TwistStamped); a ROS parameter can change it' }),
  ),
  frame_id: Type.Optional(Type.String({ description: 'header.frame_id of a stamped output (default base_link)' })),
  fields: Type.Optional(anyObject()),
  values: named(VALUE_SCHEMA, { minProperties: 1 }),
});

/**
 * The document's schema with `node` as the schema of an extension node (bridgeSchemaWith puts every
 * known extension's options in it).
 */
function documentSchema<N extends TSchema>(node: N) {
  const extensions = Type.Object(
    {
      load: Type.Optional(
        Type.Array(Type.String(), { description: 'extension modules: a path relative to this file, or an installed package' }),
      ),
      nodes: Type.Optional(
        named(node, { description: 'extension nodes by name; an input binding or an output value reads one with from: <node>.<port>' }),
      ),
    },
    {
      additionalProperties: false,
      description: 'extension nodes (extensions/api.ts): built-in compute nodes and extensions loaded from modules',
    },
  );
  return Type.Object(
    {
      $schema: Type.Optional(Type.String()),
      circuit: Type.String({ description: 'the circuit file, relative to this file' }),
      tick: Type.Optional(Quantity({ description: 'engine ticks per second (default 1 kHz)' })),
      watchdog: Type.Optional(
        Quantity({ description: 'no finished tick for this long sends every output to its safe value (default 50 ms)' }),
      ),
      devices: Type.Optional(DEVICES_SCHEMA),
      spikes: Type.Optional(SPIKES_SCHEMA),
      extensions: Type.Optional(extensions),
      inputs: Type.Optional(named(INPUT_SCHEMA)),
      outputs: Type.Optional(named(OUTPUT_SCHEMA)),
    },
    { $schema: 'http://json-schema.org/draft-07/schema#', title: 'Flux bridge', additionalProperties: false },
  );
}

export const BRIDGE_SCHEMA = documentSchema(NODE_SCHEMA);

/** A bridge document that passed BRIDGE_SCHEMA. */
export type BridgeDoc = Static<typeof BRIDGE_SCHEMA>;
type InputDoc = Static<typeof INPUT_SCHEMA>;
type OutputDoc = Static<typeof OUTPUT_SCHEMA>;
type TermDoc = Static<typeof TERM_SCHEMA>;
type LimitsDoc = Static<typeof LIMITS_SCHEMA>;
type SpikesDoc = Static<typeof SPIKES_SCHEMA>;

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
export function bridgeSchemaWith(registry: ExtensionRegistry) {
  const names = registry.names();
  const node = closed(
    { ...NODE_SCHEMA.properties, type: stringEnum(names, { description: NODE_SCHEMA.properties.type.description }) },
    {
      allOf: names.map((name) => {
        const e = registry.get(name)!.extension;
        return {
          if: { properties: { type: { const: name } } },
          then: { properties: { options: { ...e.options, description: `${name} (${e.kind}): ${e.doc}` } } },
        };
      }),
    },
  );
  return documentSchema(node);
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

let validate: ValidateFunction<BridgeDoc> | undefined;

/**
 * The ranges of a bridge's safety and timing values (internal units: ms, Hz), beyond the plausible
 * range every quantity has (units.ts QUANTITY_LIMITS). A watchdog or a staleness timeout that never
 * fires, or a tick or output rate of 1e400 Hz, would leave the robot holding its last command.
 */
export const BRIDGE_LIMITS = {
  /** Engine ticks per second. */
  tickHz: TICK_HZ,
  /** Messages per second of an output (its safe value is repeated at this rate too). */
  outputRateHz: { min: 1, max: 10_000 },
  /** Compute nodes' rate. */
  nodeRateHz: { min: 1e-3, max: 10_000 },
  /** No finished tick for this long sends the safe values. */
  watchdogMs: WATCHDOG_MS,
  /** Input staleness and spike-link waits. */
  timeoutMs: { min: 0, max: 3_600_000 },
  /** A count decoder keeps one slot per engine step of its window (bridge/decoders/count.ts). */
  countWindowMs: COUNT_WINDOW_MS,
} as const;

/** What a document that does not say gets (the `tick` and `watchdog` schema descriptions say the same). */

/**
 * Reads and checks a bridge document and its circuit (or `circuitFile` in place of the one it names,
 * e.g. from a ROS parameter). Throws one CircuitError listing every problem.
 */
export function loadBridge(file: string, circuitFile?: string, text?: string, circuitText?: string): LoadedBridge {
  // `text` in place of the file's content (as loadCircuit takes it): relative references still resolve from `file`.
  const parsed = text === undefined ? parseFile(file) : parseText(text, file);
  const issues = new IssueList(file, parsed.locate);
  const doc = validateShape(parsed.doc, issues);
  // A path relative to this file, or a package circuit (`@lab/cpg/half-centre`) as includes name them.
  if (circuitFile === undefined) {
    try {
      circuitFile = resolveModulePath(doc.circuit, file);
    } catch (e) {
      issues.add(pointer('circuit'), (e as Error).message);
      throw new CircuitError(issues.issues);
    }
  }
  // `circuitText`: the circuit file's next content (a module insert builds before it writes).
  const { circuit } = loadCircuit(circuitFile, circuitText);
  const ck = new DocumentChecks(issues, circuit);
  const devices = doc.devices ?? {};
  const ex = doc.extensions ?? {};
  const nodes: NodeSpec[] = Object.entries(ex.nodes ?? {}).map(([name, n]) => ({
    name,
    type: n.type,
    options: n.options ?? {},
    in: n.in ?? {},
    ...(n.rate !== undefined
      ? { rateHz: ck.within(['extensions', 'nodes', name, 'rate'], n.rate, 'rate', 1, BRIDGE_LIMITS.nodeRateHz) }
      : {}),
    ...(n.isolate !== undefined ? { isolate: n.isolate } : {}),
  }));
  const refs = { devices, nodes };
  const inputs = Object.entries(doc.inputs ?? {}).map(([name, raw]) => readInput(ck, refs, name, raw));
  const outputs = Object.entries(doc.outputs ?? {}).map(([name, raw]) => readOutput(ck, { ...refs, inputs }, name, raw));
  const spikes = readSpikes(ck, doc.spikes ?? {});
  const tickHz = ck.within(['tick'], doc.tick, 'rate', BRIDGE_DEFAULTS.tickHz, BRIDGE_LIMITS.tickHz);
  const watchdogMs = ck.within(['watchdog'], doc.watchdog, 'time', BRIDGE_DEFAULTS.watchdogMs, BRIDGE_LIMITS.watchdogMs);
  for (const [name, dev] of Object.entries(devices))
    for (const [out, spec] of Object.entries('board' in dev ? (dev.board.outputs ?? {}) : {}))
      ck.limitsOk(['devices', name, 'board', 'outputs', out], spec);
  if (!issues.ok) throw new CircuitError(issues.issues);
  return {
    file,
    circuitFile,
    circuit,
    config: { inputs, outputs, tickHz, watchdogMs, ...(spikes.send.length || spikes.receive.length ? { spikes } : {}) },
    devices,
    extensions: { load: ex.load ?? [], nodes, dir: host().dirname(file), file, locate: parsed.locate },
  };
}

/** The document against BRIDGE_SCHEMA: every problem with its path; throws when there is one. */
function validateShape(doc: unknown, issues: IssueList): BridgeDoc {
  // strictNumbers: YAML's .nan and .inf (and 1e400) are not numbers to any field of the document.
  validate ??= new Ajv({ allErrors: true, strict: false, strictNumbers: true, verbose: true }).compile<BridgeDoc>(BRIDGE_SCHEMA);
  if (validate(doc)) return doc;
  for (const e of validate.errors ?? []) {
    if (e.keyword === 'additionalProperties') {
      // Point at the unknown property itself (its line), not at the object holding it.
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      issues.add(
        `${e.instancePath}${pointer(extra)}`,
        `unknown property "${extra}"; expected one of ${Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).join(', ')}`,
      );
    } else if (typeof e.data === 'number' && !Number.isFinite(e.data)) {
      // One issue for the value, not one per branch of the anyOf it fails.
      if (!issues.issues.some((i) => i.path === e.instancePath)) issues.add(e.instancePath, `expected a finite number, got ${e.data}`);
    } else issues.add(e.instancePath, e.message ?? 'invalid');
  }
  throw new CircuitError(issues.issues);
}

/** The checks a document's values need beyond its schema; each problem is added to `issues` with its path. */
class DocumentChecks implements DocChecks {
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
      typeof x === 'string'
        ? x
        : x < range.min
          ? `${x} ${unit} is too low: at least ${range.min} ${unit}`
          : x > range.max
            ? `${x} ${unit} is too high: at most ${range.max} ${unit}`
            : null;
    if (problem) this.add(path, problem);
    return problem ? fallback : (x as number);
  }

  /** A plain number of the document (encoder and decoder bounds, limits): finite and plausible. */
  plain<T extends number | undefined>(path: string[], v: T, sign: Sign = 'any'): T {
    if (v === undefined) return v;
    const problem = quantityProblem(v, 'dimensionless', sign);
    if (problem) this.add(path, problem);
    return v;
  }

  /** Output limits: every number finite, min <= max, the safe value within them, a slew rate > 0. */
  limitsOk(at: string[], l: LimitsDoc): void {
    const bad = (['min', 'max', 'safe'] as const).filter(
      (k) => l[k] !== undefined && this.plain([...at, k], l[k]) !== undefined && quantityProblem(l[k], 'dimensionless') !== null,
    );
    if (l.slew_rate !== undefined) this.plain([...at, 'slew_rate'], l.slew_rate, 'positive');
    if (bad.length > 0) return;
    const lo = l.min ?? -Infinity;
    const hi = l.max ?? Infinity;
    if (lo > hi) this.add(at, `min (${lo}) is above max (${hi})`);
    else if (l.safe !== undefined && !(l.safe >= lo && l.safe <= hi))
      this.add([...at, 'safe'], `the safe value ${l.safe} is outside [${lo}, ${hi}]: it would not be sent as it is`);
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
    if (!port || !nodes.some((n) => n.name === node))
      this.add(at, `"${ref}" is not <node>.<port> of a node in extensions.nodes (${nodes.map((n) => n.name).join(', ') || 'none'})`);
  }

  deviceOk(at: string[], device: string | undefined, devices: Record<string, DeviceSpec>): void {
    if (device !== undefined && !Object.hasOwn(devices, device))
      this.add([...at, 'device'], `no device "${device}" in devices (${Object.keys(devices).join(', ') || 'none'})`);
  }
}

type MessageDefinitions = ReturnType<typeof definitionsFor>['definitions'];
/** A binding's QoS: a named profile, or the fields given over the binding kind's profile. */
const bindingQos = (v: Static<typeof QOS_SCHEMA> | undefined, fallback: QoS): QoS =>
  v === 'sensor' ? SENSOR_QOS : v === 'default' ? fallback : qosOf(v, fallback);

/** One input binding: its circuit input, source (topic, device or node output), encoder and timeout. */
function readInput(
  ck: DocumentChecks,
  refs: { devices: Record<string, DeviceSpec>; nodes: NodeSpec[] },
  name: string,
  raw: InputDoc,
): InputBinding {
  const at = ['inputs', name];
  const { circuit } = ck;
  const inp = circuit.inputs.find((i) => i.name === name);
  if (!inp) ck.add(at, `the circuit has no input "${name}"; it has ${circuit.inputs.map((i) => i.name).join(', ') || 'none'}`);
  else if (inp.target !== null && !raw.encoder) ck.add(at, `input "${name}" drives population ${inp.target}: give an encoder`);
  ck.deviceOk(at, raw.device, refs.devices);
  const source = inputSource(ck, at, raw);
  if (raw.from !== undefined) ck.fromOk([...at, 'from'], raw.from, refs.nodes);
  const encoder = readEncoder(ck, at, raw.encoder);
  if (Array.isArray(raw.valid)) {
    const [lo, hi] = raw.valid.map((x, k) => ck.plain([...at, 'valid', String(k)], x));
    if (lo > hi) ck.add([...at, 'valid'], `the valid range [${lo}, ${hi}] is reversed`);
  }
  const timeoutMs = ck.within([...at, 'timeout'], raw.timeout, 'time', 500, BRIDGE_LIMITS.timeoutMs);
  return {
    input: name,
    ...source,
    qos: bindingQos(raw.qos, SENSOR_QOS),
    encoder,
    timeoutMs,
    valid: raw.valid && [raw.valid[0], raw.valid[1]],
  };
}

/** Where an input's value comes from: a node output, a device field, or a topic's field (its type and path checked). */
function inputSource(
  ck: DocumentChecks,
  at: string[],
  raw: InputDoc,
): Pick<InputBinding, 'topic' | 'type' | 'path' | 'from' | 'device' | 'field'> {
  if (raw.from !== undefined) return { from: raw.from, topic: `extension ${raw.from}`, type: 'extension', path: raw.from };
  // The schema's oneOf: without `from`, an input names a device and field, or a topic, type and path.
  if (raw.device !== undefined && raw.field !== undefined)
    return { device: raw.device, field: raw.field, topic: `${raw.device}/${raw.field}`, type: 'device', path: raw.field };
  const { topic = '', type = '', path = '' } = raw;
  const defs = ck.typeOk([...at, 'type'], type);
  if (defs) ck.pathOk([...at, 'path'], path, defs);
  return { topic, type, path };
}

/** One output binding: its destination (topic or device), rate and the values decoded into it. */
function readOutput(
  ck: DocumentChecks,
  refs: { devices: Record<string, DeviceSpec>; nodes: NodeSpec[]; inputs: InputBinding[] },
  name: string,
  raw: OutputDoc,
): OutputBinding {
  const at = ['outputs', name];
  if (raw.device === undefined && (raw.topic === undefined || raw.type === undefined)) ck.add(at, 'give topic and type, or a device');
  ck.deviceOk(at, raw.device, refs.devices);
  const defs = raw.device === undefined && raw.type !== undefined ? ck.typeOk([...at, 'type'], raw.type) : null;
  for (const r of raw.requires ?? [])
    if (!refs.inputs.some((i) => i.input === r)) ck.add([...at, 'requires'], `"${r}" is not an input of this bridge`);
  const values = Object.entries(raw.values).map(([path, v]) => {
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
  if (raw.stamped === true && defs && raw.type !== undefined && !stampedVariant(raw.type))
    ck.add([...at, 'stamped'], `${raw.type} has no stamped variant`);
  // Without a device, the check above made topic and type given (the problem is reported otherwise).
  const destination =
    raw.device === undefined ? { topic: raw.topic ?? '', type: raw.type ?? '' } : { device: raw.device, topic: raw.device, type: 'device' };
  const rateHz = ck.within([...at, 'rate'], raw.rate, 'rate', 10, BRIDGE_LIMITS.outputRateHz);
  return {
    name,
    ...destination,
    rateHz,
    qos: bindingQos(raw.qos, DEFAULT_QOS),
    requires: raw.requires,
    fields: raw.fields,
    values,
    stamped: raw.stamped,
    frameId: raw.frame_id,
  };
}

/** One term of an output value: a population of the circuit and its decoder. */
function readTerm(ck: DocumentChecks, tp: string[], t: TermDoc): { population: string; decoder: DecoderSpec; weight?: number } {
  if (!ck.circuit.populations.some((p) => p.name === t.population))
    ck.add([...tp, 'population'], `the circuit has no population "${t.population}"`);
  ck.plain([...tp, 'weight'], t.weight);
  return { population: t.population, decoder: readDecoder(ck, tp, t.decoder), weight: t.weight };
}

/** Spike links: populations sent, and relay inputs (a rate input on a poisson population at 0 Hz) received. */
function readSpikes(ck: DocumentChecks, sp: SpikesDoc): { send: SpikeSendSpec[]; receive: SpikeReceiveSpec[] } {
  const { circuit } = ck;
  const spikes = { send: [] as SpikeSendSpec[], receive: [] as SpikeReceiveSpec[] };
  for (const [population, raw] of Object.entries(sp.send ?? {})) {
    if (!circuit.populations.some((p) => p.name === population))
      ck.add(['spikes', 'send', population], `the circuit has no population "${population}"`);
    spikes.send.push({ population, topic: raw.topic, waitFor: raw.wait_for });
  }
  for (const [input, raw] of Object.entries(sp.receive ?? {})) {
    const at = ['spikes', 'receive', input];
    const inp = circuit.inputs.find((i) => i.name === input);
    const relay = inp?.target ? circuit.populations.find((p) => p.name === inp.target) : undefined;
    if (!inp) ck.add(at, `the circuit has no input "${input}"; a relay needs a rate input targeting a poisson population with rate 0`);
    else if (inp.mode !== 'rate' || !relay || relay.model !== 'poisson')
      ck.add(
        at,
        `input "${input}" must be a rate input targeting a poisson population (the relay); it is a ${inp.mode} input${relay ? ` of ${relay.name} (${relay.model})` : ''}`,
      );
    else if ((relay.params.rate ?? 0) !== 0)
      ck.add(
        at,
        `relay population ${relay.name} must have rate 0 Hz (it has ${relay.params.rate} Hz): it would fire spikes the sender never fired`,
      );
    spikes.receive.push({
      input,
      topic: raw.topic,
      delayTicks: raw.delay,
      sync: raw.sync,
      timeoutMs: ck.within([...at, 'timeout'], raw.timeout, 'time', 1000, BRIDGE_LIMITS.timeoutMs),
    });
  }
  return spikes;
}

/** Whether a document is a bridge document (it names the circuit it drives, an own property) rather than a circuit. */
export function isBridgeDocument(file: string): boolean {
  const doc = parseFile(file).doc as unknown;
  return (
    typeof doc === 'object' && doc !== null && Object.hasOwn(doc, 'circuit') && typeof (doc as { circuit?: unknown }).circuit === 'string'
  );
}
