// The contract every neuron model family implements. A model is a pure step function over one
// population: parameters and state arrays in, state arrays updated in place and spike indices out.
// Nothing else is read or written, so a backend (WebGPU) can be checked against it feature by feature.
import type { Dimension } from '../units.js';
import type { Dim } from '../equations/dimension.js';
import { RATE_INPUT_STATE } from '../equations/model-definition.js';
import type { Rng } from '../rng.js';

export interface ParamSpec {
  dimension: Dimension;
  default: number;
  doc: string;
  /** Inclusive lower bound checked at validation and on live edits. */
  min?: number;
  /** Strict lower bound (time constants must be > 0). */
  exclusiveMin?: number;
  /** Models defined by equations: the parameter's exact dimension and unit (`dimension` is only the nearest built-in name). */
  dim?: Dim;
  unit?: string;
}

export interface StateSpec {
  dimension: Dimension;
  doc: string;
  /** Initial value from the (internal-unit) parameters when the document gives none. */
  init: (p: Record<string, number>) => number;
}

/**
 * Per-population state in structure-of-arrays form. `vars` holds the model's own state variables;
 * the synaptic channels and external input are shared by all models:
 *   ie/ii: excitatory/inhibitory current-based synaptic current (pA, ii is a positive magnitude),
 *   ge/gi: excitatory/inhibitory conductance (nS), iext: external current from sources and inputs (pA).
 * Channels decay exponentially with the target population's tau_syn_exc / tau_syn_inh.
 */
export interface PopulationState {
  n: number;
  vars: Record<string, Float64Array>;
  ie: Float64Array;
  ii: Float64Array;
  ge: Float64Array;
  gi: Float64Array;
  iext: Float64Array;
  /** Remaining refractory steps per neuron. */
  refrac: Int32Array;
  /** Time at the start of the step (ms), for models whose equations read t. */
  time: number;
  /** Models defined by equations stepped in phases: which neurons are refractory this step. */
  frozen?: Uint8Array;
  /** Neuromodulatory effects, refreshed by the engine before each step. */
  mod: { gain: number; thresholdShift: number; excitability: number };
  /** Per-population random stream (Poisson models). */
  rng: Rng;
  /** True when any conductance-based projection targets the population (selects the integrator). */
  conductance: boolean;
  /** The population's `integration` choice ('default' or one of the model's alternatives). */
  integration: string;
  /**
   * Which inputs can be non-zero: bit 0 current synapses (ie, ii), bit 1 external current (iext).
   * Kernels may skip arrays known to be zero; the TypeScript models read them anyway.
   */
  inputs: number;
}

export interface NeuronModel {
  name: string;
  doc: string;
  /** How the model integrates, written into the README and `flux inspect`. */
  integration: string;
  params: Record<string, ParamSpec>;
  state: Record<string, StateSpec>;
  /** Integration schemes a population may choose besides the default ('euler' for lif). */
  alternatives?: Record<string, string>;
  /** Name of the state variable that outputs and threshold modulators read (membrane potential). */
  voltage?: string;
  /**
   * Advances every neuron of the population by dt (ms). Writes the indices of neurons that spiked
   * into `spikes` and returns how many there were.
   */
  step(p: Record<string, number>, s: PopulationState, dt: number, spikes: Uint32Array): number;
}

/** The model takes rate inputs (it declares RATE_INPUT_STATE, engine/equations/model-definition.ts). */
export const takesRateInputs = (m: Pick<NeuronModel, 'state'>): boolean => Object.hasOwn(m.state, RATE_INPUT_STATE);

/** Parameters shared by every model that receives synapses (PyNN's names and defaults). */
export const SYNAPTIC_PARAMS: Record<string, ParamSpec> = {
  tau_syn_exc: { dimension: 'time', default: 5, exclusiveMin: 0, doc: 'decay of excitatory synaptic current/conductance' },
  tau_syn_inh: { dimension: 'time', default: 10, exclusiveMin: 0, doc: 'decay of inhibitory synaptic current/conductance' },
  e_rev_exc: { dimension: 'voltage', default: 0, doc: 'reversal potential of excitatory conductance' },
  e_rev_inh: { dimension: 'voltage', default: -80, doc: 'reversal potential of inhibitory conductance' },
  i_offset: { dimension: 'current', default: 0, doc: 'constant bias current' },
};
