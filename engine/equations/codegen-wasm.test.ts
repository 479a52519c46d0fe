// The generated WebAssembly step against the generated JavaScript step (codegen-js.ts), over copies
// of the same arrays: the reference documents of tests/reference/models and models written here to
// reach every construct (exact, rk2/rk4, refractory conditions and per-neuron periods, noise, rand,
// every function, and/or/not, booleans in arithmetic, the engine's inputs).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Engine } from '../engine.js';
import { loadFlat } from '../circuit/resolve.js';
import { EXP_TABLE, expDet } from './exp.js';
import { generatedModel } from '../models/generated.js';
import { Rng } from '../rng.js';
import type { PopulationState } from '../models/model.js';
import { JS_HELPERS, constantOf, jsStepSource } from './codegen-js.js';
import { optimize } from './optimize.js';
import { evaluate } from './evaluate.js';
import { propagators } from './propagator.js';
import { WasmStep, type WasmOptions } from './codegen-wasm.js';
import type { ModelDefinition, ModelDoc } from './model-definition.js';

const REF = join(import.meta.dirname, '..', '..', 'tests', 'reference', 'models');
const CASES = [
  'eif',
  'eif_exponential_euler',
  'izhikevich2007',
  'izhikevich2007_ch',
  'hodgkin_huxley',
  'adex_bursting',
  'generalized_izhikevich',
];

/** A bump allocator over a shared memory, as the arena is (16-byte aligned blocks). */
class Heap {
  readonly memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  private top = 0;
  readonly expTable: number;
  constructor() {
    this.expTable = this.copy(EXP_TABLE).byteOffset;
  }
  alloc<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(
    ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number },
    n: number,
  ): T {
    const off = Math.ceil(this.top / 16) * 16;
    this.top = off + Math.max(1, n) * ctor.BYTES_PER_ELEMENT;
    if (this.top > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / 65536));
    return new ctor(this.memory.buffer, off, n);
  }
  copy(a: Float64Array): Float64Array {
    const out = this.alloc(Float64Array, a.length);
    out.set(a);
    return out;
  }
}

interface Population {
  def: ModelDefinition;
  params: Record<string, number>;
  init: Record<string, Float64Array>;
  perNeuron: Set<string>;
  n: number;
  dt: number;
}

/** A document's first population, compiled by the engine (its per-neuron parameters and initial state). */
function population(text: string, file = join(REF, 'x.yaml')): Population {
  const e = new Engine(loadFlat(file, text), { kernels: 'js' });
  const cp = e.network.populations[0];
  const def = e.circuit.models![cp.spec.model];
  e.backend.dispose();
  const perNeuron = new Set(Object.keys(cp.spec.perNeuron ?? {}));
  return { def, params: cp.spec.params, init: cp.init, perNeuron, n: cp.spec.size, dt: e.network.dt };
}

/** The population's variant as the engine generates it (optimize.ts: hoisted uniforms, shared subexpressions). */
const variant = (pop: Population) => optimize({ def: pop.def, perNeuron: pop.perNeuron });

/** The reference document resized to n neurons, per-neuron parameter lists replaced by an even spread over their range. */
function referenceText(name: string, n: number): string {
  const doc = parse(readFileSync(join(REF, `${name}.yaml`), 'utf8')) as {
    populations: { cells: { size: number; params?: Record<string, unknown> } };
  };
  const cells = doc.populations.cells;
  cells.size = n;
  for (const [k, v] of Object.entries(cells.params ?? {}))
    if (Array.isArray(v)) cells.params![k] = spread(String(v[0]), String(v[v.length - 1]), n);
  return stringify(doc);
}

/** n quantities from lo to hi ("0.4 nA", "2 nA": same unit). */
function spread(lo: string, hi: string, n: number): string[] {
  const [a, unit] = lo.split(/\s+(.*)/);
  const b = parseFloat(hi);
  return Array.from({ length: n }, (_, i) => `${+a + ((b - +a) * i) / (n - 1)} ${unit}`);
}

