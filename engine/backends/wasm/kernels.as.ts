// AssemblyScript kernels of the CPU backend's hot loops that do not depend on the model: spike
// propagation and delay-ring draining (neuron updates are generated from the models' definitions,
// engine/equations/codegen-wasm.ts). Each is a transcription of the JavaScript reference in
// engine/backends/cpu.ts with the same operations in the same order, so results are bit-identical
// (WebAssembly f64 arithmetic is IEEE 754 without fused multiply-add, like V8's); tests/wasm-kernels
// checks that. Arrays are passed as byte offsets into the memory the backend owns.
// Built by `npm run build` (asc) into dist/engine/backends/wasm/kernels.wasm.

// ---- exp, identical to engine/equations/exp.ts (the table is written by JavaScript: setExpTable) ----
const LN2_64_HI: f64 = 6.93147180369123816490e-1 / 64;
const LN2_64_LO: f64 = 1.90821492927058770002e-10 / 64;
const INV_LN2_64: f64 = 64 / 0.6931471805599453;
let expTable: usize = 0;

export function setExpTable(ptr: usize): void {
  expTable = ptr;
}

@inline function expDet(x: f64): f64 {
  if (x < -708) return 0;
  if (x > 709) return Infinity;
  if (x != x) return x;
  const k = Math.floor(x * INV_LN2_64 + 0.5);
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const ki = <i64>k;
  const m = ki >> 6;
  const j = ki - (m << 6);
  const r2 = r * r;
  const q = r + r2 * (0.5 + r * 1.6666666666666666e-1) + r2 * r2 * (4.1666666666666664e-2 + r * 8.333333333333333e-3);
  const t = load<f64>(expTable + (<usize>j << 3));
  return (t + t * q) * reinterpret<f64>((m + 1023) << 52);
}

export function expKernel(x: f64): f64 {
  return expDet(x);
}

@inline function f64at(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline function f64set(base: usize, i: i32, x: f64): void {
  store<f64>(base + (<usize>i << 3), x);
}
@inline function i32at(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function i32set(base: usize, i: i32, x: i32): void {
  store<i32>(base + (<usize>i << 2), x);
}

// ---- spikes ----

/**
 * cpu.ts propagate(), uniform delay: dest is the channel or the ring slot. Row i runs over synapses
 * [start[i], end[i]): start = rowPtr and end = rowPtr + 1 element for whole rows; with two threads each
 * takes the part of every row whose targets fall in its half (rows are sorted by target).
 */
export function propagate(spikes: usize, count: i32, start: usize, end: usize, targets: usize, targetBytes: i32, weights: usize, dest: usize): void {
  // Two loops rather than a branch per synapse on the index width.
  if (targetBytes == 2) {
    for (let s = 0; s < count; s++) {
      const i = i32at(spikes, s);
      const stop = i32at(end, i);
      for (let k = i32at(start, i); k < stop; k++) {
        const t = <usize>load<u16>(targets + (<usize>k << 1)) << 3;
        store<f64>(dest + t, load<f64>(dest + t) + <f64>load<f32>(weights + (<usize>k << 2)));
      }
    }
    return;
  }
  for (let s = 0; s < count; s++) {
    const i = i32at(spikes, s);
    const stop = i32at(end, i);
    for (let k = i32at(start, i); k < stop; k++) {
      const t = <usize>load<u32>(targets + (<usize>k << 2)) << 3;
      store<f64>(dest + t, load<f64>(dest + t) + <f64>load<f32>(weights + (<usize>k << 2)));
    }
  }
}

/** cpu.ts propagate(), per-synapse delays (bytes: 1 for Uint8Array delays, 2 for Uint16Array) */
export function propagateDelayed(
  spikes: usize, count: i32, start: usize, end: usize, targets: usize, targetBytes: i32, weights: usize, delays: usize, delayBytes: i32,
  ring: usize, size: i32, len: i32, step: i32, direct: usize,
): void {
  for (let s = 0; s < count; s++) {
    const i = i32at(spikes, s);
    const stop = i32at(end, i);
    for (let k = i32at(start, i); k < stop; k++) {
      const d: i32 = delayBytes == 1 ? <i32>load<u8>(delays + <usize>k) : <i32>load<u16>(delays + (<usize>k << 1));
      const t = targetBytes == 2 ? <usize>load<u16>(targets + (<usize>k << 1)) : <usize>load<u32>(targets + (<usize>k << 2));
      const w = <f64>load<f32>(weights + (<usize>k << 2));
      const at = d == 0 ? direct + (t << 3) : ring + ((<usize>(((step + d) % len) * size) + t) << 3);
      store<f64>(at, load<f64>(at) + w);
    }
  }
}

/** cpu.ts drainRings(), one channel */
export function drain(ring: usize, off: i32, dest: usize, size: i32): void {
  for (let i = 0; i < size; i++) {
    const p = ring + (<usize>(off + i) << 3);
    const x = load<f64>(p);
    if (x != 0) {
      f64set(dest, i, f64at(dest, i) + x);
      store<f64>(p, 0);
    }
  }
}
