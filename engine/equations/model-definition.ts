// A neuron model written as data (a `models:` entry of a circuit document) turned into a checked
// definition: parameters with units and defaults, state variables, right-hand sides with every
// subexpression substituted, threshold, reset, refractoriness and the integration plan. Every unit is
// checked here by dimensional analysis, so the code generators can trust what they are given.
import { EquationError, type Equation, type Expr, type SourceLine, type Statement } from './ast.js';
import { parseEquations } from './parse-equations.js';
import { parseExpression } from './parse-expression.js';
import { parseStatements } from './parse-statements.js';
import { parseQuantity } from './quantity.js';
import { FUNCTIONS, constantValue, dimensionOf, unitDim, type SymbolInfo, type SymbolTable } from './check-units.js';
import { DIMENSIONLESS, UNITS, dimDiv, dimEqual, dimPow, formatDim, type Dim } from './dimension.js';
import {
  METHODS,
  MethodError,
  defaultMethod,
  isNoise,
  plan,
  type DecayingInput,
  type Derivative,
  type Method,
  type UpdatePlan,
} from './integrate.js';
import { bin, num, substitute, sym, symbolsOf } from './symbolic.js';

/** A `models:` entry as written in a document. */
export interface ModelDoc {
  kind?: 'neuron';
  description?: string;
  parameters?: Record<string, number | string>;
  equations: string;
  threshold?: string;
  reset?: string;
  /** A time (`2 ms`, an expression of parameters) or a condition (`v > -20*mV`) during which the neuron is refractory. */
  refractory?: number | string;
  method?: string;
  initial?: Record<string, number | string>;
  /** The state variable outputs and threshold modulators read; default `v` when the model has one. */
  voltage?: string;
}

export interface ParameterDef {
  dim: Dim;
  /** Internal units. */
  default: number;
  unit: string;
}

export interface StateDef {
  dim: Dim;
  unit: string;
  /** Initial value: an expression of parameters and units (0 when the document gives none). */
  initial: Expr;
}

export interface ModelDefinition {
  name: string;
  description: string;
  parameters: Record<string, ParameterDef>;
  states: Record<string, StateDef>;
  derivatives: Derivative[];
  threshold: Expr | null;
  reset: Statement[];
  refractory: { kind: 'time' | 'condition'; expr: Expr } | null;
  method: Method;
  plan: UpdatePlan;
  voltage: string | null;
  /** The document's text, for `flux inspect --code` and error messages. */
  source: ModelDoc;
}

/** Where in the model's document a problem is: the key (`/equations`, `/parameters/C`), a line within its text, the symbol. */
export interface ModelProblem {
  sub: string;
  message: string;
  line?: number;
  symbol?: string;
}

const SECOND = UNITS.second.dim;
const VOLT = UNITS.volt.dim;
const AMP = UNITS.amp.dim;
const SIEMENS = UNITS.siemens.dim;
/** White noise: second**-0.5. */
export const NOISE: Dim = dimPow(SECOND, -0.5);

/**
 * The state variable rate-mode inputs set: each step, the sum of the population's rate inputs (a
 * number in Hz), as I_ext is the sum of its current. A model that declares it (poisson, or a model
 * defined by equations with `ddrive/dt = 0/second : 1`) is driven by rate, not by current: its inputs
 * are rate inputs and it takes no current sources.
 */
export const RATE_INPUT_STATE = 'drive';

/**
 * What the engine gives every model's equations (documented in the README): the channels Flux's
 * projections, sources and inputs drive, the modulators' threshold effect, time and the step.
 */
export const ENGINE_SYMBOLS: Readonly<Record<string, { dim: Dim; doc: string }>> = Object.freeze({
  I_ext: { dim: AMP, doc: 'external current: sources, inputs and the excitability modulator effect' },
  I_exc: { dim: AMP, doc: 'excitatory current-based synaptic channel (scaled by the gain modulator)' },
  I_inh: { dim: AMP, doc: 'inhibitory current-based synaptic channel, a positive magnitude (scaled by gain)' },
  g_exc: { dim: SIEMENS, doc: 'excitatory conductance channel (scaled by gain)' },
  g_inh: { dim: SIEMENS, doc: 'inhibitory conductance channel (scaled by gain)' },
  threshold_shift: { dim: VOLT, doc: 'the threshold modulator effect, for the threshold condition to add' },
  gain: {
    dim: DIMENSIONLESS,
    doc: 'the gain modulator effect (1 unmodulated): it scales the channels above; a spike source scales its rate',
  },
  t: { dim: SECOND, doc: 'time at the start of the step' },
  dt: { dim: SECOND, doc: 'the circuit time step' },
});

