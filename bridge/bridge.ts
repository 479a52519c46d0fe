// The stream layer: topics -> decode -> field path -> checks -> latest value (RxJS), sampled by a fixed
// engine tick -> encoders -> circuit inputs; engine spikes -> decoders; each output on its own timer ->
// limits -> field path into its message -> encode -> topic. Latest-value sampling everywhere: no queue
// grows when the engine or a publisher is slower than a sensor.
//
// Safety: an input older than its timeout is stale; outputs that need it publish their safe value. A
// watchdog, on its own timer, publishes every output's safe value when no tick has finished within
// `watchdogMs` of clock time (an engine stuck in an awaited step, e.g. a lost GPU; under simulated
// time, an engine that has fallen that far behind the simulation). A tick that blocks the event loop
// also blocks this watchdog: a synchronous CPU step must stay short (it is, at robot sizes).
// Malformed bytes, non-finite and out-of-range values are counted and dropped, never encoded.
import { Observable, Subscription, filter, interval, map } from 'rxjs';
import type { Engine } from '../engine/engine.js';
import { mergePatch } from '../engine/circuit/merge.js';
import type { Backend } from '../engine/backends/backend.js';
import { createCodec, CodecError, type Codec } from './codec/cdr.js';
import { definitionsFor, type DefinitionSource } from './codec/definitions.js';
import { compileFieldPath, type FieldPath } from './fieldpath.js';
import { createEncoder, type Encoder, type EncoderSpec } from './encoders.js';
import { createDecoder, type Decoder, type DecoderSpec } from './decoders.js';
import { Limiter, type LimitSpec } from './limits.js';
import { WallClock, type Clock } from './clock.js';
import { DEFAULT_QOS, SENSOR_QOS, type Publisher, type QoS, type Transport } from './transport/transport.js';

export interface InputBinding {
  /** The circuit input it drives (a population input, or a signal input feeding a modulator). */
  input: string;
  topic: string;
  type: string;
  path: string;
  qos?: QoS;
  /** Required for population inputs; a signal input takes the value as it is. */
  encoder?: EncoderSpec;
  /** Older than this (ms) the value is stale (default 500). */
  timeoutMs?: number;
  /** Values outside [lo, hi] are dropped and counted (e.g. a range sensor's physical limits). */
  valid?: [number, number];
}

/** One field of an output message: a weighted sum of decoded populations, then limits. */
export interface OutputValue {
  /** Where the value goes in the message (`twist.linear.x`). */
  path: string;
  /** E.g. angular.z = k * (right rate - left rate): two terms with weights k and -k. */
  terms: { population: string; decoder: DecoderSpec; weight?: number }[];
  limits?: LimitSpec;
}

export interface OutputBinding {
  name: string;
  topic: string;
  type: string;
  values: OutputValue[];
  rateHz: number;
  qos?: QoS;
  /** Inputs whose staleness forces this output to its safe value (default: every input). */
  requires?: string[];
  /** Fixed fields of the published message (e.g. header.frame_id), merged into its zero value. */
  fields?: Record<string, unknown>;
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
}

export interface BridgeStats {
  received: number;
  malformed: number;
  nonFinite: number;
  outOfRange: number;
  published: number;
  safePublished: number;
  ticks: number;
  /** Ticks that finished after the next one was due. */
  overruns: number;
  watchdogTrips: number;
}

interface LiveInput {
  spec: InputBinding;
  codec: Codec;
  path: FieldPath;
  encoder: Encoder | null;
  size: number;
  value: number | number[] | null;
  at: number;
  /** What was last handed to the engine (a new message or staleness changes it). */
  applied: number | number[] | null | 'stale';
}

interface LiveOutput {
  spec: OutputBinding;
  codec: Codec;
  values: { path: FieldPath; terms: { population: string; decoder: Decoder; weight: number }[]; limiter: Limiter }[];
  publisher: Publisher;
  template: Record<string, unknown>;
  lastAt: number;
}

