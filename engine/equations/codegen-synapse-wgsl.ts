// WGSL for a synapse model on one projection: the WebGPU backend's kernels on_pre, on_post, clock and
// summed, generated from the same definition as the CPU's JavaScript (codegen-synapse-js.ts, the
// reference semantics: same statements in the same order, event-driven variables brought up to the
// step exactly before a statement reads them, on_pre when a spike arrives, channel writes felt from
// the next step). A delayed projection keeps its source's spikes of the last HISTLEN steps in col
// (pre_hist writes this step's); on_pre walks those sent d steps ago over their synapses of delay d.
//
// One module per projection. Its data lie in the backend's shared buffers: per-synapse variables in
// `pl` (f32, one block of nsyn per variable), the step of each synapse's last event, its presynaptic
// neuron and the index by target in `col` (u32); the record at prm[R_SM of the projection record]
// starts with SYN_HEADER and goes on with the words listed in `words` (parameters, event-driven
// coefficients, propagators, where the neuron variables the code reads lie, modulator indices, summed
// targets), which the backend fills (wordValues computes the ones that depend on the parameters only).
//
// Accumulation mirrors the built-in propagation: channel writes go into this step's slot of the target's ring as
// 64-bit fixed point with two u32 atomics (shaders/propagate-step.wgsl's ringAdd, copied verbatim), so
// their sum is exact and order-free; writes to a target's state variables (s_post += ...) are float32
// compare-and-swap loops (their rounding depends on the order, as any float sum does). A sum over a
// target's synapses (summed variables) is one thread per target neuron walking its column in synapse
// order, as the CPU adds them.
//
// A weight the model changes is float64 on the CPU (tiny learning steps would round away in float32):
// here it is a float32 pair, the weight that transmission reads (wt) plus its rounding residual (a
// block of pl after the variables), and a change written as an increment (w += d, w = w + d, the
// clock-driven dw/dt of euler, rk2, rk4) goes into the residual, whole ulps of w moving into w
// (fx_add2), so steps far below one float32 ulp of w accumulate as on the CPU. Other writes of w
// (w = clip(...), exponential_euler, exact) are plain float32.
//
// What the GPU cannot do as the CPU does is refused with a WgslError naming the model: assigning (=) a
// target's variable from many synapses, reading a target variable the same phase writes (or, in one
// population, its _pre), reading a channel, a summed variable reading what it fills, rand()/randn().
import type { Expr, Statement } from './ast.js';
import { CONSTANTS } from './check-units.js';
import { UNITS, toInternal } from './dimension.js';
import { local } from './codegen-js.js';
import { Emitter, MATH_HELPERS, WgslError } from './codegen-wgsl.js';
import { weightIsFloat64, type Holding } from './codegen-synapse-js.js';
import { evaluate } from './evaluate.js';
import { propagators } from './propagator.js';
import { CHANNEL_TARGETS, type SynapseDefinition } from './synapse-definition.js';
import { bin, linearPart, sym, symbolsOf } from './symbolic.js';

export interface SynapseWgslVariant {
  def: SynapseDefinition;
  /** How the presynaptic population holds a variable: per neuron (a state slot) or one number. */
  pre: (name: string) => Holding | undefined;
  post: (name: string) => Holding | undefined;
  modulators: ReadonlySet<string>;
  /** Source and target are one population (then a post write could race a pre read of the same variable). */
  recurrent: boolean;
}

/** Fixed words at the start of a projection's synapse record (u32 unless noted). */
export const SYN_HEADER = {
  /** pl index of variable 0 of synapse 0 (variable v of local synapse k at VARS + v * NSYN + k). */
  VARS: 0,
  /** col index of each synapse's presynaptic neuron. */
  PRE: 1,
  /** col index of each synapse's last event step. */
  LAST: 2,
  /** col index of the column pointers (NPOST + 1 values, indices into POSTSYN's block). */
  POSTPTR: 3,
  /** col index of the synapses by target (local synapse indices). */
  POSTSYN: 4,
  NSYN: 5,
  /** rowPtr index of the projection's row pointers (values: global synapse indices). */
  ROWS: 6,
  MAXROW: 7,
  MAXCOL: 8,
  /** pl index of the target's external current from sources and inputs (summed into I_ext), NONE without. */
  IEXT: 9,
  /** bit 0: this projection is the first to sum into its target's I_ext (it starts the sum afresh). */
  FLAGS: 10,
  /** random stream key of the projection (clock-driven noise). */
  RNG: 11,
  /**
   * col index of the source's spikes of the last HISTLEN steps (slot n % HISTLEN: step n's count,
   * then its spikes; NPRE + 1 words a slot), NONE when on_pre runs on this step's spikes (no delay).
   */
  HIST: 12,
  HISTLEN: 13,
  /** first of `words`. */
  K: 14,
} as const;

