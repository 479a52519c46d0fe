// Leaky integrate-and-fire with exponential current- or conductance-based synapses.
// Current-based input only: exact integration (Rotter & Diesmann 1999 propagators) of v given the
// exponentially decaying synaptic currents. With conductances: exponential Euler (exact for the
// conductances held at their start-of-step value), the scheme Brian2 calls exponential_euler.
import { type NeuronModel, type PopulationState, SYNAPTIC_PARAMS } from './model.js';

/** Propagator of a synaptic current decaying with tau_s into a membrane with tau_m, capacitance c. */
function currentPropagator(dt: number, tauM: number, tauS: number, c: number): number {
  if (Math.abs(tauM - tauS) < 1e-9 * tauM) return (dt / c) * Math.exp(-dt / tauM);
  return ((tauM * tauS) / (c * (tauS - tauM))) * (Math.exp(-dt / tauS) - Math.exp(-dt / tauM));
}

export const lif: NeuronModel = {
  name: 'lif',
  doc: 'Leaky integrate-and-fire neuron with refractory period',
  integration:
    'exact (propagator) with current synapses; exponential Euler with conductance synapses; channels decay exactly',
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
  voltage: 'v',
  step(p, s: PopulationState, dt, spikes) {
    const v = s.vars.v;
    const { ie, ii, ge, gi, iext, refrac, n } = s;
    const { gain, thresholdShift, excitability } = s.mod;
    const cm = p.cm;
    const gL = cm / p.tau_m;
    const vth = p.v_thresh + thresholdShift;
    const vreset = p.v_reset;
    const el = p.v_rest;
    const ee = p.e_rev_exc;
    const ei = p.e_rev_inh;
    const bias = p.i_offset + excitability;
    const de = Math.exp(-dt / p.tau_syn_exc);
    const di = Math.exp(-dt / p.tau_syn_inh);
    const refracSteps = Math.round(p.tau_refrac / dt);
    let count = 0;
    if (s.conductance) {
      const dtOverCm = dt / cm;
      for (let i = 0; i < n; i++) {
        const gei = ge[i] * gain;
        const gii = gi[i] * gain;
        if (refrac[i] > 0) {
          refrac[i]--;
        } else {
          const current = bias + iext[i] + gain * (ie[i] - ii[i]);
          const gtot = gL + gei + gii;
          const vinf = (gL * el + gei * ee + gii * ei + current) / gtot;
          const vi = vinf + (v[i] - vinf) * Math.exp(-dtOverCm * gtot);
          if (vi >= vth) {
            v[i] = vreset;
            refrac[i] = refracSteps;
            spikes[count++] = i;
          } else {
            v[i] = vi;
          }
        }
        ie[i] *= de;
        ii[i] *= di;
        ge[i] *= de;
        gi[i] *= di;
      }
      return count;
    }
    const pm = Math.exp(-dt / p.tau_m);
    const pc = (1 - pm) / gL;
    const pe = currentPropagator(dt, p.tau_m, p.tau_syn_exc, cm) * gain;
    const pi = currentPropagator(dt, p.tau_m, p.tau_syn_inh, cm) * gain;
    for (let i = 0; i < n; i++) {
      if (refrac[i] > 0) {
        refrac[i]--;
      } else {
        const vi = el + (v[i] - el) * pm + (bias + iext[i]) * pc + ie[i] * pe - ii[i] * pi;
        if (vi >= vth) {
          v[i] = vreset;
          refrac[i] = refracSteps;
          spikes[count++] = i;
        } else {
          v[i] = vi;
        }
      }
      ie[i] *= de;
      ii[i] *= di;
      ge[i] *= de;
      gi[i] *= di;
    }
    return count;
  },
};
