// WebAssembly for a model definition, emitted in process at load time: the CPU backend's fast path for
// models defined by equations, with the semantics of the generated JavaScript (codegen-js.ts
// jsStepSource) operation for operation: refractoriness, state update, threshold, reset, channel
// decay, in that order. It plugs in as the hand-written neuron kernels do (kernels.as.ts): the module
// imports the arena's memory, and `step(n, arrays..., scalars..., [refracSteps], inputs)` takes the byte
// offsets of the population's arrays in it, the count, and the per-step constants (StepLayout says
// which, in order; WasmStep.args builds the list). Spike indices are written relative to the first
// neuron, so a population can be split between threads by offsetting the arrays.
//
// With `phases`, the module also exports `update`, `threshold` and `reset(..., count)`: codegen-js's
// phases of a step in Brian2's order around synapse models (same arguments; reset takes the spike
// count last and returns it).
//
// With `simd` (the default), two neurons advance per f64x2: each lane performs exactly the scalar
// operations, a pair in which a neuron spikes (or is held by a refractory condition) is redone one
// neuron at a time, so the results are those of the scalar code. Models that draw random numbers (xi,
// rand, randn) run one neuron at a time, drawing from the imported Rng in JavaScript's order.
import type { Expr } from './ast.js';
import type { ModelDefinition } from './model-definition.js';
import type { Variant } from './codegen-js.js';
import { ALL_INPUTS, EXCITABILITY, JS_HELPERS, constantOf, jsExprWith, literal } from './codegen-js.js';
import { evaluate } from './evaluate.js';
import { expDet } from './exp.js';
import { propagators } from './propagator.js';
import { draws, symbolsOf } from './symbolic.js';
import { IMPORTED_MATH, type Callees } from './wasm-expr.js';
import { expDetBody, expm1Body, exprelBody, exprelVBody } from './wasm-math.js';
import { uniformBody } from './wasm-rng.js';
import type { Rng } from '../rng.js';
import { F64, FunctionBody, I32, V128, encodeModule, type FuncType, type Import, type ModuleFunction, type ValType } from './wasm-emit.js';
import { ENGINE_ARRAYS, ENGINE_SCALARS, INPUTS, StepCodegen, type Input, type Model, type StepLayout } from './wasm-step.js';

export type { ArrayArg, ScalarArg, StepLayout } from './wasm-step.js';

export interface WasmOptions {
  /** Two neurons per f64x2 (default true). Models that draw random numbers run one neuron at a time regardless. */
  simd?: boolean;
  /**
   * exp(): 'det' (default) is engine/equations/exp.ts expDet, as the built-in kernels compute it (the
   * table is read from memory at `expTable`); 'js' imports Math.exp, bit-identical to today's
   * generated JavaScript but a call into JavaScript per use.
   */
  exp?: 'det' | 'js';
  /** The memory imported is shared (the arena's, default) or not. */
  sharedMemory?: boolean;
  /** Also export update, threshold and reset (codegen-js phases), for populations stepped around synapse models. */
  phases?: boolean;
}

type Kernel = (...args: number[]) => number;

/** The module's functions over one memory; the phases are there when the module was made with `phases`. */
export interface StepExports {
  step: Kernel;
  update?: Kernel;
  threshold?: Kernel;
  /** reset(...args, count): the reset of the `count` neurons listed at `spikes`; returns count. */
  reset?: Kernel;
}

const F64_F64: FuncType = { params: [F64], results: [F64] };

/** A model's step as a WebAssembly module; compile once, instantiate per population (memory, Rng). */
export class WasmStep {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly layout: StepLayout;
  private compiled: WebAssembly.Module | undefined;
  private readonly refracSteps: ((p: Record<string, number>, dt: number) => number) | null;
  private readonly linearCache = new WeakMap<object, { dt: number; values: number[] }>();
  private readonly uniforms: UniformsFunction | null;
  /** Where each propagator entry is in WasmStep.linear's values. */
  private readonly linearIndex: Map<string, number>;

