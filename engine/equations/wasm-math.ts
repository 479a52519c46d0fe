// The math functions generated WebAssembly calls that WebAssembly has no instruction for, written as
// module functions so that results are bit-identical to the JavaScript side:
//   expDet   engine/equations/exp.ts expDet (same table, passed in memory; same polynomial, same order),
//   expDetV  the same on both lanes of an f64x2 (as kernels.as.ts expDetV), lanes out of range scalar,
//   expm1    fdlibm's s_expm1.c as V8 compiles it for Math.expm1 (base/ieee754.cc), so that exprel is
//            identical to codegen-js.ts's Math.expm1(x) / x,
//   exprel   (exp(x) - 1) / x, 1 at 0 (JS_HELPERS.exprel).
// engine/equations/exp.ts and engine/backends/wasm/kernels.as.ts hold the same expDet: change all three together.
import { F64, FunctionBody, I32, Op, Simd, V128 } from './wasm-emit.js';

/** ln2/64 split so that k * LN2_64_HI is exact for |k| < 2^21 (engine/equations/exp.ts). */
const LN2_64_HI = 6.9314718036912381649e-1 / 64;
const LN2_64_LO = 1.90821492927058770002e-10 / 64;
const INV_LN2_64 = 64 / Math.LN2;
const C3 = 1.6666666666666666e-1;
const C4 = 4.1666666666666664e-2;
const C5 = 8.333333333333333e-3;

interface ExpScratch {
  x: number;
  k: number;
  r: number;
  r2: number;
  q: number;
  t: number;
  ki: number;
  m: number;
  j: number;
}

/**
 * Locals for inlined exps, one set per function and form: an inlined exp runs after its argument is
 * computed and uses them only until its value is on the stack, so exps never overlap in them.
 */
const scratches = new WeakMap<FunctionBody, { scalar?: ExpScratch; vector?: ExpScratch }>();

function scratch(f: FunctionBody, vector: boolean): ExpScratch {
  const entry = scratches.get(f) ?? {};
  scratches.set(f, entry);
  const have = vector ? entry.vector : entry.scalar;
  if (have) return have;
  const t = vector ? V128 : F64;
  const made: ExpScratch = {
    x: f.local(t),
    k: f.local(t),
    r: f.local(t),
    r2: f.local(t),
    q: f.local(t),
    t: f.local(t),
    ki: f.local(vector ? V128 : I32),
    m: f.local(t),
    j: f.local(t),
  };
  if (vector) entry.vector = made;
  else entry.scalar = made;
  return made;
}

/** expDet of the f64 on the stack, inline (WebAssembly engines do not inline calls: V8 12 does so only behind a flag). */
export function expDetInline(f: FunctionBody, table: number): void {
  const { x, k, r, r2, q, t, ki } = scratch(f, false);
  f.set(x).block(F64);
  f.const64(0).get(x).const64(-708).op(Op.f64_lt).brIf(0).op(Op.drop);
  f.const64(Infinity).get(x).const64(709).op(Op.f64_gt).brIf(0).op(Op.drop);
  f.get(x).get(x).get(x).op(Op.f64_ne).brIf(0).op(Op.drop);
  f.get(x).const64(INV_LN2_64).op(Op.f64_mul).const64(0.5).op(Op.f64_add).op(Op.f64_floor).set(k);
  f.get(x).get(k).const64(LN2_64_HI).op(Op.f64_mul).op(Op.f64_sub).get(k).const64(LN2_64_LO).op(Op.f64_mul).op(Op.f64_sub).set(r);
  // |k| < 65536 here, so the conversion cannot trap.
  f.get(k).op(Op.i32_trunc_f64_s).set(ki);
  f.get(r).get(r).op(Op.f64_mul).set(r2);
  // q = r + r2 * (0.5 + r * c3) + r2 * r2 * (c4 + r * c5), left to right as JavaScript evaluates it
  f.get(r).get(r2).const64(0.5).get(r).const64(C3).op(Op.f64_mul).op(Op.f64_add).op(Op.f64_mul).op(Op.f64_add);
  f.get(r2).get(r2).op(Op.f64_mul).const64(C4).get(r).const64(C5).op(Op.f64_mul).op(Op.f64_add).op(Op.f64_mul).op(Op.f64_add).set(q);
  // t = EXP_TABLE[k mod 64]
  f.global(table).get(ki).i32(63).op(Op.i32_and).i32(3).op(Op.i32_shl).op(Op.i32_add).mem(Op.f64_load).set(t);
  // (t + t * q) * 2^m, m = floor(k / 64) >= -1022 here, so 2^m is a normal number built from its bits
  f.get(t).get(t).get(q).op(Op.f64_mul).op(Op.f64_add);
  f.get(ki).i32(6).op(Op.i32_shr_s).op(Op.i64_extend_i32_s).i64(1023).op(Op.i64_add).i64(52).op(Op.i64_shl).op(Op.f64_reinterpret_i64);
  f.op(Op.f64_mul).end();
}

