// A thread that wires one projection (engine/compile/off-thread.ts says why): the same
// compileProjection as on the loop's thread, so the result is bit for bit the same.
import { parentPort, workerData } from 'node:worker_threads';
import { compileProjection } from './compiler.js';
import type { PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';

const { spec, pops, seed, dt } = workerData as { spec: ProjectionSpec; pops: [string, PopulationSpec][]; seed: number; dt: number };
try {
  const compiled = compileProjection(spec, new Map(pops), seed, dt, undefined, '<live edit>');
  const buffers = [compiled.rowPtr, compiled.targets, compiled.weights, compiled.delays].filter((a): a is NonNullable<typeof a> => a !== null).map((a) => a.buffer as ArrayBuffer);
  parentPort!.postMessage({ ok: true, compiled }, [...new Set(buffers)]);
} catch (e) {
  parentPort!.postMessage({ ok: false, message: (e as Error).message, issues: (e as { issues?: unknown }).issues ?? null });
}
