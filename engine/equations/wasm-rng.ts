// rand() inside generated WebAssembly: engine/rng.ts's Rng.uniform (xoshiro128**, 32 bits over 2^32)
// on the generator's state, four 32-bit words in memory, so that a model drawing one number per neuron
// per step (poisson) does not call into JavaScript for each. The backend copies the population's Rng
// state into the words before a generated function runs and back after it (Rng.saveState/loadState),
// and imported JavaScript draws (randn) copy around themselves too: draws stay in one sequence, the
// generated JavaScript's. engine/rng.ts holds the same generator: change both together.
import { F64, FunctionBody, I32, Op } from './wasm-emit.js';

/**
 * uniform(): f64 with the state's byte offset in the i32 global `state`; NaN when that is 0 (an
 * instance without an Rng, as the imported draw gave before).
 */
export function uniformBody(state: number): FunctionBody {
  const f = new FunctionBody([]);
  const [p, a, b, c, d, r] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  f.block(F64);
  f.const64(NaN).global(state).tee(p).op(Op.i32_eqz).brIf(0).op(Op.drop);
  f.get(p).mem(Op.i32_load, 0).set(a);
  f.get(p).mem(Op.i32_load, 4).set(b);
  f.get(p).mem(Op.i32_load, 8).set(c);
  f.get(p).mem(Op.i32_load, 12).set(d);
  // result = rotl(b * 5, 7) * 9
  f.get(b).i32(5).op(Op.i32_mul).i32(7).op(Op.i32_rotl).i32(9).op(Op.i32_mul).set(r);
  // t = b << 9 (kept on the stack until c takes it); c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11)
  f.get(b).i32(9).op(Op.i32_shl);
  f.get(c).get(a).op(Op.i32_xor).set(c);
  f.get(d).get(b).op(Op.i32_xor).set(d);
  f.get(b).get(c).op(Op.i32_xor).set(b);
  f.get(a).get(d).op(Op.i32_xor).set(a);
  f.get(c).op(Op.i32_xor).set(c);
  f.get(d).i32(11).op(Op.i32_rotl).set(d);
  f.get(p).get(a).mem(Op.i32_store, 0);
  f.get(p).get(b).mem(Op.i32_store, 4);
  f.get(p).get(c).mem(Op.i32_store, 8);
  f.get(p).get(d).mem(Op.i32_store, 12);
  f.get(r).op(Op.f64_convert_i32_u).const64(4294967296).op(Op.f64_div);
  f.end();
  return f;
}