/** expDet(x) as a function: the exp table's byte offset is the i32 global `table`. */
export function expDetBody(table: number): FunctionBody {
  const f = new FunctionBody([F64]);
  f.get(0);
  expDetInline(f, table);
  return f;
}

/** 1.5 * 2^52: x + ROUND_TO_INT holds the integer x (|x| < 2^51) in the low bits of its mantissa. */
const ROUND_TO_INT = 1.5 * 2 ** 52;

/** The i64 1023 (the exponent bias) as the f64 with the same bits: a v128 constant of two i64 lanes, not a splat per call. */
const EXPONENT_BIAS = new Float64Array(new BigInt64Array([1023n]).buffer)[0];

/**
 * expDet on both lanes of the f64x2 on the stack, inline (as kernels.as.ts expDetV); when a lane is
 * out of the fast range both lanes call expDet, the function `scalar`.
 */
export function expDetVInline(f: FunctionBody, table: number, scalar: number): void {
  const { x, k, r, r2, q, t, ki, m, j } = scratch(f, true);
  f.set(x);
  // Both lanes in [-708, 708] (false for NaN) take the fast path; any other lane, both call expDet,
  // whose own tests (and the lanes in (708, 709]) give the same values as its fast path would.
  f.get(x).simd(Simd.f64x2_abs).vconst(708).simd(Simd.f64x2_le).simd(Simd.i64x2_all_true).op(Op.i32_eqz).if(V128);
  f.get(x).lane(Simd.f64x2_extract_lane, 0).call(scalar).simd(Simd.f64x2_splat);
  f.get(x).lane(Simd.f64x2_extract_lane, 1).call(scalar).lane(Simd.f64x2_replace_lane, 1);
  f.else();
  f.get(x).vconst(INV_LN2_64).simd(Simd.f64x2_mul).vconst(0.5).simd(Simd.f64x2_add).simd(Simd.f64x2_floor).set(k);
  f.get(x).get(k).vconst(LN2_64_HI).simd(Simd.f64x2_mul).simd(Simd.f64x2_sub);
  f.get(k).vconst(LN2_64_LO).simd(Simd.f64x2_mul).simd(Simd.f64x2_sub).set(r);
  // k (an integer, |k| < 2^16) to i32 lanes 0 and 1: adding 1.5 * 2^52 puts k in the low 32 bits of
  // each lane's bits, exactly (two instructions where the saturating conversion takes four).
  f.get(k).vconst(ROUND_TO_INT).simd(Simd.f64x2_add).get(k).shuffle([0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]).set(ki);
  f.get(ki).i32(6).simd(Simd.i32x4_shr_s).set(m);
  f.get(ki).get(m).i32(6).simd(Simd.i32x4_shl).simd(Simd.i32x4_sub).set(j);
  f.get(r).get(r).simd(Simd.f64x2_mul).set(r2);
  const lane = (l: number) => f.global(table).get(j).lane(Simd.i32x4_extract_lane, l).i32(3).op(Op.i32_shl).op(Op.i32_add).mem(Op.f64_load);
  // t = (table[j0], table[j1]); q as in expDet; then t + t * q
  lane(0).simd(Simd.f64x2_splat);
  lane(1).lane(Simd.f64x2_replace_lane, 1).set(t);
  f.get(r).get(r2).vconst(0.5).get(r).vconst(C3).simd(Simd.f64x2_mul).simd(Simd.f64x2_add).simd(Simd.f64x2_mul).simd(Simd.f64x2_add);
  f.get(r2).get(r2).simd(Simd.f64x2_mul).vconst(C4).get(r).vconst(C5).simd(Simd.f64x2_mul).simd(Simd.f64x2_add).simd(Simd.f64x2_mul);
  f.simd(Simd.f64x2_add).set(q);
  f.get(t).get(t).get(q).simd(Simd.f64x2_mul).simd(Simd.f64x2_add);
  f.get(m).simd(Simd.i64x2_extend_low_i32x4_s).vconst(EXPONENT_BIAS, EXPONENT_BIAS).simd(Simd.i64x2_add).i32(52).simd(Simd.i64x2_shl);
  f.simd(Simd.f64x2_mul).end();
}

