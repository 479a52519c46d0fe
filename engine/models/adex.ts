// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005). Forward Euler on v and w
// (the exponential term has no closed form); the exponent is capped so a spike in progress cannot
// overflow to Infinity before it is detected. Defaults are the paper's regular-spiking set.
import { type NeuronModel, SYNAPTIC_PARAMS, channelConstants } from './model.js';
import { expDet } from '../equations/exp.js';

export const adex: NeuronModel = {
  name: 'adex',
  doc: 'Adaptive exponential integrate-and-fire (Brette & Gerstner 2005)',
  integration: 'forward Euler on v and w simultaneously; channels decay exactly',
  params: {
    cm: { dimension: 'capacitance', default: 281, exclusiveMin: 0, doc: 'membrane capacitance' },
    g_l: { dimension: 'conductance', default: 30, exclusiveMin: 0, doc: 'leak conductance' },
    e_l: { dimension: 'voltage', default: -70.6, doc: 'leak reversal potential' },
    v_t: { dimension: 'voltage', default: -50.4, doc: 'exponential threshold' },
    delta_t: { dimension: 'voltage', default: 2, exclusiveMin: 0, doc: 'slope factor' },
    a: { dimension: 'conductance', default: 4, doc: 'subthreshold adaptation' },
    b: { dimension: 'current', default: 80.5, doc: 'spike-triggered adaptation' },
    tau_w: { dimension: 'time', default: 144, exclusiveMin: 0, doc: 'adaptation time constant' },
    v_reset: { dimension: 'voltage', default: -70.6, doc: 'reset potential' },
    v_peak: { dimension: 'voltage', default: 0, doc: 'spike detection (v >= v_peak)' },
    tau_refrac: { dimension: 'time', default: 0, min: 0, doc: 'refractory period (v clamped at v_reset)' },
    ...SYNAPTIC_PARAMS,
  },
  state: {
    v: { dimension: 'voltage', doc: 'membrane potential', init: (p) => p.e_l },
    w: { dimension: 'current', doc: 'adaptation current', init: () => 0 },
  },
  voltage: 'v',
  step(p, s, dt, spikes) {
    const v = s.vars.v;
    const w = s.vars.w;
    const { ie, ii, ge, gi, iext, refrac, n } = s;
    const { gain, bias, de, di } = channelConstants(p, s, dt);
    const { cm, g_l, e_l, v_t, delta_t, a, b, tau_w, v_reset } = p;
    const peak = p.v_peak + s.mod.thresholdShift;
    const ee = p.e_rev_exc;
    const ei = p.e_rev_inh;
    const refracSteps = Math.round(p.tau_refrac / dt);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const vi = v[i];
      const wi = w[i];
      let wn = wi + (dt / tau_w) * (a * (vi - e_l) - wi);
      if (refrac[i] > 0) {
        refrac[i]--;
      } else {
        const current = bias + iext[i] + gain * (ie[i] - ii[i] + ge[i] * (ee - vi) + gi[i] * (ei - vi));
        const expo = expDet(Math.min((vi - v_t) / delta_t, 30));
        const vn = vi + (dt / cm) * (-g_l * (vi - e_l) + g_l * delta_t * expo - wi + current);
        if (vn >= peak) {
          v[i] = v_reset;
          wn += b;
          refrac[i] = refracSteps;
          spikes[count++] = i;
        } else {
          v[i] = vn;
        }
      }
      w[i] = wn;
      ie[i] *= de;
      ii[i] *= di;
      ge[i] *= de;
      gi[i] *= di;
    }
    return count;
  },
};
