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
import { Subject, type Observable } from 'rxjs';
import type { ComputeInstance, Extension, ExtensionContext, InputInstance, OutputInstance, PortValue } from './api.js';
import { IsolatedNode } from './isolate.js';
import type { ExtensionRegistry } from './registry.js';

export interface NodeSpec {
  name: string;
  type: string;
  options: Record<string, unknown>;
  /** Input port -> reference or constant. */
  in: Record<string, string | number>;
  /** Compute nodes: calls per second; default every tick. */
  rateHz?: number;
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

export interface HostOptions {
  dir: string;
  log: (line: string) => void;
  /** Values outside the node graph: `inputs.<name>` and `outputs.<name>.<path>`. */
  external?: (ref: string) => PortValue | undefined;
  /** Extra context for built-in I/O extensions (the bridge's transport and devices). */
  context?: Record<string, unknown>;
  /** Milliseconds an isolated node may take to answer before it is terminated (default 1000). */
  hangMs?: number;
  now?: () => number;
}

interface LiveNode {
  spec: NodeSpec;
  ext: Extension;
  isolated: boolean;
  instance: ComputeInstance | InputInstance | OutputInstance | null;
  values: Map<string, { value: PortValue; at: number }>;
  subjects: Map<string, Subject<PortValue>>;
  unsubscribe: (() => void)[];
  state: NodeStatus['state'];
  errors: number;
  lastError: string | null;
  lastReport: number;
  lastRun: number;
  retryAt: number;
  backoffMs: number;
}

export class ExtensionHost {
  private readonly nodes = new Map<string, LiveNode>();
  private readonly now: () => number;
  /** Observers of node output ports (bridge inputs bound with `from:`). */
  private readonly watchers = new Map<string, Set<(v: PortValue) => void>>();

  constructor(
    private readonly registry: ExtensionRegistry,
    private readonly o: HostOptions,
  ) {
    this.now = o.now ?? (() => performance.now());
  }

