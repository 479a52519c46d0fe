// The CPU backend's side of synapse models defined by equations: per-synapse arrays (the model's
// variables, the step of each synapse's last event, its presynaptic neuron, the index by target), the
// generated functions, and the context those functions read each call. Arrays of the neurons are
// looked up at every call because the WebAssembly arena may move them.
import type { SynapseDefinition } from '../equations/synapse-definition.js';
import { synapseSource, weightIsFloat64, type Holding } from '../equations/codegen-synapse-js.js';
import { JS_HELPERS } from '../equations/codegen-js.js';
import { evaluate } from '../equations/evaluate.js';
import { UNITS, toInternal } from '../equations/dimension.js';
import { buildPostIndex } from '../plasticity/stdp.js';
import type { CompiledProjection } from '../compile/compiler.js';
import type { PopulationState } from '../models/model.js';
import { Rng } from '../rng.js';
import { propagators } from '../equations/propagator.js';
import { expDet } from '../equations/exp.js';
import type { SynapseWasm } from '../equations/codegen-synapse-wasm.js';

export interface SynapseFunctions {
  onPre(ctx: SynapseContext, spikes: Uint32Array, count: number, n: number): void;
  onPost(ctx: SynapseContext, spikes: Uint32Array, count: number, n: number): void;
  clock(ctx: SynapseContext, n: number): void;
  summed(ctx: SynapseContext, n: number): void;
  onStep(ctx: SynapseContext, n: number): void;
}

export interface Channel {
  direct: Float64Array;
  ring: Float64Array | undefined;
  len: number;
  size: number;
}

export interface SynapseContext {
  rowPtr: Uint32Array;
  targets: Uint32Array | Uint16Array;
  weights: Float32Array;
  delays: Uint8Array | Uint16Array | null;
  delaySteps: number;
  preIdx: Uint32Array;
  postPtr: Uint32Array;
  postSyn: Uint32Array;
  last: Int32Array;
  S: Record<string, Float64Array>;
  p: Record<string, number>;
  dt: number;
  pre: Record<string, Float64Array | number>;
  post: Record<string, Float64Array | number>;
  chan: Record<'ie' | 'ii' | 'ge' | 'gi', Channel>;
  mod: Record<string, number>;
  summedTargets: Record<string, Float64Array>;
  rng: Rng;
  /** exact clock-driven equations: their propagators for this projection's parameters. */
  linear: { phi: number[][]; psi: number[][] } | null;
}

export interface SynapseRuntime {
  def: SynapseDefinition;
  S: Record<string, Float64Array>;
  last: Int32Array;
  preIdx: Uint32Array;
  postPtr: Uint32Array;
  postSyn: Uint32Array;
  rng: Rng;
  /** Generated functions by variant (how the two populations hold the variables the model reads). */
  compiled: Map<string, SynapseFunctions>;
  /** Generated WebAssembly modules by variant (codegen-synapse-wasm.ts), compiled once. */
  wasm: Map<string, SynapseWasm>;
}

/** A neuron population's variables as synapse statements see them: per-neuron arrays, else the population's number. */
export function neuronView(state: PopulationState, params: Record<string, number>): Record<string, Float64Array | number> {
  return { ...params, ...state.vars };
}

export function createSynapseRuntime(
  def: SynapseDefinition,
  c: CompiledProjection,
  params: Record<string, number>,
  seed: number,
  nPost: number,
): SynapseRuntime {
  const n = c.targets.length;
  const preIdx = new Uint32Array(n);
  for (let i = 0; i + 1 < c.rowPtr.length; i++) preIdx.fill(i, c.rowPtr[i], c.rowPtr[i + 1]);
  const { postPtr, postSyn } = def.onPost.length
    ? buildPostIndex(c.rowPtr, c.targets, nPost)
    : { postPtr: new Uint32Array(nPost + 1), postSyn: new Uint32Array(0) };
  const S: Record<string, Float64Array> = {};
  const look = (name: string): number => {
    if (Object.hasOwn(params, name)) return params[name];
    if (Object.hasOwn(UNITS, name)) return toInternal(UNITS[name].si, UNITS[name].dim);
    throw new Error(`${name} has no value for an initial synaptic value`);
  };
  for (const [k, v] of Object.entries(def.variables)) S[k] = new Float64Array(n).fill(evaluate(v.initial, look));
  if (weightIsFloat64(def)) S.w = Float64Array.from(c.weights);
  return {
    def,
    S,
    last: new Int32Array(n),
    preIdx,
    postPtr,
    postSyn,
    rng: Rng.forName(seed, `synapses:${c.spec.name}`),
    compiled: new Map(),
    wasm: new Map(),
  };
}

/** The generated functions for how the populations hold the variables (an array or one number). */
export function synapseFunctions(rt: SynapseRuntime, ctx: SynapseContext, modulators: ReadonlySet<string>): SynapseFunctions {
  const holding =
    (view: Record<string, Float64Array | number>) =>
    (name: string): Holding | undefined =>
      Object.hasOwn(view, name) ? (typeof view[name] === 'number' ? 'scalar' : 'array') : undefined;
  const pre = holding(ctx.pre);
  const post = holding(ctx.post);
  const key = [...Object.keys(ctx.pre).map((k) => `<${k}:${pre(k)}`), ...Object.keys(ctx.post).map((k) => `>${k}:${post(k)}`)].join(',');
  let fns = rt.compiled.get(key);
  if (!fns) {
    // The source is built from checked syntax trees only: every name in it is a generated identifier.
    const make = new Function('H', synapseSource({ def: rt.def, pre, post, modulators })) as (
      h: typeof JS_HELPERS & { expDet: typeof expDet },
    ) => SynapseFunctions;
    fns = make({ ...JS_HELPERS, expDet });
    rt.compiled.set(key, fns);
  }
  return fns;
}

/** Bytes per synapse a synapse model costs on the CPU: weight, target, row share, its variables, event step, indices. */
/** Propagators of an exactly integrated clock-driven system, cached per parameter object (a live edit makes a new one). */
const linearCache = new WeakMap<object, { dt: number; value: { phi: number[][]; psi: number[][] } }>();
export function synapseLinear(
  def: SynapseDefinition,
  params: Record<string, number>,
  dt: number,
): { phi: number[][]; psi: number[][] } | null {
  const lin = def.clock?.linear;
  if (!lin) return null;
  const hit = linearCache.get(params);
  if (hit && hit.dt === dt) return hit.value;
  const look = (name: string): number => {
    if (Object.hasOwn(params, name)) return params[name];
    if (Object.hasOwn(UNITS, name)) return toInternal(UNITS[name].si, UNITS[name].dim);
    throw new Error(`${name} has no value in a coefficient of ${def.name}`);
  };
  const value = propagators(
    lin.matrix.map((row) => row.map((a) => evaluate(a, look))),
    dt,
  );
  linearCache.set(params, { dt, value });
  return value;
}

export function bytesPerSynapse(def: SynapseDefinition): number {
  const vars = Object.keys(def.variables).length;
  return 4 + 4 + 8 * vars + (def.eventDriven.length ? 4 : 0) + 4 + (def.onPost.length ? 4 : 0);
}
