import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EXP_TABLE, expDet } from './exp.js';
import { JS_HELPERS } from './codegen-js.js';
import { F64, FunctionBody, I32, Simd, V128, encodeModule, type FuncType } from './wasm-emit.js';
import { expDetBody, expDetVBody, expm1Body, exprelBody, exprelVBody, mathExpBody } from './wasm-math.js';

/** The four functions in one module, with expDetV exported through a scalar pair wrapper. */
function functions() {
  const memory = new WebAssembly.Memory({ initial: 1 });
  new Float64Array(memory.buffer, 1024, 64).set(EXP_TABLE);
  const F: FuncType = { params: [F64], results: [F64] };
  const PAIR: FuncType = { params: [F64, F64, I32], results: [F64] };
  const V: FuncType = { params: [V128], results: [V128] };
  // pair(a, b, lane) = expDetV((a, b))[lane]
  const pairOf = (fn: number) => {
    const pair = new FunctionBody([F64, F64, I32]);
    pair.get(0).simd(Simd.f64x2_splat).get(1).lane(Simd.f64x2_replace_lane, 1).call(fn).set(pair.local(V128));
    pair.get(2).if(F64).get(3).lane(Simd.f64x2_extract_lane, 1).else().get(3).lane(Simd.f64x2_extract_lane, 0).end();
    return pair;
  };
  const bytes = encodeModule(
    [
      { module: 'env', name: 'memory', kind: 'memory', min: 1 },
      { module: 'env', name: 'expTable', kind: 'global', type: I32 },
    ],
    [
      { type: F, body: expDetBody(0), export: 'expDet' },
      { type: PAIR, body: pairOf(2), export: 'pair' },
      { type: V, body: expDetVBody(0, 0) },
      { type: F, body: expm1Body(), export: 'expm1' },
      { type: F, body: exprelBody(3), export: 'exprel' },
      { type: V, body: exprelVBody(3) },
      { type: PAIR, body: pairOf(5), export: 'exprelPair' },
      { type: F, body: mathExpBody(), export: 'mathExp' },
    ],
  );
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, expTable: 1024 } }).exports;
  type Pair = (a: number, b: number, lane: number) => number;
  return e as Record<'expDet' | 'expm1' | 'exprel' | 'mathExp', (x: number) => number> & { pair: Pair; exprelPair: Pair };
}

const w = functions();
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const SPECIAL = [
  0,
  -0,
  1,
  -1,
  1e-300,
  -1e-300,
  5e-324,
  1e-17,
  0.34657,
  -0.34657,
  0.5,
  1.0397,
  -1.0397,
  38.8,
  -38.9,
  40,
  -40,
  56,
  700,
  708,
  -708,
  -708.0001,
  709,
  709.0001,
  709.78,
  709.7827,
  710,
  -745,
  -746,
  1e308,
  -1e308,
  Infinity,
  -Infinity,
  NaN,
];

describe('expDet in WebAssembly', () => {
  it('is bit-identical to engine/equations/exp.ts expDet, scalar and on both lanes of an f64x2', () => {
    const check = (x: number, y: number) => {
      expect(same(w.expDet(x), expDet(x))).toBe(true);
      expect(same(w.pair(x, y, 0), expDet(x))).toBe(true);
      expect(same(w.pair(x, y, 1), expDet(y))).toBe(true);
    };
    for (const x of SPECIAL) for (const y of [0, -3, 800, NaN]) check(x, y);
    fc.assert(fc.property(fc.double({ min: -750, max: 750 }), fc.double({ min: -750, max: 750 }), check), { numRuns: 20000 });
    fc.assert(fc.property(fc.double(), fc.double(), check), { numRuns: 2000 });
  });
});

describe('Math.exp in WebAssembly', () => {
  it('is bit-identical to V8 Math.exp (fdlibm) over every branch: tiny, primary range, 0.5-1.5 ln2, 2^k, subnormal results', () => {
    const check = (x: number) => {
      expect(same(w.mathExp(x), Math.exp(x))).toBe(true);
    };
    for (const x of [...SPECIAL, 1, -1, 0.5 * Math.LN2, 1.5 * Math.LN2, 709.782712893384, -708.3964185322641, -745.1332191019411, 2 ** -28])
      check(x);
    for (const [min, max] of [
      [-4e-9, 4e-9],
      [-0.35, 0.35],
      [-1.04, 1.04],
      [-50, 50],
      [700, 709.8],
      [-745.2, -700],
    ])
      fc.assert(fc.property(fc.double({ min, max, noNaN: true }), check), { numRuns: 10000 });
    fc.assert(fc.property(fc.double(), check), { numRuns: 5000 });
  });
});

describe('expm1 and exprel in WebAssembly', () => {
  it('expm1 is bit-identical to V8 Math.expm1 (fdlibm) over every branch of its argument reduction', () => {
    for (const x of SPECIAL) expect(same(w.expm1(x), Math.expm1(x))).toBe(true);
    const check = (x: number) => {
      expect(same(w.expm1(x), Math.expm1(x))).toBe(true);
    };
    // |x| < 2^-54, < ln2/2, < 1.5 ln2, k < 20, 20 <= k <= 56, k > 56 and k = 1024, the negative side
    for (const [min, max] of [
      [-1e-16, 1e-16],
      [-0.35, 0.35],
      [-1.04, 1.04],
      [-14, 14],
      [13, 40],
      [38, 709.78],
      [-45, -30],
    ])
      fc.assert(fc.property(fc.double({ min, max, noNaN: true }), check), { numRuns: 10000 });
    fc.assert(fc.property(fc.double(), check), { numRuns: 5000 });
  });

  it('exprel on f64x2 lanes is JS_HELPERS.exprel bit for bit, every branch of expm1 mixed in one pair', () => {
    const check = (x: number, y: number) => {
      expect(same(w.exprelPair(x, y, 0), JS_HELPERS.exprel(x))).toBe(true);
      expect(same(w.exprelPair(x, y, 1), JS_HELPERS.exprel(y))).toBe(true);
    };
    for (const x of SPECIAL) for (const y of SPECIAL) check(x, y);
    const arg = fc.oneof(fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double());
    fc.assert(fc.property(arg, arg, check), { numRuns: 30000 });
  });

  it('exprel is codegen-js JS_HELPERS.exprel bit for bit, 1 at 0', () => {
    for (const x of SPECIAL) expect(same(w.exprel(x), JS_HELPERS.exprel(x))).toBe(true);
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50 }), (x) => {
        expect(same(w.exprel(x), JS_HELPERS.exprel(x))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });
});
