// A synapse or learning model written as data (a `models:` entry with `kind: synapse`), in Brian2's
// Synapses form: the weight `w`, per-synapse variables that are event-driven (solved exactly between
// events) or clock-driven (integrated every step), `on_pre` and `on_post` statements, and summed
// variables. A definition is checked in two stages: here what the model alone says (syntax, flags,
// which equations are linear); at each projection, with the pre- and postsynaptic models and the
// circuit's modulators known, the units of every statement (bindSynapse).
import { EquationError, type Equation, type Expr, type Statement } from './ast.js';
import { parseEquations } from './parse-equations.js';
import { parseStatements } from './parse-statements.js';
import { parseExpression } from './parse-expression.js';
import { parseQuantity } from './quantity.js';
import { FUNCTIONS, dimensionOf, unitDim, type SymbolInfo, type SymbolTable } from './check-units.js';
import { DIMENSIONLESS, UNITS, dimDiv, dimEqual, formatDim, type Dim } from './dimension.js';
import { METHODS, isNoise, plan, type Method, type UpdatePlan } from './integrate.js';
import { linearPart, symbolsOf } from './symbolic.js';
import { NOISE, problemRecorder, type ModelProblem, type ParameterDef } from './model-definition.js';

export interface SynapseDoc {
  kind: 'synapse';
  description?: string;
  parameters?: Record<string, number | string>;
  equations: string;
  on_pre?: string;
  on_post?: string;
  /**
   * Statements every synapse runs each step, after on_pre and on_post (Brian2's run_regularly,
   * scheduled after the synapses' events): a reward-modulated rule turns its eligibility into weight
   * change here. They may change w and the synapse's own variables.
   */
  on_step?: string;
  method?: string;
  initial?: Record<string, number | string>;
}

export interface EventDriven {
  name: string;
  dim: Dim;
  rhs: Expr;
  /** x' = a x + b with a, b constant (parameters and units only): x(t + T) = -b/a + (x + b/a) exp(a T). */
  a: Expr;
  b: Expr;
}

export interface SynapseDefinition {
  kind: 'synapse';
  name: string;
  description: string;
  parameters: Record<string, ParameterDef>;
  weight: { dim: Dim; unit: string };
  /** Per-synapse variables besides w, with their dimensions and initial values (expressions of parameters). */
  variables: Record<string, { dim: Dim; unit: string; initial: Expr }>;
  eventDriven: EventDriven[];
  /** Clock-driven equations as written (their units are checked per projection) and their integration plan. */
  clockEquations: { name: string; rhs: Expr; line: number; text: string }[];
  clock: UpdatePlan | null;
  summed: { target: string; expr: Expr; dim: Dim; line: number; text: string }[];
  onPre: Statement[];
  onPost: Statement[];
  onStep: Statement[];
  source: SynapseDoc;
}

const SECOND = UNITS.second.dim;

/** The postsynaptic channels a synapse may add to, with their units and the engine's channel names. */
export const CHANNEL_TARGETS: Readonly<Record<string, { dim: Dim; channel: 'ie' | 'ii' | 'ge' | 'gi' }>> = Object.freeze({
  I_exc_post: { dim: UNITS.amp.dim, channel: 'ie' },
  I_inh_post: { dim: UNITS.amp.dim, channel: 'ii' },
  g_exc_post: { dim: UNITS.siemens.dim, channel: 'ge' },
  g_inh_post: { dim: UNITS.siemens.dim, channel: 'gi' },
});

/** Names the engine gives synapse statements, or that Brian2 reserves: not for a model's own parameters and variables. */
const SYNAPSE_RESERVED = new Set(['t', 'dt', 'i', 'j', 'N', 'lastupdate', 'True', 'False', 'and', 'or', 'not', 'w']);
const nameOk = (name: string) =>
  /^[A-Za-z][A-Za-z0-9_]*$/.test(name) &&
  !name.endsWith('_pre') &&
  !name.endsWith('_post') &&
  !SYNAPSE_RESERVED.has(name) &&
  !Object.hasOwn(FUNCTIONS, name) &&
  !isNoise(name) &&
  !Object.hasOwn(CHANNEL_TARGETS, name);