/** A word of the record after the header: what the backend puts there. */
export type SynWord =
  /** f32: the projection's value of a parameter. */
  | { kind: 'param'; name: string }
  /** f32: x' = a x + b of an event-driven variable: a, b, and b / a (computed in float64). */
  | { kind: 'event'; name: string; part: 'a' | 'b' | 'ba' }
  /** f32: an entry of exact's propagators (clock-driven linear systems), for the projection's parameters. */
  | { kind: 'propagator'; which: 'phi' | 'psi'; row: number; col: number }
  /** A neuron variable of the source (pre) or target (post): u32 st index of its slot (array), or its f32 value (scalar). */
  | { kind: 'pre' | 'post'; name: string; holding: Holding }
  /** u32: the modulator's index among the circuit's modulators (its level in fl). */
  | { kind: 'modulator'; name: string }
  /** u32: st index of what a summed variable fills: the target's input slot (I_ext) or its parameter's slot. */
  | { kind: 'summed'; target: string };

export interface WgslSynapse {
  /** The module: bindings, helpers and the entry points (common.wgsl, R_SM and PROJ come from the backend). */
  source: string;
  words: SynWord[];
  /** onPre: the module has on_pre and pre_hist (dispatched before it when the projection keeps a history). */
  entries: { onPre: boolean; onPost: boolean; clock: boolean; summed: boolean; onStep: boolean };
}

/** shaders/propagate-step.wgsl's ringAdd and delayOf, verbatim (a test checks): channel writes land as propagation's do. */
export const RING_ADD = `fn ringAdd(idx: u32, w: f32) {
  let whole = floor(w);
  let hi = bitcast<u32>(i32(whole));
  let lo = u32((w - whole) * 4294967296.0);
  let old = atomicAdd(&ctl[pu(H_RING_AT) + idx + 1u], lo);
  var carry = 0u;
  if (old + lo < old) { carry = 1u; }
  if (hi + carry != 0u) { atomicAdd(&ctl[pu(H_RING_AT) + idx], hi + carry); }
}`;

export const DELAY_OF = `fn delayOf(r: u32, k: u32) -> u32 {
  if (pu(r + R_DMODE) == 0u) { return pu(r + R_DCONST); }
  let j = pu(r + R_DLY) + k - pu(r + R_SYN);
  return (conn[pu(H_DLY_AT) + (j >> 1u)] >> (16u * (j & 1u))) & 0xffffu;
}`;

/** A header word of the record, as WGSL. */
const H = (k: keyof typeof SYN_HEADER): string => `pu(rec + ${SYN_HEADER[k]}u)`;

const CHANNEL_INDEX: Readonly<Record<string, number>> = Object.freeze({ ie: 0, ii: 1, ge: 2, gi: 3 });
/** Random-stream purposes of clock-driven noise (as the neuron kernels' NOISE_PURPOSE, another stream key). */
const NOISE_PURPOSE = 0x40000000;

/** What a symbol of the model's code is, in the CPU's order of precedence (codegen-synapse-js symbolCode). */
type Sym =
  | { kind: 'w' | 'var' | 'param' | 't' | 'dt' | 'temp' | 'constant' }
  | { kind: 'pre' | 'post'; name: string; holding: Holding }
  | { kind: 'channel'; name: string }
  | { kind: 'modulator'; name: string };

class Gen {
  readonly words: SynWord[] = [];
  private readonly wordAt = new Map<string, number>();
  readonly what: string;
  readonly em: Emitter;
  readonly vars: string[];
  /** The weight carries its float32 rounding residual (weightIsFloat64 on the CPU). */
  readonly compensated: boolean;
  constructor(readonly v: SynapseWgslVariant) {
    this.what = `synapse model "${v.def.name}"`;
    this.vars = Object.keys(v.def.variables);
    this.compensated = weightIsFloat64(v.def);
    this.em = new Emitter(this.what, (name) => (this.classify(name).kind === 'constant' ? constantValue(name) : null));
  }

  fail(message: string): never {
    throw new WgslError(`${this.what}: ${message} on the WebGPU backend; use the cpu backend`);
  }

  classify(name: string): Sym {
    const { def } = this.v;
    if (name.startsWith('_')) return { kind: 'temp' };
    if (name === 'w') return { kind: 'w' };
    if (Object.hasOwn(def.variables, name)) return { kind: 'var' };
    if (Object.hasOwn(def.parameters, name)) return { kind: 'param' };
    if (name === 't' || name === 'dt') return { kind: name };
    if (name.endsWith('_pre') || name.endsWith('_post')) {
      const pre = name.endsWith('_pre');
      const base = name.slice(0, pre ? -4 : -5);
      if (!pre && Object.hasOwn(CHANNEL_TARGETS, name)) return { kind: 'channel', name };
      const holding = pre ? this.v.pre(base) : this.v.post(base);
      if (!holding) this.fail(`no ${pre ? 'presynaptic' : 'postsynaptic'} variable "${base}"`);
      return { kind: pre ? 'pre' : 'post', name: base, holding };
    }
    if (this.v.modulators.has(name)) return { kind: 'modulator', name };
    if (constantValue(name) !== null) return { kind: 'constant' };
    return this.fail(`unknown symbol "${name}"`);
  }

