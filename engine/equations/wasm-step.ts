// The functions of a generated neuron module (codegen-wasm.ts): `step` (codegen-js phase 'all') and,
// for populations stepped in Brian2's order around synapse models, `update`, `threshold` and `reset`
// (codegen-js phases of the same names), each the generated JavaScript's loop operation for operation.
import type { ModelDefinition } from './model-definition.js';
import type { Phase } from './codegen-js.js';
import { INPUT_CURRENT_SYNAPSES, INPUT_EXTERNAL_CURRENT, constantOf } from './codegen-js.js';
import { ExprEmitter, commonCalls, emitAssignment, type Callees, type ExprScope } from './wasm-expr.js';
import { F64, FunctionBody, I32, Op, Simd, V128 } from './wasm-emit.js';

/** An array argument: a state variable, a parameter that varies per neuron, or one of the engine's. */
export interface ArrayArg {
  kind: 'state' | 'param' | 'engine';
  name: string;
}

/**
 * An f64 argument: a population-wide parameter, an engine constant, an exact-integration propagator
 * entry, or a value hoisted out of the loop (optimize.ts).
 */
export interface ScalarArg {
  kind: 'param' | 'engine' | 'linear' | 'uniform';
  name: string;
}

export interface StepLayout {
  /** After n: the byte offsets, in this order (f64 arrays, then refrac (i32), spikes (u32), frozen (u8)). */
  arrays: ArrayArg[];
  /** Then these f64 values. */
  scalars: ScalarArg[];
  /**
   * Then an i32: the refractory steps a spike sets (refractory period constant over the population).
   * Last, always, an i32: PopulationState.inputs (INPUT_CURRENT_SYNAPSES, INPUT_EXTERNAL_CURRENT).
   * Arrays known to hold zeros are not read: their decay is skipped, iext reads as 0.
   */
  refracSteps: boolean;
  /** The constants change every step (the equations, or the uniforms computed for them, read t). */
  readsTime: boolean;
  /** The model draws random numbers (from the Rng given at instantiation). */
  draws: boolean;
  /** Two neurons per f64x2. */
  simd: boolean;
  /** Math functions imported from JavaScript (module "math"). */
  imports: string[];
}

/** `frozen` (u8, which neurons are refractory this step) is read by the phases only; `step` ignores it. */
export const ENGINE_ARRAYS = ['ie', 'ii', 'ge', 'gi', 'iext', 'refrac', 'spikes', 'frozen'] as const;
export const ENGINE_SCALARS = ['gain', 'excitability', 'threshold_shift', 't', 'dt', 'de', 'di'] as const;
/** Engine-provided symbols and where the step reads them (codegen-js's `inputs`). */
export const INPUTS = {
  I_ext: { array: 'iext', scale: 'excitability' },
  I_exc: { array: 'ie', scale: 'gain' },
  I_inh: { array: 'ii', scale: 'gain' },
  g_exc: { array: 'ge', scale: 'gain' },
  g_inh: { array: 'gi', scale: 'gain' },
} as const;
export type Input = keyof typeof INPUTS;

/** What the step function's code needs to know about the model, computed once. */
export interface Model {
  def: ModelDefinition;
  perNeuron: ReadonlySet<string>;
  states: string[];
  /** Parameters read per neuron (used and varying). */
  perNeuronParams: string[];
  /** Population-wide parameters passed as scalars (used by the generated JavaScript too). */
  params: string[];
  inputs: Input[];
  refrConst: boolean;
  draws: boolean;
  layout: StepLayout;
}

/** Per-neuron values of one form (scalar f64 or vector v128): locals by symbol. */
interface Form {
  vector: boolean;
  locals: Map<string, number>;
  /** The new value of each state variable (N_x in codegen-js). */
  next: Map<string, number>;
  shared: Map<string, { local: number; done: boolean }>;
}

/** The code of one function of the module: `step` (phase 'all') or one phase. */
export class StepCodegen {
  private readonly arg = new Map<string, number>();
  private readonly i: number;
  private readonly o: number;
  private readonly end: number;
  private readonly count: number;
  private readonly ra: number;
  private readonly r: number;
  private readonly active: number;
  private readonly scalar: Form;
  private readonly vector: Form | null;
  /** v128: refractory mask (i32 lanes) and activity mask (i64 lanes) of a pair. */
  private readonly vr: number;
  private readonly vrm: number;
  private readonly vactive: number;

