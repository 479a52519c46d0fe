// WebAssembly for a synapse model on one projection: the CPU backend's fast path for codegen-synapse-js.ts,
// with its semantics operation for operation (the same loops over the same arrays, the same order of
// statements and of evaluation), so weights, variables and channels come out bit-identical. The module
// imports the arena's memory; each function takes (a, b, n, d), the modulator levels the model reads,
// then the projection's arguments (SynapseWasm.args builds them from the backend's SynapseContext):
//   onPre(spikes, count, n, d)   on_pre at step n for each spike sent at n - d, on its synapses of delay d
//   onPost(spikes, count, n, 0)  on_post for every synapse onto each postsynaptic spike
//   clock(0, 0, n, 0)            the clock-driven variables of every synapse
//   summed(0, 0, n, 0)           the summed variables into the target's arrays
//   onStep(0, 0, n, 0)           on_step for every synapse
// Statements keep the variables of the synapse, and the neurons' values they read, in locals: loaded
// when the synapse's turn comes, written back after its statements (what the JavaScript reads from the
// arrays at each use is the same value, since only these statements write them in between).
import type { Expr, Statement } from './ast.js';
import { CONSTANTS } from './check-units.js';
import { UNITS, toInternal } from './dimension.js';
import { CHANNEL_TARGETS, type SynapseDefinition } from './synapse-definition.js';
import { usedSymbols, weightIsFloat64, type SynapseContext, type SynapseVariant } from './codegen-synapse-js.js';
import { draws } from './symbolic.js';
import { isNoise } from './integrate.js';
import { ExprEmitter, IMPORTED_MATH, emitAssignment, type Callees } from './wasm-expr.js';
import { mathExpBody } from './wasm-math.js';
import { F64, FunctionBody, I32, Op, encodeModule, type Import, type ModuleFunction, type ValType } from './wasm-emit.js';

export interface SynapseWasmVariant extends SynapseVariant {
  /** Bytes per element of the projection's targets (Uint16Array or Uint32Array) and of its delays (0: one delay for all). */
  targetBytes: 2 | 4;
  delayBytes: 0 | 1 | 2;
  /** The source population is the target population. */
  samePopulation: boolean;
}

/** An argument after (a, b, n, d) and the modulator levels: its type and what it holds. */
export interface SynapseArg {
  type: 'i32' | 'f64';
  /**
   * 'array:<name>' (a byte offset), 'param:<name>', 'pre:<name>' / 'post:<name>' (a neuron array or
   * value), 'chan:<channel>' (its array), 'summed:<target>', 'linear:<symbol>', or an engine value.
   */
  key: string;
}

type Kernel = (...args: number[]) => number;
export type SynapseExports = Record<'onPre' | 'onPost' | 'clock' | 'summed' | 'onStep', Kernel>;

/** Why the model runs its generated JavaScript instead of WebAssembly; null when it can have a module. */
export function synapseWasmRefusal(v: SynapseWasmVariant): string | null {
  const { def } = v;
  const exprs = allExpressions(def);
  if ((def.clock?.noise.length ?? 0) > 0 || exprs.some(draws)) return 'it draws random numbers (the Rng is JavaScript)';
  // A value written through j could be read back through i in the same synapse. (The checker lets
  // statements write only the target's state variables, always arrays.)
  const writesNeuron = [...def.onPre, ...def.onPost, ...def.onStep].some((s) => neuronTarget(def, s.target));
  if (writesNeuron && v.samePopulation) return 'it writes a variable of a population that is also its source';
  if (exprs.some((e) => callsExprel(e))) return 'it calls exprel';
  return null;
}

function callsExprel(e: Expr): boolean {
  if (e.kind === 'unary') return callsExprel(e.arg);
  if (e.kind === 'binary') return callsExprel(e.left) || callsExprel(e.right);
  if (e.kind === 'call') return e.fn === 'exprel' || e.args.some(callsExprel);
  return false;
}

