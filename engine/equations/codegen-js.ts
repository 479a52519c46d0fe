// JavaScript for a model definition: the CPU reference backend's step function for one population,
// generated once per population variant (which parameters vary per neuron) and compiled with
// new Function. Units, constants and population-wide parameters become plain numbers and locals, so
// the loop body is what a person would write by hand for this model.
import type { Expr, Statement } from './ast.js';
import type { ModelDefinition } from './model-definition.js';
import { ENGINE_SYMBOLS } from './model-definition.js';
import { UNITS, toInternal } from './dimension.js';
import { CONSTANTS } from './check-units.js';
import { symbolsOf } from './symbolic.js';

/** PopulationState.inputs: which input arrays can be non-zero (the backends skip or fold the others). */
export const INPUT_CURRENT_SYNAPSES = 1;
export const INPUT_EXTERNAL_CURRENT = 2;
export const ALL_INPUTS = INPUT_CURRENT_SYNAPSES | INPUT_EXTERNAL_CURRENT;

/**
 * The excitability modulator's effect, what I_ext is for a population without external current
 * (iext holds zeros: I_ext = 0 + excitability, optimize.ts). The backends bind it before the loop.
 */
export const EXCITABILITY = '_excitability';

/** Which of a population's parameters are arrays (one value per neuron) rather than one number. */
export interface Variant {
  def: ModelDefinition;
  perNeuron: ReadonlySet<string>;
  /** PopulationState.inputs, when the code is specialised for it (optimize.ts: inputs that cannot arrive are constants). */
  inputs?: number;
}

const JS_FUNCTIONS: Record<string, string> = {
  // expDet (engine/equations/exp.ts, passed in by the caller as H.expDet): the exp the WebAssembly
  // kernels compute too, so both give the same bits.
  exp: 'H.expDet',
  log: 'Math.log',
  log10: 'Math.log10',
  sin: 'Math.sin',
  cos: 'Math.cos',
  tan: 'Math.tan',
  sinh: 'Math.sinh',
  cosh: 'Math.cosh',
  tanh: 'Math.tanh',
  arcsin: 'Math.asin',
  arccos: 'Math.acos',
  arctan: 'Math.atan',
  sqrt: 'Math.sqrt',
  abs: 'Math.abs',
  floor: 'Math.floor',
  ceil: 'Math.ceil',
  sign: 'Math.sign',
  int: 'Math.trunc',
  exprel: 'H.exprel',
  clip: 'H.clip',
};

/** Runtime helpers the generated code calls (Brian2's definitions). */
export const JS_HELPERS = {
  p2: (x: number): number => x * x,
  p3: (x: number): number => x * x * x,
  p4: (x: number): number => x * x * x * x,
  /** (exp(x) - 1) / x, 1 at 0, without the cancellation near 0. */
  exprel: (x: number): number => (x === 0 ? 1 : Math.expm1(x) / x),
  clip: (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi),
};

/** The name a model symbol has in generated code: user names get a prefix so they cannot be keywords. */
export const local = (name: string): string => (name.startsWith('_') ? `t${name}` : `u_${name}`);

export function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  return v < 0 || Object.is(v, -0) ? `(${String(v)})` : String(v);
}

/** A symbol's value when it is a unit or a constant (the model's own names shadow both). */
export function constantOf(name: string, def: ModelDefinition): number | null {
  if (Object.hasOwn(def.parameters, name) || Object.hasOwn(def.states, name) || Object.hasOwn(ENGINE_SYMBOLS, name)) return null;
  if (Object.hasOwn(CONSTANTS, name)) return CONSTANTS[name];
  if (Object.hasOwn(UNITS, name)) return toInternal(UNITS[name].si, UNITS[name].dim);
  return null;
}

/** How generated code names a symbol: its code, e.g. a local variable or an array element. */
export type SymbolCode = (name: string) => string;

/** The value of a unit or constant as a literal, else the symbol's local variable. */
const modelSymbols =
  (def: ModelDefinition): SymbolCode =>
  (name) => {
    const c = constantOf(name, def);
    return c === null ? local(name) : literal(c);
  };

export function jsExpr(e: Expr, def: ModelDefinition): string {
  return jsExprWith(e, modelSymbols(def));
}

