// Circuit -> flat network: contiguous index ranges per population, compressed sparse rows per
// projection, delays in steps, initial state drawn. Deterministic for a seed: every population draws
// from its own stream named after it, every block of a projection's rows, columns or synapses from
// its own stream named after the projection and the block (so any number of threads wire the same).
import type { Circuit, PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import { modelOf } from '../models/registry.js';
import type { ModelDefinition } from '../equations/model-definition.js';
import { evaluate } from '../equations/evaluate.js';
import { valueOf } from '../models/generated.js';
import type { NeuronModel } from '../models/model.js';
import { Rng } from '../rng.js';
import { ConnectivityRefusal, wireCsr, type Csr } from './connectivity.js';
import { fill } from './distributions.js';
import { PLAIN_MEMORY, runPlan, within, type Plan, type WiringMemory } from './phases.js';
import { VALUE_BLOCK, type Side } from './wiring-tasks.js';
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

export { targetIndexBytes } from './connectivity.js';

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

/** The plan that wires a projection: its synapses, then their weights and delays (phases.ts runs it). */
export function* wireProjection(
  spec: ProjectionSpec,
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
  file: string,
  memory: WiringMemory,
): Plan<CompiledProjection> {
  const src = pops.get(spec.source)!;
  const tgt = pops.get(spec.target)!;
  let csr: Csr;
  try {
    csr = yield* within(wireCsr(spec.connectivity, side(src), side(tgt), seed, spec.name, memory), 0, 0.6);
  } catch (e) {
    if (e instanceof ConnectivityRefusal)
      throw new CircuitError([{ file, path: pointer('projections', spec.name, 'connectivity'), message: e.message }]);
    throw e;
  }
  const { rowPtr, targets } = csr;
  const n = targets.length;
  const values = Math.ceil(n / VALUE_BLOCK);
  const weights = memory.result(Float32Array, n);
  // Matrix and list connectivity give every synapse its weight, in the order the plan laid them out.
  if (spec.connectivity.type === 'explicit') weights.set(spec.connectivity.weights);
  // Weights are magnitudes (the receptor gives the sign): draws below zero become zero.
  else
    yield {
      units: values,
      span: [0.6, 0.8],
      task: () => ({ kind: 'weights', dist: spec.weight, stream: { seed, name: `weight:${spec.name}` }, out: weights }),
    };
  let delays: Uint8Array | Uint16Array | null = null;
  let delaySteps = 0;
  let maxDelay = 0;
  if (spec.delay.kind === 'constant') {
    delaySteps = Math.max(0, Math.round(spec.delay.value / dt));
    maxDelay = delaySteps;
  } else {
    // One byte per delay unless one is 256 steps or longer; then they are drawn again, two bytes each.
    for (const ctor of [Uint8Array, Uint16Array] as const) {
      if (delays) memory.release(delays);
      const out = memory.result<Uint8Array | Uint16Array>(ctor, n);
      const drawn = yield {
        units: values,
        span: [0.8, 1],
        task: () => ({ kind: 'delays', dist: spec.delay, stream: { seed, name: `delay:${spec.name}` }, dt, out }),
      };
      maxDelay = drawn.reduce((m, r) => Math.max(m, r.value as number), 0);
      delays = out;
      if (delayIndexBytes(maxDelay) === out.BYTES_PER_ELEMENT || maxDelay > MAX_DELAY_STEPS) break;
    }
    // All delays rounding to zero steps: the same as a constant delay of 0.
    if (maxDelay === 0 && delays) {
      memory.release(delays);
      delays = null;
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

const side = (p: PopulationSpec): Side => ({ name: p.name, size: p.size, grid: p.grid });

/** Wires a projection on this thread (wiring-pool.ts wires the same in workers). */
export function compileProjection(
  spec: ProjectionSpec,
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
  progress?: (f: number) => void,
  file = '<circuit>',
): CompiledProjection {
  return runPlan(wireProjection(spec, pops, seed, dt, file, PLAIN_MEMORY), { progress });
}

/** `wired`: projections wired already (in worker threads, engine/compile/wiring-pool.ts), by name. */
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
