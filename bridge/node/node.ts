// Flux as a robot node: a bridge document and its circuit on a transport, with ROS-style parameters
// that apply live, ROS command-line arguments, and a shutdown that leaves the robot stopped.
//
// Live parameters: tick_hz, watchdog_ms, topic names and stamped outputs change the running bridge
// between ticks. bridge, circuit, backend and use_sim_time need a new engine: it is built while the old
// one keeps driving the robot, then swapped in between two ticks (a hot swap; the new network starts
// from its initial state). If the new one cannot be built, the old one keeps running and the
// parameter goes back to its old value.
import { writeSync } from 'node:fs';
import { Engine, type BackendChoice } from '../../engine/engine.js';
import type { Backend } from '../../engine/backends/backend.js';
import type { GpuContext } from '../../engine/backends/webgpu/gpu.js';
import { CircuitError } from '../../engine/circuit/errors.js';
import { loadFlat } from '../../engine/circuit/resolve.js';
import { Bridge, type BridgeConfig } from '../bridge.js';
import { loadBridge, prepareExtensions, type LoadedBridge } from '../config.js';
import { BRIDGE_DEFAULTS } from '../loop-limits.js';
import { ControlledClock, SimClock, WallClock, type Clock } from '../clock.js';
import { stampedVariant } from '../stamped.js';
import { createDevice, type Device } from '../devices.js';
import type { Transport } from '../transport/transport.js';
import type { ParamDecl, ParamType, ParamValue, Parameters, SetParametersResult } from './parameters.js';
import { BINDING_PARAMS, SWAP_PARAMS, declareBindingParam, declareNodeParam, nodeParam, type ValueOf } from './flux-params.js';
import { parseRosArgs } from './rosargs.js';
import { findTransport, type TransportName, type TransportOptions } from './transports.js';
import { turn } from '../../engine/platform/turn.js';
import { host } from '../../engine/platform/host.js';

export interface FluxNodeOptions extends TransportOptions {
  /** The bridge document (the `bridge` parameter's default). */
  bridge: string;
  /** The bridge document's text, read in place of the file `bridge` (which need not exist): `flux edit`'s bridge without topics. */
  bridgeText?: string;
  /** The clock every engine of this node ticks on (kept across hot swaps), instead of the wall clock or /clock. */
  clock?: Clock;
  /** An entry of the transport table (transports.ts): ros, dds, memory. */
  transport: TransportName;
  /** ROS arguments, with their --ros-args markers (see splitRosArgs). */
  rosArgs?: string[];
  /** The `backend` parameter's default. */
  backend?: BackendChoice;
  /** Kernel threads of the CPU backend (default: Flux's heuristic). */
  threads?: number;
  /** The `use_sim_time` parameter's default (true next to a simulator). */
  useSimTime?: boolean;
  /** An open WebGPU device to use instead of acquiring one (benchmarks, tests). */
  gpu?: GpuContext;
  log?: (line: string) => void;
}

interface Running {
  loaded: LoadedBridge;
  engine: Engine<Backend>;
  bridge: Bridge;
  clock: Clock;
  /** Serial devices and boards the document declares, open while the bridge runs. */
  devices: Map<string, Device>;
}

export class FluxNode {
  private running: Running;
  private swapping: Promise<void> = Promise.resolve();
  /** Set while a failed swap puts a parameter back, so that the reset does not swap again. */
  private reverting = false;
  private closed = false;
  /** Set while the node adopts a page-edited bridge document's bindings as its parameters: accepted, nothing re-applied. */
  private adopting = false;
  /** A bridge document's text the node runs that is not in its file (yet): flux edit's start, a binding edited in the page. */
  private bridgeMemory: { file: string; text: string; edited: boolean } | null;

  private constructor(
    readonly params: Parameters,
    readonly transport: Transport,
    readonly nodeName: string,
    readonly namespace: string,
    private readonly resolveName: (topic: string) => string,
    private readonly options: FluxNodeOptions,
    running: Running,
  ) {
    this.running = running;
    this.bridgeMemory = options.bridgeText === undefined ? null : { file: options.bridge, text: options.bridgeText, edited: false };
  }

  get bridge(): Bridge {
    return this.running.bridge;
  }

