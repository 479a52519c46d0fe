// The WebGPU backend: the CPU reference's step (engine/backends/cpu.ts, same phase order) as WGSL
// kernels in shaders/, float32 state, run through Dawn (npm `webgpu`) on any Vulkan/Metal/D3D12/GL adapter.
//
// Per step, in one compute pass: begin (spike counts cleared, modulator effects), one neuron update per
// model family, args (work sizes from the spike counts, on the GPU), propagate (indirect), the STDP
// passes when a projection is plastic, drain (ring slot into the channels), advance (modulators,
// outputs, readback rows, step counter). Steps are encoded in chunks; each chunk ends with one copy of
// what outputs and recordings need (spike counts, recorded spike indices, probe values, outputs and
// modulator levels) into a staging buffer, mapped while the next chunk already runs.
//
// Models defined by equations (the circuit's `models:`) are one more family each, after the built-ins:
// their modelStep is generated from the definition (engine/equations/codegen-wgsl.ts), their parameters
// that vary per neuron live in state slots after the model's variables.
//
// Synapse models defined by equations (kind: synapse) run their generated kernels (engine/equations/
// codegen-synapse-wgsl.ts, one module per projection): summed before the neuron updates, clock after
// them, on_pre after propagation (which skips their projections: their row pointers there are empty;
// a delayed projection's pre_hist first keeps this step's spikes, on_pre runs on those arriving),
// on_post after the STDP passes, all before drain, as on the CPU. With synapse models the CPU steps
// models defined by equations in Brian2's order (reset after the synapses), so here their modelStep
// leaves the reset to a reset kernel (shaders/reset.wgsl) that runs after on_post. Their per-synapse
// variables live in pl, their index arrays, event steps and spike history in col, their records in
// prm (see synapse-models.ts).
//
// Differences from the CPU reference, by design: float32 state; Poisson draws come from a
// counter-based generator (statistically equal, not the same numbers); spike order within a step is
// arbitrary on the GPU and sorted when read back.
import type { Circuit, PopulationSpec } from '../../circuit/circuit.js';
import {
  compilePopulation,
  compileProjection,
  perNeuronParams,
  type CompiledPopulation,
  type CompiledProjection,
  type Network,
} from '../../compile/compiler.js';
import { takesRateInputs, type NeuronModel } from '../../models/model.js';
import { MODELS } from '../../models/registry.js';
import { isFamily } from '../../models/family.js';
import { buildPostIndex } from '../../plasticity/stdp.js';
import { Recorder, type Recording, type RecordingConfig } from '../../recorder.js';
import { integratesConductance, type Backend, type ResolvedEdit } from '../backend.js';
import { channelOf } from '../cpu.js';
import { checkInput, modulatorDrive } from '../inputs.js';
import type { GpuContext } from './gpu.js';
import { STORAGE_BUFFERS } from './gpu.js';
import { chooseStepping, residentThreads, type GpuStepping } from './stepping.js';
import { generatedNeuronSource, generatedResetSource, kernelSource, residentSource, synapseModuleSource } from './shaders.js';
import type { SynapseDefinition } from '../../equations/synapse-definition.js';
import { initialValues, plBlocks } from '../../equations/codegen-synapse-wgsl.js';
import {
  createSynHost,
  summedParameters,
  synapseCode,
  synapseRecord,
  writtenChannels,
  type SynHost,
  type SynPop,
} from './synapse-models.js';
import type { ModelDefinition } from '../../equations/model-definition.js';
import { NEURON_HELPERS, checkFits, wgslModel, type WgslModel } from '../../equations/codegen-wgsl.js';
import {
  ARRAYS,
  ARRAY_AT,
  BIND,
  C,
  CHANNELS,
  H,
  HEADER,
  L,
  LSTRIDE,
  NONE,
  P,
  PRSTRIDE,
  PSTRIDE,
  R,
  W_PFX,
  MODEL_WORDS,
  Words,
  placeArrays,
  streamKey,
  type ArrayName,
  type BindingName,
  type Channel,
} from './layout.js';

export interface WebGpuOptions {
  /** Most steps encoded before results are read back (default 256; fewer when many neurons are recorded). */
  chunkSteps?: number;
  /** Destroy the device on dispose (default true; false when the device is shared, as in tests). */
  ownsDevice?: boolean;
  /** How steps reach the GPU (stepping.ts): default 'auto'. */
  stepping?: GpuStepping;
  /** Threads of the resident workgroup (a power of two, 256 to the device's most; default the most). */
  residentThreads?: number;
}

/** Spike records (pairs) one chunk may hold at most, per rec buffer: bounds the chunk length when recording. */
const REC_BUDGET = 1 << 21;
/** Spike records copied with every chunk; more are fetched with a second copy. */
const REC_PREFIX = 1 << 14;

interface PopHost {
  spec: PopulationSpec;
  model: NeuronModel;
  /** A model defined by equations: its kernel and constants (null for a built-in family). */
  gm: WgslModel | null;
  /** Index of the population's model family (built-ins, then the circuit's models). */
  family: number;
  n: number;
  index: number;
  offset: number;
  stateBase: number;
  /** State slots: the model's variables, then (models defined by equations) its parameters that vary per neuron. */
  vars: string[];
  ringLen: number;
  ringChannels: Set<Channel>;
  ringBase: Record<Channel, number>;
  conductance: boolean;
  /** Initial state until the population's first upload. */
  init: CompiledPopulation['init'] | null;
  /** First source record in prm and how many. */
  sources: readonly [number, number];
  /** pl index of the external current of sources and inputs when a synapse model sums into I_ext, else NONE. */
  iextBase: number;
  /** Where the population's data lies in the buffers now on the GPU (null before its first upload). */
  placed: {
    index: number;
    offset: number;
    stateBase: number;
    ringLen: number;
    ringBase: Record<Channel, number>;
    vars: string[];
    /** The per-neuron parameters whose values the slots hold. */
    perNeuron: PopulationSpec['perNeuron'];
  } | null;
}

/** A model family: one neuron kernel, generated from a definition (a built-in variant or the circuit's model). */
interface Family {
  name: string;
  def: ModelDefinition;
}

interface PlasticHost {
  index: number;
  x: number;
  y: number;
  elig: number;
  pairBase: number;
  colPtrBase: number;
  maxCol: number;
  postPtr: Uint32Array;
  pairs: Uint32Array;
}

interface ProjHost {
  c: CompiledProjection;
  index: number;
  src: PopHost;
  tgt: PopHost;
  channel: Channel;
  maxRow: number;
  /** The shortest delay of its synapses, in steps (Infinity without synapses). */
  minDelay: number;
  rowBase: number;
  synBase: number;
  dlyBase: number;
  plastic: PlasticHost | null;
  /** A synapse model defined by equations (null: a built-in synapse). */
  sm: SynHost | null;
  /**
   * Where the projection's weights (and plastic traces) lie in the buffers now on the GPU, as
   * PopHost.placed does for populations; null before its first upload.
   */
  placed: { syn: number; x: number; y: number; elig: number; smVars: number; smLast: number; smHist: number; smHistWords: number } | null;
}

interface Probe {
  population: string;
  variable: string;
  index: number;
}

interface Layout {
  words: Uint32Array;
  neurons: number;
  stWords: number;
  ringWords: number;
  synapses: number;
  rows: number;
  dlyWords: number;
  plWords: number;
  colWords: number;
  /** rowPtr index of a region of zeros (src.n + 1 at least): the rows propagate.wgsl sees for synapse-model projections. */
  emptyRows: number;
  workWords: number;
  recCap: number;
  chunkMax: number;
  fWords: number;
  fLevel: number;
  fDrive: number;
  fPulse: number;
  fOut: number;
  probes: Probe[];
  families: Family[];
  familyNeurons: number[];
  eligTotal: number;
  traceTotal: number;
  /** The most work one step of propagation and of the STDP passes can have (every neuron spiking). */
  workUpper: { propagate: number; pre: number; post: number };
}

/** An array the kernels index (layout.ts ARRAYS): the buffer of its binding, where it starts there, its words. */
interface Region {
  buf: GPUBuffer;
  at: number;
  words: number;
}

/** Every array's region, the buffers of the bindings, and the second spike-record buffer (chunks alternate). */
type Bufs = Record<ArrayName, Region> & { bindings: Record<BindingName, GPUBuffer>; rec2: Region };

interface Chunk {
  steps: number;
  firstStep: number;
  parity: number;
  staging: GPUBuffer;
  map: Promise<void>;
  recCopied: number;
}

/** Most projections whose work sums propagate.wgsl adds up itself (its LOCAL_PROJ). */
const LOCAL_PROJ = 256;

/** What encoding steps uses of a compute pass (a counting one stands in for it in dispatchesPerStep). */
type StepEncoder = Pick<GPUComputePassEncoder, 'setPipeline' | 'setBindGroup' | 'dispatchWorkgroups'>;

