// JavaScript for a synapse model on one projection: on_pre for each synapse of a presynaptic spike,
// on_post for each synapse onto a postsynaptic spike, the clock-driven variables every step and the
// summed variables. Event-driven variables are brought up to the current step (exactly, from their
// linear equations) just before a statement reads them, as Brian2 does.
import type { Expr, Statement } from './ast.js';
import { CONSTANTS } from './check-units.js';
import { UNITS, toInternal } from './dimension.js';
import { jsExprWith, literal } from './codegen-js.js';
import { CHANNEL_TARGETS, type SynapseDefinition } from './synapse-definition.js';
import { symbolsOf } from './symbolic.js';
import { isNoise } from './integrate.js';
import type { Rng } from '../rng.js';

/** How the projection's neurons hold a variable: per neuron (an array) or one number for the population. */
export type Holding = 'array' | 'scalar';

export interface SynapseVariant {
  def: SynapseDefinition;
  pre: (name: string) => Holding | undefined;
  post: (name: string) => Holding | undefined;
  modulators: ReadonlySet<string>;
}

/** What a synapse model's generated code (JavaScript or WebAssembly) reads: the projection's and the neurons' arrays and values. */
export interface SynapseContext {
  rowPtr: Uint32Array;
  targets: Uint32Array | Uint16Array;
  weights: Float32Array;
  delays: Uint8Array | Uint16Array | null;
  delaySteps: number;
  preIdx: Uint32Array;
  postPtr: Uint32Array;
  postSyn: Uint32Array;
  /**
   * With per-synapse delays, each row's synapses in order of delay (then index): on_pre finds the
   * synapses of a spike that arrive now by a binary search in its row. Empty otherwise.
   */
  byDelay: Uint32Array;
  last: Int32Array;
  S: Record<string, Float64Array>;
  p: Record<string, number>;
  dt: number;
  pre: Record<string, Float64Array | number>;
  post: Record<string, Float64Array | number>;
  /** The target's channels: what on_pre and on_post add is felt from the next step (Brian2's pathways add at once). */
  chan: Record<'ie' | 'ii' | 'ge' | 'gi', Float64Array>;
  mod: Record<string, number>;
  summedTargets: Record<string, Float64Array>;
  rng: Rng;
  /** exact clock-driven equations: their propagators for this projection's parameters. */
  linear: { phi: number[][]; psi: number[][] } | null;
}

const ident = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

function symbolCode(v: SynapseVariant): (name: string) => string {
  const { def } = v;
  return (name) => {
    // Temporaries of the integration plan and exact's propagator entries (never user names: those cannot start with _).
    if (name.startsWith('_')) return `t${name}`;
    if (name === 'w' || Object.hasOwn(def.variables, name) || Object.hasOwn(def.parameters, name)) return `u_${name}`;
    if (isNoise(name)) return `u_${name}`;
    if (name === 't') return 't';
    if (name === 'dt') return 'dt';
    if (name.endsWith('_pre')) return v.pre(name.slice(0, -4)) === 'array' ? `PRE_${name.slice(0, -4)}[i]` : `PRE_${name.slice(0, -4)}`;
    if (name.endsWith('_post')) return v.post(name.slice(0, -5)) === 'array' ? `POST_${name.slice(0, -5)}[j]` : `POST_${name.slice(0, -5)}`;
    if (v.modulators.has(name)) return `M_${ident(name)}`;
    if (Object.hasOwn(CONSTANTS, name)) return literal(CONSTANTS[name]);
    if (Object.hasOwn(UNITS, name)) return literal(toInternal(UNITS[name].si, UNITS[name].dim));
    throw new Error(`no code for symbol ${name}`);
  };
}

/** Every symbol the model's code reads or writes. */
export function usedSymbols(def: SynapseDefinition): Set<string> {
  const out = new Set<string>();
  for (const s of [...def.onPre, ...def.onPost, ...def.onStep]) {
    symbolsOf(s.expr, out);
    out.add(s.target);
  }
  for (const x of def.eventDriven) {
    symbolsOf(x.a, out);
    symbolsOf(x.b, out);
  }
  for (const l of def.clock?.lets ?? []) symbolsOf(l.expr, out);
  for (const u of def.clock?.updates ?? []) symbolsOf(u.expr, out);
  for (const sm of def.summed) symbolsOf(sm.expr, out);
  return out;
}

