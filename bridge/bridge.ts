// The stream layer: topics -> decode -> field path -> checks -> latest value (RxJS), sampled by a fixed
// engine tick -> encoders -> circuit inputs; engine spikes -> decoders; each output when due at its
// rate, right after a tick -> limits -> field path into its message -> encode -> topic. Latest-value sampling everywhere: no queue
// grows when the engine or a publisher is slower than a sensor.
//
// Safety: an input older than its timeout is stale; outputs that need it publish their safe value. Two
// watchdogs publish every output's safe value when no tick has finished within `watchdogMs`: one on
// this thread's timer (an engine stuck in an awaited step, e.g. a lost GPU; under simulated time, an
// engine that has fallen that far behind the simulation), and the guard thread (bridge/safety), which
// writes through its own DDS writer or the serial port's descriptor and so also covers a loop whose
// thread is frozen (a long compile, an endless loop, a flood). After a stall the loop's outputs count
// again only once it has run on time for a whole watchdog period; below a real-time factor bound they
// are safe too (bridge/safety/loop-health.ts). NaN or infinite neuron state, or a decoded output
// that is not finite, is a failed tick that names the population. Malformed bytes, non-finite and
// out-of-range values are counted and dropped, never encoded.
//
// Live reconfiguration (ROS parameters, the dashboard): the tick rate, the watchdog, topic names and
// stamped/unstamped outputs change between ticks without stopping the loop; decoders and limiters keep
// their state, so a renamed or retyped output continues smoothly.
import { BRIDGE_DEFAULTS, tickHzProblem, watchdogMsProblem } from './loop-limits.js';
import { Observable, Subject, Subscription, filter, interval, map } from 'rxjs';
import { scalar, type InputInstance, type OutputInstance, type PortValue } from '../extensions/api.js';
import { ExtensionHost, type NodeSpec } from '../extensions/host.js';
import type { ExtensionRegistry } from '../extensions/registry.js';
import type { IoContext } from './io/context.js';
import { deviceIn, deviceOut } from './io/device.js';
import { rosTopicIn, rosTopicOut, topicWire, type Command } from './io/ros-topic.js';
import type { Device } from './devices.js';
import type { Engine } from '../engine/engine.js';
import { takeSpikes, takeState, type StateProbe } from '../engine/recorder.js';
import type { Backend } from '../engine/backends/backend.js';
import type { DefinitionSource } from './codec/definitions.js';
import { createEncoder, type Encoder, type EncoderSpec } from './encoders.js';
import { createDecoder, type Decoder, type DecoderSpec } from './decoders.js';
import { Limiter, type LimitSpec } from './limits.js';
import { WallClock, type Clock } from './clock.js';
import { DEFAULT_QOS, SENSOR_QOS, type QoS, type Transport } from './transport/transport.js';
import { RELAY_DRIVE, SpikeReceiver, SpikeSender, type SpikeLinkStats, type SpikeReceiveSpec, type SpikeSendSpec } from './spike-link.js';
import { SafetyGuard } from './safety/guard.js';
import { LoopHealth } from './safety/loop-health.js';
import type { GuardChannel } from './safety/protocol.js';
import { GuardChannels, type GuardedOutput } from './safety/channels.js';
import { turn } from '../engine/platform/turn.js';
import { host } from '../engine/platform/host.js';

export interface InputBinding {
  /** The circuit input it drives (a population input, or a signal input feeding a modulator). */
  input: string;
  /** A device field instead of a topic (bridge/devices.ts): topic, type and path are then unused. */
  device?: string;
  /** An extension node's output port (`<node>.<port>`) instead of a topic or device. */
  from?: string;
  field?: string;
  topic: string;
  type: string;
  path: string;
  qos?: QoS;
  /** Required for population inputs; a signal input takes the value as it is. */
  encoder?: EncoderSpec;
  /** Older than this (ms) the value is stale (default 500). */
  timeoutMs?: number;
  /**
   * The sensor's physical range: finite values outside are dropped and counted, and +inf/-inf (REP 117:
   * no return within range, or nearer than the minimum) saturate to hi/lo. Without it infinities are dropped.
   */
  valid?: [number, number];
}

/** One field of an output message: a weighted sum of decoded populations, then limits. */
export interface OutputValue {
  /** Where the value goes in the message (`twist.linear.x`). */
  path: string;
  /** E.g. angular.z = k * (right rate - left rate): two terms with weights k and -k. */
  terms: { population: string; decoder: DecoderSpec; weight?: number }[];
  /** An extension node's output port (`<node>.<port>`) instead of decoded populations (terms empty). */
  from?: string;
  limits?: LimitSpec;
}

export interface OutputBinding {
  name: string;
  /** A device instead of a topic: each value's path names a device output field; topic and type are unused. */
  device?: string;
  topic: string;
  type: string;
  values: OutputValue[];
  rateHz: number;
  qos?: QoS;
  /** Inputs whose staleness forces this output to its safe value (default: every input). */
  requires?: string[];
  /** Fixed fields of the published message (e.g. header.frame_id), merged into its zero value. */
  fields?: Record<string, unknown>;
  /** Publish the stamped variant of `type` (Twist -> TwistStamped; value paths move under `twist.`). */
  stamped?: boolean;
  /** header.frame_id of a stamped output (default base_link). */
  frameId?: string;
}

export interface BridgeConfig {
  inputs: InputBinding[];
  outputs: OutputBinding[];
  /** Engine ticks per second (default 1000); each tick runs period/dt steps. */
  tickHz?: number;
  /** No finished tick for this long (ms) trips the watchdog (default 50). */
  watchdogMs?: number;
  /** The wall clock by default, or simulation time (SimClock on /clock). */
  clock?: Clock;
  definitions?: DefinitionSource;
  /** Called after every tick with its start and end (clock ms): for benchmarks and dashboards. */
  onTick?: (start: number, end: number) => void;
  /** The devices that device bindings name (opened and closed by the caller). */
  devices?: Map<string, Device>;
  /** Errors the bridge survived (a failed engine step, a publisher that threw); default: stderr. */
  onError?: (message: string) => void;
  /** Spike links to and from other Flux processes (bridge/spike-link.ts: distributed circuits). */
  spikes?: { send: SpikeSendSpec[]; receive: SpikeReceiveSpec[] };
  /** Extension nodes (extensions/host.ts), started by prepare(); their registry from prepareExtensions. */
  extensions?: { registry: ExtensionRegistry<IoContext>; nodes: NodeSpec[]; dir: string };
  /**
   * The guard thread (bridge/safety): on by default wherever an output has a path it can write without
   * this thread (DDS topics, serial devices); false turns it off.
   */
  guard?: boolean;
  /** Below this real-time factor (engine time per clock time, over a short window) the outputs are safe (default 0.5). */
  minRealtimeFactor?: number;
  /** How often (clock ms) every population's state is checked for NaN and infinities (default 100; 1000 on a GPU). */
  stateCheckMs?: number;
}