  constructor(
    readonly variant: Variant,
    options: WasmOptions = {},
  ) {
    const m = analyse(variant, options);
    this.layout = m.layout;
    this.bytes = emitModule(m, options);
    this.refracSteps = m.refrConst ? refracStepsFunction(variant.def) : null;
    this.linearIndex = new Map(linearNames(variant.def).map((name, k) => [name, k]));
    this.uniforms = variant.def.plan.uniforms?.length ? uniformsFunction(variant.def, options.exp === 'js' ? Math.exp : expDet) : null;
  }

  /** How many arguments `step` takes (n, the arrays, the scalars, refracSteps when constant, inputs). */
  get argCount(): number {
    return 1 + this.layout.arrays.length + this.layout.scalars.length + (this.layout.refracSteps ? 1 : 0) + 1;
  }

  get module(): WebAssembly.Module {
    return (this.compiled ??= new WebAssembly.Module(this.bytes));
  }

  /** The step function over `memory`; `expTable` is the byte offset of engine/equations/exp.ts EXP_TABLE in it. */
  instantiate(memory: WebAssembly.Memory, expTable: number, rng?: StepRng): StepExports {
    return instantiateStep(this.module, memory, expTable, rng);
  }

  /**
   * The arguments that advance neurons [start, start + count) of a population whose arrays live in the
   * module's memory, writing spike indices (relative to start) at byte offset `spikes`.
   */
  args(p: Record<string, number>, s: StepState, dt: number, spikes: number, start = 0, count = s.n - start): number[] {
    const out: number[] = [count];
    for (const a of this.layout.arrays) {
      if (a.kind !== 'engine') out.push(s.vars[a.name].byteOffset + start * 8);
      else if (a.name === 'refrac') out.push(s.refrac.byteOffset + start * 4);
      else if (a.name === 'spikes') out.push(spikes);
      else if (a.name === 'frozen') out.push(s.frozen ? s.frozen.byteOffset + start : 0);
      else out.push(s[a.name as Exclude<(typeof ENGINE_ARRAYS)[number], 'refrac' | 'spikes' | 'frozen'>].byteOffset + start * 8);
    }
    const engine: Record<(typeof ENGINE_SCALARS)[number], number> = {
      gain: s.mod.gain,
      excitability: s.mod.excitability,
      threshold_shift: s.mod.thresholdShift,
      t: s.time,
      dt,
      de: Math.exp(-dt / p.tau_syn_exc),
      di: Math.exp(-dt / p.tau_syn_inh),
    };
    const linear = this.layout.scalars.some((x) => x.kind === 'linear') ? this.linear(p, dt) : [];
    const uniforms = this.uniforms ? this.uniforms(p, s, dt, linear) : [];
    let h = 0;
    for (const x of this.layout.scalars)
      out.push(
        x.kind === 'param'
          ? p[x.name]
          : x.kind === 'engine'
            ? engine[x.name as keyof typeof engine]
            : x.kind === 'linear'
              ? linear[this.linearIndex.get(x.name)!]
              : uniforms[h++],
      );
    if (this.refracSteps) out.push(this.refracSteps(p, dt));
    out.push(s.inputs ?? ALL_INPUTS);
    return out;
  }

  /** phi and psi entries interleaved as codegen-js binds them, computed as generated.ts's helpers.linear. */
  private linear(p: Record<string, number>, dt: number): number[] {
    const hit = this.linearCache.get(p);
    if (hit && hit.dt === dt) return hit.values;
    const def = this.variant.def;
    const look = (name: string): number => {
      if (Object.hasOwn(p, name)) return p[name];
      const c = constantOf(name, def);
      if (c === null) throw new Error(`${name} has no value here`);
      return c;
    };
    const { phi, psi } = propagators(
      def.plan.linear!.matrix.map((row) => row.map((a) => evaluate(a, look))),
      dt,
    );
    const values = [
      ...phi.flatMap((row, i) => row.flatMap((v, j) => [v, psi[i][j]])),
      ...(def.plan.linear!.dphi ?? []).map((_, i) => phi[i][i] - 1),
    ];
    this.linearCache.set(p, { dt, values });
    return values;
  }
}

