import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { F64, FunctionBody, I32, Op, Simd, encodeModule, signedLeb, unsignedLeb, type ModuleFunction } from './wasm-emit.js';

/** Reads back an unsigned / signed LEB128 number (the decoder WebAssembly engines implement). */
function readLeb(bytes: number[], signed: boolean): bigint {
  let result = 0n;
  let shift = 0n;
  for (const b of bytes) {
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if (signed && b & 0x40) result -= 1n << shift;
      return result;
    }
  }
  throw new Error('unterminated');
}

const instance = (fns: ModuleFunction[], memory?: WebAssembly.Memory) =>
  new WebAssembly.Instance(
    new WebAssembly.Module(encodeModule(memory ? [{ module: 'env', name: 'memory', kind: 'memory', min: 1 }] : [], fns)),
    memory ? { env: { memory } } : {},
  ).exports as Record<string, (...a: number[]) => number>;

describe('LEB128', () => {
  it('round-trips every u32 and every i64, with continuation bits on all but the last byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const b = unsignedLeb(v);
        expect(readLeb(b, false)).toBe(BigInt(v));
        expect(b.slice(0, -1).every((x) => x & 0x80)).toBe(true);
        expect(b.length).toBeLessThanOrEqual(5);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const b = signedLeb(v);
        expect(readLeb(b, true)).toBe(v);
        expect(b.length).toBeLessThanOrEqual(10);
      }),
    );
    expect(unsignedLeb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signedLeb(-123456n)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('encodeModule', () => {
  it('writes modules WebAssembly validates and runs: f64 arithmetic, i32 constants of every size', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.integer(), (a, b, k) => {
        const f = new FunctionBody([F64, F64]);
        f.get(0).get(1).op(Op.f64_mul).get(0).op(Op.f64_add).i32(k).op(Op.f64_convert_i32_s).op(Op.f64_sub);
        const { g } = instance([{ type: { params: [F64, F64], results: [F64] }, body: f, export: 'g' }]);
        expect(Object.is(g(a, b), a * b + a - k)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('loops over an imported memory with loads and stores of every width, and f64x2 lanes', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    // sum(x[0..n)) and y[i] = 2 * x[i] two at a time, counts in u16 and i32
    const f = new FunctionBody([I32, I32, I32]);
    const i = f.local(I32);
    const acc = f.local(F64);
    f.block().loop();
    f.get(i).get(2).op(Op.i32_ge_s).brIf(1);
    f.get(acc).get(0).get(i).i32(3).op(Op.i32_shl).op(Op.i32_add).mem(Op.f64_load).op(Op.f64_add).set(acc);
    f.get(i).i32(1).op(Op.i32_add).set(i).br(0);
    f.end().end();
    f.i32(0).set(i);
    f.block().loop();
    f.get(i).get(2).op(Op.i32_ge_s).brIf(1);
    f.get(1).get(i).i32(3).op(Op.i32_shl).op(Op.i32_add);
    f.get(0).get(i).i32(3).op(Op.i32_shl).op(Op.i32_add).vmem(Simd.v128_load).vconst(2).simd(Simd.f64x2_mul).vmem(Simd.v128_store);
    f.get(i).i32(2).op(Op.i32_add).set(i).br(0);
    f.end().end();
    f.i32(4096).i32(65535).mem(Op.i32_store16).i32(4100).i32(4096).mem(Op.i32_load16_u).mem(Op.i32_store);
    f.get(acc);
    const { run } = instance([{ type: { params: [I32, I32, I32], results: [F64] }, body: f, export: 'run' }], memory);
    const x = new Float64Array(memory.buffer, 0, 6);
    x.set([1, 2, 3, 4.5, -1, 0.25]);
    const y = new Float64Array(memory.buffer, 64, 6);
    expect(run(0, 64, 6)).toBe(9.75);
    expect([...y]).toEqual([2, 4, 6, 9, -2, 0.5]);
    expect(new Int32Array(memory.buffer, 4100, 1)[0]).toBe(65535);
  });

  it('imports functions, globals and a shared memory, and calls between functions', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 10, shared: true });
    const main = new FunctionBody([F64]);
    main.get(0).call(0).global(0).op(Op.f64_convert_i32_s).op(Op.f64_add).call(2);
    const twice = new FunctionBody([F64]);
    twice.get(0).const64(2).op(Op.f64_mul);
    const mod = new WebAssembly.Module(
      encodeModule(
        [
          { module: 'env', name: 'memory', kind: 'memory', min: 1, max: 10, shared: true },
          { module: 'math', name: 'sqrt', kind: 'func', type: { params: [F64], results: [F64] } },
          { module: 'env', name: 'k', kind: 'global', type: I32 },
        ],
        [
          { type: { params: [F64], results: [F64] }, body: main, export: 'main' },
          { type: { params: [F64], results: [F64] }, body: twice },
        ],
      ),
    );
    const { main: run } = new WebAssembly.Instance(mod, { env: { memory, k: 7 }, math: { sqrt: Math.sqrt } }).exports as Record<
      string,
      (x: number) => number
    >;
    expect(run(16)).toBe(22);
    expect(WebAssembly.Module.imports(mod).map((x) => x.kind)).toEqual(['memory', 'function', 'global']);
  });

  it('refuses a shared memory without a maximum, and numbers that are not u32', () => {
    expect(() => encodeModule([{ module: 'env', name: 'm', kind: 'memory', min: 1, shared: true }], [])).toThrow(/maximum/);
    expect(() => new FunctionBody([]).u32(-1)).toThrow(RangeError);
    expect(() => new FunctionBody([]).u32(2 ** 32)).toThrow(RangeError);
    expect(() => new FunctionBody([]).mem(Op.f64_add)).toThrow(/memory access/);
  });
});
