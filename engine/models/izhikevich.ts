// Izhikevich (2003) simple model: v' = 0.04 v^2 + 5 v + 140 - u + I, u' = a (b v - u),
// spike when v >= v_peak, then v = c, u += d. Forward Euler with v and u advanced from their
// start-of-step values (as Brian2's 'euler' does), which the published pattern counts are checked against.
// Currents are in the model's own units (I = 10 gives the published patterns); synaptic channels add to I.
import { SYNAPTIC_PARAMS } from './model.js';
import { builtinFamily, type FamilyModel } from './family.js';

export const izhikevich: FamilyModel = builtinFamily({
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
  // Currents are in the model's own units (I = 10 gives the published patterns): n pA adds n mV/ms.
  units: { a: '1/ms', d: 'mV/ms' },
  variants: {
    default: {
      description: 'Izhikevich (2003) simple model, forward Euler on v and u from their start-of-step values',
      equations: [
        'dv/dt = (0.04/mV*v**2 + 5*v + 140*mV)/ms - u + (i_offset + I_ext + I_exc - I_inh + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v))/pF : volt',
        'du/dt = a*(b*v/ms - u) : volt/second',
        '',
      ].join('\n'),
      threshold: 'v >= v_peak + threshold_shift',
      reset: 'v = c; u += d',
      method: 'euler',
      initial: { v: '-65 mV', u: 'b*(-65*mV)/ms' },
    },
  },
  variantFor: () => 'default',
});