/** expDetVInline as a function (v128 -> v128). */
export function expDetVBody(table: number, scalar: number): FunctionBody {
  const f = new FunctionBody([V128]);
  f.get(0);
  expDetVInline(f, table, scalar);
  return f;
}

// fdlibm s_expm1.c constants
const O_THRESHOLD = 7.09782712893383973096e2;
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INVLN2 = 1.442695040888963387;
const Q = [-3.33333333333331316428e-2, 1.58730158725481460165e-3, -7.93650757867487942473e-5, 4.00821782732936239552e-6];
const Q5 = -2.01099218183624371326e-7;

/** Math.expm1 as V8 computes it (fdlibm, with FreeBSD's 2^k scaling). */
export function expm1Body(): FunctionBody {
  const f = new FunctionBody([F64]);
  const x = 0;
  const l = {
    hx: f.local(I32),
    xsb: f.local(I32),
    k: f.local(I32),
    hi: f.local(F64),
    lo: f.local(F64),
    c: f.local(F64),
    t: f.local(F64),
    e: f.local(F64),
    hfx: f.local(F64),
    hxs: f.local(F64),
    r1: f.local(F64),
    y: f.local(F64),
    twopk: f.local(F64),
  };
  f.get(x).op(Op.i64_reinterpret_f64).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64).tee(l.hx);
  f.i32(0x80000000 | 0)
    .op(Op.i32_and)
    .set(l.xsb);
  f.get(l.hx).i32(0x7fffffff).op(Op.i32_and).set(l.hx);
  expm1Filter(f, x, l);
  expm1Reduce(f, x, l);
  // x is now in the primary range
  f.const64(0.5).get(x).op(Op.f64_mul).set(l.hfx);
  f.get(x).get(l.hfx).op(Op.f64_mul).set(l.hxs);
  // r1 = one + hxs*(Q1 + hxs*(Q2 + hxs*(Q3 + hxs*(Q4 + hxs*Q5))))
  f.const64(1).get(l.hxs);
  for (const q of Q) f.const64(q).get(l.hxs);
  f.const64(Q5).op(Op.f64_mul);
  for (let i = 0; i < Q.length; i++) f.op(Op.f64_add).op(Op.f64_mul);
  f.op(Op.f64_add).set(l.r1);
  f.const64(3).get(l.r1).get(l.hfx).op(Op.f64_mul).op(Op.f64_sub).set(l.t);
  // e = hxs*((r1 - t)/(6.0 - x*t))
  f.get(l.hxs).get(l.r1).get(l.t).op(Op.f64_sub).const64(6).get(x).get(l.t).op(Op.f64_mul).op(Op.f64_sub).op(Op.f64_div);
  f.op(Op.f64_mul).set(l.e);
  f.get(l.k).op(Op.i32_eqz).if();
  f.get(x).get(x).get(l.e).op(Op.f64_mul).get(l.hxs).op(Op.f64_sub).op(Op.f64_sub).op(Op.return).end();
  expm1Scale(f, x, l);
  return f;
}