export function jsExprWith(e: Expr, code: SymbolCode): string {
  const js = (x: Expr) => jsExprWith(x, code);
  switch (e.kind) {
    case 'num':
      return literal(e.value);
    case 'sym':
      return code(e.name);
    case 'unary':
      return e.op === 'not' ? `(!${js(e.arg)})` : `(${e.op}${js(e.arg)})`;
    case 'binary': {
      const l = js(e.left);
      if (e.op === '**') {
        // Small integer powers as products (what Brian2's C++ target emits too): faster and exact.
        // A name or a number is repeated (what V8 compiles best); anything else is evaluated once by
        // H.p2..p4 (the same products, so the same bits): nested powers stay linear in size and
        // rand()**2 draws once.
        const k = e.right.kind === 'num' ? e.right.value : NaN;
        if (!(Number.isInteger(k) && k >= 2 && k <= 4)) return `Math.pow(${l}, ${js(e.right)})`;
        return /^[\w.()-]+$/.test(l) && (e.left.kind === 'sym' || e.left.kind === 'num')
          ? `(${Array(k).fill(l).join(' * ')})`
          : `H.p${k}(${l})`;
      }
      // == and != compare as Python (Brian2) does: a boolean is 0 or 1, so (v > x) == True holds when v > x.
      if (e.op === '==' || e.op === '!=') return `(+${l} ${e.op === '==' ? '===' : '!=='} +${js(e.right)})`;
      const op = e.op === 'and' ? '&&' : e.op === 'or' ? '||' : e.op;
      return `(${l} ${op} ${js(e.right)})`;
    }
    case 'call': {
      if (e.fn === 'rand') return 'rng.uniform()';
      if (e.fn === 'randn') return 'rng.normal()';
      if (!Object.hasOwn(JS_FUNCTIONS, e.fn)) throw new Error(`no JavaScript for function ${e.fn}`);
      return `${JS_FUNCTIONS[e.fn]}(${e.args.map(js).join(', ')})`;
    }
  }
}

function statement(s: Statement, def: ModelDefinition): string {
  const rhs = jsExpr(s.expr, def);
  return s.op === '=' ? `${local(s.target)} = ${rhs};` : `${local(s.target)} ${s.op} ${rhs};`;
}

/**
 * What one generated function does: `all` advances every neuron one step in the engine's order
 * (refractoriness, state update, threshold, reset, channel decay). With synapse models the engine
 * keeps Brian2's order instead, in three calls: `update` (integration, channel decay; who is frozen is
 * kept in s.frozen), `threshold` (the spike list) and, after the synapses ran, `reset`.
 */
export type Phase = 'all' | 'update' | 'threshold' | 'reset';

