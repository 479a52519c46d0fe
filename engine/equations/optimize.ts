// The CPU's form of a model's step: what a C compiler would do to Brian2's generated loop, done on the
// syntax tree so that the generated JavaScript and WebAssembly (which must agree bit for bit) both get it.
//   - Subexpressions that are the same for every neuron of a population (parameters that do not vary
//     per neuron, dt, t, threshold_shift, units and constants, exact-integration propagators) are
//     computed once per call instead of once per neuron: `uniforms` in the plan.
//   - A division by such a value becomes a multiplication by its reciprocal (computed once), and
//     uniform factors and addends are grouped ((P u)/(Q u) = P/Q, (X u1) u2 = X (u1 u2)). These change
//     rounding (by an ulp or so per operation), the trade every fast simulator makes (Brian2's C++ is
//     compiled with -ffast-math, NEST and GeNN precompute 1/C_m); they assume the uniform values are
//     finite and non-zero (with u = 0, (P u)/(Q u) is NaN where P/Q is not).
//   - Negations are folded into the operations around them (exact identities up to the sign of a
//     zero, see foldNegations).
//   - A subexpression repeated in the temporaries and new values (exponential Euler's A appears in B/A
//     and in exp(A*dt)) is computed once per neuron, as a temporary.
// Boolean subexpressions (comparisons, and/or/not) are left in place: their values are not numbers in
// every backend. Nothing that draws random numbers is moved or shared (each draw must happen exactly
// as often as written), and nothing under `and`/`or` is shared (it may not run).
import type { Expr, Statement } from './ast.js';
import { EXCITABILITY, INPUT_CURRENT_SYNAPSES, INPUT_EXTERNAL_CURRENT, type Variant } from './codegen-js.js';
import type { UpdatePlan } from './integrate.js';
import type { ModelDefinition } from './model-definition.js';
import { ENGINE_SYMBOLS } from './model-definition.js';
import { bin, draws, num, substitute, sym } from './symbolic.js';

/** Engine symbols with one value per population and step. */
const UNIFORM_ENGINE = new Set(['dt', 't', 'threshold_shift', 'gain']);

const BOOLEAN_OPS = new Set(['<', '<=', '>', '>=', '==', '!=', 'and', 'or']);

const isBoolean = (e: Expr): boolean => (e.kind === 'binary' && BOOLEAN_OPS.has(e.op)) || (e.kind === 'unary' && e.op === 'not');

const keyOf = (e: Expr): string => JSON.stringify(e);

/** Whether a symbol has one value for every neuron of the population. */
function uniformSymbol(name: string, def: ModelDefinition, perNeuron: ReadonlySet<string>): boolean {
  if (Object.hasOwn(def.states, name)) return false;
  if (Object.hasOwn(def.parameters, name)) return !perNeuron.has(name);
  if (Object.hasOwn(ENGINE_SYMBOLS, name)) return UNIFORM_ENGINE.has(name);
  // Propagator entries of exact integration are per population; other generated names are per neuron.
  if (name.startsWith('_')) return name === EXCITABILITY || /^_(phi|psi)_\d+_\d+$/.test(name) || /^_dphi_\d+$/.test(name);
  // Units and constants (noise symbols xi, xi_* are per neuron and are not units).
  return !/^xi(_|$)/.test(name);
}

class Optimizer {
  readonly uniforms: { name: string; expr: Expr }[] = [];
  private readonly hoisted = new Map<string, string>();

  constructor(
    private readonly def: ModelDefinition,
    private readonly perNeuron: ReadonlySet<string>,
  ) {}

  /** Whether every value the expression reads is uniform and it draws nothing. */
  private uniform(e: Expr): boolean {
    switch (e.kind) {
      case 'num':
        return true;
      case 'sym':
        return uniformSymbol(e.name, this.def, this.perNeuron);
      case 'unary':
        return this.uniform(e.arg);
      case 'binary':
        return this.uniform(e.left) && this.uniform(e.right);
      case 'call':
        return e.fn !== 'rand' && e.fn !== 'randn' && e.args.every((a) => this.uniform(a));
    }
  }

