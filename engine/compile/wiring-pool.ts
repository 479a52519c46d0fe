// Wiring projections in worker threads. Connectivity, weights and delays are drawn per block from
// streams keyed by the block (wiring-tasks.ts), so the blocks of each phase are shared out among the
// workers and the network is the same bit for bit as on one thread. The workers write into shared
// memory, so nothing is copied back; this thread only adds up row lengths. It also keeps the control
// loop's thread free while a big circuit is built (a live add_projection, a hot swap).
import type { Circuit, PopulationSpec, ProjectionSpec } from '../circuit/circuit.js';
import { synapseBound } from '../circuit/limits.js';
import { wireProjection, type CompiledProjection, type Progress } from './compiler.js';
import { SHARED_MEMORY, type Phase, type Plan, type RangeResult, type WiringMemory } from './phases.js';
import { ConnectivityRefusal, type Task } from './wiring-tasks.js';
import { host, type HostWorker } from '../platform/host.js';

/** Whether workers can wire projections here (the worker script is built; under vitest the workers run the build). */
export function canWireInWorkers(): boolean {
  return host().cannotStart('wiring') === null;
}

/** The most wiring workers a build starts by default. */
export const MAX_DEFAULT_WIRING_WORKERS = 8;

/** Workers a build uses by default: one per core (a build waits for them; nothing else runs yet). */
export const defaultWiringWorkers = (): number => Math.max(1, Math.min(MAX_DEFAULT_WIRING_WORKERS, host().cores()));

/** Synapses (an upper bound) below which wiring on the caller's thread beats starting workers. */
export const WORKERS_WORTH_IT = 1_000_000;

/** The synapses a projection's rule makes at most, given the populations' sizes. */
const projectionBound = (p: ProjectionSpec, sizeOf: (population: string) => number): number =>
  synapseBound(p.connectivity, sizeOf(p.source), sizeOf(p.target));

/** The synapses a circuit's rules make at most (what decides whether workers are worth starting). */
export const circuitSynapseBound = (circuit: Circuit): number => {
  const size = new Map(circuit.populations.map((p) => [p.name, p.size]));
  return circuit.projections.reduce((a, p) => a + projectionBound(p, (name) => size.get(name) ?? 0), 0);
};

export interface ToWorker {
  id: number;
  task: Task;
  lo: number;
  hi: number;
}

export type FromWorker =
  | { id: number; type: 'tick'; done: number }
  | { id: number; type: 'done'; value: RangeResult['value'] }
  | { id: number; type: 'error'; name: string; message: string };

interface Pending {
  resolve: (value: RangeResult['value']) => void;
  reject: (e: Error) => void;
  tick: (done: number) => void;
}

/** The blocks [lo, hi) of each worker: contiguous, as even as whole blocks allow, the same for the same counts. */
export function rangesOf(units: number, workers: number): [number, number][] {
  const lanes = Math.min(workers, units);
  return Array.from({ length: lanes }, (_, w) => [Math.floor((w * units) / lanes), Math.floor(((w + 1) * units) / lanes)]);
}

export class WiringPool {
  private readonly workers: HostWorker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken: Error | null = null;

  constructor(count: number) {
    this.workers = [];
    try {
      for (let k = 0; k < Math.max(1, count); k++) {
        const w = host().startWorker('wiring');
        w.onMessage((m) => this.receive(m as FromWorker));
        w.onError((e) => this.fail(e));
        w.onExit((code) => this.fail(new Error(`a wiring worker exited (code ${code}) before it finished`)));
        this.workers.push(w);
      }
    } catch (e) {
      // A worker that could not start (out of memory, too many threads): the ones started go too.
      for (const w of this.workers) void w.terminate();
      throw e;
    }
  }

