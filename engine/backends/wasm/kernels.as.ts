// AssemblyScript kernels of the CPU backend's hot loops: neuron updates, spike propagation and
// delay-ring draining. Each is a transcription of the JavaScript reference in engine/models/*.ts and
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

@inline function decay(ie: usize, ii: usize, ge: usize, gi: usize, i: i32, de: f64, di: f64): void {
  f64set(ie, i, f64at(ie, i) * de);
  f64set(ii, i, f64at(ii, i) * di);
  f64set(ge, i, f64at(ge, i) * de);
  f64set(gi, i, f64at(gi, i) * di);
}

// ---- vector helpers (two neurons per f64x2; each lane does the scalar code's exact operations) ----

/** expDet on both lanes; lanes outside the fast range fall back to the scalar function. */
@inline function expDetV(x: v128): v128 {
  const lo = f64x2.lt(x, f64x2.splat(-708));
  const hi = f64x2.gt(x, f64x2.splat(709));
  const nan = f64x2.ne(x, x);
  if (v128.any_true(v128.or(v128.or(lo, hi), nan))) {
    return f64x2.replace_lane(f64x2.splat(expDet(f64x2.extract_lane(x, 0))), 1, expDet(f64x2.extract_lane(x, 1)));
  }
  const k = f64x2.floor(f64x2.add(f64x2.mul(x, f64x2.splat(INV_LN2_64)), f64x2.splat(0.5)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_64_HI))), f64x2.mul(k, f64x2.splat(LN2_64_LO)));
  const ki = i32x4.trunc_sat_f64x2_s_zero(k);
  const m = i32x4.shr_s(ki, 6);
  const j = i32x4.sub(ki, i32x4.shl(m, 6));
  const t0 = load<f64>(expTable + (<usize>i32x4.extract_lane(j, 0) << 3));
  const t1 = load<f64>(expTable + (<usize>i32x4.extract_lane(j, 1) << 3));
  const t = f64x2.replace_lane(f64x2.splat(t0), 1, t1);
  const r2 = f64x2.mul(r, r);
  // q = r + r2 * (0.5 + r * c3) + r2 * r2 * (c4 + r * c5), evaluated left to right as in the scalar code
  const b = f64x2.mul(r2, f64x2.add(f64x2.splat(0.5), f64x2.mul(r, f64x2.splat(1.6666666666666666e-1))));
  const c = f64x2.mul(f64x2.mul(r2, r2), f64x2.add(f64x2.splat(4.1666666666666664e-2), f64x2.mul(r, f64x2.splat(8.333333333333333e-3))));
  const q = f64x2.add(f64x2.add(r, b), c);
  const scale = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(m), i64x2.splat(1023)), 52);
  return f64x2.mul(f64x2.add(t, f64x2.mul(t, q)), scale);
}

/** Bit 0 of `inputs`: the population receives current synapses (ie, ii); bit 1: external current (iext). */
const CURRENT_SYNAPSES = 1;
const EXTERNAL_CURRENT = 2;

/**
 * bias + iext + gain * (ie - ii), skipping the arrays that are known to hold zeros (adding +0 or
 * gain * 0 changes no value, so this stays bit-identical to the scalar code).
 */
@inline function currentV(inputs: i32, vBias: v128, vGain: v128, ie: usize, ii: usize, iext: usize, o: usize): v128 {
  let c = vBias;
  if (inputs & EXTERNAL_CURRENT) c = f64x2.add(c, v128.load(iext + o));
  if (inputs & CURRENT_SYNAPSES) c = f64x2.add(c, f64x2.mul(vGain, f64x2.sub(v128.load(ie + o), v128.load(ii + o))));
  return c;
}

/** Decays a pair's channels; ge and gi come in as already loaded (stores may defeat reloading). */
@inline function decayV(inputs: i32, ie: usize, ii: usize, ge: usize, gi: usize, o: usize, geV: v128, giV: v128, de: v128, di: v128): void {
  if (inputs & CURRENT_SYNAPSES) {
    v128.store(ie + o, f64x2.mul(v128.load(ie + o), de));
    v128.store(ii + o, f64x2.mul(v128.load(ii + o), di));
  }
  v128.store(ge + o, f64x2.mul(geV, de));
  v128.store(gi + o, f64x2.mul(giV, di));
}

/**
 * Writes a pair's new potentials: a refractory lane keeps its potential and counts down, a lane that
 * crossed threshold resets and is recorded, the others take the new value (as the scalar code does).
 */