  /** A uniform value as a symbol computed once per call (the same expression gets the same symbol). */
  private hoist(e: Expr): Expr {
    // A parameter or engine value is an argument already; the excitability needs binding.
    if (e.kind === 'num' || (e.kind === 'sym' && e.name !== EXCITABILITY)) return e;
    const key = keyOf(e);
    let name = this.hoisted.get(key);
    if (!name) {
      name = `_h${this.uniforms.length}`;
      this.hoisted.set(key, name);
      this.uniforms.push({ name, expr: e });
    }
    return sym(name);
  }

  /** The expression with its maximal uniform numeric subtrees hoisted and divisions by them turned into products. */
  rewrite(e: Expr): Expr {
    return this.hoistIn(foldNegations(e));
  }

  /** e = rest * u or rest / u with u uniform and rest not (under any negation, which moves to rest). */
  private factor(e: Expr): { rest: Expr; u: Expr; op: '*' | '/' } | null {
    if (isNeg(e)) {
      const f = this.factor(e.arg);
      return f && { ...f, rest: negate(f.rest) };
    }
    if (e.kind !== 'binary' || (e.op !== '*' && e.op !== '/')) return null;
    if (this.uniform(e.right) && !this.uniform(e.left) && !isBoolean(e.right)) return { rest: e.left, u: e.right, op: e.op };
    if (e.op === '*' && this.uniform(e.left) && !this.uniform(e.right) && !isBoolean(e.left)) return { rest: e.right, u: e.left, op: '*' };
    return null;
  }

  /**
   * Uniform factors brought together (exact in real arithmetic, not in rounding, like the reciprocal):
   * (P * u) / (Q * u) = P / Q (exponential Euler's B/A when both carry 1/C), and (X * u1) * u2 =
   * X * (u1 * u2) (A * dt when A carries 1/C), so that the remaining per-neuron parts are shared.
   */
  private regroup(e: Expr): Expr {
    if (e.kind !== 'binary') return e;
    if (e.op === '+' || e.op === '-') return this.regroupSum(e);
    if (e.op === '/') {
      const l = this.factor(e.left);
      const r = this.factor(e.right);
      if (l && r && l.op === r.op && keyOf(l.u) === keyOf(r.u)) return this.regroup(bin('/', l.rest, r.rest));
    }
    if (e.op === '*') {
      const [x, u2] =
        this.uniform(e.right) && !isBoolean(e.right)
          ? [e.left, e.right]
          : this.uniform(e.left) && !isBoolean(e.left)
            ? [e.right, e.left]
            : [null, null];
      const f = x && this.factor(x);
      if (f && u2) return bin('*', f.rest, f.op === '*' ? bin('*', f.u, u2) : bin('/', u2, f.u));
    }
    return e;
  }

  /**
   * A chain of additions and subtractions with two or more uniform terms: the others in their order,
   * then the uniform ones summed once (i_offset + I_ext when I_ext is the excitability alone).
   */
  private regroupSum(e: Expr): Expr {
    const terms: { sign: 1 | -1; e: Expr }[] = [];
    const walk = (x: Expr, sign: 1 | -1): void => {
      if (x.kind === 'binary' && (x.op === '+' || x.op === '-')) {
        walk(x.left, sign);
        walk(x.right, x.op === '+' ? sign : (-sign as 1 | -1));
      } else terms.push({ sign, e: x });
    };
    walk(e, 1);
    const uniform = terms.filter((t) => this.uniform(t.e) && !isBoolean(t.e));
    const rest = terms.filter((t) => !uniform.includes(t));
    if (uniform.length < 2 || rest.length === 0) return e;
    const chain = (ts: typeof terms): Expr =>
      ts.slice(1).reduce<Expr>((a, t) => bin(t.sign === 1 ? '+' : '-', a, t.e), ts[0].sign === 1 ? ts[0].e : negate(ts[0].e));
    return bin('+', chain(rest), chain(uniform));
  }

