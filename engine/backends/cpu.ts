// The CPU reference backend. Every other backend is checked against it.
//
// Order of work within one step n (time t = n*dt to t+dt), the same on every backend:
//   1. external current: constant and step sources, current inputs -> iext; Poisson sources add
//      their events to the synaptic channels;
//   2. modulator effects (gain, threshold, excitability) from the levels at the start of the step;
//   3. neuron update, threshold and reset (the model's step function); spikes are stamped t = n*dt;
//   4. spikes are recorded;
//   5. spikes propagate with the weights as they were before this step's plasticity: delay d steps
//      lands in the ring slot drained at the end of step n+d (d = 0: felt from step n+1 on);
//   6. plasticity (traces, STDP, eligibility, modulated weight change);
//   7. the ring slot of step n is added into the synaptic channels;
//   8. modulator levels advance (decay towards their drive, plus this step's spikes);
//   9. outputs update and state probes sample (their time is t+dt).
import type { Circuit, PopulationSpec, ModulatorSpec, OutputSpec, SourceSpec, InputSpec } from '../circuit/circuit.js';
import {
  compilePopulation,
  compileProjection,
  perNeuronParams,
  synapseBytes,
  type CompiledPopulation,
  type CompiledProjection,
  type Network,
} from '../compile/compiler.js';
import { takesRateInputs, type NeuronModel, type PopulationState } from '../models/model.js';
import { RATE_INPUT_STATE } from '../equations/model-definition.js';
import { Rng } from '../rng.js';
import { Recorder, type Recording, type RecordingConfig } from '../recorder.js';
import { createPlasticState, plasticityStep, type PlasticState } from '../plasticity/stdp.js';
import { integratesConductance, type Backend, type ResolvedEdit } from './backend.js';
import { checkInput, modulatorDrive, mean } from './inputs.js';
import { WasmArena } from './wasm/arena.js';
import { instantiateKernels, shareExpTable, kernelModule, type KernelExports } from './wasm/kernels.js';
import { KernelThread } from './wasm/threads.js';
import { ThreadChoice, type ThreadChoiceMade } from './thread-choice.js';
import { boundCall, boundCallWithLast } from './wasm/bound-call.js';
import { MAX_ARGS, MAX_POPULATIONS, countSlot } from './wasm/protocol.js';
import { runShare, type Barrier } from './wasm/lockstep.js';
import type { LockstepPlan, PlannedDrain, PlannedPropagation, ShareWork } from './wasm/protocol.js';
import {
  createSynapseRuntime,
  neuronView,
  synapseFunctions,
  synapseKernels,
  synapseLinear,
  type SynapseContext,
  type SynapseFunctions,
  type SynapseRuntime,
} from './synapses.js';
import type { GeneratedModel } from '../models/generated.js';
import { definedModel } from '../models/family.js';
import type { ModelDefinition } from '../equations/model-definition.js';
import { optimize } from '../equations/optimize.js';
import { ALL_INPUTS, INPUT_CURRENT_SYNAPSES, INPUT_EXTERNAL_CURRENT } from '../equations/codegen-js.js';
import { WasmStep, type StepExports } from '../equations/codegen-wasm.js';
import { host } from '../platform/host.js';

export interface CpuOptions {
  /**
   * 'wasm' (default when kernels.wasm is built): neuron updates, propagation and delay rings run as
   * WebAssembly over state kept in its memory, bit-identical to 'js', the plain TypeScript models.
   */
  kernels?: 'wasm' | 'js';
  /**
   * Threads running the WebAssembly kernels: 1, or 2 (a kernel thread takes the upper half of every
   * large population and the synapses onto it; results stay bit-identical). Default: measured on this
   * machine (ThreadChoice: the first few hundred steps alternate between two threads and one, and the
   * faster stays) when it has two cores and enough work per step to try (see MIN_THREADED_WORK).
   */
  threads?: number;
  /** The clock the default thread choice times its blocks with (ms; tests give a manual one). */
  now?: () => number;
  /** The WebAssembly memory the network was wired into (kernelArena; Engine.create): its synapses are adopted, not copied. */
  arena?: WasmArena;
}

/**
 * The WebAssembly memory for a network of about this size, or null when the kernels are not built.
 * Made before wiring, so that the wiring workers write the synapses where the kernels read them.
 */
export function kernelArena(neurons: number, synapses: number): WasmArena | null {
  if (!kernelModule()) return null;
  // Address space is reserved, not memory used: pages count once they are written.
  return new WasmArena(Math.min(kernelArenaBytes(neurons, synapses), KERNEL_ARENA_MAX_START));
}

/** The memory a network of this size is expected to take in the kernels' arena (an upper estimate). */
export const kernelArenaBytes = (neurons: number, synapses: number): number => neurons * 120 + synapses * 10 + (1 << 20);

/** The most an arena starts with (WebAssembly memory ends at 4 GiB; it grows from there when needed). */
export const KERNEL_ARENA_MAX_START = 3 * 2 ** 30;

/**
 * Work per step, in LIF-Euler neuron updates, below which a second thread is not even tried (its two
 * meetings a step cost about 1 us in lockstep batches; COBA with 2000 Euler neurons stepped in 4.0 us
 * on two threads against 4.6 on one, on a 2-core Xeon VM). Above it the default measures both
 * (ThreadChoice): whether two threads pay off depends on the CPU (COBA with 4000 exponential-Euler
 * neurons gained 10-30% on one machine and lost on a 2-core EPYC VM).
 */
export const MIN_THREADED_WORK = 2000;

/** Relative cost of one neuron update per kernel (measured: Euler LIF ~2.2 ns on these machines). */
function updateCost(model: string, integration: string, conductance: boolean): number {
  if (model === 'lif') return integration === 'euler' ? 1 : conductance ? 3 : 1.2;
  if (model === 'adex') return 3.5;
  if (model === 'izhikevich') return 1.2;
  return 0;
}
/** The most steps in one lockstep batch: the meeting counter (Int32, 2 per meeting, up to 2 meetings a step) stays far from overflow. */
const MAX_BATCH_STEPS = 1 << 20;
/** Populations smaller than this stay on the main thread. */
const MIN_SPLIT = 256;
const KERNEL_NAMES = ['propagate', 'propagateDelayed', 'drain'];

type Channel = 'ie' | 'ii' | 'ge' | 'gi';
const CHANNELS: Channel[] = ['ie', 'ii', 'ge', 'gi'];

export function channelOf(synapse: { type: 'current' | 'conductance'; receptor: 'excitatory' | 'inhibitory' }): Channel {
  if (synapse.type === 'current') return synapse.receptor === 'excitatory' ? 'ie' : 'ii';
  return synapse.receptor === 'excitatory' ? 'ge' : 'gi';
}

interface PopRuntime {
  spec: PopulationSpec;
  model: NeuronModel;
  state: PopulationState;
  spikes: Uint32Array;
  nSpikes: number;
  /** Delay rings per channel: ringLen slots of size neurons. */
  rings: Partial<Record<Channel, Float64Array>>;
  ringLen: number;
  sources: SourceSpec[];
  inputs: InputSpec[];
  sourceRng: Rng;
  /** With a kernel thread: neurons [splitAt, n) are updated there (0: not split). */
  splitAt: number;
  /** The kernel thread's spikes (indices relative to splitAt), merged after each update; in lockstep batches, of even steps. */
  spikesHi: Uint32Array | null;
  /** In lockstep batches: the kernel thread's spikes of odd steps, and this thread's (lower part's) spikes by step parity. */
  spikesHiOdd: Uint32Array | null;
  loSpikes: [Uint32Array, Uint32Array] | null;
  /** In the arena: the state of the population's Rng while its generated module draws (codegen-wasm StepRng). */
  rngWords: Int32Array | null;
  /** Its generated module's functions and arguments, rebuilt when the constants (or t, when read) change. */
  gargs: GeneratedArgs | null;
  /** Parameters and modulation the arguments were built for. */
  constants: ConstantsKey | null;
  /** This step's upper part runs on the kernel thread. */
  threaded: boolean;
}

interface ProjRuntime {
  c: CompiledProjection;
  /** A synapse model's arrays and generated code (null: a built-in synapse). */
  syn: SynapseRuntime | null;
  src: PopRuntime;
  tgt: PopRuntime;
  channel: Channel;
  plastic: PlasticState | null;
  /** With a split target: split[i] is the first synapse of row i onto the kernel thread's half. */
  split: Uint32Array | null;
  /** A synapse model's context and functions, kept while no edit, new variable or memory growth changed what they hold. */
  synCall: { ctx: SynapseContext; fns: SynapseFunctions; epoch: number; generation: number; wasm: boolean; why: string } | null;
}

/** What a population's generated arguments were computed for (CpuBackend.constantsOf). */
interface ConstantsKey {
  params: Record<string, number>;
  gain: number;
  shift: number;
  excitability: number;
}

/** A population's generated module, here and (split populations) on the kernel thread. */
interface GeneratedKernel {
  key: string;
  def: ModelDefinition;
  w: WasmStep;
  exports: StepExports;
  /** Its step on the kernel thread (KernelThread.load), or null. */
  threadFn: string | null;
}

