// Izhikevich 2003 (engine/models/izhikevich.ts): forward Euler on v and u from their start-of-step values.
// Constants at pb + P_K: a, b, c, d, v_peak, e_rev_exc, e_rev_inh, i_offset, dt. State: v, u.

fn modelStep(pb: u32, pop: u32, i: u32, g: u32, sb: u32, n: u32, iext: f32, step: u32) -> bool {
  let k = pb + P_K;
  let m = modOf(pop);
  let nv = pu(pb + P_NVARS);
  let v = st[sb + i];
  let u = st[sb + n + i];
  let dt = pf(k + 8u);
  let ee = pf(k + 5u);
  let ei = pf(k + 6u);
  let syn = st[chan(sb, nv, n, CH_IE, i)] - st[chan(sb, nv, n, CH_II, i)] + st[chan(sb, nv, n, CH_GE, i)] * (ee - v) + st[chan(sb, nv, n, CH_GI, i)] * (ei - v);
  let current = pf(k + 7u) + m.excitability + iext + m.gain * syn;
  var vn = v + dt * (0.04 * v * v + 5.0 * v + 140.0 - u + current);
  var un = u + dt * (pf(k) * (pf(k + 1u) * v - u));
  var spiked = false;
  if (vn >= pf(k + 4u) + m.shift) {
    vn = pf(k + 2u);
    un += pf(k + 3u);
    spiked = true;
  }
  st[sb + i] = vn;
  st[sb + n + i] = un;
  return spiked;
}
