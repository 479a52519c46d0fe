// Plasticity (step phase 6), engine/plasticity/stdp.ts on the GPU, as functions that stdp.wgsl runs as
// dispatches and resident.wgsl inside its loop over steps. Per step: `decay` the traces; `pre`:
// for each presynaptic spike depress its row by the postsynaptic traces, then set the presynaptic
// trace; `post`: for each postsynaptic spike potentiate its column by the presynaptic traces (this
// step's included), then set the postsynaptic trace; `eligibility` (reward STDP) turns eligibility
// into weight change with the gating modulator's level and decays it. Each synapse is written by one
// thread per pass, so no atomics are needed.
// It uses prm, spikes, rowPtr, syn, wt, pl, col, fl and work (shaders/bindings.wgsl places them).

fn plastRec(p: u32) -> u32 { return pu(H_PLAST0) + LSTRIDE * p; }
fn projRec(s: u32) -> u32 { return pu(H_PROJ0) + PRSTRIDE * pu(s + L_PROJ); }
fn lrScale(s: u32) -> f32 { return max(fl[pu(H_F_LR) + pu(s + L_PROJ)], 0.0); }

/** Finds the plastic projection whose work range [pfx[p], pfx[p+1]) holds t. */
fn findRange(base: u32, n: u32, t: u32) -> u32 {
  var lo = 0u;
  var hi = n - 1u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (work[base + mid] <= t) { lo = mid; } else { hi = mid - 1u; }
  }
  return lo;
}

/** Trace t of every plastic projection's presynaptic, then postsynaptic traces, in order: decays. */
fn decayTrace(t0: u32) {
  var t = t0;
  for (var p = 0u; p < pu(H_NPLASTIC); p += 1u) {
    let s = plastRec(p);
    let npre = pu(s + L_NPRE);
    let npost = pu(s + L_NPOST);
    if (t < npre) { fl[pu(H_PL_AT) + pu(s + L_X) + t] *= pf(s + L_DPLUS); return; }
    t -= npre;
    if (t < npost) { fl[pu(H_PL_AT) + pu(s + L_Y) + t] *= pf(s + L_DMINUS); return; }
    t -= npost;
  }
}


/** The pre pass's work items first, first + stride, ... (prefix sums in work, args.wgsl / sumAllWork). */
fn preItems(first: u32, stride: u32) {
  let np = pu(H_NPLASTIC);
  let base = W_PFX + pu(H_NPROJ) + 1u;
  let total = work[base + np];
  for (var t = first; t < total; t += stride) {
    let p = findRange(base, np, t);
    let s = plastRec(p);
    let r = projRec(s);
    let maxRow = max(pu(r + R_MAXROW), 1u);
    let local = t - work[base + p];
    let i = work[pu(H_SPIKES_AT) + pu(popBase(pu(r + R_SRC)) + P_OFFSET) + local / maxRow];
    let pos = local % maxRow;
    let row = pu(r + R_ROWBASE) + i;
    let k = conn[row] + pos;
    if (k < conn[row + 1u]) {
      let y = fl[pu(H_PL_AT) + pu(s + L_Y) + syn[k]];
      if (y != 0.0) {
        let flags = pu(s + L_FLAGS);
        let w = fl[pu(H_WT_AT) + k];
        let wmax = pf(s + L_WMAX);
        let wmin = pf(s + L_WMIN);
        var dw = pf(s + L_AMINUS) * y;
        if ((flags & 2u) != 0u) { dw *= w; } else { dw *= wmax; }
        if ((flags & 1u) != 0u) { dw *= (w - wmin) / select(wmax - wmin, 1.0, wmax == wmin); }
        let e = pu(s + L_ELIG);
        if (e != NONE) {
          fl[pu(H_PL_AT) + e + k - pu(r + R_SYN)] -= dw;
        } else {
          fl[pu(H_WT_AT) + k] = clamp(w - lrScale(s) * dw, wmin, wmax);
        }
      }
    }
    if (pos == 0u) {
      let x = pu(s + L_X) + i;
      if ((pu(s + L_FLAGS) & 4u) != 0u) { fl[pu(H_PL_AT) + x] += 1.0; } else { fl[pu(H_PL_AT) + x] = 1.0; }
    }
  }
}


