// The engine: a loaded circuit, a backend running it, and live edits. An edit is checked exactly
// like a document (schema, references, units) against a copy of the circuit; only when it passes is
// it handed to the backend, between two steps. A rejected edit leaves the running network untouched.
import { loadFlat, followPorts, type FlatCircuit } from './circuit/resolve.js';
import { checkCircuit } from './circuit/check.js';
import { schemaIssues } from './circuit/parse.js';
import { CircuitError, IssueList, pointer } from './circuit/errors.js';
import type { Circuit, ProjectionSpec } from './circuit/circuit.js';
import type { Origin } from './circuit/flat.js';
import type { CircuitDoc, PopulationDoc, ProjectionDoc, Quantity } from './circuit/document.js';
import { compile, type CompiledProjection, type Network, type Progress } from './compile/compiler.js';
import {
  canWireInWorkers,
  circuitSynapseBound,
  compileProjectionOffThread,
  defaultWiringWorkers,
  wireCircuitInWorkers,
  WORKERS_WORTH_IT,
} from './compile/wiring-pool.js';
import { CpuBackend, kernelArena, kernelArenaBytes, KERNEL_ARENA_MAX_START } from './backends/cpu.js';
import { wiringMemoryIn, type WasmArena } from './backends/wasm/arena.js';
import { WebGpuBackend } from './backends/webgpu/webgpu.js';
import type { GpuStepping } from './backends/webgpu/stepping.js';
import { acquireGpu, type GpuContext } from './backends/webgpu/gpu.js';
import type { Backend, ResolvedEdit } from './backends/backend.js';
import { modelOf } from './models/registry.js';
import { REF_PATTERN } from './circuit/schema.js';
import { FLOAT32_MAX, checkWeight } from './units.js';
import { converterFor } from './circuit/check-models.js';

/** 'auto' runs networks with fewer synapses than this on the CPU (see Engine.create). */
export const AUTO_GPU_MIN_SYNAPSES = 1_000_000;

export type Edit =
  /** value: a quantity; for a model defined by equations also a distribution or one value per neuron. */
  | { op: 'set_param'; population: string; param: string; value: NonNullable<PopulationDoc['params']>[string] }
  | { op: 'set_weights'; projection: string; value?: Quantity; indices?: number[]; values?: Quantity[] }
  | { op: 'add_population'; name: string; population: PopulationDoc }
  | { op: 'remove_population'; name: string; cascade?: boolean }
  | { op: 'add_projection'; name: string; projection: ProjectionDoc }
  | { op: 'remove_projection'; name: string };

/** An edit validated and partly compiled off the loop's thread (Engine.prepare), applied by Engine.apply. */
export interface PreparedEdit {
  edit: Edit;
  /** What the wiring depended on; apply() wires again when the circuit changed meanwhile. */
  key: string;
  compiled: CompiledProjection;
}

export interface EditResult {
  applied: boolean;
  /** Elements removed along with the edit's target (remove_population with cascade). */
  removed?: string[];
  /** Step index before which the edit took effect. */
  step: number;
}

export function loadCircuit(file: string, text?: string): { flat: FlatCircuit; circuit: Circuit } {
  const flat = loadFlat(file, text);
  return { flat, circuit: checkCircuit(flat) };
}

/** Where an engine runs: the names --backend, a page's ?backend= and the node's parameter take. */
export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface EngineOptions {
  /**
   * 'cpu' (the reference), 'webgpu', or 'auto': WebGPU when an adapter is found, else the CPU with one
   * line (through `log`) saying why. Only Engine.create() can open a GPU; the constructor runs on the CPU.
   */
  backend?: BackendChoice;
  /** Where 'auto' says which backend it took and why (default: stderr). */
  log?: (line: string) => void;
  /** A device to run on (tests share one); otherwise one is acquired. */
  gpu?: GpuContext;
  /** WebGPU: most steps per readback chunk. */
  chunkSteps?: number;
  /** WebGPU: one dispatch per chunk ('resident') or a few per step ('dispatch'); default 'auto' (WebGpuOptions.stepping). */
  gpuStepping?: GpuStepping;
  /** CPU hot loops: WebAssembly (default when built) or the TypeScript models; results are bit-identical. */
  kernels?: 'wasm' | 'js';
  /** Threads for the CPU kernels (1 or 2; default: measured in the first steps on a multi-core machine when a step has enough work). */
  threads?: number;
  dt?: number;
  seed?: number;
  progress?: Progress;
  /**
   * Engine.create(): wire the projections in worker threads even when the circuit is small, so that
   * this thread (a robot's control loop, its transports, its dashboard) stays free: one worker for a
   * small circuit, one core fewer than there are for a big one. Same result.
   */
  wireOffThread?: boolean;
  /**
   * Engine.create(): worker threads that wire the projections (default: one per core, up to 8, when
   * the circuit has a million synapses or more, else none). 0 wires on this thread. Same network for
   * any count: every block of rows, columns and synapses draws from its own stream.
   */
  wiringWorkers?: number;
  /** Projections wired already (by Engine.create in workers), by name. */
  wired?: ReadonlyMap<string, CompiledProjection>;
}