@inline function storeOrSpike(v: usize, refrac: usize, spikes: usize, i: i32, vOld: v128, vi: v128, vth: f64, vreset: f64, refracSteps: i32, count: i32): i32 {
  const rp = refrac + (<usize>i << 2);
  const r = v128.load64_zero(rp);
  const isRef32 = i32x4.gt_s(r, i32x4.splat(0));
  const isRef = i64x2.extend_low_i32x4_s(isRef32);
  // Without a spike (the common case) both lanes are written without branching: refractory lanes
  // keep their potential and count down (adding the all-ones mask subtracts 1).
  if (!v128.any_true(v128.andnot(f64x2.ge(vi, f64x2.splat(vth)), isRef))) {
    const vp = v + (<usize>i << 3);
    v128.store(vp, v128.bitselect(vOld, vi, isRef));
    v128.store64_lane(rp, i32x4.add(r, isRef32), 0);
    return count;
  }
  count = laneUpdate(v, refrac, spikes, i, i32x4.extract_lane(r, 0), f64x2.extract_lane(vi, 0), vth, vreset, refracSteps, count);
  return laneUpdate(v, refrac, spikes, i + 1, i32x4.extract_lane(r, 1), f64x2.extract_lane(vi, 1), vth, vreset, refracSteps, count);
}

/** Refractory countdown, or threshold and reset, of neuron i given its new potential (the scalar code's tail). */
@inline function laneUpdate(v: usize, refrac: usize, spikes: usize, i: i32, r: i32, vi: f64, vth: f64, vreset: f64, refracSteps: i32, count: i32): i32 {
  if (r > 0) {
    i32set(refrac, i, r - 1);
  } else if (vi >= vth) {
    f64set(v, i, vreset);
    i32set(refrac, i, refracSteps);
    i32set(spikes, count++, i);
  } else {
    f64set(v, i, vi);
  }
  return count;
}

// ---- LIF ----

@inline function lifConductanceOne(
  i: i32, count: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  gain: f64, gL: f64, el: f64, ee: f64, ei: f64, vth: f64, vreset: f64, bias: f64, de: f64, di: f64, refracSteps: i32, dtOverCm: f64,
): i32 {
  const r = i32at(refrac, i);
  let vi: f64 = 0;
  if (r <= 0) {
    const gei = f64at(ge, i) * gain;
    const gii = f64at(gi, i) * gain;
    const current = bias + f64at(iext, i) + gain * (f64at(ie, i) - f64at(ii, i));
    const gtot = gL + gei + gii;
    const vinf = (gL * el + gei * ee + gii * ei + current) / gtot;
    vi = vinf + (f64at(v, i) - vinf) * expDet(-dtOverCm * gtot);
  }
  count = laneUpdate(v, refrac, spikes, i, r, vi, vth, vreset, refracSteps, count);
  decay(ie, ii, ge, gi, i, de, di);
  return count;
}

@inline function conductancePair(
  i: i32, count: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  vGain: v128, vGL: v128, vGLEL: v128, vEE: v128, vEI: v128, vBias: v128, vNegK: v128, vDe: v128, vDi: v128, vth: f64, vreset: f64, refracSteps: i32, inputs: i32,
): i32 {
  const o = <usize>i << 3;
  const geV = v128.load(ge + o);
  const giV = v128.load(gi + o);
  const vv = v128.load(v + o);
  const gei = f64x2.mul(geV, vGain);
  const gii = f64x2.mul(giV, vGain);
  const current = currentV(inputs, vBias, vGain, ie, ii, iext, o);
  const gtot = f64x2.add(f64x2.add(vGL, gei), gii);
  const vinf = f64x2.div(f64x2.add(f64x2.add(f64x2.add(vGLEL, f64x2.mul(gei, vEE)), f64x2.mul(gii, vEI)), current), gtot);
  const vi = f64x2.add(vinf, f64x2.mul(f64x2.sub(vv, vinf), expDetV(f64x2.mul(vNegK, gtot))));
  count = storeOrSpike(v, refrac, spikes, i, vv, vi, vth, vreset, refracSteps, count);
  decayV(inputs, ie, ii, ge, gi, o, geV, giV, vDe, vDi);
  return count;
}

