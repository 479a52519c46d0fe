// Runs a document's extension nodes next to the engine: creates them from the registry, wires their
// ports, drives compute nodes on the bridge's tick (or at their own rate), feeds output extensions,
// and applies live edits (add, remove, reconfigure) between ticks.
//
// Isolation: every call into a node is guarded. A node that throws is reported with its name (once a
// second at most), its outputs go to their safe values, and the tick goes on; it is called again on
// the next tick. Nodes loaded from modules run in a worker thread by default (isolate.ts), so one that
// blocks cannot stop the engine: it stops answering, is terminated after `hangMs` and restarted with
// backoff, and its outputs are safe meanwhile.
//
// Port references in a node's `in`: `<node>.<port>` (another node's output), `inputs.<name>` (a
// bridge input's latest checked value), `outputs.<name>.<path>` (a bridge output value as decoded,
// before limits), or a number.
//
// Staleness travels through the graph: every value carries the time of the oldest source it was
// computed from (an input extension's arrival time, a bridge input's), and a value whose source is
// older than its node's timeout (default 500 ms) reads as missing. So a sensor that stops makes what
// is computed from it stale too, and whatever reads it (a bridge input, an output value, an output
// node) goes to its safe value: a filter holding its last output cannot keep a robot moving.
import { Subject, config as rxConfig, type Observable } from 'rxjs';
import type { ComputeInstance, Extension, ExtensionContext, InputInstance, OutputInstance, PortValue } from './api.js';
import { IsolatedNode } from './isolate.js';
import type { AnyExtension, ExtensionRegistry } from './registry.js';

// A callback in an RxJS stream that throws would otherwise be rethrown from a timer and end the
// process (RxJS 7): a robot's controller must not die of one extension's bug. Flux logs it instead.
rxConfig.onUnhandledError ??= (e: unknown) =>
  console.error(`flux: a stream callback threw (it was dropped): ${(e as Error)?.stack ?? String(e)}`);

export interface NodeSpec {
  name: string;
  type: string;
  options: Record<string, unknown>;
  /** Input port -> reference or constant. */
  in: Record<string, string | number>;
  /** Compute nodes: calls per second; default every tick. */
  rateHz?: number;
  /** Its outputs are stale (read as missing) when their oldest source is older than this (ms, default 500). */
  timeoutMs?: number;
  /** Run in a worker thread (default: yes for extensions from modules, no for built-ins). */
  isolate?: boolean;
}

export interface NodeStatus {
  name: string;
  type: string;
  kind: Extension['kind'];
  state: 'running' | 'failed' | 'restarting' | 'stopped';
  isolated: boolean;
  errors: number;
  lastError: string | null;
  outputs: Record<string, PortValue | undefined>;
}

export interface HostOptions<C extends ExtensionContext = ExtensionContext> {
  dir: string;
  log: (line: string) => void;
  /** Values outside the node graph: `inputs.<name>` and `outputs.<name>.<path>`. */
  external?: (ref: string) => PortValue | undefined;
  /** When an external value was taken (its source time, on `now`'s clock); default now. */
  externalTime?: (ref: string) => number | undefined;
  /** Who outside the node graph reads a node (the bridge's `from:` inputs and output values), by node name. */
  externalReaders?: (node: string) => string[];
  /**
   * The context every node gets, from the one the host makes (its name, dir and log): the base itself,
   * or with what this host's extensions need besides (the bridge's transport and devices for its I/O).
   */
  context: (base: ExtensionContext) => C;
  /** Milliseconds an isolated node may take to answer before it is terminated (default 1000). */
  hangMs?: number;
  now?: () => number;
}