function allExpressions(def: SynapseDefinition): Expr[] {
  return [
    ...[...def.onPre, ...def.onPost, ...def.onStep].map((s) => s.expr),
    ...def.eventDriven.flatMap((x) => [x.a, x.b]),
    ...(def.clock?.lets ?? []).map((l) => l.expr),
    ...(def.clock?.updates ?? []).map((u) => u.expr),
    ...def.summed.map((s) => s.expr),
  ];
}

/** A statement's target that is a neuron variable of the target population (not a channel, not the synapse's own). */
const neuronTarget = (def: SynapseDefinition, target: string): boolean =>
  target.endsWith('_post') && !Object.hasOwn(CHANNEL_TARGETS, target) && !Object.hasOwn(def.variables, target);

const CHANNELS = ['ie', 'ii', 'ge', 'gi'] as const;

/** The module of a synapse model for one projection's variant; compile once, instantiate over the arena's memory. */
export class SynapseWasm {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly args: SynapseArg[];
  /** The modulators the model reads, in the order of their arguments. */
  readonly modulators: string[];
  private compiled: WebAssembly.Module | undefined;

  constructor(readonly variant: SynapseWasmVariant) {
    const refusal = synapseWasmRefusal(variant);
    if (refusal) throw new Error(`internal: no WebAssembly for synapse model ${variant.def.name}: ${refusal}`);
    const g = new Generator(variant);
    this.args = g.args;
    this.modulators = g.modulators;
    this.bytes = g.module();
  }

  get module(): WebAssembly.Module {
    return (this.compiled ??= new WebAssembly.Module(this.bytes));
  }

  instantiate(memory: WebAssembly.Memory, expTable: number): SynapseExports {
    const instance = new WebAssembly.Instance(this.module, {
      env: { memory, expTable },
      math: { ...IMPORTED_MATH, pow: Math.pow },
    });
    const e = instance.exports as Record<string, Kernel>;
    return { onPre: e.onPre, onPost: e.onPost, clock: e.clock, summed: e.summed, onStep: e.onStep };
  }

  /** The arguments after (a, b, n, d) and the modulator levels; null when an array is not in `buffer` (the module's memory). */
  argsOf(ctx: SynapseContext, buffer: ArrayBufferLike): number[] | null {
    const out: number[] = [];
    const at = (a: ArrayBufferView | undefined | null): number | null => (a ? (a.buffer === buffer ? a.byteOffset : null) : 0);
    for (const { key } of this.args) {
      const [kind, name] = splitKey(key);
      let x: number | null;
      if (kind === 'array') x = at(arrayOf(ctx, name));
      else if (kind === 'param') x = ctx.p[name];
      else if (kind === 'pre' || kind === 'post') {
        const v = (kind === 'pre' ? ctx.pre : ctx.post)[name];
        x = typeof v === 'number' ? v : at(v);
      } else if (kind === 'linear') x = linearValue(ctx, this.variant.def, name);
      else if (kind === 'chan') x = at(ctx.chan[name as (typeof CHANNELS)[number]]);
      else if (kind === 'summed') x = at(ctx.summedTargets[name]);
      else if (key === 'dt') x = ctx.dt;
      else if (key === 'delaySteps') x = ctx.delaySteps;
      else if (key === 'nSyn') x = ctx.targets.length;
      else if (key === 'summedSize') x = Object.values(ctx.summedTargets)[0]?.length ?? null;
      else throw new Error(`internal: synapse argument ${key}`);
      if (x === null || x === undefined) return null;
      out.push(x);
    }
    return out;
  }
}

const splitKey = (key: string): [string, string] => {
  const c = key.indexOf(':');
  return c < 0 ? [key, ''] : [key.slice(0, c), key.slice(c + 1)];
};

function arrayOf(ctx: SynapseContext, name: string): ArrayBufferView | null {
  switch (name) {
    case 'rowPtr':
    case 'targets':
    case 'weights':
    case 'preIdx':
    case 'postPtr':
    case 'postSyn':
    case 'byDelay':
    case 'last':
      return ctx[name];
    case 'delays':
      return ctx.delays;
    default:
      return name.startsWith('S.') ? (ctx.S[name.slice(2)] ?? null) : null;
  }
}

