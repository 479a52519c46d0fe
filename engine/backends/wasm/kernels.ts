// Loads the AssemblyScript kernels (kernels.as.ts, compiled to kernels.wasm by `npm run build`): spike
// propagation and delay rings. Neuron updates are generated per model (engine/equations/codegen-wasm.ts).
import { EXP_TABLE } from '../../equations/exp.js';
import { host } from '../../platform/host.js';

type Kernel = (...args: number[]) => number;

export interface KernelExports {
  expKernel(x: number): number;
  setExpTable(ptr: number): void;
  /** (spikes, count, start, end, targets, targetBytes, weights, dest) */
  propagate: Kernel;
  /** (spikes, count, start, end, targets, targetBytes, weights, delays, delayBytes, ring, size, len, step, direct) */
  propagateDelayed: Kernel;
  drain(ring: number, off: number, dest: number, size: number): void;
}

/** A wasm export that is a function; its numeric arguments are what the kernel's build declares. */
const isKernel = (x: WebAssembly.ExportValue | undefined): x is Kernel => typeof x === 'function';

/** The instance's exports, checked once: every kernel Flux calls is there and is a function. */
function kernelExports(exports: WebAssembly.Exports): KernelExports {
  const fn = (name: string): Kernel => {
    const f = exports[name];
    if (!isKernel(f)) throw new Error(`kernels.wasm does not export the function ${name}: rebuild it (npm run build)`);
    return f;
  };
  return {
    expKernel: fn('expKernel'),
    setExpTable: fn('setExpTable'),
    propagate: fn('propagate'),
    propagateDelayed: fn('propagateDelayed'),
    drain: fn('drain'),
  };
}

/** Compiled once; not built is asked again (a page may give the engine its kernels after loading it). */
let compiled: WebAssembly.Module | null = null;

/** The compiled module, or null when kernels.wasm has not been built (the backend then runs the JS models). */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled === null) {
    const bytes = host().kernelsWasm();
    if (bytes) compiled = new WebAssembly.Module(bytes);
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
  return kernelExports(instance.exports);
}

/** Gives the kernels the exp table the JavaScript models use (written at the start of the arena). */
export function shareExpTable(
  k: KernelExports,
  arena: { alloc: (c: Float64ArrayConstructor, n: number, set: (v: Float64Array) => void, init?: ArrayLike<number>) => Float64Array },
): [string, number[]][] {
  const table = arena.alloc(Float64Array, EXP_TABLE.length, (v) => k.setExpTable(v.byteOffset), EXP_TABLE);
  // The same call, for other instances of the kernels (kernel threads).
  return [['setExpTable', [table.byteOffset]]];
}
