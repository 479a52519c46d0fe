// AdEx (engine/models/adex.ts): forward Euler on v and w, exponent capped at 30.
// Constants at pb + P_K: cm, g_l, e_l, v_t, delta_t, a, b, tau_w, v_reset, v_peak, e_rev_exc,
// e_rev_inh, i_offset, dt, refracSteps. State: v, w.

fn modelStep(pb: u32, pop: u32, i: u32, g: u32, sb: u32, n: u32, iext: f32, step: u32) -> bool {
  let k = pb + P_K;
  let m = modOf(pop);
  let nv = pu(pb + P_NVARS);
  let v = st[sb + i];
  let w = st[sb + n + i];
  let dt = pf(k + 13u);
  let e_l = pf(k + 2u);
  var wn = w + (dt / pf(k + 7u)) * (pf(k + 5u) * (v - e_l) - w);
  var spiked = false;
  if (refrac[g] > 0) {
    refrac[g] -= 1;
  } else {
    let ee = pf(k + 10u);
    let ei = pf(k + 11u);
    let syn = st[chan(sb, nv, n, CH_IE, i)] - st[chan(sb, nv, n, CH_II, i)] + st[chan(sb, nv, n, CH_GE, i)] * (ee - v) + st[chan(sb, nv, n, CH_GI, i)] * (ei - v);
    let current = pf(k + 12u) + m.excitability + iext + m.gain * syn;
    let gl = pf(k + 1u);
    let dT = pf(k + 4u);
    let expo = exp(min((v - pf(k + 3u)) / dT, 30.0));
    let vn = v + (dt / pf(k)) * (-gl * (v - e_l) + gl * dT * expo - w + current);
    if (vn >= pf(k + 9u) + m.shift) {
      st[sb + i] = pf(k + 8u);
      wn += pf(k + 6u);
      refrac[g] = i32(pu(k + 14u));
      spiked = true;
    } else {
      st[sb + i] = vn;
    }
  }
  st[sb + n + i] = wn;
  return spiked;
}
