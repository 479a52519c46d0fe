// LIF (engine/models/lif.ts): exact propagators with current synapses, exponential Euler with
// conductances, forward Euler when the population chose `integration: euler`. Constants come from
// lifConstants() computed in float64 on the host; modulation (gain, threshold, excitability) is applied here.
// Constants at pb + P_K: mode (0 current, 1 conductance, 2 euler), gL, el, ee, ei, vth, vreset, bias,
// refracSteps, dt/cm, pm, pc, pe, pi (pe and pi without the gain).

fn modelStep(pb: u32, pop: u32, i: u32, g: u32, sb: u32, n: u32, iext: f32, step: u32) -> bool {
  let k = pb + P_K;
  if (refrac[g] > 0) {
    refrac[g] -= 1;
    return false;
  }
  let m = modOf(pop);
  let mode = pu(k);
  let gL = pf(k + 1u);
  let el = pf(k + 2u);
  let ee = pf(k + 3u);
  let ei = pf(k + 4u);
  let vth = pf(k + 5u) + m.shift;
  let bias = pf(k + 7u) + m.excitability;
  let nv = pu(pb + P_NVARS);
  let v = st[sb + i];
  let ie = st[chan(sb, nv, n, CH_IE, i)];
  let ii = st[chan(sb, nv, n, CH_II, i)];
  let ge = st[chan(sb, nv, n, CH_GE, i)] * m.gain;
  let gi = st[chan(sb, nv, n, CH_GI, i)] * m.gain;
  var vn: f32;
  if (mode == 2u) {
    let current = bias + iext + m.gain * (ie - ii);
    vn = v + pf(k + 9u) * (gL * (el - v) + ge * (ee - v) + gi * (ei - v) + current);
  } else if (mode == 1u) {
    let current = bias + iext + m.gain * (ie - ii);
    let gtot = gL + ge + gi;
    let vinf = (gL * el + ge * ee + gi * ei + current) / gtot;
    vn = vinf + (v - vinf) * exp(-pf(k + 9u) * gtot);
  } else {
    vn = el + (v - el) * pf(k + 10u) + (bias + iext) * pf(k + 11u) + m.gain * (ie * pf(k + 12u) - ii * pf(k + 13u));
  }
  if (vn >= vth) {
    st[sb + i] = pf(k + 6u);
    refrac[g] = i32(pu(k + 8u));
    return true;
  }
  st[sb + i] = vn;
  return false;
}