function stateOf(pop: Population, make: (a: Float64Array) => Float64Array, int: (n: number) => Int32Array, rng: Rng): PopulationState {
  const vars: Record<string, Float64Array> = {};
  for (const k of [...Object.keys(pop.def.states), ...pop.perNeuron]) vars[k] = make(pop.init[k]);
  // Channels start non-zero (and are decayed by both) so that reading them is exercised too.
  const ch = (seed: number) => make(Float64Array.from({ length: pop.n }, (_, i) => ((i * 7919 + seed) % 13) / 13));
  return {
    n: pop.n,
    vars,
    ie: ch(1),
    ii: ch(2),
    ge: ch(3),
    gi: ch(4),
    iext: make(new Float64Array(pop.n)),
    refrac: int(pop.n),
    time: 0,
    mod: { gain: 1.25, thresholdShift: 0.5, excitability: 3 },
    rng,
    conductance: false,
    integration: 'default',
    inputs: 3,
  };
}

type JsStep = (p: Record<string, number>, s: PopulationState, dt: number, spikes: Uint32Array) => number;

/** codegen-js's step with exp() as Math.exp (what it emitted before it called expDet). */
function jsWithMathExp(pop: Population): JsStep {
  const src = jsStepSource(variant(pop)).replaceAll('H.expDet(', 'Math.exp(');
  const fn = new Function('p', 's', 'dt', 'spikes', 'H', src) as (...a: unknown[]) => number;
  const h = { ...JS_HELPERS, expDet, linear: (p: Record<string, number>, dt: number) => linearOf(pop.def, p, dt) };
  return (p, s, dt, spikes) => fn(p, s, dt, spikes, h);
}

/** codegen-js's step with exp() as expDet (what codegen-js emits). */
function jsWithExpDet(pop: Population): JsStep {
  const body = jsStepSource(variant(pop)).replaceAll('Math.exp(', 'H.expDet(');
  // de and di stay Math.exp, as the engine computes them
  const src = body.replace(
    'H.expDet(-dt / p.tau_syn_exc), di = H.expDet(-dt / p.tau_syn_inh)',
    'Math.exp(-dt / p.tau_syn_exc), di = Math.exp(-dt / p.tau_syn_inh)',
  );
  const fn = new Function('p', 's', 'dt', 'spikes', 'H', src) as (...a: unknown[]) => number;
  const h = { ...JS_HELPERS, expDet, linear: (p: Record<string, number>, dt: number) => linearOf(pop.def, p, dt) };
  return (p, s, dt, spikes) => fn(p, s, dt, spikes, h);
}

/** generated.ts's helpers.linear. */
function linearOf(def: ModelDefinition, p: Record<string, number>, dt: number) {
  const look = (n: string) => (Object.hasOwn(p, n) ? p[n] : constantOf(n, def)!);
  return propagators(
    def.plan.linear!.matrix.map((row) => row.map((a) => evaluate(a, look))),
    dt,
  );
}

interface Comparison {
  spikesEqual: boolean;
  firstSpikeMismatch: string | null;
  spikes: number;
  bitIdentical: boolean;
  maxRel: number;
}

/** Runs both steps over `steps` steps with the same inputs; compares spikes every step and the state at the end. */
function compare(
  pop: Pop,
  js: JsStep,
  options: WasmOptions,
  steps: number,
  inputs: (step: number, i: number) => number,
  seed = 7,
): Comparison {
  const heap = new Heap();
  const sj = stateOf(
    pop,
    (a) => Float64Array.from(a),
    (n) => new Int32Array(n),
    new Rng(seed),
  );
  const sw = stateOf(
    pop,
    (a) => heap.copy(a),
    (n) => heap.alloc(Int32Array, n),
    new Rng(seed),
  );
  const wasm = new WasmStep(variant(pop), options);
  // The Rng's state words, in the module's memory: copied in before each call and back after it, as the CPU backend does.
  const words = heap.alloc(Int32Array, 4);
  const step = wasm.instantiate(heap.memory, heap.expTable, { rng: sw.rng, state: words.byteOffset }).step;
  const spJ = new Uint32Array(pop.n);
  const spW = heap.alloc(Uint32Array, pop.n);
  let total = 0;
  let mismatch: string | null = null;
  for (let k = 0; k < steps; k++) {
    sj.time = sw.time = k * pop.dt;
    for (let i = 0; i < pop.n; i++) sj.iext[i] = sw.iext[i] = inputs(k, i);
    const a = js(pop.params, sj, pop.dt, spJ);
    sw.rng.saveState(words);
    const b = step(...wasm.args(pop.params, sw, pop.dt, spW.byteOffset));
    sw.rng.loadState(words);
    total += a;
    if (mismatch === null && (a !== b || spJ.subarray(0, a).some((x, j) => x !== spW[j])))
      mismatch = `step ${k}: js [${[...spJ.subarray(0, a)]}] wasm [${[...spW.subarray(0, b)]}]`;
  }
  let bit = true;
  let maxRel = 0;
  const arrays = (s: PopulationState): ArrayLike<number>[] => [...Object.values(s.vars), s.ie, s.ii, s.ge, s.gi, s.refrac];
  const aj = arrays(sj);
  const aw = arrays(sw);
  aj.forEach((x, k) => {
    for (let i = 0; i < x.length; i++) {
      const u = x[i];
      const v = aw[k][i];
      if (!Object.is(u, v)) bit = false;
      if (u !== v) maxRel = Math.max(maxRel, Math.abs(u - v) / Math.max(Math.abs(u), Math.abs(v), 1e-300));
    }
  });
  return { spikesEqual: mismatch === null, firstSpikeMismatch: mismatch, spikes: total, bitIdentical: bit, maxRel };
}
type Pop = Population;