  /** Index of a word in the record (added once). */
  word(w: SynWord): number {
    const key = JSON.stringify(w);
    let at = this.wordAt.get(key);
    if (at === undefined) {
      at = SYN_HEADER.K + this.words.length;
      this.words.push(w);
      this.wordAt.set(key, at);
    }
    return at;
  }

  /** `let` lines binding the symbols an expression list reads (w and the variables are bound by the caller). */
  bind(symbols: Iterable<string>, written: ReadonlySet<string>): string[] {
    const out: string[] = [];
    for (const name of symbols) {
      const s = this.classify(name);
      const id = local(name);
      if (s.kind === 'param') out.push(`let ${id} = pf(rec + ${this.word({ kind: 'param', name })}u);`);
      else if (s.kind === 't') out.push(`let ${id} = f32(step) * pf(H_DT);`);
      else if (s.kind === 'dt') out.push(`let ${id} = pf(H_DT);`);
      else if (s.kind === 'channel') this.fail(`${name} can only be added to (reading a channel is not supported)`);
      else if (s.kind === 'modulator') out.push(`let ${id} = fl[pu(H_F_LEVEL) + pu(rec + ${this.word({ kind: 'modulator', name })}u)];`);
      else if (s.kind === 'pre' || s.kind === 'post') {
        if (s.kind === 'post' && written.has(s.name)) this.fail(`a phase that writes ${s.name}_post cannot also read it`);
        if (s.kind === 'pre' && this.v.recurrent && written.has(s.name))
          this.fail(`${s.name}_pre is read where ${s.name}_post is written, in one population`);
        const at = this.word({ kind: s.kind, name: s.name, holding: s.holding });
        const index = s.kind === 'pre' ? 'i' : 'j';
        out.push(`let ${id} = ${s.holding === 'array' ? `fx_ld(pu(rec + ${at}u) + ${index})` : `pf(rec + ${at}u)`};`);
      }
    }
    return out;
  }

  /** The event-driven variables brought up to this step (x' = a x + b solved exactly since the last event). */
  events(): string[] {
    const { def } = this.v;
    if (!def.eventDriven.length) return [];
    const out = [
      `let T = f32(step - conn[pu(H_COL_AT) + ${H('LAST')} + kl]) * pf(H_DT);`,
      `conn[pu(H_COL_AT) + ${H('LAST')} + kl] = step;`,
    ];
    for (const x of def.eventDriven) {
      const [a, b, ba] = (['a', 'b', 'ba'] as const).map((part) => this.word({ kind: 'event', name: x.name, part }));
      const id = local(x.name);
      out.push(
        `if (pf(rec + ${a}u) == 0.0f) { ${id} += pf(rec + ${b}u) * T; } else { ${id} = -pf(rec + ${ba}u) + (${id} + pf(rec + ${ba}u)) * exp(pf(rec + ${a}u) * T); }`,
      );
    }
    return out;
  }

  /** pl index of the weight's residual (the block after the variables). */
  private get lo(): string {
    return `fl[pu(H_PL_AT) + vb + ${this.vars.length}u * nsyn + kl]`;
  }

  load(): string[] {
    return [
      'var u_w = fl[pu(H_WT_AT) + k];',
      ...(this.compensated ? [`var w_lo = ${this.lo};`] : []),
      ...this.vars.map((x, v) => `var ${local(x)} = fl[pu(H_PL_AT) + vb + ${v}u * nsyn + kl];`),
    ];
  }

  store(): string[] {
    return [
      'fl[pu(H_WT_AT) + k] = u_w;',
      ...(this.compensated ? [`${this.lo} = w_lo;`] : []),
      ...this.vars.map((x, v) => `fl[pu(H_PL_AT) + vb + ${v}u * nsyn + kl] = ${local(x)};`),
    ];
  }

  /** A write of w: an increment goes into (u_w, w_lo) by fx_add2; anything else drops the residual. */
  weight(s: Statement): string[] {
    const inc = s.op === '+=' || s.op === '-=' ? s.expr : s.op === '=' ? increment(s.expr) : null;
    if (inc) return this.em.f32(inc, (code) => `fx_add2(&u_w, &w_lo, ${s.op === '-=' ? `-(${code})` : code});`);
    // w = clip(w + d, lo, hi), a bounded learning step (reward_stdp's every step): the compensated sum,
    // then the bounds where it crosses them (min(max(.)) as the CPU's clip, lo > hi included).
    const clip = s.op === '=' && s.expr.kind === 'call' && s.expr.fn === 'clip' && s.expr.args.length === 3 ? s.expr.args : null;
    const clipped = clip && increment(clip[0]);
    if (clip && clipped)
      return [
        '{',
        ...this.em.f32(clipped, (code) => `fx_add2(&u_w, &w_lo, ${code});`),
        ...this.em.f32(clip[1], (code) => `let w_min_ = ${code};`),
        ...this.em.f32(clip[2], (code) => `let w_max_ = ${code};`),
        'let w_sum_ = u_w + w_lo;',
        'if (w_sum_ < w_min_ || w_sum_ > w_max_) { u_w = fx_clip(w_sum_, w_min_, w_max_); w_lo = 0.0f; }',
        '}',
      ];
    if (s.op === '*=' || s.op === '/=') return this.em.f32(s.expr, (code) => `{ let m = ${code}; u_w ${s.op} m; w_lo ${s.op} m; }`);
    return [...this.em.statement(s), 'w_lo = 0.0f;'];
  }