type Expm1Locals = Record<'hx' | 'xsb' | 'k' | 'hi' | 'lo' | 'c' | 't' | 'e' | 'hfx' | 'hxs' | 'r1' | 'y' | 'twopk', number>;

/** Huge, non-finite and very negative arguments. */
function expm1Filter(f: FunctionBody, x: number, l: Expm1Locals): void {
  f.get(l.hx).i32(0x4043687a).op(Op.i32_ge_u).if();
  {
    f.get(l.hx).i32(0x40862e42).op(Op.i32_ge_u).if();
    {
      f.get(l.hx).i32(0x7ff00000).op(Op.i32_ge_u).if();
      // NaN: x + x; infinities: x or -1
      f.get(l.hx).i32(0xfffff).op(Op.i32_and).get(x).op(Op.i64_reinterpret_f64).op(Op.i32_wrap_i64).op(Op.i32_or);
      f.if().get(x).get(x).op(Op.f64_add).op(Op.return).end();
      f.get(l.xsb).op(Op.i32_eqz).if().get(x).op(Op.return).end();
      f.const64(-1).op(Op.return).end();
      f.get(x).const64(O_THRESHOLD).op(Op.f64_gt).if().const64(Infinity).op(Op.return).end();
    }
    f.end();
    // x < -56 ln2: tiny - one rounds to -1
    f.get(l.xsb).if().const64(-1).op(Op.return).end();
  }
  f.end();
}

/** Argument reduction: x = k ln2 + r with the correction c; returns x itself for |x| < 2^-54. */
function expm1Reduce(f: FunctionBody, x: number, l: Expm1Locals): void {
  f.get(l.hx).i32(0x3fd62e42).op(Op.i32_gt_u).if();
  {
    f.get(l.hx).i32(0x3ff0a2b2).op(Op.i32_lt_u).if();
    f.get(l.xsb).op(Op.i32_eqz).if();
    f.get(x).const64(LN2_HI).op(Op.f64_sub).set(l.hi).const64(LN2_LO).set(l.lo).i32(1).set(l.k);
    f.else();
    f.get(x).const64(LN2_HI).op(Op.f64_add).set(l.hi).const64(-LN2_LO).set(l.lo).i32(-1).set(l.k);
    f.end();
    f.else();
    // k = (int)(invln2*x + (xsb == 0 ? 0.5 : -0.5)); |k| <= 1024 here
    f.const64(INVLN2).get(x).op(Op.f64_mul).const64(0.5).const64(-0.5).get(l.xsb).op(Op.i32_eqz).op(Op.select).op(Op.f64_add);
    f.op(Op.i32_trunc_f64_s).tee(l.k).op(Op.f64_convert_i32_s).set(l.t);
    f.get(x).get(l.t).const64(LN2_HI).op(Op.f64_mul).op(Op.f64_sub).set(l.hi);
    f.get(l.t).const64(LN2_LO).op(Op.f64_mul).set(l.lo);
    f.end();
    f.get(l.hi).get(l.lo).op(Op.f64_sub).set(x);
    f.get(l.hi).get(x).op(Op.f64_sub).get(l.lo).op(Op.f64_sub).set(l.c);
  }
  f.else();
  f.get(l.hx).i32(0x3c900000).op(Op.i32_lt_u).if().get(x).op(Op.return).end();
  f.i32(0).set(l.k);
  f.end();
}

