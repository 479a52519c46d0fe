// A thread that wires projections (engine/compile/off-thread.ts says why): the same compileProjection
// as on the loop's thread, so the result is bit for bit the same. Each projection is sent back as soon
// as it is wired (its arrays transferred, not copied), with progress in between.
import { parentPort, workerData } from 'node:worker_threads';
import { compileProjection } from './compiler.js';
import type { PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';

const { specs, pops, seed, dt, file } = workerData as {
  specs: ProjectionSpec[];
  pops: [string, PopulationSpec][];
  seed: number;
  dt: number;
  file: string;
};
const byName = new Map(pops);
try {
  specs.forEach((spec, k) => {
    let last = 0;
    const compiled = compileProjection(
      spec,
      byName,
      seed,
      dt,
      (f) => {
        // At most a hundred progress messages per projection.
        if (f - last < 0.01) return;
        last = f;
        parentPort!.postMessage({ type: 'progress', fraction: (k + f) / specs.length, label: `wiring ${spec.name}` });
      },
      file,
    );
    const buffers = [compiled.rowPtr, compiled.targets, compiled.weights, compiled.delays]
      .filter((a): a is NonNullable<typeof a> => a !== null)
      .map((a) => a.buffer as ArrayBuffer);
    parentPort!.postMessage({ type: 'wired', compiled }, [...new Set(buffers)]);
  });
  parentPort!.postMessage({ type: 'done' });
} catch (e) {
  parentPort!.postMessage({ type: 'error', message: (e as Error).message, issues: (e as { issues?: unknown }).issues ?? null });
}
