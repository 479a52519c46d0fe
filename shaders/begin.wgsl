// Start of a step: clear the spike counts and turn modulator levels (plus pending reward pulses) into
// their effects: gain, threshold shift and excitability per population, learning-rate factor per
// projection (step phase 2). One small workgroup: a circuit has few modulators.

@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<u32>;
@group(0) @binding(5) var<storage, read_write> fl: array<f32>;

@compute @workgroup_size(64)
fn begin(@builtin(local_invocation_index) t: u32) {
  let npops = pu(H_NPOPS);
  for (var p = t; p < npops; p += 64u) { ctl[C_COUNTS + p] = 0u; }
  if (t != 0u) { return; }
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
