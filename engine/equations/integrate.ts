// State updaters: from a system of differential equations to the statements that advance it by one
// step dt, named and behaving as Brian2's (brian2/stateupdaters): euler (Euler–Maruyama with noise),
// rk2, rk4, exponential_euler and exact (linear systems, propagator computed numerically per
// population, see propagator.ts). Every backend generates its code from the plan returned here, so the
// backends cannot disagree about the method.
import type { Expr } from './ast.js';
import { bin, derivative, dependsOn, linearPart, num, simplify, substitute, sym, symbolsOf } from './symbolic.js';

export const METHODS = ['exact', 'exponential_euler', 'euler', 'rk2', 'rk4'] as const;
export type Method = (typeof METHODS)[number];

export interface Derivative {
  name: string;
  /** Right-hand side with subexpressions already substituted. */
  rhs: Expr;
  unlessRefractory: boolean;
}

export interface UpdatePlan {
  method: Method;
  /** Temporaries, computed in this order from the state at the start of the step. */
  lets: { name: string; expr: Expr }[];
  /** The new value of each state variable, assigned after every temporary is computed. */
  updates: { name: string; expr: Expr; unlessRefractory: boolean }[];
  /** Symbols bound to independent standard normal draws, one per neuron and step. */
  noise: string[];
  /**
   * exact only: the coefficient matrix (expressions of parameters) whose propagators the backends
   * compute per population and bind to the symbols named in `phi` (exp(M dt)) and `psi` (its integral).
   */
  linear?: {
    vars: string[];
    matrix: Expr[][];
    phi: string[][];
    psi: string[][];
    /**
     * Neuron plans: each state variable advances by an increment, x + ((phi_ii - 1) x + ...), the
     * diagonal's phi_ii - 1 bound to these names (computed in float64 where phi is; exact when phi_ii
     * is in [0.5, 2], i.e. for time constants above dt / ln 2). In float32 (WebGPU) this keeps a
     * membrane near threshold within a few ulp of the float64 trajectory, where phi_ii x + ... drifts
     * by 1e-4 mV in 100 steps (LIF, tau_m 20 ms, dt 0.1 ms).
     */
    dphi?: string[];
  };
  /**
   * Values that are the same for every neuron of a population, computed in this order once per call
   * before the loop (optimize.ts hoists them out of the CPU's code; other plans have none).
   */
  uniforms?: { name: string; expr: Expr }[];
}

/** Why a method does not apply to these equations (Brian2's UnsupportedEquationsException). */
export class MethodError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'MethodError';
  }
}

/** White-noise symbols: `xi` and `xi_<name>` (Brian2's names), one independent draw each. */
export const isNoise = (name: string): boolean => name === 'xi' || /^xi_[A-Za-z0-9_]+$/.test(name);

/** Splits each right-hand side into a deterministic part and the factor of each noise symbol. */
function splitNoise(eqs: Derivative[]): { f: Map<string, Expr>; g: Map<string, Map<string, Expr>>; noise: string[] } {
  const noise = [...new Set(eqs.flatMap((e) => [...symbolsOf(e.rhs)].filter(isNoise)))].sort();
  const zero = new Map(noise.map((n) => [n, num(0)]));
  const f = new Map<string, Expr>();
  const g = new Map<string, Map<string, Expr>>();
  for (const e of eqs) {
    f.set(e.name, simplify(substitute(e.rhs, zero)));
    const factors = new Map<string, Expr>();
    for (const n of noise) {
      if (!dependsOn(e.rhs, n)) continue;
      const d = derivative(e.rhs, n);
      if (!d || dependsOn(d, new Set(noise)))
        throw new MethodError(`the noise term of d${e.name}/dt must be linear in ${n} (a factor times ${n})`, e.name);
      factors.set(n, d);
    }
    g.set(e.name, factors);
  }
  return { f, g, noise };
}

/**
 * An input that decays exponentially within the step, with the given rate (1/time constant), after
 * the state variables read it: the engine's current channels. Exact integration treats it as part
 * of the linear system (the current-based LIF's propagators, Rotter & Diesmann 1999); the other
 * methods hold every input at its start-of-step value, as Brian2 holds an external variable.
 */
