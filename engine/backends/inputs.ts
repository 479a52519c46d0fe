// Named inputs, shared by every backend: checking a value handed to setInput, and the drive that
// input sources give a modulator (so both backends agree to the last bit on what an input means).
import type { Circuit, ModulatorSpec } from '../circuit/circuit.js';

export type InputValue = number | Float64Array;

/** One number, or one finite value per neuron of the input's target population. */
export function checkInput(
  circuit: Circuit,
  name: string,
  value: number | ArrayLike<number>,
  sizeOf: (population: string) => number,
): InputValue {
  const spec = circuit.inputs.find((i) => i.name === name);
  if (!spec) throw new Error(`no input "${name}"; known: ${circuit.inputs.map((i) => i.name).join(', ') || '(none)'}`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`input "${name}": value must be finite, got ${value}`);
    return value;
  }
  if (spec.target === null) throw new Error(`input "${name}" is a signal (no target population): give one number`);
  const size = sizeOf(spec.target);
  if (value.length !== size)
    throw new Error(`input "${name}": expected ${size} values (one per neuron of ${spec.target}), got ${value.length}`);
  const arr = Float64Array.from(value);
  // A loop, not arr.some(): a callback per value boxed each one (the robot loop's garbage, 50 times a second).
  for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) throw new Error(`input "${name}": values must be finite`);
  return arr;
}

/** The level a modulator relaxes towards: baseline, constant sources, and inputs (a vector's mean). */
export function modulatorDrive(spec: ModulatorSpec, inputs: Map<string, InputValue>): number {
  let drive = spec.baseline;
  for (const s of spec.sources) {
    if (s.kind === 'constant') drive += s.value;
    else if (s.kind === 'input') {
      const v = inputs.get(s.input);
      drive += s.gain * (typeof v === 'number' ? v : v ? mean(v) : 0);
    }
  }
  return drive;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : 0;
}
