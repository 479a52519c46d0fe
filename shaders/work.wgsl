// The spike-driven work of a projection this step: (spikes of its source) x (longest row), with the
// overflow checks of the prefix sums over projections (args.wgsl; propagate.wgsl when it sums them
// itself). Reads the counts in ctl, which the including kernel binds (atomic).

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