  get engine(): Engine<Backend> {
    return this.running.engine;
  }

  /** The serial devices and boards the bridge document declares. */
  get devices(): ReadonlyMap<string, Device> {
    return this.running.devices;
  }

  get loaded(): LoadedBridge {
    return this.running.loaded;
  }

  /** A topic's name on the wire: rcl's resolution on ROS, Flux's own (same rules) elsewhere. */
  resolve(topic: string): string {
    return this.resolveName(topic);
  }

  /**
   * The bridge document the node runs: its file, its text, and whether there is nothing to save (the
   * text is the file's, or flux edit's starting document, which binds nothing and is not worth a file).
   */
  bridgeDocument(): { file: string; text: string; saved: boolean } {
    const file = nodeParam(this.params, 'bridge');
    const m = this.bridgeMemory?.file === file ? this.bridgeMemory : null;
    return { file, text: m?.text ?? host().readText(file), saved: !m?.edited };
  }

  /** Resolves when the last requested hot swap has finished (or failed and been undone). */
  settled(): Promise<void> {
    return this.swapping;
  }

  static async start(options: FluxNodeOptions): Promise<FluxNode> {
    const log = options.log ?? ((l: string) => console.log(l));
    const rosArgs = options.rosArgs ?? [];
    const opened = await findTransport(options.transport).open({ ...options, rosArgs, args: parseRosArgs(rosArgs), log });
    const { transport, params, nodeName, namespace } = opened;
    try {
      const { loaded, backend, useSimTime } = declareParams(params, options);
      const running = await build(loaded, backend, useSimTime, transport, options, log);
      const node = new FluxNode(params, transport, nodeName, namespace, opened.resolve, options, running);
      params.onChange((changes) => node.onParams(changes));
      running.bridge.start();
      log(
        `flux: node ${namespace === '/' ? '' : namespace}/${nodeName} on the ${transport.name} transport, ${describe(running, (t) => node.resolve(t))}`,
      );
      return node;
    } catch (e) {
      await transport.close();
      throw e;
    }
  }

  private onParams(changes: { name: string; value: ParamValue }[]): SetParametersResult {
    if (this.closed) return { successful: false, reason: 'the node is shutting down' };
    if (this.adopting) return { successful: true, reason: '' };
    try {
      // Vet every change first: a batch applies whole or not at all.
      for (const { name, value } of changes) {
        // A new bridge document brings the circuit it names (see hotSwap).
        // Types, ranges and choices were checked against the declarations (flux-params.ts) before this.
        if (name === 'bridge') {
          // Its edits live only in memory: moving to another document would drop them unseen.
          const unsaved = this.unsavedBindings();
          if (unsaved && String(value) !== this.bridgeMemory?.file) return refuse(unsaved);
          loadBridge(String(value));
        } else if (name === 'circuit') {
          const file = nodeParam(this.params, 'bridge');
          loadBridge(file, String(value), memoryText(this.bridgeMemory, file));
        }
      }
    } catch (e) {
      return refuse(e instanceof CircuitError ? e.message : (e as Error).message);
    }
    let swap: boolean;
    try {
      swap = this.applyLive(changes);
    } catch (e) {
      // The transport refused a new topic or type; the bridge kept the old one (see Bridge.rebind).
      return refuse((e as Error).message);
    }
    if (swap) {
      // The callback answers now; the new engine is built after the parameter is stored.
      const before = this.swapParams();
      this.swapping = this.swapping.then(turn).then(async () => void (await this.hotSwap(before)));
    }
    return { successful: true, reason: '' };
  }

  /**
   * Applies the changes the running bridge takes live; returns whether one needs a new engine. A batch
   * applies whole or not at all: when one change is refused (a topic carrying another type), the
   * ones before it are put back.
   */
  private applyLive(changes: { name: string; value: ParamValue }[]): boolean {
    let swap = false;
    const done: { name: string; value: ParamValue }[] = [];
    try {
      for (const c of changes) {
        if (SWAP_PARAMS.has(c.name)) {
          if (!this.reverting) swap = true;
          continue;
        }
        const previous = this.params.get(c.name);
        applySetting(this.running.bridge, c.name, c.value, (name) => (name === c.name ? c.value : this.params.get(name)));
        done.push({ name: c.name, value: previous });
      }
    } catch (e) {
      for (const d of done.reverse()) applySetting(this.running.bridge, d.name, d.value, (name) => this.params.get(name));
      throw e;
    }
    return swap;
  }