interface LiveNode<C extends ExtensionContext> {
  spec: NodeSpec;
  ext: AnyExtension<C>;
  isolated: boolean;
  instance: ComputeInstance | InputInstance | OutputInstance | null;
  /** Output port values, with the time of the oldest source each was computed from. */
  values: Map<string, { value: PortValue; src: number }>;
  subjects: Map<string, Subject<PortValue>>;
  unsubscribe: (() => void)[];
  state: NodeStatus['state'];
  errors: number;
  lastError: string | null;
  lastReport: number;
  lastRun: number;
  retryAt: number;
  backoffMs: number;
  /** Bumped when the node is stopped, removed or replaced: a restart in flight then discards what it started. */
  gen: number;
}

const STALE_MS = 500;

export class ExtensionHost<C extends ExtensionContext = ExtensionContext> {
  private readonly nodes = new Map<string, LiveNode<C>>();
  private readonly now: () => number;
  /** Observers of node output ports (bridge inputs bound with `from:`). */
  private readonly watchers = new Map<string, Set<(v: PortValue, src: number) => void>>();

  constructor(
    private readonly registry: ExtensionRegistry<C>,
    private readonly o: HostOptions<C>,
  ) {
    this.now = o.now ?? (() => performance.now());
  }

  /** Checks a spec against the registry and the graph; throws naming the node and what is wrong. */
  check(spec: NodeSpec, replacing?: string): void {
    const reg = this.registry.get(spec.type);
    if (!reg) throw new Error(`extension node ${spec.name}: no extension type "${spec.type}" (known: ${this.registry.names().join(', ')})`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.name) || spec.name === 'inputs' || spec.name === 'outputs')
      throw new Error(`extension node "${spec.name}": not a usable name (inputs and outputs are reserved)`);
    if (this.nodes.has(spec.name) && spec.name !== replacing) throw new Error(`extension node ${spec.name} exists already`);
    const problems = this.registry.validate(spec.type, spec.options, `/extensions/nodes/${spec.name}/options`);
    if (problems.length)
      throw new Error(`extension node ${spec.name} (${spec.type}): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    const ext = reg.extension;
    for (const [port, ref] of Object.entries(spec.in)) {
      if (ext.kind === 'input') throw new Error(`extension node ${spec.name}: an input extension takes no inputs (got ${port})`);
      if (!ext.dynamicInputs && ext.inputs && !(port in ext.inputs))
        throw new Error(
          `extension node ${spec.name}: ${spec.type} has no input port "${port}" (it has ${Object.keys(ext.inputs).join(', ') || 'none'})`,
        );
      if (typeof ref === 'string' && !ref.startsWith('inputs.') && !ref.startsWith('outputs.')) {
        const [n, p] = ref.split('.');
        const src = n === spec.name ? undefined : this.nodes.get(n);
        if (!src)
          throw new Error(
            `extension node ${spec.name}: input ${port} reads ${ref}, but there is no node "${n}"${n === spec.name ? ' other than itself' : ''}`,
          );
        if (src.ext.outputs && !(p in src.ext.outputs))
          throw new Error(`extension node ${spec.name}: input ${port} reads ${ref}, but ${n} (${src.spec.type}) has no output port "${p}"`);
      }
    }
  }

  /** Adds and starts a node (live: between ticks). Nodes it reads must exist already. */
  async add(spec: NodeSpec): Promise<void> {
    this.check(spec);
    const reg = this.registry.get(spec.type)!;
    const node: LiveNode<C> = {
      spec: { ...spec, in: { ...spec.in } },
      ext: reg.extension,
      isolated: spec.isolate ?? reg.module !== 'builtin',
      instance: null,
      values: new Map(),
      subjects: new Map(),
      unsubscribe: [],
      state: 'stopped',
      errors: 0,
      lastError: null,
      lastReport: -Infinity,
      lastRun: this.now(),
      retryAt: 0,
      backoffMs: 1000,
      gen: 0,
    };
    // In the map at once (a second add of the name is refused), but skipped by tick() until started:
    // add() needs no pause of the engine, even while a worker starts.
    this.nodes.set(spec.name, node);
    try {
      const gen = node.gen;
      const inst = await this.create(node);
      if (this.nodes.get(spec.name) !== node || node.gen !== gen) {
        await inst.stop?.();
        throw new Error('it was removed while starting');
      }
      await this.attach(node, inst);
    } catch (e) {
      if (this.nodes.get(spec.name) === node) this.nodes.delete(spec.name);
      throw new Error(`extension node ${spec.name} (${spec.type}) failed to start: ${(e as Error).message}`, { cause: e });
    }
  }

  private context(node: LiveNode<C>): C {
    return this.o.context({ name: node.spec.name, dir: this.o.dir, log: (line) => this.o.log(`extension ${node.spec.name}: ${line}`) });
  }

  /** Creates a node's instance (in a worker when isolated) without attaching it. */
  private async create(node: LiveNode<C>, options = node.spec.options): Promise<ComputeInstance | InputInstance | OutputInstance> {
    const reg = this.registry.get(node.spec.type)!;
    if (!node.isolated) return reg.extension.create(options, this.context(node));
    const inst = await IsolatedNode.start(reg, node.spec.name, options, this.o.dir, this.o.hangMs ?? 1000);
    inst.onFailure = (e) => this.fail(node, e);
    return inst;
  }

  /** Wires a created instance: subscribes to an input's streams, hands an output its streams. */
  private async attach(node: LiveNode<C>, inst: ComputeInstance | InputInstance | OutputInstance): Promise<void> {
    node.instance = inst;
    if (node.ext.kind === 'input') {
      const input = inst as InputInstance;
      await input.start?.();
      for (const [port, stream] of Object.entries(input.outputs)) {
        const sub = stream.subscribe({
          next: (v) => this.setOutput(node, port, v, this.now()),
          error: (e) => this.fail(node, e),
        });
        node.unsubscribe.push(() => sub.unsubscribe());
      }
    } else if (node.ext.kind === 'output') {
      const output = inst as OutputInstance;
      const streams: Record<string, Observable<PortValue>> = {};
      for (const port of Object.keys(node.spec.in)) {
        const s = new Subject<PortValue>();
        node.subjects.set(port, s);
        streams[port] = s.asObservable();
      }
      output.consume(streams);
      await output.start?.();
    }
    node.state = 'running';
  }

  private setOutput(node: LiveNode<C>, port: string, v: PortValue, src: number): void {
    node.values.set(port, { value: v, src });
    const w = this.watchers.get(`${node.spec.name}.${port}`);
    if (w) for (const f of w) f(v, src);
  }

  /** A failed node's outputs: their safe values where declared (chosen values, which never go stale), else none. */
  private safeOutputs(node: LiveNode<C>): void {
    for (const [port, spec] of Object.entries(node.ext.outputs ?? {})) {
      if (spec.safe !== undefined) this.setOutput(node, port, spec.safe, Infinity);
      else node.values.delete(port);
    }
  }

  /** Drives an output node safe: its own safe() (built-in actuators), else its ports' safe values. */
  private outputSafe(node: LiveNode<C>): void {
    if (node.ext.kind !== 'output' || !node.instance) return;
    try {
      const inst = node.instance as OutputInstance;
      if (inst.safe) inst.safe();
      else for (const [port, s] of node.subjects) if (node.ext.inputs?.[port]?.safe !== undefined) s.next(node.ext.inputs[port].safe!);
    } catch (e) {
      this.o.log(`extension ${node.spec.name} (${node.spec.type}): going safe failed: ${(e as Error).message}`);
    }
  }

  /** Every output node to its safe state now (the bridge's watchdog tripped, or a tick failed). */
  goSafe(): void {
    for (const node of this.nodes.values()) if (node.state === 'running') this.outputSafe(node);
  }

  private fail(node: LiveNode<C>, e: unknown): void {
    // A node being stopped (its worker terminated on purpose) is not failing.
    if (node.state === 'stopped' || !this.nodes.has(node.spec.name)) return;
    node.errors++;
    node.lastError = (e as Error)?.message ?? String(e);
    const now = this.now();
    if (now - node.lastReport >= 1000) {
      node.lastReport = now;
      this.o.log(
        `extension ${node.spec.name} (${node.spec.type}) failed: ${node.lastError}; its outputs are at their safe values (${node.errors} errors so far)`,
      );
    }
    this.safeOutputs(node);
    if (node.instance instanceof IsolatedNode && node.instance.dead) {
      // A hung or crashed worker: restart it after a pause that grows while it keeps failing.
      node.state = 'restarting';
      node.retryAt = now + node.backoffMs;
      node.backoffMs = Math.min(node.backoffMs * 2, 30_000);
    } else if (node.ext.kind === 'input') node.state = 'failed';
  }

  /** A reference's value and source time; undefined when it has none or it is stale. Constants never age. */
  read(ref: string | number): { value: PortValue; src: number } | undefined {
    if (typeof ref === 'number') return { value: ref, src: Infinity };
    if (ref.startsWith('inputs.') || ref.startsWith('outputs.')) {
      const value = this.o.external?.(ref);
      return value === undefined ? undefined : { value, src: this.o.externalTime?.(ref) ?? this.now() };
    }
    const dot = ref.indexOf('.');
    const node = this.nodes.get(ref.slice(0, dot));
    const v = node?.values.get(ref.slice(dot + 1));
    if (!node || !v) return undefined;
    return this.now() - v.src > (node.spec.timeoutMs ?? STALE_MS) ? undefined : v;
  }

  /** The latest value of a reference (a node's output port, a bridge value, a constant); undefined when stale. */
  value(ref: string | number): PortValue | undefined {
    return this.read(ref)?.value;
  }

  /** Calls `f` with every new value of a node's output port and its source time; returns the unsubscribe function. */
  watch(ref: string, f: (v: PortValue, src: number) => void): () => void {
    let set = this.watchers.get(ref);
    if (!set) this.watchers.set(ref, (set = new Set()));
    set.add(f);
    return () => set!.delete(f);
  }

  /** One engine tick: compute nodes that are due run in the order they were added; output extensions get their inputs. */
  tick(): void {
    const now = this.now();
    for (const node of this.nodes.values()) {
      if (node.state === 'restarting' && now >= node.retryAt) void this.restart(node);
      if (node.state !== 'running' || !node.instance) continue;
      if (node.ext.kind === 'compute') {
        const period = node.spec.rateHz ? 1000 / node.spec.rateHz : 0;
        if (now - node.lastRun < period) continue;
        const dt = now - node.lastRun;
        node.lastRun = now;
        const inputs: Record<string, PortValue | undefined> = {};
        // What it computes is as old as its oldest source (a node of constants only is fresh).
        let src = Infinity;
        for (const [port, ref] of Object.entries(node.spec.in)) {
          const r = this.read(ref);
          inputs[port] = r?.value;
          if (r) src = Math.min(src, r.src);
        }
        if (src === Infinity) src = now;
        try {
          const out = (node.instance as ComputeInstance).step(inputs, dt);
          for (const [port, v] of Object.entries(out ?? {})) this.setOutput(node, port, v, src);
          node.backoffMs = 1000;
        } catch (e) {
          this.fail(node, e);
        }
      } else if (node.ext.kind === 'output') {
        const values = Object.entries(node.spec.in).map(([port, ref]) => [port, this.value(ref)] as const);
        // A missing or stale input: what it drives goes safe rather than holding the last command.
        if (values.some(([, v]) => v === undefined)) {
          this.outputSafe(node);
          continue;
        }
        for (const [port, v] of values) {
          try {
            node.subjects.get(port)!.next(v!);
          } catch (e) {
            this.fail(node, e);
          }
        }
      }
    }
  }

  private async restart(node: LiveNode<C>): Promise<void> {
    node.state = 'stopped';
    await this.stopNode(node);
    const gen = node.gen;
    try {
      const inst = await this.create(node);
      // Removed, stopped or replaced meanwhile: this worker has no node any more.
      if (node.gen !== gen || this.nodes.get(node.spec.name) !== node) return void (await inst.stop?.());
      await this.attach(node, inst);
      this.o.log(`extension ${node.spec.name} (${node.spec.type}) restarted`);
    } catch (e) {
      if (node.gen !== gen) return;
      this.fail(node, e);
      node.state = 'restarting';
      node.retryAt = this.now() + node.backoffMs;
      node.backoffMs = Math.min(node.backoffMs * 2, 30_000);
    }
  }

  private async stopNode(node: LiveNode<C>): Promise<void> {
    node.gen++;
    this.outputSafe(node);
    for (const u of node.unsubscribe.splice(0)) u();
    for (const s of node.subjects.values()) s.complete();
    node.subjects.clear();
    const inst = node.instance;
    node.instance = null;
    try {
      await inst?.stop?.();
    } catch (e) {
      this.o.log(`extension ${node.spec.name} (${node.spec.type}): stop failed: ${(e as Error).message}`);
    }
  }

  /** Live: new options for a node. Validated first; refused, nothing changes. */
  async reconfigure(name: string, options: Record<string, unknown>): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no extension node "${name}"`);
    const next = { ...node.spec, options: structuredClone(options) };
    this.check(next, name);
    const inst = node.instance as { reconfigure?: (o: Record<string, unknown>) => void } | null;
    if (inst?.reconfigure && node.state === 'running') {
      inst.reconfigure(next.options); // throws: refused, the node runs on as it was
      node.spec = next;
      return;
    }
    // No live reconfiguration in the extension: a new instance with the new options replaces it, once
    // it exists (a create that fails is refused and the old one runs on).
    const gen = node.gen;
    const fresh = await this.create(node, next.options);
    if (node.gen !== gen || this.nodes.get(name) !== node) {
      await fresh.stop?.();
      throw new Error(`extension node ${name} changed while it was being reconfigured`);
    }
    await this.stopNode(node);
    node.spec = next;
    await this.attach(node, fresh);
  }

  /** Live: removes a node. Refused while another node reads it. */
  async remove(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no extension node "${name}"`);
    const readers = [
      ...[...this.nodes.values()]
        .filter((n) => Object.values(n.spec.in).some((r) => typeof r === 'string' && r.startsWith(`${name}.`)))
        .map((r) => r.spec.name),
      ...(this.o.externalReaders?.(name) ?? []),
    ];
    if (readers.length) throw new Error(`extension node ${name} is read by ${readers.join(', ')}: remove those first`);
    await this.stopNode(node);
    node.state = 'stopped';
    this.nodes.delete(name);
  }

  /** The kind of an extension type (input, output, compute), undefined when unknown. */
  kindOf(type: string): Extension['kind'] | undefined {
    return this.registry.get(type)?.extension.kind;
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  /** The running nodes' specs (the objects themselves: read, never change them). */
  specs(): readonly NodeSpec[] {
    return [...this.nodes.values()].map((n) => n.spec);
  }

  status(): NodeStatus[] {
    return [...this.nodes.values()].map((n) => ({
      name: n.spec.name,
      type: n.spec.type,
      kind: n.ext.kind,
      state: n.state,
      isolated: n.isolated,
      errors: n.errors,
      lastError: n.lastError,
      outputs: Object.fromEntries([...n.values].map(([p, v]) => [p, v.value])),
    }));
  }

  /** Stops and forgets every node (output extensions leave what they drive safe in their own stop()); add() starts them again. */
  async stop(): Promise<void> {
    for (const node of [...this.nodes.values()].reverse()) {
      await this.stopNode(node);
      node.state = 'stopped';
    }
    this.nodes.clear();
  }
}
