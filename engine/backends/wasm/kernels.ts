// Loads the AssemblyScript kernels (kernels.as.ts, compiled to kernels.wasm by `npm run build`).
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { EXP_TABLE } from '../../models/exp.js';

export interface KernelExports {
  expKernel(x: number): number;
  setExpTable(ptr: number): void;
  lifConductance(...args: number[]): number;
  lifCurrent(...args: number[]): number;
  lifEuler(...args: number[]): number;
  izhikevich(...args: number[]): number;
  adex(...args: number[]): number;
  propagate(spikes: number, count: number, start: number, end: number, targets: number, targetBytes: number, weights: number, dest: number): void;
  propagateDelayed(spikes: number, count: number, start: number, end: number, targets: number, targetBytes: number, weights: number, delays: number, delayBytes: number, ring: number, size: number, len: number, step: number, direct: number): void;
  drain(ring: number, off: number, dest: number, size: number): void;
}

const here = dirname(fileURLToPath(import.meta.url));
// From dist/engine/backends/wasm (built) or engine/backends/wasm (sources run by vitest).
const CANDIDATES = [join(here, 'kernels.wasm'), join(here, '..', '..', '..', 'dist', 'engine', 'backends', 'wasm', 'kernels.wasm'), join(here, '..', '..', '..', '..', 'dist', 'engine', 'backends', 'wasm', 'kernels.wasm')];

let compiled: WebAssembly.Module | null | undefined;

export function kernelsPath(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

/** The compiled module, or null when kernels.wasm has not been built (the backend then runs the JS models). */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const path = kernelsPath();
    compiled = path ? new WebAssembly.Module(readFileSync(path)) : null;
  }
  return compiled;
}

export function instantiateKernels(memory: WebAssembly.Memory): KernelExports | null {
  const mod = kernelModule();
  if (!mod) return null;
  const instance = new WebAssembly.Instance(mod, {
    env: {
      memory,
      abort: (_m: number, _f: number, line: number, col: number) => {
        throw new Error(`wasm kernel abort at ${line}:${col}`);
      },
    },
  });
  const k = instance.exports as unknown as KernelExports;
  return k;
}

/** Gives the kernels the exp table the JavaScript models use (written at the start of the arena). */
export function shareExpTable(k: KernelExports, arena: { alloc: (c: Float64ArrayConstructor, n: number, set: (v: Float64Array) => void, init?: ArrayLike<number>) => Float64Array }): [string, number[]][] {
  const table = arena.alloc(Float64Array, EXP_TABLE.length, (v) => k.setExpTable(v.byteOffset), EXP_TABLE);
  // The same call, for other instances of the kernels (kernel threads).
  return [['setExpTable', [table.byteOffset]]];
}