/** The post pass's work items first, first + stride, .... */
fn postItems(first: u32, stride: u32) {
  let np = pu(H_NPLASTIC);
  let base = W_PFX + pu(H_NPROJ) + 1u + np + 1u;
  let total = work[base + np];
  for (var t = first; t < total; t += stride) {
    let p = findRange(base, np, t);
    let s = plastRec(p);
    let r = projRec(s);
    let maxCol = max(pu(s + L_MAXCOL), 1u);
    let local = t - work[base + p];
    let j = work[pu(H_SPIKES_AT) + pu(popBase(pu(r + R_TGT)) + P_OFFSET) + local / maxCol];
    let pos = local % maxCol;
    let c = pu(s + L_COLPTR) + j;
    let q = conn[pu(H_COL_AT) + c] + pos;
    if (q < conn[pu(H_COL_AT) + c + 1u]) {
      let k = conn[pu(H_COL_AT) + 2u * q];
      let x = fl[pu(H_PL_AT) + pu(s + L_X) + conn[pu(H_COL_AT) + 2u * q + 1u]];
      if (x != 0.0) {
        let w = fl[pu(H_WT_AT) + k];
        let wmax = pf(s + L_WMAX);
        let wmin = pf(s + L_WMIN);
        var dw = pf(s + L_APLUS) * x;
        if ((pu(s + L_FLAGS) & 1u) != 0u) { dw *= (wmax - w) / select(wmax - wmin, 1.0, wmax == wmin); }
        let e = pu(s + L_ELIG);
        if (e != NONE) {
          fl[pu(H_PL_AT) + e + k - pu(r + R_SYN)] += dw;
        } else {
          fl[pu(H_WT_AT) + k] = clamp(w + lrScale(s) * dw, wmin, wmax);
        }
      }
    }
    if (pos == 0u) {
      let y = pu(s + L_Y) + j;
      if ((pu(s + L_FLAGS) & 4u) != 0u) { fl[pu(H_PL_AT) + y] += 1.0; } else { fl[pu(H_PL_AT) + y] = 1.0; }
    }
  }
}


/** Eligibility trace t of the reward-STDP projections, in order: weight change and decay. */
fn eligibilityItem(t0: u32) {
  var t = t0;
  for (var p = 0u; p < pu(H_NPLASTIC); p += 1u) {
    let s = plastRec(p);
    let e = pu(s + L_ELIG);
    if (e == NONE) { continue; }
    let n = pu(s + L_NSYN);
    if (t >= n) { t -= n; continue; }
    let ei = e + t;
    let x = fl[pu(H_PL_AT) + ei];
    let m = pu(s + L_MOD);
    var level = 0.0;
    if (m != NONE) { level = fl[pu(H_F_LEVEL) + m]; }
    let gain = pf(s + L_LRDT) * lrScale(s) * level;
    if (x != 0.0 && gain != 0.0) {
      let k = pu(projRec(s) + R_SYN) + t;
      fl[pu(H_WT_AT) + k] = clamp(fl[pu(H_WT_AT) + k] + gain * x, pf(s + L_WMIN), pf(s + L_WMAX));
    }
    fl[pu(H_PL_AT) + ei] = x * pf(s + L_EDECAY);
    return;
  }
}

/** Traces of every plastic projection (decayTrace's range). */
fn traceCount() -> u32 {
  var n = 0u;
  for (var p = 0u; p < pu(H_NPLASTIC); p += 1u) { n += pu(plastRec(p) + L_NPRE) + pu(plastRec(p) + L_NPOST); }
  return n;
}

/** Eligibility traces of every reward-STDP projection (eligibilityItem's range). */
fn eligibilityCount() -> u32 {
  var n = 0u;
  for (var p = 0u; p < pu(H_NPLASTIC); p += 1u) {
    if (pu(plastRec(p) + L_ELIG) != NONE) { n += pu(plastRec(p) + L_NSYN); }
  }
  return n;
}
