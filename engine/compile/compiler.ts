// Circuit -> flat network: contiguous index ranges per population, compressed sparse rows per
// projection, delays in steps, initial state drawn. Deterministic for a seed: every projection and
// population draws from its own stream named after it.
import type { Circuit, PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import { modelOf } from '../models/registry.js';
import type { ModelDefinition } from '../equations/model-definition.js';
import { evaluate } from '../equations/evaluate.js';
import { valueOf } from '../models/generated.js';
import type { NeuronModel } from '../models/model.js';
import { Rng } from '../rng.js';
import { connect, ConnectivityRefusal, type Csr } from './connectivity.js';
import { fill } from './distributions.js';
import { CircuitError, pointer } from '../circuit/errors.js';
import { MAX_DELAY_STEPS } from '../circuit/limits.js';

export interface CompiledPopulation {
  spec: PopulationSpec;
  model: NeuronModel;
  /** First global neuron index; the population owns [offset, offset + size). */
  offset: number;
  /** Initial values per state variable (model vars and the synaptic channels ie, ii, ge, gi). */
  init: Record<string, Float64Array>;
}

export interface CompiledProjection {
  spec: ProjectionSpec;
  rowPtr: Uint32Array;
  /** Target neuron per synapse; 16-bit when the target population has at most 65536 neurons. */
  targets: Uint32Array | Uint16Array;
  weights: Float32Array;
  /** Per-synapse delay in steps, or null when every synapse has delaySteps. */
  delays: Uint8Array | Uint16Array | null;
  delaySteps: number;
  maxDelay: number;
}

export interface Network {
  circuit: Circuit;
  dt: number;
  populations: CompiledPopulation[];
  projections: CompiledProjection[];
  neurons: number;
  synapses: number;
}

export type Progress = (fraction: number, label: string) => void;

export function compilePopulation(
  spec: PopulationSpec,
  seed: number,
  offset: number,
  models?: Readonly<Record<string, ModelDefinition>>,
): CompiledPopulation {
  const model = modelOf(spec.model, models);
  if (!model) throw new Error(`population ${spec.name}: unknown model "${spec.model}"`);
  const init: Record<string, Float64Array> = perNeuronParams(spec, seed);
  const rng = Rng.forName(seed, `init:${spec.name}`);
  const def = models && Object.hasOwn(models, spec.model) ? models[spec.model] : undefined;
  for (const [name, st] of Object.entries(model.state)) {
    const arr = new Float64Array(spec.size);
    const d = spec.init[name];
    if (d) fill(arr, d, rng);
    else if (def && Object.keys(init).length) {
      // An initial value may depend on parameters that vary per neuron (v: E_L with E_L per neuron).
      for (let i = 0; i < arr.length; i++)
        arr[i] = evaluate(
          def.states[name].initial,
          valueOf(def, (k) => (Object.hasOwn(init, k) ? init[k][i] : Object.hasOwn(spec.params, k) ? spec.params[k] : undefined)),
        );
    } else arr.fill(st.init(spec.params));
    init[name] = arr;
  }
  for (const ch of ['ie', 'ii', 'ge', 'gi']) {
    const arr = new Float64Array(spec.size);
    if (spec.init[ch]) fill(arr, spec.init[ch], rng);
    init[ch] = arr;
  }
  return { spec, model, offset, init };
}

/** Bytes per target index: two (saved for every synapse) for target populations up to 65536 neurons, the usual case. */
export const targetIndexBytes = (targetSize: number): 2 | 4 => (targetSize <= 65536 ? 2 : 4);

/** Bytes per per-synapse delay (in steps): one below 256 steps. */
export const delayIndexBytes = (maxDelaySteps: number): 1 | 2 => (maxDelaySteps < 256 ? 1 : 2);

/** The arrays of parameters that vary per neuron, drawn from their own stream so adding one changes no other draw. */
export function perNeuronParams(spec: PopulationSpec, seed: number): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, d] of Object.entries(spec.perNeuron ?? {})) {
    const arr = new Float64Array(spec.size);
    if (Array.isArray(d)) arr.set(d);
    else fill(arr, d, Rng.forName(seed, `param:${spec.name}:${k}`));
    out[k] = arr;
  }
  return out;
}

