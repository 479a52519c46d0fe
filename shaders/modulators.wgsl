// Modulator effects (step phase 2), shared by begin.wgsl (first step of a chunk, after the host's
// reward pulses) and end-step.wgsl (the next step, computed at the end of this one). Runs on one thread.

fn modulatorEffects() {
  let npops = pu(H_NPOPS);
  let lv = pu(H_F_LEVEL);
  let eff = pu(H_F_EFF);
  let lr = pu(H_F_LR);
  for (var p = 0u; p < npops; p += 1u) {
    fl[eff + 3u * p] = 1.0;
    fl[eff + 3u * p + 1u] = 0.0;
    fl[eff + 3u * p + 2u] = 0.0;
  }
  for (var q = 0u; q < pu(H_NPROJ); q += 1u) { fl[lr + q] = 1.0; }
  for (var m = 0u; m < pu(H_NMODS); m += 1u) {
    let pulse = pu(H_F_PULSE) + m;
    fl[lv + m] += fl[pulse];
    fl[pulse] = 0.0;
    let level = fl[lv + m];
    let r = pu(H_MOD0) + 8u * m;
    let t0 = pu(r + 3u);
    for (var k = 0u; k < pu(r + 4u); k += 1u) {
      let e = t0 + 3u * k;
      let kind = pu(e);
      let x = pf(e + 2u) * level;
      if (kind == 3u) {
        fl[lr + pu(e + 1u)] += x;
      } else {
        fl[eff + 3u * pu(e + 1u) + kind] += x;
      }
    }
  }
  for (var p = 0u; p < npops; p += 1u) { fl[eff + 3u * p] = max(fl[eff + 3u * p], 0.0); }
}
