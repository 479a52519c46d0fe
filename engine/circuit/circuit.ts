// The resolved circuit: qualified names, every quantity in internal units (ms, mV, pA, nS, pF, Hz),
// every reference checked. This is what the compiler and the live-edit machinery work from.
import type { ModuleNode } from './flat.js';
import type { ModelDefinition } from '../equations/model-definition.js';
import type { SynapseDefinition } from '../equations/synapse-definition.js';

export type Distribution =
  | { kind: 'constant'; value: number; clip?: [number, number] }
  | { kind: 'uniform'; low: number; high: number; clip?: [number, number] }
  | { kind: 'normal'; mean: number; sd: number; clip?: [number, number] }
  | { kind: 'lognormal'; mu: number; sigma: number; clip?: [number, number] };

export interface PopulationSpec {
  name: string;
  model: string;
  size: number;
  grid?: number[];
  params: Record<string, number>;
  init: Record<string, Distribution>;
  /** 'default' or one of the model's alternatives */
  integration: string;
  /** Models defined by equations: parameters that vary per neuron (a distribution, or one value per neuron). */
  perNeuron?: Record<string, Distribution | number[]>;
}

export type Connectivity =
  | { type: 'one_to_one' }
  | { type: 'all_to_all'; autapses: boolean }
  | { type: 'fixed_probability'; p: number; autapses: boolean }
  | { type: 'fixed_indegree'; n: number; autapses: boolean; multapses: boolean }
  | { type: 'fixed_outdegree'; n: number; autapses: boolean; multapses: boolean }
  /** n synapses in all, each between a source and a target drawn at random (NEST's fixed_total_number). */
  | { type: 'fixed_total_number'; n: number; autapses: boolean; multapses: boolean }
  | { type: 'gaussian'; sigma: number; pMax: number; cutoff: number; periodic: boolean; autapses: boolean }
  /**
   * A matrix or list document: one entry per synapse, already in the compiled order (by source, then
   * target ascending; repeated pairs in document order). weights in pA (current) or nS (conductance).
   */
  | { type: 'explicit'; form: 'matrix' | 'list'; sources: number[]; targets: number[]; weights: number[] };

export interface SynapseSpec {
  type: 'current' | 'conductance';
  receptor: 'excitatory' | 'inhibitory';
  /** A synapse model defined by equations (then type and receptor name the first channel its on_pre writes). */
  model?: string;
  /** The model's shared parameters for this projection, in internal units. */
  params?: Record<string, number>;
}

export interface PlasticitySpec {
  rule: 'stdp' | 'reward_stdp';
  tauPlus: number;
  tauMinus: number;
  aPlus: number;
  aMinus: number;
  wMin: number;
  wMax: number;
  update: 'additive' | 'multiplicative';
  bounds: 'hard' | 'soft';
  pairing: 'all' | 'nearest';
  tauEligibility: number;
  /** per second */
  learningRate: number;
  modulator?: string;
}

export interface ProjectionSpec {
  name: string;
  source: string;
  target: string;
  connectivity: Connectivity;
  /** Explicit connectivity: unused (constant 0); the weights are the connectivity's. */
  weight: Distribution;
  delay: Distribution;
  synapse: SynapseSpec;
  plasticity?: PlasticitySpec;
}

export type ModulatorSource =
  | { kind: 'population'; population: string; gain: number }
  | { kind: 'input'; input: string; gain: number }
  | { kind: 'constant'; value: number };

export interface ModulatorTarget {
  population?: string;
  projection?: string;
  effect: 'gain' | 'threshold' | 'excitability' | 'learning_rate';
  sensitivity: number;
}

export interface ModulatorSpec {
  name: string;
  tau: number;
  baseline: number;
  sources: ModulatorSource[];
  targets: ModulatorTarget[];
}

export type SourceSpec =
  | { name: string; type: 'poisson'; target: string; rate: number; count: number; weight: number; synapse: SynapseSpec }
  | { name: string; type: 'constant'; target: string; amplitude: number }
  | { name: string; type: 'step'; target: string; times: number[]; amplitudes: number[] };

export interface InputSpec {
  name: string;
  /** null: a signal input that only drives modulators. */
  target: string | null;
  mode: 'current' | 'rate' | 'signal';
  gain: number;
}

export interface OutputSpec {
  name: string;
  source: string;
  measure: 'rate' | 'spikes' | 'voltage';
  tau: number;
}

export interface Circuit {
  name: string;
  file: string;
  /** ms */
  dt: number;
  seed: number;
  populations: PopulationSpec[];
  projections: ProjectionSpec[];
  modulators: ModulatorSpec[];
  sources: SourceSpec[];
  inputs: InputSpec[];
  outputs: OutputSpec[];
  modules: ModuleNode;
  /** Models defined by equations in the documents, by (qualified) name; absent when there are none. */
  models?: Record<string, ModelDefinition>;
  /** Synapse models defined by equations, by (qualified) name; absent when there are none. */
  synapseModels?: Record<string, SynapseDefinition>;
  /** Population -> the node (machine) that runs it when the circuit runs over several; absent: one process or an automatic plan. */
  placement?: Record<string, string>;
}