  private receive(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'tick') return p.tick(m.done);
    this.pending.delete(m.id);
    if (m.type === 'done') p.resolve(m.value);
    else p.reject(m.name === 'ConnectivityRefusal' ? new ConnectivityRefusal(m.message) : new Error(m.message));
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Runs a phase's blocks on the workers; each worker's range is the same for the same block count. */
  runPhase(phase: Phase, progress?: (f: number) => void): Promise<RangeResult[]> {
    if (this.broken) return Promise.reject(this.broken);
    const ranges = rangesOf(phase.units, this.workers.length);
    const done = new Array<number>(ranges.length).fill(0);
    const [from, to] = phase.span;
    return Promise.all(
      ranges.map(
        ([lo, hi], w) =>
          new Promise<RangeResult>((resolve, reject) => {
            const id = this.nextId++;
            this.pending.set(id, {
              resolve: (value) => resolve({ lo, hi, value }),
              reject,
              tick: (n) => {
                done[w] = n;
                progress?.(from + ((to - from) * done.reduce((a, b) => a + b, 0)) / phase.units);
              },
            });
            this.workers[w].postMessage({ id, task: phase.task(lo, hi), lo, hi } satisfies ToWorker);
          }),
      ),
    );
  }

  /** Runs a plan (phases.ts) with its phases on the workers. */
  async runPlan<T>(plan: Plan<T>, progress?: (f: number) => void): Promise<T> {
    let r = plan.next();
    while (!r.done) {
      let results: RangeResult[];
      try {
        results = r.value.units > 0 ? await this.runPhase(r.value, progress) : [];
      } catch (e) {
        r = plan.throw(e);
        continue;
      }
      r = plan.next(results);
    }
    return r.value;
  }

  async close(): Promise<void> {
    this.broken ??= new Error('the wiring pool is closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * compileProjection for each spec, its blocks shared among `workers` threads; rejects as it would
 * throw (a CircuitError stays one). Progress is weighted by each projection's synapses.
 */
export async function wireInWorkers(
  specs: ProjectionSpec[],
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
  options: { workers?: number; progress?: Progress; file?: string; memory?: WiringMemory } = {},
): Promise<Map<string, CompiledProjection>> {
  const pool = new WiringPool(options.workers ?? defaultWiringWorkers());
  const size = (name: string) => pops.get(name)?.size ?? 0;
  // Each projection's share of the work: its synapses (at least one, so empty ones still move the line).
  const shares = specs.map((s) => Math.max(1, Math.min(projectionBound(s, size), 2 ** 32)));
  const total = shares.reduce((a, b) => a + b, 0);
  const wired = new Map<string, CompiledProjection>();
  try {
    let before = 0;
    for (const [k, spec] of specs.entries()) {
      const plan = wireProjection(spec, pops, seed, dt, options.file ?? '<live edit>', options.memory ?? SHARED_MEMORY);
      const report = options.progress && ((f: number) => options.progress!((before + shares[k] * f) / total, `wiring ${spec.name}`));
      wired.set(spec.name, await pool.runPlan(plan, report));
      before += shares[k];
    }
  } finally {
    await pool.close();
  }
  return wired;
}

/** One projection wired in a worker (a live add_projection: one worker, the loop keeps its cores). */
export async function compileProjectionOffThread(
  spec: ProjectionSpec,
  pops: Map<string, PopulationSpec>,
  seed: number,
  dt: number,
): Promise<CompiledProjection> {
  return (await wireInWorkers([spec], pops, seed, dt, { workers: 1 })).get(spec.name)!;
}

/** Every projection of a circuit wired in workers (a build, a hot swap's build). */
export function wireCircuitInWorkers(
  circuit: Circuit,
  options: { workers?: number; progress?: Progress; memory?: WiringMemory } = {},
): Promise<Map<string, CompiledProjection>> {
  return wireInWorkers(circuit.projections, new Map(circuit.populations.map((p) => [p.name, p])), circuit.seed, circuit.dt, {
    ...options,
    file: circuit.file,
  });
}