/** Scaling by 2^k for k != 0 (the tail of s_expm1.c). */
function expm1Scale(f: FunctionBody, x: number, l: Expm1Locals): void {
  f.get(l.k).i32(0x3ff).op(Op.i32_add).op(Op.i64_extend_i32_u).i64(52).op(Op.i64_shl).op(Op.f64_reinterpret_i64).set(l.twopk);
  // e = x*(e - c) - c; e -= hxs
  f.get(x).get(l.e).get(l.c).op(Op.f64_sub).op(Op.f64_mul).get(l.c).op(Op.f64_sub).get(l.hxs).op(Op.f64_sub).set(l.e);
  f.get(l.k).i32(-1).op(Op.i32_eq).if();
  f.const64(0.5).get(x).get(l.e).op(Op.f64_sub).op(Op.f64_mul).const64(0.5).op(Op.f64_sub).op(Op.return).end();
  f.get(l.k).i32(1).op(Op.i32_eq).if();
  f.get(x).const64(-0.25).op(Op.f64_lt).if();
  f.const64(-2).get(l.e).get(x).const64(0.5).op(Op.f64_add).op(Op.f64_sub).op(Op.f64_mul).op(Op.return).end();
  f.const64(1).const64(2).get(x).get(l.e).op(Op.f64_sub).op(Op.f64_mul).op(Op.f64_add).op(Op.return).end();
  f.get(l.k).i32(-2).op(Op.i32_le_s).get(l.k).i32(56).op(Op.i32_gt_s).op(Op.i32_or).if();
  {
    f.const64(1).get(l.e).get(x).op(Op.f64_sub).op(Op.f64_sub).set(l.y);
    f.get(l.k).i32(1024).op(Op.i32_eq).if(F64);
    f.get(l.y).const64(2).op(Op.f64_mul).const64(8.98846567431158e307).op(Op.f64_mul);
    f.else().get(l.y).get(l.twopk).op(Op.f64_mul).end();
    f.const64(1).op(Op.f64_sub).op(Op.return);
  }
  f.end();
  f.get(l.k).i32(20).op(Op.i32_lt_s).if(F64);
  {
    // t = 1 - 2^-k; y = (t - (e - x)) * 2^k
    f.i32(0x3ff00000).i32(0x200000).get(l.k).op(Op.i32_shr_s).op(Op.i32_sub).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl);
    f.op(Op.f64_reinterpret_i64).get(l.e).get(x).op(Op.f64_sub).op(Op.f64_sub).get(l.twopk).op(Op.f64_mul);
  }
  f.else();
  {
    // t = 2^-k; y = ((x - (e + t)) + 1) * 2^k
    f.i32(0x3ff).get(l.k).op(Op.i32_sub).i32(20).op(Op.i32_shl).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl);
    f.op(Op.f64_reinterpret_i64).set(l.t);
    f.get(x).get(l.e).get(l.t).op(Op.f64_add).op(Op.f64_sub).const64(1).op(Op.f64_add).get(l.twopk).op(Op.f64_mul);
  }
  f.end();
}

// fdlibm e_exp.c constants (as V8's base/ieee754.cc exp holds them)
const EXP_O_THRESHOLD = 7.09782712893383973096e2;
const EXP_U_THRESHOLD = -7.4513321910194110842e2;
const EXP_P = [1.66666666666666019037e-1, -2.77777777770155933842e-3, 6.61375632143793436117e-5, -1.6533902205465251539e-6];
const EXP_P5 = 4.13813679705723846039e-8;
const TWO_M1000 = 9.3326361850321887899e-302;
const TWO_1023 = 8.988465674311579539e307;

/**
 * Math.exp as V8 computes it (fdlibm's e_exp.c with FreeBSD's 2^k scaling and V8's exp(1) = E), so
 * that generated WebAssembly gives the generated JavaScript's bits without a call into JavaScript
 * per exp (codegen-synapse-js.ts decays event-driven variables with Math.exp).
 */
