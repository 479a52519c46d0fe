// Wiring in worker threads (engine/compile/wiring-pool.ts): the same network, bit for bit, on this
// thread and on 1, 2 or 3 workers, for every connectivity rule and value distribution, with rules big
// enough to span many blocks of rows, columns and synapses. The workers run the build (dist/).
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadCircuit } from '../engine/engine.js';
import { compile, type CompiledProjection, type Network } from '../engine/compile/compiler.js';
import { canWireInWorkers, rangesOf, wireCircuitInWorkers } from '../engine/compile/wiring-pool.js';
import { blockStream, COLUMN_BLOCK, ROW_BLOCK, runTask, VALUE_BLOCK } from '../engine/compile/wiring-tasks.js';
import { PLAIN_MEMORY, runPlan, type Plan, type RangeResult } from '../engine/compile/phases.js';
import { wireCsr } from '../engine/compile/connectivity.js';
import type { Connectivity } from '../engine/circuit/circuit.js';
import fc from 'fast-check';
import { CircuitError } from '../engine/circuit/errors.js';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { CpuBackend, kernelArena } from '../engine/backends/cpu.js';
import { WasmArena, wiringMemoryIn } from '../engine/backends/wasm/arena.js';
import { acquireGpu, type GpuContext } from '../engine/backends/webgpu/gpu.js';
import { WebGpuBackend } from '../engine/backends/webgpu/webgpu.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { writeFiles } from './helpers.js';
import { requires } from './requirements.js';

const FILE = join(tmpdir(), 'flux-wiring-workers-test', 'circuit.yaml');

// 700 and 900 neurons: several blocks of rows and columns each; `ff` and `io` have several blocks of synapses.
const CIRCUIT = `
seed: 21
dt: 0.1 ms
populations:
  a: { model: lif, size: 700, grid: [35, 20] }
  b: { model: izhikevich, size: 900, grid: [30, 30] }
  c: { model: lif, size: 700 }
projections:
  one: { source: a, target: c, connectivity: { type: one_to_one }, weight: { uniform: { low: 0.5, high: 1.5 } }, delay: 1 ms }
  all: { source: c, target: c, connectivity: { type: all_to_all, autapses: false }, weight: { normal: { mean: 1, sd: 0.5 } }, delay: { normal: { mean: 2 ms, sd: 1 ms } } }
  fp: { source: a, target: b, connectivity: { type: fixed_probability, p: 0.1 }, weight: { lognormal: { mean: 1, sd: 0.5 } }, delay: { uniform: { low: 0.1 ms, high: 30 ms } } }
  ff: { source: b, target: a, connectivity: { type: fixed_indegree, n: 150, multapses: true }, weight: 2, delay: { normal: { mean: 1.5 ms, sd: 0.75 ms }, clip: [0.1 ms, 100 ms] } }
  fd: { source: b, target: b, connectivity: { type: fixed_indegree, n: 40, autapses: false }, weight: { normal: { mean: 3, sd: 1 }, clip: [0, 5] } }
  od: { source: a, target: a, connectivity: { type: fixed_outdegree, n: 30, autapses: false }, weight: 1 }
  tn: { source: a, target: b, connectivity: { type: fixed_total_number, n: 60000, multapses: true }, weight: { normal: { mean: 1, sd: 0.1 } }, delay: 1 ms }
  td: { source: b, target: b, connectivity: { type: fixed_total_number, n: 30000 }, weight: 1 }
  om: { source: c, target: b, connectivity: { type: fixed_outdegree, n: 30, multapses: true }, weight: 1, delay: { uniform: { low: 1 ms, high: 2 ms } } }
  io: { source: a, target: b, connectivity: { type: gaussian, sigma: 3, p_max: 0.8, cutoff: 3, periodic: true }, weight: { normal: { mean: 1, sd: 0.2 } }, delay: { normal: { mean: 1 ms, sd: 0.3 ms } } }
`;

/** Every projection with a current synapse (the rules and values are what is tested). */
const withSynapses = (text: string) => text.replace(/(connectivity: \{[^}]*\})/g, '$1, synapse: { type: current, receptor: excitatory }');

const circuit = () => loadCircuit(FILE, withSynapses(CIRCUIT)).circuit;

function bytes(a: ArrayBufferView | null): Buffer {
  return a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : Buffer.alloc(0);
}