/**
 * The Rng a module's draws come from, and the byte offset of four 32-bit words in the module's memory
 * that hold its state while a generated function runs: the caller copies the state in before the call
 * (Rng.saveState) and back after it (Rng.loadState).
 */
export interface StepRng {
  rng: Pick<Rng, 'normal' | 'saveState' | 'loadState'>;
  state: number;
}

/**
 * A generated module's functions over `memory` (any thread's instance: a kernel thread instantiates the
 * module it is sent). Without an Rng, a draw gives NaN: models that draw run where their Rng is.
 */
export function instantiateStep(module: WebAssembly.Module, memory: WebAssembly.Memory, expTable: number, rng?: StepRng): StepExports {
  const math = { ...IMPORTED_MATH, exp: Math.exp, pow: Math.pow };
  let normal = (): number => NaN;
  if (rng) {
    // The state is in memory while a generated function runs (the caller copies it in and out):
    // a draw in JavaScript takes it from there and puts it back.
    const words = new Int32Array(memory.buffer, rng.state, 4);
    normal = () => {
      rng.rng.loadState(words);
      const x = rng.rng.normal();
      rng.rng.saveState(words);
      return x;
    };
  }
  const instance = new WebAssembly.Instance(module, {
    env: { memory, expTable, rngState: rng?.state ?? 0 },
    math,
    rng: { normal },
  });
  const fn = (name: string): Kernel | undefined => {
    const f = instance.exports[name];
    return typeof f === 'function' ? (f as Kernel) : undefined;
  };
  const step = fn('step');
  if (!step) throw new Error('internal: the generated module exports no step');
  return { step, update: fn('update'), threshold: fn('threshold'), reset: fn('reset') };
}

/** The part of a PopulationState the step reads (engine/models/model.ts); arrays must live in the module's memory. */
export interface StepState {
  n: number;
  vars: Record<string, Float64Array>;
  ie: Float64Array;
  ii: Float64Array;
  ge: Float64Array;
  gi: Float64Array;
  iext: Float64Array;
  refrac: Int32Array;
  /** PopulationState.inputs: which input arrays can be non-zero (all when absent). */
  inputs?: number;
  /** Phases only: which neurons are refractory this step. */
  frozen?: Uint8Array;
  time: number;
  mod: { gain: number; thresholdShift: number; excitability: number };
}

/** codegen-js's `const R = Math.floor(refractory / dt + 1e-3)`, written by the same expression generator; returns R - 1. */
function refracStepsFunction(def: ModelDefinition): (p: Record<string, number>, dt: number) => number {
  const code = (name: string): string => {
    // dt may appear in a refractory period (tau_refrac + dt): it is this function's own argument.
    if (name === 'dt') return 'dt';
    const c = constantOf(name, def);
    return c === null ? `p[${JSON.stringify(name)}]` : literal(c);
  };
  // Built from checked syntax trees only: every name in it is a quoted key or a literal.
  const fn = new Function('p', 'dt', 'H', `return Math.floor(${jsExprWith(def.refractory!.expr, code)} / dt + 1e-3) - 1;`) as (
    p: Record<string, number>,
    dt: number,
    h: typeof JS_HELPERS,
  ) => number;
  return (p, dt) => fn(p, dt, JS_HELPERS);
}

/** The propagator entries as arguments, in WasmStep.linear's order: phi and psi interleaved, then the increments. */
function linearNames(def: ModelDefinition): string[] {
  const l = def.plan.linear;
  if (!l) return [];
  return [...l.phi.flatMap((row, i) => row.flatMap((name, j) => [name, l.psi[i][j]])), ...(l.dphi ?? [])];
}

type UniformsFunction = (p: Record<string, number>, s: StepState, dt: number, linear: number[]) => number[];

/**
 * The plan's uniforms (optimize.ts), computed by JavaScript with the expressions codegen-js writes
 * before its loop, so the module gets the generated JavaScript's values bit for bit.
 */