export function mathExpBody(): FunctionBody {
  const f = new FunctionBody([F64]);
  const x = 0;
  const [hx, xsb, k] = [f.local(I32), f.local(I32), f.local(I32)];
  const [hi, lo, c, t, y, twopk] = [f.local(F64), f.local(F64), f.local(F64), f.local(F64), f.local(F64), f.local(F64)];
  f.get(x).op(Op.i64_reinterpret_f64).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64).tee(hx);
  f.i32(31).op(Op.i32_shr_u).set(xsb);
  f.get(hx).i32(0x7fffffff).op(Op.i32_and).set(hx);
  // |x| >= 709.78...: NaN, infinities, overflow, underflow
  f.get(hx).i32(0x40862e42).op(Op.i32_ge_u).if();
  {
    f.get(hx).i32(0x7ff00000).op(Op.i32_ge_u).if();
    f.get(hx).i32(0xfffff).op(Op.i32_and).get(x).op(Op.i64_reinterpret_f64).op(Op.i32_wrap_i64).op(Op.i32_or);
    f.if().get(x).get(x).op(Op.f64_add).op(Op.return).end();
    f.get(xsb).op(Op.i32_eqz).if().get(x).op(Op.return).end();
    f.const64(0).op(Op.return).end();
    f.get(x).const64(EXP_O_THRESHOLD).op(Op.f64_gt).if().const64(Infinity).op(Op.return).end();
    f.get(x).const64(EXP_U_THRESHOLD).op(Op.f64_lt).if().const64(0).op(Op.return).end();
  }
  f.end();
  // argument reduction: x = k ln2 + r, |r| <= 0.5 ln2
  f.get(hx).i32(0x3fd62e42).op(Op.i32_gt_u).if();
  {
    f.get(hx).i32(0x3ff0a2b2).op(Op.i32_lt_u).if();
    f.get(x).const64(1).op(Op.f64_eq).if().const64(Math.E).op(Op.return).end();
    // select(a, b, c) is c ? a : b: ln2HI[xsb], ln2LO[xsb]
    f.get(x).const64(LN2_HI).const64(-LN2_HI).get(xsb).op(Op.i32_eqz).op(Op.select).op(Op.f64_sub).set(hi);
    f.const64(LN2_LO).const64(-LN2_LO).get(xsb).op(Op.i32_eqz).op(Op.select).set(lo);
    f.i32(1).get(xsb).op(Op.i32_sub).get(xsb).op(Op.i32_sub).set(k);
    f.else();
    // k = (int)(invln2*x + halF[xsb]); |k| <= 1075 here
    f.const64(INVLN2).get(x).op(Op.f64_mul).const64(0.5).const64(-0.5).get(xsb).op(Op.i32_eqz).op(Op.select).op(Op.f64_add);
    f.op(Op.i32_trunc_f64_s).tee(k).op(Op.f64_convert_i32_s).set(t);
    f.get(x).get(t).const64(LN2_HI).op(Op.f64_mul).op(Op.f64_sub).set(hi);
    f.get(t).const64(LN2_LO).op(Op.f64_mul).set(lo);
    f.end();
    f.get(hi).get(lo).op(Op.f64_sub).set(x);
  }
  f.else();
  // |x| < 2^-28: 1 + x; else k = 0
  f.get(hx).i32(0x3e300000).op(Op.i32_lt_u).if().const64(1).get(x).op(Op.f64_add).op(Op.return).end();
  f.i32(0).set(k);
  f.end();
  // x is now in the primary range
  f.get(x).get(x).op(Op.f64_mul).set(t);
  // twopk = 2^k (k >= -1021), else 2^(k + 1000)
  f.i32(0x3ff00000).get(k).get(k).i32(1000).op(Op.i32_add).get(k).i32(-1021).op(Op.i32_ge_s).op(Op.select);
  f.i32(20).op(Op.i32_shl).op(Op.i32_add).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).op(Op.f64_reinterpret_i64).set(twopk);
  // c = x - t*(P1 + t*(P2 + t*(P3 + t*(P4 + t*P5))))
  f.get(x).get(t);
  for (const p of EXP_P) f.const64(p).get(t);
  f.const64(EXP_P5).op(Op.f64_mul);
  for (let i = 0; i < EXP_P.length; i++) f.op(Op.f64_add).op(Op.f64_mul);
  f.op(Op.f64_sub).set(c);
  // k == 0: one - ((x*c)/(c - 2.0) - x)
  f.get(k).op(Op.i32_eqz).if();
  f.const64(1)
    .get(x)
    .get(c)
    .op(Op.f64_mul)
    .get(c)
    .const64(2)
    .op(Op.f64_sub)
    .op(Op.f64_div)
    .get(x)
    .op(Op.f64_sub)
    .op(Op.f64_sub)
    .op(Op.return);
  f.end();
  // y = one - ((lo - (x*c)/(2.0 - c)) - hi)
  f.const64(1).get(lo).get(x).get(c).op(Op.f64_mul).const64(2).get(c).op(Op.f64_sub).op(Op.f64_div).op(Op.f64_sub);
  f.get(hi).op(Op.f64_sub).op(Op.f64_sub).set(y);
  f.get(k).i32(-1021).op(Op.i32_ge_s).if(F64);
  {
    f.get(k).i32(1024).op(Op.i32_eq).if(F64);
    f.get(y).const64(2).op(Op.f64_mul).const64(TWO_1023).op(Op.f64_mul);
    f.else().get(y).get(twopk).op(Op.f64_mul).end();
  }
  f.else();
  f.get(y).get(twopk).op(Op.f64_mul).const64(TWO_M1000).op(Op.f64_mul);
  f.end();
  return f;
}

