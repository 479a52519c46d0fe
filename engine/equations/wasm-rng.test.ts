import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { F64, I32, encodeModule } from './wasm-emit.js';
import { uniformBody } from './wasm-rng.js';
import { Rng } from '../rng.js';

/** A module exporting the generated uniform(), its state at `state` (0: no Rng) in `memory`. */
function uniformAt(memory: WebAssembly.Memory, state: number): () => number {
  const bytes = encodeModule(
    [
      { module: 'env', name: 'memory', kind: 'memory', min: 1 },
      { module: 'env', name: 'expTable', kind: 'global', type: I32 },
      { module: 'env', name: 'rngState', kind: 'global', type: I32 },
    ],
    [{ type: { params: [], results: [F64] }, body: uniformBody(1), export: 'uniform' }],
  );
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, expTable: 0, rngState: state } }).exports;
  return e.uniform as () => number;
}

describe('rand() in generated WebAssembly', () => {
  it("draws Rng.uniform's sequence from the saved state, and leaves the state where the Rng would", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const words = new Int32Array(memory.buffer, 64, 4);
    const uniform = uniformAt(memory, 64);
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 200 }), (seed, stream, count) => {
        const js = new Rng(seed, stream);
        const wasm = new Rng(seed, stream);
        wasm.saveState(words);
        for (let k = 0; k < count; k++) expect(uniform()).toBe(js.uniform());
        wasm.loadState(words);
        // The JavaScript generator continues from where the module left it.
        expect(wasm.uniform()).toBe(js.uniform());
        expect(wasm.normal()).toBe(js.normal());
      }),
    );
  });

  it('gives NaN without a state (an instance without an Rng)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const before = new Uint8Array(memory.buffer).slice(0, 16);
    expect(uniformAt(memory, 0)()).toBeNaN();
    expect(new Uint8Array(memory.buffer).slice(0, 16)).toEqual(before);
  });
});