/** A circuit checked and compiled, before a backend runs it (Engine.create opens a GPU in between). */
interface CompiledCircuit {
  circuit: Circuit;
  network: Network;
}

function compileCircuit(flat: FlatCircuit, options: EngineOptions): CompiledCircuit {
  const circuit = checkedCircuit(flat, options);
  return { circuit, network: compile(circuit, { progress: options.progress, wired: options.wired }) };
}

/** The engine over a backend; `new Engine()` runs on the CPU, `Engine.create()` may open a GPU. */
/** An edit checked against the circuit as it was (Engine.validate), for prepare() to wire without checking it again. */
export interface CheckedEdit {
  readonly edit: Edit;
  readonly circuit: Circuit;
  readonly resolved: ResolvedEdit;
}

export class Engine<B extends Backend = CpuBackend> {
  /** What the engine runs on: the backend makeBackend gave, or the CPU reference when none was given. */
  readonly backend: B | CpuBackend;
  readonly network: Network;
  private flatDoc: FlatCircuit;
  circuit: Circuit;
  private wiredIn = 0;

  /** `compiled`: the circuit already checked and compiled from `flat` with these options (Engine.create). */
  constructor(flat: FlatCircuit, options: EngineOptions = {}, makeBackend?: (net: Network) => B, compiled?: CompiledCircuit) {
    this.flatDoc = flat;
    const { circuit, network } = compiled ?? compileCircuit(flat, options);
    this.circuit = circuit;
    this.network = network;
    if (options.backend === 'webgpu' && !makeBackend)
      throw new Error('the webgpu backend is opened by Engine.create() (it is asynchronous)');
    this.backend = makeBackend
      ? makeBackend(this.network)
      : new CpuBackend(this.network, { kernels: options.kernels, threads: options.threads });
  }

  static fromFile(file: string, options: EngineOptions = {}): Engine {
    return new Engine(loadFlat(file), options);
  }

  /**
   * Opens an engine on the chosen backend. 'webgpu' fails when there is no adapter; 'auto' falls back to
   * the CPU and says why in one line.
   */
  static async create(source: string | FlatCircuit, options: EngineOptions = {}): Promise<Engine<Backend>> {
    const flat = typeof source === 'string' ? loadFlat(source) : source;
    const choice = options.backend ?? 'cpu';
    // Checked once: the wiring and the compile below both take this circuit.
    const circuit = checkedCircuit(flat, options);
    let arena: WasmArena | undefined;
    let wired = options.wired;
    let wiredIn = 0;
    if (!wired && canWireInWorkers()) {
      const synapses = circuitSynapseBound(circuit);
      const big = synapses >= WORKERS_WORTH_IT;
      // A process that runs a robot keeps a core for its loop while it wires (a hot swap); a small
      // circuit gets one worker, which starts faster than several.
      const workers =
        options.wiringWorkers ??
        (options.wireOffThread ? (big ? Math.max(1, defaultWiringWorkers() - 1) : 1) : big ? defaultWiringWorkers() : 0);
      if (workers > 0) {
        // Where the CPU may run it ('auto' falls back to it without a hardware GPU), the synapses are
        // wired straight into the kernels' memory: nothing is copied after. A GPU uploads them from
        // there. Not a network that would not fit that memory's 4 GiB: 'auto' may still take a GPU.
        const neurons = circuit.populations.reduce((a, p) => a + p.size, 0);
        const fits = kernelArenaBytes(neurons, synapses) <= KERNEL_ARENA_MAX_START;
        arena = (choice !== 'webgpu' && options.kernels !== 'js' && fits && kernelArena(neurons, synapses)) || undefined;
        const memory = arena ? wiringMemoryIn(arena) : undefined;
        wired = await wireCircuitInWorkers(circuit, { workers, progress: options.progress, memory });
        wiredIn = workers;
      }
    }
    const cpuOptions: EngineOptions = { ...options, backend: 'cpu' };
    const compiled: CompiledCircuit = { circuit, network: compile(circuit, { progress: options.progress, wired }) };
    let engine: Engine<Backend>;
    if (choice === 'cpu') {
      const make = (net: Network) => new CpuBackend(net, { kernels: options.kernels, threads: options.threads, arena });
      engine = new Engine<Backend>(flat, cpuOptions, make, compiled);
    } else {
      // The backend is chosen and attached after the compile (Engine.create may open a GPU).
      const backend = await openBackend(choice, compiled.network, options, arena);
      engine = new Engine<Backend>(flat, cpuOptions, () => backend, compiled);
    }
    engine.wiredIn = wiredIn;
    try {
      await engine.backend.whenReady?.();
    } catch (e) {
      engine.dispose();
      throw e;
    }
    return engine;
  }