export function defineSynapse(name: string, doc: SynapseDoc): SynapseDefinition | ModelProblem[] {
  const problems: ModelProblem[] = [];
  const fail = problemRecorder(problems);
  let equations: Equation[];
  try {
    equations = parseEquations(doc.equations);
  } catch (e) {
    fail('/equations', e);
    return problems;
  }
  const parameters = readParameters(doc, problems);
  let weight: SynapseDefinition['weight'] | null = null;
  const variables: SynapseDefinition['variables'] = {};
  const event: Equation[] = [];
  const clock: Equation[] = [];
  const summed: SynapseDefinition['summed'] = [];
  for (const eq of equations) {
    const dim = safeDim(eq);
    if (eq.kind === 'parameter') {
      if (eq.name === 'w') weight = { dim, unit: eq.unit };
      else if (Object.hasOwn(parameters, eq.name) && !dimEqual(parameters[eq.name].dim, dim))
        problems.push({
          sub: '/equations',
          message: `${eq.name} is declared ${eq.unit} but its default has units of ${parameters[eq.name].unit}`,
          line: eq.line,
          symbol: eq.name,
        });
      else if (!Object.hasOwn(parameters, eq.name)) {
        // As in Brian2's Synapses: a declared variable is per synapse (0 unless `initial` says), changed
        // only by statements (an eligibility trace that on_step decays). Under `parameters` it is a parameter.
        if (nameOk(eq.name)) variables[eq.name] = { dim, unit: eq.unit, initial: { kind: 'num', value: 0 } };
        else
          problems.push({ sub: '/equations', message: `"${eq.name}" cannot be a synaptic variable name`, line: eq.line, symbol: eq.name });
      }
      continue;
    }
    if (eq.kind === 'subexpression') {
      if (eq.flags.includes('summed') && eq.name.endsWith('_post'))
        summed.push({ target: eq.name.slice(0, -5), expr: eq.expr, dim, line: eq.line, text: eq.text });
      else
        problems.push({
          sub: '/equations',
          message: `only summed variables (X_post = ... : unit (summed)) are supported as subexpressions of a synapse model`,
          line: eq.line,
          symbol: eq.name,
        });
      continue;
    }
    if (eq.name === 'w') {
      // The weight may have dynamics of its own (dw/dt = ... (clock-driven)): it is still the projection's weight.
      weight = { dim, unit: eq.unit };
      if (eq.flags.includes('event-driven')) event.push(eq);
      else clock.push(eq);
      continue;
    }
    if (!nameOk(eq.name) || Object.hasOwn(parameters, eq.name)) {
      problems.push({ sub: '/equations', message: `"${eq.name}" cannot be a synaptic variable name`, line: eq.line, symbol: eq.name });
      continue;
    }
    variables[eq.name] = { dim, unit: eq.unit, initial: { kind: 'num', value: 0 } };
    if (eq.flags.includes('event-driven')) event.push(eq);
    else if (eq.flags.includes('clock-driven') || eq.flags.length === 0) clock.push(eq);
    else
      problems.push({
        sub: '/equations',
        message: `unsupported flag "${eq.flags[0]}" (event-driven or clock-driven)`,
        line: eq.line,
        symbol: eq.name,
      });
  }
  if (!weight)
    problems.push({
      sub: '/equations',
      message: 'a synapse model declares its weight and unit: add a line `w : siemens` (or amp, or 1)',
      symbol: 'w',
    });
  const variableNames = new Set(['w', ...Object.keys(variables)]);
  const eventDriven = event.map((eq) => eventUpdate(eq, parameters, variableNames, problems)).filter((x): x is EventDriven => x !== null);
  readInitial(doc, variables, parameters, fail);
  const onPre = statements(doc.on_pre, '/on_pre', fail);
  const onPost = statements(doc.on_post, '/on_post', fail);
  const onStep = statements(doc.on_step, '/on_step', fail);
  const method = (doc.method ?? 'euler') as Method;
  if (!(METHODS as readonly string[]).includes(method))
    problems.push({ sub: '/method', message: `unknown method "${doc.method}"; expected one of ${METHODS.join(', ')}` });
  let clockPlan: UpdatePlan | null = null;
  if (clock.length && !problems.length)
    try {
      clockPlan = plan(
        clock.map((eq) => ({ name: eq.name, rhs: (eq as { expr: Expr }).expr, unlessRefractory: false })),
        method,
      );
    } catch (e) {
      fail('/method', e);
    }
  if (problems.length || !weight) return problems;
  const clockEquations = clock.map((eq) => ({ name: eq.name, rhs: (eq as { expr: Expr }).expr, line: eq.line, text: eq.text }));
  return {
    clockEquations,
    kind: 'synapse',
    name,
    description: doc.description ?? '',
    parameters,
    weight,
    variables,
    eventDriven,
    clock: clockPlan,
    summed,
    onPre,
    onPost,
    onStep,
    source: doc,
  };
}

function readParameters(doc: SynapseDoc, problems: ModelProblem[]): Record<string, ParameterDef> {
  const parameters: Record<string, ParameterDef> = {};
  for (const [k, v] of Object.entries(doc.parameters ?? {})) {
    const q = parseQuantity(v);
    if (!nameOk(k)) problems.push({ sub: `/parameters/${k}`, message: `"${k}" cannot be a parameter name`, symbol: k });
    else if (typeof q === 'string') problems.push({ sub: `/parameters/${k}`, message: q, symbol: k });
    else parameters[k] = { dim: q.dim, default: q.value, unit: formatDim(q.dim) };
  }
  return parameters;
}

