// Expressions of a model as WebAssembly instructions, with codegen-js.ts's semantics operation for
// operation (same order of evaluation, same rounding), so the generated kernels are bit-identical to
// the generated JavaScript where both call the same functions. Two forms: scalar (f64, booleans as
// i32 0/1) and vector (two neurons per f64x2, booleans as lane masks); each lane of the vector form
// performs exactly the scalar form's operations.
import type { Expr, Statement } from './ast.js';
import { F64, FunctionBody, I32, Op, Simd, V128 } from './wasm-emit.js';
import { expDetInline, expDetVInline } from './wasm-math.js';
import { draws } from './symbolic.js';

/** Functions JavaScript's Math provides and the module imports (WebAssembly has no instruction for them). */
export const IMPORTED_MATH: Readonly<Record<string, (x: number) => number>> = Object.freeze({
  log: Math.log,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
});

/** Functions with a WebAssembly instruction, scalar and f64x2. */
const NATIVE: Readonly<Record<string, [number, number]>> = Object.freeze({
  sqrt: [Op.f64_sqrt, Simd.f64x2_sqrt],
  abs: [Op.f64_abs, Simd.f64x2_abs],
  floor: [Op.f64_floor, Simd.f64x2_floor],
  ceil: [Op.f64_ceil, Simd.f64x2_ceil],
  int: [Op.f64_trunc, Simd.f64x2_trunc],
});

const ARITH: Readonly<Record<string, [number, number]>> = Object.freeze({
  '+': [Op.f64_add, Simd.f64x2_add],
  '-': [Op.f64_sub, Simd.f64x2_sub],
  '*': [Op.f64_mul, Simd.f64x2_mul],
  '/': [Op.f64_div, Simd.f64x2_div],
});

const COMPARE: Readonly<Record<string, [number, number]>> = Object.freeze({
  '<': [Op.f64_lt, Simd.f64x2_lt],
  '<=': [Op.f64_le, Simd.f64x2_le],
  '>': [Op.f64_gt, Simd.f64x2_gt],
  '>=': [Op.f64_ge, Simd.f64x2_ge],
  '==': [Op.f64_eq, Simd.f64x2_eq],
  '!=': [Op.f64_ne, Simd.f64x2_ne],
});

/** Function indices in the module; a key is present when the model uses the function. */
export interface Callees {
  /** expDet (f64 -> f64), or Math.exp imported when the module was asked to match Math.exp. */
  exp?: number;
  /**
   * The global holding the exp table's byte offset when exp is expDet, which is then inlined (`exp`
   * is expDet as a function too, for vector lanes out of the fast range).
   */
  expTable?: number;
  exprel?: number;
  /** exprel on an f64x2 (vector code; without it the lanes call exprel one by one). */
  exprelV?: number;
  pow?: number;
  normal?: number;
  uniform?: number;
  /** Imported Math functions by model function name (log, sin, arcsin, ...). */
  math: Record<string, number>;
}

export interface ExprScope {
  f: FunctionBody;
  vector: boolean;
  callees: Callees;
  /** The local holding a symbol's value (f64, or v128 in vector form); undefined for unknown names. */
  local(name: string): number | undefined;
  /** A unit's or constant's value (null when the name is neither). */
  constant(name: string): number | null;
  /** Calls computed once and reused (see commonCalls), by key; the local is set at the first use. */
  shared?: Map<string, { local: number; done: boolean }>;
}

type Ty = 'num' | 'bool';

const callKey = (e: Expr): string => JSON.stringify(e);

/**
 * Calls that occur more than once in these expressions (evaluated in sequence, on the same values), to
 * be computed once: exponential Euler repeats each rate function of a Hodgkin-Huxley model in A and in
 * B/A. Calls under `and`/`or` are left alone (they may not run), and so are random draws.
 */
export function commonCalls(exprs: readonly Expr[]): Set<string> {
  const seen = new Map<string, number>();
  const walk = (e: Expr): void => {
    if (e.kind === 'unary') walk(e.arg);
    else if (e.kind === 'binary') {
      if (e.op === 'and' || e.op === 'or') return;
      walk(e.left);
      walk(e.right);
    } else if (e.kind === 'call') {
      if (draws(e)) return;
      const k = callKey(e);
      seen.set(k, (seen.get(k) ?? 0) + 1);
      e.args.forEach(walk);
    }
  };
  exprs.forEach(walk);
  return new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k));
}

/** Emits expressions in one scope. */
export class ExprEmitter {
  /** Depth of conditionally evaluated code (right operands of and/or): shared calls are not first computed there. */
  private conditional = 0;