function uniformsFunction(def: ModelDefinition, exp: (x: number) => number): UniformsFunction {
  const at = new Map<string, number>(linearNames(def).map((name, k) => [name, k]));
  const uniforms = def.plan.uniforms ?? [];
  const code = (name: string): string => {
    const c = constantOf(name, def);
    if (c !== null) return literal(c);
    if (name === 'dt') return 'dt';
    if (name === 't') return 's.time';
    if (name === 'threshold_shift') return 's.mod.thresholdShift';
    if (name === EXCITABILITY) return 's.mod.excitability';
    if (name === 'gain') return 's.mod.gain';
    if (at.has(name)) return `L[${at.get(name)}]`;
    const h = uniforms.findIndex((u) => u.name === name);
    if (h >= 0) return `U[${h}]`;
    return `p[${JSON.stringify(name)}]`;
  };
  // Built from checked syntax trees only: every name in it is a quoted key, an index or a literal.
  const body = ['const U = [];', ...uniforms.map((u) => `U.push(${jsExprWith(u.expr, code)});`), 'return U;'].join('\n');
  const fn = new Function('p', 's', 'dt', 'L', 'H', body) as (
    p: Record<string, number>,
    s: StepState,
    dt: number,
    l: number[],
    h: typeof helpers,
  ) => number[];
  const helpers = { ...JS_HELPERS, expDet: exp };
  return (p, s, dt, l) => fn(p, s, dt, l, helpers);
}

/** Every expression the step evaluates. */
function expressions(def: ModelDefinition): Expr[] {
  const p = def.plan;
  const out = [...p.lets.map((l) => l.expr), ...p.updates.map((u) => u.expr), ...def.reset.map((s) => s.expr)];
  if (def.threshold) out.push(def.threshold);
  if (def.refractory) out.push(def.refractory.expr);
  return out;
}

/** Symbols the generated JavaScript reads (codegen-js usedSymbols). */
function usedSymbols(def: ModelDefinition): Set<string> {
  const out = new Set<string>();
  for (const e of expressions(def)) symbolsOf(e, out);
  for (const row of def.plan.linear?.matrix ?? []) for (const a of row) symbolsOf(a, out);
  return out;
}

function analyse(v: Variant, options: WasmOptions): Model {
  const { def, perNeuron } = v;
  const used = usedSymbols(def);
  const states = Object.keys(def.states);
  const all = Object.keys(def.parameters).filter((k) => used.has(k));
  const refr = def.refractory;
  const refrConst = refr?.kind === 'time' && ![...symbolsOf(refr.expr)].some((s) => perNeuron.has(s));
  const random = def.plan.noise.length > 0 || expressions(def).some(draws);
  const inputs = (Object.keys(INPUTS) as Input[]).filter((k) => used.has(k));
  const perNeuronParams = all.filter((k) => perNeuron.has(k));
  const params = all.filter((k) => !perNeuron.has(k));
  const calls = callsOf(def);
  const imports = [...calls].filter((c) => Object.hasOwn(IMPORTED_MATH, c) || c === 'pow' || (c === 'exp' && options.exp === 'js'));
  const layout: StepLayout = {
    arrays: [
      ...states.map((name) => ({ kind: 'state' as const, name })),
      ...perNeuronParams.map((name) => ({ kind: 'param' as const, name })),
      ...ENGINE_ARRAYS.map((name) => ({ kind: 'engine' as const, name })),
    ],
    scalars: [
      ...params.map((name) => ({ kind: 'param' as const, name })),
      ...ENGINE_SCALARS.map((name) => ({ kind: 'engine' as const, name })),
      // Only the entries the loop reads (uniforms read theirs in JavaScript): fewer arguments per call.
      ...linearNames(def)
        .filter((name) => used.has(name))
        .map((name) => ({ kind: 'linear' as const, name })),
      ...(def.plan.uniforms ?? []).map((u) => ({ kind: 'uniform' as const, name: u.name })),
    ],
    refracSteps: refrConst,
    readsTime: used.has('t') || (def.plan.uniforms ?? []).some((u) => symbolsOf(u.expr).has('t')),
    draws: random,
    simd: (options.simd ?? true) && !random,
    imports: imports.sort(),
  };
  return { def, perNeuron, states, perNeuronParams, params, inputs, refrConst, draws: random, layout };
}

export const smallPower = (r: Expr): boolean => r.kind === 'num' && Number.isInteger(r.value) && r.value >= 2 && r.value <= 4;