  statement(s: Statement): string[] {
    const { def } = this.v;
    if (Object.hasOwn(CHANNEL_TARGETS, s.target)) {
      const c = CHANNEL_INDEX[CHANNEL_TARGETS[s.target].channel];
      return this.em.f32(s.expr, (code) => `fx_channel(${c}u, j, ${s.op === '-=' ? `-(${code})` : code});`);
    }
    if (s.target.endsWith('_post') && !Object.hasOwn(def.variables, s.target)) {
      const at = this.word({ kind: 'post', name: s.target.slice(0, -5), holding: 'array' });
      const op = { '+=': 'add', '-=': 'sub', '*=': 'mul', '/=': 'div' }[s.op as string];
      if (!op) this.fail(`"${s.text.trim()}" assigns ${s.target} from every synapse onto it (only +=, -=, *= and /= combine)`);
      return this.em.f32(s.expr, (code) => `fx_post_${op}(pu(rec + ${at}u) + j, ${code});`);
    }
    if (s.target === 'w' && this.compensated) return this.weight(s);
    return this.em.statement(s);
  }
}

/** d when e is w + d (d may read w, as the CPU's new value does), else null. */
function increment(e: Expr): Expr | null {
  const { a, b } = linearPart(e, 'w');
  return a.kind === 'num' && a.value === 1 ? b : null;
}

function constantValue(name: string): number | null {
  if (Object.hasOwn(CONSTANTS, name)) return CONSTANTS[name];
  if (Object.hasOwn(UNITS, name)) return toInternal(UNITS[name].si, UNITS[name].dim);
  return null;
}

/** Post variables a list of statements writes (by their target's name, without _post). */
function postWrites(def: SynapseDefinition, list: Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of list)
    if (s.target.endsWith('_post') && !Object.hasOwn(CHANNEL_TARGETS, s.target) && !Object.hasOwn(def.variables, s.target))
      out.add(s.target.slice(0, -5));
  return out;
}

function noRandom(g: Gen, exprs: Expr[]): void {
  const walk = (e: Expr): void => {
    if (e.kind === 'call') {
      if (e.fn === 'rand' || e.fn === 'randn') g.fail(`${e.fn}() in a synapse model is not supported`);
      e.args.forEach(walk);
    } else if (e.kind === 'unary') walk(e.arg);
    else if (e.kind === 'binary') {
      walk(e.left);
      walk(e.right);
    }
  };
  exprs.forEach(walk);
}

const HEADER_LINES = [
  'let r = pu(H_PROJ0) + PRSTRIDE * PROJ;',
  'let rec = pu(r + R_SM);',
  `let nsyn = ${H('NSYN')};`,
  `let vb = ${H('VARS')};`,
  'let step = atomicLoad(&ctl[C_STEP]);',
];

const indent = (lines: string[], k: number) => lines.map((l) => ' '.repeat(k) + l);

/** on_pre (onPreKernel) and on_post: one thread per (spike, position in its row or column), striding over the work. */
function eventKernel(g: Gen, phase: 'on_pre' | 'on_post', list: Statement[], written: Set<string>): string[] {
  const pre = phase === 'on_pre';
  const used = new Set<string>();
  for (const s of list) symbolsOf(s.expr, used);
  const bindings = g.bind(
    [...used].filter((n) => n !== 'w' && !g.vars.includes(n)),
    written,
  );
  const lines = [...g.load(), ...g.events(), ...bindings, ...list.flatMap((s) => g.statement(s)), ...g.store()];
  if (pre) return onPreKernel(lines);
  const find = [
    'let j = work[pu(H_SPIKES_AT) + pu(popBase(pu(r + R_TGT)) + P_OFFSET) + x / width];',
    `let c = ${H('POSTPTR')} + j;`,
    'let q = conn[pu(H_COL_AT) + c] + x % width;',
    'if (q >= conn[pu(H_COL_AT) + c + 1u]) { continue; }',
    `let kl = conn[pu(H_COL_AT) + ${H('POSTSYN')} + q];`,
    'let k = pu(r + R_SYN) + kl;',
    `let i = conn[pu(H_COL_AT) + ${H('PRE')} + kl];`,
  ];
  return [
    '@compute @workgroup_size(256)',
    'fn on_post(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    ...indent(HEADER_LINES, 2),
    `  let width = max(${H('MAXCOL')}, 1u);`,
    // The host refuses a projection whose every neuron spiking would overflow this product.
    '  let total = atomicLoad(&ctl[C_COUNTS + pu(r + R_TGT)]) * width;',
    '  for (var x = gid.x; x < total; x += nwg.x * 256u) {',
    ...indent(find, 4),
    ...indent(lines, 4),
    '  }',
    '}',
  ];
}