  constructor(
    private readonly m: Model,
    private readonly callees: Callees,
    private readonly f: FunctionBody,
    private readonly phase: Phase = 'all',
  ) {
    let k = 1;
    for (const a of m.layout.arrays) this.arg.set(`${a.kind}:${a.name}`, k++);
    for (const s of m.layout.scalars) this.arg.set(`${s.kind}:${s.name}`, k++);
    if (m.refrConst) this.arg.set('refracSteps', k++);
    this.arg.set('inputs', k);
    this.i = f.local(I32);
    this.o = f.local(I32);
    this.end = f.local(I32);
    this.count = f.local(I32);
    this.ra = f.local(I32);
    this.r = f.local(I32);
    this.active = f.local(I32);
    this.scalar = this.form(false);
    this.vector = m.layout.simd && (phase === 'all' || phase === 'update') ? this.form(true) : null;
    this.vr = f.local(V128);
    this.vrm = f.local(V128);
    this.vactive = f.local(V128);
  }

  private form(vector: boolean): Form {
    const t = vector ? V128 : F64;
    const locals = new Map<string, number>();
    const p = this.m.def.plan;
    const names = [...this.m.states, ...this.m.perNeuronParams, ...this.m.inputs, ...p.lets.map((l) => l.name)];
    if (!vector) names.push(...p.noise);
    for (const n of names) locals.set(n, this.f.local(t));
    // The channels as loaded, for their decay at the end of the neuron (nothing writes them in between).
    for (const k of this.m.inputs) if (k !== 'I_ext') locals.set(`raw:${INPUTS[k].array}`, this.f.local(t));
    // Vector code reads the scalars as both lanes of a local set before the loop.
    if (vector) for (const s of this.m.layout.scalars) locals.set(`${s.kind}:${s.name}`, this.f.local(V128));
    const next = new Map(p.updates.map((u) => [u.name, this.f.local(t)]));
    const keys = commonCalls([...p.lets.map((l) => l.expr), ...p.updates.map((u) => u.expr)]);
    const shared = new Map([...keys].map((k) => [k, { local: this.f.local(t), done: false }]));
    return { vector, locals, next, shared };
  }

  private a(key: string): number {
    const i = this.arg.get(key);
    if (i === undefined) throw new Error(`internal: no argument ${key}`);
    return i;
  }

  private emitter(form: Form, shared: boolean): ExprEmitter {
    const scope: ExprScope = {
      f: this.f,
      vector: form.vector,
      callees: this.callees,
      constant: (name) => constantOf(name, this.m.def),
      local: (name) => {
        const where = form.vector ? form.locals : this.arg;
        const l = form.locals.get(name);
        return (
          l ?? where.get(`param:${name}`) ?? where.get(`engine:${name}`) ?? where.get(`linear:${name}`) ?? where.get(`uniform:${name}`)
        );
      },
      shared: shared ? form.shared : undefined,
    };
    return new ExprEmitter(scope);
  }

  emit(): FunctionBody {
    const f = this.f;
    if (this.phase === 'reset') return this.emitReset();
    if (this.vector)
      for (const s of this.m.layout.scalars) {
        const key = `${s.kind}:${s.name}`;
        f.get(this.a(key)).simd(Simd.f64x2_splat).set(this.vector.locals.get(key)!);
      }
    f.loop();
    f.block();
    if (this.vector) {
      // The pairs in a loop of their own, tested at the bottom. TurboFan hoists a loop-invariant value
      // (the splatted constants) only when its first use is in a block that dominates every exit of
      // the loop; testing at the top put the uses after an exit, and they were recomputed and spilled
      // on every iteration.
      f.get(0).get(this.i).op(Op.i32_sub).i32(2).op(Op.i32_lt_s).if().get(0).set(this.end).br(1).end();
      // depth: 0 this loop, 1 the block (run [i, end) one neuron at a time), 2 the outer loop
      f.loop();
      // Two pairs per iteration where four neurons remain: the CPU overlaps their independent chains.
      f.get(0).get(this.i).op(Op.i32_sub).i32(4).op(Op.i32_ge_s).if();
      this.pair(this.vector, 1, false);
      f.end();
      this.pair(this.vector, 0, true);
      f.end();
      f.get(0).set(this.end);
    } else f.get(0).set(this.end);
    f.end();
    f.block().loop();
    f.get(this.i).get(this.end).op(Op.i32_ge_s).brIf(1);
    if (this.phase === 'threshold') this.thresholdOnly(this.scalar);
    else this.neuron(this.scalar);
    f.get(this.i).i32(1).op(Op.i32_add).set(this.i).br(0);
    f.end().end();
    f.get(this.i).get(0).op(Op.i32_lt_s).brIf(0);
    f.end();
    f.get(this.count);
    return f;
  }