/** The body of `function (p, s, dt, spikes, H, nGiven)` for one phase of a population's step (nGiven: the spike count, for reset). */
export function jsStepSource(v: Variant, phase: Phase = 'all'): string {
  const { def, perNeuron } = v;
  const p = def.plan;
  const used = usedSymbols(def);
  const states = Object.keys(def.states);
  const params = Object.keys(def.parameters).filter((k) => used.has(k));
  const out: string[] = [];
  out.push('const n = s.n, vars = s.vars, refrac = s.refrac, ie = s.ie, ii = s.ii, ge = s.ge, gi = s.gi, iext = s.iext, rng = s.rng;');
  out.push('const gain = s.mod.gain, excitability = s.mod.excitability, frozen = s.frozen;');
  out.push(
    `const ${local('threshold_shift')} = s.mod.thresholdShift, ${local('t')} = s.time, ${local('dt')} = dt, ${local('gain')} = gain;`,
  );
  out.push('const de = Math.exp(-dt / p.tau_syn_exc), di = Math.exp(-dt / p.tau_syn_inh);');
  for (const x of states) out.push(`const S_${x} = vars[${JSON.stringify(x)}];`);
  for (const k of params)
    out.push(perNeuron.has(k) ? `const P_${k} = vars[${JSON.stringify(k)}];` : `const ${local(k)} = p[${JSON.stringify(k)}];`);
  if (p.linear) {
    out.push('const L = H.linear(p, dt);');
    p.linear.phi.forEach((row, i) =>
      row.forEach((name, j) => out.push(`const ${local(name)} = L.phi[${i}][${j}], ${local(p.linear!.psi[i][j])} = L.psi[${i}][${j}];`)),
    );
    p.linear.dphi?.forEach((name, i) => out.push(`const ${local(name)} = L.phi[${i}][${i}] - 1;`));
  }
  if (used.has(EXCITABILITY)) out.push(`const ${local(EXCITABILITY)} = excitability;`);
  for (const u of p.uniforms ?? []) out.push(`const ${local(u.name)} = ${jsExpr(u.expr, def)};`);
  const refr = def.refractory;
  const refrConst = refr?.kind === 'time' && ![...symbolsOf(refr.expr)].some((s) => perNeuron.has(s));
  if (refr?.kind === 'time' && refrConst) out.push(`const R = Math.floor(${jsExpr(refr.expr, def)} / dt + 1e-3);`);
  const body: string[] = [];
  for (const x of states) body.push(`let ${local(x)} = S_${x}[i];`);
  for (const k of params) if (perNeuron.has(k)) body.push(`const ${local(k)} = P_${k}[i];`);
  const inputs: Record<string, string> = {
    I_ext: 'iext[i] + excitability',
    I_exc: 'gain * ie[i]',
    I_inh: 'gain * ii[i]',
    g_exc: 'gain * ge[i]',
    g_inh: 'gain * gi[i]',
  };
  for (const [k, code] of Object.entries(inputs)) if (used.has(k)) body.push(`const ${local(k)} = ${code};`);
  if (phase === 'all' || phase === 'update') body.push(...updateBody(def, refr));
  if (phase === 'update') body.push('frozen[i] = active ? 0 : 1;');
  if (def.threshold && phase !== 'update' && phase !== 'reset') {
    const active = phase === 'all' ? 'active' : 'frozen[i] === 0';
    body.push(`if (${active} && ${jsExpr(def.threshold, def)}) {`, '  spikes[count++] = i;');
    if (phase === 'all') for (const s of def.reset) body.push('  ' + statement(s, def));
    // Brian2: frozen while timestep(t - lastspike) < timestep(refractory), i.e. for R - 1 steps after the spike.
    if (refr?.kind === 'time') body.push(`  refrac[i] = ${refrConst ? 'R' : `Math.floor(${jsExpr(refr.expr, def)} / dt + 1e-3)`} - 1;`);
    else if (refr?.kind === 'condition') body.push('  refrac[i] = 1;');
    body.push('}');
  }
  if (phase === 'reset') for (const s of def.reset) body.push(statement(s, def));
  if (phase !== 'threshold') for (const x of states) body.push(`S_${x}[i] = ${local(x)};`);
  if (phase === 'all' || phase === 'update') body.push('ie[i] *= de;', 'ii[i] *= di;', 'ge[i] *= de;', 'gi[i] *= di;');
  if (phase === 'reset') out.push('const count = nGiven;', 'for (let c = 0; c < count; c++) {', '  const i = spikes[c];');
  else out.push('let count = 0;', 'for (let i = 0; i < n; i++) {');
  out.push(...body.map((l) => '  ' + l), '}', 'return count;');
  return out.join('\n');
}

/** Refractoriness, noise and the integration plan: the part of a step before the threshold. */
function updateBody(def: ModelDefinition, refr: ModelDefinition['refractory']): string[] {
  const p = def.plan;
  const body: string[] = [];
  if (refr?.kind === 'time') body.push('let active = true;', 'if (refrac[i] > 0) { refrac[i]--; active = false; }');
  // A condition holds the neuron refractory from its spike until the condition is false (Brian2's
  // not_refractory = not_refractory or not cond), judged on the state at the start of the step.
  else if (refr?.kind === 'condition')
    body.push(`if (refrac[i] > 0 && !${jsExpr(refr.expr, def)}) refrac[i] = 0;`, 'const active = refrac[i] === 0;');
  else body.push('const active = true;');
  for (const x of p.noise) body.push(`const ${local(x)} = rng.normal();`);
  for (const l of p.lets) body.push(`const ${local(l.name)} = ${jsExpr(l.expr, def)};`);
  for (const u of p.updates) body.push(`const N_${u.name} = ${jsExpr(u.expr, def)};`);
  for (const u of p.updates)
    body.push(u.unlessRefractory ? `if (active) ${local(u.name)} = N_${u.name};` : `${local(u.name)} = N_${u.name};`);
  return body;
}

/** Every symbol the generated code reads. */
function usedSymbols(def: ModelDefinition): Set<string> {
  const out = new Set<string>();
  const add = (e: Expr) => symbolsOf(e, out);
  for (const l of def.plan.lets) add(l.expr);
  for (const u of def.plan.updates) add(u.expr);
  for (const row of def.plan.linear?.matrix ?? []) row.forEach(add);
  for (const u of def.plan.uniforms ?? []) add(u.expr);
  if (def.threshold) add(def.threshold);
  for (const s of def.reset) add(s.expr);
  if (def.refractory) add(def.refractory.expr);
  return out;
}
