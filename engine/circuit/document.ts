// Types of a circuit document as written by people (before units are converted and modules are
// resolved). The JSON Schema in schema.ts describes the same shapes for editors and validation.
import type { ModelDoc } from '../equations/model-definition.js';
import type { SynapseDoc as SynapseModelDoc } from '../equations/synapse-definition.js';

/** A number in internal units or a string with a unit: "20 ms", "-65 mV", "6 nS". */
export type Quantity = number | string;

export interface DistributionDoc {
  constant?: Quantity;
  uniform?: { low: Quantity; high: Quantity };
  normal?: { mean: Quantity; sd: Quantity };
  /** Log-normal given by the mean and standard deviation of the values themselves. */
  lognormal?: { mean: Quantity; sd: Quantity };
  clip?: [Quantity, Quantity];
}
export type ValueDoc = Quantity | DistributionDoc;

export interface PopulationDoc {
  model: string;
  size: number;
  /** 1-D [width] or 2-D [width, height] layout, row-major, for distance-dependent wiring. */
  grid?: number[];
  /** Built-in models: one quantity each. Models defined under `models`: also per neuron, a distribution or `size` values. */
  params?: Record<string, Quantity | DistributionDoc | Quantity[]>;
  /** Initial state per variable (v, u, w, ge, gi, ie, ii, drive): a value or a distribution. */
  init?: Record<string, ValueDoc>;
  /** Integration scheme other than the model's default (lif: euler). */
  integration?: string;
  description?: string;
}

export type ConnectivityDoc =
  | { type: 'one_to_one' }
  | { type: 'all_to_all'; autapses?: boolean }
  | { type: 'fixed_probability'; p: number; autapses?: boolean }
  | { type: 'fixed_indegree'; n: number; autapses?: boolean; multapses?: boolean }
  | { type: 'fixed_outdegree'; n: number; autapses?: boolean; multapses?: boolean }
  | { type: 'fixed_total_number'; n: number; autapses?: boolean; multapses?: boolean }
  | { type: 'gaussian'; sigma: number; p_max?: number; cutoff?: number; periodic?: boolean; autapses?: boolean }
  /**
   * Explicit weights, dense: weights[target][source] (rows are targets, columns sources, as NIR's
   * Linear), magnitudes in the projection's weight unit (pA current, nS conductance); 0 = no synapse.
   */
  | { type: 'matrix'; weights: number[][] }
  /** Explicit weights, sparse: one synapse per [source, target, weight] (indices from 0; repeats are separate synapses). */
  | { type: 'list'; pairs: [number, number, number][] };

export interface SynapseDoc {
  type: 'current' | 'conductance';
  receptor: 'excitatory' | 'inhibitory';
  model?: undefined;
}

/** A projection's synapse: a built-in kind (type, receptor), or a synapse model defined under models, with parameter overrides. */
export type ProjectionSynapseDoc =
  SynapseDoc | { model: string; params?: Record<string, Quantity>; type?: undefined; receptor?: undefined };

export interface PlasticityDoc {
  rule: 'stdp' | 'reward_stdp';
  tau_plus?: Quantity;
  tau_minus?: Quantity;
  a_plus?: number;
  a_minus?: number;
  w_min?: Quantity;
  w_max: Quantity;
  update?: 'additive' | 'multiplicative';
  bounds?: 'hard' | 'soft';
  pairing?: 'all' | 'nearest';
  /** reward_stdp only */
  tau_eligibility?: Quantity;
  learning_rate?: number;
  modulator?: string;
}

export interface ProjectionDoc {
  source: string;
  target: string;
  connectivity: ConnectivityDoc;
  /** Required for rule connectivities; absent for matrix and list, whose entries are the weights. */
  weight?: ValueDoc;
  delay?: ValueDoc;
  synapse: ProjectionSynapseDoc;
  plasticity?: PlasticityDoc;
  description?: string;
}

export type ModulatorSourceDoc = { population: string; gain?: number } | { input: string; gain?: number } | { constant: number };

export interface ModulatorTargetDoc {
  population?: string;
  projection?: string;
  effect: 'gain' | 'threshold' | 'excitability' | 'learning_rate';
  sensitivity?: number;
}

export interface ModulatorDoc {
  tau: Quantity;
  baseline?: number;
  sources?: ModulatorSourceDoc[];
  targets?: ModulatorTargetDoc[];
  description?: string;
}

export type SourceDoc =
  | { type: 'poisson'; target: string; rate: Quantity; count?: number; weight: Quantity; synapse: SynapseDoc }
  | { type: 'constant'; target: string; amplitude: Quantity }
  | { type: 'step'; target: string; times: Quantity[]; amplitudes: Quantity[] };

export interface InputDoc {
  /** Omitted for signal inputs that only drive modulators (reward). */
  target?: string;
  /** current: value in pA into every neuron (or per neuron); rate: Hz added to a Poisson population. */
  mode?: 'current' | 'rate';
  gain?: number;
  description?: string;
}

export interface OutputDoc {
  source: string;
  /** rate: filtered population rate (Hz); spikes: count in the last step; voltage: mean membrane potential. */
  measure: 'rate' | 'spikes' | 'voltage';
  tau?: Quantity;
  description?: string;
}

export interface IncludeDoc {
  /** File path (relative to this document) or package circuit name ("@lab/cpg/half-centre"). */
  module: string;
  prefix: string;
  /** JSON merge patch (RFC 7386) applied to the included document before prefixing. */
  override?: Record<string, unknown>;
  /** Package circuits: a semver range the installed package's version must satisfy. */
  version?: string;
}

export interface CircuitDoc {
  $schema?: string;
  name?: string;
  description?: string;
  extends?: string;
  dt?: Quantity;
  seed?: number;
  include?: IncludeDoc[];
  ports?: Record<string, string>;
  /** A model's definition, or a reference to a model file: a package model ("@lab/neurons/eif") or a path. */
  models?: Record<string, ModelDoc | SynapseModelDoc | string>;
  populations?: Record<string, PopulationDoc>;
  projections?: Record<string, ProjectionDoc>;
  modulators?: Record<string, ModulatorDoc>;
  sources?: Record<string, SourceDoc>;
  inputs?: Record<string, InputDoc>;
  outputs?: Record<string, OutputDoc>;
  /** Population (a reference) -> the name of the node (machine) that runs it, for a circuit run over several. */
  placement?: Record<string, string>;
}