function prologue(v: SynapseVariant): string[] {
  const { def } = v;
  const used = usedSymbols(def);
  const code = symbolCode(v);
  const out = [
    'const { rowPtr, targets, weights, delays, delaySteps, preIdx, last, S, p, pre, post, chan, mod, rng } = ctx;',
    'const dt = ctx.dt, t = n * dt;',
  ];
  for (const k of Object.keys(def.parameters)) if (used.has(k)) out.push(`const u_${k} = p[${JSON.stringify(k)}];`);
  for (const x of Object.keys(def.variables)) out.push(`const S_${x} = S[${JSON.stringify(x)}];`);
  for (const s of used) {
    if (s.endsWith('_pre')) out.push(`const PRE_${s.slice(0, -4)} = pre[${JSON.stringify(s.slice(0, -4))}];`);
    else if (s.endsWith('_post') && !Object.hasOwn(CHANNEL_TARGETS, s))
      out.push(`const POST_${s.slice(0, -5)} = post[${JSON.stringify(s.slice(0, -5))}];`);
    else if (Object.hasOwn(CHANNEL_TARGETS, s)) out.push(`const CH_${s} = chan[${JSON.stringify(CHANNEL_TARGETS[s].channel)}];`);
    else if (v.modulators.has(s)) out.push(`const M_${ident(s)} = mod[${JSON.stringify(s)}];`);
  }
  for (const x of def.eventDriven) {
    out.push(`const EA_${x.name} = ${jsExprWith(x.a, code)}, EB_${x.name} = ${jsExprWith(x.b, code)};`);
  }
  return out;
}

/**
 * A learning rule changes a weight by tiny amounts (the triplet rule's A2+ is 5e-10; a clock-driven
 * dw/dt changes it every step), which float32 would round away near 1: a weight the model changes has
 * a float64 master copy (S.w), and the float32 weights that transmission and readWeights use follow it.
 */
export const weightIsFloat64 = (def: SynapseDefinition): boolean =>
  def.clockEquations.some((eq) => eq.name === 'w') || [...def.onPre, ...def.onPost, ...def.onStep].some((s) => s.target === 'w');
const weightRead = (def: SynapseDefinition) => (weightIsFloat64(def) ? 'S.w[k]' : 'weights[k]');
const weightWrite = (def: SynapseDefinition) => (weightIsFloat64(def) ? ['S.w[k] = u_w;', 'weights[k] = u_w;'] : ['weights[k] = u_w;']);

/** Statements run for synapse k (pre neuron i, post neuron j) at step n. */
function body(v: SynapseVariant, statements: Statement[], withEvents: boolean): string[] {
  const { def } = v;
  const code = symbolCode(v);
  const out: string[] = [`let u_w = ${weightRead(def)};`];
  for (const x of Object.keys(def.variables)) out.push(`let u_${x} = S_${x}[k];`);
  if (withEvents && def.eventDriven.length) {
    out.push('const T = (n - last[k]) * dt;', 'last[k] = n;');
    for (const x of def.eventDriven)
      out.push(
        `if (EA_${x.name} === 0) u_${x.name} += EB_${x.name} * T; else { const ba = EB_${x.name} / EA_${x.name}; u_${x.name} = -ba + (u_${x.name} + ba) * Math.exp(EA_${x.name} * T); }`,
      );
  }
  for (const s of statements) out.push(statement(s, code, v));
  out.push(...weightWrite(def));
  for (const x of Object.keys(def.variables)) out.push(`S_${x}[k] = u_${x};`);
  return out;
}

function statement(s: Statement, code: (n: string) => string, v: SynapseVariant): string {
  const rhs = jsExprWith(s.expr, code);
  // on_pre runs when the spike arrives and on_post at the postsynaptic spike: a channel write is felt from the next step.
  if (Object.hasOwn(CHANNEL_TARGETS, s.target)) return `CH_${s.target}[j] += ${s.op === '-=' ? '-' : ''}(${rhs});`;
  const target =
    s.target.endsWith('_post') && !Object.hasOwn(v.def.variables, s.target) ? `POST_${s.target.slice(0, -5)}[j]` : `u_${s.target}`;
  return s.op === '=' ? `${target} = ${rhs};` : `${target} ${s.op} ${rhs};`;
}

/**
 * The body of a function returning { onPre(ctx, spikes, from, count, n, d), onPost(ctx, spikes, from,
 * count, n), clock(ctx, n), summed(ctx, n), onStep(ctx, n) } for one projection. `ctx` holds the
 * projection's arrays (see the CPU backend). on_pre runs as Brian2 runs it, when a spike arrives: at
 * step n for the spikes spikes[from .. from + count) sent at step n - d, on their synapses whose delay
 * is d (with one delay for the projection, every synapse of their rows).
 */
