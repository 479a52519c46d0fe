// Models defined by equations on the CPU: the generated JavaScript step (codegen-js.ts, what the CPU
// backend runs today) against the generated WebAssembly step (codegen-wasm.ts), scalar and f64x2, on
// the EIF, Izhikevich 2007 and Hodgkin-Huxley reference documents (tests/reference/models) scaled to
// 10^4 and 10^5 neurons, per-neuron drive spread over the document's range. Prints ns per
// neuron-update (one neuron advanced one step), fastest of several rounds, the variants alternating
// within each round (these machines are noisy). Single thread.
//   FLUX_BENCH_SIZES=10000,100000 FLUX_BENCH_ROUNDS=5 node dist/bench/generated-kernels.js
import { cpus, platform, release, totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { EXP_TABLE } from '../engine/equations/exp.js';
import { generatedModel } from '../engine/models/generated.js';
import type { PopulationState } from '../engine/models/model.js';
import { Rng } from '../engine/rng.js';
import { optimize } from '../engine/equations/optimize.js';
import { WasmStep } from '../engine/equations/codegen-wasm.js';
import type { ModelDefinition } from '../engine/equations/model-definition.js';

/** The repository root: the first folder up from this script that holds the reference models (from bench/ or dist/bench/). */
function root(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tests', 'reference', 'models'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('tests/reference/models not found above the script');
    dir = up;
  }
  return dir;
}

const REF = join(root(), 'tests', 'reference', 'models');
const MODELS = ['eif', 'izhikevich2007', 'hodgkin_huxley'];
const SIZES = (process.env.FLUX_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.FLUX_BENCH_ROUNDS ?? 5);
/** Neuron-updates per timed run of one variant. */
const WORK = Number(process.env.FLUX_BENCH_WORK ?? 2e7);

interface Population {
  def: ModelDefinition;
  params: Record<string, number>;
  init: Record<string, Float64Array>;
  perNeuron: Set<string>;
  n: number;
  dt: number;
}

function population(name: string, n: number): Population {
  const doc = parse(readFileSync(join(REF, `${name}.yaml`), 'utf8')) as {
    populations: { cells: { size: number; params?: Record<string, unknown> } };
  };
  const cells = doc.populations.cells;
  cells.size = n;
  for (const [k, v] of Object.entries(cells.params ?? {})) {
    if (!Array.isArray(v)) continue;
    const [lo, unit] = String(v[0]).split(/\s+(.*)/);
    const hi = parseFloat(String(v[v.length - 1]));
    cells.params![k] = Array.from({ length: n }, (_, i) => `${+lo + ((hi - +lo) * i) / (n - 1)} ${unit}`);
  }
  const e = new Engine(loadFlat(join(REF, `${name}.yaml`), stringify(doc)), { kernels: 'js' });
  const cp = e.network.populations[0];
  const def = e.circuit.models![cp.spec.model];
  e.backend.dispose();
  return { def, params: cp.spec.params, init: cp.init, perNeuron: new Set(Object.keys(cp.spec.perNeuron ?? {})), n, dt: e.network.dt };
}

/** Arrays in a WebAssembly memory, as the CPU backend's arena keeps them. */
class Memory {
  readonly memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  private top = 0;
  alloc<T extends Float64Array | Int32Array | Uint32Array>(
    ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number },
    n: number,
  ): T {
    const off = Math.ceil(this.top / 16) * 16;
    this.top = off + n * ctor.BYTES_PER_ELEMENT;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / 65536));
    return new ctor(this.memory.buffer, off, n);
  }
}

function state(pop: Population, f64: (a: Float64Array) => Float64Array, i32: (n: number) => Int32Array): PopulationState {
  const vars: Record<string, Float64Array> = {};
  for (const k of [...Object.keys(pop.def.states), ...pop.perNeuron]) vars[k] = f64(pop.init[k]);
  const zeros = () => f64(new Float64Array(pop.n));
  return {
    n: pop.n,
    vars,
    ie: zeros(),
    ii: zeros(),
    ge: zeros(),
    gi: zeros(),
    iext: zeros(),
    refrac: i32(pop.n),
    time: 0,
    mod: { gain: 1, thresholdShift: 0, excitability: 0 },
    rng: new Rng(1),
    conductance: false,
    integration: 'default',
    inputs: 3,
  };
}

