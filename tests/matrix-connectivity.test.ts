// Explicit connectivity: `matrix` (weights[target][source], 0 = no synapse) and `list` ([source,
// target, weight] per synapse). The compiler must lay down exactly these synapses and weights, every
// backend must run them unchanged (CPU with the TypeScript and the WebAssembly kernels bit for bit;
// WebGPU within the tolerances of tests/parity.test.ts), rules and their explicit equivalents must
// give the same network, and a malformed matrix or list is reported with file, line and path.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { Engine, loadCircuit } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { acquireGpu, type GpuContext } from '../engine/backends/webgpu/gpu.js';
import { WebGpuBackend } from '../engine/backends/webgpu/webgpu.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { writeFiles } from './helpers.js';
import { requires } from './requirements.js';

/** The tolerances of tests/parity.test.ts: float state relative 1e-4, v absolute 0.01 mV; integers equal. */
const REL = 1e-4;
const V_ABS = 0.01;

/** A small seeded generator (mulberry32), so the "trained" matrices are fixed and independent of Flux's RNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** rows x cols magnitudes, a fraction `zero` of them 0 (no synapse), the rest uniform in [lo, hi). */
function randomMatrix(rows: number, cols: number, zero: number, lo: number, hi: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (r() < zero ? 0 : lo + (hi - lo) * r())));
}

/** The synapses a matrix means, in the compiled order (CSR by source, targets ascending). */
function csrOf(m: number[][]): { rowPtr: number[]; targets: number[]; weights: number[] } {
  const rows = m.length;
  const cols = m[0].length;
  const rowPtr = [0];
  const targets: number[] = [];
  const weights: number[] = [];
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) {
      if (m[i][j] === 0) continue;
      targets.push(i);
      weights.push(Math.fround(m[i][j]));
    }
    rowPtr.push(targets.length);
  }
  return { rowPtr, targets, weights };
}

const M = randomMatrix(5, 6, 0.35, 20, 120, 11); // drv -> n, current, pA
const R = randomMatrix(5, 5, 0.5, 10, 60, 12); // n -> n, with autapses where the diagonal is nonzero
R[2][2] = 25; // at least one autapse
/** Sparse inhibitory conductances (nS): a repeated pair (two synapses) and a zero weight (a synapse at 0). */
const PAIRS: [number, number, number][] = [
  [5, 0, 1.25],
  [0, 4, 2.5],
  [3, 1, 0.75],
  [0, 4, 0.5],
  [1, 3, 0],
  [4, 2, 1.5],
];

const CIRCUIT = `
dt: 0.1 ms
seed: 3
populations:
  drv: { model: lif, size: 6, params: { tau_refrac: 2 ms } }
  n: { model: lif, size: 5 }
projections:
  m:
    source: drv
    target: n
    connectivity: { type: matrix, weights: ${JSON.stringify(M)} }
    delay: { uniform: { low: 0.1 ms, high: 3 ms } }
    synapse: { type: current, receptor: excitatory }
  l:
    source: drv
    target: n
    connectivity: { type: list, pairs: ${JSON.stringify(PAIRS)} }
    delay: 1 ms
    synapse: { type: conductance, receptor: inhibitory }
  rec:
    source: n
    target: n
    connectivity: { type: matrix, weights: ${JSON.stringify(R)} }
    delay: 0.5 ms
    synapse: { type: current, receptor: inhibitory }
inputs:
  drv_i: { target: drv, mode: current }
  n_i: { target: n, mode: current }
`;

const DRV_I = [300, 400, 500, 700, 900, 1200];
const N_I = [120, 150, 170, 190, 210];

function flatOf(yaml: string) {
  return loadFlat(join(writeFiles({ 'circuit.yaml': yaml }), 'circuit.yaml'));
}

/** 300 ms of the circuit; spikes, state and weights as the parity suite compares them. */
async function runOn(e: Engine<Backend>) {
  e.backend.configureRecording({ spikes: 'all' });
  e.backend.setInput('drv_i', DRV_I);
  e.backend.setInput('n_i', N_I);
  await e.step(3000);
  const rec = e.backend.recording().populations;
  const spikes = (p: string) => rec[p].spikeSteps.map((s, k) => `${s}:${rec[p].spikeIndices[k]}`);
  return {
    drv: spikes('drv'),
    n: spikes('n'),
    v: Array.from(await e.backend.readState('n', 'v')),
    ie: Array.from(await e.backend.readState('n', 'ie')),
    ii: Array.from(await e.backend.readState('n', 'ii')),
    gi: Array.from(await e.backend.readState('n', 'gi')),
    weights: {
      m: Array.from(await e.backend.readWeights('m')),
      l: Array.from(await e.backend.readWeights('l')),
      rec: Array.from(await e.backend.readWeights('rec')),
    },
  };
}