function linearValue(ctx: SynapseContext, def: SynapseDefinition, symbol: string): number | null {
  const lin = def.clock?.linear;
  if (!lin || !ctx.linear) return null;
  for (let i = 0; i < lin.phi.length; i++)
    for (let j = 0; j < lin.phi[i].length; j++) {
      if (lin.phi[i][j] === symbol) return ctx.linear.phi[i][j];
      if (lin.psi[i][j] === symbol) return ctx.linear.psi[i][j];
    }
  return null;
}

/** Locals of one function: the synapse's values and the neurons' values it reads. */
interface Locals {
  w: number;
  vars: Map<string, number>;
  /** Neuron values read per synapse (array-held), by symbol (v_post, x_pre). */
  neuron: Map<string, number>;
  temps: Map<string, number>;
  next: Map<string, number>;
  ea: Map<string, number>;
  eb: Map<string, number>;
  /** EB / EA per event-driven variable (the same every synapse: computed once per call). */
  ba: Map<string, number>;
  /** The last step difference whose exps were computed, and those exps (consecutive synapses often share it). */
  memoDn: number;
  memoE: Map<string, number>;
  dn: number;
  t: number;
  i: number;
  j: number;
  k: number;
  s: number;
  q: number;
  end: number;
  /** The binary search for the synapses of delay d in a row. */
  hi: number;
  mid: number;
  /** A byte address and a value (summed variables). */
  addr: number;
  val: number;
  /** T of the event-driven update. */
  x: number;
}

class Generator {
  readonly args: SynapseArg[] = [];
  readonly modulators: string[];
  private readonly argIndex = new Map<string, number>();
  private readonly def: SynapseDefinition;
  private readonly used: Set<string>;
  private readonly callees: Callees;
  private readonly imports: Import[];
  private readonly helpers: ModuleFunction[] = [];
  /** Math.exp, bit for bit (wasm-math.ts mathExpBody): event-driven variables decay with it in codegen-synapse-js. */
  private readonly mathExp: number;
  private readonly params: ValType[];