interface Variant {
  name: string;
  /** One step; returns the spike count. */
  step: () => number;
  s: PopulationState;
  best: number;
  spikes: number;
  steps: number;
}

function variants(pop: Population): { list: Variant[]; emitMs: number; compileMs: number; bytes: number } {
  const gm = generatedModel(pop.def);
  const list: Variant[] = [];
  const add = (name: string, s: PopulationState, step: () => number) => list.push({ name, s, step, best: Infinity, spikes: 0, steps: 0 });
  const plain = state(
    pop,
    (a) => Float64Array.from(a),
    (n) => new Int32Array(n),
  );
  const spikesPlain = new Uint32Array(pop.n);
  add('js', plain, () => gm.step(pop.params, plain, pop.dt, spikesPlain));
  const mem = new Memory();
  const f64 = (a: Float64Array) => {
    const x = mem.alloc(Float64Array, a.length);
    x.set(a);
    return x;
  };
  const table = f64(EXP_TABLE).byteOffset;
  const shared = state(pop, f64, (n) => mem.alloc(Int32Array, n));
  const spikesShared = mem.alloc(Uint32Array, pop.n);
  add('js (arena)', shared, () => gm.step(pop.params, shared, pop.dt, spikesShared));
  let emitMs = 0;
  let compileMs = 0;
  let bytes = 0;
  for (const simd of [false, true]) {
    const t0 = performance.now();
    const w = new WasmStep(optimize({ def: pop.def, perNeuron: pop.perNeuron }), { simd });
    const t1 = performance.now();
    const fn = w.instantiate(mem.memory, table).step;
    const t2 = performance.now();
    if (simd) [emitMs, compileMs, bytes] = [t1 - t0, t2 - t1, w.bytes.length];
    const s = state(pop, f64, (n) => mem.alloc(Int32Array, n));
    const sp = mem.alloc(Uint32Array, pop.n);
    // Arguments rebuilt every step, as a caller whose constants change (t) would; they are cached otherwise.
    add(simd ? 'wasm f64x2' : 'wasm scalar', s, () => fn(...w.args(pop.params, s, pop.dt, sp.byteOffset)));
  }
  return { list, emitMs, compileMs, bytes };
}

function run(v: Variant, steps: number, dt: number): void {
  const t0 = process.hrtime.bigint();
  let spikes = 0;
  for (let k = 0; k < steps; k++) {
    v.s.time += dt;
    spikes += v.step();
  }
  const ns = Number(process.hrtime.bigint() - t0);
  v.best = Math.min(v.best, ns / (steps * v.s.n));
  v.spikes += spikes;
  v.steps += steps;
}

console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`,
);
console.log(`generated step functions, one thread; ns per neuron-update, fastest of ${ROUNDS} rounds (variants alternating)`);
console.log('js: codegen-js over plain arrays; js (arena): the same over a shared WebAssembly memory (the CPU backend today)');
console.log('wasm: codegen-wasm (expDet, exprel via fdlibm expm1), scalar and two neurons per f64x2');
const cols = [
  'model',
  'method',
  'N',
  'js',
  'js (arena)',
  'wasm scalar',
  'wasm f64x2',
  'arena/f64x2',
  'spikes/step %',
  'emit ms',
  'compile ms',
  'bytes',
];
console.log(cols.join(' | '));
for (const name of MODELS)
  for (const n of SIZES) {
    const pop = population(name, n);
    const { list, emitMs, compileMs, bytes } = variants(pop);
    const steps = Math.max(5, Math.round(WORK / n / (name === 'hodgkin_huxley' ? 4 : 1)));
    for (const v of list) run(v, Math.min(steps, 50), pop.dt);
    for (let r = 0; r < ROUNDS; r++) for (const v of list) run(v, steps, pop.dt);
    const ns = (v: Variant) => v.best.toFixed(2);
    const by = Object.fromEntries(list.map((v) => [v.name, v]));
    const rate = (100 * by['wasm f64x2'].spikes) / (by['wasm f64x2'].steps * n);
    console.log(
      [
        name,
        pop.def.method,
        n,
        ns(by['js']),
        ns(by['js (arena)']),
        ns(by['wasm scalar']),
        ns(by['wasm f64x2']),
        `${(by['js (arena)'].best / by['wasm f64x2'].best).toFixed(2)}x`,
        rate.toFixed(3),
        emitMs.toFixed(2),
        compileMs.toFixed(2),
        bytes,
      ].join(' | '),
    );
  }