export interface BridgeStats {
  received: number;
  malformed: number;
  /** Samples replaced by a newer one before they were decoded (a flood costs only the newest). */
  superseded: number;
  nonFinite: number;
  outOfRange: number;
  published: number;
  safePublished: number;
  ticks: number;
  /** Ticks that finished after the next one was due. */
  overruns: number;
  watchdogTrips: number;
  /** Trips of the guard thread (a frozen or late loop), included in watchdogTrips. */
  guardTrips: number;
  /** Ticks that failed (the engine threw) and publishes that threw; each sent the outputs safe. */
  errors: number;
}

/** Spike steps or indices: a number[] or a typed view. */
export type SpikeList = ArrayLike<number> & Iterable<number>;

/**
 * One tick's spikes of every population, handed to a spike tap (the dashboard) after the decoders have
 * read theirs. Steps are absolute step indices in ascending order; indices are within the population.
 */
export interface TickSpikes {
  /** Step index of the tick's first step. */
  first: number;
  steps: number;
  dt: number;
  /** Views of the recorder's memory: read them in the tap, before the engine steps again. */
  populations: Map<string, { steps: SpikeList; indices: SpikeList }>;
}

/** Called once per tick; the tick's arrays are reused by the next tick: copy what is kept. */
export type SpikeTap = (tick: TickSpikes) => void;

/** A tick's samples of traced state: one entry per probe (population and variable), in the probes' order. */
export type StateTap = (
  samples: { population: string; variable: string; indices: number[]; steps: number[]; values: number[][] }[],
) => void;

/** What a dashboard shows of the bridge's inputs and outputs. */
export interface BridgeSnapshot {
  inputs: {
    input: string;
    topic: string;
    type: string;
    path: string;
    value: number | { n: number; min: number; max: number; mean: number } | null;
    ageMs: number | null;
    stale: boolean;
  }[];
  outputs: { name: string; topic: string; type: string; values: Record<string, number>; safe: boolean; ageMs: number | null }[];
  /** Serial devices and boards: one line each (kind, port, state). */
  devices: { name: string; status: string }[];
  /** Extension nodes: state, error count and output values (extensions/host.ts). */
  extensions: {
    name: string;
    type: string;
    kind: string;
    state: string;
    errors: number;
    lastError: string | null;
    outputs: Record<string, unknown>;
  }[];
}

/** Wall-clock time the tick loop spent in ticks (engine step, decoders, taps), cumulative. */
export interface TickTiming {
  ticks: number;
  busyMs: number;
  /** The longest tick since a reader last set this to 0 (the dashboard does, at each sample). */
  maxMs: number;
}

interface LiveInput {
  spec: InputBinding;
  /** Where values come from: a ros_topic_in or device_in extension node (null for `from:` inputs). */
  source: InputInstance | null;
  encoder: Encoder | null;
  size: number;
  value: number | number[] | null;
  at: number;
  /** What was last handed to the engine (a new message or staleness changes it). */
  applied: number | number[] | null | 'stale';
  /** `from:` inputs: the source time of the value last received. */
  fromAt?: number;
  sub: Subscription | null;
}

interface LiveOutput {
  spec: OutputBinding;
  /** What goes on the wire (the stamped variant when spec.stamped), or `device <name>`. */
  type: string;
  /** Set for a device output: values go to the device instead of a topic. */
  device: Device | null;
  values: { terms: { population: string; decoder: Decoder; weight: number }[]; from: string | null; limiter: Limiter }[];
  /** The ros_topic_out or device_out extension node that sends the commands, while running. */
  sink: { instance: OutputInstance; commands: Subject<Command>; failed: unknown } | null;
  lastAt: number;
  /** Clock time of the next publish. */
  dueAt: number;
  /** The last published values (per value path) and whether they were the safe ones. */
  last: { values: number[]; safe: boolean; at: number } | null;
}

/** A decoded population's spikes taken this tick (views, valid during the tick) and how far the steps have read them. */
interface SpikeCursor {
  steps: Float64Array;
  indices: Uint32Array;
  at: number;
  /** The spikes of the step being decoded. */
  current: Uint32Array;
}
const NO_STEPS = new Float64Array(0);
const NO_SPIKES = new Uint32Array(0);

/** An output value as its populations decode it: the weighted sum of its terms (before limits). */
function decoded(v: LiveOutput['values'][number]): number {
  return v.terms.reduce((a, t) => a + t.weight * t.decoder.value(), 0);
}