/** The calls the model makes, for the module's imports and helper functions. */
function callsOf(def: ModelDefinition): Set<string> {
  const calls = new Set<string>();
  const walk = (e: Expr): void => {
    if (e.kind === 'unary') walk(e.arg);
    else if (e.kind === 'binary') {
      if (e.op === '**' && !smallPower(e.right)) calls.add('pow');
      walk(e.left);
      walk(e.right);
    } else if (e.kind === 'call') {
      calls.add(e.fn);
      e.args.forEach(walk);
    }
  };
  expressions(def).forEach(walk);
  if (def.plan.noise.length) calls.add('randn');
  return calls;
}

/** Imports, helper functions and their indices. */
function moduleFunctions(m: Model, options: WasmOptions): { imports: Import[]; callees: Callees; helpers: ModuleFunction[] } {
  const calls = callsOf(m.def);
  const shared = options.sharedMemory ?? true;
  const imports: Import[] = [
    { module: 'env', name: 'memory', kind: 'memory', min: 1, max: shared ? 65536 : undefined, shared },
    { module: 'env', name: 'expTable', kind: 'global', type: I32 },
  ];
  const callees: Callees = { math: {} };
  let next = 0;
  const importFn = (module: string, name: string, type: FuncType): number => {
    imports.push({ module, name, kind: 'func', type });
    return next++;
  };
  for (const fn of [...calls].sort()) if (Object.hasOwn(IMPORTED_MATH, fn)) callees.math[fn] = importFn('math', fn, F64_F64);
  if (calls.has('pow')) callees.pow = importFn('math', 'pow', { params: [F64, F64], results: [F64] });
  if (calls.has('exp') && options.exp === 'js') callees.exp = importFn('math', 'exp', F64_F64);
  if (calls.has('randn')) callees.normal = importFn('rng', 'normal', { params: [], results: [F64] });
  // rand() runs in the module (wasm-rng.ts) on the Rng's state at the byte offset env.rngState.
  if (calls.has('rand')) imports.push({ module: 'env', name: 'rngState', kind: 'global', type: I32 });
  // Defined functions: step (and the phases) first, then the helpers.
  const helpers: ModuleFunction[] = [];
  next += options.phases ? 4 : 1;
  const define = (body: FunctionBody, type: FuncType): number => {
    helpers.push({ type, body });
    return next++;
  };
  const table = 0;
  if (calls.has('exp') && options.exp !== 'js') {
    callees.exp = define(expDetBody(table), F64_F64);
    callees.expTable = table;
  }
  if (calls.has('rand')) callees.uniform = define(uniformBody(RNG_STATE_GLOBAL), { params: [], results: [F64] });
  if (calls.has('exprel')) {
    const expm1 = define(expm1Body(), F64_F64);
    callees.exprel = define(exprelBody(expm1), F64_F64);
    if (m.layout.simd) callees.exprelV = define(exprelVBody(expm1), { params: [V128], results: [V128] });
  }
  return { imports, callees, helpers };
}

/** The global index of env.rngState: the imported globals are expTable, then it. */
const RNG_STATE_GLOBAL = 1;

function emitModule(m: Model, options: WasmOptions): Uint8Array<ArrayBuffer> {
  const { imports, callees, helpers } = moduleFunctions(m, options);
  const params: ValType[] = [I32, ...m.layout.arrays.map((): ValType => I32), ...m.layout.scalars.map((): ValType => F64)];
  if (m.refrConst) params.push(I32);
  params.push(I32);
  const fn = (phase: 'all' | 'update' | 'threshold' | 'reset'): ModuleFunction => {
    const ps: ValType[] = phase === 'reset' ? [...params, I32] : params;
    const body = new StepCodegen(m, callees, new FunctionBody(ps), phase).emit();
    return { type: { params: ps, results: [I32] }, body, export: phase === 'all' ? 'step' : phase };
  };
  const own = options.phases ? [fn('all'), fn('update'), fn('threshold'), fn('reset')] : [fn('all')];
  return encodeModule(imports, [...own, ...helpers]);
}