  constructor(private readonly s: ExprScope) {}

  private get f(): FunctionBody {
    return this.s.f;
  }

  private pick(ops: [number, number]): this {
    if (this.s.vector) this.f.simd(ops[1]);
    else this.f.op(ops[0]);
    return this;
  }

  private lit(v: number): void {
    if (this.s.vector) this.f.vconst(v);
    else this.f.const64(v);
  }

  private temp(): number {
    return this.f.local(this.s.vector ? V128 : F64);
  }

  /** The expression's value as a number (booleans become 1 or 0, as JavaScript's arithmetic makes them). */
  num(e: Expr): void {
    this.toNum(this.emit(e));
  }

  /** The expression as a condition: i32 0/1, or a lane mask (JavaScript truthiness for numbers: not 0, not NaN). */
  bool(e: Expr): void {
    this.toBool(this.emit(e));
  }

  private toNum(t: Ty): void {
    if (t === 'num') return;
    if (this.s.vector) this.f.vconst(1).simd(Simd.v128_and);
    else this.f.op(Op.f64_convert_i32_u);
  }

  private toBool(t: Ty): void {
    if (t === 'bool') return;
    // |x| > 0 is false exactly for +-0 and NaN
    if (this.s.vector) this.f.simd(Simd.f64x2_abs).vconst(0).simd(Simd.f64x2_gt);
    else this.f.op(Op.f64_abs).const64(0).op(Op.f64_gt);
  }

  private emit(e: Expr): Ty {
    // Arithmetic on literals and units is done here, with the same IEEE operations in the same order
    // (V8 folds constants in scalar code but not in f64x2 code, where HH's rates are full of `/ 1`).
    const c = this.folded(e);
    if (c !== null) {
      this.lit(c);
      return 'num';
    }
    switch (e.kind) {
      case 'num':
        this.lit(e.value);
        return 'num';
      case 'sym':
        return this.symbol(e.name);
      case 'unary':
        return this.unary(e.op, e.arg);
      case 'binary':
        return this.binary(e.op, e.left, e.right);
      case 'call':
        return this.call(e);
    }
  }

  private symbol(name: string): Ty {
    const c = this.s.constant(name);
    if (c !== null) {
      this.lit(c);
      return 'num';
    }
    const l = this.s.local(name);
    if (l === undefined) throw new Error(`no WebAssembly for symbol ${name}`);
    this.f.get(l);
    return 'num';
  }

  private unary(op: '-' | '+' | 'not', arg: Expr): Ty {
    const t = this.emit(arg);
    if (op === 'not') {
      this.toBool(t);
      if (this.s.vector) this.f.simd(Simd.v128_not);
      else this.f.op(Op.i32_eqz);
      return 'bool';
    }
    this.toNum(t);
    if (op === '-') {
      if (this.s.vector) this.f.simd(Simd.f64x2_neg);
      else this.f.op(Op.f64_neg);
    }
    return 'num';
  }

  /** The value of an expression of literals, units and constants under + - * / and unary +-, else null. */
  private folded(e: Expr): number | null {
    switch (e.kind) {
      case 'num':
        return e.value;
      case 'sym':
        return this.s.constant(e.name);
      case 'unary': {
        if (e.op === 'not') return null;
        const a = this.folded(e.arg);
        return a === null ? null : e.op === '-' ? -a : a;
      }
      case 'binary': {
        if (!Object.hasOwn(ARITH, e.op)) return null;
        const l = this.folded(e.left);
        const r = l === null ? null : this.folded(e.right);
        if (l === null || r === null) return null;
        return e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : l / r;
      }
      case 'call':
        return null;
    }
  }

  private binary(op: string, l: Expr, r: Expr): Ty {
    if (Object.hasOwn(ARITH, op)) {
      // x * 1, 1 * x and x / 1 are x exactly (units whose internal size is 1: mV, ms, pA, ...)
      const one = (x: Expr) => this.folded(x) === 1;
      const keep = (op === '*' || op === '/') && one(r) ? l : op === '*' && one(l) ? r : null;
      if (keep) {
        this.num(keep);
        return 'num';
      }
      this.num(l);
      this.num(r);
      this.pick(ARITH[op]);
      return 'num';
    }
    if (op === '**') return this.power(l, r);
    if (op === 'and' || op === 'or') return this.logical(op, l, r);
    if (op === '==' || op === '!=') return this.equality(op, l, r);
    if (!Object.hasOwn(COMPARE, op)) throw new Error(`no WebAssembly for operator ${op}`);
    this.num(l);
    this.num(r);
    this.pick(COMPARE[op]);
    return 'bool';
  }