  private hoistIn(e: Expr): Expr {
    e = this.regroup(e);
    // -(X * u) = X * (-u), the negation computed once (exact)
    if (isNeg(e) && !this.uniform(e)) {
      const f = this.factor(e.arg);
      if (f?.op === '*') return this.hoistIn(bin('*', f.rest, negate(f.u)));
    }
    if (!isBoolean(e) && this.uniform(e)) return this.hoist(e);
    switch (e.kind) {
      case 'num':
      case 'sym':
        return e;
      case 'unary':
        return { ...e, arg: this.hoistIn(e.arg) };
      case 'call':
        return { ...e, args: e.args.map((a) => this.hoistIn(a)) };
      case 'binary': {
        if (e.op === '/' && this.uniform(e.right) && !isBoolean(e.right)) {
          const r = e.right;
          const reciprocal = r.kind === 'num' ? num(1 / r.value) : this.hoist(bin('/', num(1), r));
          return bin('*', this.hoistIn(e.left), reciprocal);
        }
        return { ...e, left: this.hoistIn(e.left), right: this.hoistIn(e.right) };
      }
    }
  }
}

const isNeg = (e: Expr): e is { kind: 'unary'; op: '-'; arg: Expr } => e.kind === 'unary' && e.op === '-';
const negate = (e: Expr): Expr => (isNeg(e) ? e.arg : { kind: 'unary', op: '-', arg: e });

/**
 * Negations folded into the operation around them, by identities that hold exactly in IEEE
 * arithmetic (negation is exact and rounding to nearest is symmetric; only the sign of a zero may
 * differ): (-a) + b = b - a, a + (-b) = a - b, a - (-b) = a + b, (-a) - b = -(a + b),
 * (-a) * b = a * (-b) = -(a * b), likewise for /, and -(-a) = a. Exponential Euler writes
 * -B/A + (B/A + x) * exp(A dt) with A = -(...): each negation saved is an operation per neuron.
 */
function foldNegations(e: Expr): Expr {
  switch (e.kind) {
    case 'num':
    case 'sym':
      return e;
    case 'call':
      return { ...e, args: e.args.map(foldNegations) };
    case 'unary': {
      const arg = foldNegations(e.arg);
      return e.op === '-' && isNeg(arg) ? arg.arg : { ...e, arg };
    }
    case 'binary': {
      const l = foldNegations(e.left);
      const r = foldNegations(e.right);
      switch (e.op) {
        case '+':
          if (isNeg(r)) return bin('-', l, r.arg);
          // b - a evaluates b first: not when both draw (the draws would change order).
          if (isNeg(l) && !(draws(l) && draws(r))) return bin('-', r, l.arg);
          break;
        case '-':
          if (isNeg(r)) return bin('+', l, r.arg);
          if (isNeg(l)) return negate(bin('+', l.arg, r));
          break;
        case '*':
        case '/':
          if (isNeg(l) && isNeg(r)) return bin(e.op, l.arg, r.arg);
          if (isNeg(l)) return negate(bin(e.op, l.arg, r));
          if (isNeg(r)) return negate(bin(e.op, l, r.arg));
          break;
      }
      return { ...e, left: l, right: r };
    }
  }
}

const countSym = (e: Expr, name: string): number =>
  e.kind === 'sym'
    ? +(e.name === name)
    : e.kind === 'unary'
      ? countSym(e.arg, name)
      : e.kind === 'binary'
        ? countSym(e.left, name) + countSym(e.right, name)
        : e.kind === 'call'
          ? e.args.reduce((a, x) => a + countSym(x, name), 0)
          : 0;

/**
 * Temporaries read once are written into their reader (the same operations, so exact): exact
 * integration's constant part b then meets its propagator entry, and the two uniform factors regroup.
 */