  /** The worker threads Engine.create wired the projections in (0: this thread, or wired before). */
  get wiredInWorkers(): number {
    return this.wiredIn;
  }

  /** The CPU backend's kernel threads now (1 on another backend). */
  get kernelThreads(): number {
    return (this.backend as { threadCount?: number }).threadCount ?? 1;
  }

  get flat(): FlatCircuit {
    return this.flatDoc;
  }

  get timeMs(): number {
    return this.backend.stepIndex * this.backend.dt;
  }

  /** Advances n steps; on the GPU the returned promise resolves when their results are on the host. */
  step(n = 1): ReturnType<B['step']> {
    return this.backend.step(n) as ReturnType<B['step']>;
  }

  /** Stops the kernel thread, if any, and frees the network. */
  dispose(): void {
    this.backend.dispose();
  }

  /** Validates and applies an edit between two steps. Throws CircuitError (nothing changed) when invalid. */
  /**
   * Validates and applies an edit between two steps. Throws CircuitError (nothing changed) when invalid.
   * `prepared` (from prepare()) carries a projection already wired off this thread; it is used when the
   * circuit still gives the projection the same inputs, else the projection is wired here.
   */
  apply(edit: Edit, prepared?: PreparedEdit | null): EditResult {
    const { flat, circuit, resolved, removed } = this.resolve(edit);
    if (resolved.kind === 'add_projection' && prepared && prepared.edit === edit && prepared.key === this.wiringKey(resolved.spec, circuit))
      resolved.compiled = prepared.compiled;
    this.backend.apply(resolved, circuit);
    this.flatDoc = flat;
    this.circuit = circuit;
    return { applied: true, removed: removed.length ? removed : undefined, step: this.backend.stepIndex };
  }

  /**
   * Checks an edit against the circuit as it is, as apply() would, and changes nothing. Throws
   * CircuitError. What it returns lets prepare() skip checking the same edit again.
   */
  validate(edit: Edit): CheckedEdit {
    return { edit, ...this.resolve(edit) };
  }

  /**
   * Validates an edit against the circuit as it is (or takes what validate() found for it) and wires
   * what it adds in a worker thread (an add_projection's connectivity is what takes long), while the
   * loop keeps stepping the old network. Null when there is nothing to prepare. Throws CircuitError as
   * apply() would.
   */
  async prepare(edit: Edit, checked?: CheckedEdit): Promise<PreparedEdit | null> {
    if (edit === null || typeof edit !== 'object' || (edit as { op?: unknown }).op !== 'add_projection' || !canWireInWorkers()) return null;
    const { circuit, resolved } = checked?.edit === edit ? checked : this.resolve(edit);
    if (resolved.kind !== 'add_projection') return null;
    const pops = new Map(circuit.populations.map((p) => [p.name, p]));
    const compiled = await compileProjectionOffThread(resolved.spec, pops, this.circuit.seed, this.backend.dt);
    return { edit, key: this.wiringKey(resolved.spec, circuit), compiled };
  }