  /** codegen-js: small integer powers as products (l * l * l), others Math.pow. */
  private power(l: Expr, r: Expr): Ty {
    const k = r.kind === 'num' ? r.value : NaN;
    if (Number.isInteger(k) && k >= 2 && k <= 4) {
      // The operand is evaluated once (one draw for rand()**2), as codegen-js's H.p2..p4 and Brian2 do.
      const t = this.temp();
      this.num(l);
      this.f.tee(t);
      for (let i = 1; i < k; i++) {
        this.f.get(t);
        this.pick(ARITH['*']);
      }
      return 'num';
    }
    this.num(l);
    this.num(r);
    this.callScalar(this.need(this.s.callees.pow, 'pow'), 2);
    return 'num';
  }

  /** == and != as Python (Brian2) compares: a boolean is 0 or 1, so (v > x) == True holds when v > x. */
  private equality(op: '==' | '!=', l: Expr, r: Expr): Ty {
    const tl = this.emit(l);
    const f = this.f;
    if (tl === 'bool' && this.peekType(r) === 'bool') {
      this.emit(r);
      if (this.s.vector) {
        f.simd(Simd.i64x2_eq);
        if (op === '!=') f.simd(Simd.v128_not);
      } else f.op(op === '==' ? Op.i32_eq : Op.i32_ne);
      return 'bool';
    }
    this.toNum(tl);
    this.toNum(this.emit(r));
    this.pick(COMPARE[op]);
    return 'bool';
  }

  /**
   * JavaScript's && and ||: short-circuit (the right operand is evaluated only when needed, which
   * matters when it draws random numbers) and, with a number among the operands, the value of the
   * deciding operand rather than a boolean.
   */
  private logical(op: 'and' | 'or', l: Expr, r: Expr): Ty {
    const tl = this.emit(l);
    this.conditional++;
    try {
      if (this.s.vector) return this.logicalVector(op, tl, r);
      if (tl === 'bool' && this.peekType(r) === 'bool' && !draws(r)) {
        // Both operands booleans and r free of draws: evaluating r always gives the same result.
        this.bool(r);
        this.f.op(op === 'and' ? Op.i32_and : Op.i32_or);
        return 'bool';
      }
      return this.logicalScalar(op, tl, r);
    } finally {
      this.conditional--;
    }
  }

  private logicalScalar(op: 'and' | 'or', tl: Ty, r: Expr): Ty {
    const f = this.f;
    const tr = this.peekType(r);
    if (tl === 'bool' && tr === 'bool') {
      // l on the stack: and -> if l then r else 0; or -> if l then 1 else r
      f.if(I32);
      if (op === 'and') {
        this.bool(r);
        f.else().i32(0);
      } else {
        f.i32(1).else();
        this.bool(r);
      }
      f.end();
      return 'bool';
    }
    const t = f.local(F64);
    this.toNum(tl);
    f.tee(t);
    this.toBool('num');
    f.if(F64);
    if (op === 'and') {
      this.num(r);
      f.else().get(t);
    } else {
      f.get(t).else();
      this.num(r);
    }
    f.end();
    return 'num';
  }

  private logicalVector(op: 'and' | 'or', tl: Ty, r: Expr): Ty {
    const f = this.f;
    const tr = this.peekType(r);
    if (tl === 'bool' && tr === 'bool') {
      this.bool(r);
      f.simd(op === 'and' ? Simd.v128_and : Simd.v128_or);
      return 'bool';
    }
    const a = this.temp();
    const b = this.temp();
    this.toNum(tl);
    f.set(a);
    this.num(r);
    f.set(b);
    // and: truthy(a) ? b : a; or: truthy(a) ? a : b
    if (op === 'and') f.get(b).get(a);
    else f.get(a).get(b);
    f.get(a);
    this.toBool('num');
    f.simd(Simd.v128_bitselect);
    return 'num';
  }

  /** The type an expression has, without emitting it. */
  private peekType(e: Expr): Ty {
    if (e.kind === 'unary') return e.op === 'not' ? 'bool' : 'num';
    if (e.kind !== 'binary') return 'num';
    if (Object.hasOwn(COMPARE, e.op)) return 'bool';
    if (e.op === 'and' || e.op === 'or') return this.peekType(e.left) === 'bool' && this.peekType(e.right) === 'bool' ? 'bool' : 'num';
    return 'num';
  }

  private need(index: number | undefined, name: string): number {
    if (index === undefined) throw new Error(`internal: the module does not provide ${name}`);
    return index;
  }