  /** Checks a spec against the registry and the graph; throws naming the node and what is wrong. */
  check(spec: NodeSpec, replacing?: string): void {
    const reg = this.registry.get(spec.type);
    if (!reg) throw new Error(`extension node ${spec.name}: no extension type "${spec.type}" (known: ${this.registry.names().join(', ')})`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.name) || spec.name === 'inputs' || spec.name === 'outputs') throw new Error(`extension node "${spec.name}": not a usable name (inputs and outputs are reserved)`);
    if (this.nodes.has(spec.name) && spec.name !== replacing) throw new Error(`extension node ${spec.name} exists already`);
    const problems = this.registry.validate(spec.type, spec.options, `/extensions/nodes/${spec.name}/options`);
    if (problems.length) throw new Error(`extension node ${spec.name} (${spec.type}): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    const ext = reg.extension;
    for (const [port, ref] of Object.entries(spec.in)) {
      if (ext.kind === 'input') throw new Error(`extension node ${spec.name}: an input extension takes no inputs (got ${port})`);
      if (!ext.dynamicInputs && ext.inputs && !(port in ext.inputs)) throw new Error(`extension node ${spec.name}: ${spec.type} has no input port "${port}" (it has ${Object.keys(ext.inputs).join(', ') || 'none'})`);
      if (typeof ref === 'string' && !ref.startsWith('inputs.') && !ref.startsWith('outputs.')) {
        const [n, p] = ref.split('.');
        const src = n === spec.name ? undefined : this.nodes.get(n);
        if (!src) throw new Error(`extension node ${spec.name}: input ${port} reads ${ref}, but there is no node "${n}"${n === spec.name ? ' other than itself' : ''}`);
        if (src.ext.outputs && !(p in src.ext.outputs)) throw new Error(`extension node ${spec.name}: input ${port} reads ${ref}, but ${n} (${src.spec.type}) has no output port "${p}"`);
      }
    }
  }

  /** Adds and starts a node (live: between ticks). Nodes it reads must exist already. */
  async add(spec: NodeSpec): Promise<void> {
    this.check(spec);
    const reg = this.registry.get(spec.type)!;
    const node: LiveNode = {
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
    };
    this.nodes.set(spec.name, node);
    try {
      await this.startNode(node);
    } catch (e) {
      this.nodes.delete(spec.name);
      throw new Error(`extension node ${spec.name} (${spec.type}) failed to start: ${(e as Error).message}`);
    }
  }

  private context(node: LiveNode): ExtensionContext {
    return {
      name: node.spec.name,
      dir: this.o.dir,
      log: (line) => this.o.log(`extension ${node.spec.name}: ${line}`),
      ...(this.o.context ?? {}),
    } as ExtensionContext;
  }

  private async startNode(node: LiveNode): Promise<void> {
    const reg = this.registry.get(node.spec.type)!;
    const options = node.spec.options;
    const inst = node.isolated ? await IsolatedNode.start(reg, node.spec.name, options, this.o.dir, this.o.hangMs ?? 1000) : reg.extension.create(options as never, this.context(node));
    node.instance = inst;
    if (node.ext.kind === 'input') {
      const input = inst as InputInstance;
      await input.start?.();
      for (const [port, stream] of Object.entries(input.outputs)) {
        const sub = stream.subscribe({
          next: (v) => this.setOutput(node, port, v),
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

  private setOutput(node: LiveNode, port: string, v: PortValue): void {
    node.values.set(port, { value: v, at: this.now() });
    const w = this.watchers.get(`${node.spec.name}.${port}`);
    if (w) for (const f of w) f(v);
  }

  private safeOutputs(node: LiveNode): void {
    for (const [port, spec] of Object.entries(node.ext.outputs ?? {})) {
      if (spec.safe !== undefined) this.setOutput(node, port, spec.safe);
      else node.values.delete(port);
    }
  }

  private fail(node: LiveNode, e: unknown): void {
    node.errors++;
    node.lastError = (e as Error)?.message ?? String(e);
    const now = this.now();
    if (now - node.lastReport >= 1000) {
      node.lastReport = now;
      this.o.log(`extension ${node.spec.name} (${node.spec.type}) failed: ${node.lastError}; its outputs are at their safe values (${node.errors} errors so far)`);
    }
    this.safeOutputs(node);
    if (node.instance instanceof IsolatedNode && node.instance.dead) {
      // A hung or crashed worker: restart it after a pause that grows while it keeps failing.
      node.state = 'restarting';
      node.retryAt = now + node.backoffMs;
      node.backoffMs = Math.min(node.backoffMs * 2, 30_000);
    } else if (node.ext.kind === 'input') node.state = 'failed';
  }

  /** The latest value of a reference (a node's output port, a bridge value, a constant). */
  value(ref: string | number): PortValue | undefined {
    if (typeof ref === 'number') return ref;
    if (ref.startsWith('inputs.') || ref.startsWith('outputs.')) return this.o.external?.(ref);
    const dot = ref.indexOf('.');
    return this.nodes.get(ref.slice(0, dot))?.values.get(ref.slice(dot + 1))?.value;
  }

  /** Age (ms) of a node output's value, Infinity when it has none. */
  age(ref: string): number {
    const dot = ref.indexOf('.');
    const v = this.nodes.get(ref.slice(0, dot))?.values.get(ref.slice(dot + 1));
    return v ? this.now() - v.at : Infinity;
  }

  /** Calls `f` with every new value of a node's output port; returns the unsubscribe function. */
  watch(ref: string, f: (v: PortValue) => void): () => void {
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
        for (const [port, ref] of Object.entries(node.spec.in)) inputs[port] = this.value(ref);
        try {
          const out = (node.instance as ComputeInstance).step(inputs, dt);
          for (const [port, v] of Object.entries(out ?? {})) this.setOutput(node, port, v);
          node.backoffMs = 1000;
        } catch (e) {
          this.fail(node, e);
        }
      } else if (node.ext.kind === 'output') {
        for (const [port, ref] of Object.entries(node.spec.in)) {
          const v = this.value(ref);
          if (v === undefined) continue;
          try {
            node.subjects.get(port)!.next(v);
          } catch (e) {
            this.fail(node, e);
          }
        }
      }
    }
  }

  private async restart(node: LiveNode): Promise<void> {
    node.state = 'stopped';
    await this.stopNode(node);
    try {
      await this.startNode(node);
      this.o.log(`extension ${node.spec.name} (${node.spec.type}) restarted`);
    } catch (e) {
      node.state = 'restarting';
      this.fail(node, e);
      node.state = 'restarting';
    }
  }

  private async stopNode(node: LiveNode): Promise<void> {
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
      inst.reconfigure(next.options);
      node.spec = next;
      return;
    }
    // No live reconfiguration in the extension: recreate it with the new options.
    await this.stopNode(node);
    node.spec = next;
    await this.startNode(node);
  }

  /** Live: removes a node. Refused while another node reads it. */
  async remove(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no extension node "${name}"`);
    const readers = [...this.nodes.values()].filter((n) => Object.values(n.spec.in).some((r) => typeof r === 'string' && r.startsWith(`${name}.`)));
    if (readers.length) throw new Error(`extension node ${name} is read by ${readers.map((r) => r.spec.name).join(', ')}: remove those first`);
    await this.stopNode(node);
    node.state = 'stopped';
    this.nodes.delete(name);
  }

  has(name: string): boolean {
    return this.nodes.has(name);
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