  /** What a projection's wiring depends on: its spec, its populations, the seed and dt. */
  private wiringKey(spec: ProjectionSpec, circuit: Circuit): string {
    const pop = (name: string) => circuit.populations.find((p) => p.name === name);
    return JSON.stringify([spec, pop(spec.source), pop(spec.target), this.circuit.seed, this.backend.dt]);
  }

  private resolve(edit: Edit): { flat: FlatCircuit; circuit: Circuit; resolved: ResolvedEdit; removed: string[] } {
    if (edit === null || typeof edit !== 'object' || typeof (edit as { op?: unknown }).op !== 'string')
      throw editError('/op', 'an edit is an object with an "op"');
    const draft = draftOf(this.flatDoc);
    const pending = this.draftEdit(edit, draft);
    const flat: FlatCircuit = { ...this.flatDoc, doc: draft.doc, origins: draft.origins };
    const checked = checkCircuit(flat);
    const circuit: Circuit = { ...checked, dt: this.circuit.dt, seed: this.circuit.seed };
    return { flat, circuit, resolved: completeEdit(pending, circuit), removed: draft.removed };
  }

  /** Applies an edit to the draft document; what it does to the network is completed once the draft is checked. */
  private draftEdit(edit: Edit, d: Draft): PendingEdit {
    switch (edit.op) {
      case 'set_param':
        return this.draftSetParam(edit, d);
      case 'set_weights':
        return this.draftSetWeights(edit, d);
      case 'add_population':
        d.pops[edit.name] = draftAddition(d, d.pops, 'population', edit.name, edit.population);
        return { kind: 'add_population', name: edit.name };
      case 'remove_population':
        return this.draftRemovePopulation(edit, d);
      case 'add_projection': {
        d.projs[edit.name] = draftAddition(d, d.projs, 'projection', edit.name, edit.projection);
        // Synapse models run on the CPU's main thread; a backend that split its work across threads cannot take one live.
        const threads = this.kernelThreads;
        if (d.projs[edit.name].synapse?.model !== undefined && threads > 1)
          throw editError(
            '/projection/synapse/model',
            `synapse models need the CPU backend on one thread (it runs on ${threads}); start it with threads: 1`,
          );
        return { kind: 'add_projection', name: edit.name };
      }
      case 'remove_projection': {
        if (!own(d.projs, edit.name, '/name', 'projection')) throw editError('/name', `no projection ${JSON.stringify(edit.name)}`);
        const users = this.usersOf(edit.name, d.doc).filter(([s]) => s === 'modulators');
        if (users.length > 0)
          throw editError('/name', `projection "${edit.name}" is a learning-rate target of ${users.map((u) => u.join(' ')).join(', ')}`);
        delete d.projs[edit.name];
        return { kind: 'remove_projection', name: edit.name };
      }
      default:
        throw editError(
          '/op',
          `unknown edit op "${(edit as { op: string }).op}"; expected set_param, set_weights, add_population, remove_population, add_projection, remove_projection`,
        );
    }
  }

  private draftSetParam(edit: Extract<Edit, { op: 'set_param' }>, d: Draft): PendingEdit {
    const pop = own(d.pops, edit.population, '/population', 'population');
    if (!pop) throw editError(`/population`, `no population ${JSON.stringify(edit.population)}`);
    const model = modelOf(pop.model, this.circuit.models);
    const spec = model ? own(model.params, edit.param, '/param', 'parameter') : undefined;
    if (!model || !spec)
      throw editError(
        '/param',
        `${pop.model} has no parameter ${JSON.stringify(edit.param)}; expected one of: ${Object.keys(model?.params ?? {}).join(', ')}`,
      );
    pop.params = { ...(pop.params ?? {}), [edit.param]: edit.value };
    // A problem with the new value is the edit's, not the file's: put the edit in front.
    const origin = d.origins.get(`populations:${edit.population}`);
    if (origin) {
      const raw: Record<string, unknown> = {};
      let cur = raw;
      for (const part of origin.local.split('/').filter(Boolean)) {
        const next: Record<string, unknown> = {};
        cur[part] = next;
        cur = next;
      }
      cur.params = { [edit.param]: edit.value };
      d.origins.set(`populations:${edit.population}`, {
        layers: [{ file: EDIT_FILE, prefix: '', raw, locate: () => undefined }, ...origin.layers],
        local: origin.local,
      });
    }
    return { kind: 'set_params', population: edit.population, params: {} };
  }