export interface DecayingInput {
  name: string;
  rate: Expr;
}

export function plan(eqs: Derivative[], method: Method, decaying: readonly DecayingInput[] = [], increments = false): UpdatePlan {
  const { f, g, noise } = splitNoise(eqs);
  if (noise.length && method !== 'euler')
    throw new MethodError(`equations with ${noise.join(', ')} need method euler (Euler–Maruyama); ${method} is deterministic only`);
  switch (method) {
    case 'euler':
      return euler(eqs, f, g, noise);
    case 'rk2':
      return rungeKutta(eqs, f, 2);
    case 'rk4':
      return rungeKutta(eqs, f, 4);
    case 'exponential_euler':
      return exponentialEuler(eqs, f);
    case 'exact':
      return exact(eqs, f, decaying, increments);
  }
}

const DT = sym('dt');

function euler(eqs: Derivative[], f: Map<string, Expr>, g: Map<string, Map<string, Expr>>, noise: string[]): UpdatePlan {
  const updates = eqs.map((e) => {
    let expr = bin('+', sym(e.name), bin('*', DT, f.get(e.name)!));
    for (const [n, factor] of g.get(e.name)!) expr = bin('+', expr, bin('*', bin('*', factor, sym(n)), call1('sqrt', DT)));
    return { name: e.name, expr: simplify(expr), unlessRefractory: e.unlessRefractory };
  });
  return { method: 'euler', lets: [], updates, noise };
}

function call1(fn: string, arg: Expr): Expr {
  return { kind: 'call', fn, args: [arg] };
}

/** Classic Runge–Kutta: rk2 is the midpoint method, rk4 the four-stage scheme, as Brian2 defines them. */
function rungeKutta(eqs: Derivative[], f: Map<string, Expr>, order: 2 | 4): UpdatePlan {
  const lets: { name: string; expr: Expr }[] = [];
  const stage = (k: string, shift: (name: string) => Expr | null, tShift: Expr | null) => {
    const map = new Map<string, Expr>();
    for (const e of eqs) {
      const s = shift(e.name);
      if (s) map.set(e.name, s);
    }
    if (tShift) map.set('t', bin('+', sym('t'), tShift));
    for (const e of eqs) lets.push({ name: `_${k}_${e.name}`, expr: simplify(bin('*', DT, substitute(f.get(e.name)!, map))) });
  };
  const half = (k: string) => (name: string) => bin('+', sym(name), bin('/', sym(`_${k}_${name}`), num(2)));
  stage('k1', () => null, null);
  if (order === 2) {
    stage('k2', half('k1'), bin('/', DT, num(2)));
    const updates = eqs.map((e) => ({
      name: e.name,
      expr: bin('+', sym(e.name), sym(`_k2_${e.name}`)),
      unlessRefractory: e.unlessRefractory,
    }));
    return { method: 'rk2', lets, updates, noise: [] };
  }
  stage('k2', half('k1'), bin('/', DT, num(2)));
  stage('k3', half('k2'), bin('/', DT, num(2)));
  stage('k4', (name) => bin('+', sym(name), sym(`_k3_${name}`)), DT);
  const updates = eqs.map((e) => {
    const k = (i: number) => sym(`_k${i}_${e.name}`);
    const sum = bin('+', bin('+', bin('+', k(1), bin('*', num(2), k(2))), bin('*', num(2), k(3))), k(4));
    return { name: e.name, expr: bin('+', sym(e.name), bin('/', sum, num(6))), unlessRefractory: e.unlessRefractory };
  });
  return { method: 'rk4', lets, updates, noise: [] };
}

/**
 * Brian2's exponential Euler: each variable x with f = A x + B, where A (free of x) collects the terms
 * linear in x and B the rest (see linearPart; both may depend on the other variables, and B on x
 * itself, all taken at the start of the step), advances as x(dt) = -B/A + (x + B/A) exp(A dt), the
 * exact solution with A and B held constant. A variable whose A is identically zero advances by Euler.
 */