export class Bridge {
  readonly stats: BridgeStats = { received: 0, malformed: 0, nonFinite: 0, outOfRange: 0, published: 0, safePublished: 0, ticks: 0, overruns: 0, watchdogTrips: 0 };
  private readonly inputs: LiveInput[] = [];
  private readonly outputs: LiveOutput[] = [];
  private readonly subs = new Subscription();
  /** Spikes of this step per output population, read once however many terms use them. */
  private readonly spikeCache = new Map<string, ArrayLike<number>>();
  private readonly time: Clock;
  private readonly clock: () => number;
  private readonly periodMs: number;
  private running = false;
  private tripped = false;
  private lastTickDone = 0;
  /** Ends the loop's wait on a caller's clock (stop), which is not ours to close. */
  private wakeLoop: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly engine: Engine<Backend>,
    private readonly transport: Transport,
    private readonly config: BridgeConfig,
  ) {
    this.time = config.clock ?? new WallClock();
    this.clock = () => this.time.now();
    this.periodMs = 1000 / (config.tickHz ?? 1000);
    const circuit = engine.circuit;
    for (const b of config.inputs) {
      const inp = circuit.inputs.find((i) => i.name === b.input);
      if (!inp) throw new Error(`bridge input on ${b.topic}: the circuit has no input "${b.input}" (it has ${circuit.inputs.map((i) => i.name).join(', ') || 'none'})`);
      if (inp.target !== null && !b.encoder) throw new Error(`bridge input on ${b.topic}: "${b.input}" drives population ${inp.target} and needs an encoder`);
      const path = compileFieldPath(b.path, definitionsFor(b.type, config.definitions).definitions);
      const size = inp.target === null ? 1 : circuit.populations.find((p) => p.name === inp.target)!.size;
      this.inputs.push({ spec: b, codec: createCodec(b.type, config.definitions), path, encoder: b.encoder ? createEncoder(b.encoder) : null, size, value: null, at: -Infinity, applied: 'stale' });
    }
    for (const o of config.outputs) {
      const codec = createCodec(o.type, config.definitions);
      const defs = definitionsFor(o.type, config.definitions).definitions;
      const values = o.values.map((v) => ({
        path: compileFieldPath(v.path, defs),
        limiter: new Limiter(v.limits ?? {}),
        terms: v.terms.map((t) => {
          const pop = circuit.populations.find((p) => p.name === t.population);
          if (!pop) throw new Error(`bridge output ${o.name} ${v.path}: the circuit has no population "${t.population}"`);
          return { population: t.population, decoder: createDecoder(t.decoder, pop.size), weight: t.weight ?? 1 };
        }),
      }));
      // Fixed fields override the zero message as a circuit override does (JSON Merge Patch).
      const template = mergePatch(codec.zero(), o.fields ?? {}) as Record<string, unknown>;
      codec.encode(template); // a bad fixed field fails here, not at the first publish
      this.outputs.push({ spec: o, codec, values, publisher: null as never, template, lastAt: -Infinity });
    }
  }

  /** Subscribes, advertises, and starts the tick, the output timers and the watchdog. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const inp of this.inputs) this.subs.add(this.inputStream(inp).subscribe((v) => ((inp.value = v), (inp.at = this.clock()))));
    for (const out of this.outputs) {
      out.publisher = this.transport.advertise(out.spec.topic, out.spec.type, out.spec.qos ?? DEFAULT_QOS);
      this.subs.add(interval(1000 / out.spec.rateHz).subscribe(() => this.publish(out)));
    }
    const wd = this.config.watchdogMs ?? 50;
    this.lastTickDone = this.clock();
    this.subs.add(interval(Math.max(1, wd / 4)).subscribe(() => this.watchdog(wd)));
    this.loop = this.run();
  }

  /** Publishes every output's safe value, stops the tick and closes the topics. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (!this.config.clock) this.time.close();
    else this.wakeLoop?.();
    this.subs.unsubscribe();
    for (const out of this.outputs) this.sendSafe(out);
    for (const out of this.outputs) out.publisher.close();
    await this.loop?.catch(() => undefined);
  }

  /** Bytes in -> checked value out; everything dropped is counted. */
  private inputStream(inp: LiveInput): Observable<number | number[]> {
    const codec = inp.codec;
    const [lo, hi] = inp.spec.valid ?? [-Infinity, Infinity];
    const raw = new Observable<Uint8Array>((sub) => this.transport.subscribe(inp.spec.topic, inp.spec.type, inp.spec.qos ?? SENSOR_QOS, (b) => sub.next(b)));
    return raw.pipe(
      map((bytes) => {
        this.stats.received++;
        try {
          return inp.path.get(codec.decode(bytes));
        } catch (e) {
          if (!(e instanceof CodecError) && !(e instanceof Error)) throw e;
          this.stats.malformed++;
          return null;
        }
      }),
      filter((v): v is number | number[] => {
        if (v === null) return false;
        const xs = typeof v === 'number' ? [v] : v;
        if (xs.some((x) => !Number.isFinite(x))) return (this.stats.nonFinite++, false);
        if (xs.some((x) => x < lo || x > hi)) return (this.stats.outOfRange++, false);
        return true;
      }),
    );
  }

  private stale(inp: LiveInput, now: number): boolean {
    return now - inp.at > (inp.spec.timeoutMs ?? 500);
  }

  private async run(): Promise<void> {
    // Wait first, then tick: after k ticks the engine has advanced k periods, never more than the clock.
    // Simulated time starts where the first /clock message puts it, not at zero.
    await Promise.race([this.time.ready(), new Promise<void>((r) => (this.wakeLoop = r))]);
    let due = this.clock();
    this.lastTickDone = due;
    while (this.running) {
      due += this.periodMs;
      await Promise.race([this.time.waitUntil(due), new Promise<void>((r) => (this.wakeLoop = r))]);
      if (!this.running) break;
      const start = this.clock();
      await this.tick();
      this.lastTickDone = this.clock();
      this.config.onTick?.(start, this.lastTickDone);
      if (this.tripped) this.tripped = false;
      // Behind real time: skip the missed ticks (running them in a burst only adds latency). Behind
      // simulated time: run them, so that engine time keeps up with the simulation.
      if (!this.time.catchUp && this.clock() - due > this.periodMs) {
        this.stats.overruns++;
        due = this.clock();
      }
    }
  }

  private async tick(): Promise<void> {
    const now = this.clock();
    const backend = this.engine.backend;
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
    const steps = Math.max(1, Math.round(this.periodMs / backend.dt));
    const spikes = this.spikeCache;
    for (let s = 0; s < steps; s++) {
      await this.engine.step(1);
      spikes.clear();
      for (const out of this.outputs)
        for (const v of out.values)
          for (const t of v.terms) {
            let sp = spikes.get(t.population);
            if (!sp) spikes.set(t.population, (sp = await backend.lastSpikes(t.population)));
            t.decoder.step(sp, backend.dt);
          }
    }
    this.stats.ticks++;
  }

  private watchdog(limitMs: number): void {
    if (!this.running || this.tripped) return;
    if (this.clock() - this.lastTickDone > limitMs) {
      this.tripped = true;
      this.stats.watchdogTrips++;
      for (const out of this.outputs) this.sendSafe(out);
    }
  }

  private publish(out: LiveOutput): void {
    const now = this.clock();
    const needs = out.spec.requires ?? this.inputs.map((i) => i.spec.input);
    const unsafe = this.tripped || this.inputs.some((i) => needs.includes(i.spec.input) && this.stale(i, now));
    const dtS = Number.isFinite(out.lastAt) ? (now - out.lastAt) / 1000 : 0;
    out.lastAt = now;
    if (unsafe) return this.sendSafe(out);
    this.send(out, out.values.map((v) => v.limiter.apply(v.terms.reduce((a, t) => a + t.weight * t.decoder.value(), 0), dtS)), false);
  }

  private sendSafe(out: LiveOutput): void {
    this.send(out, out.values.map((v) => v.limiter.stop()), true);
  }

  private send(out: LiveOutput, values: number[], safe: boolean): void {
    // One message object per output, rewritten in place: every published field is set each time, and
    // the encoder keeps no reference (a clone per publish at 1 kHz was measurable garbage).
    const msg = out.template;
    out.values.forEach((v, k) => v.path.set(msg, values[k]));
    out.publisher.publish(out.codec.encode(msg));
    this.stats.published++;
    if (safe) this.stats.safePublished++;
  }
}