function expectClose(got: number[], want: number[], what: string, rel: number, abs: number): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i]) - rel * Math.abs(want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(abs);
}

describe('matrix and list connectivity: the compiled synapses', () => {
  it('are exactly the nonzero matrix entries (CSR by source) and the listed pairs, with their weights (float32)', () => {
    const e = new Engine(flatOf(CIRCUIT), { kernels: 'js' });
    const proj = (name: string) => e.network.projections.find((p) => p.spec.name === name)!;
    for (const [name, m] of [
      ['m', M],
      ['rec', R],
    ] as const) {
      const want = csrOf(m);
      const p = proj(name);
      expect(Array.from(p.rowPtr), name).toEqual(want.rowPtr);
      expect(Array.from(p.targets), name).toEqual(want.targets);
      expect(Array.from(p.weights), name).toEqual(want.weights);
      // and what the backend reads back
      expect(Array.from(e.backend.readWeights(name)), name).toEqual(want.weights);
      expect(Array.from(e.backend.readStructure(name).targets), name).toEqual(want.targets);
    }
    expect(proj('m').targets.length).toBe(M.flat().filter((x) => x !== 0).length);
    expect(proj('rec').targets.length).toBeGreaterThan(5);
    // the autapse of neuron 2 is there: the matrix says so, no autapses flag needed
    const rec = proj('rec');
    expect(Array.from(rec.targets.subarray(rec.rowPtr[2], rec.rowPtr[3]))).toContain(2);

    // list: sorted by source then target; the repeated pair 0 -> 4 is two synapses in document order;
    // the pair of weight 0 is a synapse (at 0)
    const l = proj('l');
    expect(Array.from(l.rowPtr)).toEqual([0, 2, 3, 3, 4, 5, 6]);
    expect(Array.from(l.targets)).toEqual([4, 4, 3, 1, 2, 0]);
    expect(Array.from(l.weights)).toEqual([2.5, 0.5, 0, 0.75, 1.5, 1.25]);

    // delays: the constant one is one value; the distribution is drawn per synapse in 1..30 steps
    expect(l.delays).toBeNull();
    expect(l.delaySteps).toBe(10);
    expect(rec.delaySteps).toBe(5);
    const d = Array.from(proj('m').delays!);
    expect(d).toHaveLength(proj('m').targets.length);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...d)).toBeLessThanOrEqual(30);
    expect(new Set(d).size).toBeGreaterThan(5);
    e.dispose();
  });

  it('an all-equal matrix is all_to_all and a list of a fixed_probability network is that network: same synapses, same spikes', async () => {
    const rules = `
dt: 0.1 ms
seed: 9
populations:
  a: { model: lif, size: 12, params: { tau_refrac: 2 ms } }
  b: { model: lif, size: 7 }
projections:
  full: { source: a, target: b, connectivity: { type: all_to_all }, weight: 35 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
  sparse: { source: a, target: b, connectivity: { type: fixed_probability, p: 0.3 }, weight: { uniform: { low: 1 nS, high: 4 nS } }, delay: 2 ms, synapse: { type: conductance, receptor: inhibitory } }
inputs:
  ai: { target: a, mode: current }
  bi: { target: b, mode: current }
`;
    const ref = new Engine(flatOf(rules), { kernels: 'js' });
    const sparse = ref.network.projections.find((p) => p.spec.name === 'sparse')!;
    const pairs: [number, number, number][] = [];
    for (let s = 0; s < 12; s++)
      for (let k = sparse.rowPtr[s]; k < sparse.rowPtr[s + 1]; k++) pairs.push([s, sparse.targets[k], sparse.weights[k]]);
    // shuffled: the order in the document does not matter
    const shuffled = [...pairs].sort((x, y) => ((x[0] * 31 + x[1] * 17) % 13) - ((y[0] * 31 + y[1] * 17) % 13));
    const explicit = rules
      .replace(
        'connectivity: { type: all_to_all }, weight: 35 pA',
        `connectivity: { type: matrix, weights: ${JSON.stringify(Array.from({ length: 7 }, () => new Array(12).fill(35)))} }`,
      )
      .replace(
        /connectivity: \{ type: fixed_probability, p: 0.3 \}, weight: \{ uniform: \{ low: 1 nS, high: 4 nS \} \}/,
        `connectivity: { type: list, pairs: ${JSON.stringify(shuffled)} }`,
      );
    expect(explicit).not.toBe(rules);
    const exp = new Engine(flatOf(explicit), { kernels: 'js' });
    for (const name of ['full', 'sparse']) {
      const a = ref.network.projections.find((p) => p.spec.name === name)!;
      const b = exp.network.projections.find((p) => p.spec.name === name)!;
      expect(b.spec.connectivity.type, name).toBe('explicit');
      expect(Array.from(b.rowPtr), name).toEqual(Array.from(a.rowPtr));
      expect(Array.from(b.targets), name).toEqual(Array.from(a.targets));
      expect(Array.from(b.weights), name).toEqual(Array.from(a.weights));
      expect([b.delaySteps, b.delays], name).toEqual([a.delaySteps, a.delays]);
    }
    const run = (e: Engine<Backend>) => {
      e.backend.configureRecording({ spikes: 'all' });
      e.backend.setInput(
        'ai',
        Array.from({ length: 12 }, (_, i) => 250 + 60 * i),
      );
      e.backend.setInput('bi', 150);
      e.step(5000);
      const p = e.backend.recording().populations.b;
      return p.spikeSteps.map((s, k) => `${s}:${p.spikeIndices[k]}`);
    };
    const a = run(ref);
    expect(a.length).toBeGreaterThan(20);
    expect(run(exp)).toEqual(a);
    ref.dispose();
    exp.dispose();
  });

  it('live edits: set_weights by index works on a matrix projection; one value for all is refused (the matrix holds the weights)', () => {
    const e = new Engine(flatOf(CIRCUIT), { kernels: 'js' });
    e.apply({ op: 'set_weights', projection: 'm', indices: [0, 3], values: ['7 pA', 9] });
    const w = e.backend.readWeights('m');
    expect([w[0], w[3]]).toEqual([7, 9]);
    expect(() => e.apply({ op: 'set_weights', projection: 'm', value: '5 pA' })).toThrow(
      /\/projections\/m\/weight: must be absent with matrix connectivity/,
    );
    expect(e.backend.readWeights('m')[0]).toBe(7);
    e.dispose();
  });
});