  /** codegen-js phase 'reset': the reset of each neuron in spikes[0, count), count the last argument. */
  private emitReset(): FunctionBody {
    const f = this.f;
    const given = this.f.params.length - 1;
    f.block().loop();
    f.get(this.count).get(given).op(Op.i32_ge_s).brIf(1);
    f.get(this.a('engine:spikes')).get(this.count).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).set(this.i);
    this.load(this.scalar);
    this.reset(this.scalar);
    this.storeStates(this.scalar);
    f.get(this.count).i32(1).op(Op.i32_add).set(this.count).br(0);
    f.end().end();
    f.get(given);
    return f;
  }

  /** codegen-js phase 'threshold': if (frozen[i] === 0 && threshold) record the spike and start the refractory period. */
  private thresholdOnly(form: Form): void {
    const f = this.f;
    this.load(form);
    f.get(this.a('engine:refrac')).get(this.i).i32(2).op(Op.i32_shl).op(Op.i32_add).set(this.ra);
    if (!this.m.def.threshold) return;
    f.get(this.a('engine:frozen')).get(this.i).op(Op.i32_add).mem(Op.i32_load8_u).op(Op.i32_eqz).if();
    this.emitter(form, false).bool(this.m.def.threshold);
    f.if();
    this.spike(form, false);
    f.end().end();
  }

  /** Loads the neuron's (or pair's) state, per-neuron parameters and inputs into the form's locals. */
  private load(form: Form): void {
    const f = this.f;
    const ld = (ptr: number): FunctionBody => {
      f.get(ptr).get(this.o).op(Op.i32_add);
      return form.vector ? f.vmem(Simd.v128_load) : f.mem(Op.f64_load);
    };
    f.get(this.i).i32(3).op(Op.i32_shl).set(this.o);
    for (const x of this.m.states) ld(this.a(`state:${x}`)).set(form.locals.get(x)!);
    for (const k of this.m.perNeuronParams) ld(this.a(`param:${k}`)).set(form.locals.get(k)!);
    for (const k of this.m.inputs) {
      const { array, scale } = INPUTS[k];
      const s = form.vector ? form.locals.get(`engine:${scale}`)! : this.a(`engine:${scale}`);
      // codegen-js: iext[i] + excitability, gain * ie[i]. Without external current iext holds zeros:
      // 0 + excitability then, without the load.
      if (k === 'I_ext') {
        f.get(this.a('inputs'))
          .i32(INPUT_EXTERNAL_CURRENT)
          .op(Op.i32_and)
          .if(form.vector ? V128 : F64);
        ld(this.a(`engine:${array}`));
        f.else();
        if (form.vector) f.vconst(0);
        else f.const64(0);
        f.end().get(s);
      } else {
        f.get(s);
        ld(this.a(`engine:${array}`)).tee(form.locals.get(`raw:${array}`)!);
      }
      if (form.vector) f.simd(k === 'I_ext' ? Simd.f64x2_add : Simd.f64x2_mul);
      else f.op(k === 'I_ext' ? Op.f64_add : Op.f64_mul);
      f.set(form.locals.get(k)!);
    }
  }

  /** Temporaries and new values, from the state at the start of the step. */
  private update(form: Form): void {
    const f = this.f;
    const e = this.emitter(form, true);
    const p = this.m.def.plan;
    for (const l of p.lets) {
      e.num(l.expr);
      f.set(form.locals.get(l.name)!);
    }
    for (const u of p.updates) {
      e.num(u.expr);
      f.set(form.next.get(u.name)!);
    }
  }

  /** Stores the form's state variables. */
  private storeStates(form: Form): void {
    const f = this.f;
    for (const x of this.m.states) {
      f.get(this.a(`state:${x}`))
        .get(this.o)
        .op(Op.i32_add)
        .get(form.locals.get(x)!);
      if (form.vector) f.vmem(Simd.v128_store);
      else f.mem(Op.f64_store);
    }
  }

  /** codegen-js: ie[i] *= de; ii[i] *= di; ge[i] *= de; gi[i] *= di (ie and ii only where they can be non-zero). */
  private decay(form: Form): void {
    const f = this.f;
    const channels = [
      ['ie', 'de'],
      ['ii', 'di'],
      ['ge', 'de'],
      ['gi', 'di'],
    ] as const;
    for (const [ch, c] of channels) {
      if (ch === 'ie') f.get(this.a('inputs')).i32(INPUT_CURRENT_SYNAPSES).op(Op.i32_and).if();
      if (ch === 'ge') f.end();
      const raw = form.locals.get(`raw:${ch}`);
      f.get(this.a(`engine:${ch}`))
        .get(this.o)
        .op(Op.i32_add);
      if (raw !== undefined) f.get(raw);
      else if (form.vector) f.tee(this.ra).get(this.ra).vmem(Simd.v128_load);
      else f.tee(this.ra).get(this.ra).mem(Op.f64_load);
      if (form.vector)
        f.get(form.locals.get(`engine:${c}`)!)
          .simd(Simd.f64x2_mul)
          .vmem(Simd.v128_store);
      else
        f.get(this.a(`engine:${c}`))
          .op(Op.f64_mul)
          .mem(Op.f64_store);
    }
  }

  /** One neuron, i: codegen-js's loop body for phase 'all' or 'update'. */
  private neuron(form: Form): void {
    const f = this.f;
    const def = this.m.def;
    const refr = def.refractory;
    this.load(form);
    // ra = &refrac[i]
    f.get(this.a('engine:refrac')).get(this.i).i32(2).op(Op.i32_shl).op(Op.i32_add).set(this.ra);
    if (refr?.kind === 'time') {
      f.get(this.ra).mem(Op.i32_load).tee(this.r).i32(0).op(Op.i32_gt_s).if();
      f.get(this.ra).get(this.r).i32(1).op(Op.i32_sub).mem(Op.i32_store).end();
      f.get(this.r).i32(0).op(Op.i32_le_s).set(this.active);
    } else if (refr?.kind === 'condition') {
      f.get(this.ra).mem(Op.i32_load).i32(0).op(Op.i32_gt_s).if();
      this.emitter(form, false).bool(refr.expr);
      f.op(Op.i32_eqz).if().get(this.ra).i32(0).mem(Op.i32_store).end();
      f.end();
      f.get(this.ra).mem(Op.i32_load).op(Op.i32_eqz).set(this.active);
    } else f.i32(1).set(this.active);
    for (const x of def.plan.noise) f.call(this.callees.normal!).set(form.locals.get(x)!);
    this.update(form);
    for (const u of def.plan.updates) {
      f.get(form.next.get(u.name)!);
      if (u.unlessRefractory) f.get(form.locals.get(u.name)!).get(this.active).op(Op.select);
      f.set(form.locals.get(u.name)!);
    }
    // frozen[i] = active ? 0 : 1
    if (this.phase === 'update')
      f.get(this.a('engine:frozen')).get(this.i).op(Op.i32_add).get(this.active).op(Op.i32_eqz).mem(Op.i32_store8);
    if (def.threshold && this.phase === 'all') {
      f.get(this.active).if();
      this.emitter(form, false).bool(def.threshold);
      f.if();
      this.spike(form, true);
      f.end().end();
    }
    this.storeStates(form);
    this.decay(form);
  }

  /** The reset statements, on the form's state locals. */
  private reset(form: Form): void {
    const f = this.f;
    const e = this.emitter(form, false);
    for (const s of this.m.def.reset) {
      const target = form.locals.get(s.target);
      if (target === undefined) throw new Error(`the reset can only change state variables; "${s.target}" is not one`);
      emitAssignment(f, e, target, s);
    }
  }

  /** Records the spike, runs the reset (phase 'all') and starts the refractory period (codegen-js, inside `if (active && threshold)`). */
  private spike(form: Form, withReset: boolean): void {
    const f = this.f;
    const def = this.m.def;
    const e = this.emitter(form, false);
    f.get(this.a('engine:spikes')).get(this.count).i32(2).op(Op.i32_shl).op(Op.i32_add).get(this.i).mem(Op.i32_store);
    f.get(this.count).i32(1).op(Op.i32_add).set(this.count);
    if (withReset) this.reset(form);
    const refr = def.refractory;
    if (refr?.kind === 'time' && this.m.refrConst) f.get(this.ra).get(this.a('refracSteps')).mem(Op.i32_store);
    else if (refr?.kind === 'time') {
      // Math.floor(refractory / dt + 1e-3) - 1, stored into an Int32Array (ToInt32: exact below 2^63, 0 for NaN and infinities)
      const v = f.local(F64);
      e.num(refr.expr);
      f.get(this.a('engine:dt')).op(Op.f64_div).const64(1e-3).op(Op.f64_add).op(Op.f64_floor).const64(1).op(Op.f64_sub).set(v);
      f.get(this.ra)
        .get(v)
        .fc(0x06)
        .op(Op.i32_wrap_i64)
        .i32(0)
        .get(v)
        .op(Op.f64_abs)
        .const64(2 ** 63)
        .op(Op.f64_lt)
        .op(Op.select);
      f.mem(Op.i32_store);
    } else if (refr?.kind === 'condition') f.get(this.ra).i32(1).mem(Op.i32_store);
  }

  /**
   * Neurons i and i + 1 in the lanes of f64x2 values. When either spikes, or a refractory condition
   * holds either, nothing is stored and the pair is redone one neuron at a time (branch to the
   * enclosing block with end = i + 2); otherwise the pair's state is stored, i advances by 2 and, with
   * `loop`, the pair loop continues. `depth`: blocks between the code and the pair loop.
   */
  private pair(form: Form, depth: number, loop: boolean): void {
    const f = this.f;
    const def = this.m.def;
    const refr = def.refractory;
    const redo = () =>
      f
        .if()
        .get(this.i)
        .i32(2)
        .op(Op.i32_add)
        .set(this.end)
        .br(2 + depth)
        .end();
    if (refr) {
      f.get(this.a('engine:refrac')).get(this.i).i32(2).op(Op.i32_shl).op(Op.i32_add).tee(this.ra).vmem(Simd.v128_load64_zero);
      f.tee(this.vr).vconst(0).simd(Simd.i32x4_gt_s);
      if (refr.kind === 'condition') {
        f.simd(Simd.v128_any_true);
        redo();
      } else f.tee(this.vrm).simd(Simd.i64x2_extend_low_i32x4_s).simd(Simd.v128_not).set(this.vactive);
    }
    this.load(form);
    this.update(form);
    const masked = refr?.kind === 'time';
    for (const u of def.plan.updates) {
      f.get(form.next.get(u.name)!);
      if (u.unlessRefractory && masked) f.get(form.locals.get(u.name)!).get(this.vactive).simd(Simd.v128_bitselect);
      f.set(form.locals.get(u.name)!);
    }
    if (def.threshold && this.phase === 'all') {
      this.emitter(form, false).bool(def.threshold);
      if (masked) f.get(this.vactive).simd(Simd.v128_and);
      f.simd(Simd.v128_any_true);
      redo();
    }
    if (masked) {
      // refrac -= 1 where it was positive (adding the all-ones mask)
      f.get(this.ra).get(this.vr).get(this.vrm).simd(Simd.i32x4_add).lane(Simd.i64x2_extract_lane, 0).mem(Op.i64_store);
    }
    if (this.phase === 'update') this.frozenPair(masked);
    this.storeStates(form);
    this.decay(form);
    f.get(this.i).i32(2).op(Op.i32_add).set(this.i);
    if (loop) f.get(0).get(this.i).op(Op.i32_sub).i32(2).op(Op.i32_ge_s).brIf(depth);
  }

  /** frozen[i], frozen[i + 1] = 1 where refractory (lanes of the refractory mask), else 0. */
  private frozenPair(masked: boolean): void {
    const f = this.f;
    for (const l of [0, 1]) {
      f.get(this.a('engine:frozen')).get(this.i).op(Op.i32_add);
      if (masked) f.get(this.vrm).lane(Simd.i32x4_extract_lane, l).i32(1).op(Op.i32_and);
      else f.i32(0);
      f.mem(Op.i32_store8, l);
    }
  }
}
