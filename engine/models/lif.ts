// Leaky integrate-and-fire with exponential current- or conductance-based synapses.
// Current-based input only: exact integration (Rotter & Diesmann 1999 propagators) of v given the
// exponentially decaying synaptic currents. With conductances: exponential Euler (exact for the
// conductances held at their start-of-step value), the scheme Brian2 calls exponential_euler.
import { type ChannelConstants, type NeuronModel, type PopulationState, SYNAPTIC_PARAMS, channelConstants } from './model.js';
import { expDet } from '../equations/exp.js';

/** Propagator of a synaptic current decaying with tau_s into a membrane with tau_m, capacitance c. */
function currentPropagator(dt: number, tauM: number, tauS: number, c: number): number {
  if (Math.abs(tauM - tauS) < 1e-9 * tauM) return (dt / c) * Math.exp(-dt / tauM);
  return ((tauM * tauS) / (c * (tauS - tauM))) * (Math.exp(-dt / tauS) - Math.exp(-dt / tauM));
}

export const lif: NeuronModel = {
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
  step(p, s: PopulationState, dt, spikes) {
    const v = s.vars.v;
    const { ie, ii, ge, gi, iext, refrac, n } = s;
    const k = lifConstants(p, s, dt);
    const { gain, gL, el, ee, ei, vth, vreset, bias, de, di, refracSteps } = k;
    let count = 0;
    if (s.integration === 'euler') {
      const k2 = k.dtOverCm;
      for (let i = 0; i < n; i++) {
        if (refrac[i] > 0) {
          refrac[i]--;
        } else {
          const vv = v[i];
          const current = bias + iext[i] + gain * (ie[i] - ii[i]);
          const vi = vv + k2 * (gL * (el - vv) + ge[i] * gain * (ee - vv) + gi[i] * gain * (ei - vv) + current);
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
    if (s.conductance) {
      const dtOverCm = k.dtOverCm;
      for (let i = 0; i < n; i++) {
        const gei = ge[i] * gain;
        const gii = gi[i] * gain;
        if (refrac[i] > 0) {
          refrac[i]--;
        } else {
          const current = bias + iext[i] + gain * (ie[i] - ii[i]);
          const gtot = gL + gei + gii;
          const vinf = (gL * el + gei * ee + gii * ei + current) / gtot;
          const vi = vinf + (v[i] - vinf) * expDet(-dtOverCm * gtot);
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
    const { pm, pc, pe, pi } = k;
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

/** Per-step constants of a LIF population (shared with the WebAssembly kernel so both compute the same). */
export function lifConstants(p: Record<string, number>, s: Pick<PopulationState, 'mod'>, dt: number) {
  const { gain, bias, de, di } = channelConstants(p, s, dt);
  const cm = p.cm;
  const gL = cm / p.tau_m;
  const pm = Math.exp(-dt / p.tau_m);
  return {
    gain,
    gL,
    el: p.v_rest,
    ee: p.e_rev_exc,
    ei: p.e_rev_inh,
    vth: p.v_thresh + s.mod.thresholdShift,
    vreset: p.v_reset,
    bias,
    de,
    di,
    refracSteps: Math.round(p.tau_refrac / dt),
    dtOverCm: dt / cm,
    pm,
    pc: (1 - pm) / gL,
    pe: currentPropagator(dt, p.tau_m, p.tau_syn_exc, cm) * gain,
    pi: currentPropagator(dt, p.tau_m, p.tau_syn_inh, cm) * gain,
  };
}

export type LifConstants = ReturnType<typeof lifConstants>;

/** Whether per-step constants are a LIF population's (the other models carry only the channel constants). */
export function isLifConstants(c: LifConstants | ChannelConstants): c is LifConstants {
  return 'gL' in c;
}