/** A generated module's functions with their arguments bound (bound-call.ts). */
interface BoundPhases {
  step: () => number;
  update?: () => number;
  threshold?: () => number;
  reset?: (count: number) => number;
}

function bindPhases(e: StepExports, args: readonly number[]): BoundPhases {
  return {
    step: boundCall(e.step, args),
    update: e.update && boundCall(e.update, args),
    threshold: e.threshold && boundCall(e.threshold, args),
    reset: e.reset && boundCallWithLast(e.reset, args),
  };
}

interface GeneratedArgs {
  key: ConstantsKey;
  def: ModelDefinition;
  phased: boolean;
  readsTime: boolean;
  /** The module draws random numbers (its calls then carry the Rng's state in and out). */
  draws: boolean;
  time: number;
  /** The module's functions bound to the whole population's arguments (reset takes the spike count). */
  whole: BoundPhases;
  /** Split between the threads: neurons [0, splitAt) here and [splitAt, n) on the thread (null and empty when not). */
  lo: (() => number) | null;
  hi: number[];
  threadFn: string | null;
}

/** The shares of lockstep batches (lockstep.ts) while what they were built from holds. */
interface Lockstep {
  /** The structure's epoch and the split populations' generated arguments they were built for. */
  epoch: number;
  args: (GeneratedArgs | null)[];
  /** This thread's share, and the lower part's update of each split population (null: the population runs whole here). */
  main: ShareWork;
  lo: ((() => number) | null)[];
}

interface ModRuntime {
  spec: ModulatorSpec;
  level: number;
}

interface OutRuntime {
  spec: OutputSpec;
  pop: PopRuntime;
  rate: number;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  /** Which implementation of the hot loops runs. */
  readonly kernels: 'wasm' | 'js';
  private readonly arena: WasmArena | null = null;
  private readonly k: KernelExports | null = null;
  private thread: KernelThread | null = null;
  /** Whether new populations are split between the threads. */
  private splitting = false;
  /** Any population split now (else the step runs on this thread alone). */
  private anySplit = false;
  /** Threads running kernels (1, or 2 with a kernel thread). */
  threadCount = 1;
  /** Whether the split populations run on the kernel thread now (the default choice times both). */
  private useThread = true;
  /** The default thread choice while it measures (null once made, or when threads were given). */
  private choice: ThreadChoice | null = null;
  private choiceMade: ThreadChoiceMade | null = null;
  private readonly now: () => number;
  /** The block of steps being timed: its threads, the steps left in it, its time so far (ms). */
  private block = { threads: 2 as 1 | 2, left: 0, ms: 0 };
  private kernelSetup: [string, number[]][] = [];
  /** WebAssembly kernels generated for populations of models defined by equations, by population. */
  private readonly generated = new WeakMap<PopRuntime, GeneratedKernel>();
  readonly dt: number;
  stepIndex = 0;
  private circuit: Circuit;
  private readonly seed: number;
  private readonly pops = new Map<string, PopRuntime>();
  /** The same populations in an array: the step loop iterates it without allocating iterators. */
  private popList: PopRuntime[] = [];
  private projs: ProjRuntime[] = [];
  private mods: ModRuntime[] = [];
  /** Whether some projection's synapse model has summed variables (externalInput then checks its targets). */
  private anySummed = false;
  /** Whether some projection has a synapse model: steps then follow Brian2's order (synapseModelStep). */
  private anySynapseModel = false;
  /** Moves with every edit, added variable and new delay ring: what a cached synapse context holds may have changed. */
  private epoch = 0;
  private outs: OutRuntime[] = [];
  private readonly inputValues = new Map<string, number | Float64Array>();
  private recorder: Recorder | null = null;
  private lockstepPlan: Lockstep | null = null;
  /** Steps run so far in lockstep batches (the rest ran as batches of calls, or on one thread). */
  lockstepSteps = 0;
  /** Set when a lockstep batch failed: the backend refuses to step on. */
  private faulted: string | null = null;

  constructor(net: Network, options: CpuOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    if (options.kernels !== 'js') {
      const arena = options.arena ?? kernelArena(net.neurons, net.synapses) ?? new WasmArena();
      const k = instantiateKernels(arena.memory);
      if (k) {
        this.arena = arena;
        this.k = k;
        this.kernelSetup = shareExpTable(k, arena);
      } else if (options.kernels === 'wasm') {
        throw new Error('kernels.wasm is not built: run `npm run build` (or use kernels: "js")');
      }
    }
    this.kernels = this.k ? 'wasm' : 'js';
    if (options.threads !== undefined && options.threads !== 1 && options.threads !== 2)
      throw new Error(`threads must be 1 or 2 (got ${options.threads})`);
    if (options.threads === 2 && !this.k) throw new Error('threads: 2 needs the WebAssembly kernels (npm run build, and kernels: "wasm")');
    const conductanceTargets = new Set(net.projections.filter((p) => p.spec.synapse.type === 'conductance').map((p) => p.spec.target));
    const work = net.populations.reduce(
      (a, p) => a + p.spec.size * updateCost(p.spec.model, p.spec.integration, conductanceTargets.has(p.spec.name)),
      0,
    );
    // Synapse models run on the main thread (their WebAssembly is not split): no kernel thread then.
    const modelled = net.projections.some((p) => p.spec.synapse.model !== undefined);
    if (modelled && options.threads === 2)
      throw new Error('threads: 2 is not available with synapse models defined by equations (they run on one thread)');
    const noThread = host().cannotStart('kernel-thread');
    if (options.threads === 2 && noThread !== null) throw new Error(`threads: 2: ${noThread}`);
    this.splitting =
      !modelled &&
      (options.threads === 2 ||
        (options.threads === undefined && this.k !== null && host().cores() >= 2 && noThread === null && work >= MIN_THREADED_WORK));
    this.dt = net.dt;
    this.circuit = net.circuit;
    this.seed = net.circuit.seed;
    for (const p of net.populations) this.addPopulation(p);
    // By default a kernel thread is started only when it has work: some population was split.
    if (this.splitting && (options.threads === 2 || this.popList.some((p) => p.splitAt > 0))) {
      this.thread = new KernelThread(kernelModule()!, this.arena!.memory, KERNEL_NAMES, this.kernelSetup);
      this.threadCount = 2;
      if (options.threads === undefined) this.choice = new ThreadChoice();
    } else this.splitting = false;
    for (const p of net.projections) this.addProjection(p);
    this.rebuildLinks(net.circuit);
  }

  // ----- construction -----

  private addPopulation(cp: CompiledPopulation): void {
    const n = cp.spec.size;
    // No prototype: keys are the model's names, which may be any identifier (constructor, toString).
    const vars: Record<string, Float64Array> = Object.create(null) as Record<string, Float64Array>;
    for (const v of Object.keys(cp.model.state)) vars[v] = cp.init[v];
    // Parameters that vary per neuron live beside the state, where generated step functions read them.
    for (const k of Object.keys(cp.spec.perNeuron ?? {})) vars[k] = cp.init[k];
    const state: PopulationState = {
      n,
      vars,
      ie: cp.init.ie,
      ii: cp.init.ii,
      ge: cp.init.ge,
      gi: cp.init.gi,
      iext: new Float64Array(n),
      refrac: new Int32Array(n),
      time: 0,
      mod: { gain: 1, thresholdShift: 0, excitability: 0 },
      rng: Rng.forName(this.seed, `spikes:${cp.spec.name}`),
      conductance: false,
      integration: cp.spec.integration,
      inputs: ALL_INPUTS,
    };
    this.pops.set(cp.spec.name, {
      spec: cp.spec,
      model: cp.model,
      state,
      spikes: new Uint32Array(n),
      nSpikes: 0,
      rings: {},
      ringLen: 1,
      sources: [],
      inputs: [],
      sourceRng: Rng.forName(this.seed, `sources:${cp.spec.name}`),
      constants: null,
      splitAt: 0,
      spikesHi: null,
      spikesHiOdd: null,
      loSpikes: null,
      rngWords: null,
      gargs: null,
      threaded: false,
    });
    this.popList = [...this.pops.values()];
    const pop = this.pops.get(cp.spec.name)!;
    if (this.arena) this.moveToArena(pop);
    if (this.splitting && n >= MIN_SPLIT && definedModel(pop.model, pop.state) !== null && this.popList.length < MAX_POPULATIONS) {
      // An even split keeps the upper half's f64 pairs 16-byte aligned for the SIMD kernels.
      pop.splitAt = (n >> 1) & ~1;
      this.arena!.alloc(Uint32Array, n - pop.splitAt, (x) => (pop.spikesHi = x));
    }
  }

  /** Re-homes a population's arrays into WebAssembly memory (views re-bind when it grows). */
  private moveToArena(pop: PopRuntime): void {
    const a = this.arena!;
    const st = pop.state;
    for (const v of Object.keys(st.vars)) a.alloc(Float64Array, st.n, (x) => (st.vars[v] = x), st.vars[v]);
    for (const ch of [...CHANNELS, 'iext'] as const) a.alloc(Float64Array, st.n, (x) => (st[ch] = x), st[ch]);
    a.alloc(Int32Array, st.n, (x) => (st.refrac = x), st.refrac);
    a.alloc(Uint32Array, st.n, (x) => (pop.spikes = x), pop.spikes);
  }