  constructor(private readonly v: SynapseWasmVariant) {
    const def = (this.def = v.def);
    const used = (this.used = usedSymbols(def));
    this.modulators = [...used].filter((s) => v.modulators.has(s)).sort();
    const arg = (type: 'i32' | 'f64', key: string) => {
      this.argIndex.set(key, 4 + this.modulators.length + this.args.length);
      this.args.push({ type, key });
    };
    for (const a of ['rowPtr', 'targets', 'weights', 'delays', 'byDelay', 'preIdx', 'postPtr', 'postSyn', 'last']) arg('i32', `array:${a}`);
    arg('i32', 'delaySteps');
    arg('i32', 'nSyn');
    arg('f64', 'dt');
    for (const x of Object.keys(def.variables)) arg('i32', `array:S.${x}`);
    if (weightIsFloat64(def)) arg('i32', 'array:S.w');
    for (const k of Object.keys(def.parameters)) if (used.has(k)) arg('f64', `param:${k}`);
    for (const s of [...used].sort()) {
      if (Object.hasOwn(CHANNEL_TARGETS, s)) continue;
      if (s.endsWith('_pre') && v.pre(s.slice(0, -4))) arg(v.pre(s.slice(0, -4)) === 'array' ? 'i32' : 'f64', `pre:${s.slice(0, -4)}`);
      else if (s.endsWith('_post') && !Object.hasOwn(def.variables, s) && v.post(s.slice(0, -5)))
        arg(v.post(s.slice(0, -5)) === 'array' ? 'i32' : 'f64', `post:${s.slice(0, -5)}`);
    }
    for (const ch of CHANNELS)
      if ([...used].some((s) => Object.hasOwn(CHANNEL_TARGETS, s) && CHANNEL_TARGETS[s].channel === ch)) arg('i32', `chan:${ch}`);
    for (const sm of def.summed) if (!this.argIndex.has(`summed:${sm.target}`)) arg('i32', `summed:${sm.target}`);
    if (def.summed.length) arg('i32', 'summedSize');
    const lin = def.clock?.linear;
    if (lin) lin.phi.forEach((row, i) => row.forEach((name, j) => (arg('f64', `linear:${name}`), arg('f64', `linear:${lin.psi[i][j]}`))));
    this.params = [
      I32,
      I32,
      I32,
      I32,
      ...this.modulators.map((): ValType => F64),
      ...this.args.map((a): ValType => (a.type === 'i32' ? I32 : F64)),
    ];

    // Imports: memory, the exp table, Math functions the expressions call, Math.exp for event-driven decay.
    this.imports = [
      { module: 'env', name: 'memory', kind: 'memory', min: 1, max: 65536, shared: true },
      { module: 'env', name: 'expTable', kind: 'global', type: I32 },
    ];
    const calls = new Set<string>();
    const walk = (e: Expr): void => {
      if (e.kind === 'unary') walk(e.arg);
      else if (e.kind === 'binary') {
        if (e.op === '**') calls.add('pow');
        walk(e.left);
        walk(e.right);
      } else if (e.kind === 'call') {
        calls.add(e.fn);
        e.args.forEach(walk);
      }
    };
    allExpressions(def).forEach(walk);
    this.callees = { math: {} };
    let next = 0;
    const importFn = (name: string, params: ValType[]): number => {
      this.imports.push({ module: 'math', name, kind: 'func', type: { params, results: [F64] } });
      return next++;
    };
    for (const fn of [...calls].sort()) if (Object.hasOwn(IMPORTED_MATH, fn)) this.callees.math[fn] = importFn(fn, [F64]);
    if (calls.has('pow')) this.callees.pow = importFn('pow', [F64, F64]);
    next += 5; // onPre, onPost, clock, summed, onStep
    this.helpers.push({ type: { params: [F64], results: [F64] }, body: mathExpBody() });
    this.mathExp = next++;
    // exp() in an expression is expDet, inlined (the table's byte offset is the global env.expTable), as codegen-js's H.expDet.
    if (calls.has('exp')) this.callees.expTable = 0;
    if (calls.has('exprel')) throw new Error(`internal: exprel in synapse model ${def.name}`);
  }

  module(): Uint8Array<ArrayBuffer> {
    const fns: ModuleFunction[] = (['onPre', 'onPost', 'clock', 'summed', 'onStep'] as const).map((name) => ({
      type: { params: this.params, results: [] },
      body: this.fn(name),
      export: name,
    }));
    return encodeModule(this.imports, [...fns, ...this.helpers]);
  }

  private a(key: string): number {
    const i = this.argIndex.get(key);
    if (i === undefined) throw new Error(`internal: no synapse argument ${key}`);
    return i;
  }

  private locals(f: FunctionBody): Locals {
    const def = this.def;
    const l: Locals = {
      w: f.local(F64),
      vars: new Map(Object.keys(def.variables).map((x) => [x, f.local(F64)])),
      neuron: new Map(),
      temps: new Map((def.clock?.lets ?? []).map((x) => [x.name, f.local(F64)])),
      next: new Map((def.clock?.updates ?? []).map((u) => [u.name, f.local(F64)])),
      ea: new Map(def.eventDriven.map((x) => [x.name, f.local(F64)])),
      eb: new Map(def.eventDriven.map((x) => [x.name, f.local(F64)])),
      ba: new Map(def.eventDriven.map((x) => [x.name, f.local(F64)])),
      memoDn: f.local(I32),
      memoE: new Map(def.eventDriven.map((x) => [x.name, f.local(F64)])),
      dn: f.local(I32),
      t: f.local(F64),
      i: f.local(I32),
      j: f.local(I32),
      k: f.local(I32),
      s: f.local(I32),
      q: f.local(I32),
      end: f.local(I32),
      hi: f.local(I32),
      mid: f.local(I32),
      addr: f.local(I32),
      val: f.local(F64),
      x: f.local(F64),
    };
    for (const s of this.used)
      if (this.argIndex.has(`pre:${s.slice(0, -4)}`) && s.endsWith('_pre') && this.v.pre(s.slice(0, -4)) === 'array')
        l.neuron.set(s, f.local(F64));
      else if (s.endsWith('_post') && this.argIndex.has(`post:${s.slice(0, -5)}`) && this.v.post(s.slice(0, -5)) === 'array')
        l.neuron.set(s, f.local(F64));
    return l;
  }