/**
 * on_pre, when spikes arrive: without a history (no delay), this step's spikes over their rows; with
 * one, the spikes sent d steps ago (d the projection's delay, or every d up to HISTLEN - 1 with
 * per-synapse delays) over their synapses of delay d, one thread per (spike, position in its row).
 */
function onPreKernel(lines: string[]): string[] {
  return [
    '@compute @workgroup_size(256)',
    'fn on_pre(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    ...indent(HEADER_LINES, 2),
    `  let width = max(${H('MAXROW')}, 1u);`,
    `  let hist = ${H('HIST')};`,
    `  let L = ${H('HISTLEN')};`,
    '  let src = pu(r + R_SRC);',
    '  let stride = pu(popBase(src) + P_SIZE) + 1u;',
    '  var dlo = 0u;',
    '  var dhi = 0u;',
    // The host refuses a projection whose every neuron spiking in every slot would overflow these products.
    '  var total = 0u;',
    '  if (L == 0u) {',
    '    total = atomicLoad(&ctl[C_COUNTS + src]) * width;',
    '  } else {',
    '    if (pu(r + R_DMODE) == 0u) { dlo = pu(r + R_DCONST); dhi = dlo; } else { dhi = L - 1u; }',
    '    for (var d = dlo; d <= dhi; d++) {',
    '      if (d <= step) { total += conn[pu(H_COL_AT) + hist + ((step - d) % L) * stride] * width; }',
    '    }',
    '  }',
    '  for (var x = gid.x; x < total; x += nwg.x * 256u) {',
    '    var i = 0u;',
    '    var rem = x;',
    '    var d = dlo;',
    '    if (L == 0u) {',
    '      i = work[pu(H_SPIKES_AT) + pu(popBase(src) + P_OFFSET) + x / width];',
    '    } else {',
    // Which slot x falls in: the slots of d = dlo, dlo + 1, ... in turn.
    '      loop {',
    '        let at = hist + ((step - d) % L) * stride;',
    '        var c = 0u;',
    '        if (d <= step) { c = conn[pu(H_COL_AT) + at] * width; }',
    '        if (rem < c) { i = conn[pu(H_COL_AT) + at + 1u + rem / width]; break; }',
    '        rem -= c;',
    '        d++;',
    '      }',
    '    }',
    `    let row = ${H('ROWS')} + i;`,
    '    let k = conn[row] + rem % width;',
    '    if (k >= conn[row + 1u]) { continue; }',
    '    if (L != 0u && delayOf(r, k) != d) { continue; }',
    '    let kl = k - pu(r + R_SYN);',
    '    let j = syn[k];',
    ...indent(lines, 4),
    '  }',
    '}',
    '',
    // This step's spikes of the source into its slot of the history (count first).
    '@compute @workgroup_size(256)',
    'fn pre_hist(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    ...indent(HEADER_LINES, 2),
    `  let L = ${H('HISTLEN')};`,
    '  if (L == 0u) { return; }',
    '  let src = pu(r + R_SRC);',
    '  let base = popBase(src);',
    `  let at = ${H('HIST')} + (step % L) * (pu(base + P_SIZE) + 1u);`,
    '  let count = atomicLoad(&ctl[C_COUNTS + src]);',
    '  if (gid.x == 0u) { conn[pu(H_COL_AT) + at] = count; }',
    '  for (var x = gid.x; x < count; x += nwg.x * 256u) { conn[pu(H_COL_AT) + at + 1u + x] = work[pu(H_SPIKES_AT) + pu(base + P_OFFSET) + x]; }',
    '}',
  ];
}