function same(x: Network, y: Network): void {
  expect(y.synapses).toBe(x.synapses);
  for (const p of x.projections) {
    const q = y.projections.find((r) => r.spec.name === p.spec.name) as CompiledProjection;
    const name = p.spec.name;
    expect(q.targets.constructor, name).toBe(p.targets.constructor);
    expect(q.delays?.constructor, name).toBe(p.delays?.constructor);
    expect(bytes(q.rowPtr).equals(bytes(p.rowPtr)), `${name} rowPtr`).toBe(true);
    expect(bytes(q.targets).equals(bytes(p.targets)), `${name} targets`).toBe(true);
    expect(bytes(q.weights).equals(bytes(p.weights)), `${name} weights`).toBe(true);
    expect(bytes(q.delays).equals(bytes(p.delays)), `${name} delays`).toBe(true);
    expect([q.delaySteps, q.maxDelay], name).toEqual([p.delaySteps, p.maxDelay]);
  }
}

describe.runIf(canWireInWorkers())('wiring in workers gives the network wired on one thread', () => {
  it('for every rule and distribution, on 1, 2 and 3 workers', { timeout: 60_000 }, async () => {
    const c = circuit();
    const here = compile(c);
    // The rules span several blocks, so the workers really share them.
    const size = (name: string) => c.populations.find((p) => p.name === name)!.size;
    expect(size('a') / ROW_BLOCK).toBeGreaterThan(4);
    expect(size('a') / COLUMN_BLOCK).toBeGreaterThan(4);
    expect(here.projections.find((p) => p.spec.name === 'ff')!.targets.length / VALUE_BLOCK).toBeGreaterThan(1);
    expect(here.projections.find((p) => p.spec.name === 'fp')!.delays).toBeInstanceOf(Uint16Array);
    for (const workers of [1, 2, 3]) {
      const fractions: number[] = [];
      const wired = await wireCircuitInWorkers(c, { workers, progress: (f) => fractions.push(f) });
      same(here, compile(c, { wired }));
      // Progress moves forward from 0 to 1.
      expect(fractions.length).toBeGreaterThan(8);
      expect(fractions.every((f, k) => f >= 0 && f <= 1 && (k === 0 || f >= fractions[k - 1] - 1e-12))).toBe(true);
      expect(fractions.at(-1)).toBeCloseTo(1, 6);
    }
  });

  it('a refusal in the plan is the same CircuitError, with the projection path', { timeout: 30_000 }, async () => {
    const c = loadCircuit(
      FILE,
      withSynapses(
        'dt: 0.001 ms\npopulations:\n  a: { model: lif, size: 300 }\nprojections:\n  p: { source: a, target: a, connectivity: { type: fixed_indegree, n: 10 }, weight: 1, delay: { normal: { mean: 1 ms, sd: 30 ms } } }\n',
      ),
    ).circuit;
    let here: unknown;
    try {
      compile(c);
    } catch (e) {
      here = e;
    }
    const there = await wireCircuitInWorkers(c, { workers: 2 }).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(CircuitError);
    expect(there).toBeInstanceOf(CircuitError);
    expect((there as CircuitError).issues).toEqual((here as CircuitError).issues);
    expect((there as CircuitError).issues[0].path).toBe('/projections/p/delay');
  });
});

