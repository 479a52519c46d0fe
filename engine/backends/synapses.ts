// The CPU backend's side of synapse models defined by equations: per-synapse arrays (the model's
// variables, the step of each synapse's last event, its presynaptic neuron, the index by target), the
// generated functions (WebAssembly, else JavaScript), and the context those functions read. The
// backend builds the context again after an edit or when the WebAssembly memory grows (views of the
// neurons' arrays are made again then).
import type { SynapseDefinition } from '../equations/synapse-definition.js';
import { synapseSource, weightIsFloat64, type Holding, type SynapseContext } from '../equations/codegen-synapse-js.js';

export type { SynapseContext } from '../equations/codegen-synapse-js.js';
import { JS_HELPERS } from '../equations/codegen-js.js';
import { evaluate } from '../equations/evaluate.js';
import { UNITS, toInternal } from '../equations/dimension.js';
import { buildPostIndex } from '../plasticity/stdp.js';
import type { CompiledProjection } from '../compile/compiler.js';
import type { PopulationState } from '../models/model.js';
import { Rng } from '../rng.js';
import { propagators } from '../equations/propagator.js';
import { expDet } from '../equations/exp.js';
import { SynapseWasm, synapseWasmRefusal, type SynapseWasmVariant } from '../equations/codegen-synapse-wasm.js';
import { boundCallAfter } from './wasm/bound-call.js';

export interface SynapseFunctions {
  /** on_pre at step n for the spikes spikes[from .. from + count), sent at step n - d (codegen-synapse-js.ts). */
  onPre(ctx: SynapseContext, spikes: Uint32Array, from: number, count: number, n: number, d: number): void;
  onPost(ctx: SynapseContext, spikes: Uint32Array, from: number, count: number, n: number): void;
  clock(ctx: SynapseContext, n: number): void;
  summed(ctx: SynapseContext, n: number): void;
  onStep(ctx: SynapseContext, n: number): void;
}

export interface SynapseRuntime {
  def: SynapseDefinition;
  S: Record<string, Float64Array>;
  last: Int32Array;
  preIdx: Uint32Array;
  postPtr: Uint32Array;
  postSyn: Uint32Array;
  /** Each row's synapses in order of delay (per-synapse delays and on_pre), else empty. */
  byDelay: Uint32Array;
  /**
   * The source's spikes of the last `historyLen` steps (delayed projections with on_pre, else empty):
   * slot n % historyLen holds step n's count, then its spikes (nPre + 1 words a slot).
   */
  history: Uint32Array;
  historyLen: number;
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
  const arrivals = def.onPre.length > 0 && c.maxDelay > 0;
  const nPre = c.rowPtr.length - 1;
  const historyLen = arrivals ? c.maxDelay + 1 : 0;
  return {
    def,
    S,
    last: new Int32Array(n),
    preIdx,
    postPtr,
    postSyn,
    byDelay: arrivals && c.delays ? delayOrder(c.rowPtr, c.delays) : new Uint32Array(0),
    history: new Uint32Array(historyLen * (nPre + 1)),
    historyLen,
    rng: Rng.forName(seed, `synapses:${c.spec.name}`),
    compiled: new Map(),
    wasm: new Map(),
  };
}

/** Each row's synapse indices sorted by delay (stable: by index within one delay). */
export function delayOrder(rowPtr: Uint32Array, delays: Uint8Array | Uint16Array): Uint32Array {
  const out = new Uint32Array(delays.length);
  let longest = 0;
  for (let i = 0; i + 1 < rowPtr.length; i++) longest = Math.max(longest, rowPtr[i + 1] - rowPtr[i]);
  // Keys delay * len + position (below 2^48: exact in a double) sort numerically, without a comparator.
  const keys = new Float64Array(longest);
  for (let i = 0; i + 1 < rowPtr.length; i++) {
    const lo = rowPtr[i];
    const len = rowPtr[i + 1] - lo;
    const row = keys.subarray(0, len);
    for (let x = 0; x < len; x++) row[x] = delays[lo + x] * len + x;
    row.sort();
    for (let x = 0; x < len; x++) out[lo + x] = lo + (row[x] % len);
  }
  return out;
}