export function synapseSource(v: SynapseVariant): string {
  const { def } = v;
  const pre = prologue(v);
  const indent = (lines: string[], k: number) => lines.map((l) => ' '.repeat(k) + l);
  const out: string[] = ['return {'];
  out.push('onPre(ctx, spikes, from, count, n, d) {', ...indent(pre, 2), '  const byDelay = ctx.byDelay;');
  out.push(
    '  for (let s = from; s < from + count; s++) {',
    '    const i = spikes[s];',
    '    let q = rowPtr[i];',
    '    const end = rowPtr[i + 1];',
    '    if (delays !== null) {',
    // The first synapse of the row (in order of delay) whose delay is at least d.
    '      let hi = end;',
    '      while (q < hi) { const mid = (q + hi) >>> 1; if (delays[byDelay[mid]] < d) q = mid + 1; else hi = mid; }',
    '    }',
    '    for (; q < end; q++) {',
    '      const k = delays === null ? q : byDelay[q];',
    '      if (delays !== null && delays[k] !== d) break;',
    '      const j = targets[k];',
  );
  out.push(...indent(body(v, def.onPre, true), 6), '    }', '  }', '},');
  out.push('onPost(ctx, spikes, from, count, n) {', ...indent(pre, 2), '  const { postPtr, postSyn } = ctx;');
  out.push(
    '  for (let s = from; s < from + count; s++) {',
    '    const j = spikes[s];',
    '    for (let q = postPtr[j], end = postPtr[j + 1]; q < end; q++) {',
    '      const k = postSyn[q];',
    '      const i = preIdx[k];',
  );
  out.push(...indent(body(v, def.onPost, true), 6), '    }', '  }', '},');
  out.push('clock(ctx, n) {');
  if (def.clock) {
    const code = symbolCode(v);
    const c = def.clock;
    const inner: string[] = [];
    for (const x of c.noise) inner.push(`const u_${x} = rng.normal();`);
    for (const l of c.lets) inner.push(`const t${l.name} = ${jsExprWith(l.expr, code)};`);
    for (const u of c.updates) inner.push(`const N_${u.name} = ${jsExprWith(u.expr, code)};`);
    for (const u of c.updates) inner.push(`u_${u.name} = N_${u.name};`);
    out.push(...indent(pre, 2));
    // exact: the propagators of the linear system, computed by the runtime from this projection's parameters.
    if (c.linear)
      c.linear.phi.forEach((row, i) =>
        row.forEach((name, j) =>
          out.push(`  const t${name} = ctx.linear.phi[${i}][${j}], t${c.linear!.psi[i][j]} = ctx.linear.psi[${i}][${j}];`),
        ),
      );
    out.push('  for (let k = 0, end = targets.length; k < end; k++) {', '    const i = preIdx[k], j = targets[k];');
    // Event-driven variables the equations read are brought up to this step first.
    out.push(...indent(body(v, [], true).slice(0, -1 - Object.keys(def.variables).length), 4));
    out.push(
      ...indent(inner, 4),
      ...weightWrite(def).map((l) => '    ' + l),
      ...Object.keys(def.variables).map((x) => `    S_${x}[k] = u_${x};`),
      '  }',
    );
  }
  out.push('},', 'summed(ctx, n) {');
  if (def.summed.length) {
    const code = symbolCode(v);
    out.push(...indent(pre, 2), '  const out = ctx.summedTargets;');
    for (const sm of def.summed) if (sm.target !== 'I_ext') out.push(`  out[${JSON.stringify(sm.target)}].fill(0);`);
    out.push('  for (let k = 0, end = targets.length; k < end; k++) {', '    const i = preIdx[k], j = targets[k];');
    // Loads, event-driven variables brought up to this step, the sums, then the stores.
    const lines = body(v, [], true);
    const stores = weightWrite(def).length + Object.keys(def.variables).length;
    out.push(...indent(lines.slice(0, lines.length - stores), 4));
    for (const sm of def.summed) out.push(`    out[${JSON.stringify(sm.target)}][j] += ${jsExprWith(sm.expr, code)};`);
    out.push(...indent(lines.slice(lines.length - stores), 4), '  }');
  }
  out.push('},', 'onStep(ctx, n) {');
  if (def.onStep.length) {
    out.push(...indent(pre, 2), '  for (let k = 0, end = targets.length; k < end; k++) {', '    const i = preIdx[k], j = targets[k];');
    out.push(...indent(body(v, def.onStep, true), 4), '  }');
  }
  out.push('},', '};');
  return out.join('\n');
}

/** The initial value of each per-synapse variable, as an expression of the projection's parameters. */
export function initialValues(def: SynapseDefinition): Record<string, Expr> {
  return Object.fromEntries(Object.entries(def.variables).map(([k, x]) => [k, x.initial]));
}