  private draftSetWeights(edit: Extract<Edit, { op: 'set_weights' }>, d: Draft): PendingEdit {
    const proj = own(d.projs, edit.projection, '/projection', 'projection');
    if (!proj) throw editError('/projection', `no projection ${JSON.stringify(edit.projection)}`);
    const dim = proj.synapse.type === 'conductance' ? 'conductance' : 'current';
    const plastic = this.circuit.projections.find((p) => p.name === edit.projection)?.plasticity;
    // A synapse model declares its weight's unit (w : siemens, w : amp, w : 1); its weights may have either sign.
    const model = proj.synapse.model !== undefined ? this.circuit.synapseModels?.[proj.synapse.model] : undefined;
    const conv = (q: Quantity, path: string): number => {
      if (model) {
        const v = converterFor(model.weight.dim)(q);
        if (typeof v === 'string') throw editError(path, v);
        if (Math.abs(v) > FLOAT32_MAX) throw editError(path, `${v} does not fit a float32 weight`);
        return v;
      }
      // The document checker's rule for weights (finite, plausible, within float32).
      const v = checkWeight(q, dim);
      if (typeof v === 'string') throw editError(path, v);
      if (!(v >= 0)) throw editError(path, `weights are magnitudes and must be >= 0 (got ${v})`);
      if (plastic && (v < plastic.wMin || v > plastic.wMax))
        throw editError(path, `${v} is outside the plasticity bounds [${plastic.wMin}, ${plastic.wMax}] of "${edit.projection}"`);
      return v;
    };
    const n = this.backend.synapseCount(edit.projection);
    if (edit.value !== undefined) {
      const v = conv(edit.value, '/value');
      // The document keeps the new constant weight so a saved circuit reproduces it.
      proj.weight = edit.value;
      return { kind: 'set_weights', projection: edit.projection, indices: null, values: new Float32Array(n).fill(v) };
    }
    if (!Array.isArray(edit.indices) || !Array.isArray(edit.values) || edit.indices.length !== edit.values.length)
      throw editError('/indices', 'give either value, or indices and values of equal length');
    const idx = Uint32Array.from(edit.indices);
    edit.indices.forEach((k, i) => {
      if (!Number.isInteger(k) || k < 0 || k >= n) throw editError(`/indices/${i}`, `synapse index ${k} out of range [0, ${n})`);
    });
    const values = Float32Array.from(edit.values.map((q, i) => conv(q, `/values/${i}`)));
    return { kind: 'set_weights', projection: edit.projection, indices: idx, values };
  }

  private draftRemovePopulation(edit: Extract<Edit, { op: 'remove_population' }>, d: Draft): PendingEdit {
    const { doc, removed } = d;
    if (!own(d.pops, edit.name, '/name', 'population')) throw editError('/name', `no population ${JSON.stringify(edit.name)}`);
    const users = this.usersOf(edit.name, doc);
    if (users.length > 0 && !edit.cascade)
      throw editError(
        '/name',
        `population "${edit.name}" is used by ${users.map((u) => u.join(' ')).join(', ')}; remove those first or set cascade: true`,
      );
    // Projections, sources, inputs and outputs of the population go with it; modulators stay and
    // only lose the entries that named it or one of its projections.
    const goneProjections = new Set<string>();
    for (const [section, name] of users) {
      if (section === 'modulators') continue;
      delete doc[section]![name];
      removed.push(`${section}.${name}`);
      if (section === 'projections') goneProjections.add(name);
    }
    const resolves = this.resolver();
    for (const [name, m] of Object.entries(doc.modulators ?? {})) {
      const sources = (m.sources ?? []).filter((s) => !('population' in s) || resolves(s.population) !== edit.name);
      const targets = (m.targets ?? []).filter(
        (t) =>
          (t.population === undefined || resolves(t.population) !== edit.name) &&
          (t.projection === undefined || !goneProjections.has(t.projection)),
      );
      if (sources.length !== (m.sources ?? []).length || targets.length !== (m.targets ?? []).length) {
        doc.modulators![name] = { ...m, sources, targets };
        removed.push(
          `modulators.${name} (${(m.sources ?? []).length - sources.length + (m.targets ?? []).length - targets.length} entries)`,
        );
      }
    }
    delete d.pops[edit.name];
    return { kind: 'remove_population', name: edit.name };
  }

