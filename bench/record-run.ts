// One run of a circuit as the browser bench and tests/browser-engine.test.ts compare it, in a page and
// in Node alike: every spike step of every population and the time of the steps alone. No Node
// built-ins here: tests/fixtures/browser-engine/main.ts bundles this module into the page.
import type { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';

export interface RecordedRun {
  spikeSteps: Record<string, number[]>;
  /** The steps alone, not the build (ms). */
  loopMs: number;
}

/** What the page's fluxRun answers: the run, and the backend and kernels it ran on. */
export interface PageRun extends RecordedRun {
  backend: string;
  kernels: string;
  /** The CPU backend's kernel threads (1 elsewhere). */
  threads: number;
}

/** Runs a circuit in the engine page; `threads` as flux run's --threads (default: the engine's choice). */
export type FluxRun = (
  documents: Record<string, string>,
  file: string,
  steps: number,
  backend: 'cpu' | 'webgpu',
  threads?: 1 | 2,
) => Promise<PageRun>;

/** Steps `engine` `steps` times, recording every spike. */
export async function recordRun(engine: Engine<Backend>, steps: number): Promise<RecordedRun> {
  engine.backend.configureRecording({});
  const t0 = performance.now();
  await engine.step(steps);
  const loopMs = performance.now() - t0;
  const populations = engine.backend.recording().populations;
  return { spikeSteps: Object.fromEntries(Object.entries(populations).map(([name, p]) => [name, Array.from(p.spikeSteps)])), loopMs };
}