  /** The parameters a hot swap reads, as they are now (what a failed swap puts back). */
  private swapParams(): Record<string, ParamValue> {
    return Object.fromEntries([...SWAP_PARAMS].map((k) => [k, this.params.get(k)]));
  }

  /**
   * Builds a new engine and bridge from the parameters (and `o`: the circuit's or the bridge
   * document's next text, which the page supplies), then swaps them in between two ticks. Resolves
   * with whether the new one runs; on failure the old one runs on and the parameters go back.
   */
  private async hotSwap(before: Record<string, ParamValue>, o: SwapOverride = {}): Promise<boolean> {
    if (this.closed) return false;
    const log = this.options.log ?? ((l: string) => console.log(l));
    const old = this.running;
    let loaded: LoadedBridge;
    let bridgeFile: string;
    try {
      if (o.open) {
        // Another circuit with its own bridge document (the page's New circuit): it names its circuit.
        bridgeFile = o.open.bridgeFile;
        loaded = loadBridge(bridgeFile, undefined, o.open.bridgeText);
      } else {
        bridgeFile = nodeParam(this.params, 'bridge');
        // The page edited the document it saw; the parameter moved to another one meanwhile.
        if (o.bridge && o.bridge.file !== bridgeFile)
          throw new Error(`the bridge parameter changed to ${bridgeFile} while ${o.bridge.file} was being edited`);
        const circuit = nodeParam(this.params, 'circuit');
        // A new bridge document brings its own circuit unless the circuit parameter changed with it.
        loaded = loadBridge(
          bridgeFile,
          circuit === before.circuit && bridgeFile !== before.bridge ? undefined : circuit,
          o.bridge?.text ?? memoryText(this.bridgeMemory, bridgeFile),
          o.circuitText,
        );
      }
    } catch (e) {
      this.undoSwap(before, e, log);
      return false;
    }
    // The robot stops while the new engine is built: compiling on the CPU holds the event loop (no
    // ticks, no watchdog) for as long as it takes, so the old bridge sends its safe command first, and
    // its guard thread (DDS and serial outputs) keeps sending it until the next loop has ticked.
    const held = old.bridge.handOverGuard();
    const release = async (bridge: Bridge) => {
      const from = bridge.stats.ticks;
      for (const end = performance.now() + 5000; bridge.stats.ticks === from && performance.now() < end;)
        await new Promise((r) => setTimeout(r, 5));
      await held?.close();
    };
    const resume = async () => {
      if (!this.closed) {
        // Its extension nodes stopped with it: start them again, then the loop.
        await old.bridge.prepare().catch((err: unknown) => log(`flux: ${(err as Error).message}`));
        old.bridge.start();
      }
      void release(old.bridge);
    };
    await old.bridge.stop();
    if (this.closed) return (void (await held?.close()), false);
    let next: Running;
    try {
      next = await build(
        loaded,
        nodeParam(this.params, 'backend'),
        nodeParam(this.params, 'use_sim_time'),
        this.transport,
        this.options,
        log,
        o.circuitText,
      );
    } catch (e) {
      await resume();
      this.undoSwap(before, e, log);
      return false;
    }
    if (this.closed) {
      await discard(next, this.options);
      await held?.close();
      return false;
    }
    try {
      // The binding the page edited wins over the parameters its topic had; the others keep theirs
      // (a launch file's -p overrides among them).
      if (o.bridge?.binding) this.adoptBinding(next.loaded.config, o.bridge.binding);
      // Live settings follow the parameters as they are now (one may have changed during the build).
      for (const name of this.params.names())
        if (!SWAP_PARAMS.has(name)) applySetting(next.bridge, name, this.params.get(name), (n) => this.params.get(n));
    } catch (e) {
      // A parameter the new bridge cannot take (a stamped flag on a type that has no stamped variant):
      // the old one goes on, as when the build fails.
      await discard(next, this.options);
      await resume();
      this.undoSwap(before, e, log);
      return false;
    }
    this.running = next;
    if (o.bridge) this.bridgeMemory = { file: bridgeFile, text: o.bridge.text, edited: true };
    if (o.open) {
      // The parameters name what runs now; nothing to apply again.
      this.adopting = true;
      try {
        this.params.set('bridge', bridgeFile);
        this.params.set('circuit', loaded.circuitFile);
      } finally {
        this.adopting = false;
      }
      this.bridgeMemory = { file: bridgeFile, text: o.open.bridgeText, edited: false };
    }
    next.bridge.start();
    void release(next.bridge);
    if (old.clock !== next.clock) old.clock.close();
    // The new bridge opened its devices while the old ones were still open: a port that only one may
    // hold reconnects (with its backoff) once the old device lets go here.
    await closeDevices(old.devices);
    old.engine.dispose();
    log(`flux: swapped in ${describe(next, (t) => this.resolve(t))}`);
    return true;
  }