/**
 * The current channels decay exponentially within each step (with the target's tau_syn_exc and
 * tau_syn_inh, after the model's update): exact integration includes that decay, so a current-based
 * LIF written with method exact gets the exact propagators (Rotter & Diesmann 1999, NEST's iaf_psc_exp).
 */
const DECAYING_CHANNELS: readonly DecayingInput[] = [
  { name: 'I_exc', rate: bin('/', num(1), sym('tau_syn_exc')) },
  { name: 'I_inh', rate: bin('/', num(1), sym('tau_syn_inh')) },
];

/** Parameters every model has: the decay of the synaptic channels (as the built-in models' tau_syn_*). */
export const CHANNEL_PARAMETERS: Readonly<Record<string, ParameterDef>> = Object.freeze({
  tau_syn_exc: { dim: SECOND, default: 5, unit: 'ms' },
  tau_syn_inh: { dim: SECOND, default: 10, unit: 'ms' },
});

const RESERVED = new Set(['t', 'dt', 'i', 'N', 'not_refractory', 'lastspike', 'pi', 'e', 'inf', 'True', 'False', 'and', 'or', 'not']);

/** Records an equation or method problem under `sub` (anything else is a bug and is thrown on). */
export function problemRecorder(problems: ModelProblem[]): (sub: string, e: unknown) => void {
  return (sub, e) => {
    if (e instanceof EquationError) problems.push({ sub, message: e.message, line: e.line, symbol: e.symbol });
    else if (e instanceof MethodError) problems.push({ sub: '/method', message: e.message, symbol: e.variable });
    else throw e;
  };
}

/** Checks a model document; returns the definition or every problem found. */
export function defineModel(name: string, doc: ModelDoc): ModelDefinition | ModelProblem[] {
  const problems: ModelProblem[] = [];
  const fail = problemRecorder(problems);
  let equations: Equation[];
  try {
    equations = parseEquations(doc.equations);
  } catch (e) {
    fail('/equations', e);
    return problems;
  }
  const parameters = readParameters(doc, equations, problems);
  const states: Record<string, StateDef> = {};
  const subexpressions = new Map<string, Equation & { kind: 'subexpression' }>();
  const derivs: (Equation & { kind: 'differential' })[] = [];
  for (const eq of equations) {
    if (!nameAllowed(eq.name, eq, problems)) continue;
    if (eq.kind === 'differential') derivs.push(eq);
    else if (eq.kind === 'subexpression') subexpressions.set(eq.name, eq);
  }
  const table = symbolTable(parameters, equations, problems);
  for (const eq of derivs) {
    try {
      const bad = eq.flags.filter((f) => f !== 'unless refractory');
      if (bad.length)
        throw new EquationError(
          `unsupported flag "${bad[0]}" (a differential equation may be "unless refractory")`,
          eq.line,
          eq.text,
          eq.name,
        );
      const dim = dimensionOf(eq.expr, table, eq);
      const want = dimDiv(unitDim(eq.unitExpr, eq), SECOND);
      if (!dimEqual(dim, want))
        throw new EquationError(
          `d${eq.name}/dt has units of ${formatDim(dim)}, expected ${formatDim(want)} (${eq.unit}/second)`,
          eq.line,
          eq.text,
          eq.name,
        );
    } catch (e) {
      fail('/equations', e);
    }
    states[eq.name] = { dim: safeUnitDim(eq), unit: eq.unit, initial: { kind: 'num', value: 0 } };
  }
  for (const eq of subexpressions.values()) {
    try {
      const dim = dimensionOf(eq.expr, table, eq);
      if (!dimEqual(dim, unitDim(eq.unitExpr, eq)))
        throw new EquationError(`${eq.name} has units of ${formatDim(dim)}, declared ${eq.unit}`, eq.line, eq.text, eq.name);
    } catch (e) {
      fail('/equations', e);
    }
  }
  const inline = inliner(subexpressions, problems);
  const derivatives = derivs.map((eq) => ({
    name: eq.name,
    rhs: inline(eq.expr, eq),
    unlessRefractory: eq.flags.includes('unless refractory'),
  }));
  const threshold = doc.threshold === undefined ? null : condition('/threshold', doc.threshold, table, inline, fail);
  const reset = doc.reset === undefined ? [] : resetStatements(doc.reset, states, table, inline, fail);
  const refractory = doc.refractory === undefined ? null : refractoriness(doc.refractory, table, inline, fail);
  readInitial(doc, states, table, fail);
  const voltage = doc.voltage ?? (Object.hasOwn(states, 'v') ? 'v' : null);
  if (voltage !== null && !Object.hasOwn(states, voltage))
    problems.push({ sub: '/voltage', message: `no state variable "${voltage}"`, symbol: voltage });
  const method = chooseMethod(doc, derivatives, parameters, problems);
  if (problems.length) return problems;
  let p: UpdatePlan;
  try {
    p = plan(derivatives, method, DECAYING_CHANNELS, true);
  } catch (e) {
    fail('/method', e);
    return problems;
  }
  return {
    name,
    description: doc.description ?? '',
    parameters,
    states,
    derivatives,
    threshold,
    reset,
    refractory,
    method,
    plan: p,
    voltage,
    source: doc,
  };
}

