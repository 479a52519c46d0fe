// The interface every engine backend implements (CPU reference, WebGPU). The engine above it owns
// the circuit document and validates edits; a backend only ever sees resolved, checked specs.
import type { Circuit, PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import type { Recording, RecordingConfig } from '../recorder.js';
import type { CompiledProjection } from '../compile/compiler.js';

export type ResolvedEdit =
  | { kind: 'set_params'; population: string; params: Record<string, number> }
  | { kind: 'set_weights'; projection: string; indices: Uint32Array | null; values: Float32Array }
  | { kind: 'add_population'; spec: PopulationSpec }
  | { kind: 'remove_population'; name: string }
  /** `compiled`: wired already, off the loop's thread (Engine.prepare); else the backend wires it. */
  | { kind: 'add_projection'; spec: ProjectionSpec; compiled?: CompiledProjection }
  | { kind: 'remove_projection'; name: string };

/** A value now (CPU) or once the device has answered (WebGPU). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Reads that need device memory (state, weights, spike lists) may be asynchronous; step() may be too,
 * and resolves once the steps' outputs and recordings are on the host. readOutput, modulatorLevel
 * and recording() read host copies: exact once step() has returned or resolved.
 */
export interface Backend {
  readonly name: string;
  /** Steps taken since start. */
  readonly stepIndex: number;
  readonly dt: number;
  /** Advances n steps. */
  step(n: number): MaybePromise<void>;
  /** Sets a named input: one value for every neuron of its target, or one per neuron. */
  setInput(name: string, value: number | ArrayLike<number>): void;
  /** Adds an amount to a modulator's level now (a reward pulse). */
  pulseModulator(name: string, amount: number): void;
  modulatorLevel(name: string): number;
  readOutput(name: string): number;
  /** Copy of a population's state variable (v, u, w, ge, gi, ie, ii, drive). */
  readState(population: string, variable: string): MaybePromise<Float64Array>;
  /** Copy of a projection's weights in synapse order (CSR by source). */
  readWeights(projection: string): MaybePromise<Float32Array>;
  /** Number of synapses of a projection. */
  synapseCount(projection: string): number;
  /** Synapse structure of a projection (row pointers by source, target indices). */
  readStructure(projection: string): { rowPtr: Uint32Array; targets: Uint32Array };
  /** Spikes of the last step, per population. */
  lastSpikes(population: string): MaybePromise<Uint32Array>;
  /** Applies a validated edit between two steps; `circuit` is the circuit after the edit. */
  apply(edit: ResolvedEdit, circuit: Circuit): void;
  recording(): Recording;
  configureRecording(config: RecordingConfig): void;
  memoryBytes(): { neurons: number; synapsesStatic: number; synapsesPlastic: number; buffers: number };
  /** Resolves once the backend's threads run (a page's workers start only after it yields); absent: ready now. */
  whenReady?(): Promise<void>;
  dispose(): void;
}

/**
 * Whether a population integrates conductances (LIF's exponential-Euler mode), the same rule on every
 * backend. Sticky: once a conductance input reached the population (a projection, a Poisson source or
 * an initial conductance) it keeps that integrator, so removing a projection never switches schemes.
 */
export function integratesConductance(spec: PopulationSpec, circuit: Circuit, before: boolean): boolean {
  return (
    before ||
    circuit.projections.some((p) => p.target === spec.name && p.synapse.type === 'conductance') ||
    circuit.sources.some((s) => s.target === spec.name && s.type === 'poisson' && s.synapse.type === 'conductance') ||
    spec.init.ge !== undefined ||
    spec.init.gi !== undefined
  );
}
