// The interface every engine backend implements (CPU reference, WebGPU). The engine above it owns
// the circuit document and validates edits; a backend only ever sees resolved, checked specs.
import type { Circuit, PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import type { Recording, RecordingConfig } from '../recorder.js';

export type ResolvedEdit =
  | { kind: 'set_params'; population: string; params: Record<string, number> }
  | { kind: 'set_weights'; projection: string; indices: Uint32Array | null; values: Float32Array }
  | { kind: 'add_population'; spec: PopulationSpec }
  | { kind: 'remove_population'; name: string }
  | { kind: 'add_projection'; spec: ProjectionSpec }
  | { kind: 'remove_projection'; name: string };

export interface Backend {
  readonly name: string;
  /** Steps taken since start. */
  readonly stepIndex: number;
  readonly dt: number;
  /** Advances n steps. */
  step(n: number): void;
  /** Sets a named input: one value for every neuron of its target, or one per neuron. */
  setInput(name: string, value: number | ArrayLike<number>): void;
  /** Adds an amount to a modulator's level now (a reward pulse). */
  pulseModulator(name: string, amount: number): void;
  modulatorLevel(name: string): number;
  readOutput(name: string): number;
  /** Copy of a population's state variable (v, u, w, ge, gi, ie, ii, drive). */
  readState(population: string, variable: string): Float64Array;
  /** Copy of a projection's weights in synapse order (CSR by source). */
  readWeights(projection: string): Float32Array;
  /** Number of synapses of a projection. */
  synapseCount(projection: string): number;
  /** Synapse structure of a projection (row pointers by source, target indices). */
  readStructure(projection: string): { rowPtr: Uint32Array; targets: Uint32Array };
  /** Spikes of the last step, per population. */
  lastSpikes(population: string): Uint32Array;
  /** Applies a validated edit between two steps; `circuit` is the circuit after the edit. */
  apply(edit: ResolvedEdit, circuit: Circuit): void;
  recording(): Recording;
  configureRecording(config: RecordingConfig): void;
  memoryBytes(): { neurons: number; synapsesStatic: number; synapsesPlastic: number; buffers: number };
  dispose(): void;
}