function safeUnitDim(eq: Equation): Dim {
  try {
    return unitDim(eq.unitExpr, eq);
  } catch {
    return DIMENSIONLESS;
  }
}

/**
 * A model's own names may shadow unit names (the built-in lif's `cm` is a capacitance, not the
 * centimetre): within that model the name is the model's. Names of the engine and functions may not.
 */
function nameAllowed(name: string, where: SourceLine, problems: ModelProblem[]): boolean {
  const why = name.startsWith('_')
    ? 'names starting with "_" are reserved for generated code'
    : RESERVED.has(name) || Object.hasOwn(ENGINE_SYMBOLS, name) || isNoise(name)
      ? 'the name is provided by the engine'
      : Object.hasOwn(FUNCTIONS, name)
        ? 'the name is a function'
        : null;
  if (why) problems.push({ sub: '/equations', message: `"${name}" cannot be defined: ${why}`, line: where.line, symbol: name });
  return why === null;
}

function readParameters(doc: ModelDoc, equations: Equation[], problems: ModelProblem[]): Record<string, ParameterDef> {
  const out: Record<string, ParameterDef> = { ...CHANNEL_PARAMETERS };
  const given = doc.parameters ?? {};
  for (const [k, v] of Object.entries(given)) {
    const sub = `/parameters/${k}`;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k)) {
      problems.push({ sub, message: `"${k}" is not a parameter name (a letter, then letters, digits or _)`, symbol: k });
      continue;
    }
    if (!nameAllowed(k, { line: 0, text: '' }, [])) {
      problems.push({
        sub,
        message: `"${k}" cannot be a parameter: it names a unit, a function or something the engine provides`,
        symbol: k,
      });
      continue;
    }
    const q = parseQuantity(v);
    if (typeof q === 'string') problems.push({ sub, message: q, symbol: k });
    else out[k] = { dim: q.dim, default: q.value, unit: formatDim(q.dim) };
  }
  for (const eq of equations) {
    if (eq.kind !== 'parameter') continue;
    const declared = safeUnitDim(eq);
    const p = Object.hasOwn(out, eq.name) ? out[eq.name] : undefined;
    if (!p)
      problems.push({
        sub: '/equations',
        message: `parameter ${eq.name} has no default value: give one under parameters`,
        line: eq.line,
        symbol: eq.name,
      });
    else if (!dimEqual(p.dim, declared) && !(p.default === 0 && dimEqual(p.dim, DIMENSIONLESS)))
      problems.push({
        sub: `/parameters/${eq.name}`,
        message: `${eq.name} is declared ${eq.unit} but its default has units of ${formatDim(p.dim)}`,
        symbol: eq.name,
      });
    else out[eq.name] = { ...p, dim: declared, unit: eq.unit };
  }
  return out;
}

function symbolTable(parameters: Record<string, ParameterDef>, equations: Equation[], problems: ModelProblem[]): SymbolTable {
  const map = new Map<string, SymbolInfo>();
  for (const [k, p] of Object.entries(parameters)) map.set(k, { dim: p.dim, kind: 'parameter' });
  for (const [k, s] of Object.entries(ENGINE_SYMBOLS)) map.set(k, { dim: s.dim, kind: 'engine' });
  for (const eq of equations) {
    if (eq.kind === 'parameter') continue;
    if (map.has(eq.name) && map.get(eq.name)!.kind === 'parameter')
      problems.push({ sub: '/equations', message: `${eq.name} is both a parameter and an equation`, line: eq.line, symbol: eq.name });
    map.set(eq.name, { dim: safeUnitDim(eq), kind: eq.kind === 'differential' ? 'state' : 'subexpression' });
  }
  return (name) => map.get(name) ?? (isNoise(name) ? { dim: NOISE, kind: 'engine' } : undefined);
}