describe('generated WebAssembly vs generated JavaScript: the reference documents', () => {
  for (const name of CASES) {
    const hh = name === 'hodgkin_huxley';
    const pop = population(referenceText(name, 37));
    const steps = hh ? 5000 : 2000;
    // Some external current, different per neuron and step (hh reads I_ext per area)
    const inputs = (k: number, i: number) => ((k * 31 + i * 17) % 11) * (hh ? 10 : 1);
    const js = generatedModel(pop.def).step.bind(generatedModel(pop.def)) as JsStep;
    for (const simd of [false, true]) {
      it(`${name}, ${simd ? 'f64x2' : 'scalar'}: bit-identical to the JavaScript step when both call the same exp (Math.exp imported)`, () => {
        const c = compare(pop, jsWithMathExp(pop), { simd, exp: 'js' }, steps, inputs);
        expect(c.firstSpikeMismatch).toBeNull();
        expect(c.spikes).toBeGreaterThan(0);
        expect(c.bitIdentical).toBe(true);
      });
      it(`${name}, ${simd ? 'f64x2' : 'scalar'}: bit-identical to the engine's JavaScript step (both call expDet)`, () => {
        const det = compare(pop, jsWithExpDet(pop), { simd, exp: 'det' }, steps, inputs);
        expect(det.firstSpikeMismatch).toBeNull();
        expect(det.bitIdentical).toBe(true);
        const engine = compare(pop, js, { simd, exp: 'det' }, steps, inputs);
        expect(engine.firstSpikeMismatch).toBeNull();
        expect(engine.bitIdentical).toBe(true);
      });
    }
  }
});

/** A document with one population of `n` cells of `model`. */
function docText(model: ModelDoc, n: number, params: Record<string, unknown> = {}, dt = '0.1 ms'): string {
  return stringify({ dt, seed: 3, models: { m: model }, populations: { cells: { model: 'm', size: n, params } } });
}

const KITCHEN: ModelDoc = {
  parameters: {
    tau: '10 ms',
    E: '-65 mV',
    th: '-50 mV',
    a: '0.5',
    C: '250 pF',
    E_exc: '0 mV',
    E_inh: '-80 mV',
    I_b: '400 pA',
    tau_w: '30 ms',
  },
  equations: [
    'dv/dt = (E - v)/tau + (I_b + I_ext + I_exc - I_inh + g_exc*(E_exc - v) + g_inh*(E_inh - v))/C + 0.01*sign(w)*abs(w)**2.5*mV/ms : volt (unless refractory)',
    'dw/dt = (clip(tanh(v/(10*mV)), -0.5, 0.5) + log(1 + abs(w)) - sqrt(abs(w)) + floor(w) - ceil(w) + int(w) + cos(t/ms) + exprel(-v/mV/10) - w)/tau_w : 1',
    'dz/dt = (exp(-abs(v)/(20*mV)) + (v > th) - z**3 + arctan(z) + sinh(z/10) - cosh(z/10) + log10(2 + z**2))/tau : 1',
  ].join('\n'),
  threshold: 'v > th + threshold_shift and not (w > 100) or z > 1000',
  reset: 'v = E; w += a*(z > 0.5); z *= 0.5',
  refractory: '2 ms',
  method: 'rk4',
  initial: { v: 'E', w: '0.1', z: '0' },
};

