// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005). Forward Euler on v and w
// (the exponential term has no closed form); the exponent is capped so a spike in progress cannot
// overflow to Infinity before it is detected. Defaults are the paper's regular-spiking set.
import { SYNAPTIC_PARAMS } from './model.js';
import { builtinFamily, type FamilyModel } from './family.js';
import { ROUNDED_REFRACTORY } from './lif.js';

export const adex: FamilyModel = builtinFamily({
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
  variants: {
    default: {
      description: 'adaptive exponential integrate-and-fire (Brette & Gerstner 2005), forward Euler, exponent capped at 30',
      equations: [
        'dv/dt = (-g_l*(v - e_l) + g_l*delta_t*exp(clip((v - v_t)/delta_t, -1e9, 30)) - w + i_offset + I_ext + I_exc - I_inh + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v))/cm : volt (unless refractory)',
        'dw/dt = (a*(v - e_l) - w)/tau_w : amp',
        '',
      ].join('\n'),
      threshold: 'v >= v_peak + threshold_shift',
      reset: 'v = v_reset; w += b',
      refractory: ROUNDED_REFRACTORY,
      method: 'euler',
      initial: { v: 'e_l', w: '0 pA' },
    },
  },
  variantFor: () => 'default',
});
