// Leaky integrate-and-fire with exponential current- or conductance-based synapses, as equations
// the backends generate code from (family.ts). Current-based input only: exact integration (Rotter &
// Diesmann 1999 propagators) of v given the exponentially decaying synaptic currents. With
// conductances: exponential Euler (exact for the conductances held at their start-of-step value), the
// scheme Brian2 calls exponential_euler.
import { SYNAPTIC_PARAMS } from './model.js';
import { builtinFamily, type FamilyModel } from './family.js';

/** dv/dt of every variant; the current variant has no conductances (none reach the population then). */
const LEAK = 'cm/tau_m*(v_rest - v) + i_offset + I_ext + I_exc - I_inh';
const CONDUCTANCES = ' + g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v)';
/**
 * Refractoriness: frozen round(tau_refrac/dt) steps after a spike, as lif always was (tau_refrac + dt
 * would give floor(tau_refrac/dt): Brian2 freezes a neuron refractory/dt - 1 steps).
 */
export const ROUNDED_REFRACTORY = 'dt*(floor(tau_refrac/dt + 0.5) + 1)';
const COMMON = {
  threshold: 'v >= v_thresh + threshold_shift',
  reset: 'v = v_reset',
  refractory: ROUNDED_REFRACTORY,
  initial: { v: 'v_rest' },
};

export const lif: FamilyModel = builtinFamily({
  name: 'lif',
  doc: 'Leaky integrate-and-fire neuron with refractory period',
  integration: 'exact (propagator) with current synapses; exponential Euler with conductance synapses; channels decay exactly',
  params: {
    cm: { dimension: 'capacitance', default: 250, exclusiveMin: 0, doc: 'membrane capacitance' },
    tau_m: { dimension: 'time', default: 20, exclusiveMin: 0, doc: 'membrane time constant' },
    v_rest: { dimension: 'voltage', default: -65, doc: 'resting potential' },
    v_thresh: { dimension: 'voltage', default: -50, doc: 'spike threshold (v >= v_thresh)' },
    v_reset: { dimension: 'voltage', default: -65, doc: 'reset potential' },
    tau_refrac: { dimension: 'time', default: 2, min: 0, doc: 'refractory period (v clamped at v_reset)' },
    ...SYNAPTIC_PARAMS,
  },
  state: {
    v: { dimension: 'voltage', doc: 'membrane potential', init: (p) => p.v_rest },
  },
  alternatives: {
    euler: "forward Euler on v for any synapse kind (what Brian2's COBA example uses; cheaper, needs dt << C/g_total)",
  },
  voltage: 'v',
  variants: {
    euler: {
      description: 'leaky integrate-and-fire, forward Euler (integration: euler), any synapse kind',
      equations: `dv/dt = (${LEAK}${CONDUCTANCES})/cm : volt (unless refractory)\n`,
      method: 'euler',
      ...COMMON,
    },
    conductance: {
      description: 'leaky integrate-and-fire, exponential Euler: exact for the conductances held over the step',
      equations: `dv/dt = (${LEAK}${CONDUCTANCES})/cm : volt (unless refractory)\n`,
      method: 'exponential_euler',
      ...COMMON,
    },
    current: {
      description: 'leaky integrate-and-fire, exact integration with the exponentially decaying synaptic currents',
      equations: `dv/dt = (${LEAK})/cm : volt (unless refractory)\n`,
      method: 'exact',
      ...COMMON,
    },
  },
  variantFor: (s) => (s.integration === 'euler' ? 'euler' : s.conductance ? 'conductance' : 'current'),
});