/** Bytes staged per writeBuffer when uploading shared memory (a multiple of 4). */
const STAGING_BYTES = 16 * 2 ** 20;

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly dt: number;
  stepIndex = 0;
  /** The adapter, in one line. */
  readonly adapter: string;
  private readonly ctx: GpuContext;
  private readonly device: GPUDevice;
  private circuit: Circuit;
  private readonly seed: number;
  private pops: PopHost[] = [];
  private projs: ProjHost[] = [];
  private layout!: Layout;
  private bufs!: Bufs;
  private bindGroups: GPUBindGroup[] = [];
  private readonly bindLayout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  /** Most workgroups of the spike-driven kernels, which stride over their work (fewer on a software adapter). */
  private readonly gridMax: number;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly chunkSteps: number;
  private stepping: GpuStepping;
  private readonly residentThreads: number;
  private readonly ownsDevice: boolean;
  private readonly onError: (e: Event) => void;
  private parity = 0;
  private busy = false;
  private recorder: Recorder | null = null;
  private recordSpikes: (name: string) => boolean = () => false;
  private readonly inputValues = new Map<string, number | Float64Array>();
  private pendingPulse = new Map<string, number>();
  // Host mirrors, exact once step() has resolved.
  private levels = new Map<string, number>();
  private outputs = new Map<string, number>();
  private lastCounts = new Map<string, number>();
  private disposed = false;
  /** The first error the device reported outside an awaited call (validation, out of memory, lost). */
  private deviceError: string | null = null;

  static async create(net: Network, ctx: GpuContext, options: WebGpuOptions = {}): Promise<WebGpuBackend> {
    // Validation errors of the first upload and of every kernel surface here, not at a later step.
    ctx.device.pushErrorScope('validation');
    let b: WebGpuBackend | null = null;
    let failure: unknown = null;
    try {
      b = new WebGpuBackend(net, ctx, options);
      b.relayout(true);
      b.kernels();
    } catch (e) {
      failure = e;
    }
    if (b && !failure && b.stepMode() === 'resident')
      await b.checkResident().catch((e: unknown) => (failure = new Error(`webgpu backend: ${(e as Error).message}`)));
    const err = await ctx.device.popErrorScope();
    if (failure || err) {
      b?.dispose();
      if (!b && (options.ownsDevice ?? true)) ctx.device.destroy();
      throw failure ?? new Error(`webgpu backend: ${err!.message}`);
    }
    return b!;
  }

  private constructor(net: Network, ctx: GpuContext, options: WebGpuOptions) {
    this.ctx = ctx;
    this.device = ctx.device;
    this.adapter = ctx.description;
    this.dt = net.dt;
    this.circuit = net.circuit;
    this.seed = net.circuit.seed;
    this.chunkSteps = options.chunkSteps ?? 256;
    this.stepping = options.stepping ?? 'auto';
    const most = residentThreads(this.device.limits);
    const asked = options.residentThreads ?? most;
    if (!(asked >= 256 && asked <= most && Number.isInteger(Math.log2(asked))))
      throw new Error(`webgpu backend: residentThreads ${asked} is not a power of two from 256 to ${most}`);
    this.residentThreads = asked;
    this.ownsDevice = options.ownsDevice ?? true;
    this.onError = (e: Event) => (this.deviceError ??= (e as GPUUncapturedErrorEvent).error.message);
    this.device.addEventListener('uncapturederror', this.onError);
    void this.device.lost.then((info) => {
      if (!this.disposed) this.deviceError ??= `device lost: ${info.message || info.reason}`;
    });
    const entries: GPUBindGroupLayoutEntry[] = Object.values(BIND).map((binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: binding === BIND.prm ? 'read-only-storage' : 'storage' },
    }));
    if (entries.length > STORAGE_BUFFERS) throw new Error('internal: more bindings than STORAGE_BUFFERS');
    this.bindLayout = this.device.createBindGroupLayout({ entries });
    this.pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [this.bindLayout] });
    // A fixed grid instead of an indirect dispatch sized on the GPU: two fewer host calls per step
    // (no bind-group switch), at the price of idle workgroups when few spikes arrive.
    this.gridMax = ctx.software ? 16 : 1024;
    for (const cp of net.populations) this.addPop(cp);
    for (const c of net.projections) this.addProj(c);
    for (const m of net.circuit.modulators) this.levels.set(m.name, m.baseline);
    for (const o of net.circuit.outputs) {
      // Before the first step a voltage output reads the initial mean potential, as on the CPU.
      const cp = net.populations.find((p) => p.spec.name === o.source);
      const v = o.measure === 'voltage' && cp?.model.voltage ? cp.init[cp.model.voltage] : null;
      this.outputs.set(o.name, v ? v.reduce((a, x) => a + x, 0) / v.length : 0);
    }
  }

  // ----- host model of the network -----

  private addPop(cp: CompiledPopulation): void {
    const gm = this.generated(cp.spec, false);
    if (!gm)
      throw new Error(
        `model "${cp.spec.model}" has no WebGPU kernel: it has no definition to generate one from (engine/models/family.ts); use the cpu backend`,
      );
    this.pops.push({
      spec: cp.spec,
      model: cp.model,
      gm,
      family: -1,
      n: cp.spec.size,
      index: -1,
      offset: 0,
      stateBase: 0,
      vars: varsOf(cp.spec, cp.model, gm),
      ringLen: 0,
      ringChannels: new Set(),
      ringBase: { ie: NONE, ii: NONE, ge: NONE, gi: NONE },
      conductance: false,
      init: cp.init,
      sources: [0, 0],
      iextBase: NONE,
      placed: null,
    });
  }

  /** The circuit's model of that name defined by equations (it shadows a built-in of the same name). */
  private userModel(name: string): ModelDefinition | null {
    const models = this.circuit.models;
    return models && Object.hasOwn(models, name) ? models[name] : null;
  }

  /**
   * The GPU side of a population's definition: a model defined by equations, or the variant of a
   * built-in family its synapse kinds and integration choose; refused here (naming the model) when it
   * cannot run on the GPU. Null for a model without a definition (poisson).
   */
  private generated(spec: PopulationSpec, conductance: boolean): WgslModel | null {
    // By name: the circuit's model of that name, else the built-in family.
    const family = Object.hasOwn(MODELS, spec.model) ? MODELS[spec.model] : null;
    const variant =
      family && isFamily(family) ? family.definitions[family.variantFor({ integration: spec.integration, conductance })] : null;
    const def = this.userModel(spec.model) ?? variant;
    if (!def) return null;
    const gm = wgslModel(def);
    checkFits(gm, MODEL_WORDS);
    gm.source();
    return gm;
  }

  /** The built-in variants in use, then the circuit's models defined by equations. */
  private families(): Family[] {
    const builtins = [...new Set(this.pops.map((p) => p.gm!.def).filter((d) => !this.isUserModel(d)))];
    return [
      ...builtins.map((def) => ({ name: def.name, def })),
      ...Object.entries(this.circuit.models ?? {}).map(([name, def]) => ({ name, def })),
    ];
  }

  private isUserModel(def: ModelDefinition): boolean {
    return Object.values(this.circuit.models ?? {}).includes(def);
  }

  private addProj(c: CompiledProjection): void {
    const src = this.pop(c.spec.source);
    const tgt = this.pop(c.spec.target);
    const channel = channelOf(c.spec.synapse);
    let maxRow = 0;
    for (let i = 0; i < src.n; i++) maxRow = Math.max(maxRow, c.rowPtr[i + 1] - c.rowPtr[i]);
    const sm = c.spec.synapse.model !== undefined ? createSynHost(this.synapseModel(c.spec.synapse.model), c, src.n, tgt.n, maxRow) : null;
    tgt.ringLen = Math.max(tgt.ringLen, c.maxDelay + 1);
    tgt.ringChannels.add(channel);
    // Every channel a synapse model adds to arrives through the target's ring, as propagated weights do.
    for (const ch of sm ? writtenChannels(sm.def) : []) tgt.ringChannels.add(ch);
    let plastic: PlasticHost | null = null;
    if (c.spec.plasticity) {
      const { postPtr, postSyn } = buildPostIndex(c.rowPtr, c.targets, tgt.n);
      const pairs = new Uint32Array(postSyn.length * 2);
      // Presynaptic neuron of each synapse in column order (the post pass needs it; the CPU searches rowPtr).
      for (let i = 0; i < src.n; i++) for (let k = c.rowPtr[i]; k < c.rowPtr[i + 1]; k++) pairs[2 * k + 1] = i;
      const pre = pairs.slice();
      for (let q = 0; q < postSyn.length; q++) {
        pairs[2 * q] = postSyn[q];
        pairs[2 * q + 1] = pre[2 * postSyn[q] + 1];
      }
      let maxCol = 0;
      for (let j = 0; j < tgt.n; j++) maxCol = Math.max(maxCol, postPtr[j + 1] - postPtr[j]);
      plastic = { index: -1, x: 0, y: 0, elig: NONE, pairBase: 0, colPtrBase: 0, maxCol, postPtr, pairs };
    }
    let minDelay = c.targets.length > 0 ? c.delaySteps : Infinity;
    if (c.delays) {
      minDelay = Infinity;
      for (let k = 0; k < c.delays.length && minDelay > 0; k++) minDelay = Math.min(minDelay, c.delays[k]);
    }
    this.projs.push({
      c,
      index: -1,
      src,
      tgt,
      channel,
      maxRow,
      minDelay,
      rowBase: 0,
      synBase: 0,
      dlyBase: NONE,
      plastic,
      sm,
      placed: null,
    });
  }

  private synapseModel(name: string): SynapseDefinition {
    const models = this.circuit.synapseModels;
    if (!models || !Object.hasOwn(models, name)) throw new Error(`no synapse model "${name}"`);
    return models[name];
  }

  /** State slots of a population: its model's, its per-neuron parameters', and the parameters synapse models sum into. */
  private varsFor(p: PopHost): string[] {
    const summed = summedParameters(this.projs.filter((q) => q.tgt === p && q.sm).map((q) => q.sm!.def));
    return varsOf(p.spec, p.model, p.gm, summed);
  }

  /** A population as the synapse-model records see it. */
  private synPop(p: PopHost): SynPop {
    return { spec: p.spec, n: p.n, stateBase: p.stateBase, vars: p.vars, def: p.gm?.def ?? null };
  }

  private pop(name: string): PopHost {
    const p = this.pops.find((x) => x.spec.name === name);
    if (!p) throw new Error(`no population "${name}"`);
    return p;
  }

  private proj(name: string): ProjHost {
    const p = this.projs.find((x) => x.c.spec.name === name);
    if (!p) throw new Error(`no projection "${name}"`);
    return p;
  }

  // ----- layout -----

  /**
   * The words the kernels read (header, population, source, family, projection, plasticity, modulator,
   * output and probe records) and the sizes of every buffer, for the populations and projections now.
   */
  private buildLayout(): Layout {
    // A built-in family's variant follows the synapse kinds that reach the population; slots follow the
    // projections too (parameters that synapse models sum into).
    for (const p of this.pops) {
      p.conductance = integratesConductance(p.spec, this.circuit, p.conductance);
      p.gm = this.generated(p.spec, p.conductance);
      if (p.gm) p.vars = this.varsFor(p);
    }
    const sizes = { ...this.placePopulations(), ...this.placeProjections() };
    // With synapse models, resets run apart: a model whose reset the GPU cannot run so is refused here.
    if (this.phased()) for (const p of this.pops) p.gm?.resetSource();
    // Generated for how both populations hold what the model reads: a refusal names model and reason.
    for (const q of this.projs)
      if (q.sm)
        q.sm.code = synapseCode(
          q.sm,
          this.synPop(q.src),
          this.synPop(q.tgt),
          this.circuit.modulators.map((m) => m.name),
        );
    const recording = this.planRecording();
    const w = new Words();
    w.reserve(HEADER);
    const { families, familyNeurons } = this.writePopulations(w);
    this.writeProjections(w, sizes.plastic, sizes.emptyRows);
    this.writeModulators(w);
    this.writeOutputsAndProbes(w, recording.probes);
    const f = this.writeFloatGlobals(w);
    w.setU(H.NEURONS, sizes.neurons);
    w.setU(H.RECCAP, recording.recCap);
    w.setU(H.SEED, this.seed);
    w.setF(H.DT, this.dt);
    const { dly16, plastic, ...placed } = sizes;
    const layout: Layout = {
      ...placed,
      ...recording,
      ...f,
      words: w.finish(),
      dlyWords: Math.ceil(dly16 / 2),
      workWords: W_PFX + this.projs.length + 1 + 2 * (plastic + 1),
      families,
      familyNeurons,
      workUpper: {
        propagate: this.projs.reduce((a, q) => a + q.src.n * Math.max(q.maxRow, 1), 0),
        pre: this.projs.reduce((a, q) => a + (q.plastic ? q.src.n * Math.max(q.maxRow, 1) : 0), 0),
        post: this.projs.reduce((a, q) => a + (q.plastic ? q.tgt.n * Math.max(q.plastic.maxCol, 1) : 0), 0),
      },
    };
    this.writeArrayStarts(layout);
    return layout;
  }

  /** Storage order: populations by index, each owning [offset, offset + n) and its state and ring regions. */
  private placePopulations(): { neurons: number; stWords: number; ringWords: number } {
    let neurons = 0;
    let stWords = 0;
    let ringWords = 0;
    this.pops.forEach((p, i) => {
      p.index = i;
      p.offset = neurons;
      neurons += p.n;
      p.stateBase = stWords;
      stWords += (p.vars.length + 5) * p.n;
      for (const ch of CHANNELS) {
        if (p.ringChannels.has(ch)) {
          p.ringBase[ch] = ringWords;
          ringWords += p.ringLen * p.n * 2;
        } else p.ringBase[ch] = NONE;
      }
      p.conductance = integratesConductance(p.spec, this.circuit, p.conductance);
    });
    return { neurons, stWords, ringWords };
  }

  /** Projections by index: rows, synapses, delays (u16, two per word), plastic traces and column indices. */
  private placeProjections() {
    let rows = 0;
    let synapses = 0;
    let dly16 = 0;
    let plWords = 0;
    let pairs = 0;
    let plastic = 0;
    let eligTotal = 0;
    let traceTotal = 0;
    this.projs.forEach((q, i) => {
      q.index = i;
      q.rowBase = rows;
      rows += q.src.n + 1;
      q.synBase = synapses;
      synapses += q.c.targets.length;
      if (q.c.delays) {
        // Even start: a projection's delays never share a u32 word with another's.
        dly16 += dly16 & 1;
        q.dlyBase = dly16;
        dly16 += q.c.targets.length;
      } else q.dlyBase = NONE;
      const pl = q.plastic;
      if (pl) {
        pl.index = plastic++;
        pl.x = plWords;
        plWords += q.src.n;
        pl.y = plWords;
        plWords += q.tgt.n;
        traceTotal += q.src.n + q.tgt.n;
        if (q.c.spec.plasticity!.rule === 'reward_stdp') {
          pl.elig = plWords;
          plWords += q.c.targets.length;
          eligTotal += q.c.targets.length;
        } else pl.elig = NONE;
        pl.pairBase = pairs;
        pairs += q.c.targets.length;
      }
    });
    let colWords = pairs * 2;
    for (const q of this.projs) {
      if (!q.plastic) continue;
      q.plastic.colPtrBase = colWords;
      colWords += q.tgt.n + 1;
    }
    const sm = this.placeSynapseModels(plWords, colWords);
    const emptyRows = rows;
    rows += sm.emptyRows;
    return { rows, synapses, dly16, plWords: sm.plWords, plastic, eligTotal, traceTotal, colWords: sm.colWords, emptyRows };
  }

  /**
   * Synapse models: variables in pl, then each summed-into target's external current; presynaptic
   * neurons, event steps and the index by target in col. Returns the new ends and the empty rows needed.
   */
  private placeSynapseModels(plWords: number, colWords: number): { plWords: number; colWords: number; emptyRows: number } {
    let emptyRows = 0;
    for (const p of this.pops) p.iextBase = NONE;
    for (const q of this.projs) {
      const h = q.sm;
      if (!h) continue;
      const nsyn = q.c.targets.length;
      emptyRows = Math.max(emptyRows, q.src.n + 1);
      h.vars = plWords;
      plWords += plBlocks(h.def) * nsyn;
      h.firstIext = false;
      h.iext = NONE;
      if (h.def.summed.some((x) => x.target === 'I_ext')) {
        if (q.tgt.iextBase === NONE) {
          q.tgt.iextBase = plWords;
          plWords += q.tgt.n;
          h.firstIext = true;
        }
        h.iext = q.tgt.iextBase;
      }
      h.pre = colWords;
      colWords += nsyn;
      h.last = h.def.eventDriven.length ? colWords : NONE;
      if (h.def.eventDriven.length) colWords += nsyn;
      h.postPtrAt = h.postPtr.length ? colWords : NONE;
      colWords += h.postPtr.length;
      h.postSynAt = h.postPtr.length ? colWords : NONE;
      colWords += h.postSyn.length;
      h.hist = h.histLen ? colWords : NONE;
      colWords += h.histLen * (q.src.n + 1);
    }
    return { plWords, colWords, emptyRows };
  }

  /** Readback rows and recording: the probes sampled, and the chunk length the spike records allow. */
  private planRecording(): { probes: Probe[]; chunkMax: number; recCap: number } {
    const probes: Probe[] = [];
    for (const pr of this.recorder?.config.state ?? []) {
      const pop = this.pops.find((p) => p.spec.name === pr.population);
      if (!pop || this.slotOf(pop, pr.variable) < 0) continue;
      const indices = pr.indices ?? Array.from({ length: Math.min(pop.n, 10) }, (_, i) => i);
      for (const index of indices) probes.push({ population: pr.population, variable: pr.variable, index });
    }
    const recorded = this.recorder ? this.pops.filter((p) => this.recordSpikes(p.spec.name)).reduce((a, p) => a + p.n, 0) : 0;
    const chunkMax = Math.max(1, Math.min(this.chunkSteps, recorded > 0 ? Math.floor(REC_BUDGET / recorded) : this.chunkSteps));
    return { probes, chunkMax, recCap: recorded * chunkMax };
  }

  /** Population records, their starts, their sources, and the model families with cumulative starts. */
  private writePopulations(w: Words): { families: Family[]; familyNeurons: number[] } {
    const dt = this.dt;
    const families = this.families();
    for (const p of this.pops) p.family = families.findIndex((f) => f.def === p.gm!.def);
    w.setU(H.NPOPS, this.pops.length);
    w.setU(H.POP0, w.length);
    const popRec = this.pops.map(() => w.reserve(PSTRIDE));
    w.setU(H.STARTS0, w.length);
    for (const p of this.pops) w.u(p.offset);
    // Sources per population.
    w.setU(H.SRC0, w.length);
    const srcRanges = this.pops.map((p) => {
      const start = w.length;
      const sources = this.circuit.sources.filter((s) => s.target === p.spec.name);
      const stepLists: [number, (typeof sources)[number]][] = [];
      for (const s of sources) {
        if (s.type === 'constant') {
          w.u(0);
          w.f(s.amplitude);
          w.u(0);
          w.u(0);
        } else if (s.type === 'step') stepLists.push([w.reserve(4), s]);
        else {
          w.u(2);
          w.f(s.count * s.rate * (dt / 1000));
          w.f(s.weight);
          w.u(CHANNELS.indexOf(channelOf(s.synapse)));
        }
      }
      for (const [at, s] of stepLists) {
        if (s.type !== 'step') continue;
        w.setU(at, 1);
        w.setU(at + 1, w.length);
        w.setU(at + 2, s.times.length);
        // Whole steps, as the CPU compares them, so "100 ms" starts exactly at step 100/dt.
        s.times.forEach((t, k) => (w.u(Math.round(t / dt)), w.f(s.amplitudes[k])));
      }
      return [start, sources.length] as const;
    });
    this.pops.forEach((p, i) => {
      p.sources = srcRanges[i];
      const rec = this.popRecord(p);
      for (let k = 0; k < PSTRIDE; k++) w.setU(popRec[i] + k, rec[k]);
    });
    // Model families: the populations of each, with cumulative starts.
    w.setU(H.FAM0, w.length);
    const famRec = w.reserve(4 * families.length);
    w.setU(H.NFAM, families.length);
    const familyNeurons = families.map((_, f) => {
      const members = this.pops.filter((p) => p.family === f);
      w.setU(famRec + 4 * f, w.length);
      w.setU(famRec + 4 * f + 1, members.length);
      let total = 0;
      for (const p of members) {
        w.u(p.index);
        w.u(total);
        total += p.n;
      }
      w.setU(famRec + 4 * f + 2, total);
      return total;
    });
    return { families, familyNeurons };
  }

  /** Projection records, then the plasticity records of the plastic ones. */
  private writeProjections(w: Words, plastic: number, emptyRows: number): void {
    const dt = this.dt;
    w.setU(H.NPROJ, this.projs.length);
    w.setU(H.PROJ0, w.length);
    const records = this.projs.map(() => w.reserve(PRSTRIDE));
    for (const q of this.projs) {
      const r = records[q.index];
      w.setU(r + R.SRC, q.src.index);
      w.setU(r + R.TGT, q.tgt.index);
      // A synapse model's spikes are its on_pre kernel's: propagate.wgsl finds only empty rows (one thread per spike).
      w.setU(r + R.ROWBASE, q.sm ? emptyRows : q.rowBase);
      w.setU(r + R.MAXROW, q.sm ? 0 : q.maxRow);
      w.setU(r + R.SM, NONE);
      w.setU(r + R.RING, q.tgt.ringBase[q.channel]);
      w.setU(r + R.DMODE, q.c.delays ? 1 : 0);
      w.setU(r + R.DCONST, q.c.delaySteps);
      w.setU(r + R.DLY, q.dlyBase);
      w.setU(r + R.SYN, q.synBase);
    }
    w.setU(H.NPLASTIC, plastic);
    w.setU(H.PLAST0, w.length);
    for (const q of this.projs) {
      const pl = q.plastic;
      if (!pl) continue;
      const s = q.c.spec.plasticity!;
      const r = w.reserve(LSTRIDE);
      w.setU(r + L.PROJ, q.index);
      w.setU(r + L.X, pl.x);
      w.setU(r + L.Y, pl.y);
      w.setU(r + L.COLPTR, pl.colPtrBase);
      w.setU(r + L.MAXCOL, pl.maxCol);
      w.setU(r + L.ELIG, pl.elig);
      w.setU(r + L.FLAGS, (s.bounds === 'soft' ? 1 : 0) | (s.update === 'multiplicative' ? 2 : 0) | (s.pairing === 'all' ? 4 : 0));
      w.setF(r + L.APLUS, s.aPlus * s.wMax);
      w.setF(r + L.AMINUS, s.aMinus);
      w.setF(r + L.WMAX, s.wMax);
      w.setF(r + L.WMIN, s.wMin);
      w.setF(r + L.DPLUS, Math.exp(-dt / s.tauPlus));
      w.setF(r + L.DMINUS, Math.exp(-dt / s.tauMinus));
      w.setF(r + L.EDECAY, Math.exp(-dt / s.tauEligibility));
      w.setF(r + L.LRDT, s.learningRate * (dt / 1000));
      const m = s.modulator ? this.circuit.modulators.findIndex((x) => x.name === s.modulator) : -1;
      w.setU(r + L.MOD, m < 0 ? NONE : m);
      w.setU(r + L.NPRE, q.src.n);
      w.setU(r + L.NPOST, q.tgt.n);
      w.setU(r + L.NSYN, q.c.targets.length);
    }
    for (const q of this.projs) {
      if (!q.sm) continue;
      const rec = this.synapseRecord(q);
      q.sm.rec = w.length;
      w.setU(records[q.index] + R.SM, q.sm.rec);
      for (const x of rec) w.u(x);
    }
  }

  /** The words of a synapse-model projection's record (where its data lie, its parameters, what it reads). */
  private synapseRecord(q: ProjHost): Uint32Array {
    return synapseRecord(q.sm!, {
      src: this.synPop(q.src),
      tgt: this.synPop(q.tgt),
      params: q.c.spec.synapse.params ?? {},
      dt: this.dt,
      modulators: this.circuit.modulators.map((m) => m.name),
      nsyn: q.c.targets.length,
      rowBase: q.rowBase,
      maxRow: q.maxRow,
      rng: streamKey(this.seed, `synapses:${q.c.spec.name}`),
    });
  }

  /** Rewrites the records of the synapse models that read a population (its parameters changed). */
  private uploadSynapseRecords(p: PopHost): void {
    for (const q of this.projs) {
      if (!q.sm || (q.src !== p && q.tgt !== p)) continue;
      const rec = this.synapseRecord(q);
      this.layout.words.set(rec, q.sm.rec);
      this.write(this.bufs.prm, q.sm.rec, rec);
    }
  }

  /** Modulators: decay, spike kicks (population, gain), targets (effect, index, sensitivity). */
  private writeModulators(w: Words): void {
    const modulators = this.circuit.modulators;
    w.setU(H.NMODS, modulators.length);
    w.setU(H.MOD0, w.length);
    const modRec = modulators.map(() => w.reserve(8));
    modulators.forEach((m, i) => {
      const r = modRec[i];
      w.setF(r, Math.exp(-this.dt / m.tau));
      const kicks = m.sources.filter((s) => s.kind === 'population');
      w.setU(r + 1, w.length);
      w.setU(r + 2, kicks.length);
      for (const s of kicks) {
        if (s.kind !== 'population') continue;
        w.u(this.pop(s.population).index);
        w.f(s.gain);
      }
      const targets = m.targets.filter((t) =>
        t.population ? this.pops.some((p) => p.spec.name === t.population) : this.projs.some((q) => q.c.spec.name === t.projection),
      );
      w.setU(r + 3, w.length);
      w.setU(r + 4, targets.length);
      for (const t of targets) {
        const kind = ['gain', 'threshold', 'excitability', 'learning_rate'].indexOf(t.effect);
        w.u(kind);
        w.u(t.population ? this.pop(t.population).index : this.proj(t.projection!).index);
        w.f(t.sensitivity);
      }
    });
  }

  /** Output records, then the state word of each sampled neuron (probes). */
  private writeOutputsAndProbes(w: Words, probes: Probe[]): void {
    w.setU(H.NOUTS, this.circuit.outputs.length);
    w.setU(H.OUT0, w.length);
    for (const o of this.circuit.outputs) {
      const pop = this.pop(o.source);
      w.u(['rate', 'spikes', 'voltage'].indexOf(o.measure));
      w.u(pop.index);
      w.f(1 - Math.exp(-this.dt / o.tau));
      w.u(pop.model.voltage ? pop.vars.indexOf(pop.model.voltage) : 0);
    }
    w.setU(H.PROBE0, w.length);
    w.setU(H.NPROBE, probes.length);
    for (const pr of probes) {
      const pop = this.pop(pr.population);
      w.u(pop.stateBase + this.slotOf(pop, pr.variable) * pop.n + pr.index);
    }
  }

  /** Float globals (fl): modulator levels, drives, pulses, effects, learning rates, gates, outputs. */
  private writeFloatGlobals(w: Words): Pick<Layout, 'fWords' | 'fLevel' | 'fDrive' | 'fPulse' | 'fOut'> {
    const nm = this.circuit.modulators.length;
    const fLevel = 0;
    const fDrive = nm;
    const fPulse = 2 * nm;
    const fEff = 3 * nm;
    const fLr = fEff + 3 * this.pops.length;
    const fGate = fLr + this.projs.length;
    const fOut = fGate + this.projs.length;
    const fWords = fOut + this.circuit.outputs.length;
    w.setU(H.F_LEVEL, fLevel);
    w.setU(H.F_DRIVE, fDrive);
    w.setU(H.F_PULSE, fPulse);
    w.setU(H.F_EFF, fEff);
    w.setU(H.F_LR, fLr);
    w.setU(H.F_GATE, fGate);
    w.setU(H.F_OUT, fOut);
    return { fWords, fLevel, fDrive, fPulse, fOut };
  }

  /** The PSTRIDE words describing a population to the kernels. */
  private popRecord(p: PopHost): Uint32Array {
    const w = new Words();
    w.reserve(PSTRIDE);
    const sp = p.spec.params;
    const dt = this.dt;
    w.setU(P.OFFSET, p.offset);
    w.setU(P.SIZE, p.n);
    w.setU(P.STATE, p.stateBase);
    w.setU(P.NVARS, p.vars.length);
    const driven =
      p.iextBase !== NONE ||
      this.circuit.inputs.some((i) => i.target === p.spec.name) ||
      this.circuit.sources.some((x) => x.target === p.spec.name);
    // Bit 2: inputs and sources reach the population; bit 4: they are its rate-mode inputs, which set
    // its `drive` (a model that declares one: poisson's, or one defined by equations; the CPU writes
    // them there).
    const rateDriven = driven && takesRateInputs(p.model);
    w.setU(P.FLAGS, (this.recorder && this.recordSpikes(p.spec.name) ? 1 : 0) | (driven ? 2 : 0) | (rateDriven ? 4 : 0));
    CHANNELS.forEach((ch, k) => w.setU(P.RING + k, p.ringBase[ch]));
    w.setU(P.RINGLEN, p.ringChannels.size ? p.ringLen : 0);
    w.setU(P.SRC, p.sources[0]);
    w.setU(P.NSRC, p.sources[1]);
    w.setU(P.RNG, streamKey(this.seed, p.spec.name));
    w.setF(P.DE, sp.tau_syn_exc ? Math.exp(-dt / sp.tau_syn_exc) : 1);
    w.setF(P.DI, sp.tau_syn_inh ? Math.exp(-dt / sp.tau_syn_inh) : 1);
    w.setU(P.MODEL, p.family);
    const model = this.modelConstants(p);
    if (model.length > MODEL_WORDS)
      throw new Error(`internal: ${p.spec.model} packs ${model.length} constants, at most ${MODEL_WORDS} fit`);
    for (let k = 0; k < model.length; k++) w.setU(P.K + k, model[k]);
    return w.finish().subarray(0, PSTRIDE);
  }

  /** The model's constants of a population (computed in float64, stored as f32 or integer words). */
  private modelConstants(p: PopHost): Uint32Array {
    return p.gm!.pack(p.spec.params, new Set(p.vars), this.dt);
  }

  /** Slot of a state variable in a population's state region: model variables, then ie, ii, ge, gi. */
  private slotOf(pop: PopHost, variable: string): number {
    const v = pop.vars.indexOf(variable);
    if (v >= 0) return v;
    const c = CHANNELS.indexOf(variable as Channel);
    return c >= 0 ? pop.vars.length + c : -1;
  }

  // ----- buffers -----

  /** The words of every array for a layout (layout.ts ARRAYS). */
  private arrayWords(l: Layout): Record<ArrayName, number> {
    return {
      prm: l.words.length,
      // Spike counts in two copies, one per step parity (shaders/common.wgsl countWord).
      ctl: C.COUNTS + 2 * this.pops.length,
      ring: l.ringWords,
      st: l.stWords,
      fl: l.fWords,
      pl: l.plWords,
      wt: l.synapses,
      rec: 2 * l.recCap,
      rowPtr: l.rows,
      dly: l.dlyWords,
      col: l.colWords,
      syn: l.synapses,
      work: l.workWords,
      spikes: l.neurons,
      out: l.chunkMax * (this.pops.length + l.probes.length),
      refrac: l.neurons,
    };
  }

  private createBuffers(l: Layout): Bufs {
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    const words = this.arrayWords(l);
    const { at, size } = placeArrays(words);
    // Every size is checked before anything is allocated: a refused layout leaves nothing behind.
    const mib = (n: number) => `${((n * 4) / 2 ** 20).toFixed(0)} MiB`;
    for (const [label, n] of Object.entries(size)) {
      if (n * 4 <= limit) continue;
      // What fills it, largest first: the arrays that share the binding (layout.ts ARRAYS).
      const parts = (Object.keys(words) as ArrayName[])
        .filter((a) => ARRAYS[a] === label)
        .sort((a, b) => words[b] - words[a])
        .map((a) => `${a} ${mib(words[a])}`);
      throw new Error(
        `webgpu backend: buffer "${label}" (${parts.join(', ')}) needs ${mib(n)}, more than this adapter binds (${mib(limit / 4)}): use the cpu backend or a smaller circuit`,
      );
    }
    const groups = Math.ceil(Math.max(l.neurons, l.traceTotal, l.eligTotal) / 64);
    if (groups > 65535 * this.device.limits.maxComputeWorkgroupsPerDimension)
      throw new Error(`webgpu backend: ${l.neurons} neurons (or plasticity traces) exceed one dispatch of this adapter`);
    const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const mk = (label: string, n: number) =>
      this.device.createBuffer({
        label,
        size: Math.max(16, Math.ceil(n) * 4),
        usage: S | (label === 'work' ? GPUBufferUsage.INDIRECT : 0),
      });
    const bindings = Object.fromEntries((Object.keys(size) as BindingName[]).map((k) => [k, mk(k, size[k])])) as Record<
      BindingName,
      GPUBuffer
    >;
    const regions = Object.fromEntries(
      (Object.keys(words) as ArrayName[]).map((a) => [a, { buf: bindings[ARRAYS[a]], at: at[a], words: Math.ceil(words[a]) }]),
    ) as Record<ArrayName, Region>;
    return { ...regions, bindings, rec2: { buf: mk('rec2', size.rec), at: 0, words: size.rec } };
  }

  /** Where each array that shares a binding begins, into the header words the kernels add (layout.ts ARRAY_AT). */
  private writeArrayStarts(l: Layout): void {
    const { at } = placeArrays(this.arrayWords(l));
    for (const [a, word] of Object.entries(ARRAY_AT) as [ArrayName, number][]) l.words[word] = at[a];
  }

  private write(region: Region, wordOffset: number, data: ArrayBufferView & { length: number }): void {
    if (data.byteLength === 0) return;
    const buf = region.buf;
    wordOffset += region.at;
    // writeBuffer takes sizes in multiples of 4 bytes: every array here has 4-byte elements.
    // A page that is not cross-origin isolated has no SharedArrayBuffer global at all.
    if (typeof SharedArrayBuffer === 'undefined' || !(data.buffer instanceof SharedArrayBuffer)) {
      this.device.queue.writeBuffer(buf, wordOffset * 4, data.buffer, data.byteOffset, data.byteLength);
      return;
    }
    // Dawn takes no shared memory (the wiring workers' arrays): staged through a bounded plain copy.
    const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const stage = new Uint8Array(Math.min(STAGING_BYTES, src.byteLength));
    for (let at = 0; at < src.byteLength; at += stage.byteLength) {
      const part = Math.min(stage.byteLength, src.byteLength - at);
      stage.set(src.subarray(at, at + part));
      this.device.queue.writeBuffer(buf, wordOffset * 4 + at, stage.buffer, 0, part);
    }
  }

  /**
   * Builds the layout and buffers for the current populations and projections. State of everything
   * that existed before is carried over by copies on the GPU (never through the host); new
   * populations and projections are uploaded from their compiled initial values.
   */
  private relayout(first = false): void {
    const old = first ? null : { bufs: this.bufs, layout: this.layout };
    const oldLevels = new Map(this.prevModulators.map((n, i) => [n, i]));
    const oldOuts = new Map(this.prevOutputs.map((n, i) => [n, i]));
    const saved = this.snapshot();
    let l: Layout;
    let b: Bufs;
    try {
      l = this.buildLayout();
      b = this.createBuffers(l);
    } catch (e) {
      saved();
      throw e;
    }
    this.write(b.prm, 0, l.words);
    const enc = this.device.createCommandEncoder({ label: 'relayout' });
    const copy = (from: Region, fromWord: number, to: Region, toWord: number, words: number) => {
      if (words > 0) enc.copyBufferToBuffer(from.buf, (from.at + fromWord) * 4, to.buf, (to.at + toWord) * 4, words * 4);
    };
    // Control words: the step counters (of either parity) and the spike counts, zero: the start of each
    // chunk clears the counts its first step adds to, and the end of each step those of the next.
    const ctl = new Uint32Array(C.COUNTS + 2 * this.pops.length);
    ctl[C.STEP] = ctl[C.STEP1] = this.stepIndex;
    this.write(b.ctl, 0, ctl);
    for (const p of this.pops) {
      const prev = p.placed;
      if (!prev || !old) {
        const data = new Float32Array((p.vars.length + 5) * p.n);
        // Slots of parameters that synapse models sum into have no initial values: their kernel fills them first.
        p.vars.forEach((v, k) => {
          if (Object.hasOwn(p.init!, v)) data.set(p.init![v], k * p.n);
        });
        CHANNELS.forEach((ch, k) => data.set(p.init![ch], (p.vars.length + k) * p.n));
        data.set(this.inputSum(p), (p.vars.length + 4) * p.n);
        this.write(b.st, p.stateBase, data);
        p.init = null;
        continue;
      }
      this.carryState(p, prev, old.bufs.st, b.st, copy);
      copy(old.bufs.refrac, prev.offset, b.refrac, p.offset, p.n);
      copy(old.bufs.spikes, prev.offset, b.spikes, p.offset, p.n);
      // Pending events keep their absolute step: slot (step + k) % len moves to (step + k) % newLen.
      for (const ch of CHANNELS) {
        if (prev.ringBase[ch] === NONE || p.ringBase[ch] === NONE) continue;
        for (let k = 0; k < prev.ringLen; k++) {
          const abs = this.stepIndex + k;
          copy(
            old.bufs.ring,
            prev.ringBase[ch] + 2 * (abs % prev.ringLen) * p.n,
            b.ring,
            p.ringBase[ch] + 2 * (abs % p.ringLen) * p.n,
            2 * p.n,
          );
        }
      }
    }
    for (const q of this.projs) {
      const c = q.c;
      const rowPtr = new Uint32Array(q.src.n + 1);
      for (let i = 0; i <= q.src.n; i++) rowPtr[i] = c.rowPtr[i] + q.synBase;
      this.write(b.rowPtr, q.rowBase, rowPtr);
      this.write(b.syn, q.synBase, c.targets instanceof Uint32Array ? c.targets : Uint32Array.from(c.targets));
      if (c.delays) {
        // Two u16 delays per u32 word.
        const words = new Uint32Array(Math.ceil(c.delays.length / 2));
        new Uint16Array(words.buffer).set(c.delays);
        this.write(b.dly, q.dlyBase >> 1, words);
      }
      const prev = old ? q.placed : null;
      if (prev) copy(old!.bufs.wt, prev.syn, b.wt, q.synBase, c.targets.length);
      else this.write(b.wt, q.synBase, c.weights);
      const pl = q.plastic;
      if (pl) {
        const pairs = new Uint32Array(pl.pairs.length);
        for (let k = 0; k < pl.pairs.length; k += 2) {
          pairs[k] = pl.pairs[k] + q.synBase;
          pairs[k + 1] = pl.pairs[k + 1];
        }
        this.write(b.col, 2 * pl.pairBase, pairs);
        const colPtr = new Uint32Array(q.tgt.n + 1);
        for (let j = 0; j <= q.tgt.n; j++) colPtr[j] = pl.postPtr[j] + pl.pairBase;
        this.write(b.col, pl.colPtrBase, colPtr);
        if (prev) {
          copy(old!.bufs.pl, prev.x, b.pl, pl.x, q.src.n);
          copy(old!.bufs.pl, prev.y, b.pl, pl.y, q.tgt.n);
          if (pl.elig !== NONE && prev.elig !== NONE) copy(old!.bufs.pl, prev.elig, b.pl, pl.elig, c.targets.length);
        }
      }
      if (q.sm) this.uploadSynapseModel(q, b, prev ? { from: old!.bufs, ...prev } : null, copy);
    }
    // External current of sources and inputs of the populations a synapse model sums into I_ext (from the host's values).
    for (const p of this.pops) if (p.iextBase !== NONE) this.write(b.pl, p.iextBase, this.inputSum(p));
    if (l.emptyRows < l.rows) this.write(b.rowPtr, l.emptyRows, new Uint32Array(l.rows - l.emptyRows));
    this.uploadFloats(l, b, old, oldLevels, oldOuts, copy);
    this.device.queue.submit([enc.finish()]);
    if (old) for (const buf of [...Object.values(old.bufs.bindings), old.bufs.rec2.buf]) buf.destroy();
    this.bufs = b;
    this.layout = l;
    this.markPlaced();
    this.bindGroups = [b.rec, b.rec2].map((rec) =>
      this.device.createBindGroup({
        layout: this.bindLayout,
        entries: (Object.keys(BIND) as BindingName[]).map((k) => ({
          binding: BIND[k],
          resource: { buffer: k === 'rec' ? rec.buf : b.bindings[k] },
        })),
      }),
    );
  }

  /**
   * A synapse-model projection's arrays into the new buffers: its index arrays from the host; its
   * variables and event steps copied on the GPU when it existed before, else their initial values.
   */
  private uploadSynapseModel(
    q: ProjHost,
    b: Bufs,
    prev: { from: Bufs; smVars: number; smLast: number; smHist: number; smHistWords: number } | null,
    copy: Copy,
  ): void {
    const h = q.sm!;
    const nsyn = q.c.targets.length;
    this.write(b.col, h.pre, h.preIdx);
    if (h.postPtrAt !== NONE) {
      this.write(b.col, h.postPtrAt, h.postPtr);
      this.write(b.col, h.postSynAt, h.postSyn);
    }
    const names = Object.keys(h.def.variables);
    if (prev && prev.smVars !== NONE) {
      copy(prev.from.pl, prev.smVars, b.pl, h.vars, plBlocks(h.def) * nsyn);
      if (h.last !== NONE && prev.smLast !== NONE) copy(prev.from.col, prev.smLast, b.col, h.last, nsyn);
      // Spikes on their way keep arriving (the history's slots are by absolute step, as the rings').
      const words = h.histLen * (q.src.n + 1);
      if (h.hist !== NONE && prev.smHist !== NONE && prev.smHistWords === words) copy(prev.from.col, prev.smHist, b.col, h.hist, words);
      return;
    }
    // As the CPU: each variable's initial value for the projection's parameters; event steps and the
    // weight's residual 0 (a new buffer's zeros).
    const init = initialValues(h.def, q.c.spec.synapse.params ?? {});
    names.forEach((x, v) => this.write(b.pl, h.vars + v * nsyn, new Float32Array(nsyn).fill(init[x])));
  }

  /**
   * A population's state slots into the new buffers: copied on the GPU, except parameters that vary per
   * neuron when their values may have changed (a set_param), which go up drawn again as the CPU draws them.
   */
  private carryState(p: PopHost, prev: NonNullable<PopHost['placed']>, from: Region, to: Region, copy: Copy): void {
    if (prev.perNeuron === p.spec.perNeuron && sameList(prev.vars, p.vars)) {
      copy(from, prev.stateBase, to, p.stateBase, (p.vars.length + 5) * p.n);
      return;
    }
    const fresh = perNeuronParams(p.spec, this.seed);
    p.vars.forEach((v, k) => {
      const j = prev.vars.indexOf(v);
      if (Object.hasOwn(fresh, v)) this.write(to, p.stateBase + k * p.n, Float32Array.from(fresh[v]));
      else if (j >= 0) copy(from, prev.stateBase + j * p.n, to, p.stateBase + k * p.n, p.n);
    });
    // Channels and the input slot follow the variables.
    copy(from, prev.stateBase + prev.vars.length * p.n, to, p.stateBase + p.vars.length * p.n, 5 * p.n);
  }

  /** Fresh values of a population's parameters that vary per neuron into their slots (a set_param). */
  private uploadPerNeuron(p: PopHost): void {
    const fresh = perNeuronParams(p.spec, this.seed);
    p.vars.forEach((v, k) => {
      if (Object.hasOwn(fresh, v)) this.write(this.bufs.st, p.stateBase + k * p.n, Float32Array.from(fresh[v]));
    });
  }

  /**
   * Modulator levels and output values by name (carried over from the old layout on the GPU when it
   * had them); drives from the inputs; pulses pending.
   */
  private uploadFloats(
    l: Layout,
    b: Bufs,
    old: { bufs: Bufs; layout: Layout } | null,
    oldLevels: Map<string, number>,
    oldOuts: Map<string, number>,
    copy: Copy,
  ): void {
    const f = new Float32Array(Math.max(l.fWords, 1));
    this.circuit.modulators.forEach((m, i) => {
      f[l.fLevel + i] = this.levels.get(m.name) ?? m.baseline;
      f[l.fDrive + i] = modulatorDrive(m, this.inputValues);
      f[l.fPulse + i] = this.pendingPulse.get(m.name) ?? 0;
    });
    this.circuit.outputs.forEach((o, i) => (f[l.fOut + i] = this.outputs.get(o.name) ?? 0));
    this.write(b.fl, 0, f);
    if (!old) return;
    this.circuit.modulators.forEach((m, i) => {
      const j = oldLevels.get(m.name);
      if (j !== undefined) copy(old.bufs.fl, old.layout.fLevel + j, b.fl, l.fLevel + i, 1);
    });
    this.circuit.outputs.forEach((o, i) => {
      const j = oldOuts.get(o.name);
      if (j !== undefined) copy(old.bufs.fl, old.layout.fOut + j, b.fl, l.fOut + i, 1);
    });
  }

  /** Records where every population and projection now lives, for the next relayout's copies. */
  private markPlaced(): void {
    for (const p of this.pops)
      p.placed = {
        index: p.index,
        offset: p.offset,
        stateBase: p.stateBase,
        ringLen: p.ringChannels.size ? p.ringLen : 0,
        ringBase: { ...p.ringBase },
        vars: p.vars,
        perNeuron: p.spec.perNeuron,
      };
    for (const q of this.projs)
      q.placed = {
        syn: q.synBase,
        x: q.plastic?.x ?? NONE,
        y: q.plastic?.y ?? NONE,
        elig: q.plastic?.elig ?? NONE,
        smVars: q.sm?.vars ?? NONE,
        smLast: q.sm?.last ?? NONE,
        smHist: q.sm?.hist ?? NONE,
        smHistWords: q.sm ? q.sm.histLen * (q.src.n + 1) : 0,
      };
  }

  /** Modulator and output names of the layout now on the GPU (indices into fl). */
  private prevModulators: string[] = [];
  private prevOutputs: string[] = [];

  private pipeline(key: string, make: () => { code: string; entry: string; constants?: Record<string, number> }): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const { code, entry, constants } = make();
      const module = this.device.createShaderModule({ label: key, code });
      p = this.device.createComputePipeline({ label: key, layout: this.pipelineLayout, compute: { module, entryPoint: entry, constants } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private kernel(file: string, entry: string, ...shared: string[]): GPUComputePipeline {
    return this.pipeline(`${file}:${entry}`, () => ({ code: kernelSource(file, ...shared), entry }));
  }

  private neuronKernel(family: number, f: Family, fusedDrain: boolean, parity: number): GPUComputePipeline {
    // Keyed by the generated text: a circuit checked again after an edit gives equal definitions, not the same objects.
    const code = wgslModel(f.def).source(this.phased());
    return this.pipeline(`generated:${family}:${fusedDrain}:${parity}:${code}`, () => ({
      code: generatedNeuronSource(code),
      entry: 'update',
      constants: { FAMILY: family, FUSED_DRAIN: fusedDrain ? 1 : 0, PARITY: parity },
    }));
  }

  /**
   * Where each step ends (shaders/end-step.wgsl): in a dispatch of its own ('advance'), or in the
   * first workgroup of the last dispatch of the step, which saves one. That dispatch is propagation
   * where the neuron update drains the rings, else the drain, and it needs propagation to sum its own
   * work (no plasticity: nothing after it reads the counts), no synapse models, and for the drain no
   * probe of a channel (the other workgroups are writing them). The step counter and spike counts then
   * alternate by step parity.
   */
  private stepEnd(): 'advance' | 'propagate' | 'drain' {
    if (this.projs.length === 0 || !this.sumsWorkLocally() || this.projs.some((q) => q.sm)) return 'advance';
    if (this.fusedDrain()) return 'propagate';
    const channels = new Set<string>(CHANNELS);
    return this.layout.ringWords > 0 && !this.layout.probes.some((p) => channels.has(p.variable)) ? 'drain' : 'advance';
  }

  /**
   * Whether the neuron update drains the rings (shaders/neuron.wgsl FUSED_DRAIN), one dispatch fewer per
   * step: when nothing reaches this step's ring slot after the update, i.e. every synapse's delay is at
   * least one step, and no synapse model writes into the rings.
   */
  private fusedDrain(): boolean {
    return this.projs.every((q) => q.minDelay >= 1 && !q.sm);
  }

  /** Whether propagation adds up its own work (shaders/propagate.wgsl LOCAL_ARGS): without plasticity, whose passes read the sums too. */
  private sumsWorkLocally(): boolean {
    return this.projs.length <= LOCAL_PROJ && this.projs.every((q) => !q.plastic);
  }

  /** Whether the circuit can run resident (shaders/resident.wgsl): its loop has no synapse-model kernels. */
  private residentAllowed(): boolean {
    return this.projs.length <= LOCAL_PROJ && this.projs.every((q) => !q.sm);
  }

  /** How the steps of the current circuit reach the GPU (the `stepping` option, resolved). */
  stepMode(): 'resident' | 'dispatch' {
    const allowed = this.residentAllowed();
    return chooseStepping({
      stepping: this.stepping,
      allowed,
      neurons: this.layout.neurons,
      synapses: this.layout.synapses,
      everyStep: this.layout.eligTotal,
      threads: this.residentThreads,
      software: this.ctx.software,
    });
  }

  private resident: { layout: Layout; pipe: GPUComputePipeline } | null = null;

  /**
   * Builds the resident kernel in an error scope of its own, at create() and at the first step after
   * an edit changed the layout. One module holds every phase, which a device may refuse at this
   * workgroup size: with 'auto' the backend then steps with dispatches; a circuit that asked for
   * 'resident' gets the device's message.
   */
  private async checkResident(): Promise<void> {
    this.device.pushErrorScope('validation');
    let thrown: unknown = null;
    try {
      this.residentKernel();
    } catch (e) {
      thrown = e;
    }
    const err = await this.device.popErrorScope();
    if (!thrown && !err) return;
    const why = err?.message ?? (thrown as Error).message;
    if (this.stepping === 'resident') throw new Error(`the resident kernel was refused: ${why}`);
    // 'auto' from here on: a layout whose resident kernel the device refused runs with dispatches.
    this.resident = null;
    this.stepping = 'dispatch';
  }

  /** The resident kernel of the current circuit's families (kept per layout: a chunk must not regenerate it). */
  private residentKernel(): GPUComputePipeline {
    const l = this.layout;
    if (this.resident?.layout === l) return this.resident.pipe;
    const steps = l.families.map((f, k) => (l.familyNeurons[k] > 0 ? wgslModel(f.def).stepFunction(`modelStep_${k}`) : null));
    const code = residentSource(NEURON_HELPERS, steps);
    const plastic = this.projs.some((q) => q.plastic);
    const constants = {
      WG: this.residentThreads,
      FAMILIES: l.families.length,
      FUSED_DRAIN: this.fusedDrain() ? 1 : 0,
      LOCAL_ARGS: plastic ? 0 : 1,
      PLASTIC: plastic ? 1 : 0,
    };
    const pipe = this.pipeline(`resident:${JSON.stringify(constants)}:${code}`, () => ({ code, entry: 'resident', constants }));
    this.resident = { layout: l, pipe };
    return pipe;
  }

  /** Whether models defined by equations reset after the synapses (as the CPU steps them when synapse models run). */
  private phased(): boolean {
    return this.projs.some((q) => q.sm);
  }

  /** The reset kernel of a family of a model defined by equations (phased steps only). */
  private resetKernel(family: number, def: ModelDefinition): GPUComputePipeline {
    const code = wgslModel(def).resetSource();
    return this.pipeline(`reset:${family}:${code}`, () => ({
      code: generatedResetSource(code),
      entry: 'reset',
      constants: { FAMILY: family },
    }));
  }

  // ----- inputs -----

  /** Sum of the current (or rate) inputs of a population, per neuron. */
  private inputSum(p: PopHost): Float32Array {
    const sum = new Float32Array(p.n);
    for (const inp of this.circuit.inputs) {
      if (inp.target !== p.spec.name) continue;
      const v = this.inputValues.get(inp.name);
      if (v === undefined) continue;
      if (typeof v === 'number') for (let i = 0; i < p.n; i++) sum[i] += v * inp.gain;
      else for (let i = 0; i < p.n; i++) sum[i] += v[i] * inp.gain;
    }
    return sum;
  }

  setInput(name: string, value: number | ArrayLike<number>): void {
    this.inputValues.set(
      name,
      checkInput(this.circuit, name, value, (p) => this.pop(p).n),
    );
    const spec = this.circuit.inputs.find((i) => i.name === name)!;
    // Only the changed ranges go up: the target's input slot, the drives of modulators reading it.
    if (spec.target !== null) {
      const p = this.pop(spec.target);
      const sum = this.inputSum(p);
      this.write(this.bufs.st, p.stateBase + (p.vars.length + 4) * p.n, sum);
      // Where a synapse model sums into I_ext, its kernel starts each step's sum from this copy.
      if (p.iextBase !== NONE) this.write(this.bufs.pl, p.iextBase, sum);
    }
    this.circuit.modulators.forEach((m, i) => {
      if (m.sources.some((s) => s.kind === 'input' && s.input === name))
        this.write(this.bufs.fl, this.layout.fDrive + i, Float32Array.of(modulatorDrive(m, this.inputValues)));
    });
  }

  pulseModulator(name: string, amount: number): void {
    const i = this.circuit.modulators.findIndex((m) => m.name === name);
    if (i < 0) throw new Error(`no modulator "${name}"`);
    const pending = (this.pendingPulse.get(name) ?? 0) + amount;
    this.pendingPulse.set(name, pending);
    this.levels.set(name, (this.levels.get(name) ?? 0) + amount);
    this.write(this.bufs.fl, this.layout.fPulse + i, Float32Array.of(pending));
  }

  modulatorLevel(name: string): number {
    const v = this.levels.get(name);
    if (v === undefined) throw new Error(`no modulator "${name}"`);
    return v;
  }

  readOutput(name: string): number {
    const v = this.outputs.get(name);
    if (v === undefined) throw new Error(`no output "${name}"`);
    return v;
  }

  // ----- stepping -----

  /**
   * Runs n steps. Resolves when their results (outputs, modulator levels, recordings) are on the host.
   * Chunks are pipelined: chunk k+1 runs on the GPU while chunk k's readback is processed.
   */
  async step(n: number): Promise<void> {
    if (this.busy) throw new Error('webgpu backend: step() is still running; await it before stepping or editing again');
    if (this.disposed) throw new Error('webgpu backend: disposed');
    if (this.deviceError) throw new Error(`webgpu backend: ${this.deviceError}`);
    this.busy = true;
    let pending: Promise<void> | null = null;
    try {
      if (this.stepMode() === 'resident' && this.resident?.layout !== this.layout) await this.checkResident();
      let done = 0;
      while (done < n) {
        if (this.disposed) throw new Error('disposed during step()');
        const k = Math.min(n - done, this.layout.chunkMax);
        const chunk = this.encodeChunk(k);
        if (pending) await pending;
        pending = this.finishChunk(chunk);
        pending.catch(() => undefined);
        done += k;
      }
      if (pending) await pending;
      if (this.deviceError) throw new Error(this.deviceError);
    } catch (e) {
      const why = this.disposed ? 'disposed during step()' : (this.deviceError ?? (e as Error).message);
      throw new Error(`webgpu backend: ${why || String(e)}`, { cause: e });
    } finally {
      this.busy = false;
    }
  }

  /** Every pipeline the current layout needs (built once, then cached). */
  private kernels() {
    const l = this.layout;
    const fused = this.fusedDrain();
    const end = this.stepEnd();
    const ending = end !== 'advance';
    // With the end of the step in another dispatch, kernels that read the counts come in one variant per step parity.
    const parities = ending ? [0, 1] : [0, 0];
    const propagateSource = () => kernelSource('propagate.wgsl', 'work.wgsl', 'propagate-step.wgsl', 'modulators.wgsl', 'end-step.wgsl');
    const propagateWith = (constants: Record<string, number>) =>
      this.pipeline(`propagate.wgsl:${JSON.stringify(constants)}`, () => ({ code: propagateSource(), entry: 'propagate', constants }));
    return {
      fusedDrain: fused,
      ending,
      begin: parities.map((p) =>
        this.pipeline(`begin.wgsl:${p}`, () => ({
          code: kernelSource('begin.wgsl', 'modulators.wgsl', 'end-step.wgsl'),
          entry: 'begin',
          constants: { PARITY: p },
        })),
      ),
      args: this.kernel('args.wgsl', 'args', 'work.wgsl'),
      propagate: propagateWith({}),
      propagateSumming: parities.map((p) =>
        propagateWith(ending ? { LOCAL_ARGS: 1, END_STEP: end === 'propagate' ? 1 : 0, PARITY: p } : { LOCAL_ARGS: 1 }),
      ),
      drain: parities.map((p) => {
        const constants = { END_STEP: end === 'drain' ? 1 : 0, PARITY: p };
        return this.pipeline(`drain.wgsl:${JSON.stringify(constants)}`, () => ({
          code: kernelSource('drain.wgsl', 'ring.wgsl', 'modulators.wgsl', 'end-step.wgsl'),
          entry: 'drain',
          constants,
        }));
      }),
      advance: this.kernel('advance.wgsl', 'advance', 'modulators.wgsl', 'end-step.wgsl'),
      families: l.families
        .map(
          (m, f) =>
            [
              l.familyNeurons[f] > 0 ? parities.map((p) => this.neuronKernel(f, m, fused, p)) : null,
              Math.ceil(l.familyNeurons[f] / 64),
            ] as const,
        )
        .filter((x) => x[0] !== null),
      stdp: ['decay', 'pre', 'post', 'eligibility'].map((e) => this.kernel('stdp.wgsl', e, 'stdp-step.wgsl')),
      synapses: this.synapseKernels(),
      resets: this.phased()
        ? l.families.flatMap((m, f) =>
            m.def && l.familyNeurons[f] > 0
              ? [{ pipe: this.resetKernel(f, m.def), groups: Math.ceil(l.familyNeurons[f] / 64), strided: false }]
              : [],
          )
        : [],
    };
  }

  /** Each synapse-model projection's kernels with their grid sizes, by phase, in projection order. */
  private synapseKernels() {
    const out = {
      summed: [] as Dispatch[],
      clock: [] as Dispatch[],
      onPre: [] as Dispatch[],
      onPost: [] as Dispatch[],
      onStep: [] as Dispatch[],
    };
    const groups = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
    for (const q of this.projs) {
      const code = q.sm?.code;
      if (!code) continue;
      const pipe = (entry: string) =>
        // Keyed by the generated text and the projection's index (its record is found through PROJ).
        this.pipeline(`synapse:${q.index}:${entry}:${code.source}`, () => ({
          code: synapseModuleSource(code.source, R.SM),
          entry,
          constants: { PROJ: q.index },
        }));
      const nsyn = q.c.targets.length;
      if (code.entries.summed) out.summed.push({ pipe: pipe('summed'), groups: groups(q.tgt.n, 64), strided: false });
      if (code.entries.clock && nsyn > 0) out.clock.push({ pipe: pipe('clock'), groups: groups(nsyn, 64), strided: false });
      if (code.entries.onPre && q.sm!.histLen > 0) out.onPre.push({ pipe: pipe('pre_hist'), groups: groups(q.src.n, 256), strided: true });
      if (code.entries.onPre) out.onPre.push({ pipe: pipe('on_pre'), groups: groups(q.src.n * Math.max(q.maxRow, 1), 256), strided: true });
      if (code.entries.onPost)
        out.onPost.push({ pipe: pipe('on_post'), groups: groups(q.tgt.n * Math.max(q.sm!.maxCol, 1), 256), strided: true });
      if (code.entries.onStep && nsyn > 0) out.onStep.push({ pipe: pipe('on_step'), groups: groups(nsyn, 64), strided: false });
    }
    return out;
  }

  /**
   * Host time to encode one step, in microseconds (the commands are built, not submitted). With
   * chunks pipelined, a run is bound by the larger of this and the GPU's time per step.
   */
  encodingCost(steps = 1000): number {
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    const t0 = performance.now();
    // In chunks, as step() encodes them (each begins with its start; resident: one dispatch each).
    for (let done = 0; done < steps; done += this.layout.chunkMax) this.encodeSteps(pass, Math.min(this.layout.chunkMax, steps - done), 0);
    pass.end();
    enc.finish();
    return ((performance.now() - t0) / steps) * 1000;
  }

  /**
   * Dispatches per step (the first step's start left out): what the per-step floor on a GPU scales with.
   * Resident: one per chunk, so a fraction (1 / the chunk length).
   */
  dispatchesPerStep(): number {
    if (this.stepMode() === 'resident') return 1 / this.layout.chunkMax;
    let n = 0;
    const counting: StepEncoder = {
      setPipeline: () => undefined,
      setBindGroup: () => undefined,
      dispatchWorkgroups: () => void n++,
    };
    this.encodeSteps(counting, 1, 0);
    const one = n;
    n = 0;
    this.encodeSteps(counting, 11, 0);
    return (n - one) / 10;
  }

  /** The commands of `steps` steps (no readback), into an open compute pass. */
  private encodeSteps(pass: StepEncoder, steps: number, parity: number): void {
    const l = this.layout;
    pass.setBindGroup(0, this.bindGroups[parity]);
    if (this.stepMode() === 'resident') {
      // The step count is in ctl (encodeChunk writes it): one workgroup loops over the chunk's steps.
      pass.setPipeline(this.residentKernel());
      pass.dispatchWorkgroups(1);
      return;
    }
    const { begin, args, propagate, propagateSumming, drain, fusedDrain, ending, advance, families, stdp, synapses, resets } =
      this.kernels();
    // The parity of each step, where the end of a step runs in propagation or the drain (its counts and counter alternate).
    const parityOf = (s: number) => (ending ? (this.stepIndex + s) % 2 : 0);
    const plastic = this.projs.some((q) => q.plastic);
    const summing = this.sumsWorkLocally();
    const wg = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
    const grid = (upper: number) => Math.min(this.gridMax, wg(upper, 256));
    // More than 65535 workgroups go in rows of 65535 (the kernels index x + y * rows).
    const dispatch = (groups: number) => pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535));
    // Spike-driven kernels stride over their work with a bounded grid; the others take one thread per item.
    const run = (list: Dispatch[]) => {
      for (const d of list) {
        pass.setPipeline(d.pipe);
        if (d.strided) pass.dispatchWorkgroups(Math.min(this.gridMax, d.groups));
        else dispatch(d.groups);
      }
    };
    // Later steps get their start (counts cleared, modulator effects) from the previous step's end.
    pass.setPipeline(begin[parityOf(0)]);
    pass.dispatchWorkgroups(1);
    for (let s = 0; s < steps; s++) {
      const sp = parityOf(s);
      run(synapses.summed);
      for (const [pipes, groups] of families) {
        pass.setPipeline(pipes![sp]);
        dispatch(groups);
      }
      run(synapses.clock);
      if (this.projs.length > 0) {
        if (!summing) {
          pass.setPipeline(args);
          pass.dispatchWorkgroups(1);
        }
        pass.setPipeline(summing ? propagateSumming[sp] : propagate);
        pass.dispatchWorkgroups(grid(l.workUpper.propagate));
      }
      run(synapses.onPre);
      if (plastic) {
        pass.setPipeline(stdp[0]);
        dispatch(wg(l.traceTotal, 256));
        pass.setPipeline(stdp[1]);
        pass.dispatchWorkgroups(grid(l.workUpper.pre));
        pass.setPipeline(stdp[2]);
        pass.dispatchWorkgroups(grid(l.workUpper.post));
        if (l.eligTotal > 0) {
          pass.setPipeline(stdp[3]);
          dispatch(wg(l.eligTotal, 256));
        }
      }
      run(synapses.onPost);
      run(synapses.onStep);
      run(resets);
      if (l.ringWords > 0 && !fusedDrain) {
        pass.setPipeline(drain[sp]);
        dispatch(wg(l.neurons, 256));
      }
      // Else the propagation or drain dispatch ended the step (nothing else above runs in such a circuit).
      if (!ending) {
        pass.setPipeline(advance);
        pass.dispatchWorkgroups(1);
      }
    }
  }

  private encodeChunk(steps: number): Chunk {
    const l = this.layout;
    const parity = this.parity;
    this.parity ^= 1;
    this.write(this.bufs.ctl, C.CHUNK, new Uint32Array([0, 0]));
    this.write(this.bufs.ctl, C.STEPS, new Uint32Array([steps]));
    // Pulses written since the last chunk are consumed by its first step.
    this.pendingPulse.clear();
    const enc = this.device.createCommandEncoder({ label: 'steps' });
    const pass = enc.beginComputePass();
    this.encodeSteps(pass, steps, parity);
    pass.end();
    // One staging copy per chunk: control words, float globals, readback rows, a prefix of the spike records.
    // Spike counts are cleared at the end of each step, so the last step's come from its readback row;
    // without a recorder only that row is copied.
    const ctlWords = C.COUNTS;
    const row = this.pops.length + l.probes.length;
    const rowWords = this.recorder ? steps * row : row;
    const rowFrom = this.recorder ? 0 : (steps - 1) * row;
    const recCopied = this.recorder ? Math.min(l.recCap, REC_PREFIX) : 0;
    const total = ctlWords + l.fWords + rowWords + 2 * recCopied;
    const staging = this.device.createBuffer({ size: Math.max(16, total * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const b = this.bufs;
    enc.copyBufferToBuffer(b.ctl.buf, b.ctl.at * 4, staging, 0, ctlWords * 4);
    if (l.fWords > 0) enc.copyBufferToBuffer(b.fl.buf, b.fl.at * 4, staging, ctlWords * 4, l.fWords * 4);
    if (rowWords > 0) enc.copyBufferToBuffer(b.out.buf, (b.out.at + rowFrom) * 4, staging, (ctlWords + l.fWords) * 4, rowWords * 4);
    if (recCopied > 0)
      enc.copyBufferToBuffer((parity ? b.rec2 : b.rec).buf, 0, staging, (ctlWords + l.fWords + rowWords) * 4, recCopied * 8);
    this.device.queue.submit([enc.finish()]);
    const firstStep = this.stepIndex;
    this.stepIndex += steps;
    const map = staging.mapAsync(GPUMapMode.READ);
    // Rejected when the device goes away mid-step: step() reports it; never an unhandled rejection.
    map.catch(() => undefined);
    return { steps, firstStep, parity, staging, map, recCopied };
  }

  private async finishChunk(c: Chunk): Promise<void> {
    await c.map;
    if (this.disposed) return;
    const l = this.layout;
    const words = new Uint32Array(c.staging.getMappedRange().slice(0));
    c.staging.unmap();
    c.staging.destroy();
    const floats = new Float32Array(words.buffer);
    const np = this.pops.length;
    const ctlWords = C.COUNTS;
    const rowWords = np + l.probes.length;
    const rowsAt = ctlWords + l.fWords;
    const lastRow = rowsAt + (this.recorder ? (c.steps - 1) * rowWords : 0);
    this.pops.forEach((p, q) => this.lastCounts.set(p.spec.name, words[lastRow + q]));
    if (words[C.ERROR])
      this.deviceError ??= 'spike propagation work of one step exceeded 2^32 (spikes x longest row); results are incomplete';
    this.circuit.modulators.forEach((m, i) => {
      // A pulse given while this chunk ran is not in the GPU's number yet.
      this.levels.set(m.name, floats[ctlWords + l.fLevel + i] + (this.pendingPulse.get(m.name) ?? 0));
    });
    this.circuit.outputs.forEach((o, i) => this.outputs.set(o.name, floats[ctlWords + l.fOut + i]));
    if (!this.recorder) return;
    const recAt = rowsAt + c.steps * rowWords;
    const nRec = words[C.REC];
    let rec = words.subarray(recAt, recAt + 2 * Math.min(nRec, c.recCopied));
    if (nRec > c.recCopied) {
      // More spikes than the prefix: fetch the rest (this chunk's rec buffer is not reused before we return).
      const extra = nRec - c.recCopied;
      const st = this.device.createBuffer({ size: extra * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer((c.parity ? this.bufs.rec2 : this.bufs.rec).buf, c.recCopied * 8, st, 0, extra * 8);
      this.device.queue.submit([enc.finish()]);
      await st.mapAsync(GPUMapMode.READ);
      const all = new Uint32Array(2 * nRec);
      all.set(rec);
      all.set(new Uint32Array(st.getMappedRange()), 2 * c.recCopied);
      st.unmap();
      st.destroy();
      rec = all;
    }
    // Spike records grouped by (step, population), indices ascending as the CPU produces them.
    const perStep: number[][] = Array.from({ length: c.steps }, () => []);
    for (let r = 0; r < nRec; r++) perStep[rec[2 * r]].push(rec[2 * r + 1]);
    const offsets = this.pops.map((p) => p.offset);
    const scratch = this.pops.map((p) => new Uint32Array(p.n));
    for (let s = 0; s < c.steps; s++) {
      const step = c.firstStep + s;
      const globals = perStep[s].sort((a, b) => a - b);
      const fill = new Array<number>(np).fill(0);
      for (const g of globals) {
        const q = popAt(offsets, g);
        scratch[q][fill[q]++] = g - offsets[q];
      }
      const row = rowsAt + s * rowWords;
      this.pops.forEach((p, q) => this.recorder!.spikes(step, p.spec.name, scratch[q], words[row + q]));
      if (l.probes.length > 0 && this.recorder.wantsState(step)) {
        const values = new Map<string, Record<number, number>>();
        l.probes.forEach((pr, j) => {
          const key = `${pr.population}\u0000${pr.variable}`;
          let m = values.get(key);
          if (!m) values.set(key, (m = {}));
          m[pr.index] = floats[row + np + j];
        });
        this.recorder.sample(step, (pop, v) => values.get(`${pop}\u0000${v}`) as ArrayLike<number> | undefined);
      }
    }
  }

  // ----- reads -----

  private async readWords(region: Region, wordOffset: number, words: number): Promise<ArrayBuffer> {
    const st = this.device.createBuffer({ size: Math.max(16, words * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    if (words > 0) enc.copyBufferToBuffer(region.buf, (region.at + wordOffset) * 4, st, 0, words * 4);
    this.device.queue.submit([enc.finish()]);
    await st.mapAsync(GPUMapMode.READ);
    const out = st.getMappedRange().slice(0, words * 4);
    st.unmap();
    st.destroy();
    return out;
  }

  async readState(population: string, variable: string): Promise<Float64Array> {
    const p = this.pop(population);
    const slot = this.slotOf(p, variable);
    if (slot < 0) throw new Error(`no state "${variable}" in population "${population}"`);
    return Float64Array.from(new Float32Array(await this.readWords(this.bufs.st, p.stateBase + slot * p.n, p.n)));
  }

  async readWeights(projection: string): Promise<Float32Array> {
    const q = this.proj(projection);
    return new Float32Array(await this.readWords(this.bufs.wt, q.synBase, q.c.targets.length));
  }

  synapseCount(projection: string): number {
    return this.proj(projection).c.targets.length;
  }

  readStructure(projection: string): { rowPtr: Uint32Array; targets: Uint32Array } {
    const c = this.proj(projection).c;
    return { rowPtr: c.rowPtr.slice(), targets: Uint32Array.from(c.targets) };
  }

  async lastSpikes(population: string): Promise<Uint32Array> {
    const p = this.pop(population);
    const count = this.lastCounts.get(population) ?? 0;
    const ids = new Uint32Array(await this.readWords(this.bufs.spikes, p.offset, count));
    return ids.sort();
  }

  /** Saves the host model of the network; the returned function puts it back (a refused edit). */
  private snapshot(): () => void {
    const pops = this.pops.map((p) => [p, { ...p, ringBase: { ...p.ringBase }, ringChannels: new Set(p.ringChannels) }] as const);
    const projs = this.projs.map((q) => [q, { ...q }, q.plastic ? { ...q.plastic } : null, q.sm ? { ...q.sm } : null] as const);
    const lists = { pops: [...this.pops], projs: [...this.projs], circuit: this.circuit };
    const maps = { levels: new Map(this.levels), outputs: new Map(this.outputs), inputs: new Map(this.inputValues) };
    const recorded = this.recorder ? new Set(Object.keys(this.recorder.data.populations)) : null;
    const prev = { modulators: this.prevModulators, outputs: this.prevOutputs };
    return () => {
      for (const [p, v] of pops) Object.assign(p, v);
      for (const [q, v, pl, sm] of projs) {
        Object.assign(q, v);
        if (pl) Object.assign(q.plastic!, pl);
        if (sm) Object.assign(q.sm!, sm);
      }
      this.pops = lists.pops;
      this.projs = lists.projs;
      this.circuit = lists.circuit;
      this.levels = maps.levels;
      this.outputs = maps.outputs;
      this.inputValues.clear();
      for (const [k, v] of maps.inputs) this.inputValues.set(k, v);
      if (this.recorder && recorded)
        for (const k of Object.keys(this.recorder.data.populations)) if (!recorded.has(k)) delete this.recorder.data.populations[k];
      this.prevModulators = prev.modulators;
      this.prevOutputs = prev.outputs;
    };
  }

  // ----- live edits -----

  apply(edit: ResolvedEdit, circuit: Circuit): void {
    if (this.busy) throw new Error('webgpu backend: an edit arrived while step() runs; await the step first');
    const restore = this.snapshot();
    try {
      this.applyEdit(edit, circuit);
    } catch (e) {
      // A refused edit (e.g. a buffer over the adapter's limit) leaves the running network as it was.
      restore();
      throw e;
    }
  }

  private applyEdit(edit: ResolvedEdit, circuit: Circuit): void {
    this.prevModulators = this.circuit.modulators.map((m) => m.name);
    this.prevOutputs = this.circuit.outputs.map((o) => o.name);
    this.circuit = circuit;
    for (const p of this.pops) {
      p.spec = circuit.populations.find((s) => s.name === p.spec.name) ?? p.spec;
      if (!p.gm) continue;
      p.gm = this.generated(p.spec, p.conductance);
      p.vars = this.varsFor(p);
    }
    switch (edit.kind) {
      case 'set_params': {
        const p = this.pop(edit.population);
        // A parameter that starts or stops varying per neuron changes the population's slots: new buffers.
        if (!p.placed || !sameList(p.placed.vars, p.vars)) break;
        // Else only the population's record goes up (its PSTRIDE words in prm), and its per-neuron values.
        if (p.placed.perNeuron !== p.spec.perNeuron) {
          this.uploadPerNeuron(p);
          p.placed.perNeuron = p.spec.perNeuron;
        }
        this.uploadPopRecord(p);
        this.uploadSynapseRecords(p);
        return;
      }
      case 'set_weights': {
        const q = this.proj(edit.projection);
        // A synapse model's weight residual (the float32 pair's low part) starts again from 0, as the CPU's float64 copy is set.
        const lo =
          q.sm && plBlocks(q.sm.def) > Object.keys(q.sm.def.variables).length
            ? q.sm.vars + Object.keys(q.sm.def.variables).length * q.c.targets.length
            : NONE;
        if (edit.indices === null) {
          this.write(this.bufs.wt, q.synBase, edit.values);
          if (lo !== NONE) this.write(this.bufs.pl, lo, new Float32Array(q.c.targets.length));
          return;
        }
        // Consecutive indices go up as one range.
        const order = Array.from(edit.indices.keys()).sort((a, b) => edit.indices![a] - edit.indices![b]);
        let k = 0;
        while (k < order.length) {
          let e = k + 1;
          while (e < order.length && edit.indices[order[e]] === edit.indices[order[e - 1]] + 1) e++;
          const run = Float32Array.from(order.slice(k, e), (j) => edit.values[j]);
          this.write(this.bufs.wt, q.synBase + edit.indices[order[k]], run);
          if (lo !== NONE) this.write(this.bufs.pl, lo + edit.indices[order[k]], new Float32Array(run.length));
          k = e;
        }
        return;
      }
      case 'add_population':
        this.addPop(compilePopulation(edit.spec, this.seed, 0, circuit.models));
        this.recorder?.addPopulation(edit.spec.name, edit.spec.size);
        break;
      case 'remove_population':
        this.pops = this.pops.filter((p) => p.spec.name !== edit.name);
        this.projs = this.projs.filter((q) => q.src.spec.name !== edit.name && q.tgt.spec.name !== edit.name);
        break;
      case 'add_projection': {
        const specs = new Map(circuit.populations.map((p) => [p.name, p]));
        this.addProj(edit.compiled ?? compileProjection(edit.spec, specs, this.seed, this.dt, undefined, '<live edit>'));
        break;
      }
      case 'remove_projection':
        // Its queued events stay in the target's ring and are delivered, as on the CPU.
        this.projs = this.projs.filter((q) => q.c.spec.name !== edit.name);
        break;
    }
    for (const m of circuit.modulators) if (!this.levels.has(m.name)) this.levels.set(m.name, m.baseline);
    for (const name of [...this.levels.keys()]) if (!circuit.modulators.some((m) => m.name === name)) this.levels.delete(name);
    for (const o of circuit.outputs) if (!this.outputs.has(o.name)) this.outputs.set(o.name, 0);
    for (const name of [...this.outputs.keys()]) if (!circuit.outputs.some((o) => o.name === name)) this.outputs.delete(name);
    for (const [name] of this.inputValues) if (!circuit.inputs.some((i) => i.name === name)) this.inputValues.delete(name);
    this.relayout();
  }

  private uploadPopRecord(p: PopHost): void {
    const base = this.layout.words[H.POP0] + p.index * PSTRIDE;
    const rec = this.popRecord(p);
    this.layout.words.set(rec, base);
    this.write(this.bufs.prm, base, rec);
  }

  // ----- recording and accounting -----

  configureRecording(config: RecordingConfig): void {
    if (this.busy) throw new Error('webgpu backend: configureRecording while step() runs; await the step first');
    const before = { recorder: this.recorder, recordSpikes: this.recordSpikes };
    this.recorder = new Recorder(config, this.dt, new Map(this.pops.map((p) => [p.spec.name, p.n])), this.stepIndex);
    const which = config.spikes;
    this.recordSpikes = (name) => which === undefined || which === 'all' || (Array.isArray(which) && which.includes(name));
    this.prevModulators = this.circuit.modulators.map((m) => m.name);
    this.prevOutputs = this.circuit.outputs.map((o) => o.name);
    try {
      this.relayout();
    } catch (e) {
      Object.assign(this, before);
      throw e;
    }
  }

  recording(): Recording {
    if (!this.recorder) throw new Error('recording is not configured');
    return this.recorder.data;
  }

  memoryBytes(): { neurons: number; synapsesStatic: number; synapsesPlastic: number; buffers: number } {
    const size = (...arrays: (ArrayName | 'rec2')[]) => arrays.reduce((a, k) => a + 4 * this.bufs[k].words, 0);
    return {
      neurons: size('st', 'refrac'),
      synapsesStatic: size('rowPtr', 'syn', 'wt', 'dly'),
      synapsesPlastic: size('pl', 'col'),
      buffers: size('ring', 'spikes', 'rec', 'rec2', 'out', 'prm', 'fl', 'ctl', 'work'),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.bufs) for (const b of [...Object.values(this.bufs.bindings), this.bufs.rec2.buf]) b.destroy();
    this.device.removeEventListener('uncapturederror', this.onError);
    if (this.ownsDevice) this.device.destroy();
    // The GPU object (ctx.gpu) was referenced until here; now it may go.
    void this.ctx.gpu;
  }
}

/** One generated kernel's dispatch: its workgroups, striding over spike-driven work (bounded grid) or one thread per item. */
interface Dispatch {
  pipe: GPUComputePipeline;
  groups: number;
  strided: boolean;
}

type Copy = (from: Region, fromWord: number, to: Region, toWord: number, words: number) => void;

/**
 * A population's state slots: the model's variables, then the parameters its generated kernel reads
 * from slots (those that vary per neuron, and those synapse models sum into every step).
 */
function varsOf(spec: PopulationSpec, model: NeuronModel, gm: WgslModel | null, summed: readonly string[] = []): string[] {
  const states = Object.keys(model.state);
  return gm ? [...states, ...gm.slots([...Object.keys(spec.perNeuron ?? {}), ...summed])] : states;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function popAt(offsets: number[], g: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= g) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