function safeDim(eq: Equation): Dim {
  try {
    return unitDim(eq.unitExpr, eq);
  } catch {
    return DIMENSIONLESS;
  }
}

/** An event-driven equation must be x' = a x + b with a and b made of parameters and units only. */
function eventUpdate(
  eq: Equation,
  parameters: Record<string, ParameterDef>,
  variables: ReadonlySet<string>,
  problems: ModelProblem[],
): EventDriven | null {
  if (eq.kind !== 'differential') return null;
  const { a, b } = linearPart(eq.expr, eq.name);
  // A synapse variable is never a constant, even one named like a unit.
  const bad = [...symbolsOf(a), ...symbolsOf(b)].find(
    (s) => variables.has(s) || (!Object.hasOwn(parameters, s) && !Object.hasOwn(UNITS, s) && !['pi', 'e'].includes(s)),
  );
  if (bad !== undefined) {
    problems.push({
      sub: '/equations',
      message: `an event-driven equation is solved exactly between events, so it must be linear in ${eq.name} with constant coefficients; it depends on ${bad}`,
      line: eq.line,
      symbol: bad,
    });
    return null;
  }
  return { name: eq.name, dim: safeDim(eq), rhs: eq.expr, a, b };
}

function statements(text: string | undefined, sub: string, fail: (sub: string, e: unknown) => void): Statement[] {
  if (text === undefined) return [];
  try {
    return parseStatements(text);
  } catch (e) {
    fail(sub, e);
    return [];
  }
}

function readInitial(
  doc: SynapseDoc,
  variables: SynapseDefinition['variables'],
  parameters: Record<string, ParameterDef>,
  fail: (sub: string, e: unknown) => void,
): void {
  for (const [k, v] of Object.entries(doc.initial ?? {})) {
    const text = typeof v === 'number' ? String(v) : v;
    try {
      if (!Object.hasOwn(variables, k)) throw new EquationError(`"${k}" is not a synaptic variable`, 1, text, k);
      const q = parseQuantity(v);
      if (typeof q !== 'string') {
        variables[k].initial = { kind: 'num', value: q.value };
        continue;
      }
      const e = parseExpression(text, 1, text);
      const table: SymbolTable = (n) => (Object.hasOwn(parameters, n) ? { dim: parameters[n].dim, kind: 'parameter' } : undefined);
      const dim = dimensionOf(e, table, { line: 1, text });
      if (!dimEqual(dim, variables[k].dim) && !dimEqual(dim, DIMENSIONLESS))
        throw new EquationError(`initial ${k} has units of ${formatDim(dim)}, expected ${variables[k].unit}`, 1, text, k);
      variables[k].initial = e;
    } catch (e) {
      fail(`/initial/${k}`, e);
    }
  }
}

/** What a projection knows when it binds a synapse model: the neuron variables on both sides and the modulators. */
export interface SynapseEnvironment {
  pre: (name: string) => Dim | undefined;
  post: (name: string) => Dim | undefined;
  /** Post variables a statement may write (state variables of a model defined by equations). */
  postWritable: (name: string) => boolean;
  /** Parameters of the target a summed variable may fill. */
  summedTarget: (name: string) => Dim | undefined;
  modulators: ReadonlySet<string>;
}

