// The end of a step (phases 8-9) and the start of the next, shared by advance.wgsl and begin.wgsl
// (one dispatch each), the first workgroup of propagate.wgsl or drain.wgsl (END_STEP) and
// resident.wgsl (inside its loop over steps). It uses prm,
// ctl, fl, st and out (shaders/bindings.wgsl), and the including kernel includes modulators.wgsl. `wg` is the workgroup's size (a power of
// two, from SUM_LANES to PARTIAL); both functions hold barriers and are called in uniform control flow.

const PARTIAL: u32 = 1024u;
const SUM_LANES: u32 = 256u;
var<workgroup> partial: array<f32, PARTIAL>;

/**
 * The end of a step of parity cur, with the next step's counts and counter at parity next (the same
 * parity, but where it runs in the propagation or drain dispatch, whose other workgroups still read this step's).
 * Modulator levels decay towards their drive and take this step's spikes, outputs update (rate EMA,
 * spike count, mean membrane potential), per-step spike counts and state probes go to the readback
 * rows, and the step counters advance. Then the next step's start: spike counts cleared and modulator
 * effects computed (modulators.wgsl).
 */
fn endStep(t: u32, wg: u32, cur: u32, next: u32) {
  let npops = pu(H_NPOPS);
  let chunk = atomicLoad(&ctl[C_CHUNK]);
  // Readback rows: spike counts per population, then probe values (f32 bits), one row per step of the chunk.
  let np = pu(H_NPROBE);
  let row = chunk * (npops + np);
  for (var p = t; p < npops; p += wg) { work[pu(H_OUT_AT) + row + p] = atomicLoad(&ctl[countWord(cur, p)]); }
  let p0 = pu(H_PROBE0);
  for (var j = t; j < np; j += wg) { work[pu(H_OUT_AT) + row + npops + j] = bitcast<u32>(st[pu(p0 + j)]); }
  let dt = pf(H_DT);
  for (var o = 0u; o < pu(H_NOUTS); o += 1u) {
    let r = pu(H_OUT0) + 4u * o;
    let pop = pu(r + 1u);
    let pb = popBase(pop);
    let n = pu(pb + P_SIZE);
    let fo = pu(H_F_OUT) + o;
    let measure = pu(r);
    if (measure == 2u) {
      // Mean membrane potential: a workgroup reduction over the population. Always 256 partial sums,
      // whatever the workgroup's size, so that a float sum is grouped alike in every kernel (the rest
      // of the tree adds zeros).
      var sum = 0.0;
      let sb = pu(pb + P_STATE) + pu(r + 3u) * n;
      if (t < SUM_LANES) {
        for (var i = t; i < n; i += SUM_LANES) { sum += st[sb + i]; }
      }
      partial[t] = sum;
      workgroupBarrier();
      for (var w = wg / 2u; w > 0u; w /= 2u) {
        if (t < w) { partial[t] += partial[t + w]; }
        workgroupBarrier();
      }
      if (t == 0u) { fl[fo] = partial[0] / f32(n); }
      workgroupBarrier();
    } else if (t == 0u) {
      let count = f32(atomicLoad(&ctl[countWord(cur, pop)]));
      if (measure == 1u) {
        fl[fo] = count;
      } else {
        fl[fo] += (count / f32(n) * (1000.0 / dt) - fl[fo]) * pf(r + 2u);
      }
    }
  }
  if (t == 0u) {
    let lv = pu(H_F_LEVEL);
    for (var m = 0u; m < pu(H_NMODS); m += 1u) {
      let r = pu(H_MOD0) + 8u * m;
      let drive = fl[pu(H_F_DRIVE) + m];
      var kick = 0.0;
      let k0 = pu(r + 1u);
      for (var k = 0u; k < pu(r + 2u); k += 1u) { kick += pf(k0 + 2u * k + 1u) * f32(atomicLoad(&ctl[countWord(cur, pu(k0 + 2u * k))])); }
      fl[lv + m] = drive + (fl[lv + m] - drive) * pf(r) + kick;
    }
  }
  // Every thread has read the counts and ctl[C_CHUNK] before they change.
  storageBarrier();
  for (var p = t; p < npops; p += wg) { atomicStore(&ctl[countWord(next, p)], 0u); }
  if (t == 0u) {
    modulatorEffects();
    atomicStore(&ctl[stepWord(next)], atomicLoad(&ctl[stepWord(cur)]) + 1u);
    atomicStore(&ctl[C_CHUNK], chunk + 1u);
  }
}

/** The start of a chunk's first step (parity cur): spike counts cleared and modulator effects, with the host's reward pulses. */
fn startChunk(t: u32, wg: u32, cur: u32) {
  for (var p = t; p < pu(H_NPOPS); p += wg) { atomicStore(&ctl[countWord(cur, p)], 0u); }
  if (t == 0u) { modulatorEffects(); }
}