/** What an input can feed the engine: a number or numbers (spikes and messages on a port are malformed there). */
function isNumeric(v: PortValue | null): v is number | number[] {
  return typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function saturate(x: number, lo: number, hi: number): number {
  return x === Infinity ? hi : x === -Infinity ? lo : x;
}

export class Bridge {
  readonly stats: BridgeStats = {
    received: 0,
    malformed: 0,
    superseded: 0,
    nonFinite: 0,
    outOfRange: 0,
    published: 0,
    safePublished: 0,
    ticks: 0,
    overruns: 0,
    watchdogTrips: 0,
    guardTrips: 0,
    errors: 0,
  };
  private readonly inputs: LiveInput[] = [];
  private readonly outputs: LiveOutput[] = [];
  /** Populations the decoders read, each with its spikes of this tick and the current step's run of them. */
  private readonly decoded = new Map<string, SpikeCursor>();
  /** The tick's time: the config's clock, or a wall clock of the bridge's own (a fresh one each start: stop() closes it). */
  private time: Clock;
  private readonly clock: () => number;
  private periodMs: number;
  private watchdogMs: number;
  private watchdogSub: Subscription | null = null;
  private running = false;
  private tripped = false;
  private lastTickDone = 0;
  /** Wall time of the last finished tick: the watchdog's second measure, for a clock that stops. */
  private lastTickWall = 0;
  /** Wall time of the next safe command while tripped. */
  private safeDueWall = 0;
  private lastErrorReport = -Infinity;
  /** Ends the loop's wait on a caller's clock (stop), which is not ours to close. */
  private wakeLoop: (() => void) | null = null;
  private startedOnce = false;
  private loop: Promise<void> | null = null;
  /** The clock time of the next tick, and whether the loop is waiting for it (for caughtUp). */
  private nextDue = -Infinity;
  private waiting = false;
  /** The dashboard's spike tap; while set, every population's spikes are recorded (see setSpikeTap). */
  private tap: SpikeTap | null = null;
  private stateTap: { probes: StateProbe[]; tap: StateTap } | null = null;
  /** The recording needs reconfiguring before the next tick (a tap was set or cleared). */
  private recordingStale = false;
  readonly timing: TickTiming = { ticks: 0, busyMs: 0, maxMs: 0 };
  /** Set while a tick runs; work for between ticks waits in `deferred` (see betweenTicks). */
  private inTick = false;
  private deferred: (() => void)[] = [];
  /** A betweenTicks operation in progress: the next tick waits for it. */
  private held: Promise<void> | null = null;
  private readonly senders: SpikeSender[] = [];
  private readonly receivers: SpikeReceiver[] = [];
  /** Ticks run since start: spike links number ticks from 0. */
  private linkTick = 0;
  /** Extension nodes of the document (null without any). */
  readonly host: ExtensionHost<IoContext> | null = null;
  /** Whether the loop's outputs can be trusted (stalls, real-time factor). */
  private readonly health: LoopHealth;
  /** The guard thread, while running with at least one channel. */
  private guard: SafetyGuard | null = null;
  /** Guard trips already handed to `health`. */
  private guardTripsSeen = 0;
  /** Wall time of the next refresh of the guard's channels (a device reconnects on another descriptor). */
  private guardRefreshWall = 0;
  /** Each output's way to its actuator for the guard thread. */
  private readonly channels: GuardChannels;
  /** Clock time of the next check of the neurons' state. */
  private nextStateCheck = -Infinity;

  constructor(
    private readonly engine: Engine<Backend>,
    private readonly transport: Transport,
    private readonly config: BridgeConfig,
  ) {
    this.time = config.clock ?? new WallClock();
    this.clock = () => this.time.now();
    this.periodMs = 1000 / (config.tickHz ?? BRIDGE_DEFAULTS.tickHz);
    this.watchdogMs = config.watchdogMs ?? BRIDGE_DEFAULTS.watchdogMs;
    this.channels = new GuardChannels({
      transport,
      definitions: config.definitions,
      devices: config.devices,
      report: (m) => this.report(() => m),
    });
    this.health = new LoopHealth({
      watchdogMs: this.effectiveWatchdogMs(),
      periodMs: this.periodMs,
      minRealtimeFactor: config.minRealtimeFactor,
    });
    const circuit = engine.circuit;
    const deviceOf = (name: string, what: string): Device => {
      const d = config.devices?.get(name);
      if (!d) throw new Error(`${what}: no device "${name}" (the bridge has ${[...(config.devices?.keys() ?? [])].join(', ') || 'none'})`);
      return d;
    };
    for (const b of config.inputs) {
      const where = b.device ? `${b.device}.${b.field}` : b.topic;
      const inp = circuit.inputs.find((i) => i.name === b.input);
      if (!inp)
        throw new Error(
          `bridge input on ${where}: the circuit has no input "${b.input}" (it has ${circuit.inputs.map((i) => i.name).join(', ') || 'none'})`,
        );
      if (inp.target !== null && !b.encoder)
        throw new Error(`bridge input on ${where}: "${b.input}" drives population ${inp.target} and needs an encoder`);
      const size = inp.target === null ? 1 : circuit.populations.find((p) => p.name === inp.target)!.size;
      if (b.device) deviceOf(b.device, `bridge input ${b.input}`);
      this.inputs.push({
        spec: { ...b },
        source: b.from ? null : this.inputSource(b),
        encoder: b.encoder ? createEncoder(b.encoder) : null,
        size,
        value: null,
        at: -Infinity,
        applied: 'stale',
        sub: null,
      });
    }
    for (const o of config.outputs) {
      const values = o.values.map((v) => ({
        limiter: new Limiter(v.limits ?? {}),
        from: v.from ?? null,
        terms: v.terms.map((t) => {
          const pop = circuit.populations.find((p) => p.name === t.population);
          if (!pop) throw new Error(`bridge output ${o.name} ${v.path}: the circuit has no population "${t.population}"`);
          return { population: t.population, decoder: createDecoder(t.decoder, pop.size), weight: t.weight ?? 1 };
        }),
      }));
      const spec = { ...o };
      const device = spec.device ? deviceOf(spec.device, `bridge output ${spec.name}`) : null;
      this.outputs.push({ spec, type: this.typeOf(spec), values, sink: null, lastAt: -Infinity, dueAt: -Infinity, last: null, device });
    }
    for (const o of this.outputs)
      for (const v of o.values)
        for (const t of v.terms) this.decoded.set(t.population, { steps: NO_STEPS, indices: NO_SPIKES, at: 0, current: NO_SPIKES });
    for (const s of config.spikes?.send ?? []) {
      const pop = circuit.populations.find((p) => p.name === s.population);
      if (!pop) throw new Error(`bridge spikes.send ${s.population}: the circuit has no population "${s.population}"`);
      this.senders.push(new SpikeSender(s, pop.size));
    }
    for (const r of config.spikes?.receive ?? []) {
      const inp = circuit.inputs.find((i) => i.name === r.input);
      const relay = inp?.target ? circuit.populations.find((p) => p.name === inp.target) : undefined;
      if (!inp || !relay || inp.mode !== 'rate' || relay.model !== 'poisson')
        throw new Error(
          `bridge spikes.receive ${r.input}: needs a rate input of a poisson relay population (rate 0 Hz, the remote population's size); ${!inp ? 'the circuit has no such input' : `it ${inp.mode === 'rate' ? '' : `is a ${inp.mode} input and `}targets ${relay ? `${relay.name} (${relay.model})` : 'no population'}`}`,
        );
      this.receivers.push(new SpikeReceiver(r, relay.size, (m) => this.log(`flux bridge: ${m}`)));
    }
    if (config.extensions)
      this.host = new ExtensionHost(config.extensions.registry, {
        dir: config.extensions.dir,
        // The host limits each node's reports itself (once a second), so one failing node cannot hide another's.
        log: (line) => this.log(`flux bridge: ${line}`),
        external: (ref) => this.externalValue(ref),
        externalTime: (ref) => (ref.startsWith('inputs.') ? this.inputs.find((i) => i.spec.input === ref.slice(7))?.at : undefined),
        externalReaders: (name) => [
          ...this.inputs.filter((i) => i.spec.from?.startsWith(`${name}.`)).map((i) => `bridge input ${i.spec.input}`),
          ...this.outputs.flatMap((o) => o.values.filter((v) => v.from?.startsWith(`${name}.`)).map(() => `bridge output ${o.spec.name}`)),
        ],
        // Node values age on the bridge's clock (simulated time under /clock), as its inputs do.
        now: () => this.clock(),
        // Document nodes of the I/O types reach the bridge's transport and devices as its own bindings do.
        context: (base): IoContext => ({
          ...base,
          transport: this.transport,
          devices: config.devices ?? new Map(),
          definitions: config.definitions,
          rosTime: () => this.time.rosTime(),
        }),
      });
    // The decoders read a tick's spikes in one piece from the engine's recording (one read-back per
    // tick on a GPU, not one per step and population); the bridge takes them out as it goes.
    this.configureRecording();
  }

  /** Records what the decoders read, or every population while a spike tap is set. */
  private configureRecording(): void {
    const populations = new Set(this.engine.circuit.populations.map((p) => p.name));
    this.engine.backend.configureRecording({
      spikes: this.tap ? 'all' : [...new Set([...this.decoded.keys(), ...this.senders.map((s) => s.spec.population)])],
      rateBin: 0,
      // A probe of a population a live edit removed is dropped (the recorder would refuse it).
      state: this.stateTap?.probes.filter((p) => populations.has(p.population)),
    });
    this.recordingStale = false;
  }

  /**
   * Hands every tick's spikes of every population to `tap` (after the decoders have read theirs), or
   * stops with null. The recording changes before the next tick, never during a step: while a tap is
   * set the engine records all populations (populations added live included), without one only what
   * the decoders read. A tap that throws is removed; the loop goes on.
   */
  setSpikeTap(tap: SpikeTap | null): void {
    if ((tap === null) !== (this.tap === null)) this.recordingStale = true;
    this.tap = tap;
  }

  /**
   * Hands every tick's samples of `probes` (state variables of chosen neurons, e.g. a membrane trace) to
   * `tap`, or stops with null; what is recorded changes before the next tick, as for setSpikeTap. The
   * caller bounds the probes (each sample is kept until the tick ends). A tap that throws is removed.
   */
  setStateTap(probes: StateProbe[] | null, tap: StateTap | null): void {
    this.stateTap = probes && tap && probes.length ? { probes, tap } : null;
    this.recordingStale = true;
  }

  /**
   * Runs `fn` when no tick is running and holds the next tick until it has finished: live edits and
   * device reads from a dashboard never meet an engine step in progress (on a GPU backend an edit during
   * a step is refused). On the CPU backend a step never yields, so this runs at once.
   */
  betweenTicks<T>(fn: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        const p = Promise.resolve().then(fn);
        const done = p.then(
          () => undefined,
          () => undefined,
        );
        // Several at once: the tick waits for all of them.
        const hold: Promise<void> = this.held ? Promise.all([this.held, done]).then(() => undefined) : done;
        this.held = hold;
        void hold.then(() => {
          if (this.held === hold) this.held = null;
        });
        p.then(resolve, reject);
      };
      if (this.inTick) this.deferred.push(go);
      else go();
    });
  }

  /** The latest value and staleness of every input, the last published values of every output. */
  snapshot(): BridgeSnapshot {
    const now = this.clock();
    const summary = (v: number | number[] | null) => {
      if (v === null || typeof v === 'number') return v;
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const x of v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
        sum += x;
      }
      return { n: v.length, min, max, mean: v.length ? sum / v.length : 0 };
    };
    return {
      inputs: this.inputs.map((i) => ({
        input: i.spec.input,
        topic: i.spec.topic,
        type: i.spec.type,
        path: i.spec.path,
        value: summary(i.value),
        ageMs: i.value === null ? null : now - i.at,
        stale: i.value === null || this.stale(i, now),
      })),
      outputs: this.outputs.map((o) => ({
        name: o.spec.name,
        topic: o.spec.topic,
        type: o.type,
        values: Object.fromEntries(o.spec.values.map((v, k) => [v.path, o.last?.values[k] ?? 0])),
        safe: o.last?.safe ?? true,
        ageMs: o.last ? now - o.last.at : null,
      })),
      devices: [...(this.config.devices ?? new Map<string, Device>())].map(([name, d]) => ({ name, status: d.describe() })),
      extensions: (this.host?.status() ?? []).map(({ name, type, kind, state, errors, lastError, outputs }) => ({
        name,
        type,
        kind,
        state,
        errors,
        lastError,
        outputs,
      })),
    };
  }

  /** What an output publishes (its stamped variant when stamped); throws on a bad combination of type, paths and fields. */
  private typeOf(o: OutputBinding): string {
    // A device output has no message: its values are written by field name.
    if (o.device) return `device ${o.device}`;
    return topicWire(this.topicOptions(o), this.config.definitions).type;
  }

  private topicOptions(o: OutputBinding) {
    return {
      topic: o.topic,
      type: o.type,
      paths: o.values.map((v) => v.path),
      stamped: o.stamped,
      frameId: o.frameId,
      fields: o.fields,
      qos: o.qos ?? DEFAULT_QOS,
    };
  }

  /**
   * The context the bridge's own I/O extension nodes get: its transport and devices, its counters,
   * its clock. `fail` records a failed send for the send that caused it (see send()).
   */
  private ioContext(name: string, onFail?: (e: unknown) => void): IoContext {
    return {
      name,
      dir: this.config.extensions?.dir ?? host().resolve('.'),
      log: (line) => this.report(() => `${name}: ${line}`),
      transport: this.transport,
      devices: this.config.devices ?? new Map(),
      definitions: this.config.definitions,
      count: (what, n = 1) => {
        if (what === 'received') this.stats.received += n;
        else if (what === 'malformed') this.stats.malformed += n;
        else if (what === 'superseded') this.stats.superseded += n;
      },
      fail: onFail,
      rosTime: () => this.time.rosTime(),
    };
  }

  /** A topic or device input as the extension node that streams it (ros_topic_in, device_in). */
  private inputSource(b: InputBinding): InputInstance {
    const ctx = this.ioContext(`input ${b.input}`);
    if (b.device) return deviceIn.create({ device: b.device, field: b.field! }, ctx);
    return rosTopicIn.create({ topic: b.topic, type: b.type, path: b.path, qos: b.qos ?? SENSOR_QOS }, ctx);
  }

  /** Starts the extension node (ros_topic_out, device_out) that sends an output's commands. */
  private openSink(out: LiveOutput): void {
    // A failed send is recorded on the sink for the send that caused it; sends start after it exists.
    const ctx = this.ioContext(`output ${out.spec.name}`, (e) => (sink.failed = e ?? new Error('failed')));
    const instance = out.device
      ? deviceOut.create({ device: out.spec.device!, fields: out.spec.values.map((v) => v.path) }, ctx)
      : rosTopicOut.create(this.topicOptions(out.spec), ctx);
    const sink: NonNullable<LiveOutput['sink']> = { instance, commands: new Subject<Command>(), failed: null };
    sink.instance.consume({ command: sink.commands });
    void sink.instance.start?.();
    out.sink = sink;
    out.dueAt = -Infinity;
  }

  private closeSink(out: LiveOutput): void {
    const sink = out.sink;
    out.sink = null;
    if (!sink) return;
    sink.commands.complete();
    void sink.instance.stop?.();
  }

  /**
   * `inputs.<name>` (latest checked value, undefined while stale) and `outputs.<name>.<path>` (decoded,
   * before limits), for extension nodes.
   */
  private externalValue(ref: string): PortValue | undefined {
    const [kind, name, ...rest] = ref.split('.');
    if (kind === 'inputs') {
      const inp = this.inputs.find((i) => i.spec.input === name);
      return inp && inp.value !== null && !this.stale(inp, this.clock()) ? inp.value : undefined;
    }
    const out = this.outputs.find((o) => o.spec.name === name);
    const k = out?.spec.values.findIndex((v) => v.path === rest.join('.')) ?? -1;
    if (!out || k < 0) return undefined;
    const v = out.values[k];
    return v.from ? this.host?.value(v.from) : decoded(v);
  }

  /** Starts the document's extension nodes (before start()); a node that cannot start fails it, naming the node. */
  async prepare(): Promise<void> {
    if (!this.host || !this.config.extensions) return;
    for (const n of this.config.extensions.nodes) if (!this.host.has(n.name)) await this.host.add(n);
  }

  /** The bridge's current settings, as live reconfiguration left them. */
  get settings(): {
    tickHz: number;
    watchdogMs: number;
    inputs: { input: string; topic: string }[];
    outputs: { name: string; topic: string; type: string; stamped: boolean }[];
  } {
    return {
      tickHz: 1000 / this.periodMs,
      watchdogMs: this.watchdogMs,
      inputs: this.inputs.map((i) => ({ input: i.spec.input, topic: i.spec.topic })),
      outputs: this.outputs.map((o) => ({ name: o.spec.name, topic: o.spec.topic, type: o.type, stamped: !!o.spec.stamped })),
    };
  }

  /**
   * Resolves once every tick due at or before clock time `t` (ms) has run and what it published has
   * been delivered: a simulator calls it before each chunk so that it never runs ahead of the
   * controller (lockstep), which makes a simulated run reproducible.
   */
  async caughtUp(t: number): Promise<void> {
    while (this.running && !(this.waiting && this.nextDue > t)) await turn();
    // Messages published by the last tick are delivered on the next turn of the event loop.
    await turn();
  }

  /** Inputs with no value younger than their timeout. */
  staleInputs(): string[] {
    const now = this.clock();
    return this.inputs.filter((i) => i.value === null || this.stale(i, now)).map((i) => i.spec.input);
  }

  /** Ticks per second from the next tick on. */
  setTickHz(hz: number): void {
    const problem = tickHzProblem(hz);
    if (problem) throw new Error(problem);
    this.periodMs = 1000 / hz;
    this.health.configure({ periodMs: this.periodMs, watchdogMs: this.effectiveWatchdogMs() });
    this.guard?.setDeadline(this.guardDeadline());
  }

  setWatchdogMs(ms: number): void {
    const problem = watchdogMsProblem(ms);
    if (problem) throw new Error(problem);
    this.watchdogMs = ms;
    this.health.configure({ watchdogMs: this.effectiveWatchdogMs() });
    this.guard?.setDeadline(this.guardDeadline());
    if (this.running) this.startWatchdog();
  }

  /** Moves an input to another topic: unsubscribes the old one, keeps the last value and its age. */
  setInputTopic(input: string, topic: string): void {
    const inp = this.inputs.find((i) => i.spec.input === input);
    if (!inp) throw new Error(`no bridge input "${input}"`);
    if (inp.spec.topic === topic) return;
    if (inp.spec.device || inp.spec.from)
      throw new Error(`bridge input ${input} reads ${inp.spec.device ? `device ${inp.spec.device}` : inp.spec.from}, not a topic`);
    const source = this.inputSource({ ...inp.spec, topic }); // throws before anything changes
    inp.sub?.unsubscribe();
    inp.spec.topic = topic;
    inp.source = source;
    if (this.running) this.subscribeInput(inp);
  }

  /** Moves an output to another topic; the old topic gets the safe value first, so nothing listening there keeps moving. */
  setOutputTopic(name: string, topic: string): void {
    const out = this.outputByName(name);
    if (out.spec.topic === topic) return;
    this.rebind(out, { ...out.spec, topic });
  }

  /** Switches an output between its plain and stamped type (e.g. Twist and TwistStamped). */
  setOutputStamped(name: string, stamped: boolean, frameId?: string): void {
    const out = this.outputByName(name);
    if (!!out.spec.stamped === stamped && (frameId === undefined || frameId === out.spec.frameId)) return;
    this.rebind(out, { ...out.spec, stamped, frameId: frameId ?? out.spec.frameId });
  }

  private outputByName(name: string): LiveOutput {
    const out = this.outputs.find((o) => o.spec.name === name);
    if (!out) throw new Error(`no bridge output "${name}"`);
    return out;
  }

  private rebind(out: LiveOutput, spec: OutputBinding): void {
    const type = this.typeOf(spec); // throws before anything changes
    if (!this.running) {
      out.spec = spec;
      out.type = type;
      return;
    }
    const old = { spec: out.spec, type: out.type };
    this.sendSafe(out);
    this.closeSink(out);
    out.spec = spec;
    out.type = type;
    try {
      this.openSink(out);
    } catch (e) {
      // The transport refused the new topic or type: the output goes on as it was.
      out.spec = old.spec;
      out.type = old.type;
      this.openSink(out);
      throw e;
    }
  }

  private subscribeInput(inp: LiveInput): void {
    // A value read from an extension node is as old as its oldest source (extensions/host.ts), so
    // an input computed from a sensor that stopped goes stale like the sensor itself.
    inp.sub = this.inputStream(inp).subscribe(
      (v) => ((inp.value = v), (inp.at = inp.spec.from ? Math.min(this.clock(), inp.fromAt ?? this.clock()) : this.clock())),
    );
  }

  private startWatchdog(): void {
    this.watchdogSub?.unsubscribe();
    const wd = this.watchdogMs;
    this.watchdogSub = interval(Math.max(1, wd / 4)).subscribe(() => this.watchdog(wd));
  }

  /** Subscribes, advertises, and starts the tick, the output timers and the watchdog. */
  start(): void {
    if (this.running) return;
    // A wall clock of the bridge's own was closed by stop(), which released its waits; a closed one resolves every wait at once.
    if (!this.config.clock && this.startedOnce) this.time = new WallClock();
    this.startedOnce = true;
    this.running = true;
    for (const inp of this.inputs) this.subscribeInput(inp);
    for (const out of this.outputs) this.openSink(out);
    this.linkTick = 0;
    for (const s of this.senders) s.open(this.transport);
    for (const r of this.receivers) r.open(this.transport);
    this.lastTickDone = this.clock();
    this.lastTickWall = performance.now();
    this.startWatchdog();
    this.startGuard();
    // run() survives failed ticks itself; this catches what could still escape (never silently).
    this.loop = this.run().catch((e) => this.failed(e));
  }

  /**
   * Stops the tick and closes the topics (without waiting more than 0.5 s for an engine step that
   * hangs). Every output publishes its safe value first, unless
   * `safe: false` (a hot swap, where another bridge takes over the same topics at once).
   */
  async stop(options: { safe?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (!this.config.clock) this.time.close();
    else this.wakeLoop?.();
    this.watchdogSub?.unsubscribe();
    this.guard?.arm(false);
    for (const inp of this.inputs) inp.sub?.unsubscribe();
    if (options.safe !== false) for (const out of this.outputs) this.sendSafe(out);
    for (const out of this.outputs) this.closeSink(out);
    for (const l of [...this.senders, ...this.receivers]) l.close();
    await this.host?.stop();
    // A loop stuck in an engine step (a hung GPU) must not hold up shutdown: the safe command is out.
    const loop = this.loop?.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loop, new Promise<void>((r) => (timer = setTimeout(r, 500)))]);
    clearTimeout(timer);
    const guard = this.guard;
    this.guard = null;
    await guard?.close();
  }

  /**
   * The guard thread, when some output can be written without this thread. Its deadline is the
   * watchdog's in wall time (under a simulated clock, which may pause, at least 1 s of it).
   */
  private startGuard(): void {
    if (this.config.guard === false || (this.guard?.alive ?? false)) return;
    // Also with no channel yet (a serial device that connects later): the guard takes them when they come.
    if (!this.channels.couldHold(this.guarded(), this.host?.specs() ?? [])) return;
    const old = this.guard;
    this.guard = null;
    void old?.close();
    try {
      // Guard reports are never rate-limited: a trip or a channel that cannot open must be seen.
      this.guard = new SafetyGuard({
        deadlineMs: this.guardDeadline(),
        channels: this.guardChannels(),
        onReport: (m) => this.log(`flux bridge: ${m}`),
      });
      this.guardTripsSeen = 0;
    } catch (e) {
      this.log(`flux bridge: no guard thread: ${(e as Error).message}`);
    }
  }

  private log(line: string): void {
    (this.config.onError ?? ((m: string) => console.error(m)))(line);
  }

  /** The watchdog as the loop can meet it: at least two tick periods (a 10 Hz loop cannot tick every 50 ms). */
  private effectiveWatchdogMs(): number {
    return Math.max(this.watchdogMs, 2 * this.periodMs);
  }

  private guardDeadline(): number {
    return this.time.catchUp ? Math.max(this.effectiveWatchdogMs(), 1000) : this.effectiveWatchdogMs();
  }

  /**
   * Takes the guard thread out of this bridge, holding every output safe from it until the caller
   * closes it: a hot swap stops this bridge and builds the next on this thread, with no loop to kick it.
   */
  handOverGuard(): SafetyGuard | null {
    const guard = this.guard;
    this.guard = null;
    guard?.hold();
    return guard;
  }

  /** Every output's safe message with the endpoint the guard thread can write it to. */
  private guardChannels(): GuardChannel[] {
    return this.channels.list(this.guarded(), this.host?.specs() ?? []);
  }

  /** The outputs as the guard's channels see them. */
  private guarded(): GuardedOutput[] {
    return this.outputs.map((out) => ({
      key: out.spec,
      name: out.spec.name,
      rateHz: out.spec.rateHz,
      safe: out.values.map((v) => v.limiter.spec.safe ?? 0),
      device: out.device,
      paths: out.spec.values.map((v) => v.path),
      topic: out.device ? null : this.topicOptions(out.spec),
    }));
  }

  /**
   * The last resort (a fatal error on this thread, just before the process exits): every output's safe
   * value through this thread's publishers, and through the guard's own channels, synchronously.
   */
  emergencyStop(): void {
    this.sendAllSafe();
    this.guard?.emitNow();
  }

  /**
   * Sends every output safe now and keeps it there until the loop has run on time again: before work
   * between ticks that may take longer than a tick (a structural live edit, a module insert).
   */
  holdSafe(reason: string): void {
    this.health.stalled(reason);
    this.sendAllSafe();
  }

  /** Why the outputs are held safe now (a stall, a slow loop, bad state, a lost part of the circuit), or null. */
  get unsafeReason(): string | null {
    return this.health.unsafe ?? this.lostLinkReason();
  }

  /**
   * A lockstep spike link that lost its sender: part of the circuit (another process) is gone or fell
   * behind, so what the outputs decode is not what the circuit computes; they stay safe until it resyncs.
   */
  private lostLinkReason(): string | null {
    const lost = this.receivers.find((r) => r.lost);
    return lost ? `spike link ${lost.spec.input} (${lost.spec.topic}) lost its sender` : null;
  }

  /** Bytes in -> checked value out; everything dropped is counted. */
  private inputStream(inp: LiveInput): Observable<number | number[]> {
    const [lo, hi] = inp.spec.valid ?? [-Infinity, Infinity];
    // Topics and devices stream through their extension nodes (which count what they receive and
    // drop malformed bytes); `from:` inputs read an extension node's port (spikes or messages there are malformed).
    const ref = inp.spec.from;
    const values: Observable<number | number[] | null> = ref
      ? new Observable<PortValue>((sub) => this.host?.watch(ref, (v, src) => ((inp.fromAt = src), sub.next(v)))).pipe(
          map((v) => {
            this.stats.received++;
            if (isNumeric(v)) return v;
            this.stats.malformed++;
            return null;
          }),
        )
      : inp.source!.outputs.value.pipe(map((v) => (isNumeric(v) ? v : (this.stats.malformed++, null))));
    return values.pipe(
      filter((v): v is number | number[] => {
        if (v === null) return false;
        const xs = typeof v === 'number' ? [v] : v;
        // REP 117: a range of +inf means nothing within range_max, -inf something nearer than range_min.
        // They are readings, not errors: with `valid` bounds they saturate to them. NaN is an error.
        const bounded = inp.spec.valid !== undefined;
        if (xs.some((x) => Number.isNaN(x) || (!bounded && !Number.isFinite(x)))) return (this.stats.nonFinite++, false);
        if (xs.some((x) => Number.isFinite(x) && (x < lo || x > hi))) return (this.stats.outOfRange++, false);
        return true;
      }),
      map((v) =>
        typeof v === 'number' ? saturate(v, lo, hi) : v.some((x) => !Number.isFinite(x)) ? v.map((x) => saturate(x, lo, hi)) : v,
      ),
    );
  }

  private stale(inp: LiveInput, now: number): boolean {
    return now - inp.at > (inp.spec.timeoutMs ?? 500);
  }

  private async run(): Promise<void> {
    // Wait first, then tick: after k ticks the engine has advanced k periods, never more than the clock.
    // Simulated time starts where the first /clock message puts it, not at zero.
    // Nothing is due before the clock starts (caughtUp must not hold a simulator that has not begun).
    this.nextDue = Infinity;
    this.waiting = true;
    await this.untilStopped(this.time.ready());
    // Lockstep spike links: the first tick waits for the receivers that must see every tick.
    await Promise.race([Promise.all(this.senders.map((s) => s.ready(() => !this.running))), this.stopCalled()]);
    this.waiting = false;
    let due = this.clock();
    this.lastTickDone = due;
    while (this.running) {
      due += this.periodMs;
      this.nextDue = due;
      this.waiting = true;
      await this.untilStopped(this.time.waitUntil(due));
      this.waiting = false;
      if (!this.running) break;
      while (this.held) await this.held;
      if (!this.running) break;
      const start = this.clock();
      const wall = performance.now();
      this.inTick = true;
      try {
        await this.tick();
      } catch (e) {
        // A failed step (a lost GPU rejects its read-back) must not end the loop silently, nor the
        // process: the outputs go safe, the watchdog keeps them there, and the loop tries again.
        this.failed(e);
        await this.untilStopped(this.time.waitUntil(this.clock() + 100));
        due = this.clock();
        continue;
      } finally {
        this.inTick = false;
        if (this.deferred.length) for (const go of this.deferred.splice(0)) go();
      }
      const busy = performance.now() - wall;
      this.timing.ticks++;
      this.timing.busyMs += busy;
      if (busy > this.timing.maxMs) this.timing.maxMs = busy;
      this.lastTickDone = this.clock();
      this.lastTickWall = performance.now();
      if (this.tripped) this.tripped = false;
      this.afterTick(due, this.lastTickDone);
      this.publishDue(due);
      this.config.onTick?.(start, this.lastTickDone);
      // Behind real time: skip the missed ticks (running them in a burst only adds latency). Behind
      // simulated time: run them, so that engine time keeps up with the simulation.
      // The next tick then runs at once (not a period later), so a loop slightly slower than real time
      // runs at nearly real time instead of half of it.
      if (!this.time.catchUp && this.clock() - due > this.periodMs) {
        this.stats.overruns++;
        due = this.clock() - this.periodMs;
      }
    }
  }

  /**
   * `wait`, or sooner once stop() is called. stop() closes a clock the bridge made, which releases its
   * waits; a clock from outside (simulated time, the IDE's run control) is not the bridge's to close, so
   * its waits race a wake-up. Only those: a promise more per tick is garbage the real-time loop avoids.
   */
  private untilStopped(wait: Promise<void>): Promise<void> {
    return this.config.clock ? Promise.race([wait, this.stopCalled()]) : wait;
  }

  /** Resolves when stop() is called (it calls wakeLoop). */
  private stopCalled(): Promise<void> {
    return new Promise<void>((r) => (this.wakeLoop = r));
  }

  /** Kicks the guard thread and takes its trips into the loop's health. */
  private afterTick(due: number, end: number): void {
    if (!this.running) return;
    // Twice a second: a guard for outputs that could have none before (a device that connected), or
    // new channels for the one there is (a device reconnected on another descriptor).
    const wall = performance.now();
    if (wall >= this.guardRefreshWall) {
      this.guardRefreshWall = wall + 500;
      if (!this.guard?.alive) this.startGuard();
      else this.guard.setChannels(this.guardChannels());
    }
    const guard = this.guard;
    if (guard) {
      guard.arm(true); // arming kicks
      const trips = guard.trips;
      if (trips > this.guardTripsSeen) {
        this.stats.watchdogTrips += trips - this.guardTripsSeen;
        this.stats.guardTrips += trips - this.guardTripsSeen;
        this.guardTripsSeen = trips;
        this.health.stalled('the guard thread tripped');
      }
    }
    this.health.tick(due, end);
    if (guard?.tripped && this.health.unsafe === null) guard.clearTrip();
  }

  /** NaN or infinite neuron state is a failed tick that names the population (rates would silently read 0). */
  private async checkState(now: number): Promise<void> {
    if (now < this.nextStateCheck) return;
    // On a GPU each check is a read-back that waits for the device: once a second there, 10 Hz on the CPU.
    this.nextStateCheck = now + (this.config.stateCheckMs ?? (this.engine.backend.name === 'webgpu' ? 1000 : 100));
    const backend = this.engine.backend;
    // One read-back after another, as the rest of the bridge does them (a GPU backend's maps in flight
    // at once are not something it is tested with).
    for (const pop of this.engine.circuit.populations) {
      if (pop.model === 'poisson') continue;
      const v = await backend.readState(pop.name, 'v');
      for (let i = 0; i < v.length; i++)
        if (!Number.isFinite(v[i]))
          throw new Error(
            `population ${pop.name}: neuron ${i} has v = ${v[i]} (non-finite state; the circuit's parameters or an edit made it diverge)`,
          );
    }
  }

  private async tick(): Promise<void> {
    const now = this.clock();
    const backend = this.engine.backend;
    // Extension nodes first: a node feeding a circuit input is read in this tick.
    this.host?.tick();
    for (const inp of this.inputs) {
      // A stale input stops driving its population (and its outputs go safe when they publish).
      // The engine keeps an input's value, so only a new message or a change to stale is handed over
      // (a stateful encoder sees every tick: its output depends on the previous value).
      const stale = inp.value === null || this.stale(inp, now);
      const current = stale ? 'stale' : inp.value;
      if (current === inp.applied && !inp.encoder?.stateful) continue;
      inp.applied = current;
      const v = stale ? 0 : inp.value!;
      backend.setInput(inp.spec.input, inp.encoder ? inp.encoder.encode(v, inp.size) : typeof v === 'number' ? v : v[0]);
    }
    // A tap set or cleared since the last tick: change what is recorded now, between two steps (the last
    // tick's spikes have all been taken, so nothing is lost).
    if (this.recordingStale) this.configureRecording();
    const tap = this.tap;
    const steps = Math.max(1, Math.round(this.periodMs / backend.dt));
    const first = backend.stepIndex;
    if (this.receivers.length) await this.stepWithRelays(steps, backend.dt);
    else await this.engine.step(steps);
    this.linkTick++;
    // A failed check throws after the step: the outputs go safe and the next tick checks again.
    // Tested here as well as in checkState: an async call a tick is a promise a tick of garbage.
    if (now >= this.nextStateCheck) await this.checkState(now);
    const rec = backend.recording();
    const all = tap ? new Map(Object.keys(rec.populations).map((pop) => [pop, takeSpikes(rec, pop)])) : null;
    // Rewritten in place every tick: a robot's loop makes no garbage of its own for each tick (its
    // young-generation collections are what stall it).
    for (const [pop, c] of this.decoded) {
      const t = all?.get(pop) ?? takeSpikes(rec, pop);
      c.steps = t.steps;
      c.indices = t.indices;
      c.at = 0;
    }
    for (let s = 0; s < steps; s++) {
      // This step's spikes of each decoded population: recorded in step order, so a run of them.
      for (const c of this.decoded.values()) {
        const from = c.at;
        while (c.at < c.steps.length && c.steps[c.at] === first + s) c.at++;
        // One step a tick (the usual case): the run is everything taken, the view itself.
        c.current = from === 0 && c.at === c.indices.length ? c.indices : c.indices.subarray(from, c.at);
      }
      for (const out of this.outputs)
        for (const v of out.values) for (const t of v.terms) t.decoder.step(this.decoded.get(t.population)!.current, backend.dt);
    }
    for (const s of this.senders) {
      const pop = s.spec.population;
      const t = this.decoded.get(pop) ?? all?.get(pop) ?? takeSpikes(rec, pop);
      s.send(first, steps, backend.dt, t.steps, t.indices);
    }
    this.stats.ticks++;
    const traced = this.stateTap;
    if (traced) {
      try {
        traced.tap(
          traced.probes.map((p) => ({ population: p.population, variable: p.variable, ...takeState(rec, p.population, p.variable) })),
        );
      } catch {
        this.setStateTap(null, null);
      }
    }
    if (tap && all) {
      try {
        tap({ first, steps, dt: backend.dt, populations: all });
      } catch {
        // A broken dashboard must not stop the robot's controller.
        this.setSpikeTap(null);
      }
    }
  }

  /**
   * One tick with remote spikes: the engine runs in segments so that each relay fires its spikes in
   * exactly the step the sender's population fired them (see bridge/spike-link.ts), and rests between.
   */
  private async stepWithRelays(steps: number, dt: number): Promise<void> {
    const backend = this.engine.backend;
    const plans = await Promise.all(this.receivers.map((r) => r.forTick(this.linkTick, steps, dt)));
    const offsets = [...new Set(plans.flatMap((p) => [...p.keys()]))].sort((a, b) => a - b);
    let at = 0;
    for (const o of offsets) {
      if (o > at) await this.engine.step(o - at);
      const firing: string[] = [];
      plans.forEach((plan, k) => {
        const indices = plan.get(o);
        if (!indices) return;
        const r = this.receivers[k];
        const drive = new Float64Array(r.size);
        for (const i of indices) drive[i] = RELAY_DRIVE;
        backend.setInput(r.spec.input, drive);
        firing.push(r.spec.input);
      });
      await this.engine.step(1);
      for (const input of firing) backend.setInput(input, 0);
      at = o + 1;
    }
    if (at < steps) await this.engine.step(steps - at);
  }

  /** Spike links' counters (distributed circuits), by topic. */
  spikeLinks(): { role: 'send' | 'receive'; topic: string; name: string; stats: SpikeLinkStats }[] {
    return [
      ...this.senders.map((s) => ({ role: 'send' as const, topic: s.spec.topic, name: s.spec.population, stats: { ...s.stats } })),
      ...this.receivers.map((r) => ({ role: 'receive' as const, topic: r.spec.topic, name: r.spec.input, stats: { ...r.stats } })),
    ];
  }

  /**
   * Outputs are published from the tick loop when due, on the bridge's clock: a command leaves as soon
   * as the tick that computed it ends (no timer to wait for), and under simulated time outputs keep
   * their rates in simulated time. A stalled loop publishes nothing; the watchdog covers that.
   * `tick` is the time the tick was due, not when it ended: an output due at that tick goes out with
   * it (within half a tick), so an output at the tick rate leaves every tick. Timed by the end of the
   * tick, one that ended a little early left its output to the next, a tick later.
   */
  private publishDue(tick: number): void {
    const slack = this.periodMs / 2;
    for (const out of this.outputs) {
      if (tick + slack < out.dueAt) continue;
      const period = 1000 / out.spec.rateHz;
      // Keep the rate's phase; after a stall start afresh instead of publishing a burst.
      out.dueAt = tick - out.dueAt > period ? tick + period : out.dueAt + period;
      this.publish(out);
    }
  }

  /**
   * No finished tick for `limitMs` of clock time, or for max(limitMs, 1 s) of wall time (a simulated
   * clock that never starts or stops advancing), trips the watchdog: every output goes safe at once,
   * then again every output period (wall time) until a tick finishes.
   */
  private watchdog(limitMs: number): void {
    if (!this.running) return;
    try {
      const wall = performance.now();
      if (!this.tripped && (this.clock() - this.lastTickDone > limitMs || wall - this.lastTickWall > Math.max(limitMs, 1000))) {
        this.tripped = true;
        this.health.stalled(`no tick for ${Math.round(this.clock() - this.lastTickDone)} ms`);
        this.stats.watchdogTrips++;
        for (const out of this.outputs) this.sendSafe(out);
        this.host?.goSafe();
        this.safeDueWall = wall + this.safePeriod();
      } else if (this.tripped && wall >= this.safeDueWall) {
        // One message may be lost (best effort), and some consumers time out without a steady stream.
        for (const out of this.outputs) this.sendSafe(out);
        this.host?.goSafe();
        this.safeDueWall = wall + this.safePeriod();
      }
    } catch (e) {
      this.failed(e);
    }
  }

  private safePeriod(): number {
    return Math.min(...this.outputs.map((o) => 1000 / o.spec.rateHz), 1000);
  }

  /** Counts and reports an error (once a second at most), and sends every output safe. */
  private failed(e: unknown): void {
    this.report(() => `${(e as Error)?.message ?? String(e)}; outputs sent to their safe values (${this.stats.errors} errors so far)`);
    this.tripped = true;
    this.sendAllSafe();
  }

  /** Every output's and extension node's safe value now; one that throws does not keep the others from it. */
  private sendAllSafe(): void {
    for (const out of this.outputs) {
      try {
        this.sendSafe(out);
      } catch {
        // send() reports its own failures; one bad publisher must not keep the others from going safe.
      }
    }
    try {
      this.host?.goSafe();
    } catch {
      // As above: the outputs are safe already.
    }
  }

  /** Counts an error the bridge survived and reports it, at most once a second. */
  private report(message: () => string): void {
    this.stats.errors++;
    const now = performance.now();
    if (now - this.lastErrorReport <= 1000) return;
    this.lastErrorReport = now;
    this.log(`flux bridge: ${message()}`);
  }

  private publish(out: LiveOutput): void {
    const now = this.clock();
    if (!out.sink) return;
    const needs = out.spec.requires ?? this.inputs.map((i) => i.spec.input);
    const unsafe =
      this.tripped || this.unsafeReason !== null || this.inputs.some((i) => needs.includes(i.spec.input) && this.stale(i, now));
    const dtS = Number.isFinite(out.lastAt) ? (now - out.lastAt) / 1000 : 0;
    out.lastAt = now;
    if (unsafe) return this.sendSafe(out);
    // A value from an extension node that has none (it failed without a safe value, or has not
    // answered yet) sends the whole output safe.
    const raw = out.values.map((v) => (v.from ? scalar(this.host?.value(v.from)) : decoded(v)));
    const bad = raw.findIndex((x, k) => !Number.isFinite(x) && !out.values[k].from);
    if (bad >= 0) {
      // A decoded value from the engine that is not finite is a failed tick, named (never a silent 0).
      const v = out.values[bad];
      this.failed(
        new Error(
          `output ${out.spec.name} ${out.spec.values[bad].path} decoded ${raw[bad]} from ${v.terms.map((t) => t.population).join(', ')}`,
        ),
      );
      return;
    }
    if (raw.some((x) => !Number.isFinite(x))) return this.sendSafe(out);
    this.send(
      out,
      out.values.map((v, k) => v.limiter.apply(raw[k], dtS)),
      false,
    );
  }

  private sendSafe(out: LiveOutput): void {
    this.send(
      out,
      out.values.map((v) => v.limiter.stop()),
      true,
    );
  }

  private send(out: LiveOutput, values: number[], safe: boolean): void {
    const sink = out.sink;
    if (!sink) return;
    // The output's extension node sends it synchronously and reports a failure through its context.
    sink.failed = null;
    sink.commands.next({ values, safe });
    if (sink.failed !== null) {
      // One output failing (a closed or broken topic, a device that refuses) must not stop the others.
      const what = out.device
        ? `writing ${out.spec.name} to device ${out.device.name}`
        : `publishing ${out.spec.name} on ${out.spec.topic}`;
      this.report(() => `${what} failed: ${(sink.failed as Error).message ?? String(sink.failed)}`);
      return;
    }
    // What the dashboard shows (one object per output, rewritten: no garbage per publish).
    if (out.last) {
      out.last.values = values;
      out.last.safe = safe;
      out.last.at = this.clock();
    } else out.last = { values, safe, at: this.clock() };
    this.stats.published++;
    if (safe) this.stats.safePublished++;
  }
}