/** exprel(x) = x === 0 ? 1 : expm1(x) / x; `expm1` is that function's index. */
export function exprelBody(expm1: number): FunctionBody {
  const f = new FunctionBody([F64]);
  f.get(0).const64(0).op(Op.f64_eq).if(F64).const64(1).else().get(0).call(expm1).get(0).op(Op.f64_div).end();
  return f;
}

/** A double from the high word of its bits (low word zero): fdlibm's thresholds on the high word of |x| as |x| bounds. */
function fromHigh(hi: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, hi);
  return v.getFloat64(0);
}

/**
 * exprel on both lanes of an f64x2 (v128 -> v128), each lane bit-identical to exprelBody. Lanes with
 * |x| >= 56 ln2, |x| < 2^-54 (0 included) or NaN make both lanes call the scalar function `expm1`;
 * otherwise see expm1Lanes.
 */
export function exprelVBody(expm1: number): FunctionBody {
  const f = new FunctionBody([V128]);
  const x = 0;
  f.get(x).simd(Simd.f64x2_abs).vconst(fromHigh(0x4043687a)).simd(Simd.f64x2_ge);
  f.get(x).simd(Simd.f64x2_abs).vconst(fromHigh(0x3c900000)).simd(Simd.f64x2_lt).simd(Simd.v128_or);
  f.get(x).get(x).simd(Simd.f64x2_ne).simd(Simd.v128_or).simd(Simd.v128_any_true).if(V128);
  f.get(x).lane(Simd.f64x2_extract_lane, 0).call(expm1).simd(Simd.f64x2_splat);
  f.get(x).lane(Simd.f64x2_extract_lane, 1).call(expm1).lane(Simd.f64x2_replace_lane, 1);
  f.else();
  expm1Lanes(f, x);
  f.end();
  // x === 0 ? 1 : expm1(x) / x
  const q = f.local(V128);
  f.get(x).simd(Simd.f64x2_div).set(q);
  f.vconst(1).get(q).get(x).vconst(0).simd(Simd.f64x2_eq).simd(Simd.v128_bitselect);
  return f;
}

/**
 * expm1 of both lanes of local x, |x| in [2^-54, 56 ln2): every branch of s_expm1.c's tail is computed
 * and the one for each lane's k chosen. The reduction with k = 0 (|x| < ln2/2) and k = +-1 (|x| < 1.5
 * ln2) is the general one with that k, bit for bit: k*ln2_hi is exactly 0 or +-ln2_hi.
 */
