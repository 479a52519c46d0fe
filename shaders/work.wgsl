// The spike-driven work of a projection this step: (spikes of its source) x (longest row), with the
// overflow checks of the prefix sums over projections (args.wgsl; propagate.wgsl when it sums them
// itself). Reads the counts in ctl (atomic).

/** a * b, or the error flag and 0 when it does not fit in u32. */
fn mulChecked(a: u32, b: u32) -> u32 {
  if (b != 0u && a > 0xffffffffu / b) {
    atomicStore(&ctl[C_ERROR], 1u);
    return 0u;
  }
  return a * b;
}

fn addChecked(a: u32, b: u32) -> u32 {
  if (a > 0xffffffffu - b) {
    atomicStore(&ctl[C_ERROR], 1u);
    return a;
  }
  return a + b;
}

/** Propagation work of projection q: one item per (spike of its source, position in the longest row), counts of parity p. */
fn projectionWork(q: u32, p: u32) -> u32 {
  let r = pu(H_PROJ0) + PRSTRIDE * q;
  return mulChecked(atomicLoad(&ctl[countWord(p, pu(r + R_SRC))]), max(pu(r + R_MAXROW), 1u));
}

/**
 * Prefix sums over projections of this step's propagation work, then of the plastic projections'
 * pre and post work (parity-0 counts: never in an END_STEP circuit). args.wgsl runs it as a dispatch
 * of one thread; resident.wgsl on its thread 0. The including kernel binds work.
 */
fn sumAllWork() {
  let nproj = pu(H_NPROJ);
  var total = 0u;
  for (var q = 0u; q < nproj; q += 1u) {
    work[W_PFX + q] = total;
    total = addChecked(total, projectionWork(q, 0u));
  }
  work[W_PFX + nproj] = total;
  let np = pu(H_NPLASTIC);
  let pre0 = W_PFX + nproj + 1u;
  let post0 = pre0 + np + 1u;
  var tpre = 0u;
  var tpost = 0u;
  for (var p = 0u; p < np; p += 1u) {
    let s = pu(H_PLAST0) + LSTRIDE * p;
    let r = pu(H_PROJ0) + PRSTRIDE * pu(s + L_PROJ);
    work[pre0 + p] = tpre;
    work[post0 + p] = tpost;
    // The pre pass has the projection's propagation work: one item per (spike, position in the longest row).
    tpre = addChecked(tpre, projectionWork(pu(s + L_PROJ), 0u));
    tpost = addChecked(tpost, mulChecked(atomicLoad(&ctl[countWord(0u, pu(r + R_TGT))]), max(pu(s + L_MAXCOL), 1u)));
  }
  work[pre0 + np] = tpre;
  work[post0 + np] = tpost;
}