describe('any split of the blocks, run in any order, wires the same (fast-check)', () => {
  /** runPlan's driver, each phase's blocks cut at random points into ranges run in a random order, each with its own store. */
  function runSplit<T>(plan: Plan<T>, cuts: number[], order: number[]): T {
    const stores = new Map<string, Map<string, unknown>>();
    const rangesFor = (units: number): [number, number][] => {
      const points = [...new Set(cuts.map((c) => Math.floor(c * units)).filter((p) => p > 0 && p < units))].sort((a, b) => a - b);
      const edges = [0, ...points, units];
      return edges.slice(1).map((hi, k) => [edges[k], hi]);
    };
    let r = plan.next();
    while (!r.done) {
      const { units, task } = r.value;
      const ranges = units > 0 ? rangesFor(units) : [];
      const results: RangeResult[] = [];
      for (const k of [...ranges.keys()].sort((a, b) => order[a % order.length] - order[b % order.length] || a - b)) {
        const [lo, hi] = ranges[k];
        const key = `${units}:${lo}`;
        if (!stores.has(key)) stores.set(key, new Map());
        results.push({ lo, hi, value: runTask(task(lo, hi), lo, hi, { store: stores.get(key)!, rngFor: blockStream }) });
      }
      r = plan.next(results.sort((a, b) => a.lo - b.lo));
    }
    return r.value;
  }

  const RULES: Connectivity[] = [
    { type: 'one_to_one' },
    { type: 'all_to_all', autapses: false },
    { type: 'fixed_probability', p: 0.05, autapses: true },
    { type: 'fixed_indegree', n: 7, autapses: false, multapses: false },
    { type: 'fixed_indegree', n: 9, autapses: true, multapses: true },
    { type: 'fixed_outdegree', n: 5, autapses: false, multapses: false },
    { type: 'fixed_outdegree', n: 5, autapses: true, multapses: true },
    { type: 'fixed_total_number', n: 90, autapses: false, multapses: false }, // every pair of the smallest size (10 x 9)
    { type: 'fixed_total_number', n: 5000, autapses: true, multapses: true },
    { type: 'gaussian', sigma: 2, pMax: 0.9, cutoff: 2, periodic: true, autapses: false },
  ];

  it('every rule, sizes across block edges, 1 to 6 ranges', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RULES),
        fc.integer({ min: 10, max: 700 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 }),
        (conn, size, seed, cuts, order) => {
          const side = { name: 'a', size, grid: [size] };
          const whole = runPlan(wireCsr(conn, side, side, seed, 'p', PLAIN_MEMORY));
          const split = runSplit(wireCsr(conn, side, side, seed, 'p', PLAIN_MEMORY), cuts, order);
          expect(Array.from(split.rowPtr)).toEqual(Array.from(whole.rowPtr));
          expect(Array.from(split.targets)).toEqual(Array.from(whole.targets));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('rangesOf', () => {
  it('shares blocks out contiguously and evenly, the same way for the same counts', () => {
    for (const [units, workers] of [
      [0, 2],
      [1, 3],
      [7, 2],
      [100, 3],
      [5, 8],
    ]) {
      const r = rangesOf(units, workers);
      expect(r.length).toBe(Math.min(units, workers));
      let next = 0;
      for (const [lo, hi] of r) {
        expect(lo).toBe(next);
        expect(hi - lo).toBeGreaterThanOrEqual(Math.floor(units / r.length));
        expect(hi - lo).toBeLessThanOrEqual(Math.ceil(units / r.length));
        next = hi;
      }
      expect(next).toBe(units);
      expect(rangesOf(units, workers)).toEqual(r);
    }
  });
});

const acquired = await acquireGpu();
const gpu: GpuContext | null = acquired.ok ? acquired.context : null;
if (!gpu && process.env.CI !== 'true') requires('webgpu', `no WebGPU adapter (${acquired.ok ? '' : acquired.reason})`);

/** A recurrent network driven by Poisson input: 600 neurons, about 50k synapses with drawn weights and delays. */
const RUNNING = withSynapses(`
seed: 5
dt: 0.1 ms
populations:
  e: { model: lif, size: 480, params: { tau_m: 20 ms, v_thresh: -50 mV, v_reset: -60 mV, v_rest: -60 mV, tau_refrac: 5 ms } }
  i: { model: lif, size: 120, params: { tau_m: 20 ms, v_thresh: -50 mV, v_reset: -60 mV, v_rest: -60 mV, tau_refrac: 5 ms } }
sources:
  drive: { type: poisson, target: e, rate: 900 Hz, weight: 300 pA, synapse: { type: current, receptor: excitatory } }
projections:
  ee: { source: e, target: e, connectivity: { type: fixed_indegree, n: 60, multapses: true }, weight: { normal: { mean: 40 pA, sd: 10 pA } }, delay: { normal: { mean: 1.5 ms, sd: 0.5 ms }, clip: [0.1 ms, 10 ms] } }
  ei: { source: e, target: i, connectivity: { type: fixed_probability, p: 0.1 }, weight: 60 pA, delay: { uniform: { low: 0.5 ms, high: 2 ms } } }
  ie: { source: i, target: e, connectivity: { type: fixed_outdegree, n: 50 }, weight: { lognormal: { mean: 80 pA, sd: 20 pA } }, delay: 0.8 ms }
`).replace(/(ie: \{[^\n]*receptor: )excitatory/, '$1inhibitory');

/** Spike counts per neuron and the weights of every projection after 300 ms. */
async function runFor(e: Engine<Backend>): Promise<{ counts: number[]; weights: number[][] }> {
  e.backend.configureRecording({ spikes: 'all' });
  await e.step(3000);
  const rec = e.backend.recording();
  const counts = new Array<number>(600).fill(0);
  for (const [name, p] of Object.entries(rec.populations)) {
    const offset = name === 'e' ? 0 : 480;
    for (const k of p.spikeIndices) counts[offset + k]++;
  }
  const weights: number[][] = [];
  for (const n of ['ee', 'ei', 'ie']) weights.push(Array.from(await e.backend.readWeights(n)));
  return { counts, weights };
}

/** Runs both engines for 300 ms, disposes them, and expects the same spikes and weights (and some spikes). */
async function expectSameRun(here: Engine<Backend>, there: Engine<Backend>): Promise<void> {
  const a = await runFor(here);
  const b = await runFor(there);
  here.dispose();
  there.dispose();
  expect(a.counts.reduce((x, y) => x + y, 0)).toBeGreaterThan(600);
  expect(b).toEqual(a);
}

describe.runIf(canWireInWorkers())('an engine wired by workers runs as one wired on this thread', () => {
  const flat = () => loadFlat(join(writeFiles({ 'circuit.yaml': RUNNING }), 'circuit.yaml'));

  it('CPU, WebAssembly kernels: the same spikes and weights', { timeout: 60_000 }, async () => {
    const here = await Engine.create(flat(), { backend: 'cpu', kernels: 'wasm', wiringWorkers: 0, threads: 1 });
    const there = await Engine.create(flat(), { backend: 'cpu', kernels: 'wasm', wiringWorkers: 2, threads: 1 });
    expect(there.backend).toBeInstanceOf(CpuBackend);
    await expectSameRun(here, there);
  });

  it('CPU: the backend adopts the arrays wired into its memory instead of copying them', { timeout: 30_000 }, async () => {
    const c = loadCircuit(FILE, RUNNING).circuit;
    const arena = kernelArena(600, 100_000)!;
    expect(arena).not.toBeNull();
    const wired = await wireCircuitInWorkers(c, { workers: 2, memory: wiringMemoryIn(arena) });
    const where = (p: CompiledProjection) => [p.targets.byteOffset, p.weights.byteOffset, p.delays?.byteOffset ?? -1];
    const wiredAt = [...wired.values()].map(where);
    const net = compile(c, { wired });
    const backend = new CpuBackend(net, { arena, threads: 1 });
    expect(net.projections.map(where)).toEqual(wiredAt);
    expect(net.projections.every((p) => p.targets.buffer === arena.memory.buffer)).toBe(true);
    backend.dispose();
  });

  it("'auto' falling back to the CPU adopts the synapses wired into the kernels' memory too", { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const adopt = vi.spyOn(WasmArena.prototype, 'adopt');
    const e = await Engine.create(flat(), { backend: 'auto', wiringWorkers: 2, log: (l) => lines.push(l) });
    expect(e.backend).toBeInstanceOf(CpuBackend);
    expect(lines.join('\n')).toContain('running on the CPU backend');
    // Every projection's targets and weights were adopted, not copied.
    const adopted = adopt.mock.results.filter((r) => r.type === 'return' && r.value === true).length;
    adopt.mockRestore();
    expect(adopted).toBeGreaterThanOrEqual(2 * e.network.projections.length);
    e.dispose();
  });

  it.runIf(gpu !== null || process.env.CI === 'true')(
    'WebGPU: uploads the shared arrays the workers wrote, with the same spikes',
    { timeout: 120_000 },
    async () => {
      const here = await Engine.create(flat(), { backend: 'webgpu', gpu: gpu!, wiringWorkers: 0 });
      const there = await Engine.create(flat(), { backend: 'webgpu', gpu: gpu!, wiringWorkers: 2 });
      expect(there.backend).toBeInstanceOf(WebGpuBackend);
      expect(there.network.projections[0].targets.buffer).toBeInstanceOf(SharedArrayBuffer);
      await expectSameRun(here, there);
    },
  );
});