/** Clock-driven variables: one thread per synapse, after the neuron update (event-driven ones brought up first). */
function clockKernel(g: Gen): string[] {
  const c = g.v.def.clock!;
  const defined = new Set<string>([...c.lets.map((l) => l.name), ...c.noise]);
  const used = new Set<string>();
  for (const l of c.lets) symbolsOf(l.expr, used);
  for (const u of c.updates) symbolsOf(u.expr, used);
  const lin = c.linear;
  const propagator = new Set<string>();
  if (lin)
    lin.phi.forEach((row, i) =>
      row.forEach((name, j) => {
        propagator.add(name);
        propagator.add(lin.psi[i][j]);
      }),
    );
  // dt*dw/dt (a compensated euler weight) reads dt even where the update folded it.
  if (g.compensated) used.add('dt');
  const reads = [...used].filter((n) => n !== 'w' && !g.vars.includes(n) && !defined.has(n) && !propagator.has(n));
  const body: string[] = [...g.load(), ...g.events(), ...g.bind(reads, new Set())];
  if (lin)
    lin.phi.forEach((row, i) =>
      row.forEach((name, j) => {
        for (const [which, n] of [
          ['phi', name],
          ['psi', lin.psi[i][j]],
        ] as const)
          if (used.has(n)) body.push(`let ${local(n)} = pf(rec + ${g.word({ kind: 'propagator', which, row: i, col: j })}u);`);
      }),
    );
  c.noise.forEach((x, n) => body.push(`let ${local(x)} = fx_normal(${H('RNG')}, step, kl, ${NOISE_PURPOSE + 2 * n}u);`));
  for (const l of c.lets) body.push(...g.em.f32(l.expr, (code) => `let ${local(l.name)} = ${code};`));
  // The weight's increment: update - w, read off the update (rk2, rk4, or euler with dw/dt free of w), or dt*dw/dt (euler).
  const rhs = g.v.def.clockEquations.find((eq) => eq.name === 'w')?.rhs;
  const weightInc = (e: Expr): Expr | null =>
    g.compensated ? (increment(e) ?? (c.method === 'euler' && !c.noise.length && rhs ? bin('*', sym('dt'), rhs) : null)) : null;
  const incs = c.updates.map((u) => (u.name === 'w' ? weightInc(u.expr) : null));
  c.updates.forEach((u, n) => body.push(...g.em.f32(incs[n] ?? u.expr, (code) => `let nx_${n} = ${code};`)));
  c.updates.forEach((u, n) => {
    if (incs[n]) body.push(`fx_add2(&u_w, &w_lo, nx_${n});`);
    else body.push(`${local(u.name)} = nx_${n};`, ...(u.name === 'w' && g.compensated ? ['w_lo = 0.0f;'] : []));
  });
  return perSynapse('clock', [...body, ...g.store()]);
}

/** A kernel with one thread per synapse of the projection (kl: its index in the projection; i, j: its neurons). */
function perSynapse(entry: string, body: string[]): string[] {
  return [
    '@compute @workgroup_size(64)',
    `fn ${entry}(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {`,
    ...indent(HEADER_LINES, 2),
    '  let kl = linearId(gid, nwg, 64u);',
    '  if (kl >= nsyn) { return; }',
    '  let k = pu(r + R_SYN) + kl;',
    `  let i = conn[pu(H_COL_AT) + ${H('PRE')} + kl];`,
    '  let j = syn[k];',
    ...indent(body, 2),
    '}',
  ];
}

/** on_step: one thread per synapse, after on_pre and on_post; it writes only the synapse's own variables. */
function stepKernel(g: Gen, list: Statement[]): string[] {
  const used = new Set<string>();
  for (const s of list) symbolsOf(s.expr, used);
  const reads = [...used].filter((n) => n !== 'w' && !g.vars.includes(n));
  return perSynapse('on_step', [
    ...g.load(),
    ...g.events(),
    ...g.bind(reads, new Set()),
    ...list.flatMap((s) => g.statement(s)),
    ...g.store(),
  ]);
}

/**
 * Summed variables: one thread per target neuron adds its synapses in synapse order, then fills the
 * target: I_ext starts from the sources' and inputs' current (the first projection summing into it;
 * later ones add), a parameter is the sum (each projection's own, as on the CPU).
 */
function summedKernel(g: Gen): string[] {
  const { def } = g.v;
  const used = new Set<string>();
  for (const sm of def.summed) symbolsOf(sm.expr, used);
  const targets = new Set(def.summed.map((sm) => sm.target).filter((t) => t !== 'I_ext'));
  for (const name of used)
    if (name.endsWith('_post') && targets.has(name.slice(0, -5))) g.fail(`the summed variable ${name} cannot be read while it is summed`);
  // The CPU brings event-driven variables up to the step before summing them; this kernel does not yet.
  for (const x of def.eventDriven) if (used.has(x.name)) g.fail(`a summed variable reads the event-driven ${x.name}`);
  const reads = [...used].filter((n) => n !== 'w' && !g.vars.includes(n));
  const loads = [
    ...(used.has('w') ? ['let u_w = fl[pu(H_WT_AT) + k];'] : []),
    ...g.vars.flatMap((x, v) => (used.has(x) ? [`let ${local(x)} = fl[pu(H_PL_AT) + vb + ${v}u * nsyn + kl];`] : [])),
  ];
  const body = [...loads, ...g.bind(reads, new Set())];
  def.summed.forEach((sm, n) => body.push(...g.em.f32(sm.expr, (code) => `acc_${n} += ${code};`)));
  const fill: string[] = [];
  const seen = new Set<string>();
  def.summed.forEach((sm, n) => {
    const at = `pu(rec + ${g.word({ kind: 'summed', target: sm.target })}u) + j`;
    const first = !seen.has(sm.target);
    seen.add(sm.target);
    if (sm.target === 'I_ext' && first)
      fill.push(
        `if ((${H('FLAGS')} & 1u) != 0u) { fx_set(${at}, fl[pu(H_PL_AT) + ${H('IEXT')} + j] + acc_${n}); } else { fx_set(${at}, fx_ld(${at}) + acc_${n}); }`,
      );
    else fill.push(first ? `fx_set(${at}, acc_${n});` : `fx_set(${at}, fx_ld(${at}) + acc_${n});`);
  });
  return [
    '@compute @workgroup_size(64)',
    'fn summed(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    ...indent(HEADER_LINES, 2),
    '  let j = linearId(gid, nwg, 64u);',
    '  if (j >= pu(popBase(pu(r + R_TGT)) + P_SIZE)) { return; }',
    ...def.summed.map((_, n) => `  var acc_${n} = 0.0f;`),
    `  let c = ${H('POSTPTR')} + j;`,
    '  for (var q = conn[pu(H_COL_AT) + c]; q < conn[pu(H_COL_AT) + c + 1u]; q += 1u) {',
    `    let kl = conn[pu(H_COL_AT) + ${H('POSTSYN')} + q];`,
    '    let k = pu(r + R_SYN) + kl;',
    `    let i = conn[pu(H_COL_AT) + ${H('PRE')} + kl];`,
    ...indent(body, 4),
    '  }',
    ...indent(fill, 2),
    '}',
  ];
}