/** lif.ts, conductance branch (exponential Euler); pairs of neurons in f64x2 */
export function lifConductance(
  n: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  gain: f64, gL: f64, el: f64, ee: f64, ei: f64, vth: f64, vreset: f64, bias: f64, de: f64, di: f64, refracSteps: i32, dtOverCm: f64,
  inputs: i32,
): i32 {
  let count = 0;
  const vGain = f64x2.splat(gain);
  const vGL = f64x2.splat(gL);
  const vGLEL = f64x2.splat(gL * el);
  const vEE = f64x2.splat(ee);
  const vEI = f64x2.splat(ei);
  const vBias = f64x2.splat(bias);
  const vNegK = f64x2.splat(-dtOverCm);
  const vDe = f64x2.splat(de);
  const vDi = f64x2.splat(di);
  let i = 0;
  // Two pairs per iteration give the CPU two independent chains to overlap.
  for (; i + 3 < n; i += 4) {
    count = conductancePair(i, count, v, ie, ii, ge, gi, iext, refrac, spikes, vGain, vGL, vGLEL, vEE, vEI, vBias, vNegK, vDe, vDi, vth, vreset, refracSteps, inputs);
    count = conductancePair(i + 2, count, v, ie, ii, ge, gi, iext, refrac, spikes, vGain, vGL, vGLEL, vEE, vEI, vBias, vNegK, vDe, vDi, vth, vreset, refracSteps, inputs);
  }
  for (; i + 1 < n; i += 2) count = conductancePair(i, count, v, ie, ii, ge, gi, iext, refrac, spikes, vGain, vGL, vGLEL, vEE, vEI, vBias, vNegK, vDe, vDi, vth, vreset, refracSteps, inputs);
  for (; i < n; i++) count = lifConductanceOne(i, count, v, ie, ii, ge, gi, iext, refrac, spikes, gain, gL, el, ee, ei, vth, vreset, bias, de, di, refracSteps, dtOverCm);
  return count;
}

@inline function lifEulerOne(
  i: i32, count: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  gain: f64, gL: f64, el: f64, ee: f64, ei: f64, vth: f64, vreset: f64, bias: f64, de: f64, di: f64, refracSteps: i32, dtOverCm: f64,
): i32 {
  const r = i32at(refrac, i);
  let vi: f64 = 0;
  if (r <= 0) {
    const vv = f64at(v, i);
    const current = bias + f64at(iext, i) + gain * (f64at(ie, i) - f64at(ii, i));
    vi = vv + dtOverCm * (gL * (el - vv) + f64at(ge, i) * gain * (ee - vv) + f64at(gi, i) * gain * (ei - vv) + current);
  }
  count = laneUpdate(v, refrac, spikes, i, r, vi, vth, vreset, refracSteps, count);
  decay(ie, ii, ge, gi, i, de, di);
  return count;
}

@inline function eulerPair(
  i: i32, count: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  vGain: v128, vGL: v128, vEL: v128, vEE: v128, vEI: v128, vBias: v128, vK: v128, vDe: v128, vDi: v128, vth: f64, vreset: f64, refracSteps: i32, inputs: i32,
): i32 {
  const o = <usize>i << 3;
  const vv = v128.load(v + o);
  const geV = v128.load(ge + o);
  const giV = v128.load(gi + o);
  const current = currentV(inputs, vBias, vGain, ie, ii, iext, o);
  const leak = f64x2.mul(vGL, f64x2.sub(vEL, vv));
  const exc = f64x2.mul(f64x2.mul(geV, vGain), f64x2.sub(vEE, vv));
  const inh = f64x2.mul(f64x2.mul(giV, vGain), f64x2.sub(vEI, vv));
  const vi = f64x2.add(vv, f64x2.mul(vK, f64x2.add(f64x2.add(f64x2.add(leak, exc), inh), current)));
  count = storeOrSpike(v, refrac, spikes, i, vv, vi, vth, vreset, refracSteps, count);
  decayV(inputs, ie, ii, ge, gi, o, geV, giV, vDe, vDi);
  return count;
}