/** Checks the units of every statement and summed variable for one projection; returns the problems. */
export function bindSynapse(def: SynapseDefinition, env: SynapseEnvironment): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const table: SymbolTable = (name): SymbolInfo | undefined => {
    if (name === 'w') return { dim: def.weight.dim, kind: 'state' };
    if (Object.hasOwn(def.variables, name)) return { dim: def.variables[name].dim, kind: 'state' };
    if (Object.hasOwn(def.parameters, name)) return { dim: def.parameters[name].dim, kind: 'parameter' };
    if (name === 't' || name === 'dt') return { dim: SECOND, kind: 'engine' };
    if (Object.hasOwn(CHANNEL_TARGETS, name)) return { dim: CHANNEL_TARGETS[name].dim, kind: 'engine' };
    if (name.endsWith('_pre')) return dimInfo(env.pre(name.slice(0, -4)));
    if (name.endsWith('_post')) return dimInfo(env.post(name.slice(0, -5)));
    if (env.modulators.has(name)) return { dim: DIMENSIONLESS, kind: 'engine' };
    return undefined;
  };
  const check = (sub: string, list: Statement[], event: 'pre' | 'post' | 'step') => {
    for (const s of list) {
      try {
        const own = s.target === 'w' || Object.hasOwn(def.variables, s.target);
        const writable =
          own ||
          (event !== 'step' &&
            ((Object.hasOwn(CHANNEL_TARGETS, s.target) && (s.op === '+=' || s.op === '-=')) ||
              (s.target.endsWith('_post') && env.postWritable(s.target.slice(0, -5)))));
        if (!writable)
          throw new EquationError(
            event === 'step'
              ? `on_step cannot write ${s.target}: it may change w and the synapse's own variables (every synapse runs it every step)`
              : `${event === 'pre' ? 'on_pre' : 'on_post'} cannot write ${s.target}: a statement may change w, the synapse's variables, a channel of the target (I_exc_post += ...) or a state variable of a target defined by equations`,
            s.line,
            s.text,
            s.target,
          );
        const target = table(s.target);
        if (!target) throw new EquationError(`unknown symbol "${s.target}"`, s.line, s.text, s.target);
        const dim = dimensionOf(s.expr, table, s);
        const want = s.op === '*=' || s.op === '/=' ? DIMENSIONLESS : target.dim;
        if (!dimEqual(dim, want))
          throw new EquationError(
            `"${s.text.trim()}" assigns ${formatDim(dim)} to ${s.target} (${formatDim(want)})`,
            s.line,
            s.text,
            s.target,
          );
      } catch (e) {
        if (e instanceof EquationError) problems.push({ sub, message: e.message, line: e.line, symbol: e.symbol });
        else throw e;
      }
    }
  };
  // A channel is an accumulator the engine decays and drains: statements add to it but cannot read it.
  const readsChannel = (e: Expr) => [...symbolsOf(e)].find((n) => Object.hasOwn(CHANNEL_TARGETS, n));
  for (const [sub, list] of [
    ['/on_pre', def.onPre],
    ['/on_post', def.onPost],
    ['/on_step', def.onStep],
  ] as const)
    for (const st of list) {
      const ch = readsChannel(st.expr);
      if (ch) problems.push({ sub, message: `${ch} can be added to (${ch} += ...), not read`, line: st.line, symbol: ch });
    }
  for (const sm of def.summed) {
    const ch = readsChannel(sm.expr);
    if (ch) problems.push({ sub: '/equations', message: `${ch} can be added to (${ch} += ...), not read`, line: sm.line, symbol: ch });
  }
  check('/on_pre', def.onPre, 'pre');
  check('/on_post', def.onPost, 'post');
  check('/on_step', def.onStep, 'step');
  for (const sm of def.summed) {
    try {
      const target = sm.target === 'I_ext' ? ([0, 0, 0, 1, 0, 0, 0] as Dim) : env.summedTarget(sm.target);
      if (!target)
        throw new EquationError(
          `${sm.target}_post is neither I_ext_post nor a parameter of the target's model`,
          sm.line,
          sm.text,
          sm.target,
        );
      const dim = dimensionOf(sm.expr, table, sm);
      if (!dimEqual(dim, target) || !dimEqual(dim, sm.dim))
        throw new EquationError(
          `${sm.target}_post has units of ${formatDim(target)}; the sum has ${formatDim(dim)}`,
          sm.line,
          sm.text,
          sm.target,
        );
    } catch (e) {
      if (e instanceof EquationError) problems.push({ sub: '/equations', message: e.message, line: e.line, symbol: e.symbol });
      else throw e;
    }
  }
  for (const ev of def.eventDriven) {
    try {
      const eq = { line: 1, text: `d${ev.name}/dt = ...` };
      const dim = dimensionOf(ev.rhs, table, eq);
      if (!dimEqual(dim, dimDiv(ev.dim, SECOND)))
        throw new EquationError(
          `d${ev.name}/dt has units of ${formatDim(dim)}, expected ${formatDim(dimDiv(ev.dim, SECOND))}`,
          1,
          eq.text,
          ev.name,
        );
    } catch (e) {
      if (e instanceof EquationError) problems.push({ sub: '/equations', message: e.message, line: e.line, symbol: e.symbol });
      else throw e;
    }
  }
  // White noise (xi, xi_<name>) is one draw per synapse and step: clock-driven equations only.
  const clockTable: SymbolTable = (name) => table(name) ?? (isNoise(name) ? { dim: NOISE, kind: 'engine' } : undefined);
  for (const eq of def.clockEquations) {
    try {
      const dim = dimensionOf(eq.rhs, clockTable, eq);
      const want = dimDiv(eq.name === 'w' ? def.weight.dim : def.variables[eq.name].dim, SECOND);
      if (!dimEqual(dim, want))
        throw new EquationError(`d${eq.name}/dt has units of ${formatDim(dim)}, expected ${formatDim(want)}`, eq.line, eq.text, eq.name);
    } catch (e) {
      if (e instanceof EquationError) problems.push({ sub: '/equations', message: e.message, line: e.line, symbol: e.symbol });
      else throw e;
    }
  }
  return problems;
}

const dimInfo = (d: Dim | undefined): SymbolInfo | undefined => (d ? { dim: d, kind: 'engine' } : undefined);
