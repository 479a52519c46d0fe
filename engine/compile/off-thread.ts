// Wiring a projection off the control loop's thread. A live add_projection of millions of synapses
// took seconds of connectivity generation on the loop's thread, with no ticks meanwhile; wired in a
// worker, the loop keeps running the old network, and the finished arrays are handed to the backend
// between two ticks. The worker runs the same compileProjection, so the result is identical.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import { CircuitError, type CircuitIssue } from '../circuit/errors.js';
import type { CompiledProjection } from './compiler.js';

const here = dirname(fileURLToPath(import.meta.url));
// From dist/engine/compile (built) or engine/compile (sources run by vitest: the worker runs the build).
const CANDIDATES = [join(here, 'projection-worker.js'), join(here, '..', '..', 'dist', 'engine', 'compile', 'projection-worker.js')];

/** Whether a worker can wire projections here (the compiled worker script exists). */
export function canCompileOffThread(): boolean {
  return CANDIDATES.some((p) => existsSync(p));
}

/** compileProjection in a worker thread; rejects as it would throw (a CircuitError stays one). */
export function compileProjectionOffThread(spec: ProjectionSpec, pops: Map<string, PopulationSpec>, seed: number, dt: number): Promise<CompiledProjection> {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (!path) return Promise.reject(new Error('the projection worker (projection-worker.js) is not built: run `npm run build`'));
  const needed = [spec.source, spec.target].map((n) => [n, pops.get(n)!] as [string, PopulationSpec]);
  return new Promise<CompiledProjection>((resolve, reject) => {
    const worker = new Worker(path, { workerData: { spec, pops: needed, seed, dt } });
    worker.once('message', (m: { ok: true; compiled: CompiledProjection } | { ok: false; message: string; issues: CircuitIssue[] | null }) => {
      void worker.terminate();
      if (m.ok) resolve(m.compiled);
      else reject(m.issues ? new CircuitError(m.issues) : new Error(m.message));
    });
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => reject(new Error(`the projection worker exited (code ${code}) before it answered`)));
  });
}