/** Bindings and helpers of the module; `st` is atomic when statements add into a target's variables. */
function prelude(atomicState: boolean): string[] {
  const out = [
    '@group(0) @binding(0) var<storage, read> prm: array<f32>;',
    '@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;',
    `@group(0) @binding(2) var<storage, read_write> st: array<${atomicState ? 'atomic<u32>' : 'f32'}>;`,
    '@group(0) @binding(3) var<storage, read_write> fl: array<f32>;',
    '@group(0) @binding(5) var<storage, read_write> conn: array<u32>;',
    '@group(0) @binding(6) var<storage, read_write> syn: array<u32>;',
    '@group(0) @binding(7) var<storage, read_write> work: array<u32>;',
    '',
    'override PROJ: u32;',
    MATH_HELPERS,
    RING_ADD,
    '',
    DELAY_OF,
    '',
    // TwoSum's float identities are what a shader compiler may fold away (Mesa's does): the residual
    // takes d, and the nearest whole number of float32 ulps of hi moves into hi (the ulp from hi's
    // exponent bits), so hi is the float32 nearest the sum, as the CPU's weights are, and both writes are
    // exact (hi + n*ulp may round by one ulp only where it crosses into the next binade).
    '// (hi, lo) += d: d into the residual lo, whole ulps of hi from lo into hi; the sum hi + lo is kept exactly.',
    'fn fx_add2(hi: ptr<function, f32>, lo: ptr<function, f32>, d: f32) {',
    '  let l = *lo + d;',
    '  let h = *hi;',
    '  let u = bitcast<f32>((max((bitcast<u32>(h) >> 23u) & 0xffu, 24u) - 23u) << 23u);',
    '  let n = round(l / u);',
    '  *hi = h + n * u;',
    '  *lo = l - n * u;',
    '}',
    '',
    // on_pre runs when the spike arrives, on_post at the post spike: felt from the next step, as on the CPU.
    "// A write into a channel of the target: into this step's ring slot, drained at the step's end.",
    'fn fx_channel(c: u32, j: u32, val: f32) {',
    '  let r = pu(H_PROJ0) + PRSTRIDE * PROJ;',
    '  let tgt = popBase(pu(r + R_TGT));',
    '  let slot = atomicLoad(&ctl[C_STEP]) % pu(tgt + P_RINGLEN);',
    '  ringAdd(pu(tgt + P_RING + c) + 2u * (slot * pu(tgt + P_SIZE) + j), val);',
    '}',
  ];
  if (!atomicState) return [...out, 'fn fx_ld(x: u32) -> f32 { return st[x]; }', 'fn fx_set(x: u32, v: f32) { st[x] = v; }'];
  out.push(
    'fn fx_ld(x: u32) -> f32 { return bitcast<f32>(atomicLoad(&st[x])); }',
    'fn fx_set(x: u32, v: f32) { atomicStore(&st[x], bitcast<u32>(v)); }',
  );
  // Many synapses onto one neuron change its variable in one pass: compare-and-swap until ours lands.
  for (const [op, expr] of [
    ['add', 'a + v'],
    ['sub', 'a - v'],
    ['mul', 'a * v'],
    ['div', 'a / v'],
  ])
    out.push(
      `fn fx_post_${op}(x: u32, v: f32) {`,
      '  var old = atomicLoad(&st[x]);',
      '  loop {',
      '    let a = bitcast<f32>(old);',
      `    let r = atomicCompareExchangeWeak(&st[x], old, bitcast<u32>(${expr}));`,
      '    if (r.exchanged) { break; }',
      '    old = r.old_value;',
      '  }',
      '}',
    );
  return out;
}

