// WGSL for a model definition: the WebGPU backend's `modelStep` (called by shaders/neuron.wgsl) for
// every population of the model, generated from the same plan as the CPU's JavaScript (codegen-js.ts,
// the reference semantics: same order of work, same refractory counters, same engine symbols).
//
// One kernel serves every population of the model whatever its parameters that vary per neuron: the
// population's constants (at pb + P_K) start with a mask saying which of the parameters the kernel
// reads come from a state slot (after the model's state variables, in `slots()` order) instead of
// from the constants. A branch on the mask is uniform across a population, and a live edit that makes
// a parameter vary per neuron needs no new pipeline.
//
// Everything is float32. Constant subexpressions (units, numbers, pi) are folded here in float64, as
// the JavaScript engine folds them, so the WGSL never holds a constant expression the shader compiler
// would have to evaluate (and refuse on overflow).
import type { Expr, Statement } from './ast.js';
import { RATE_INPUT_STATE, type ModelDefinition } from './model-definition.js';
import { constantOf, local } from './codegen-js.js';
import { evaluate } from './evaluate.js';
import { propagators } from './propagator.js';
import { symbolsOf } from './symbolic.js';

/** Why a model cannot run on the WebGPU backend. */
export class WgslError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WgslError';
  }
}

const F32_MAX = 3.4028234663852886e38;
const F32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * A float32 literal. WGSL has no infinity literal: ±Infinity (Brian2's `inf`) becomes ±the largest
 * finite float32, so comparisons with it keep their meaning; a finite number beyond float32's range,
 * or NaN, is refused. Subnormals become zero (GPUs flush them anyway).
 */
export function f32Literal(v: number): string {
  if (Number.isNaN(v)) throw new WgslError('NaN has no float32 literal');
  const x = v === Infinity ? F32_MAX : v === -Infinity ? -F32_MAX : v;
  let f = Math.fround(x);
  if (!Number.isFinite(f)) throw new WgslError(`the constant ${v} is beyond float32's range (±${F32_MAX})`);
  const negative = f < 0 || Object.is(f, -0);
  if (Math.abs(f) < F32_MIN_NORMAL) f = 0;
  let s = String(Math.abs(f));
  if (!/[.e]/.test(s)) s += '.0';
  return negative ? `(-${s}f)` : `${s}f`;
}

/** WGSL of each function of the equation language (check-units.ts FUNCTIONS); rand and randn are separate. */
const WGSL_FUNCTIONS: Readonly<Record<string, string>> = Object.freeze({
  exp: 'exp',
  log: 'log',
  log10: 'fx_log10',
  sin: 'sin',
  cos: 'cos',
  tan: 'tan',
  sinh: 'sinh',
  cosh: 'cosh',
  tanh: 'tanh',
  arcsin: 'asin',
  arccos: 'acos',
  arctan: 'atan',
  sqrt: 'sqrt',
  abs: 'abs',
  floor: 'floor',
  ceil: 'ceil',
  sign: 'sign',
  int: 'trunc',
  exprel: 'fx_exprel',
  clip: 'fx_clip',
});

/** Helpers the generated code calls; names start with fx_, which no mangled user name does. */
export const MATH_HELPERS = `
fn fx_log10(x: f32) -> f32 { return log(x) * 0.4342944819032518; }
// Below |x| = 0.1 the series (error < x^6/5040) instead of exp(x) - 1, which cancels in float32.
fn fx_exprel(x: f32) -> f32 {
  if (abs(x) < 0.1) { return 1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x / 720.0)))); }
  return (exp(x) - 1.0) / x;
}
// min(max()) as the CPU computes it (WGSL's clamp is unspecified when lo > hi).
fn fx_clip(x: f32, lo: f32, hi: f32) -> f32 { return min(max(x, lo), hi); }
fn fx_p2(x: f32) -> f32 { return x * x; }
fn fx_p3(x: f32) -> f32 { return x * x * x; }
fn fx_p4(x: f32) -> f32 { return x * x * x * x; }
// Math.pow's sign for a negative base and an integer exponent (WGSL's pow is undefined for x < 0).
fn fx_pow(x: f32, y: f32) -> f32 {
  let r = pow(abs(x), y);
  if (x >= 0.0 || y != trunc(y)) { return select(r, pow(x, y), x < 0.0); }
  return select(r, -r, trunc(y * 0.5) * 2.0 != y);
}
// Standard normal draws: Box-Muller on two counter-based uniforms (u1 in (0, 1], so log is finite).
fn fx_uniform(key: u32, step: u32, i: u32, purpose: u32) -> f32 { return uniformAt(key, step, i, purpose); }
fn fx_normal(key: u32, step: u32, i: u32, purpose: u32) -> f32 {
  let u1 = 1.0 - uniformAt(key, step, i, purpose);
  let u2 = uniformAt(key, step, i, purpose + 1u);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
`;

/** MATH_HELPERS and the per-neuron parameter lookup of neuron kernels (which reads `st` as f32). */
export const NEURON_HELPERS = `${MATH_HELPERS}// A parameter the kernel reads: from the population's constants, or from its slot when the mask says
// it varies per neuron (slots follow the state variables, in the order of the mask's bits).
fn fx_param(k: u32, mask: u32, j: u32, first: u32, sb: u32, n: u32, i: u32) -> f32 {
  if (((mask >> j) & 1u) == 0u) { return pf(k + 1u + j); }
  return st[sb + (first + countOneBits(mask & ((1u << j) - 1u))) * n + i];
}
`;

/** Random-stream purposes: Poisson sources use 1 + k (and that ^ 0x55555555). */
const NOISE_PURPOSE = 0x40000000;
const CALL_PURPOSE = 0x60000000;

/** The engine-provided symbols as WGSL (`m` is the population's modulator effects, `nv` its slots). */
const ENGINE_WGSL: Readonly<Record<string, string>> = Object.freeze({
  I_ext: 'iext + m.excitability',
  I_exc: 'm.gain * st[chan(sb, nv, n, CH_IE, i)]',
  I_inh: 'm.gain * st[chan(sb, nv, n, CH_II, i)]',
  g_exc: 'm.gain * st[chan(sb, nv, n, CH_GE, i)]',
  g_inh: 'm.gain * st[chan(sb, nv, n, CH_GI, i)]',
  threshold_shift: 'm.shift',
  gain: 'm.gain',
  dt: 'pf(H_DT)',
  t: 'f32(step) * pf(H_DT)',
});

/** A generated expression: its code, whether it is a bool, and how tightly it binds (0 atom, 2 *, 3 +). */
interface Code {
  code: string;
  bool: boolean;
  prec: number;
  /** Its value when it is constant (folded in float64). */
  value: number | null;
  /** Parentheses and calls it nests. */
  depth: number;
}

const BOOL_OPS = new Set(['<', '<=', '>', '>=', '==', '!=', 'and', 'or']);

/**
 * Deepest nesting kept in one expression: the shader compiler stops at a recursion depth (Tint:
 * "maximum parser recursive depth reached" near 60 nested calls), and subexpressions inlined into each
 * other can nest far deeper than the document's own limit. Deeper parts become temporaries (every
 * generated expression is free of side effects, random draws included, so evaluating one early is safe).
 */
const MAX_DEPTH = 16;

/**
 * WGSL of expressions and statements of one model: `what` names it in errors, `constantOf` gives the
 * value of a symbol that is a unit or a constant (null: a local of the generated code, named by local()).
 * Shared by neuron kernels and synapse kernels (codegen-synapse-wgsl.ts).
 */
export class Emitter {
  private calls = 0;
  private hoisted = 0;
  private pre: string[] = [];
  constructor(
    private readonly what: string,
    private readonly constantOf: (name: string) => number | null,
  ) {}

  private asF32(c: Code): string {
    return c.bool ? `select(0.0f, 1.0f, ${c.code})` : c.code;
  }

  private asBool(c: Code): string {
    return c.bool ? c.code : `(${c.code} != 0.0f)`;
  }

  /** A code with its nesting depth, or a temporary holding it when it nests too deep. */
  private make(code: string, bool: boolean, prec: number, depth: number): Code {
    if (depth <= MAX_DEPTH) return { code, bool, prec, value: null, depth };
    const name = `fx_h${this.hoisted++}`;
    this.pre.push(`let ${name} = ${code};`);
    return { code: name, bool, prec: 0, value: null, depth: 0 };
  }

  private constant(e: Expr, value: number): Code {
    const bool = (e.kind === 'binary' && BOOL_OPS.has(e.op)) || (e.kind === 'unary' && e.op === 'not');
    if (bool) return { code: value ? 'true' : 'false', bool: true, prec: 0, value, depth: 0 };
    if (Number.isNaN(value)) throw new WgslError(`${this.what}: a constant expression has no value (NaN)`);
    try {
      return { code: f32Literal(value), bool: false, prec: 0, value, depth: 1 };
    } catch (err) {
      throw new WgslError(`${this.what}: ${(err as Error).message}`);
    }
  }

  private expr(e: Expr): Code {
    switch (e.kind) {
      case 'num':
        return this.constant(e, e.value);
      case 'sym': {
        const c = this.constantOf(e.name);
        return c === null ? { code: local(e.name), bool: false, prec: 0, value: null, depth: 0 } : this.constant(e, c);
      }
      case 'unary': {
        const a = this.expr(e.arg);
        if (a.value !== null)
          return this.constant(
            e,
            evaluate({ ...e, arg: { kind: 'num', value: a.value } }, () => NaN),
          );
        if (e.op === 'not') return this.make(`(!${this.asBool(a)})`, true, 0, a.depth + 2);
        if (e.op === '+') return a;
        const atom = !a.bool && a.prec > 0 ? `(${a.code})` : this.asF32(a);
        return this.make(`(-${atom})`, false, 0, a.depth + 2);
      }
      case 'binary':
        return this.binary(e);
      case 'call':
        return this.call(e);
    }
  }

  private binary(e: Expr & { kind: 'binary' }): Code {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    if (l.value !== null && r.value !== null)
      return this.constant(
        e,
        evaluate({ ...e, left: { kind: 'num', value: l.value }, right: { kind: 'num', value: r.value } }, () => NaN),
      );
    const depth = Math.max(l.depth, r.depth) + 2;
    if (e.op === 'and' || e.op === 'or')
      return this.make(`(${this.asBool(l)} ${e.op === 'and' ? '&&' : '||'} ${this.asBool(r)})`, true, 0, depth);
    if (BOOL_OPS.has(e.op)) return this.make(`(${this.asF32(l)} ${e.op} ${this.asF32(r)})`, true, 0, depth);
    if (e.op === '**') return this.power(l, r);
    // Parentheses only where the tree needs them: long sums stay flat (the shader compiler limits nesting).
    const additive = e.op === '+' || e.op === '-';
    const lp = !l.bool && l.prec > (additive ? 3 : 2);
    const rp = !r.bool && r.prec >= (additive ? 3 : 2);
    const code = `${lp ? `(${l.code})` : this.asF32(l)} ${e.op} ${rp ? `(${r.code})` : this.asF32(r)}`;
    return this.make(code, false, additive ? 3 : 2, Math.max(l.depth + (lp || l.bool ? 1 : 0), r.depth + (rp || r.bool ? 1 : 0)));
  }

  /** Small integer powers as products (codegen-js does the same); others keep Math.pow's signs. */
  private power(base: Code, exponent: Code): Code {
    const b = this.asF32(base);
    const k = exponent.value;
    const depth = Math.max(base.depth, exponent.depth) + 2;
    if (k !== null && Number.isInteger(k) && k >= 2 && k <= 4) return this.make(`fx_p${k}(${b})`, false, 0, depth);
    return this.make(`fx_pow(${b}, ${this.asF32(exponent)})`, false, 0, depth);
  }

  private call(e: Expr & { kind: 'call' }): Code {
    if (e.fn === 'rand' || e.fn === 'randn') {
      // Each call site draws its own number per neuron and step.
      const purpose = CALL_PURPOSE + 2 * this.calls++;
      return this.make(`fx_${e.fn === 'rand' ? 'uniform' : 'normal'}(key, step, i, ${purpose}u)`, false, 0, 1);
    }
    if (!Object.hasOwn(WGSL_FUNCTIONS, e.fn)) throw new WgslError(`${this.what}: no WGSL for function ${e.fn}`);
    const args = e.args.map((a) => this.expr(a));
    if (args.every((a) => a.value !== null))
      return this.constant(
        e,
        evaluate({ ...e, args: args.map((a) => ({ kind: 'num', value: a.value! })) }, () => NaN),
      );
    const depth = Math.max(...args.map((a) => a.depth)) + 2;
    return this.make(`${WGSL_FUNCTIONS[e.fn]}(${args.map((a) => this.asF32(a)).join(', ')})`, false, 0, depth);
  }

  /** The temporaries the expressions generated since the last call need, to go in front of them. */
  private take(): string[] {
    const out = this.pre;
    this.pre = [];
    return out;
  }

  /** Lines computing `e` as a float32 into the line `line(code)`. */
  f32(e: Expr, line: (code: string) => string): string[] {
    const code = this.asF32(this.expr(e));
    return [...this.take(), line(code)];
  }

  /** Lines computing the condition `e` (a bool) into the line `line(code)`. */
  cond(e: Expr, line: (code: string) => string): string[] {
    const code = this.asBool(this.expr(e));
    return [...this.take(), line(code)];
  }

  statement(s: Statement): string[] {
    return this.f32(s.expr, (code) => `${local(s.target)} ${s.op} ${code};`);
  }
}

/** The GPU side of a model defined by equations: its kernel, and the constants each population packs. */
export interface WgslModel {
  def: ModelDefinition;
  /** Parameters the kernel reads, in the order of the mask's bits and of the constant words after it. */
  params: string[];
  /** Constant words per population: mask, parameters, refractory steps, exact's propagator entries. */
  words: number;
  /** What the words hold, for error messages. */
  wordsDoc: string;
  /**
   * The WGSL defining modelStep (with its helpers). `phased`: without the reset, which then runs after
   * the synapses (modelReset), as the CPU steps populations when synapse models run (Brian2's order).
   */
  source(phased?: boolean): string;
  /**
   * The step alone (not phased), as a function of the given name without NEURON_HELPERS: what a kernel
   * stepping several families includes once per family (shaders/resident.wgsl).
   */
  stepFunction(name: string): string;
  /** The WGSL defining modelReset (with its helpers): the reset statements for one neuron that spiked. */
  resetSource(): string;
  /** The parameters a population keeps in state slots after the model's states, in slot order. */
  slots(perNeuron: Iterable<string>): string[];
  /** The population's constant words (float32 bits, mask and steps as integers), computed in float64. */
  pack(values: Readonly<Record<string, number>>, perNeuron: ReadonlySet<string>, dt: number): Uint32Array;
}

/** Every symbol the kernel reads (exact's coefficient matrix is the host's: its propagators are constants). */
function kernelSymbols(def: ModelDefinition): Set<string> {
  const out = new Set<string>();
  for (const l of def.plan.lets) symbolsOf(l.expr, out);
  for (const u of def.plan.updates) symbolsOf(u.expr, out);
  if (def.threshold) symbolsOf(def.threshold, out);
  for (const s of def.reset) symbolsOf(s.expr, out);
  if (def.refractory) symbolsOf(def.refractory.expr, out);
  return out;
}

interface Plan {
  params: string[];
  refrWord: number;
  linear: { name: string; row: number; col: number; which: 'phi' | 'psi' | 'dphi'; word: number }[];
  words: number;
}

function constantPlan(def: ModelDefinition, used: Set<string>): Plan {
  const params = Object.keys(def.parameters).filter((k) => used.has(k));
  let words = 1 + params.length;
  const refrWord = def.refractory?.kind === 'time' ? words++ : -1;
  const linear: Plan['linear'] = [];
  const lin = def.plan.linear;
  if (lin)
    for (const which of ['phi', 'psi'] as const)
      lin[which].forEach((row, i) =>
        row.forEach((name, j) => {
          if (used.has(name)) linear.push({ name, row: i, col: j, which, word: words++ });
        }),
      );
  lin?.dphi?.forEach((name, i) => {
    if (used.has(name)) linear.push({ name, row: i, col: i, which: 'dphi', word: words++ });
  });
  return { params, refrWord, linear, words };
}

const cache = new WeakMap<ModelDefinition, WgslModel>();

export function wgslModel(def: ModelDefinition): WgslModel {
  const hit = cache.get(def);
  if (hit) return hit;
  const used = kernelSymbols(def);
  const plan = constantPlan(def, used);
  let source: string | null = null;
  let phasedSource: string | null = null;
  let resetSource: string | null = null;
  const model: WgslModel = {
    def,
    params: plan.params,
    words: plan.words,
    wordsDoc: `1 mask, ${plan.params.length} parameters${plan.refrWord >= 0 ? ', 1 refractory period' : ''}${plan.linear.length ? `, ${plan.linear.length} propagator entries` : ''}`,
    source: (phased = false) =>
      phased ? (phasedSource ??= generate(def, used, plan, true)) : (source ??= generate(def, used, plan, false)),
    stepFunction: (name) => generate(def, used, plan, false, name),
    resetSource: () => (resetSource ??= generateReset(def, plan)),
    slots(perNeuron) {
      const set = new Set(perNeuron);
      return [...plan.params.filter((k) => set.has(k)), ...Object.keys(def.parameters).filter((k) => set.has(k) && !used.has(k))];
    },
    pack: (values, perNeuron, dt) => pack(def, plan, values, perNeuron, dt),
  };
  cache.set(def, model);
  return model;
}

/** Refuses a model whose constants do not fit the population record (naming the model and the count). */
export function checkFits(m: WgslModel, maxWords: number): void {
  if (m.words > maxWords)
    throw new WgslError(
      `model "${m.def.name}" needs ${m.words} constant words on the GPU (${m.wordsDoc}); at most ${maxWords} fit: use the cpu backend`,
    );
}

function pack(
  def: ModelDefinition,
  plan: Plan,
  values: Readonly<Record<string, number>>,
  perNeuron: ReadonlySet<string>,
  dt: number,
): Uint32Array {
  const out = new Uint32Array(plan.words);
  const f = new Float32Array(out.buffer);
  const look = (name: string): number => {
    if (Object.hasOwn(values, name)) return values[name];
    const c = constantOf(name, def);
    if (c === null) throw new Error(`${name} has no value here`);
    return c;
  };
  let mask = 0;
  plan.params.forEach((k, j) => {
    if (perNeuron.has(k)) mask |= 1 << j;
    f[1 + j] = look(k);
  });
  out[0] = mask >>> 0;
  if (plan.refrWord >= 0) {
    const r = Math.floor(evaluate(def.refractory!.expr, (name) => (name === 'dt' ? dt : look(name))) / dt + 1e-3);
    // Stored as an i32; beyond its range the neuron is refractory for as long as a counter can say.
    out[plan.refrWord] = (Number.isNaN(r) ? 0 : Math.min(Math.max(r, -(2 ** 31)), 2 ** 31 - 1)) >>> 0;
  }
  if (plan.linear.length) {
    const m = def.plan.linear!.matrix.map((row) => row.map((a) => evaluate(a, look)));
    const p = propagators(m, dt);
    // phi_ii - 1 in float64 (exact: phi_ii is in [0.5, 2]), then float32
    for (const x of plan.linear) f[x.word] = x.which === 'dphi' ? p.phi[x.row][x.col] - 1 : p[x.which][x.row][x.col];
  }
  return out;
}

/** The WGSL of modelStep, in codegen-js's order: refractoriness, state update, threshold, reset (unless phased). */
function generate(def: ModelDefinition, used: Set<string>, plan: Plan, phased: boolean, name?: string): string {
  if (plan.params.length > 31)
    throw new WgslError(`model "${def.name}" reads ${plan.params.length} parameters; at most 31 fit the GPU's mask`);
  const em = new Emitter(`model "${def.name}"`, (name) => constantOf(name, def));
  const p = def.plan;
  const states = Object.keys(def.states);
  const body: string[] = [
    'let k = pb + P_K;',
    'let mask = pu(k);',
    'let m = modOf(pop);',
    'let nv = pu(pb + P_NVARS);',
    'let key = pu(pb + P_RNG);',
  ];
  states.forEach((x, j) => body.push(`var ${local(x)} = st[sb + ${j}u * n + i];`));
  // A population driven by rate inputs gets their sum as its `drive` (flag 4, set by the host; the
  // CPU writes it there before the step).
  if (Object.hasOwn(def.states, RATE_INPUT_STATE)) body.push(`if ((pu(pb + P_FLAGS) & 4u) != 0u) { ${local(RATE_INPUT_STATE)} = iext; }`);
  plan.params.forEach((k, j) => body.push(`let ${local(k)} = fx_param(k, mask, ${j}u, ${states.length}u, sb, n, i);`));
  for (const [name, code] of Object.entries(ENGINE_WGSL)) if (used.has(name)) body.push(`let ${local(name)} = ${code};`);
  for (const x of plan.linear) body.push(`let ${local(x.name)} = pf(k + ${x.word}u);`);
  const refr = def.refractory;
  if (refr?.kind === 'time') body.push('var awake = true;', 'if (refracOf(g) > 0) { setRefrac(g, refracOf(g) - 1); awake = false; }');
  // Held refractory from the spike until the condition is false, judged at the start of the step (as codegen-js).
  else if (refr?.kind === 'condition')
    body.push(...em.cond(refr.expr, (c) => `if (refracOf(g) > 0 && !${c}) { setRefrac(g, 0); }`), 'let awake = refracOf(g) == 0;');
  else body.push('let awake = true;');
  p.noise.forEach((x, j) => body.push(`let ${local(x)} = fx_normal(key, step, i, ${NOISE_PURPOSE + 2 * j}u);`));
  for (const l of p.lets) body.push(...em.f32(l.expr, (c) => `let ${local(l.name)} = ${c};`));
  p.updates.forEach((u, j) => body.push(...em.f32(u.expr, (c) => `let nx_${j} = ${c};`)));
  p.updates.forEach((u, j) => body.push(u.unlessRefractory ? `if (awake) { ${local(u.name)} = nx_${j}; }` : `${local(u.name)} = nx_${j};`));
  body.push('var spiked = false;');
  if (def.threshold) {
    body.push(...em.cond(def.threshold, (c) => `if (awake && ${c}) {`), '  spiked = true;');
    if (!phased) for (const s of def.reset) body.push(...em.statement(s).map((l) => '  ' + l));
    if (refr?.kind === 'time') body.push(...refractorySteps(def, plan, em).map((l) => '  ' + l));
    else if (refr?.kind === 'condition') body.push('  setRefrac(g, 1);');
    body.push('}');
  }
  states.forEach((x, j) => body.push(`st[sb + ${j}u * n + i] = ${local(x)};`));
  body.push('return spiked;');
  return [
    // The name is the document's text: only name characters go into the comment (a line break would end it).
    `// ${name ?? 'modelStep'} of the model "${def.name.replace(/[^\w.-]/g, '?')}" (${def.method}${phased ? ', reset apart' : ''}), generated by engine/equations/codegen-wgsl.ts.`,
    ...(name === undefined ? [NEURON_HELPERS] : []),
    `fn ${name ?? 'modelStep'}(pb: u32, pop: u32, i: u32, g: u32, sb: u32, n: u32, iext: f32, step: u32) -> bool {`,
    ...body.map((l) => '  ' + l),
    '}',
    '',
  ].join('\n');
}

/**
 * The reset statements of one neuron that spiked, run after the synapses (codegen-js's 'reset' phase).
 * The engine's inputs are not at hand there (the channels already hold part of this step's events on
 * the CPU, in the ring here): a reset reading them is refused.
 */
function generateReset(def: ModelDefinition, plan: Plan): string {
  const em = new Emitter(`model "${def.name}"`, (name) => constantOf(name, def));
  const reads = new Set<string>();
  for (const s of def.reset) symbolsOf(s.expr, reads);
  const engine = Object.keys(ENGINE_WGSL).find((x) => reads.has(x) && x !== 't' && x !== 'dt');
  if (engine !== undefined)
    throw new WgslError(
      `model "${def.name}": its reset reads ${engine}, which the GPU cannot give a reset that runs after synapse models (as the CPU does with them); use the cpu backend`,
    );
  const states = Object.keys(def.states);
  const body: string[] = ['let k = pb + P_K;', 'let mask = pu(k);', 'let key = pu(pb + P_RNG);'];
  states.forEach((x, j) => body.push(`var ${local(x)} = st[sb + ${j}u * n + i];`));
  plan.params.forEach((k, j) => {
    if (reads.has(k)) body.push(`let ${local(k)} = fx_param(k, mask, ${j}u, ${states.length}u, sb, n, i);`);
  });
  for (const x of ['t', 'dt']) if (reads.has(x)) body.push(`let ${local(x)} = ${ENGINE_WGSL[x]};`);
  for (const s of def.reset) body.push(...em.statement(s));
  const written = new Set(def.reset.map((s) => s.target));
  states.forEach((x, j) => {
    if (written.has(x)) body.push(`st[sb + ${j}u * n + i] = ${local(x)};`);
  });
  return [
    `// modelReset of the model "${def.name.replace(/[^\w.-]/g, '?')}", generated by engine/equations/codegen-wgsl.ts.`,
    NEURON_HELPERS,
    'fn modelReset(pb: u32, i: u32, sb: u32, n: u32, step: u32) {',
    ...body.map((l) => '  ' + l),
    '}',
    '',
  ].join('\n');
}

/**
 * Brian2's refractory counter after a spike (frozen for R - 1 more steps): R from the host in float64,
 * or per neuron in float32 when the period reads a parameter that varies per neuron in this population.
 */
function refractorySteps(def: ModelDefinition, plan: Plan, em: Emitter): string[] {
  const expr = def.refractory!.expr;
  const reads = symbolsOf(expr);
  let bits = 0;
  plan.params.forEach((k, j) => {
    if (reads.has(k)) bits |= 1 << j;
  });
  const out = [`var refr = i32(pu(k + ${plan.refrWord}u));`];
  if (bits !== 0)
    out.push(`if ((mask & ${bits >>> 0}u) != 0u) {`, ...em.f32(expr, (c) => `  refr = i32(floor(${c} / pf(H_DT) + 1e-3));`), '}');
  out.push('setRefrac(g, refr - 1);');
  return out;
}