/** lif.ts, integration: euler (any synapse kind); pairs of neurons in f64x2 */
export function lifEuler(
  n: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  gain: f64, gL: f64, el: f64, ee: f64, ei: f64, vth: f64, vreset: f64, bias: f64, de: f64, di: f64, refracSteps: i32, dtOverCm: f64,
  inputs: i32,
): i32 {
  let count = 0;
  const vGain = f64x2.splat(gain);
  const vGL = f64x2.splat(gL);
  const vEL = f64x2.splat(el);
  const vEE = f64x2.splat(ee);
  const vEI = f64x2.splat(ei);
  const vBias = f64x2.splat(bias);
  const vK = f64x2.splat(dtOverCm);
  const vDe = f64x2.splat(de);
  const vDi = f64x2.splat(di);
  let i = 0;
  // Two pairs per iteration give the CPU two independent chains to overlap.
  for (; i + 3 < n; i += 4) {
    count = eulerPair(i, count, v, ie, ii, ge, gi, iext, refrac, spikes, vGain, vGL, vEL, vEE, vEI, vBias, vK, vDe, vDi, vth, vreset, refracSteps, inputs);
    count = eulerPair(i + 2, count, v, ie, ii, ge, gi, iext, refrac, spikes, vGain, vGL, vEL, vEE, vEI, vBias, vK, vDe, vDi, vth, vreset, refracSteps, inputs);
  }
  for (; i + 1 < n; i += 2) count = eulerPair(i, count, v, ie, ii, ge, gi, iext, refrac, spikes, vGain, vGL, vEL, vEE, vEI, vBias, vK, vDe, vDi, vth, vreset, refracSteps, inputs);
  for (; i < n; i++) count = lifEulerOne(i, count, v, ie, ii, ge, gi, iext, refrac, spikes, gain, gL, el, ee, ei, vth, vreset, bias, de, di, refracSteps, dtOverCm);
  return count;
}

/** lif.ts, current-only branch (exact propagators computed by the caller) */
export function lifCurrent(
  n: i32, v: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  el: f64, vth: f64, vreset: f64, bias: f64, pm: f64, pc: f64, pe: f64, pi: f64, de: f64, di: f64, refracSteps: i32,
): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = i32at(refrac, i);
    const vi = r > 0 ? 0 : el + (f64at(v, i) - el) * pm + (bias + f64at(iext, i)) * pc + f64at(ie, i) * pe - f64at(ii, i) * pi;
    count = laneUpdate(v, refrac, spikes, i, r, vi, vth, vreset, refracSteps, count);
    decay(ie, ii, ge, gi, i, de, di);
  }
  return count;
}

/** izhikevich.ts */
export function izhikevich(
  n: i32, v: usize, u: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, spikes: usize,
  gain: f64, a: f64, b: f64, c: f64, d: f64, peak: f64, ee: f64, ei: f64, bias: f64, dt: f64, de: f64, di: f64,
): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const vi = f64at(v, i);
    const ui = f64at(u, i);
    const current = bias + f64at(iext, i) + gain * (f64at(ie, i) - f64at(ii, i) + f64at(ge, i) * (ee - vi) + f64at(gi, i) * (ei - vi));
    let vn = vi + dt * (0.04 * vi * vi + 5 * vi + 140 - ui + current);
    let un = ui + dt * (a * (b * vi - ui));
    if (vn >= peak) {
      vn = c;
      un += d;
      i32set(spikes, count++, i);
    }
    f64set(v, i, vn);
    f64set(u, i, un);
    decay(ie, ii, ge, gi, i, de, di);
  }
  return count;
}

/** adex.ts */
export function adex(
  n: i32, v: usize, w: usize, ie: usize, ii: usize, ge: usize, gi: usize, iext: usize, refrac: usize, spikes: usize,
  gain: f64, cm: f64, gL: f64, el: f64, vt: f64, deltaT: f64, a: f64, b: f64, tauW: f64, vreset: f64, peak: f64,
  ee: f64, ei: f64, bias: f64, dt: f64, de: f64, di: f64, refracSteps: i32,
): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const vi = f64at(v, i);
    const wi = f64at(w, i);
    let wn = wi + (dt / tauW) * (a * (vi - el) - wi);
    const r = i32at(refrac, i);
    if (r > 0) {
      i32set(refrac, i, r - 1);
    } else {
      const current = bias + f64at(iext, i) + gain * (f64at(ie, i) - f64at(ii, i) + f64at(ge, i) * (ee - vi) + f64at(gi, i) * (ei - vi));
      const expo = expDet(Math.min((vi - vt) / deltaT, 30));
      const vn = vi + (dt / cm) * (-gL * (vi - el) + gL * deltaT * expo - wi + current);
      if (vn >= peak) {
        f64set(v, i, vreset);
        wn += b;
        i32set(refrac, i, refracSteps);
        i32set(spikes, count++, i);
      } else {
        f64set(v, i, vn);
      }
    }
    f64set(w, i, wn);
    decay(ie, ii, ge, gi, i, de, di);
  }
  return count;
}

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