export function compileProjection(
  spec: ProjectionSpec,
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
  progress?: (f: number) => void,
  file = '<circuit>',
): CompiledProjection {
  const src = pops.get(spec.source)!;
  const tgt = pops.get(spec.target)!;
  const csr = wire(spec, src, tgt, seed, progress, file);
  const rowPtr = csr.rowPtr;
  const targets = targetIndexBytes(tgt.size) === 2 ? Uint16Array.from(csr.targets) : csr.targets;
  const n = targets.length;
  const weights = new Float32Array(n);
  // Matrix and list connectivity give every synapse its weight, in the order connect() laid them out.
  if (spec.connectivity.type === 'explicit') weights.set(spec.connectivity.weights);
  // Weights are magnitudes (the receptor gives the sign): draws below zero become zero.
  else fill(weights, spec.weight, Rng.forName(seed, `weight:${spec.name}`), 0);
  let delays: Uint8Array | Uint16Array | null = null;
  let delaySteps = 0;
  let maxDelay = 0;
  if (spec.delay.kind === 'constant') {
    delaySteps = Math.max(0, Math.round(spec.delay.value / dt));
    maxDelay = delaySteps;
  } else {
    const ms = new Float64Array(n);
    fill(ms, spec.delay, Rng.forName(seed, `delay:${spec.name}`), 0);
    for (let k = 0; k < n; k++) maxDelay = Math.max(maxDelay, Math.round(ms[k] / dt));
    // All delays rounding to zero steps: the same as a constant delay of 0.
    if (maxDelay > 0) {
      delays = delayIndexBytes(maxDelay) === 1 ? new Uint8Array(n) : new Uint16Array(n);
      for (let k = 0; k < n; k++) delays[k] = Math.round(ms[k] / dt);
    }
  }
  if (maxDelay > MAX_DELAY_STEPS)
    throw new CircuitError([
      {
        file,
        path: `/projections/${spec.name}/delay`,
        message: `delays up to ${maxDelay} steps (${maxDelay * dt} ms at dt ${dt} ms); at most ${MAX_DELAY_STEPS} steps are supported`,
      },
    ]);
  return { spec, rowPtr, targets, weights, delays, delaySteps, maxDelay };
}

/** connect() with its refusal turned into the document's error (file and path of the projection). */
function wire(
  spec: ProjectionSpec,
  src: PopulationSpec,
  tgt: PopulationSpec,
  seed: number,
  progress: ((f: number) => void) | undefined,
  file: string,
): Csr {
  try {
    return connect(spec.connectivity, src, tgt, Rng.forName(seed, `connect:${spec.name}`), progress);
  } catch (e) {
    if (e instanceof ConnectivityRefusal)
      throw new CircuitError([{ file, path: pointer('projections', spec.name, 'connectivity'), message: e.message }]);
    throw e;
  }
}

/** `wired`: projections wired already (off the loop's thread, engine/compile/off-thread.ts), by name. */
export function compile(
  circuit: Circuit,
  options: { dt?: number; seed?: number; progress?: Progress; wired?: ReadonlyMap<string, CompiledProjection> } = {},
): Network {
  const dt = options.dt ?? circuit.dt;
  const seed = options.seed ?? circuit.seed;
  const pops = new Map(circuit.populations.map((p) => [p.name, p]));
  let offset = 0;
  const populations = circuit.populations.map((p) => {
    const cp = compilePopulation(p, seed, offset, circuit.models);
    offset += p.size;
    return cp;
  });
  const projections = circuit.projections.map(
    (p, k) =>
      options.wired?.get(p.name) ??
      compileProjection(
        p,
        pops,
        seed,
        dt,
        options.progress && ((f) => options.progress!((k + f) / circuit.projections.length, `wiring ${p.name}`)),
        circuit.file,
      ),
  );
  options.progress?.(1, 'wired');
  return {
    circuit,
    dt,
    populations,
    projections,
    neurons: offset,
    synapses: projections.reduce((a, p) => a + p.targets.length, 0),
  };
}

/** Bytes held by synapses (static structure + plasticity state the CPU backend adds). */
export function synapseBytes(p: CompiledProjection): { static: number; plastic: number } {
  const base = p.rowPtr.byteLength + p.targets.byteLength + p.weights.byteLength + (p.delays?.byteLength ?? 0);
  if (!p.spec.plasticity) return { static: base, plastic: 0 };
  // post-side index (Uint32 per synapse + row pointers) and, for reward STDP, an eligibility trace.
  const plastic = p.targets.length * 4 + (p.spec.plasticity.rule === 'reward_stdp' ? p.targets.length * 4 : 0);
  return { static: base, plastic };
}