/** Substitutes subexpressions (in any order of definition) into an expression; a cycle is a problem. */
/**
 * Most terms an equation may have once its subexpressions are substituted. Each subexpression is
 * pasted wherever it is used, so a chain `x2 = x1 + x1`, `x3 = x2 + x2`, ... doubles per line: without
 * a bound 30 short lines would take hours to check and gigabytes of generated code.
 */
export const MAX_INLINED_TERMS = 20_000;

function inliner(subs: Map<string, Equation & { kind: 'subexpression' }>, problems: ModelProblem[]): (e: Expr, where?: SourceLine) => Expr {
  const done = new Map<string, Expr>();
  const visiting = new Set<string>();
  const sizes = new Map<string, number>();
  /** Terms of an expression with its subexpressions substituted, counted without substituting (Infinity for a cycle). */
  const sizeOf = (e: Expr, stack: Set<string>): number => {
    switch (e.kind) {
      case 'num':
        return 1;
      case 'sym': {
        if (!subs.has(e.name)) return 1;
        if (stack.has(e.name)) return Infinity;
        const hit = sizes.get(e.name);
        if (hit !== undefined) return hit;
        stack.add(e.name);
        const n = Math.min(sizeOf(subs.get(e.name)!.expr, stack), Number.MAX_SAFE_INTEGER);
        stack.delete(e.name);
        sizes.set(e.name, n);
        return n;
      }
      case 'unary':
        return 1 + sizeOf(e.arg, stack);
      case 'binary':
        return 1 + sizeOf(e.left, stack) + sizeOf(e.right, stack);
      case 'call':
        return e.args.reduce((a, x) => a + sizeOf(x, stack), 1);
    }
  };
  const resolve = (name: string): Expr => {
    const hit = done.get(name);
    if (hit) return hit;
    const eq = subs.get(name)!;
    if (visiting.has(name)) {
      problems.push({ sub: '/equations', message: `subexpression ${name} refers to itself`, line: eq.line, symbol: name });
      return { kind: 'num', value: 0 };
    }
    const size = sizeOf(eq.expr, new Set([name]));
    if (Number.isFinite(size) && size > MAX_INLINED_TERMS) {
      problems.push({
        sub: '/equations',
        message: `subexpression ${name} expands to ${size} terms once the subexpressions it uses are substituted (at most ${MAX_INLINED_TERMS})`,
        line: eq.line,
        symbol: name,
      });
      done.set(name, { kind: 'num', value: 0 });
      return done.get(name)!;
    }
    visiting.add(name);
    const out = expand(eq.expr);
    visiting.delete(name);
    done.set(name, out);
    return out;
  };
  const expand = (e: Expr, where?: SourceLine): Expr => {
    const size = sizeOf(e, new Set());
    if (Number.isFinite(size) && size > MAX_INLINED_TERMS) {
      problems.push({
        sub: '/equations',
        message: `the expression expands to ${size} terms once its subexpressions are substituted (at most ${MAX_INLINED_TERMS})`,
        line: where?.line,
      });
      return { kind: 'num', value: 0 };
    }
    const used = [...symbolsOf(e)].filter((s) => subs.has(s));
    if (!used.length) return e;
    return substitute(e, new Map(used.map((s) => [s, resolve(s)])));
  };
  return expand;
}

type Fail = (sub: string, e: unknown) => void;

function condition(sub: string, text: string, table: SymbolTable, inline: (e: Expr) => Expr, fail: Fail): Expr | null {
  const where = { line: 1, text };
  try {
    const e = parseExpression(text, 1, text);
    dimensionOf(e, table, where);
    if (!isBoolean(e)) throw new EquationError(`"${text}" is not a condition (a comparison such as v > v_t)`, 1, text);
    return inline(e);
  } catch (e) {
    fail(sub, e);
    return null;
  }
}

const isBoolean = (e: Expr): boolean =>
  (e.kind === 'binary' && ['<', '<=', '>', '>=', '==', '!=', 'and', 'or'].includes(e.op)) || (e.kind === 'unary' && e.op === 'not');