  private call(e: Expr & { kind: 'call' }): Ty {
    const shared = this.s.shared?.get(callKey(e));
    if (shared?.done) {
      this.f.get(shared.local);
      return 'num';
    }
    this.callOnce(e);
    if (shared && this.conditional === 0) {
      this.f.tee(shared.local);
      shared.done = true;
    }
    return 'num';
  }

  private callOnce(e: Expr & { kind: 'call' }): void {
    const c = this.s.callees;
    const f = this.f;
    if (e.fn === 'rand' || e.fn === 'randn') {
      if (this.s.vector) throw new Error('internal: random draws in vector code');
      f.call(this.need(e.fn === 'rand' ? c.uniform : c.normal, e.fn));
      return;
    }
    if (Object.hasOwn(NATIVE, e.fn)) {
      this.args(e, 1);
      this.pick(NATIVE[e.fn]);
      return;
    }
    if (e.fn === 'clip') {
      // Math.min(Math.max(x, lo), hi): WebAssembly's min and max treat NaN and -0 as Math's do
      this.args(e, 3, 2);
      this.pick([Op.f64_max, Simd.f64x2_max]);
      this.num(e.args[2]);
      this.pick([Op.f64_min, Simd.f64x2_min]);
      return;
    }
    if (e.fn === 'sign') return this.sign(e);
    this.args(e, 1);
    if (e.fn === 'exp' && c.expTable !== undefined) {
      if (this.s.vector) expDetVInline(f, c.expTable, this.need(c.exp, 'exp'));
      else expDetInline(f, c.expTable);
    } else if (e.fn === 'exp') this.callScalar(this.need(c.exp, 'exp'), 1);
    else if (e.fn === 'exprel' && this.s.vector && c.exprelV !== undefined) f.call(c.exprelV);
    else if (e.fn === 'exprel') this.callScalar(this.need(c.exprel, 'exprel'), 1);
    else if (Object.hasOwn(IMPORTED_MATH, e.fn)) this.callScalar(this.need(c.math[e.fn], e.fn), 1);
    else throw new Error(`no WebAssembly for function ${e.fn}`);
  }

  /** Pushes the first `count` of `want` arguments as numbers. */
  private args(e: Expr & { kind: 'call' }, want: number, count = want): void {
    if (e.args.length !== want) throw new Error(`${e.fn}() takes ${want} argument${want > 1 ? 's' : ''}`);
    for (let i = 0; i < count; i++) this.num(e.args[i]);
  }

  /** Math.sign: 1, -1, or the argument itself (+-0, NaN). */
  private sign(e: Expr & { kind: 'call' }): void {
    const f = this.f;
    const x = this.temp();
    this.args(e, 1);
    f.set(x);
    if (this.s.vector) {
      f.vconst(1).vconst(-1).get(x).get(x).vconst(0).simd(Simd.f64x2_lt).simd(Simd.v128_bitselect);
      f.get(x).vconst(0).simd(Simd.f64x2_gt).simd(Simd.v128_bitselect);
    } else {
      f.const64(1).const64(-1).get(x).get(x).const64(0).op(Op.f64_lt).op(Op.select);
      f.get(x).const64(0).op(Op.f64_gt).op(Op.select);
    }
  }

  /** Calls a scalar function of `arity` f64 arguments (on the stack); in vector form once per lane. */
  private callScalar(fn: number, arity: 1 | 2): void {
    const f = this.f;
    if (!this.s.vector) {
      f.call(fn);
      return;
    }
    const b = arity === 2 ? this.temp() : -1;
    if (arity === 2) f.set(b);
    const a = this.temp();
    f.set(a);
    const lane = (l: number) => {
      f.get(a).lane(Simd.f64x2_extract_lane, l);
      if (arity === 2) f.get(b).lane(Simd.f64x2_extract_lane, l);
      f.call(fn);
    };
    lane(0);
    f.simd(Simd.f64x2_splat);
    lane(1);
    f.lane(Simd.f64x2_replace_lane, 1);
  }
}

const ASSIGN_OPS = { '+=': Op.f64_add, '-=': Op.f64_sub, '*=': Op.f64_mul, '/=': Op.f64_div } as const;

/** A statement `target op expr` on the f64 local `target` (=, +=, -=, *=, /=: x = x op expr, as JavaScript's). */
export function emitAssignment(f: FunctionBody, e: ExprEmitter, target: number, s: Pick<Statement, 'op' | 'expr'>): void {
  if (s.op !== '=') f.get(target);
  e.num(s.expr);
  if (s.op !== '=') f.op(ASSIGN_OPS[s.op]);
  f.set(target);
}