describe('generated WebAssembly vs generated JavaScript: every construct', () => {
  const cases: [string, ModelDoc, Record<string, unknown>][] = [
    ['functions, and/or/not, booleans as numbers, engine inputs, rk4', KITCHEN, { I_b: { uniform: { low: '200 pA', high: '900 pA' } } }],
    ['the same, population-wide parameters, rk2', { ...KITCHEN, method: 'rk2' }, {}],
    [
      'exact integration, a per-neuron refractory period',
      {
        parameters: { E_L: '-65 mV', tau: '20 ms', C: '250 pF', tau_w: '100 ms', b: '20 pA', V_th: '-50 mV', I_b: '400 pA', t_ref: '2 ms' },
        equations: 'dv/dt = (E_L - v)/tau + (I_b + I_ext - w)/C : volt (unless refractory)\ndw/dt = -w/tau_w : amp',
        threshold: 'v > V_th',
        reset: 'v = E_L; w += b',
        refractory: 't_ref*1.5',
        method: 'exact',
      },
      { t_ref: { uniform: { low: '0.5 ms', high: '4 ms' } }, I_b: { uniform: { low: '300 pA', high: '900 pA' } } },
    ],
    [
      'a refractory condition, exponential Euler',
      {
        parameters: { E_L: '-65 mV', tau: '20 ms', C: '250 pF', V_th: '-50 mV', I_b: '600 pA' },
        equations: 'dv/dt = (E_L - v)/tau + (I_b + I_ext)/C : volt',
        threshold: 'v > V_th',
        reset: 'v = -80*mV',
        refractory: 'v < -70*mV',
        method: 'exponential_euler',
      },
      { I_b: { uniform: { low: '300 pA', high: '1200 pA' } } },
    ],
    [
      'noise and rand(): the same draws in the same order',
      {
        parameters: { E_L: '-65 mV', mu: '14 mV', tau: '10 ms', sigma: '5 mV', V_th: '-50 mV' },
        equations: 'dv/dt = (E_L + mu - v)/tau + sigma*sqrt(2/tau)*xi : volt (unless refractory)',
        threshold: 'v > V_th and rand() < 0.9',
        reset: 'v = E_L + rand()*mV',
        refractory: '2 ms',
        method: 'euler',
      },
      {},
    ],
  ];
  for (const [title, model, params] of cases) {
    const pop = population(docText(model, 41, params));
    const gm = generatedModel(pop.def);
    const js = gm.step.bind(gm) as JsStep;
    const inputs = (k: number, i: number) => ((k * 13 + i * 7) % 5) * 20;
    for (const simd of [false, true])
      it(`${title} (${simd ? 'f64x2' : 'scalar'}): bit-identical with Math.exp imported, and with expDet on both sides (the engine's step)`, () => {
        const c = compare(pop, jsWithMathExp(pop), { simd, exp: 'js' }, 3000, inputs);
        expect(c.firstSpikeMismatch).toBeNull();
        expect(c.spikes).toBeGreaterThan(0);
        expect(c.bitIdentical).toBe(true);
        const d = compare(pop, js, { simd, exp: 'det' }, 3000, inputs);
        expect(d.firstSpikeMismatch).toBeNull();
        expect(d.bitIdentical).toBe(true);
      });
  }

  it('lays out its arguments as the kernels do: n, byte offsets, constants; spike indices relative to the first neuron', () => {
    const pop = population(docText(KITCHEN, 8, { I_b: [100, 200, 300, 400, 500, 600, 700, 800].map((x) => `${x * 3} pA`) }));
    const w = new WasmStep(variant(pop));
    expect(w.layout.arrays.map((a) => `${a.kind}:${a.name}`)).toEqual([
      'state:v',
      'state:w',
      'state:z',
      'param:I_b',
      'engine:ie',
      'engine:ii',
      'engine:ge',
      'engine:gi',
      'engine:iext',
      'engine:refrac',
      'engine:spikes',
      'engine:frozen',
    ]);
    expect(w.layout.scalars.filter((s) => s.kind === 'engine').map((s) => s.name)).toEqual([
      'gain',
      'excitability',
      'threshold_shift',
      't',
      'dt',
      'de',
      'di',
    ]);
    expect(w.layout).toMatchObject({ refracSteps: true, readsTime: true, draws: false, simd: true });
    expect(
      w.args(
        pop.params,
        stateOf(
          pop,
          (a) => a,
          (n) => new Int32Array(n),
          new Rng(1),
        ),
        pop.dt,
        0,
      ),
    ).toHaveLength(w.argCount);
    // cos() reads only t and parameters here: computed once per call (a uniform argument), not imported.
    expect(w.layout.imports).toEqual(['arctan', 'cosh', 'log', 'log10', 'pow', 'sinh', 'tanh']);
    const uniforms = variant(pop).def.plan.uniforms ?? [];
    expect(uniforms.some((u) => JSON.stringify(u.expr).includes('"fn":"cos"'))).toBe(true);
    expect(w.layout.scalars.filter((s) => s.kind === 'uniform').map((s) => s.name)).toEqual(uniforms.map((u) => u.name));
    // the upper half alone, from offset 4: same spikes as the whole population's upper half
    const heap = new Heap();
    const whole = stateOf(
      pop,
      (a) => heap.copy(a),
      (n) => heap.alloc(Int32Array, n),
      new Rng(1),
    );
    const half = stateOf(
      pop,
      (a) => heap.copy(a),
      (n) => heap.alloc(Int32Array, n),
      new Rng(1),
    );
    const step = w.instantiate(heap.memory, heap.expTable).step;
    const sp = heap.alloc(Uint32Array, 8);
    const sp2 = heap.alloc(Uint32Array, 8);
    for (let k = 0; k < 300; k++) {
      const a = step(...w.args(pop.params, whole, pop.dt, sp.byteOffset));
      const b = step(...w.args(pop.params, half, pop.dt, sp2.byteOffset, 4, 4));
      step(...w.args(pop.params, half, pop.dt, sp2.byteOffset + 16, 0, 4));
      expect([...sp2.subarray(0, b)].map((i) => i + 4)).toEqual([...sp.subarray(0, a)].filter((i) => i >= 4));
    }
    expect([...half.vars.v]).toEqual([...whole.vars.v]);
  });

  it('phases (update, threshold, then reset) as codegen-js steps them around synapse models, bit for bit', () => {
    for (const [model, params] of [
      [KITCHEN, { I_b: { uniform: { low: '200 pA', high: '900 pA' } } }],
      [
        {
          ...KITCHEN,
          refractory: 'v < -60*mV',
          method: 'exponential_euler',
          equations: KITCHEN.equations.replace(' (unless refractory)', ''),
        },
        {},
      ],
    ] as const) {
      const pop = population(docText(model, 41, params));
      const gm = generatedModel(pop.def);
      for (const simd of [false, true]) {
        const heap = new Heap();
        const sj = stateOf(
          pop,
          (a) => Float64Array.from(a),
          (n) => new Int32Array(n),
          new Rng(1),
        );
        const sw = stateOf(
          pop,
          (a) => heap.copy(a),
          (n) => heap.alloc(Int32Array, n),
          new Rng(1),
        );
        sj.frozen = new Uint8Array(pop.n);
        sw.frozen = heap.alloc(Uint8Array, pop.n);
        const w = new WasmStep(variant(pop), { simd, exp: 'det', phases: true });
        const k = w.instantiate(heap.memory, heap.expTable);
        const spJ = new Uint32Array(pop.n);
        const spW = heap.alloc(Uint32Array, pop.n);
        let spikes = 0;
        for (let step = 0; step < 2000; step++) {
          sj.time = sw.time = step * pop.dt;
          const args = w.args(pop.params, sw, pop.dt, spW.byteOffset);
          gm.stepPhase('update', pop.params, sj, pop.dt, spJ, 0);
          k.update!(...args);
          expect([...sw.frozen]).toEqual([...sj.frozen]);
          const a = gm.stepPhase('threshold', pop.params, sj, pop.dt, spJ, 0);
          const b = k.threshold!(...args);
          expect([...spW.subarray(0, b)]).toEqual([...spJ.subarray(0, a)]);
          spikes += a;
          expect(k.reset!(...args, b)).toBe(gm.stepPhase('reset', pop.params, sj, pop.dt, spJ, a));
        }
        expect(spikes).toBeGreaterThan(0);
        for (const x of Object.keys(pop.def.states)) expect([...sw.vars[x]]).toEqual([...sj.vars[x]]);
        expect([...sw.refrac]).toEqual([...sj.refrac]);
        expect([...sw.ge]).toEqual([...sj.ge]);
      }
    }
  });
});