function resetStatements(
  text: string,
  states: Record<string, StateDef>,
  table: SymbolTable,
  inline: (e: Expr) => Expr,
  fail: Fail,
): Statement[] {
  try {
    return parseStatements(text).map((s) => {
      if (!Object.hasOwn(states, s.target))
        throw new EquationError(`the reset can only change state variables; "${s.target}" is not one`, s.line, s.text, s.target);
      const dim = dimensionOf(s.expr, table, s);
      const want = s.op === '*=' || s.op === '/=' ? DIMENSIONLESS : states[s.target].dim;
      if (!dimEqual(dim, want))
        throw new EquationError(
          `"${s.text.trim()}" assigns ${formatDim(dim)} to ${s.target} (${formatDim(want)})`,
          s.line,
          s.text,
          s.target,
        );
      return { ...s, expr: inline(s.expr) };
    });
  } catch (e) {
    fail('/reset', e);
    return [];
  }
}

function refractoriness(v: number | string, table: SymbolTable, inline: (e: Expr) => Expr, fail: Fail): ModelDefinition['refractory'] {
  const text = typeof v === 'number' ? String(v) : v;
  const where = { line: 1, text };
  try {
    const q = parseQuantity(v);
    if (typeof q !== 'string') {
      if (!dimEqual(q.dim, SECOND)) throw new EquationError(`refractory "${text}" must be a time or a condition`, 1, text);
      return { kind: 'time', expr: { kind: 'num', value: q.value } };
    }
    const e = parseExpression(text, 1, text);
    const dim = dimensionOf(e, table, where);
    if (isBoolean(e)) return { kind: 'condition', expr: inline(e) };
    if (!dimEqual(dim, SECOND))
      throw new EquationError(`refractory "${text}" has units of ${formatDim(dim)}: give a time or a condition`, 1, text);
    for (const s of symbolsOf(e)) {
      const info = table(s);
      // dt is allowed: a period of whole steps (tau_refrac + dt keeps a neuron frozen floor(tau_refrac/dt) steps).
      if (info && info.kind !== 'parameter' && info.kind !== 'unit' && info.kind !== 'constant' && s !== 'dt')
        throw new EquationError(`a refractory time may depend on parameters and dt only, not on ${s}`, 1, text, s);
    }
    return { kind: 'time', expr: e };
  } catch (e) {
    fail('/refractory', e);
    return null;
  }
}

function readInitial(doc: ModelDoc, states: Record<string, StateDef>, table: SymbolTable, fail: Fail): void {
  for (const [k, v] of Object.entries(doc.initial ?? {})) {
    const sub = `/initial/${k}`;
    const text = typeof v === 'number' ? String(v) : v;
    try {
      if (!Object.hasOwn(states, k)) throw new EquationError(`"${k}" is not a state variable`, 1, text, k);
      // A quantity ("0 pA") first, else an expression of parameters ("E_L", "b*v_init").
      const q = parseQuantity(v);
      if (typeof q !== 'string') {
        if (!dimEqual(q.dim, states[k].dim) && !dimEqual(q.dim, DIMENSIONLESS))
          throw new EquationError(`initial ${k} has units of ${formatDim(q.dim)}, expected ${formatDim(states[k].dim)}`, 1, text, k);
        states[k].initial = { kind: 'num', value: q.value };
        continue;
      }
      const e = parseExpression(text, 1, text);
      const dim = dimensionOf(e, table, { line: 1, text });
      for (const s of symbolsOf(e)) {
        const info = table(s);
        if (info && info.kind !== 'parameter' && info.kind !== 'unit' && info.kind !== 'constant')
          throw new EquationError(`an initial value may depend on parameters only, not on ${s}`, 1, text, s);
      }
      const plain = typeof v === 'number' || (constantValue(e, table) !== null && dimEqual(dim, DIMENSIONLESS));
      if (!dimEqual(dim, states[k].dim) && !plain)
        throw new EquationError(`initial ${k} has units of ${formatDim(dim)}, expected ${formatDim(states[k].dim)}`, 1, text, k);
      states[k].initial = e;
    } catch (e) {
      fail(sub, e);
    }
  }
}

function chooseMethod(
  doc: ModelDoc,
  derivatives: Derivative[],
  parameters: Record<string, ParameterDef>,
  problems: ModelProblem[],
): Method {
  if (doc.method === undefined)
    return defaultMethod(derivatives, (s) => Object.hasOwn(parameters, s) || Object.hasOwn(UNITS, s), DECAYING_CHANNELS);
  if ((METHODS as readonly string[]).includes(doc.method)) return doc.method as Method;
  problems.push({ sub: '/method', message: `unknown method "${doc.method}"; expected one of ${METHODS.join(', ')}` });
  return 'euler';
}