function inlineSingleUse(plan: UpdatePlan): UpdatePlan {
  let lets = plan.lets;
  let updates = plan.updates;
  for (const { name } of plan.lets) {
    // The temporary as it is now (earlier ones may have been written into it).
    const k = lets.findIndex((x) => x.name === name);
    const l = lets[k];
    if (draws(l.expr)) continue;
    const later = [...lets.slice(k + 1).map((x) => x.expr), ...updates.map((u) => u.expr)];
    if (later.reduce((a, e) => a + countSym(e, name), 0) !== 1) continue;
    const map = new Map([[name, l.expr]]);
    lets = lets.filter((x) => x.name !== name).map((x) => ({ ...x, expr: substitute(x.expr, map) }));
    updates = updates.map((u) => ({ ...u, expr: substitute(u.expr, map) }));
  }
  return { ...plan, lets, updates };
}

/**
 * A temporary that is a negation holds the value without it, its readers negate (and fold the
 * negation away, exactly): exponential Euler's -B/A + (B/A + x) e becomes (x - Q) e + Q.
 */
function positiveLets(plan: UpdatePlan): UpdatePlan {
  let lets = plan.lets;
  let updates = plan.updates;
  for (let k = 0; k < lets.length; k++) {
    const l = lets[k];
    if (!isNeg(l.expr)) continue;
    const map = new Map([[l.name, negate(sym(l.name))]]);
    const fix = (e: Expr): Expr => foldNegations(substitute(e, map));
    lets = lets.map((x, j) => (j === k ? { ...x, expr: (l.expr as { arg: Expr }).arg } : j > k ? { ...x, expr: fix(x.expr) } : x));
    updates = updates.map((u) => ({ ...u, expr: fix(u.expr) }));
  }
  return { ...plan, lets, updates };
}

/** Non-trivial numeric subtrees that occur more than once in these expressions, outermost first. */
function repeated(exprs: readonly Expr[]): Set<string> {
  const seen = new Map<string, number>();
  const walk = (e: Expr): void => {
    if (e.kind === 'num' || e.kind === 'sym') return;
    if (e.kind === 'binary' && (e.op === 'and' || e.op === 'or')) return;
    if (!isBoolean(e) && !draws(e)) {
      const k = keyOf(e);
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      // The second occurrence's parts are already counted under the first: do not count them twice.
      if (n > 1) return;
    }
    if (e.kind === 'unary') walk(e.arg);
    else if (e.kind === 'binary') {
      walk(e.left);
      walk(e.right);
    } else e.args.forEach(walk);
  };
  exprs.forEach(walk);
  return new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k));
}

/**
 * Temporaries for the subexpressions repeated across the plan's temporaries and new values: each is
 * computed right before the first temporary that uses it (after every temporary it reads), or after
 * all of them when only new values use it.
 */
function shareRepeated(plan: UpdatePlan): Pick<UpdatePlan, 'lets' | 'updates'> {
  const keys = repeated([...plan.lets.map((l) => l.expr), ...plan.updates.map((u) => u.expr)]);
  if (keys.size === 0) return plan;
  const names = new Map<string, string>();
  const lets: UpdatePlan['lets'] = [];
  const replace = (e: Expr): Expr => {
    if (e.kind === 'num' || e.kind === 'sym') return e;
    const k = keyOf(e);
    if (keys.has(k)) {
      let name = names.get(k);
      if (!name) {
        name = `_c${names.size}`;
        names.set(k, name);
        lets.push({ name, expr: replaceInside(e) });
      }
      return sym(name);
    }
    return replaceInside(e);
  };
  const replaceInside = (e: Expr): Expr => {
    if (e.kind === 'unary') return { ...e, arg: replace(e.arg) };
    if (e.kind === 'binary') return e.op === 'and' || e.op === 'or' ? e : { ...e, left: replace(e.left), right: replace(e.right) };
    if (e.kind === 'call') return { ...e, args: e.args.map(replace) };
    return e;
  };
  for (const l of plan.lets) {
    const expr = replace(l.expr);
    lets.push({ name: l.name, expr });
  }
  const updates = plan.updates.map((u) => ({ ...u, expr: replace(u.expr) }));
  return { lets, updates };
}