  /**
   * Builds the engine again from the circuit file as it is now (the dashboard inserted a module into
   * it), the same way a changed `circuit` parameter does: safe command, build, swap. Throws when the
   * new circuit fails, and the old one runs on.
   */
  async reloadCircuit(): Promise<void> {
    return this.reloadCircuitFrom();
  }

  /**
   * As reloadCircuit, with `text` read in place of the circuit file's content: the dashboard builds a
   * module insert first and writes the file only once the new engine runs, so a circuit that cannot be
   * built never reaches the file (and a restart finds the file as it was).
   */
  async reloadCircuitFrom(text?: string): Promise<void> {
    await this.swapNow({ circuitText: text });
  }

  /** Queues a hot swap behind any pending one; throws with the reason when it did not swap in. */
  private async swapNow(o: SwapOverride): Promise<void> {
    const before = this.swapParams();
    this.lastSwapError = null;
    let ok = false;
    this.swapping = this.swapping.then(async () => void (ok = await this.hotSwap(before, o)));
    await this.swapping;
    if (!ok) throw new Error(this.lastSwapError ?? 'the node is shutting down');
  }

  private lastSwapError: string | null = null;

  /**
   * Builds the engine and bridge again from `text`, the node's bridge document's next content (the
   * page set `binding`), with `circuitText` in place of the circuit file's (the running circuit's live
   * edits): safe command, build, swap. The node then runs `text`, kept in memory until the page saves
   * it (bridgeSaved). Throws, with the old engine running on, when the build fails.
   */
  async reloadBridgeFrom(text: string, circuitText?: string, binding?: { section: 'inputs' | 'outputs'; name: string }): Promise<void> {
    const file = nodeParam(this.params, 'bridge');
    await this.swapNow({ circuitText, bridge: { file, text, binding } });
  }

  /**
   * Switches to another circuit through a bridge document that names it (`bridgeText`, kept in memory
   * for `bridgeFile` until bindings are saved): the page's New circuit. Refused while the bindings
   * edited in the page are not saved; throws, with the old engine running on, when the build fails.
   */
  async openCircuit(bridgeFile: string, bridgeText: string): Promise<void> {
    const unsaved = this.unsavedBindings();
    if (unsaved) throw new Error(unsaved);
    await this.swapNow({ open: { bridgeFile, bridgeText } });
  }

  /** Why the node may not leave its bridge document: bindings edited in the dashboard not saved yet (else null). */
  private unsavedBindings(): string | null {
    const m = this.bridgeMemory;
    return m?.edited ? `the bridge document ${m.file} has bindings edited in the dashboard that are not saved: save them first` : null;
  }

  /** The page wrote the bridge document the node runs: from now on the node reads its file. */
  bridgeSaved(text: string): void {
    if (this.bridgeMemory?.text === text) this.bridgeMemory = null;
  }

  private undoSwap(before: Record<string, ParamValue>, e: unknown, log: (l: string) => void): void {
    this.lastSwapError = e instanceof CircuitError ? e.message : (e as Error).message;
    log(`flux: kept the running engine, the new one failed: ${this.lastSwapError}`);
    this.reverting = true;
    try {
      for (const [k, v] of Object.entries(before)) if (this.params.get(k) !== v) this.params.set(k, v);
    } finally {
      this.reverting = false;
    }
  }