  private emitter(f: FunctionBody, l: Locals): ExprEmitter {
    const def = this.def;
    const mods = new Map(this.modulators.map((m, k) => [m, 4 + k]));
    return new ExprEmitter({
      f,
      vector: false,
      callees: this.callees,
      constant: (name) => {
        if (name === 'w' || Object.hasOwn(def.variables, name) || Object.hasOwn(def.parameters, name)) return null;
        if (name.startsWith('_') || isNoise(name) || name === 't' || name === 'dt') return null;
        if (name.endsWith('_pre') || name.endsWith('_post') || this.v.modulators.has(name)) return null;
        if (Object.hasOwn(CONSTANTS, name)) return CONSTANTS[name];
        if (Object.hasOwn(UNITS, name)) return toInternal(UNITS[name].si, UNITS[name].dim);
        return null;
      },
      local: (name) => {
        if (name === 'w') return l.w;
        if (Object.hasOwn(def.variables, name)) return l.vars.get(name);
        if (Object.hasOwn(def.parameters, name)) return this.argIndex.get(`param:${name}`);
        if (name === 't') return l.t;
        if (name === 'dt') return this.a('dt');
        if (name.startsWith('_')) return l.temps.get(name) ?? this.argIndex.get(`linear:${name}`);
        if (l.neuron.has(name)) return l.neuron.get(name);
        if (name.endsWith('_pre')) return this.argIndex.get(`pre:${name.slice(0, -4)}`);
        if (name.endsWith('_post')) return this.argIndex.get(`post:${name.slice(0, -5)}`);
        return mods.get(name);
      },
    });
  }