const isZero = (e: Expr): boolean => e.kind === 'num' && e.value === 0;

/**
 * Drops the terms that are exactly 0 from sums (x + 0 = x, x - 0 = x, 0 - x = -x, the sign of a zero
 * aside). Products with 0 stay: 0 * x is NaN for an infinite x, and dropping x would skip its draws.
 */
function withoutZeroTerms(e: Expr): Expr {
  switch (e.kind) {
    case 'num':
    case 'sym':
      return e;
    case 'unary':
      return { ...e, arg: withoutZeroTerms(e.arg) };
    case 'call':
      return { ...e, args: e.args.map(withoutZeroTerms) };
    case 'binary': {
      const l = withoutZeroTerms(e.left);
      const r = withoutZeroTerms(e.right);
      if (e.op === '+' && isZero(r)) return l;
      if (e.op === '+' && isZero(l)) return r;
      if (e.op === '-' && isZero(r)) return l;
      if (e.op === '-' && isZero(l)) return negate(r);
      return { ...e, left: l, right: r };
    }
  }
}

/**
 * The inputs a population cannot receive, as values: I_exc and I_inh are 0 without current synapses,
 * I_ext is the excitability alone without external current (as the arrays hold zeros; a zero's sign aside).
 */
function knownInputs(def: ModelDefinition, inputs: number | undefined): Map<string, Expr> {
  const out = new Map<string, Expr>();
  if (inputs === undefined) return out;
  if (!(inputs & INPUT_CURRENT_SYNAPSES)) for (const k of ['I_exc', 'I_inh']) out.set(k, num(0));
  if (!(inputs & INPUT_EXTERNAL_CURRENT)) out.set('I_ext', sym(EXCITABILITY));
  // A decaying input of exact integration stays: its propagator entries are laid out already.
  for (const x of def.plan.linear?.vars ?? []) out.delete(x);
  return out;
}

/** The variant as the CPU runs it: the same model, with per-population work hoisted and repeats shared. */
export function optimize(v: Variant): Variant {
  const { perNeuron } = v;
  const known = knownInputs(v.def, v.inputs);
  const fix = (e: Expr): Expr => (known.size ? withoutZeroTerms(substitute(e, known)) : e);
  const def: ModelDefinition = {
    ...v.def,
    threshold: v.def.threshold && fix(v.def.threshold),
    reset: v.def.reset.map((st) => ({ ...st, expr: fix(st.expr) })),
    refractory: v.def.refractory?.kind === 'condition' ? { ...v.def.refractory, expr: fix(v.def.refractory.expr) } : v.def.refractory,
    plan: {
      ...v.def.plan,
      lets: v.def.plan.lets.map((l) => ({ ...l, expr: fix(l.expr) })),
      updates: v.def.plan.updates.map((u) => ({ ...u, expr: fix(u.expr) })),
    },
  };
  const o = new Optimizer(def, perNeuron);
  const plan = inlineSingleUse(def.plan);
  const rewritten: UpdatePlan = positiveLets({
    ...plan,
    lets: plan.lets.map((l) => ({ name: l.name, expr: o.rewrite(l.expr) })),
    updates: plan.updates.map((u) => ({ ...u, expr: o.rewrite(u.expr) })),
  });
  const threshold = def.threshold && o.rewrite(def.threshold);
  const reset: Statement[] = def.reset.map((s) => ({ ...s, expr: o.rewrite(s.expr) }));
  // A refractory time is turned into steps from the population's values by its own code; a condition runs per neuron.
  const refractory = def.refractory?.kind === 'condition' ? { ...def.refractory, expr: o.rewrite(def.refractory.expr) } : def.refractory;
  const shared = shareRepeated(rewritten);
  const out: ModelDefinition = {
    ...def,
    threshold,
    reset,
    refractory,
    plan: { ...rewritten, ...shared, uniforms: o.uniforms },
  };
  return { def: out, perNeuron, inputs: v.inputs };
}