/** How a population holds each variable a synapse statement may read: an array per neuron, or one number. */
const holdingOf =
  (view: Record<string, Float64Array | number>) =>
  (name: string): Holding | undefined =>
    Object.hasOwn(view, name) ? (typeof view[name] === 'number' ? 'scalar' : 'array') : undefined;

/** The populations' holdings as a key: generated code is specific to them. */
const holdingKey = (ctx: SynapseContext): string =>
  [
    ...Object.keys(ctx.pre).map((k) => `<${k}:${holdingOf(ctx.pre)(k)}`),
    ...Object.keys(ctx.post).map((k) => `>${k}:${holdingOf(ctx.post)(k)}`),
  ].join(',');

/** The generated functions for how the populations hold the variables (an array or one number). */
export function synapseFunctions(rt: SynapseRuntime, ctx: SynapseContext, modulators: ReadonlySet<string>): SynapseFunctions {
  const pre = holdingOf(ctx.pre);
  const post = holdingOf(ctx.post);
  const key = holdingKey(ctx);
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

/**
 * The synapse model's generated WebAssembly (codegen-synapse-wasm.ts), bit-identical to its generated
 * JavaScript, as the functions the step calls; or why not: the model cannot have a module (it draws
 * random numbers, ...: synapseWasmRefusal) or an array it reads is outside `memory`.
 */
export function synapseKernels(
  rt: SynapseRuntime,
  ctx: SynapseContext,
  modulators: ReadonlySet<string>,
  where: { samePopulation: boolean; memory: WebAssembly.Memory; expTable: number },
): SynapseFunctions | { why: string } {
  const variant: SynapseWasmVariant = {
    def: rt.def,
    pre: holdingOf(ctx.pre),
    post: holdingOf(ctx.post),
    modulators,
    targetBytes: ctx.targets.BYTES_PER_ELEMENT === 2 ? 2 : 4,
    delayBytes: ctx.delays === null ? 0 : ctx.delays.BYTES_PER_ELEMENT === 1 ? 1 : 2,
    samePopulation: where.samePopulation,
  };
  const refusal = synapseWasmRefusal(variant);
  if (refusal !== null) return { why: refusal };
  const key = [variant.targetBytes, variant.delayBytes, variant.samePopulation, [...modulators].sort().join(','), holdingKey(ctx)].join(
    '|',
  );
  let w = rt.wasm.get(key);
  if (!w) rt.wasm.set(key, (w = new SynapseWasm(variant)));
  const args = w.argsOf(ctx, where.memory.buffer);
  if (!args) return { why: 'an array it reads is outside the WebAssembly memory' };
  const e = w.instantiate(where.memory, where.expTable);
  // The levels of the modulators the model reads, in the order of their arguments, filled each call.
  const levels = new Float64Array(w.modulators.length);
  const names = w.modulators;
  const bind = (f: (...a: number[]) => number) => {
    const call = boundCallAfter(f, args, names.length);
    return (c: SynapseContext, a: number, b: number, n: number, d: number) => {
      for (let m = 0; m < names.length; m++) levels[m] = c.mod[names[m]];
      call(a, b, n, d, levels);
    };
  };
  const [pre, post, clock, summed, step] = [e.onPre, e.onPost, e.clock, e.summed, e.onStep].map(bind);
  return {
    onPre: (c, spikes, from, count, n, d) => pre(c, spikes.byteOffset + 4 * from, count, n, d),
    onPost: (c, spikes, from, count, n) => post(c, spikes.byteOffset + 4 * from, count, n, 0),
    clock: (c, n) => clock(c, 0, 0, n, 0),
    summed: (c, n) => summed(c, 0, 0, n, 0),
    onStep: (c, n) => step(c, 0, 0, n, 0),
  };
}

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