function expm1Lanes(f: FunctionBody, x: number): void {
  const L = () => f.local(V128);
  const [k, hi, lo, xr, c, hfx, hxs, r1, t, e, e2, pk, pm, res] = [L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()];
  const [add, sub, mul, div, sel] = [Simd.f64x2_add, Simd.f64x2_sub, Simd.f64x2_mul, Simd.f64x2_div, Simd.v128_bitselect];
  const neg = () => f.get(x).vconst(0).simd(Simd.f64x2_lt);
  const absBelow = (high: number) => f.get(x).simd(Simd.f64x2_abs).vconst(fromHigh(high)).simd(Simd.f64x2_lt);
  // k = |x| <= ln2/2 ? 0 : |x| < 1.5 ln2 ? +-1 : (int)(invln2*x + (x < 0 ? -0.5 : 0.5))
  f.vconst(0).vconst(-1).vconst(1);
  neg().simd(sel).vconst(INVLN2).get(x).simd(mul).vconst(-0.5).vconst(0.5);
  neg().simd(sel).simd(add).simd(Simd.f64x2_trunc);
  absBelow(0x3ff0a2b2).simd(sel);
  absBelow(0x3fd62e43).simd(sel).set(k);
  f.get(x).get(k).vconst(LN2_HI).simd(mul).simd(sub).set(hi);
  f.get(k).vconst(LN2_LO).simd(mul).set(lo);
  f.get(hi).get(lo).simd(sub).set(xr);
  f.get(hi).get(xr).simd(sub).get(lo).simd(sub).set(c);
  f.vconst(0.5).get(xr).simd(mul).set(hfx);
  f.get(xr).get(hfx).simd(mul).set(hxs);
  f.vconst(1).get(hxs);
  for (const q of Q) f.vconst(q).get(hxs);
  f.vconst(Q5).simd(mul);
  for (let i = 0; i < Q.length; i++) f.simd(add).simd(mul);
  f.simd(add).set(r1);
  f.vconst(3).get(r1).get(hfx).simd(mul).simd(sub).set(t);
  f.get(hxs).get(r1).get(t).simd(sub).vconst(6).get(xr).get(t).simd(mul).simd(sub).simd(div).simd(mul).set(e);
  f.get(xr).get(e).get(c).simd(sub).simd(mul).get(c).simd(sub).get(hxs).simd(sub).set(e2);
  // 2^k and 2^-k from the exponent bits (|k| <= 56)
  f.get(k).simd(Simd.i32x4_trunc_sat_f64x2_s_zero).simd(Simd.i64x2_extend_low_i32x4_s).tee(pm);
  f.i64(1023).simd(Simd.i64x2_splat).simd(Simd.i64x2_add).i32(52).simd(Simd.i64x2_shl).set(pk);
  f.i64(1023).simd(Simd.i64x2_splat).get(pm).simd(Simd.i64x2_sub).i32(52).simd(Simd.i64x2_shl).set(pm);
  // 20 <= k <= 56: ((x - (e + 2^-k)) + 1) * 2^k
  f.get(xr).get(e2).get(pm).simd(add).simd(sub).vconst(1).simd(add).get(pk).simd(mul).set(res);
  // 2 <= k < 20: ((1 - 2^-k) - (e - x)) * 2^k
  f.vconst(1).get(pm).simd(sub).get(e2).get(xr).simd(sub).simd(sub).get(pk).simd(mul).get(res);
  f.get(k).vconst(20).simd(Simd.f64x2_lt).simd(sel).set(res);
  // k <= -2: (1 - (e - x)) * 2^k - 1
  f.vconst(1).get(e2).get(xr).simd(sub).simd(sub).get(pk).simd(mul).vconst(1).simd(sub).get(res);
  f.get(k).vconst(-2).simd(Simd.f64x2_le).simd(sel).set(res);
  // k = 1: x < -0.25 ? -2 * (e - (x + 0.5)) : 1 + 2 * (x - e)
  f.vconst(-2).get(e2).get(xr).vconst(0.5).simd(add).simd(sub).simd(mul);
  f.vconst(1).vconst(2).get(xr).get(e2).simd(sub).simd(mul).simd(add);
  f.get(xr).vconst(-0.25).simd(Simd.f64x2_lt).simd(sel).get(res);
  f.get(k).vconst(1).simd(Simd.f64x2_eq).simd(sel).set(res);
  // k = -1: 0.5 * (x - e) - 0.5
  f.vconst(0.5).get(xr).get(e2).simd(sub).simd(mul).vconst(0.5).simd(sub).get(res);
  f.get(k).vconst(-1).simd(Simd.f64x2_eq).simd(sel).set(res);
  // k = 0: x - (x * e - hxs)
  f.get(xr).get(xr).get(e).simd(mul).get(hxs).simd(sub).simd(sub).get(res);
  f.get(k).vconst(0).simd(Simd.f64x2_eq).simd(sel);
}