function exponentialEuler(eqs: Derivative[], f: Map<string, Expr>): UpdatePlan {
  const lets: { name: string; expr: Expr }[] = [];
  const updates = eqs.map((e) => {
    const { a, b } = linearPart(f.get(e.name)!, e.name);
    const x = sym(e.name);
    if (a.kind === 'num' && a.value === 0)
      return { name: e.name, expr: simplify(bin('+', x, bin('*', DT, b))), unlessRefractory: e.unlessRefractory };
    const ba = `_BA_${e.name}`;
    lets.push({ name: ba, expr: simplify(bin('/', b, a)) });
    const expr = bin(
      '+',
      { kind: 'unary', op: '-', arg: sym(ba) },
      bin('*', bin('+', sym(ba), x), call1('exp', simplify(bin('*', a, DT)))),
    );
    return { name: e.name, expr, unlessRefractory: e.unlessRefractory };
  });
  return { method: 'exponential_euler', lets, updates, noise: [] };
}

/**
 * Exact integration of a linear system x' = M x + b: M may depend only on parameters (it is turned
 * into propagators once per population), b on anything but the state (inputs are held over the step).
 */
function exact(eqs: Derivative[], f: Map<string, Expr>, decaying: readonly DecayingInput[], increments: boolean): UpdatePlan {
  const states = eqs.map((e) => e.name);
  const inputs = decaying.filter((d) => eqs.some((e) => dependsOn(f.get(e.name)!, d.name)));
  // The decaying inputs the equations read join the system as variables the backends do not update.
  const vars = [...states, ...inputs.map((d) => d.name)];
  const varSet = new Set(vars);
  if (eqs.some((e) => dependsOn(f.get(e.name)!, 't')))
    throw new MethodError('exact integration needs equations that do not depend on t explicitly; use exponential_euler or rk4');
  const matrix = [
    ...eqs.map((e) =>
      vars.map((x) => {
        const a = derivative(f.get(e.name)!, x);
        if (!a || dependsOn(a, varSet))
          throw new MethodError(`the equations are not linear (d${e.name}/dt in ${x}); use exponential_euler`, e.name);
        return a;
      }),
    ),
    ...inputs.map((d) => vars.map((x) => (x === d.name ? simplify({ kind: 'unary', op: '-', arg: d.rate }) : num(0)))),
  ];
  const zero = new Map(vars.map((x) => [x, num(0)]));
  const lets = eqs.map((e) => ({ name: `_b_${e.name}`, expr: simplify(substitute(f.get(e.name)!, zero)) }));
  const phi = vars.map((_, i) => vars.map((__, j) => `_phi_${i}_${j}`));
  const psi = vars.map((_, i) => vars.map((__, j) => `_psi_${i}_${j}`));
  const dphi = increments ? states.map((_, i) => `_dphi_${i}`) : undefined;
  const updates = eqs.map((e, i) => {
    let expr: Expr = num(0);
    vars.forEach((x, j) => {
      expr = bin('+', expr, bin('*', sym(dphi && i === j ? dphi[i] : phi[i][j]), sym(x)));
      // A decaying input has no constant part.
      if (j < states.length) expr = bin('+', expr, bin('*', sym(psi[i][j]), sym(`_b_${x}`)));
    });
    if (dphi) expr = bin('+', sym(e.name), expr);
    return { name: e.name, expr: simplify(expr), unlessRefractory: e.unlessRefractory };
  });
  return { method: 'exact', lets, updates, noise: [], linear: { vars, matrix, phi, psi, dphi } };
}

/** Brian2's default: exact when the system is linear with constant coefficients, else euler. */
export function defaultMethod(eqs: Derivative[], isConstant: (name: string) => boolean, decaying: readonly DecayingInput[] = []): Method {
  try {
    const p = plan(eqs, 'exact', decaying);
    const ok = p.linear!.matrix.every((row) => row.every((a) => [...symbolsOf(a)].every(isConstant)));
    return ok ? 'exact' : 'euler';
  } catch {
    return 'euler';
  }
}
