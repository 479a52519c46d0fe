// Wiring projections off the control loop's thread. Connectivity generation is what takes long (a live
// add_projection of millions of synapses, a hot swap's whole circuit): on the loop's thread it held
// every tick, the transports and the dashboard for seconds. A worker runs the same compileProjection,
// so the result is identical; the finished arrays are transferred back and handed to the backend.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Circuit, PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import { CircuitError, type CircuitIssue } from '../circuit/errors.js';
import type { CompiledProjection, Progress } from './compiler.js';

const here = dirname(fileURLToPath(import.meta.url));
// From dist/engine/compile (built) or engine/compile (sources run by vitest: the worker runs the build).
const CANDIDATES = [join(here, 'projection-worker.js'), join(here, '..', '..', 'dist', 'engine', 'compile', 'projection-worker.js')];

/** Whether a worker can wire projections here (the compiled worker script exists). */
export function canCompileOffThread(): boolean {
  return CANDIDATES.some((p) => existsSync(p));
}

type FromWorker =
  | { type: 'progress'; fraction: number; label: string }
  | { type: 'wired'; compiled: CompiledProjection }
  | { type: 'done' }
  | { type: 'error'; message: string; issues: CircuitIssue[] | null };

/** compileProjection for each spec, in a worker thread; rejects as it would throw (a CircuitError stays one). */
export function wireOffThread(
  specs: ProjectionSpec[],
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
  options: { progress?: Progress; file?: string } = {},
): Promise<Map<string, CompiledProjection>> {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (!path) return Promise.reject(new Error('the projection worker (projection-worker.js) is not built: run `npm run build`'));
  const used = new Set(specs.flatMap((s) => [s.source, s.target]));
  const needed = [...pops].filter(([name]) => used.has(name));
  return new Promise((resolve, reject) => {
    const wired = new Map<string, CompiledProjection>();
    const worker = new Worker(path, { workerData: { specs, pops: needed, seed, dt, file: options.file ?? '<live edit>' } });
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      f();
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') options.progress?.(m.fraction, m.label);
      else if (m.type === 'wired') wired.set(m.compiled.spec.name, m.compiled);
      else if (m.type === 'done') finish(() => resolve(wired));
      else finish(() => reject(m.issues ? new CircuitError(m.issues) : new Error(m.message)));
    });
    worker.once('error', (e) => finish(() => reject(e)));
    worker.once('exit', (code) => finish(() => reject(new Error(`the projection worker exited (code ${code}) before it finished`))));
  });
}

/** One projection wired in a worker (a live add_projection). */
export async function compileProjectionOffThread(
  spec: ProjectionSpec,
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
): Promise<CompiledProjection> {
  return (await wireOffThread([spec], pops, seed, dt)).get(spec.name)!;
}

/** Every projection of a circuit wired in a worker (a hot swap's build). */
export function wireCircuitOffThread(circuit: Circuit, progress?: Progress): Promise<Map<string, CompiledProjection>> {
  return wireOffThread(circuit.projections, new Map(circuit.populations.map((p) => [p.name, p])), circuit.seed, circuit.dt, {
    progress,
    file: circuit.file,
  });
}