  /** Resolves module ports ("left.out") to the population they expose. */
  private resolver(): (ref: string) => string {
    const aliases = this.flatDoc.aliases;
    return (ref) => followPorts(aliases, ref);
  }

  /** Elements referring to a population or projection by name. */
  private usersOf(name: string, doc: CircuitDoc): [UserSection, string][] {
    const resolve = this.resolver();
    const is = (ref: string | undefined): boolean => ref !== undefined && resolve(ref) === name;
    const users: [UserSection, string][] = [];
    for (const [n, p] of Object.entries(doc.projections ?? {})) if (is(p.source) || is(p.target)) users.push(['projections', n]);
    for (const [n, s] of Object.entries(doc.sources ?? {})) if (is(s.target)) users.push(['sources', n]);
    for (const [n, s] of Object.entries(doc.inputs ?? {})) if (is(s.target)) users.push(['inputs', n]);
    for (const [n, s] of Object.entries(doc.outputs ?? {})) if (is(s.source)) users.push(['outputs', n]);
    for (const [n, m] of Object.entries(doc.modulators ?? {})) {
      const refs = [
        ...(m.sources ?? []).map((s) => ('population' in s ? s.population : undefined)),
        ...(m.targets ?? []).map((t) => t.population ?? t.projection),
      ];
      if (refs.some(is)) users.push(['modulators', n]);
    }
    return users;
  }
}

/** Standard error in Node; the console in a page, which has no process. */
const defaultLog = (line: string): void => {
  const stderr = globalThis.process?.stderr;
  if (stderr) stderr.write(line + '\n');
  else console.warn(line);
};

/**
 * The backend 'auto' or 'webgpu' runs a compiled network on: a GPU, or (auto, and said in one line) the
 * CPU when there is none worth taking. 'webgpu' throws instead of falling back. `arena`: the
 * WebAssembly memory the network was wired into, for the CPU backend to adopt if it falls back to it.
 */
async function openBackend(choice: 'auto' | 'webgpu', net: Network, options: EngineOptions, arena?: WasmArena): Promise<Backend> {
  const fallback = (why: string): Backend => {
    (options.log ?? defaultLog)(`flux: running on the CPU backend: ${why}`);
    return new CpuBackend(net, { kernels: options.kernels, threads: options.threads, arena });
  };
  // Below this size a GPU loses to the CPU: every step costs a fixed round of dispatches and, for a
  // robot, a read-back. Measured on an H100: COBA 4000 (0.32M synapses) ran at 0.77-0.98x the CPU
  // backend's speed, the Braitenberg robot loop at 0.04x; 1M synapses and up ran faster on the GPU.
  if (choice === 'auto' && !options.gpu && net.synapses < AUTO_GPU_MIN_SYNAPSES)
    return fallback(
      `a small network (${net.synapses} synapses; 'auto' takes a GPU from ${AUTO_GPU_MIN_SYNAPSES / 1e6}M, where it starts to beat the CPU)`,
    );
  let ctx = options.gpu;
  if (!ctx) {
    const got = await acquireGpu();
    if (!got.ok) {
      if (choice === 'webgpu') throw new Error(`no WebGPU adapter: ${got.reason}`);
      return fallback(`no WebGPU adapter (${got.reason})`);
    }
    ctx = got.context;
    // A software adapter computes correctly but slower than the CPU backend: 'auto' does not take it.
    if (choice === 'auto' && ctx.software) {
      ctx.device.destroy();
      return fallback(`the only WebGPU adapter is a software one (${ctx.description})`);
    }
  }
  const gpu = ctx;
  try {
    return await WebGpuBackend.create(net, gpu, {
      chunkSteps: options.chunkSteps,
      stepping: options.gpuStepping,
      ownsDevice: !options.gpu,
    });
  } catch (e) {
    // A device opened here is ours to close (a caller's device stays the caller's).
    if (!options.gpu) gpu.device.destroy();
    if (choice === 'webgpu') throw e;
    return fallback(`the WebGPU backend could not open the circuit on ${gpu.description}: ${(e as Error).message}`);
  }
}