  /** Declares or sets one binding's parameters to a new bridge document's values, without applying them again. */
  private adoptBinding(c: BridgeConfig, binding: { section: 'inputs' | 'outputs'; name: string }): void {
    this.adopting = true;
    try {
      const adopt = <T extends ParamType>(decl: ParamDecl & { name: string; type: T }, value: ValueOf<T>) => {
        if (!this.params.names().includes(decl.name)) declareBindingParam(this.params, decl, value);
        else if (this.params.get(decl.name) !== value) {
          const r = this.params.set(decl.name, value);
          if (!r.successful) throw new Error(`${decl.name}: ${r.reason}`);
        }
      };
      if (binding.section === 'inputs') {
        const i = c.inputs.find((x) => x.input === binding.name);
        if (i) adopt(BINDING_PARAMS.inputTopic(i.input), i.topic);
      } else {
        const o = c.outputs.find((x) => x.name === binding.name);
        if (!o) return;
        adopt(BINDING_PARAMS.outputTopic(o.name), o.topic);
        const variant = stampedVariant(o.type);
        if (variant) {
          adopt(BINDING_PARAMS.outputStamped(o.name, variant.type, o.type), o.stamped ?? false);
          adopt(BINDING_PARAMS.outputFrameId(o.name), o.frameId ?? 'base_link');
        } else if (this.params.names().includes(`outputs.${o.name}.stamped`) && this.params.get(`outputs.${o.name}.stamped`) === true) {
          // Rebound to a type with no stamped variant: the flag of the old type no longer applies.
          const r = this.params.set(`outputs.${o.name}.stamped`, false);
          if (!r.successful) throw new Error(`outputs.${o.name}.stamped: ${r.reason}`);
        }
      }
    } finally {
      this.adopting = false;
    }
  }

