// Izhikevich (2003) simple model: v' = 0.04 v^2 + 5 v + 140 - u + I, u' = a (b v - u),
// spike when v >= v_peak, then v = c, u += d. Forward Euler with v and u advanced from their
// start-of-step values (as Brian2's 'euler' does), which the published pattern counts are checked against.
// Currents are in the model's own units (I = 10 gives the published patterns); synaptic channels add to I.
import { type NeuronModel, SYNAPTIC_PARAMS, channelConstants } from './model.js';

export const izhikevich: NeuronModel = {
  name: 'izhikevich',
  doc: 'Izhikevich (2003) simple spiking model; a, b, c, d select the firing pattern',
  integration: 'forward Euler on v and u simultaneously; channels decay exactly',
  params: {
    a: { dimension: 'dimensionless', default: 0.02, doc: 'recovery time scale (1/ms)' },
    b: { dimension: 'dimensionless', default: 0.2, doc: 'recovery sensitivity to v' },
    c: { dimension: 'voltage', default: -65, doc: 'reset potential' },
    d: { dimension: 'dimensionless', default: 8, doc: 'recovery increment at a spike' },
    v_peak: { dimension: 'voltage', default: 30, doc: 'spike cut-off (v >= v_peak)' },
    ...SYNAPTIC_PARAMS,
  },
  state: {
    v: { dimension: 'voltage', doc: 'membrane potential', init: () => -65 },
    u: { dimension: 'dimensionless', doc: 'recovery variable', init: (p) => p.b * -65 },
  },
  voltage: 'v',
  step(p, s, dt, spikes) {
    const v = s.vars.v;
    const u = s.vars.u;
    const { ie, ii, ge, gi, iext, n } = s;
    const { gain, bias, de, di } = channelConstants(p, s, dt);
    const { a, b, c, d } = p;
    const peak = p.v_peak + s.mod.thresholdShift;
    const ee = p.e_rev_exc;
    const ei = p.e_rev_inh;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const vi = v[i];
      const ui = u[i];
      const current = bias + iext[i] + gain * (ie[i] - ii[i] + ge[i] * (ee - vi) + gi[i] * (ei - vi));
      let vn = vi + dt * (0.04 * vi * vi + 5 * vi + 140 - ui + current);
      let un = ui + dt * (a * (b * vi - ui));
      if (vn >= peak) {
        vn = c;
        un += d;
        spikes[count++] = i;
      }
      v[i] = vn;
      u[i] = un;
      ie[i] *= de;
      ii[i] *= di;
      ge[i] *= de;
      gi[i] *= di;
    }
    return count;
  },
};