  private fn(name: 'onPre' | 'onPost' | 'clock' | 'summed' | 'onStep'): FunctionBody {
    const f = new FunctionBody(this.params);
    const def = this.def;
    const l = this.locals(f);
    const needed =
      name === 'onPre' ||
      (name === 'onPost' && def.onPost.length > 0) ||
      (name === 'clock' && def.clock !== null) ||
      (name === 'summed' && def.summed.length > 0) ||
      (name === 'onStep' && def.onStep.length > 0);
    if (!needed) return f;
    const e = this.emitter(f, l);
    // const t = n * dt; the event-driven coefficients from the parameters (codegen-synapse-js prologue)
    f.get(2).op(Op.f64_convert_i32_s).get(this.a('dt')).op(Op.f64_mul).set(l.t);
    for (const x of def.eventDriven) {
      e.num(x.a);
      f.set(l.ea.get(x.name)!);
      e.num(x.b);
      f.set(l.eb.get(x.name)!);
      // const ba = EB / EA, as the JavaScript computes it for each synapse (the same value every time)
      f.get(l.eb.get(x.name)!).get(l.ea.get(x.name)!).op(Op.f64_div).set(l.ba.get(x.name)!);
    }
    f.i32(-1).set(l.memoDn);
    if (name === 'onPre') {
      // for each spike s: i = spikes[s]; for k in row i whose delay is d (argument 3): j = targets[k]
      const perSynapse = this.v.delayBytes !== 0;
      this.forCount(f, l.s, () => {
        f.get(0).get(l.s).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).set(l.i);
        this.loadU32(f, this.a('array:rowPtr'), l.i, 0).set(l.q);
        this.loadU32(f, this.a('array:rowPtr'), l.i, 4).set(l.end);
        if (perSynapse) {
          // hi = end; while (q < hi) { mid = (q + hi) >>> 1; if (delays[byDelay[mid]] < d) q = mid + 1; else hi = mid; }
          f.get(l.end).set(l.hi);
          f.block().loop();
          f.get(l.q).get(l.hi).op(Op.i32_ge_u).brIf(1);
          f.get(l.q).get(l.hi).op(Op.i32_add).i32(1).op(Op.i32_shr_u).set(l.mid);
          this.loadU32(f, this.a('array:byDelay'), l.mid, 0).set(l.k);
          this.delayOf(f, l.k).get(3).op(Op.i32_lt_u).if();
          f.get(l.mid).i32(1).op(Op.i32_add).set(l.q);
          f.else();
          f.get(l.mid).set(l.hi);
          f.end();
          f.br(0);
          f.end().end();
        }
        this.range(f, l.q, l.end, () => {
          if (perSynapse) {
            // k = byDelay[q]; the row's synapses of delay d end where another delay starts
            this.loadU32(f, this.a('array:byDelay'), l.q, 0).set(l.k);
            this.delayOf(f, l.k).get(3).op(Op.i32_ne).brIf(1);
          } else f.get(l.q).set(l.k);
          this.targetOf(f, l.k).set(l.j);
          this.body(f, e, l, def.onPre, true, true);
        });
      });
    } else if (name === 'onPost') {
      this.forCount(f, l.s, () => {
        f.get(0).get(l.s).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).set(l.j);
        this.loadU32(f, this.a('array:postPtr'), l.j, 0).set(l.q);
        this.loadU32(f, this.a('array:postPtr'), l.j, 4).set(l.end);
        this.range(f, l.q, l.end, () => {
          this.loadU32(f, this.a('array:postSyn'), l.q, 0).set(l.k);
          this.loadU32(f, this.a('array:preIdx'), l.k, 0).set(l.i);
          this.body(f, e, l, def.onPost, true, true);
        });
      });
    } else if (name === 'onStep') {
      this.everySynapse(f, l, () => this.body(f, e, l, def.onStep, true, true));
    } else if (name === 'clock') {
      const c = def.clock!;
      this.everySynapse(f, l, () => {
        this.body(f, e, l, [], true, false);
        for (const t of c.lets) {
          e.num(t.expr);
          f.set(l.temps.get(t.name)!);
        }
        for (const u of c.updates) {
          e.num(u.expr);
          f.set(l.next.get(u.name)!);
        }
        for (const u of c.updates) f.get(l.next.get(u.name)!).set(this.valueLocal(l, u.name));
        this.stores(f, l);
      });
    } else {
      // out[target].fill(0) for the targets other than I_ext (the external current starts afresh each step anyway)
      const size = this.a('summedSize');
      const filled = new Set<string>();
      for (const sm of def.summed)
        if (sm.target !== 'I_ext' && !filled.has(sm.target)) {
          filled.add(sm.target);
          f.get(this.a(`summed:${sm.target}`))
            .i32(0)
            .get(size)
            .i32(3)
            .op(Op.i32_shl)
            .fc(0x0b)
            .byte(0);
        }
      this.everySynapse(f, l, () => {
        this.body(f, e, l, [], true, false);
        for (const sm of def.summed) {
          // out[target][j] += expr
          f.get(this.a(`summed:${sm.target}`))
            .get(l.j)
            .i32(3)
            .op(Op.i32_shl)
            .op(Op.i32_add)
            .tee(l.addr);
          f.get(l.addr).mem(Op.f64_load);
          e.num(sm.expr);
          f.op(Op.f64_add).tee(l.val).mem(Op.f64_store);
          // A later sum may read this target: the JavaScript reads the array there, after this write.
          // As T_post always; as T_pre when the projection is within one population and i is j.
          const post = l.neuron.get(`${sm.target}_post`);
          if (post !== undefined) f.get(l.val).set(post);
          const pre = this.v.samePopulation ? l.neuron.get(`${sm.target}_pre`) : undefined;
          if (pre !== undefined) f.get(l.i).get(l.j).op(Op.i32_eq).if().get(l.val).set(pre).end();
        }
        this.stores(f, l);
      });
    }
    return f;
  }

  /** for (s = 0; s < count (argument 1); s++) body */
  private forCount(f: FunctionBody, s: number, body: () => void): void {
    f.i32(0).set(s);
    f.block().loop();
    f.get(s).get(1).op(Op.i32_ge_s).brIf(1);
    body();
    f.get(s).i32(1).op(Op.i32_add).set(s).br(0);
    f.end().end();
  }

  /** for (; k < end; k++) body (unsigned: synapse indices) */
  private range(f: FunctionBody, k: number, end: number, body: () => void): void {
    f.block().loop();
    f.get(k).get(end).op(Op.i32_ge_u).brIf(1);
    body();
    f.get(k).i32(1).op(Op.i32_add).set(k).br(0);
    f.end().end();
  }

  /** for (k = 0; k < nSyn; k++) { i = preIdx[k]; j = targets[k]; body } */
  private everySynapse(f: FunctionBody, l: Locals, body: () => void): void {
    f.i32(0).set(l.k);
    this.range(f, l.k, this.a('nSyn'), () => {
      this.loadU32(f, this.a('array:preIdx'), l.k, 0).set(l.i);
      this.targetOf(f, l.k).set(l.j);
      body();
    });
  }

  /** array[index] of a u32 array at byte offset `offset` past the element. */
  private loadU32(f: FunctionBody, array: number, index: number, offset: number): FunctionBody {
    return f.get(array).get(index).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load, offset);
  }

  private targetOf(f: FunctionBody, k: number): FunctionBody {
    const t = this.a('array:targets');
    if (this.v.targetBytes === 2) return f.get(t).get(k).i32(1).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load16_u);
    return this.loadU32(f, t, k, 0);
  }

  /** The local a value of the synapse lives in while it runs (w or one of its variables). */
  private valueLocal(l: Locals, name: string): number {
    if (name === 'w') return l.w;
    const x = l.vars.get(name);
    if (x === undefined) throw new Error(`internal: ${name} is not a variable of the synapse`);
    return x;
  }

  /** The delay in steps of synapse k (per-synapse delays). */
  private delayOf(f: FunctionBody, k: number): FunctionBody {
    if (this.v.delayBytes === 1) return f.get(this.a('array:delays')).get(k).op(Op.i32_add).mem(Op.i32_load8_u);
    return f.get(this.a('array:delays')).get(k).i32(1).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load16_u);
  }

  /** Loads (w, variables, neuron values), the event-driven update, the statements and, with `store`, the stores. */
  private body(f: FunctionBody, e: ExprEmitter, l: Locals, statements: Statement[], withEvents: boolean, store: boolean): void {
    const def = this.def;
    const addr = (array: number, index: number) => f.get(array).get(index).i32(3).op(Op.i32_shl).op(Op.i32_add);
    if (weightIsFloat64(def)) addr(this.a('array:S.w'), l.k).mem(Op.f64_load).set(l.w);
    else f.get(this.a('array:weights')).get(l.k).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.f32_load).op(Op.f64_promote_f32).set(l.w);
    for (const [x, local] of l.vars)
      addr(this.a(`array:S.${x}`), l.k)
        .mem(Op.f64_load)
        .set(local);
    for (const [sym, local] of l.neuron) {
      const pre = sym.endsWith('_pre');
      const key = pre ? `pre:${sym.slice(0, -4)}` : `post:${sym.slice(0, -5)}`;
      addr(this.a(key), pre ? l.i : l.j)
        .mem(Op.f64_load)
        .set(local);
    }
    if (withEvents && def.eventDriven.length) {
      // const T = (n - last[k]) * dt; last[k] = n;
      const last = () => f.get(this.a('array:last')).get(l.k).i32(2).op(Op.i32_shl).op(Op.i32_add);
      f.get(2);
      last().mem(Op.i32_load);
      f.op(Op.i32_sub).tee(l.dn).op(Op.f64_convert_i32_s).get(this.a('dt')).op(Op.f64_mul).set(l.x);
      last().get(2).mem(Op.i32_store);
      // The exps depend on T alone: when it is the previous synapse's, so are they (the same inputs give the same bits).
      f.get(l.dn).get(l.memoDn).op(Op.i32_ne).if();
      for (const x of def.eventDriven) {
        const ea = l.ea.get(x.name)!;
        f.get(ea).get(l.x).op(Op.f64_mul).call(this.mathExp).set(l.memoE.get(x.name)!);
      }
      f.get(l.dn).set(l.memoDn).end();
      for (const x of def.eventDriven) {
        const u = this.valueLocal(l, x.name);
        const ea = l.ea.get(x.name)!;
        const eb = l.eb.get(x.name)!;
        const ba = l.ba.get(x.name)!;
        // if (EA === 0) u += EB * T; else { const ba = EB / EA; u = -ba + (u + ba) * Math.exp(EA * T); }
        f.get(ea).const64(0).op(Op.f64_eq).if();
        f.get(u).get(eb).get(l.x).op(Op.f64_mul).op(Op.f64_add).set(u);
        f.else();
        f.get(ba).op(Op.f64_neg).get(u).get(ba).op(Op.f64_add).get(l.memoE.get(x.name)!);
        f.op(Op.f64_mul).op(Op.f64_add).set(u);
        f.end();
      }
    }
    for (const s of statements) this.statement(f, e, l, s);
    if (store) this.stores(f, l);
  }

  private statement(f: FunctionBody, e: ExprEmitter, l: Locals, s: Statement): void {
    if (Object.hasOwn(CHANNEL_TARGETS, s.target)) {
      // chan[j] += (-)rhs: felt from the next step (on_pre runs when the spike arrives, on_post at the post spike)
      f.get(this.a(`chan:${CHANNEL_TARGETS[s.target].channel}`))
        .get(l.j)
        .i32(3)
        .op(Op.i32_shl)
        .op(Op.i32_add)
        .tee(l.addr);
      f.get(l.addr).mem(Op.f64_load);
      e.num(s.expr);
      f.op(s.op === '-=' ? Op.f64_sub : Op.f64_add).mem(Op.f64_store);
      return;
    }
    const target = neuronTarget(this.def, s.target) ? l.neuron.get(s.target) : this.valueLocal(l, s.target);
    if (target === undefined) throw new Error(`internal: no local for ${s.target}`);
    emitAssignment(f, e, target, s);
  }

  /** The weight (float64 master and float32 copy), the synapse's variables and the neuron variables written. */
  private stores(f: FunctionBody, l: Locals): void {
    const def = this.def;
    const addr = (array: number, index: number, shift: number) => f.get(array).get(index).i32(shift).op(Op.i32_shl).op(Op.i32_add);
    if (weightIsFloat64(def)) addr(this.a('array:S.w'), l.k, 3).get(l.w).mem(Op.f64_store);
    addr(this.a('array:weights'), l.k, 2).get(l.w).op(Op.f32_demote_f64).mem(Op.f32_store);
    for (const [x, local] of l.vars)
      addr(this.a(`array:S.${x}`), l.k, 3)
        .get(local)
        .mem(Op.f64_store);
    const written = new Set([...def.onPre, ...def.onPost, ...def.onStep].filter((s) => neuronTarget(def, s.target)).map((s) => s.target));
    for (const sym of written) {
      const local = l.neuron.get(sym);
      if (local !== undefined)
        addr(this.a(`post:${sym.slice(0, -5)}`), l.j, 3)
          .get(local)
          .mem(Op.f64_store);
    }
  }
}