  private releasePopulation(pop: PopRuntime): void {
    const g = this.generated.get(pop);
    if (g?.threadFn) this.thread?.unload(g.threadFn);
    this.generated.delete(pop);
    if (!this.arena) return;
    const st = pop.state;
    for (const arr of [
      ...Object.values(st.vars),
      st.ie,
      st.ii,
      st.ge,
      st.gi,
      st.iext,
      st.refrac,
      pop.spikes,
      pop.spikesHi,
      pop.spikesHiOdd,
      ...(pop.loSpikes ?? []),
      st.frozen,
      pop.rngWords,
      ...Object.values(pop.rings),
    ])
      if (arr) this.arena.release(arr);
  }

  private addProjection(c: CompiledProjection): void {
    const src = this.pops.get(c.spec.source)!;
    const tgt = this.pops.get(c.spec.target)!;
    const channel = channelOf(c.spec.synapse);
    const plastic = c.spec.plasticity ? createPlasticState(c.spec.plasticity, c.rowPtr, c.targets, src.spec.size, tgt.spec.size) : null;
    // The ring first: if it cannot be allocated, nothing of the projection exists yet.
    // (A synapse model's statements add to the channels directly: on_pre runs when the spike arrives.)
    if (c.maxDelay > 0 && !c.spec.synapse.model) this.ensureRing(tgt, channel, c.maxDelay + 1);
    if (this.arena) {
      const a = this.arena;
      // Wired into this memory already (Engine.create): adopted; otherwise copied in.
      a.alloc(Uint32Array, c.rowPtr.length, (x) => (c.rowPtr = x), c.rowPtr);
      if (!a.adopt(c.targets, (x) => (c.targets = x))) {
        if (c.targets instanceof Uint16Array) a.alloc(Uint16Array, c.targets.length, (x) => (c.targets = x), c.targets);
        else a.alloc(Uint32Array, c.targets.length, (x) => (c.targets = x), c.targets);
      }
      if (!a.adopt(c.weights, (x) => (c.weights = x))) a.alloc(Float32Array, c.weights.length, (x) => (c.weights = x), c.weights);
      if (c.delays && !a.adopt(c.delays, (x) => (c.delays = x))) {
        if (c.delays instanceof Uint8Array) a.alloc(Uint8Array, c.delays.length, (x) => (c.delays = x), c.delays);
        else a.alloc(Uint16Array, c.delays.length, (x) => (c.delays = x), c.delays);
      }
    }
    let split: Uint32Array | null = null;
    if (tgt.splitAt > 0) {
      const h = tgt.splitAt;
      const cut = new Uint32Array(src.spec.size);
      for (let i = 0; i < src.spec.size; i++) {
        let lo = c.rowPtr[i];
        let hi = c.rowPtr[i + 1];
        // The split relies on rows sorted by target (every generator builds them so).
        for (let k = lo + 1; k < hi; k++)
          if (c.targets[k] < c.targets[k - 1]) throw new Error(`projection ${c.spec.name}: row ${i} is not sorted by target`);
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (c.targets[mid] < h) lo = mid + 1;
          else hi = mid;
        }
        cut[i] = lo;
      }
      split = this.arena!.alloc(
        Uint32Array,
        cut.length,
        (x) => {
          const r = this.projs.find((q) => q.c === c);
          if (r) r.split = x;
        },
        cut,
      );
    }
    const model = c.spec.synapse.model;
    const syn = model
      ? createSynapseRuntime(this.circuit.synapseModels![model], c, c.spec.synapse.params ?? {}, this.seed, tgt.spec.size)
      : null;
    // The generated WebAssembly reads and writes the synapse model's arrays: they live in the arena.
    if (syn && this.arena) {
      const a = this.arena;
      a.alloc(Uint32Array, syn.preIdx.length, (x) => (syn.preIdx = x), syn.preIdx);
      a.alloc(Uint32Array, syn.postPtr.length, (x) => (syn.postPtr = x), syn.postPtr);
      a.alloc(Uint32Array, syn.postSyn.length, (x) => (syn.postSyn = x), syn.postSyn);
      a.alloc(Int32Array, syn.last.length, (x) => (syn.last = x), syn.last);
      a.alloc(Uint32Array, syn.byDelay.length, (x) => (syn.byDelay = x), syn.byDelay);
      a.alloc(Uint32Array, syn.history.length, (x) => (syn.history = x), syn.history);
      for (const k of Object.keys(syn.S)) a.alloc(Float64Array, syn.S[k].length, (x) => (syn.S[k] = x), syn.S[k]);
    }
    this.projs.push({ c, syn, src, tgt, channel, plastic, split, synCall: null });
    if (syn?.def.summed.length) this.anySummed = true;
    if (syn) this.anySynapseModel = true;
  }

  private releaseProjection(p: ProjRuntime): void {
    if (!this.arena) return;
    for (const arr of [p.c.rowPtr, p.c.targets, p.c.weights, p.c.delays, p.split]) if (arr) this.arena.release(arr);
    const syn = p.syn;
    if (syn)
      for (const arr of [syn.preIdx, syn.postPtr, syn.postSyn, syn.last, syn.byDelay, syn.history, ...Object.values(syn.S)])
        this.arena.release(arr);
  }

  /** Grows a delay ring keeping pending events in their absolute step slots. */
  private ensureRing(pop: PopRuntime, channel: Channel, len: number): void {
    const n = pop.spec.size;
    if (len > pop.ringLen) {
      for (const ch of CHANNELS) {
        const old = pop.rings[ch];
        if (!old) continue;
        const next = new Float64Array(len * n);
        for (let k = 0; k < pop.ringLen; k++) {
          const abs = this.stepIndex + k;
          next.set(old.subarray((abs % pop.ringLen) * n, ((abs % pop.ringLen) + 1) * n), (abs % len) * n);
        }
        this.setRing(pop, ch, next);
      }
      pop.ringLen = len;
    }
    if (!pop.rings[channel]) this.setRing(pop, channel, new Float64Array(pop.ringLen * n));
  }

  private setRing(pop: PopRuntime, ch: Channel, ring: Float64Array): void {
    this.epoch++;
    const old = pop.rings[ch];
    if (this.arena) {
      if (old) this.arena.release(old);
      this.arena.alloc(Float64Array, ring.length, (x) => (pop.rings[ch] = x), ring);
    } else pop.rings[ch] = ring;
  }

  /** A per-neuron array added after the population: in the arena too, where the generated kernels can read it. */
  private addVariable(pop: PopRuntime, name: string, values: Float64Array): void {
    this.epoch++;
    if (this.arena) this.arena.alloc(Float64Array, pop.state.n, (x) => (pop.state.vars[name] = x), values);
    else pop.state.vars[name] = values;
  }

  /** A live edit of parameters that vary per neuron: their arrays are drawn again (the same draws for the same values). */
  private refreshPerNeuron(pop: PopRuntime, next: PopulationSpec): void {
    const arrays = perNeuronParams(next, this.seed);
    for (const k of Object.keys(pop.spec.perNeuron ?? {}))
      if (!Object.hasOwn(arrays, k)) {
        this.arena?.release(pop.state.vars[k]);
        delete pop.state.vars[k];
      }
    for (const [k, a] of Object.entries(arrays)) {
      const cur = Object.hasOwn(pop.state.vars, k) ? pop.state.vars[k] : undefined;
      if (cur) cur.set(a);
      else this.addVariable(pop, k, a);
    }
  }

  /** Refreshes everything derived from the circuit's modulators, sources, inputs and outputs. */
  private rebuildLinks(circuit: Circuit): void {
    this.epoch++;
    this.circuit = circuit;
    for (const pop of this.pops.values()) {
      const next = circuit.populations.find((p) => p.name === pop.spec.name) ?? pop.spec;
      if (next.perNeuron !== pop.spec.perNeuron) this.refreshPerNeuron(pop, next);
      pop.spec = next;
      pop.sources = circuit.sources.filter((s) => s.target === pop.spec.name);
      pop.inputs = circuit.inputs.filter((i) => i.target === pop.spec.name);
      // Events still queued in a ring or left in a channel after their projection was removed keep
      // the channel in use: they are delivered and decay like any other.
      const st = pop.state;
      // Kernel arguments depend on the flags below: rebuild them after any edit.
      pop.constants = null;
      pop.gargs = null;
      pop.state.conductance = integratesConductance(pop.spec, circuit, pop.state.conductance);
      // A synapse model may write any channel and sum into the external current: the kernels skip neither.
      const modelled = this.projs.some((p) => p.tgt === pop && p.syn !== null);
      const currentSyn =
        modelled ||
        this.projs.some((p) => p.tgt === pop && p.c.spec.synapse.type === 'current') ||
        pop.sources.some((s) => s.type === 'poisson' && s.synapse.type === 'current') ||
        pop.spec.init.ie !== undefined ||
        pop.spec.init.ii !== undefined ||
        pop.rings.ie !== undefined ||
        pop.rings.ii !== undefined ||
        st.ie.some((x) => x !== 0) ||
        st.ii.some((x) => x !== 0);
      const external =
        modelled || pop.sources.some((s) => s.type !== 'poisson') || pop.inputs.length > 0 || pop.state.iext.some((x) => x !== 0);
      pop.state.inputs = (currentSyn ? INPUT_CURRENT_SYNAPSES : 0) | (external ? INPUT_EXTERNAL_CURRENT : 0);
    }
    this.updateAnySplit();
    const levels = new Map(this.mods.map((m) => [m.spec.name, m.level]));
    this.mods = circuit.modulators.map((spec) => ({ spec, level: levels.get(spec.name) ?? spec.baseline }));
    const rates = new Map(this.outs.map((o) => [o.spec.name, o.rate]));
    this.outs = circuit.outputs.map((spec) => ({ spec, pop: this.pops.get(spec.source)!, rate: rates.get(spec.name) ?? 0 }));
    for (const [name] of this.inputValues) if (!circuit.inputs.some((i) => i.name === name)) this.inputValues.delete(name);
  }

  // ----- stepping -----

  step(nSteps: number): void {
    if (this.faulted) throw new Error(this.faulted);
    let s = 0;
    while (s < nSteps) s += this.choice ? this.timedSteps(this.choice, nSteps - s) : this.runSteps(nSteps - s);
  }

  /** Runs at most `max` steps, at least one: a lockstep batch of them where one can run, else one step. */
  private runSteps(max: number): number {
    const ran = this.anySplit ? this.lockstepBatch(max) : 0;
    if (ran > 0) return ran;
    this.stepOnce();
    return 1;
  }

  /** Threads the steps run on now (two only while the kernel thread has a share of them). */
  get threadsInUse(): 1 | 2 {
    return this.anySplit ? 2 : 1;
  }

  /** The default thread choice made, with the median step time measured on each (µs); null before (or when threads were given). */
  get threadChoice(): ThreadChoiceMade | null {
    return this.choiceMade;
  }

  /**
   * Steps of a block the thread choice times (at most `max`; returns how many ran): only the steps
   * themselves are timed (a robot loop waits between its calls). The same results on either side:
   * split populations run whole here when the kernel thread is not used.
   */
  private timedSteps(choice: ThreadChoice, max: number): number {
    const b = this.block;
    if (b.left === 0) {
      b.threads = choice.next();
      b.left = choice.nextSteps();
      b.ms = 0;
      this.useThread = b.threads === 2;
      this.updateAnySplit();
    }
    const want = Math.min(max, b.left);
    const t0 = this.now();
    let ran = 0;
    while (ran < want) ran += this.runSteps(want - ran);
    b.ms += this.now() - t0;
    b.left -= ran;
    if (b.left > 0) return ran;
    choice.record(b.threads, b.ms);
    const made = choice.decision;
    if (made === null) return ran;
    this.choice = null;
    const { one, two } = choice.summary();
    const first = choice.first;
    this.choiceMade = { threads: made, oneUs: one, twoUs: two, ...(first ? { first } : {}) };
    this.useThread = made === 2;
    if (made === 1) {
      // One thread is faster here: the kernel thread goes, and new populations are not split.
      this.thread?.dispose();
      this.thread = null;
      this.splitting = false;
      this.threadCount = 1;
    }
    this.updateAnySplit();
    return ran;
  }

  /** Whether the step splits work with the kernel thread: it runs, is used now, and has a population's share. */
  private updateAnySplit(): void {
    this.anySplit = this.thread !== null && this.useThread && this.popList.some((p) => p.splitAt > 0);
  }

  private stepOnce(): void {
    const n = this.stepIndex;
    const dt = this.dt;
    for (const pop of this.popList) {
      this.externalInput(pop);
      pop.state.time = n * dt;
    }
    for (const p of this.projs) if (p.syn?.def.summed.length) this.synapseCall(p, n, 'summed');
    this.applyModulatorEffects();
    if (this.anySplit) {
      // Propagation and ring draining touch neither weights nor traces, so running them before
      // plasticity (not after, as below) gives the same result.
      this.threadedUpdate();
      if (this.recorder) for (const pop of this.popList) this.recorder.spikes(n, pop.spec.name, pop.spikes, pop.nSpikes);
      this.threadedPropagate(n);
      for (const p of this.projs) if (p.plastic) this.plasticity(p);
    } else if (this.anySynapseModel) {
      this.synapseModelStep(n);
    } else {
      for (const pop of this.popList) {
        pop.nSpikes = this.k ? this.kernelStep(pop) : pop.model.step(pop.spec.params, pop.state, dt, pop.spikes);
        this.recorder?.spikes(n, pop.spec.name, pop.spikes, pop.nSpikes);
      }
      for (const p of this.projs) if (p.src.nSpikes > 0) this.propagate(p, n);
      for (const p of this.projs) if (p.plastic) this.plasticity(p);
      for (const pop of this.popList) this.drainRings(pop, n);
    }
    this.advanceModulators();
    this.updateOutputs();
    this.stepIndex = n + 1;
    if (this.recorder?.wantsState(n)) this.recorder.sample(n, (p, v) => this.stateView(p, v));
  }

  /**
   * Up to `max` steps in lockstep with the kernel thread (lockstep.ts), or 0 where a step needs more
   * than the neuron updates, propagation, delay rings, plasticity, recording and outputs (Poisson
   * sources, modulators, synapse models, models that read t or draw random numbers on both threads),
   * or where the population slots do not fit. External current (constant and step sources, inputs) is
   * the same in every step of a batch, which ends before a step source changes: it is written once,
   * before. A batch also ends after a step whose state a probe samples: the thread must not be in
   * the next step then.
   */
  private lockstepBatch(max: number): number {
    if (this.anySummed || this.mods.length > 0 || this.popList.length > MAX_POPULATIONS) return 0;
    let steps = Math.min(max, MAX_BATCH_STEPS);
    const n0 = this.stepIndex;
    for (const pop of this.popList)
      for (const src of pop.sources) {
        if (src.type === 'poisson') return 0;
        if (src.type === 'step')
          for (const t of src.times) {
            const at = Math.round(t / this.dt);
            if (at > n0) steps = Math.min(steps, at - n0);
          }
      }
    const plan = this.lockstep();
    if (!plan) return 0;
    const pops = this.popList;
    // A population the kernel thread advances takes its external input once, for the whole batch
    // (the others take it every step, on this thread): not rate inputs, which go into `drive`, a
    // state variable its model may change.
    for (let q = 0; q < pops.length; q++)
      if (plan.lo[q] && takesRateInputs(pops[q].model) && (pops[q].inputs.length > 0 || pops[q].sources.length > 0)) return 0;
    const rec = this.recorder;
    if (rec) for (let s = 0; s < steps - 1; s++) if (rec.wantsState(n0 + s)) steps = s + 1;
    for (let q = 0; q < pops.length; q++) if (plan.lo[q]) this.externalInput(pops[q]);
    try {
      this.thread!.lockstep(n0, steps, (barrier) => {
        for (let s = 0; s < steps; s++) this.lockstepOnce(plan, barrier);
      });
    } catch (e) {
      // The kernel thread may have run a step further than this thread: the halves are out of step.
      this.faulted = `the CPU backend stopped after an error in a step on two threads (${(e as Error).message}): its two halves are no longer at the same step; build the engine again`;
      throw e;
    }
    if (rec?.wantsState(this.stepIndex - 1)) rec.sample(this.stepIndex - 1, (p, v) => this.stateView(p, v));
    this.lockstepSteps += steps;
    return steps;
  }

  /** This thread's side of one lockstep step (stepOnce's order; the kernel thread runs the other half of steps 3, 5 and 7). */
  private lockstepOnce(plan: Lockstep, barrier: Barrier): void {
    const n = this.stepIndex;
    const parity = n & 1;
    const counts = this.thread!.results;
    const pops = this.popList;
    for (let q = 0; q < pops.length; q++) {
      const pop = pops[q];
      pop.state.time = n * this.dt;
      const lo = plan.lo[q];
      if (!lo) this.externalInput(pop);
      const c = (pop.nSpikes = lo ? lo() : this.kernelStep(pop));
      // The list the threads propagate from: pop.spikes is this step's merged list, rewritten next step
      // while the kernel thread may still propagate this one.
      const list = pop.loSpikes![parity];
      const spikes = pop.spikes;
      for (let x = 0; x < c; x++) list[x] = spikes[x];
      counts[countSlot('lo', parity, q)] = c;
    }
    barrier.arrive();
    runShare(this.k!, plan.main, n, counts);
    for (let q = 0; q < pops.length; q++) {
      const pop = pops[q];
      if (plan.lo[q]) {
        // The thread's spikes after this thread's: the merged list is the one-thread list.
        const hi = counts[countSlot('hi', parity, q)];
        const from = parity ? pop.spikesHiOdd! : pop.spikesHi!;
        const to = pop.spikes;
        for (let x = 0; x < hi; x++) to[pop.nSpikes + x] = from[x] + pop.splitAt;
        pop.nSpikes += hi;
      }
      this.recorder?.spikes(n, pop.spec.name, pop.spikes, pop.nSpikes);
    }
    this.updateOutputs();
    if (plan.main.meetAfterPropagation) {
      // The thread's propagation of this step reads the weights plasticity changes.
      barrier.arrive();
      for (const p of this.projs) if (p.plastic) this.plasticity(p);
    }
    this.stepIndex = n + 1;
  }

  /** The shares of lockstep batches, built again (and the thread's sent) when the structure or a split population's arguments changed. */
  private lockstep(): Lockstep | null {
    const pops = this.popList;
    const args: (GeneratedArgs | null)[] = [];
    for (const pop of pops) {
      if (pop.splitAt === 0) {
        args.push(null);
        continue;
      }
      const g = definedModel(pop.model, pop.state);
      const ga = g && this.generatedArgs(pop, g, false);
      // Arguments that change every step (t) or random numbers drawn from this thread's Rng: the population runs whole here.
      args.push(ga?.threadFn && ga.lo && !ga.readsTime && !ga.draws ? ga : null);
    }
    const have = this.lockstepPlan;
    if (have && have.epoch === this.epoch && have.args.length === args.length && have.args.every((a, q) => a === args[q])) return have;
    const thread = this.thread!;
    const meetAfterPropagation = this.projs.some((p) => p.plastic);
    const main: ShareWork = { propagations: [], drains: [], meetAfterPropagation };
    const plan: LockstepPlan = { updates: [], propagations: [], drains: [], meetAfterPropagation };
    args.forEach((ga, q) => {
      const pop = pops[q];
      this.lockstepLists(pop, ga !== null);
      if (!ga) return;
      const h = pop.splitAt;
      const odd = this.generated.get(pop)!.w.args(pop.spec.params, pop.state, this.dt, pop.spikesHiOdd!.byteOffset, h, pop.state.n - h);
      plan.updates.push({ fn: thread.indexOf(ga.threadFn!), q, args: [ga.hi, odd] });
    });
    // A population the kernel thread does not advance is this thread's alone: its state, all rows of
    // the projections onto it and all of its delay rings (the thread is not waited for after its
    // propagation, so it must not write what this thread's next update reads).
    const threadedPop = (pop: PopRuntime) => args[pops.indexOf(pop)] !== null;
    for (const p of this.projs) {
      const q = pops.indexOf(p.src);
      const threaded = args[q] !== null;
      const rows = p.c.rowPtr.byteOffset;
      const split = p.split && threadedPop(p.tgt) ? p.split : null;
      // This thread's rows: the targets below the split (all of them when the thread does not advance the target).
      main.propagations.push(this.planned(p, q, threaded, rows, split ? split.byteOffset : rows + 4));
      if (split) plan.propagations.push(this.planned(p, q, threaded, split.byteOffset, rows + 4));
    }
    for (const pop of pops) {
      const threaded = threadedPop(pop);
      main.drains.push(...this.plannedDrains(pop, 0, threaded ? pop.splitAt : pop.state.n));
      if (threaded) plan.drains.push(...this.plannedDrains(pop, pop.splitAt, pop.state.n));
    }
    thread.sendPlan(plan);
    return (this.lockstepPlan = { epoch: this.epoch, args, main, lo: args.map((ga) => ga?.lo ?? null) });
  }

  /**
   * One thread's rows [start[i], end[i]) of a projection (byte offsets of the row arrays), for both
   * parts of a source the threads split.
   */
  private planned(p: ProjRuntime, q: number, threaded: boolean, start: number, end: number): PlannedPropagation {
    const src = p.src;
    const lo = this.propagateArgs(p, 0, start, end);
    // The upper part's spikes are numbered from the split: their rows start that many rows on.
    const hi = threaded ? this.propagateArgs(p, 0, start + src.splitAt * 4, end + src.splitAt * 4) : null;
    const tgt = p.tgt;
    return {
      delayed: p.c.delays !== null,
      q,
      lo,
      hi,
      loSpikes: [src.loSpikes![0].byteOffset, src.loSpikes![1].byteOffset],
      hiSpikes: threaded ? [src.spikesHi!.byteOffset, src.spikesHiOdd!.byteOffset] : [0, 0],
      delaySteps: p.c.delaySteps,
      ring: tgt.rings[p.channel]?.byteOffset ?? 0,
      ringLen: tgt.ringLen,
      slotBytes: tgt.spec.size * 8,
      direct: tgt.state[p.channel].byteOffset,
    };
  }

  /**
   * A population's spike lists by step parity (lockstep.ts): this thread's, and the kernel thread's
   * odd steps' when it advances part of it.
   */
  private lockstepLists(pop: PopRuntime, threaded: boolean): void {
    const a = this.arena!;
    if (!pop.loSpikes) {
      const pair: [Uint32Array, Uint32Array] = [new Uint32Array(0), new Uint32Array(0)];
      // alloc binds each view now, and again when the memory grows.
      for (const k of [0, 1] as const) a.alloc(Uint32Array, pop.state.n, (x) => (pair[k] = x));
      pop.loSpikes = pair;
    }
    if (threaded && !pop.spikesHiOdd) a.alloc(Uint32Array, pop.state.n - pop.splitAt, (x) => (pop.spikesHiOdd = x));
  }

  /** drainArgs' rings and destinations for neurons [from, to), with the slot computed per step (lockstep.ts runShare). */
  private plannedDrains(pop: PopRuntime, from: number, to: number): PlannedDrain[] {
    return this.drainArgs(pop, 0, from, to).map(([ring, , dest, count]) => ({
      ring,
      ringLen: pop.ringLen,
      size: pop.spec.size,
      from,
      dest,
      count,
    }));
  }

  /**
   * The population's model step with the WebAssembly kernels: the generated module of the definition
   * that advances it (a model defined by equations, or a built-in family's variant), bit-identical to
   * its generated JavaScript; `lo` is this thread's share of a split population. Models without a
   * definition (poisson) run their JavaScript step.
   */
  private kernelStep(pop: PopRuntime, part: 'whole' | 'lo' = 'whole'): number {
    const g = definedModel(pop.model, pop.state);
    if (g) return this.generatedKernelStep(pop, g, 'step', part);
    return pop.model.step(pop.spec.params, pop.state, this.dt, pop.spikes);
  }

  /**
   * A step (or one phase) of a population advanced by generated code: its WebAssembly module,
   * generated at load time for the population's variant (engine/equations/codegen-wasm.ts). The
   * arrays must all live in the arena (an array added later, e.g. by a live edit that makes a
   * parameter vary per neuron, is not): otherwise the JavaScript step runs.
   */
  private generatedKernelStep(
    pop: PopRuntime,
    model: GeneratedModel,
    phase: 'step' | 'update' | 'threshold' | 'reset' = 'step',
    part: 'whole' | 'lo' = 'whole',
  ): number {
    const g = this.generatedArgs(pop, model, phase !== 'step');
    if (!g) {
      if (phase === 'step') return model.step(pop.spec.params, pop.state, this.dt, pop.spikes);
      return model.stepPhase(phase, pop.spec.params, pop.state, this.dt, pop.spikes, pop.nSpikes);
    }
    const words = g.draws ? pop.rngWords : null;
    // The module draws from the state words: the Rng's state goes there for the call and comes back.
    if (words) pop.state.rng.saveState(words);
    const r = phase === 'reset' ? g.whole.reset!(pop.nSpikes) : part === 'lo' ? g.lo!() : g.whole[phase]!();
    if (words) pop.state.rng.loadState(words);
    return r;
  }

  /**
   * The population's generated functions and their arguments (whole population; with a kernel thread,
   * the lower part here and the upper part there), rebuilt when the definition, the parameters, the
   * modulation or (for models that read it) t changed.
   */
  private generatedArgs(pop: PopRuntime, model: GeneratedModel, phased: boolean): GeneratedArgs | null {
    const st = pop.state;
    const key = this.constantsOf(pop);
    const g = pop.gargs;
    if (g && g.key === key && g.def === model.definition && g.phased === phased && (!g.readsTime || g.time === st.time)) return g;
    const run = this.generatedKernel(pop, model, phased);
    if (!run) return (pop.gargs = null);
    const p = pop.spec.params;
    const h = pop.splitAt;
    const args = (spikes: number, start?: number, count?: number) => run.w.args(p, st, this.dt, spikes, start, count);
    const hi = h > 0 && run.threadFn ? args(pop.spikesHi!.byteOffset, h, st.n - h) : [];
    return (pop.gargs = {
      key,
      def: model.definition,
      phased,
      readsTime: run.w.layout.readsTime,
      draws: run.w.layout.draws,
      time: st.time,
      whole: bindPhases(run.exports, args(pop.spikes.byteOffset)),
      lo: hi.length ? boundCall(run.exports.step, args(pop.spikes.byteOffset, 0, h)) : null,
      hi,
      threadFn: hi.length ? run.threadFn : null,
    });
  }

  /**
   * The population's generated module (with the phases when synapse models run), or null when some
   * array it would read is outside the arena (added by a live edit): the JavaScript runs then. A split
   * population's module is also sent to the kernel thread, when it draws no random numbers (the Rng
   * is this thread's) and its arguments fit a kernel call.
   */
  private generatedKernel(pop: PopRuntime, model: GeneratedModel, phased: boolean): GeneratedKernel | null {
    const st = pop.state;
    if (phased && !st.frozen) this.arena!.alloc(Uint8Array, st.n, (x) => (st.frozen = x));
    const buffer = this.arena!.memory.buffer;
    const arrays: ArrayBufferView[] = [...Object.values(st.vars), st.ie, st.ii, st.ge, st.gi, st.iext, st.refrac, pop.spikes];
    if (phased) arrays.push(st.frozen!);
    if (!arrays.every((a) => a.buffer === buffer)) return null;
    const def = model.definition;
    const perNeuron = Object.keys(def.parameters).filter((k) => Object.hasOwn(st.vars, k));
    const key = `${def.name}:${phased}:${st.inputs}:${perNeuron.join(',')}`;
    let g = this.generated.get(pop);
    if (!g || g.key !== key || g.def !== def) {
      const w = new WasmStep(optimize({ def, perNeuron: new Set(perNeuron), inputs: st.inputs }), { phases: phased });
      const fits = w.argCount <= MAX_ARGS;
      if (g?.threadFn) this.thread!.unload(g.threadFn);
      const threadFn =
        this.thread && pop.splitAt > 0 && !phased && !w.layout.draws && fits ? this.thread.load(w.module, this.expTableOffset()) : null;
      if (w.layout.draws && !pop.rngWords) this.arena!.alloc(Int32Array, 4, (x) => (pop.rngWords = x));
      const rng = pop.rngWords ? { rng: st.rng, state: pop.rngWords.byteOffset } : undefined;
      g = { key, def, w, exports: w.instantiate(this.arena!.memory, this.expTableOffset(), rng), threadFn };
      this.generated.set(pop, g);
    }
    return g;
  }

  /** Byte offset of the exp table the kernels share (shareExpTable put it in the arena). */
  private expTableOffset(): number {
    return this.kernelSetup.find(([name]) => name === 'setExpTable')![1][0];
  }

  /** What the generated arguments depend on besides the definition: parameters and modulation (one object while they hold). */
  private constantsOf(pop: PopRuntime): ConstantsKey {
    const p = pop.spec.params;
    const m = pop.state.mod;
    const cache = pop.constants;
    if (cache && cache.params === p && cache.gain === m.gain && cache.shift === m.thresholdShift && cache.excitability === m.excitability)
      return cache;
    return (pop.constants = { params: p, gain: m.gain, shift: m.thresholdShift, excitability: m.excitability });
  }

  /** Step phases 3 and 5-7 split between this thread and the kernel thread (same results). */
  private threadedUpdate(): void {
    const thread = this.thread!;
    const pops = this.popList;
    for (let q = 0; q < pops.length; q++) {
      const pop = pops[q];
      pop.threaded = false;
      if (pop.splitAt === 0) continue;
      const g = definedModel(pop.model, pop.state);
      const ga = g && this.generatedArgs(pop, g, false);
      if (!ga?.threadFn) continue;
      thread.call(ga.threadFn, q, ga.hi);
      pop.threaded = true;
    }
    thread.run(this.updateLocal);
    for (let q = 0; q < pops.length; q++) {
      const pop = pops[q];
      if (!pop.threaded) continue;
      const hi = thread.results[q];
      const from = pop.spikesHi!;
      const to = pop.spikes;
      for (let x = 0; x < hi; x++) to[pop.nSpikes + x] = from[x] + pop.splitAt;
      pop.nSpikes += hi;
    }
  }

  /** This thread's share of the neuron updates (a bound method: no closure per step). */
  private readonly updateLocal = (): void => {
    for (const pop of this.popList) pop.nSpikes = this.kernelStep(pop, pop.threaded ? 'lo' : 'whole');
  };

  private threadedPropagate(n: number): void {
    const thread = this.thread!;
    for (const p of this.projs) {
      if (p.src.nSpikes === 0 || !p.split) continue;
      thread.call(
        p.c.delays ? 'propagateDelayed' : 'propagate',
        -1,
        this.propagateArgs(p, n, p.split.byteOffset, p.c.rowPtr.byteOffset + 4),
      );
    }
    for (const pop of this.popList)
      if (pop.splitAt > 0) for (const a of this.drainArgs(pop, n, pop.splitAt, pop.state.n)) thread.call('drain', -1, a);
    thread.run(() => {
      for (const p of this.projs) {
        if (p.src.nSpikes === 0) continue;
        const end = p.split ? p.split.byteOffset : p.c.rowPtr.byteOffset + 4;
        const args = this.propagateArgs(p, n, p.c.rowPtr.byteOffset, end);
        if (p.c.delays) this.k!.propagateDelayed(...args);
        else this.k!.propagate(...args);
      }
      for (const pop of this.popList)
        for (const a of this.drainArgs(pop, n, 0, pop.splitAt || pop.state.n)) this.k!.drain(a[0], a[1], a[2], a[3]);
    });
  }

  private propagateArgs(p: ProjRuntime, n: number, start: number, end: number): number[] {
    const { targets, weights, delays, delaySteps } = p.c;
    const tgt = p.tgt;
    const size = tgt.spec.size;
    if (delays === null) {
      const dest =
        delaySteps === 0 ? tgt.state[p.channel].byteOffset : tgt.rings[p.channel]!.byteOffset + ((n + delaySteps) % tgt.ringLen) * size * 8;
      return [p.src.spikes.byteOffset, p.src.nSpikes, start, end, targets.byteOffset, targets.BYTES_PER_ELEMENT, weights.byteOffset, dest];
    }
    return [
      p.src.spikes.byteOffset,
      p.src.nSpikes,
      start,
      end,
      targets.byteOffset,
      targets.BYTES_PER_ELEMENT,
      weights.byteOffset,
      delays.byteOffset,
      delays.BYTES_PER_ELEMENT,
      tgt.rings[p.channel]!.byteOffset,
      size,
      tgt.ringLen,
      n % tgt.ringLen,
      tgt.state[p.channel].byteOffset,
    ];
  }

  /** drain() arguments for neurons [from, to) of a population's delay rings at step n. */
  private drainArgs(pop: PopRuntime, n: number, from: number, to: number): [number, number, number, number][] {
    if (pop.ringLen <= 1) return [];
    const off = (n % pop.ringLen) * pop.spec.size + from;
    const out: [number, number, number, number][] = [];
    for (const ch of CHANNELS) {
      const ring = pop.rings[ch];
      if (ring) out.push([ring.byteOffset, off, pop.state[ch].byteOffset + from * 8, to - from]);
    }
    return out;
  }

  private externalInput(pop: PopRuntime): void {
    // A synapse model summing into I_ext adds to this step's external current, which must start afresh.
    const summed = this.anySummed && this.projs.some((p) => p.tgt === pop && p.syn?.def.summed.some((x) => x.target === 'I_ext'));
    if (pop.sources.length === 0 && pop.inputs.length === 0 && !summed) return;
    const st = pop.state;
    let base = 0;
    for (const s of pop.sources) {
      if (s.type === 'constant') base += s.amplitude;
      else if (s.type === 'step') {
        // Compare in whole steps so "100 ms" starts exactly at step 100/dt despite float rounding.
        let a = 0;
        for (let i = 0; i < s.times.length && Math.round(s.times[i] / this.dt) <= this.stepIndex; i++) a = s.amplitudes[i];
        base += a;
      } else {
        const ch = st[channelOf(s.synapse)];
        const mean = s.count * s.rate * (this.dt / 1000);
        for (let i = 0; i < st.n; i++) {
          const k = pop.sourceRng.poisson(mean);
          if (k > 0) ch[i] += k * s.weight;
        }
      }
    }
    // A model that declares `drive` (poisson's, or one defined by equations) takes its rate inputs
    // there, in Hz; the checker lets no current reach it.
    if (takesRateInputs(pop.model)) {
      const drive = st.vars[RATE_INPUT_STATE];
      drive.fill(0);
      for (const inp of pop.inputs) addInput(drive, this.inputValues.get(inp.name), inp.gain);
      return;
    }
    st.iext.fill(base);
    for (const inp of pop.inputs) addInput(st.iext, this.inputValues.get(inp.name), inp.gain);
  }

  private applyModulatorEffects(): void {
    for (const pop of this.popList) {
      pop.state.mod.gain = 1;
      pop.state.mod.thresholdShift = 0;
      pop.state.mod.excitability = 0;
    }
    for (const m of this.mods) {
      for (const t of m.spec.targets) {
        if (!t.population) continue;
        const mod = this.pops.get(t.population)!.state.mod;
        if (t.effect === 'gain') mod.gain += t.sensitivity * m.level;
        else if (t.effect === 'threshold') mod.thresholdShift += t.sensitivity * m.level;
        else if (t.effect === 'excitability') mod.excitability += t.sensitivity * m.level;
      }
    }
    for (const pop of this.popList) if (pop.state.mod.gain < 0) pop.state.mod.gain = 0;
  }

  private propagate(p: ProjRuntime, n: number): void {
    const { rowPtr, targets, weights, delays, delaySteps } = p.c;
    if (this.k) {
      const args = this.propagateArgs(p, n, rowPtr.byteOffset, rowPtr.byteOffset + 4);
      if (delays) this.k.propagateDelayed(...args);
      else this.k.propagate(...args);
      return;
    }
    const spikes = p.src.spikes;
    const count = p.src.nSpikes;
    const tgt = p.tgt;
    if (delays === null) {
      const size = tgt.spec.size;
      const dest =
        delaySteps === 0
          ? tgt.state[p.channel]
          : tgt.rings[p.channel]!.subarray(((n + delaySteps) % tgt.ringLen) * size, (((n + delaySteps) % tgt.ringLen) + 1) * size);
      for (let s = 0; s < count; s++) {
        const i = spikes[s];
        const end = rowPtr[i + 1];
        for (let k = rowPtr[i]; k < end; k++) dest[targets[k]] += weights[k];
      }
      return;
    }
    const ring = tgt.rings[p.channel]!;
    const size = tgt.spec.size;
    const len = tgt.ringLen;
    const direct = tgt.state[p.channel];
    for (let s = 0; s < count; s++) {
      const i = spikes[s];
      const end = rowPtr[i + 1];
      for (let k = rowPtr[i]; k < end; k++) {
        const d = delays[k];
        if (d === 0) direct[targets[k]] += weights[k];
        else ring[((n + d) % len) * size + targets[k]] += weights[k];
      }
    }
  }

  /**
   * A step with synapse models, in Brian2's order for the neuron models with a definition (all but
   * poisson, which keeps its one-piece step): state updates, then the synapses' clock-driven
   * variables, thresholds, on_pre and on_post (which so see the potentials before any reset), the
   * synapses' on_step statements, and the resets.
   */
  private synapseModelStep(n: number): void {
    const dt = this.dt;
    const phased = (pop: PopRuntime) => definedModel(pop.model, pop.state);
    // With the WebAssembly kernels, the generated modules' phases (bit-identical to the JavaScript ones).
    const phase = (pop: PopRuntime, g: GeneratedModel, which: 'update' | 'threshold' | 'reset'): number =>
      this.k ? this.generatedKernelStep(pop, g, which) : g.stepPhase(which, pop.spec.params, pop.state, dt, pop.spikes, pop.nSpikes);
    for (const pop of this.popList) {
      const g = phased(pop);
      if (g) phase(pop, g, 'update');
      else pop.nSpikes = this.k ? this.kernelStep(pop) : pop.model.step(pop.spec.params, pop.state, dt, pop.spikes);
    }
    for (const p of this.projs) if (p.syn?.def.clock) this.synapseCall(p, n, 'clock');
    for (const pop of this.popList) {
      const g = phased(pop);
      if (g) pop.nSpikes = phase(pop, g, 'threshold');
      this.recorder?.spikes(n, pop.spec.name, pop.spikes, pop.nSpikes);
    }
    for (const p of this.projs) {
      if (p.syn) this.arrivals(p, n);
      else if (p.src.nSpikes > 0) this.propagate(p, n);
    }
    for (const p of this.projs) if (p.plastic) this.plasticity(p);
    for (const p of this.projs) if (p.syn?.def.onPost.length && p.tgt.nSpikes > 0) this.synapseCall(p, n, 'onPost');
    for (const p of this.projs) if (p.syn?.def.onStep.length) this.synapseCall(p, n, 'onStep');
    for (const pop of this.popList) {
      const g = phased(pop);
      if (g) phase(pop, g, 'reset');
    }
    for (const pop of this.popList) this.drainRings(pop, n);
  }

  /**
   * A synapse model's on_pre for the spikes that arrive at step n, as Brian2 runs it: when the delay
   * has passed (t, the event-driven variables and the _post values it reads are those of the arrival
   * step). Without a delay, this step's spikes; else this step's spikes go into the projection's
   * history and those sent d steps ago run on their synapses of delay d, the earliest sent first.
   */
  private arrivals(p: ProjRuntime, n: number): void {
    const rt = p.syn!;
    // No on_pre: nothing runs when spikes arrive (and no history or delay order was kept for it).
    if (rt.def.onPre.length === 0) return;
    const { src } = p;
    const L = rt.historyLen;
    if (L === 0) {
      if (src.nSpikes > 0) this.synapseCall(p, n, 'onPre', src.spikes, 0, src.nSpikes, 0);
      return;
    }
    const h = rt.history;
    const stride = src.spec.size + 1;
    const at = (n % L) * stride;
    h[at] = src.nSpikes;
    for (let s = 0; s < src.nSpikes; s++) h[at + 1 + s] = src.spikes[s];
    const { delays, delaySteps, maxDelay } = p.c;
    const [first, last] = delays === null ? [delaySteps, delaySteps] : [maxDelay, 0];
    for (let d = first; d >= last; d--) {
      if (d > n) continue;
      const slot = ((n - d) % L) * stride;
      if (h[slot] > 0) this.synapseCall(p, n, 'onPre', h, slot + 1, h[slot], d);
    }
  }

  /** Runs a synapse model's generated code for one phase of step n (engine/backends/synapses.ts). */
  private synapseCall(
    p: ProjRuntime,
    n: number,
    phase: 'onPre' | 'onPost' | 'clock' | 'summed' | 'onStep',
    spikes?: Uint32Array,
    from = 0,
    count = 0,
    d = 0,
  ): void {
    const { tgt } = p;
    let call = p.synCall;
    if (!call || call.epoch !== this.epoch || call.generation !== (this.arena?.generation ?? 0)) call = p.synCall = this.synapseContext(p);
    // Modulator levels change every step; which modulators exist, only with an edit.
    const mod = call.ctx.mod;
    for (const m of this.mods) mod[m.spec.name] = m.level;
    const fns = call.fns;
    if (phase === 'onPre') fns.onPre(call.ctx, spikes!, from, count, n, d);
    else if (phase === 'onPost') fns.onPost(call.ctx, tgt.spikes, 0, tgt.nSpikes, n);
    else fns[phase](call.ctx, n);
  }

  /**
   * What a synapse model's generated code reads: the projection's and the neurons' arrays (views that
   * an edit or the arena's growth replaces), parameters and propagators, and its functions for how
   * the populations hold their variables. Built again when `epoch` or the arena's generation moved.
   */
  private synapseContext(p: ProjRuntime): NonNullable<ProjRuntime['synCall']> {
    const rt = p.syn!;
    const { src, tgt, c } = p;
    // Own properties only: a parameter may be called toString or constructor.
    for (const sm of rt.def.summed)
      if (sm.target !== 'I_ext' && !Object.hasOwn(tgt.state.vars, sm.target))
        this.addVariable(tgt, sm.target, new Float64Array(tgt.spec.size));
    // Views taken after every addVariable: a later one may grow the memory and make the earlier views again.
    const summedTargets: Record<string, Float64Array> = {};
    for (const sm of rt.def.summed) summedTargets[sm.target] = sm.target === 'I_ext' ? tgt.state.iext : tgt.state.vars[sm.target];
    const ctx: SynapseContext = {
      rowPtr: c.rowPtr,
      targets: c.targets,
      weights: c.weights,
      delays: c.delays,
      delaySteps: c.delaySteps,
      preIdx: rt.preIdx,
      postPtr: rt.postPtr,
      postSyn: rt.postSyn,
      byDelay: rt.byDelay,
      last: rt.last,
      S: rt.S,
      p: c.spec.synapse.params ?? {},
      dt: this.dt,
      pre: neuronView(src.state, src.spec.params),
      post: neuronView(tgt.state, tgt.spec.params),
      chan: { ie: tgt.state.ie, ii: tgt.state.ii, ge: tgt.state.ge, gi: tgt.state.gi },
      mod: Object.fromEntries(this.mods.map((m) => [m.spec.name, m.level])),
      summedTargets,
      rng: rt.rng,
      linear: synapseLinear(rt.def, c.spec.synapse.params ?? {}, this.dt),
    };
    const modulators = new Set(this.mods.map((m) => m.spec.name));
    const kernels = this.k
      ? synapseKernels(rt, ctx, modulators, { samePopulation: src === tgt, memory: this.arena!.memory, expTable: this.expTableOffset() })
      : null;
    const fns = kernels && 'onPre' in kernels ? kernels : synapseFunctions(rt, ctx, modulators);
    // Read after addVariable, which moves the epoch (and may grow the arena).
    return {
      ctx,
      fns,
      epoch: this.epoch,
      generation: this.arena?.generation ?? 0,
      wasm: fns === kernels,
      why: kernels && 'why' in kernels ? kernels.why : '',
    };
  }

  private plasticity(p: ProjRuntime): void {
    const spec = p.c.spec.plasticity!;
    let lrScale = 1;
    let level = 0;
    for (const m of this.mods) {
      for (const t of m.spec.targets)
        if (t.effect === 'learning_rate' && t.projection === p.c.spec.name) lrScale += t.sensitivity * m.level;
      if (spec.modulator === m.spec.name) level = m.level;
    }
    plasticityStep(
      p.plastic!,
      p.c.rowPtr,
      p.c.targets,
      p.c.weights,
      p.src.spikes,
      p.src.nSpikes,
      p.tgt.spikes,
      p.tgt.nSpikes,
      this.dt,
      Math.max(0, lrScale),
      level,
    );
  }

  private drainRings(pop: PopRuntime, n: number): void {
    if (pop.ringLen <= 1) return;
    if (this.k) {
      for (const a of this.drainArgs(pop, n, 0, pop.spec.size)) this.k.drain(a[0], a[1], a[2], a[3]);
      return;
    }
    const size = pop.spec.size;
    const off = (n % pop.ringLen) * size;
    for (const ch of CHANNELS) {
      const ring = pop.rings[ch];
      if (!ring) continue;
      const dest = pop.state[ch];
      for (let i = 0; i < size; i++) {
        const x = ring[off + i];
        if (x !== 0) {
          dest[i] += x;
          ring[off + i] = 0;
        }
      }
    }
  }

  private advanceModulators(): void {
    for (const m of this.mods) {
      const drive = modulatorDrive(m.spec, this.inputValues);
      let kick = 0;
      for (const s of m.spec.sources) if (s.kind === 'population') kick += s.gain * this.pops.get(s.population)!.nSpikes;
      m.level = drive + (m.level - drive) * Math.exp(-this.dt / m.spec.tau) + kick;
    }
  }

  private updateOutputs(): void {
    for (const o of this.outs) {
      if (o.spec.measure !== 'rate') continue;
      const inst = (o.pop.nSpikes / o.pop.spec.size) * (1000 / this.dt);
      o.rate += (inst - o.rate) * (1 - Math.exp(-this.dt / o.spec.tau));
    }
  }

  // ----- inputs and reads -----

  setInput(name: string, value: number | ArrayLike<number>): void {
    this.inputValues.set(
      name,
      checkInput(this.circuit, name, value, (p) => this.pops.get(p)!.spec.size),
    );
  }

  pulseModulator(name: string, amount: number): void {
    const m = this.mods.find((x) => x.spec.name === name);
    if (!m) throw new Error(`no modulator "${name}"`);
    m.level += amount;
  }

  modulatorLevel(name: string): number {
    const m = this.mods.find((x) => x.spec.name === name);
    if (!m) throw new Error(`no modulator "${name}"`);
    return m.level;
  }

  readOutput(name: string): number {
    const o = this.outs.find((x) => x.spec.name === name);
    if (!o) throw new Error(`no output "${name}"`);
    if (o.spec.measure === 'rate') return o.rate;
    if (o.spec.measure === 'spikes') return o.pop.nSpikes;
    return mean(o.pop.state.vars[o.pop.model.voltage!]);
  }

  private stateView(population: string, variable: string): Float64Array | undefined {
    const pop = this.pops.get(population);
    if (!pop) return undefined;
    if (variable in pop.state.vars) return pop.state.vars[variable];
    if ((CHANNELS as string[]).includes(variable)) return pop.state[variable as Channel];
    return undefined;
  }

  readState(population: string, variable: string): Float64Array {
    const v = this.stateView(population, variable);
    if (!v) throw new Error(`no state "${variable}" in population "${population}"`);
    return Float64Array.from(v);
  }

  private proj(name: string): ProjRuntime {
    const p = this.projs.find((x) => x.c.spec.name === name);
    if (!p) throw new Error(`no projection "${name}"`);
    return p;
  }

  readWeights(projection: string): Float32Array {
    return this.proj(projection).c.weights.slice();
  }

  synapseCount(projection: string): number {
    return this.proj(projection).c.targets.length;
  }

  /**
   * What runs a projection's synapse model now: its generated WebAssembly, its generated JavaScript
   * (with the reason when the kernels are WebAssembly), or null for a built-in synapse or before its
   * first step.
   */
  synapseCode(projection: string): { code: 'wasm' | 'js'; why?: string } | null {
    const p = this.proj(projection);
    if (!p.syn || !p.synCall) return null;
    if (p.synCall.wasm) return { code: 'wasm' };
    return { code: 'js', why: this.k ? p.synCall.why : 'kernels: js' };
  }

  readStructure(projection: string): { rowPtr: Uint32Array; targets: Uint32Array } {
    const c = this.proj(projection).c;
    return { rowPtr: c.rowPtr.slice(), targets: Uint32Array.from(c.targets) };
  }

  lastSpikes(population: string): Uint32Array {
    const pop = this.pops.get(population);
    if (!pop) throw new Error(`no population "${population}"`);
    return pop.spikes.slice(0, pop.nSpikes);
  }

  // ----- live edits -----

  apply(edit: ResolvedEdit, circuit: Circuit): void {
    switch (edit.kind) {
      case 'set_params':
        // rebuildLinks below takes the new parameters from the circuit.
        break;
      case 'set_weights': {
        const p = this.proj(edit.projection);
        // A synapse model whose weight has dynamics keeps a float64 master copy: set both.
        for (const w of [p.c.weights, p.syn?.S.w].filter((x) => x !== undefined)) {
          if (edit.indices === null) w.set(edit.values);
          else for (let k = 0; k < edit.indices.length; k++) w[edit.indices[k]] = edit.values[k];
        }
        break;
      }
      case 'add_population': {
        this.addPopulation(compilePopulation(edit.spec, this.seed, 0, circuit.models));
        this.recorder?.addPopulation(edit.spec.name, edit.spec.size);
        break;
      }
      case 'remove_population': {
        this.releasePopulation(this.pops.get(edit.name)!);
        this.pops.delete(edit.name);
        this.popList = [...this.pops.values()];
        const gone = this.projs.filter((p) => p.c.spec.source === edit.name || p.c.spec.target === edit.name);
        for (const p of gone) this.releaseProjection(p);
        this.projs = this.projs.filter((p) => !gone.includes(p));
        break;
      }
      case 'add_projection': {
        const specs = new Map(circuit.populations.map((p) => [p.name, p]));
        this.addProjection(edit.compiled ?? compileProjection(edit.spec, specs, this.seed, this.dt, undefined, '<live edit>'));
        break;
      }
      case 'remove_projection': {
        // Spikes already in its delay ring are still delivered, as on an axon that is cut after they left
        // (a synapse model's spikes on their way are in its own history, which goes with it: their on_pre does not run).
        const gone = this.proj(edit.name);
        this.releaseProjection(gone);
        this.projs = this.projs.filter((p) => p !== gone);
        // A parameter it summed into goes back to the population's value (unless another projection fills it).
        for (const sm of gone.syn?.def.summed ?? [])
          if (sm.target !== 'I_ext' && !this.projs.some((p) => p.tgt === gone.tgt && p.syn?.def.summed.some((x) => x.target === sm.target)))
            if (!Object.hasOwn(gone.tgt.spec.perNeuron ?? {}, sm.target)) {
              this.arena?.release(gone.tgt.state.vars[sm.target]);
              delete gone.tgt.state.vars[sm.target];
            }
        break;
      }
    }
    this.rebuildLinks(circuit);
  }

  // ----- recording and accounting -----

  configureRecording(config: RecordingConfig): void {
    this.recorder = new Recorder(config, this.dt, new Map([...this.pops].map(([k, p]) => [k, p.spec.size])), this.stepIndex);
  }

  recording(): Recording {
    if (!this.recorder) throw new Error('recording is not configured');
    return this.recorder.data;
  }

  memoryBytes(): { neurons: number; synapsesStatic: number; synapsesPlastic: number; buffers: number } {
    let neurons = 0;
    let buffers = 0;
    for (const pop of this.pops.values()) {
      const st = pop.state;
      neurons += Object.values(st.vars).reduce((a, v) => a + v.byteLength, 0);
      neurons += st.ie.byteLength * 5 + st.refrac.byteLength;
      buffers += Object.values(pop.rings).reduce((a, r) => a + (r?.byteLength ?? 0), 0) + pop.spikes.byteLength;
    }
    let synapsesStatic = 0;
    let synapsesPlastic = 0;
    for (const p of this.projs) {
      const b = synapseBytes(p.c);
      synapsesStatic += b.static;
      synapsesPlastic += b.plastic;
      if (p.plastic) buffers += p.plastic.xPre.byteLength + p.plastic.yPost.byteLength + p.plastic.postPtr.byteLength;
      // A synapse model's own per-synapse arrays: its variables, event steps and indices.
      if (p.syn) {
        const rt = p.syn;
        synapsesPlastic +=
          Object.values(rt.S).reduce((a, v) => a + v.byteLength, 0) +
          rt.last.byteLength +
          rt.preIdx.byteLength +
          rt.postSyn.byteLength +
          rt.byDelay.byteLength;
        buffers += rt.postPtr.byteLength + rt.history.byteLength;
      }
    }
    return { neurons, synapsesStatic, synapsesPlastic, buffers };
  }

  /** Resolves once the kernel thread (if any) runs: a page must await it before the first step. */
  async whenReady(): Promise<void> {
    await this.thread?.whenStarted();
  }

  dispose(): void {
    this.thread?.dispose();
    this.thread = null;
    this.anySplit = false;
    this.pops.clear();
    this.popList = [];
    this.projs = [];
  }
}

function addInput(dest: Float64Array, v: number | Float64Array | undefined, gain: number): void {
  if (v === undefined) return;
  if (typeof v === 'number') {
    const x = v * gain;
    for (let i = 0; i < dest.length; i++) dest[i] += x;
  } else for (let i = 0; i < dest.length; i++) dest[i] += v[i] * gain;
}
