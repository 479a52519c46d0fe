// The built-in neuron models written as definitions (the `models:` form, Brian2's syntax), each
// reproducing its hand-written counterpart in engine/models/*.ts to rounding
// (tests/builtin-definitions.test.ts). They are the first step of replacing the per-model code of
// the backends by generated code; until that is done the hand-written models remain what `model: lif`
// runs. Conventions shared with the hand-written models:
//   - the synaptic channels reach the membrane through the engine's names (I_exc, I_inh, g_exc, g_inh:
//     already scaled by the gain modulator) and I_ext (sources, inputs, the excitability modulator);
//   - refractoriness: the hand-written models freeze a neuron for round(tau_refrac/dt) steps after a
//     spike, Brian2 for one step less: `tau_refrac + dt` gives the former;
//   - the Izhikevich model takes its currents in the model's own units (I = 10 gives the published
//     patterns): a current of n pA adds n mV/ms, hence the division by 1 pF.
// Not yet expressible here: lif with current synapses integrated exactly (its propagator treats the
// decaying synaptic current as part of the linear system, which needs a model to integrate the engine's
// channels itself), the choice of integrator by synapse kind (one definition per variant below), and
// poisson (its rate scales with the gain modulator, which equations cannot read yet).
import type { ModelDoc } from '../equations/model-definition.js';

const SYNAPTIC = {
  tau_syn_exc: '5 ms',
  tau_syn_inh: '10 ms',
  e_rev_exc: '0 mV',
  e_rev_inh: '-80 mV',
  i_offset: '0 pA',
};

/** lif with forward Euler (its `integration: euler`), for any synapse kind. */
export const LIF_EULER: ModelDoc = {
  description: 'leaky integrate-and-fire, forward Euler (the built-in lif with integration: euler)',
  parameters: { cm: '250 pF', tau_m: '20 ms', v_rest: '-65 mV', v_thresh: '-50 mV', v_reset: '-65 mV', tau_refrac: '2 ms', ...SYNAPTIC },
  equations:
    'dv/dt = (cm/tau_m*(v_rest - v) + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v) + i_offset + I_ext + I_exc - I_inh)/cm : volt (unless refractory)\n',
  threshold: 'v >= v_thresh + threshold_shift',
  reset: 'v = v_reset',
  refractory: 'tau_refrac + dt',
  method: 'euler',
  initial: { v: 'v_rest' },
};

/** lif with conductance synapses: exponential Euler with the conductances held over the step (the built-in default then). */
export const LIF_CONDUCTANCE: ModelDoc = {
  ...LIF_EULER,
  description: 'leaky integrate-and-fire, exponential Euler (the built-in lif with conductance synapses)',
  method: 'exponential_euler',
};

export const IZHIKEVICH: ModelDoc = {
  description: 'Izhikevich (2003) simple model, forward Euler on v and u from their start-of-step values',
  parameters: { a: '0.02/ms', b: 0.2, c: '-65 mV', d: '8 mV/ms', v_peak: '30 mV', ...SYNAPTIC },
  equations: [
    'dv/dt = (0.04/mV*v**2 + 5*v + 140*mV)/ms - u + (i_offset + I_ext + I_exc - I_inh + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v))/pF : volt',
    'du/dt = a*(b*v/ms - u) : volt/second',
    '',
  ].join('\n'),
  threshold: 'v >= v_peak + threshold_shift',
  reset: 'v = c; u += d',
  method: 'euler',
  initial: { v: '-65 mV', u: 'b*(-65*mV)/ms' },
};

export const ADEX: ModelDoc = {
  description: 'adaptive exponential integrate-and-fire (Brette & Gerstner 2005), forward Euler, exponent capped at 30',
  parameters: {
    cm: '281 pF',
    g_l: '30 nS',
    e_l: '-70.6 mV',
    v_t: '-50.4 mV',
    delta_t: '2 mV',
    a: '4 nS',
    b: '80.5 pA',
    tau_w: '144 ms',
    v_reset: '-70.6 mV',
    v_peak: '0 mV',
    tau_refrac: '0 ms',
    ...SYNAPTIC,
  },
  equations: [
    'dv/dt = (-g_l*(v - e_l) + g_l*delta_t*exp(clip((v - v_t)/delta_t, -1e9, 30)) - w + i_offset + I_ext + I_exc - I_inh + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v))/cm : volt (unless refractory)',
    'dw/dt = (a*(v - e_l) - w)/tau_w : amp',
    '',
  ].join('\n'),
  threshold: 'v >= v_peak + threshold_shift',
  reset: 'v = v_reset; w += b',
  refractory: 'tau_refrac + dt',
  method: 'euler',
  initial: { v: 'e_l', w: '0 pA' },
};

/** Each built-in family's definitions, by the integration variant they reproduce. */
export const BUILTIN_DEFINITIONS: Readonly<Record<string, Record<string, ModelDoc>>> = {
  lif: { euler: LIF_EULER, conductance: LIF_CONDUCTANCE },
  izhikevich: { default: IZHIKEVICH },
  adex: { default: ADEX },
};