/** The checked circuit with the options' dt and seed in place of the document's. */
function checkedCircuit(flat: FlatCircuit, options: Pick<EngineOptions, 'dt' | 'seed'>): Circuit {
  const checked = checkCircuit(flat);
  return { ...checked, dt: options.dt ?? checked.dt, seed: options.seed ?? checked.seed };
}

/** Where a live edit's problems are reported (it has no file). */
const EDIT_FILE = '<live edit>';

/** Sections whose elements can name a population or projection. */
type UserSection = 'projections' | 'sources' | 'inputs' | 'outputs' | 'modulators';

/** A copy of the document an edit changes; checked like a document before anything runs it. */
interface Draft {
  doc: CircuitDoc;
  origins: Map<string, Origin>;
  issues: IssueList;
  /** Elements removed along with the edit's target. */
  removed: string[];
  pops: Record<string, PopulationDoc>;
  projs: Record<string, ProjectionDoc>;
}

function draftOf(flat: FlatCircuit): Draft {
  const doc = structuredClone(flat.doc);
  const pops = (doc.populations ??= {});
  const projs = (doc.projections ??= {});
  return { doc, origins: new Map(flat.origins), issues: new IssueList(EDIT_FILE), removed: [], pops, projs };
}

/** An element the edit adds is located in the edit itself. */
function addEditLayer(d: Draft, section: string, name: string, raw: unknown): void {
  d.origins.set(`${section}:${name}`, {
    layers: [{ file: EDIT_FILE, prefix: pointer(section, name), raw, locate: () => undefined }],
    local: '',
  });
}

/**
 * An added population or projection, once its name is free and its document passes the schema (as a
 * file's would), recorded as coming from the edit; the caller puts the returned document in place.
 */
function draftAddition<T>(d: Draft, existing: Record<string, T>, what: 'population' | 'projection', name: string, doc: T): T {
  checkName(name);
  if (Object.hasOwn(existing, name)) throw editError('/name', `${what} "${name}" already exists`);
  schemaIssues(doc, d.issues, `/${what}`, `#/properties/${what}s/additionalProperties`);
  if (!d.issues.ok) throw new CircuitError(d.issues.issues);
  addEditLayer(d, `${what}s`, name, doc);
  return doc;
}

/** An edit before the check: added elements are named, their specs come from the checked circuit. */
type PendingEdit =
  Exclude<ResolvedEdit, { kind: 'add_population' | 'add_projection' }> | { kind: 'add_population' | 'add_projection'; name: string };

function completeEdit(edit: PendingEdit, circuit: Circuit): ResolvedEdit {
  switch (edit.kind) {
    case 'set_params':
      return { ...edit, params: circuit.populations.find((p) => p.name === edit.population)!.params };
    case 'add_population':
      return { kind: 'add_population', spec: circuit.populations.find((p) => p.name === edit.name)! };
    case 'add_projection':
      return { kind: 'add_projection', spec: circuit.projections.find((p) => p.name === edit.name)! };
    default:
      return edit;
  }
}

/** Names every object inherits: as keys of a plain object they reach its prototype, never an element. */
const INHERITED = new Set(['__proto__', 'constructor', 'prototype']);

/** Added elements take the names a document could give them (letters, digits, _; dots for modules). */
function checkName(name: unknown): void {
  if (typeof name !== 'string' || !new RegExp(REF_PATTERN).test(name))
    throw editError('/name', `invalid name ${JSON.stringify(name)}: use letters, digits and _, not starting with a digit`);
  const part = name.split('.').find((p) => INHERITED.has(p));
  if (part !== undefined) throw editError('/name', `invalid name ${JSON.stringify(name)}: "${part}" is reserved`);
}

/**
 * An edit's name looked up as an own property only: `toString` or `__proto__` must not find what every
 * object inherits. A name that is not a string is refused (a crafted object could pretend to be one).
 */
function own<T>(table: Record<string, T>, name: unknown, path: string, what: string): T | undefined {
  if (typeof name !== 'string') throw editError(path, `the ${what} name must be a string (got ${name === null ? 'null' : typeof name})`);
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

function editError(path: string, message: string): CircuitError {
  return new CircuitError([{ file: EDIT_FILE, path, message }]);
}