describe('matrix and list connectivity: validation names file, line and path', () => {
  it('reports sizes, signs, indices, a weight beside the entries and keys of another kind', () => {
    const bad = `populations:
  a: { model: lif, size: 3 }
  b: { model: lif, size: 2 }
projections:
  m:
    source: a
    target: b
    connectivity:
      type: matrix
      weights:
        - [1, 0]
        - [0, -3, 0]
        - [1, 1, 1]
      autapses: true
    weight: 5 pA
    synapse: { type: current, receptor: excitatory }
  l:
    source: a
    target: b
    connectivity:
      type: list
      pairs:
        - [3, 1, 4]
        - [0, 2, -5]
        - [0, 7, 1]
    synapse: { type: conductance, receptor: inhibitory }
  r: { source: a, target: b, connectivity: { type: all_to_all, weights: [[1]] }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
  s: { source: a, target: b, connectivity: { type: all_to_all }, synapse: { type: current, receptor: excitatory } }
  t: { source: a, target: b, connectivity: { type: list, pairs: [[1, 1.5, 2], [1, 1]] }, synapse: { type: current, receptor: excitatory } }
  u: { source: a, target: b, connectivity: { type: matrix }, synapse: { type: current, receptor: excitatory } }
`;
    const file = join(writeFiles({ 'bad.yaml': bad }), 'bad.yaml');
    let err: unknown;
    try {
      loadCircuit(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CircuitError);
    const lines = (err as CircuitError).issues.map((i) => `${i.line} ${i.path}: ${i.message}`);
    console.log(`matrix/list validation:\n  ${(err as Error).message.split('\n').slice(1).join('\n')}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        '28 /projections/s: missing required property "weight"',
        '29 /projections/t/connectivity/pairs/0/1: expected integer',
        '29 /projections/t/connectivity/pairs/1: expected at least 3 items',
        '30 /projections/u/connectivity: missing required property "weights"',
        '15 /projections/m/weight: must be absent with matrix connectivity: the matrix entries are the weights (in pA for current synapses)',
        '14 /projections/m/connectivity/autapses: matrix connectivity takes only type and weights (the matrix gives every synapse, autapses and repeated pairs included)',
        '11 /projections/m/connectivity/weights: the matrix has 3 rows but target population "b" has 2 neurons (one row per target neuron, one column per source neuron)',
        '11 /projections/m/connectivity/weights/0: row 0 has 2 entries but source population "a" has 3 neurons (one column per source neuron)',
        '12 /projections/m/connectivity/weights/1/1: -3: weights are magnitudes in pA and must be finite and >= 0 (the receptor gives the sign)',
        '23 /projections/l/connectivity/pairs/0/0: source index 3 is out of range: population "a" has 3 neurons (0..2)',
        '24 /projections/l/connectivity/pairs/1/1: target index 2 is out of range: population "b" has 2 neurons (0..1) (and 1 more like it)',
        '24 /projections/l/connectivity/pairs/1/2: -5: weights are magnitudes in nS and must be finite and >= 0 (the receptor gives the sign)',
        '27 /projections/r/connectivity/weights: weights belongs to connectivity type matrix; the all_to_all rule draws its synapses and takes their weights from weight',
      ]),
    );
    expect(lines).toHaveLength(13);
    expect((err as Error).message).toContain(`${file}:12 at /projections/m/connectivity/weights/1/1: -3: weights are magnitudes`);
  });
});

const acquired = await acquireGpu();
const ctx: GpuContext | null = acquired.ok ? acquired.context : null;
if (!ctx && process.env.CI !== 'true') requires('webgpu', `no WebGPU adapter (${acquired.ok ? '' : acquired.reason})`);

describe('matrix and list connectivity on every backend', () => {
  it('CPU with WebAssembly kernels: bit-identical spikes, state and weights to the TypeScript kernels', async () => {
    const js = await runOn(await Engine.create(flatOf(CIRCUIT), { backend: 'cpu', kernels: 'js' }));
    const wasmEngine = await Engine.create(flatOf(CIRCUIT), { backend: 'cpu', kernels: 'wasm' });
    expect(wasmEngine.backend).toMatchObject({ kernels: 'wasm' });
    const wasm = await runOn(wasmEngine);
    wasmEngine.dispose();
    console.log(`matrix circuit, 300 ms: drv ${js.drv.length} spikes, n ${js.n.length} spikes (TypeScript and WebAssembly kernels)`);
    expect(js.drv.length).toBeGreaterThan(100);
    expect(js.n.length).toBeGreaterThan(20);
    expect(wasm).toEqual(js);
    expect(js.weights.m).toEqual(csrOf(M).weights);
    expect(js.weights.rec).toEqual(csrOf(R).weights);
    expect(js.weights.l).toEqual([2.5, 0.5, 0, 0.75, 1.5, 1.25]);
  });

  it.runIf(ctx !== null || process.env.CI === 'true')(
    'WebGPU: the same spikes, v within 0.01 mV, channels within 1e-4, weights read back equal to the matrix',
    async () => {
      expect(acquired.ok ? '' : acquired.reason).toBe('');
      const cpu = await runOn(await Engine.create(flatOf(CIRCUIT), { backend: 'cpu', kernels: 'js' }));
      const g = await Engine.create(flatOf(CIRCUIT), { backend: 'webgpu', gpu: ctx! });
      expect(g.backend).toBeInstanceOf(WebGpuBackend);
      const gpu = await runOn(g);
      g.dispose();
      console.log(
        `matrix circuit on ${ctx!.description.split(':')[0]}: n ${gpu.n.length} spikes (CPU ${cpu.n.length}), drv ${gpu.drv.length} (CPU ${cpu.drv.length})`,
      );
      expect(gpu.drv).toEqual(cpu.drv);
      expect(gpu.n).toEqual(cpu.n);
      expectClose(gpu.v, cpu.v, 'v', REL, V_ABS);
      for (const ch of ['ie', 'ii', 'gi'] as const) {
        expect(Math.max(...cpu[ch]), ch).toBeGreaterThan(0);
        expectClose(gpu[ch], cpu[ch], ch, REL, 1e-4 * Math.max(...cpu[ch]));
      }
      expect(gpu.weights.m).toEqual(csrOf(M).weights);
      expect(gpu.weights.rec).toEqual(csrOf(R).weights);
      expect(gpu.weights.l).toEqual([2.5, 0.5, 0, 0.75, 1.5, 1.25]);
    },
  );
});