const cache = new WeakMap<SynapseDefinition, Map<string, WgslSynapse>>();

/** The module of a synapse model for one variant of its projection (how both populations hold what it reads). */
export function wgslSynapse(v: SynapseWgslVariant, variantKey: string): WgslSynapse {
  const key = `${variantKey}\u0000${v.recurrent}`;
  let byVariant = cache.get(v.def);
  if (!byVariant) cache.set(v.def, (byVariant = new Map()));
  const hit = byVariant.get(key);
  if (hit) return hit;
  const g = new Gen(v);
  const { def } = v;
  const clock = def.clock;
  noRandom(g, [
    ...def.onPre.map((s) => s.expr),
    ...def.onPost.map((s) => s.expr),
    ...def.onStep.map((s) => s.expr),
    ...def.summed.map((s) => s.expr),
    ...(clock?.lets.map((l) => l.expr) ?? []),
    ...(clock?.updates.map((u) => u.expr) ?? []),
  ]);
  const writesPre = postWrites(def, def.onPre);
  const writesPost = postWrites(def, def.onPost);
  const kernels: string[] = [];
  const entries = {
    onPre: def.onPre.length > 0,
    onPost: def.onPost.length > 0,
    clock: clock !== null,
    summed: def.summed.length > 0,
    onStep: def.onStep.length > 0,
  };
  if (entries.onPre) kernels.push(...eventKernel(g, 'on_pre', def.onPre, writesPre), '');
  if (entries.onPost) kernels.push(...eventKernel(g, 'on_post', def.onPost, writesPost), '');
  if (entries.clock) kernels.push(...clockKernel(g), '');
  if (entries.summed) kernels.push(...summedKernel(g), '');
  if (entries.onStep) kernels.push(...stepKernel(g, def.onStep), '');
  const atomicState = writesPre.size + writesPost.size > 0;
  const source = [
    // The name is the document's text: only name characters go into the comment (a line break would end it).
    `// Synapse model "${def.name.replace(/[^\w.-]/g, '?')}", generated by engine/equations/codegen-synapse-wgsl.ts.`,
    ...prelude(atomicState),
    '',
    ...kernels,
  ].join('\n');
  const out = { source, words: g.words, entries };
  byVariant.set(key, out);
  return out;
}

/**
 * The values of the words that depend only on the projection's parameters and dt (computed in
 * float64, stored as f32 bits); the others are the backend's (`other` gives their u32 word: an index, or f32 bits).
 */
export function wordValues(
  def: SynapseDefinition,
  words: readonly SynWord[],
  params: Readonly<Record<string, number>>,
  dt: number,
  other: (w: SynWord) => number,
): Uint32Array {
  const out = new Uint32Array(words.length);
  const f = new Float32Array(out.buffer);
  const look = (name: string): number => {
    if (Object.hasOwn(params, name)) return params[name];
    if (Object.hasOwn(def.parameters, name)) return def.parameters[name].default;
    const c = constantValue(name);
    if (c === null) throw new WgslError(`synapse model "${def.name}": ${name} has no value here`);
    return c;
  };
  let prop: { phi: number[][]; psi: number[][] } | null = null;
  words.forEach((w, n) => {
    if (w.kind === 'param') f[n] = look(w.name);
    else if (w.kind === 'event') {
      const x = def.eventDriven.find((e) => e.name === w.name)!;
      const a = evaluate(x.a, look);
      const b = evaluate(x.b, look);
      f[n] = w.part === 'a' ? a : w.part === 'b' ? b : a === 0 ? 0 : b / a;
    } else if (w.kind === 'propagator') {
      prop ??= propagators(
        def.clock!.linear!.matrix.map((row) => row.map((a) => evaluate(a, look))),
        dt,
      );
      f[n] = prop[w.which][w.row][w.col];
    } else out[n] = other(w) >>> 0;
  });
  return out;
}

/** Blocks of nsyn floats a projection keeps in pl: its variables, then the weight's residual when the model changes w. */
export const plBlocks = (def: SynapseDefinition): number => Object.keys(def.variables).length + (weightIsFloat64(def) ? 1 : 0);

/** Each per-synapse variable's initial value for the projection's parameters (as the CPU evaluates it). */
export function initialValues(def: SynapseDefinition, params: Readonly<Record<string, number>>): Record<string, number> {
  const look = (name: string): number => {
    if (Object.hasOwn(params, name)) return params[name];
    if (Object.hasOwn(UNITS, name)) return toInternal(UNITS[name].si, UNITS[name].dim);
    throw new WgslError(`synapse model "${def.name}": ${name} has no value for an initial synaptic value`);
  };
  return Object.fromEntries(Object.entries(def.variables).map(([k, x]) => [k, evaluate(x.initial, look)]));
}