  /** Publishes every output's safe value, closes the topics and the node, frees the engine. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The safe command first, whatever else is pending (a hot swap may take seconds to build).
    await this.running.bridge.stop();
    await this.swapping.catch(() => undefined);
    // Let the safe command leave before the node goes (a reliable writer may still be sending it).
    await new Promise((r) => setTimeout(r, 100));
    this.running.clock.close();
    await closeDevices(this.running.devices);
    await this.transport.close();
    this.running.engine.dispose();
  }
}

/** Applies one live parameter to a bridge (`get` gives the other parameters' values). */
function applySetting(b: Bridge, name: string, value: ParamValue, get: (name: string) => ParamValue): void {
  const [, key, field] = name.split('.');
  // After a swap to another bridge document, parameters of bindings it does not have do not apply.
  const st = b.settings;
  if (name.startsWith('inputs.') && !st.inputs.some((i) => i.input === key)) return;
  if (name.startsWith('outputs.') && !st.outputs.some((o) => o.name === key)) return;
  if (name === 'tick_hz') b.setTickHz(value as number);
  else if (name === 'watchdog_ms') b.setWatchdogMs(value as number);
  else if (name.startsWith('inputs.') && field === 'topic') b.setInputTopic(key, value as string);
  else if (name.startsWith('outputs.') && field === 'topic') b.setOutputTopic(key, value as string);
  else if (name.startsWith('outputs.') && field === 'stamped')
    b.setOutputStamped(key, value as boolean, get(`outputs.${key}.frame_id`) as string);
  else if (name.startsWith('outputs.') && field === 'frame_id')
    b.setOutputStamped(key, get(`outputs.${key}.stamped`) as boolean, value as string);
}

function refuse(reason: string): SetParametersResult {
  return { successful: false, reason };
}

/**
 * Declares the node's parameters (flux-params.ts) with the document's and the options' values as
 * defaults, and loads the bridge document (and circuit) they name.
 */
function declareParams(
  params: Parameters,
  options: FluxNodeOptions,
): { loaded: LoadedBridge; backend: BackendChoice; useSimTime: boolean } {
  const bridgeFile = declareNodeParam(params, 'bridge', options.bridge);
  const text = memoryText(options.bridgeText === undefined ? null : { file: options.bridge, text: options.bridgeText }, bridgeFile);
  let loaded = loadBridge(bridgeFile, undefined, text);
  const circuitFile = declareNodeParam(params, 'circuit', loaded.circuitFile);
  if (circuitFile !== loaded.circuitFile) loaded = loadBridge(bridgeFile, circuitFile, text);
  const backend = declareNodeParam(params, 'backend', options.backend ?? 'auto');
  const useSimTime = declareNodeParam(params, 'use_sim_time', options.useSimTime ?? false);
  const c = loaded.config;
  c.tickHz = declareNodeParam(params, 'tick_hz', c.tickHz ?? BRIDGE_DEFAULTS.tickHz);
  c.watchdogMs = declareNodeParam(params, 'watchdog_ms', c.watchdogMs ?? BRIDGE_DEFAULTS.watchdogMs);
  for (const i of c.inputs) i.topic = declareBindingParam(params, BINDING_PARAMS.inputTopic(i.input), i.topic);
  for (const o of c.outputs) {
    o.topic = declareBindingParam(params, BINDING_PARAMS.outputTopic(o.name), o.topic);
    const variant = stampedVariant(o.type);
    if (variant) {
      o.stamped = declareBindingParam(params, BINDING_PARAMS.outputStamped(o.name, variant.type, o.type), o.stamped ?? false);
      o.frameId = declareBindingParam(params, BINDING_PARAMS.outputFrameId(o.name), o.frameId ?? 'base_link');
    }
  }
  return { loaded, backend, useSimTime };
}

async function build(
  loaded: LoadedBridge,
  backend: BackendChoice,
  useSimTime: boolean,
  transport: Transport,
  options: FluxNodeOptions,
  log: (l: string) => void,
  circuitText?: string,
): Promise<Running> {
  // Wired in a worker: a hot swap's build leaves this thread free (transports, dashboard, signals).
  const engine = await Engine.create(circuitText === undefined ? loaded.circuitFile : loadFlat(loaded.circuitFile, circuitText), {
    backend,
    threads: options.threads,
    gpu: options.gpu,
    log,
    wireOffThread: true,
  });
  const clock: Clock = options.clock ?? (useSimTime ? new SimClock(transport) : new WallClock());
  const devices = new Map<string, Device>();
  let bridge: Bridge | undefined;
  try {
    // One after another into the map: when one fails, the catch below closes those made before it.
    for (const [name, spec] of Object.entries(loaded.devices)) devices.set(name, await createDevice(name, spec));
    // A device that is absent keeps retrying in the background; its inputs stay stale meanwhile.
    await Promise.all([...devices.values()].map((d) => d.open()));
    // Extension modules load and every node's options are checked (naming file, line and path) before anything starts.
    const registry = await prepareExtensions(loaded);
    const config: BridgeConfig = {
      ...loaded.config,
      // Wall time for this bridge alone: the bridge keeps a wall clock of its own, which stop() closes to
      // release its wait (a clock from outside costs the loop a promise a tick to race a wake-up).
      clock: clock instanceof WallClock && clock !== options.clock ? undefined : clock,
      onError: log,
      devices,
      extensions: { registry, nodes: loaded.extensions.nodes, dir: loaded.extensions.dir },
    };
    bridge = new Bridge(engine, transport, config);
    await bridge.prepare();
    return { loaded, engine, bridge, clock, devices };
  } catch (e) {
    await bridge?.host?.stop();
    await closeDevices(devices);
    // A clock of the node's own (options.clock) goes on with the engine that stays.
    if (clock !== options.clock) clock.close();
    engine.dispose();
    throw e;
  }
}

/** The text kept in memory for `file` (flux edit's start, bindings edited in the page), if any: another file is read from disk. */
function memoryText(memory: { file: string; text: string } | null, file: string): string | undefined {
  return memory && memory.file === file ? memory.text : undefined;
}

/** Frees an engine and bridge that were built but will not run. */
async function discard(r: Running, options: FluxNodeOptions): Promise<void> {
  await r.bridge.host?.stop();
  await closeDevices(r.devices);
  if (r.clock !== options.clock) r.clock.close();
  r.engine.dispose();
}

interface SwapOverride {
  /** The circuit file's next content (the page's live edits, an element, a module insert). */
  circuitText?: string;
  /** The bridge document's next content, for the file it was edited as, and the binding the page set. */
  bridge?: { file: string; text: string; binding?: { section: 'inputs' | 'outputs'; name: string } };
  /** Another bridge document (and the circuit it names) in place of the parameters' (New circuit). */
  open?: { bridgeFile: string; bridgeText: string };
}

/** Closes devices (each writes its safe values first); one that fails to close does not stop the others. */
async function closeDevices(devices: Map<string, Device>): Promise<void> {
  await Promise.all([...devices.values()].map((d) => d.close().catch(() => undefined)));
}

function describe(r: Running, resolve: (topic: string) => string): string {
  const s = r.bridge.settings;
  const net = r.engine.network;
  return [
    `circuit ${r.loaded.circuitFile} (${net.neurons} neurons, ${net.synapses} synapses), tick ${s.tickHz} Hz, ${r.clock instanceof SimClock ? 'simulated time (/clock)' : r.clock instanceof ControlledClock ? 'run control (flux edit)' : 'wall clock'}`,
    ...s.inputs.map((i) => `  in  ${resolve(i.topic)} -> ${i.input}`),
    ...s.outputs.map((o) =>
      o.type.startsWith('device ') ? `  out ${o.name} -> ${o.type}` : `  out ${o.name} -> ${resolve(o.topic)} (${o.type})`,
    ),
    ...[...r.devices].map(([name, d]) => `  dev ${name}: ${d.describe()}`),
  ].join('\n');
}

/**
 * SIGINT and SIGTERM: run `shutdown` (which publishes the safe command and closes the node), print
 * what it returns and exit, within `limitMs` (launch waits 5 s before escalating; we aim for 2). A
 * second signal, or a shutdown that hangs, exits at once.
 */
export function exitOnSignals(
  shutdown: (signal: NodeJS.Signals) => Promise<string>,
  exit: (code: number) => void = (c) => process.exit(c),
  limitMs = 1500,
  log: (l: string) => void = (l) => console.log(l),
): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return exit(130);
    stopping = true;
    const force = setTimeout(() => {
      log(`flux: ${signal}: shutdown took longer than ${limitMs} ms, exiting anyway`);
      exit(1);
    }, limitMs);
    force.unref();
    shutdown(signal)
      .then((summary) => {
        log(`flux: ${signal}: ${summary}`);
        clearTimeout(force);
        exit(0);
      })
      .catch((e: Error) => {
        log(`flux: ${signal}: shutdown failed: ${e.message}`);
        exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * The last resort: an uncaught exception or an unhandled rejection anywhere in the process publishes
 * every output's safe value (through the loop's publishers and the guard thread's own channels,
 * synchronously) before the process exits non-zero with the error. Returns the function that removes it.
 */
export function exitOnFatal(
  bridge: () => Bridge | null,
  exit: (code: number) => void = (c) => process.exit(c),
  log: (l: string) => void = (l) => writeSync(2, l + '\n'),
): () => void {
  const handler = (e: unknown, what: string) => {
    try {
      bridge()?.emergencyStop();
      log(`flux: ${what}: ${(e as Error)?.stack ?? String(e)}\nflux: every output was sent its safe value; exiting`);
    } finally {
      exit(1);
    }
  };
  const onException = (e: unknown) => handler(e, 'uncaught exception');
  const onRejection = (e: unknown) => handler(e, 'unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

/** Shuts the node down; returns a line saying where the safe command went. */
export async function shutdownSummary(node: FluxNode): Promise<string> {
  const safeBefore = node.bridge.stats.safePublished;
  await node.shutdown();
  const st = node.bridge.stats;
  // Counted, not assumed: the line says how many safe messages the shutdown itself sent.
  const sent = st.safePublished - safeBefore;
  const sentLinks = node.bridge.spikeLinks().filter((l) => l.role === 'send');
  const links = sentLinks.length
    ? `; spike links: sent ${sentLinks.reduce((a, l) => a + l.stats.messages, 0)} messages with ${sentLinks.reduce((a, l) => a + l.stats.spikes, 0)} spikes`
    : '';
  return `safe command published on ${node.bridge.settings.outputs.map((o) => node.resolve(o.topic)).join(', ')} (${sent} message${sent === 1 ? '' : 's'}); ${st.ticks} ticks, ${st.published} messages published${links}`;
}
