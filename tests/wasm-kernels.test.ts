// The CPU backend's WebAssembly kernels against the TypeScript models they transcribe: the same
// circuit, seed and inputs must give bit-identical spikes and state (tolerance: exact).
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { expDet } from '../engine/equations/exp.js';
import { MODELS } from '../engine/models/registry.js';
import { kernelModule } from '../engine/backends/wasm/kernels.js';
import { CpuBackend } from '../engine/backends/cpu.js';
import { ThreadChoice } from '../engine/backends/thread-choice.js';
import { ROOT, writeFiles, libraryCircuit } from './helpers.js';

function run(file: string, kernels: 'wasm' | 'js', steps: number, text?: string, threads = 1) {
  const e = new Engine(loadFlat(file, text), { kernels, threads });
  expect(e.backend.name).toBe('cpu');
  e.backend.configureRecording({
    state: e.circuit.populations.filter((p) => p.model !== 'poisson').map((p) => ({ population: p.name, variable: 'v', every: 50 })),
  });
  e.step(steps);
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(e.backend.recording().populations))
    out[k] = { steps: p.spikeSteps, idx: p.spikeIndices, v: p.state.v?.values };
  for (const p of e.circuit.projections) out[`w:${p.name}`] = Array.from(e.backend.readWeights(p.name));
  e.backend.dispose();
  return { e, out };
}

describe('WebAssembly kernels', () => {
  it('are built (npm run build) and selected by default', () => {
    expect(kernelModule()).not.toBeNull();
    const e = Engine.fromFile(join(ROOT, 'examples/izhikevich-patterns.yaml'));
    expect(e.backend.kernels).toBe('wasm');
  });

  // The full-scale microcircuit (3e8 synapses, minutes to compile) is run by the benchmarks instead.
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml') && f !== 'potjans-diesmann.yaml');
  it.each(examples)('%s: bit-identical spikes, potentials and weights to the TypeScript models', (f) => {
    const file = join(ROOT, 'examples', f);
    const steps = f === 'coba.yaml' ? 3000 : 5000;
    const a = run(file, 'js', steps);
    const b = run(file, 'wasm', steps);
    expect(b.e.backend.kernels).toBe('wasm');
    expect(b.out).toEqual(a.out);
  });

  it('every model, every synapse kind, per-synapse delays and the euler integrator agree exactly', () => {
    const models = Object.keys(MODELS).filter((m) => m !== 'poisson');
    const pops = models.map((m) => `  ${m}_n: { model: ${m}, size: 33${m === 'lif' ? '' : ''} }`).join('\n');
    const w = (m: string, type: string) =>
      type === 'current' ? (m === 'izhikevich' ? '3 pA' : '300 pA') : m === 'izhikevich' ? '0.05 nS' : '3 nS';
    const projs = models
      .flatMap((m) =>
        ['current', 'conductance'].flatMap((type) =>
          ['excitatory', 'inhibitory'].map(
            (rec) =>
              `  ${m}_${type}_${rec}: { source: drive, target: ${m}_n, connectivity: { type: fixed_probability, p: 0.3 }, weight: ${w(m, type)}, delay: { uniform: { low: 0 ms, high: 3 ms } }, synapse: { type: ${type}, receptor: ${rec} } }`,
          ),
        ),
      )
      .join('\n');
    const text = `dt: 0.1 ms\nseed: 4\npopulations:\n  drive: { model: poisson, size: 40, params: { rate: 80 Hz } }\n${pops}\n  lif_euler: { model: lif, size: 17, integration: euler }\nprojections:\n${projs}\n  euler_in: { source: drive, target: lif_euler, connectivity: { type: all_to_all }, weight: 2 nS, synapse: { type: conductance, receptor: excitatory } }\nsources:\n${models.map((m) => `  bias_${m}: { type: constant, target: ${m}_n, amplitude: ${m === 'izhikevich' ? 4 : 300} pA }`).join('\n')}\n`;
    const dir = writeFiles({ 'c.yaml': text });
    const a = run(join(dir, 'c.yaml'), 'js', 4000);
    const b = run(join(dir, 'c.yaml'), 'wasm', 4000);
    const total = Object.entries(a.out)
      .filter(([k]) => !k.startsWith('w:') && k !== 'drive')
      .reduce((s, [, v]) => s + (v as { steps: number[] }).steps.length, 0);
    expect(total).toBeGreaterThan(100);
    expect(b.out).toEqual(a.out);
  });

  it('live edits keep the two implementations identical', () => {
    const file = libraryCircuit('braitenberg/braitenberg');
    const go = (kernels: 'wasm' | 'js') => {
      const e = Engine.fromFile(file, { kernels });
      e.backend.configureRecording({});
      e.backend.setInput('range_left', 0.8);
      e.step(300);
      e.apply({ op: 'set_param', population: 'motor_left', param: 'tau_m', value: '10 ms' });
      e.apply({ op: 'add_population', name: 'extra', population: { model: 'adex', size: 10 } });
      e.apply({
        op: 'add_projection',
        name: 'to_extra',
        projection: {
          source: 'motor_left',
          target: 'extra',
          connectivity: { type: 'all_to_all' },
          weight: '30 nS',
          delay: '2 ms',
          synapse: { type: 'conductance', receptor: 'excitatory' },
        },
      });
      e.step(700);
      return e.backend.recording().populations;
    };
    const a = go('js');
    expect(a.extra.spikeSteps.length).toBeGreaterThan(0);
    expect(go('wasm')).toEqual(a);
  });
});

describe('two kernel threads', () => {
  it.runIf(availableParallelism() >= 2)(
    'by default the faster of one and two threads is measured and kept, with results bit-identical to either',
    () => {
      const file = join(ROOT, 'examples/coba.yaml');
      // Both rounds of the choice (the first one's hold included).
      const steps = new ThreadChoice().totalSteps + 100;
      const one = run(file, 'wasm', steps, undefined, 1);
      for (const faster of [1, 2] as const) {
        // A manual clock: each step takes 100 µs on the faster side, 150 on the other (a block of steps may be timed as one).
        let t = 0;
        let counted = 0;
        let backend: CpuBackend | null = null;
        const now = () => {
          const steps = (backend?.stepIndex ?? 0) - counted;
          counted += steps;
          return (t += steps * (backend?.threadsInUse === faster ? 0.1 : 0.15));
        };
        const e = new Engine<CpuBackend>(
          loadFlat(file),
          { kernels: 'wasm' },
          (net) => (backend = new CpuBackend(net, { kernels: 'wasm', now })),
        );
        e.backend.configureRecording({
          state: e.circuit.populations.filter((p) => p.model !== 'poisson').map((p) => ({ population: p.name, variable: 'v', every: 50 })),
        });
        expect(e.backend.threadCount).toBe(2);
        expect(e.backend.threadChoice).toBeNull();
        e.step(steps);
        expect(e.backend.threadChoice).toMatchObject({ threads: faster, first: { threads: faster } });
        expect(e.backend.threadCount).toBe(faster);
        const out: Record<string, unknown> = {};
        for (const [k, p] of Object.entries(e.backend.recording().populations))
          out[k] = { steps: p.spikeSteps, idx: p.spikeIndices, v: p.state.v?.values };
        for (const p of e.circuit.projections) out[`w:${p.name}`] = Array.from(e.backend.readWeights(p.name));
        e.backend.dispose();
        expect(out).toEqual(one.out);
      }
    },
  );

  it('a kernel thread does not keep the process alive: a script that never disposes its engine exits', () => {
    const engine = pathToFileURL(join(ROOT, 'dist/engine/engine.js')).href;
    const script = [
      `import { Engine } from ${JSON.stringify(engine)};`,
      `const e = await Engine.create(${JSON.stringify(join(ROOT, 'examples/coba.yaml'))}, { threads: 2 });`,
      `await e.step(10);`,
      `console.log('stepped on', e.backend.threadCount, 'threads');`,
    ].join('\n');
    // As an ES module on the command line: its --input-type flag is not handed on to the workers, which refuse it.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout, r.stderr).toContain('stepped on 2 threads');
    // A kernel thread that stayed referenced would hold the script until the timeout killed it.
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });

  it.each([
    ['a V8 flag (npm run bench runs its script with --expose-gc)', ['--expose-gc'], 'file'],
    [
      'V8 flags and --input-type, its script on the command line',
      ['--expose-gc', '--max-old-space-size=4000', '--input-type=module'],
      'text',
    ],
  ])('threads start in a process started with %s', (_what, flags, form) => {
    const engine = pathToFileURL(join(ROOT, 'dist/engine/engine.js')).href;
    const script = [
      `const { Engine } = await import(${JSON.stringify(engine)});`,
      `const e = await Engine.create(${JSON.stringify(join(ROOT, 'examples/coba.yaml'))}, { threads: 2, wiringWorkers: 1 });`,
      `await e.step(10);`,
      `console.log('stepped on', e.backend.threadCount, 'threads,', e.backend.lockstepSteps, 'in lockstep, gc', typeof gc);`,
      `e.dispose();`,
    ].join('\n');
    const args = form === 'file' ? [join(writeFiles({ 'run.mjs': script }), 'run.mjs')] : ['-e', script];
    const r = spawnSync(process.execPath, [...flags, ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout, r.stderr).toContain('stepped on 2 threads, 10 in lockstep, gc function');
    expect(r.status).toBe(0);
  });

  it('an engine disposed before its kernel thread started says so to whoever waits for the start', async () => {
    const e = new Engine(loadFlat(join(ROOT, 'examples/coba.yaml')), { threads: 2 });
    const ready = e.backend.whenReady();
    // Synchronously after the start: the thread's answer can only arrive on a later turn.
    e.dispose();
    await expect(ready).rejects.toThrow('the kernel thread was disposed before it started');
  });

  it('COBA gives bit-identical spikes, potentials and weights with one and two threads', () => {
    const file = join(ROOT, 'examples/coba.yaml');
    const one = run(file, 'wasm', 3000, undefined, 1);
    const two = run(file, 'wasm', 3000, undefined, 2);
    expect(two.e.backend.threadCount).toBe(2);
    expect(two.out).toEqual(one.out);
  });

  it('delays, every model, plasticity and live edits stay identical with two threads', () => {
    const text = `dt: 0.1 ms
seed: 9
populations:
  drive: { model: poisson, size: 300, params: { rate: 30 Hz } }
  lif_n: { model: lif, size: 700 }
  izh_n: { model: izhikevich, size: 500 }
  adex_n: { model: adex, size: 600 }
projections:
  a: { source: drive, target: lif_n, connectivity: { type: fixed_indegree, n: 40 }, weight: 2 nS, delay: { uniform: { low: 0 ms, high: 4 ms } }, synapse: { type: conductance, receptor: excitatory },
       plasticity: { rule: stdp, w_max: 4 nS, a_plus: 0.05, a_minus: 0.05 } }
  b: { source: lif_n, target: izh_n, connectivity: { type: fixed_probability, p: 0.05 }, weight: 2 pA, delay: 1.5 ms, synapse: { type: current, receptor: excitatory } }
  c: { source: izh_n, target: adex_n, connectivity: { type: fixed_probability, p: 0.05 }, weight: 3 nS, synapse: { type: conductance, receptor: excitatory } }
  d: { source: adex_n, target: lif_n, connectivity: { type: fixed_probability, p: 0.05 }, weight: 5 nS, delay: 2 ms, synapse: { type: conductance, receptor: inhibitory } }
sources:
  bias_lif: { type: constant, target: lif_n, amplitude: 200 pA }
  bias_izh: { type: constant, target: izh_n, amplitude: 3 pA }
  bias_adex: { type: constant, target: adex_n, amplitude: 500 pA }
`;
    const dir = writeFiles({ 'c.yaml': text });
    const go = (threads: number) => {
      const e = new Engine(loadFlat(join(dir, 'c.yaml')), { threads });
      e.backend.configureRecording({});
      e.step(1500);
      e.apply({ op: 'add_population', name: 'late', population: { model: 'lif', size: 400 } });
      e.apply({
        op: 'add_projection',
        name: 'to_late',
        projection: {
          source: 'lif_n',
          target: 'late',
          connectivity: { type: 'fixed_probability', p: 0.2 },
          weight: '20 nS',
          delay: '3 ms',
          synapse: { type: 'conductance', receptor: 'excitatory' },
        },
      });
      e.apply({ op: 'set_param', population: 'adex_n', param: 'b', value: '20 pA' });
      e.step(1500);
      const out = {
        rec: e.backend.recording().populations,
        w: Array.from(e.backend.readWeights('a')),
        v: Array.from(e.backend.readState('late', 'v')),
        // Two threads run every step in lockstep batches here (sources are constant, the Poisson population is not split).
        lockstep: threads === 2 ? e.backend.lockstepSteps === 3000 : null,
      };
      e.backend.dispose();
      return out;
    };
    const one = go(1);
    for (const p of ['lif_n', 'izh_n', 'adex_n', 'late']) expect(one.rec[p].spikeSteps.length, p).toBeGreaterThan(10);
    const two = go(2);
    expect(two.lockstep).toBe(true);
    expect({ ...two, lockstep: null }).toEqual(one);
  });
});

describe('lockstep batches (the kernel thread runs its share of every step of a call on its own)', () => {
  const text = `dt: 0.1 ms
seed: 4
populations:
  e: { model: lif, size: 900 }
  i: { model: lif, size: 300 }
projections:
  ee: { source: e, target: e, connectivity: { type: fixed_probability, p: 0.05 }, weight: 3 nS, delay: { uniform: { low: 0 ms, high: 2 ms } }, synapse: { type: conductance, receptor: excitatory } }
  ei: { source: e, target: i, connectivity: { type: fixed_probability, p: 0.05 }, weight: 3 nS, synapse: { type: conductance, receptor: excitatory } }
  ie: { source: i, target: e, connectivity: { type: fixed_probability, p: 0.1 }, weight: 20 nS, delay: 1 ms, synapse: { type: conductance, receptor: inhibitory } }
sources:
  pulse: { type: step, target: e, times: [0 ms, 7.33 ms, 12 ms], amplitudes: [150 pA, 400 pA, 250 pA] }
inputs:
  drive: { target: i, mode: current, gain: 100 }
`;
  const go = (threads: number) => {
    const e = new Engine(loadFlat(join(writeFiles({ 'c.yaml': text }), 'c.yaml')), { threads });
    e.backend.configureRecording({ state: [{ population: 'e', variable: 'v', indices: [0, 450, 899], every: 7 }] });
    // Calls of different lengths, the input changed between them, as a robot loop and a batch run would.
    for (const [steps, drive] of [
      [1, 2],
      [37, 3],
      [250, 1],
      [1, 4],
      [400, 2.5],
    ] as const) {
      e.backend.setInput('drive', drive);
      e.step(steps);
    }
    const rec = e.backend.recording().populations;
    const out = {
      e: rec.e.spikeSteps,
      ei: rec.e.spikeIndices,
      i: rec.i.spikeSteps,
      probe: rec.e.state.v,
      ge: Array.from(e.backend.readState('e', 'ge')),
    };
    const lockstep = e.backend.lockstepSteps;
    e.backend.dispose();
    return { out, lockstep };
  };

  it('end where a step source changes and after a step a probe samples, and give the one-thread results bit for bit', () => {
    const one = go(1);
    expect(one.out.e.length).toBeGreaterThan(100);
    expect(one.out.i.length).toBeGreaterThan(10);
    expect(one.out.probe.steps.length).toBe(Math.ceil(689 / 7));
    const two = go(2);
    expect(two.lockstep).toBe(689);
    expect(two.out).toEqual(one.out);
  });

  it('a main thread that throws in a batch releases the kernel thread at once, and the backend refuses to step on', () => {
    const e = new Engine(loadFlat(join(writeFiles({ 'c.yaml': text }), 'c.yaml')), { threads: 2 });
    e.step(20);
    let calls = 0;
    e.backend['updateOutputs'] = () => {
      if (++calls === 5) throw new Error('a fault in the fifth step');
    };
    const started = Date.now();
    // Had the thread stayed at the meeting point, the call would have waited for it (and failed after 10 s).
    expect(() => e.step(50)).toThrow('a fault in the fifth step');
    expect(Date.now() - started).toBeLessThan(5000);
    // The thread may have run a step further than this one: stepping on would mix two steps.
    expect(() => e.step(1)).toThrow('its two halves are no longer at the same step; build the engine again');
    e.backend.dispose();
  });

  it('a split population the kernel thread does not advance (its model draws random numbers) belongs to this thread alone', () => {
    const noisy = `dt: 0.1 ms
seed: 6
models:
  noisy_cobalt:
    parameters: { E_L: -65 mV, E_e: 0 mV, C: 200 pF, tau: 10 ms, sigma: 2 mV, V_th: -52 mV, V_r: -65 mV }
    equations: |
      dv/dt = (E_L - v)/tau + g_exc*(E_e - v)/C + sigma*sqrt(2/tau)*xi : volt (unless refractory)
    threshold: v > V_th
    reset: v = V_r
    refractory: 2 ms
    method: euler
    initial: { v: E_L }
populations:
  e: { model: lif, size: 600 }
  n: { model: noisy_cobalt, size: 600 }
projections:
  en: { source: e, target: n, connectivity: { type: fixed_probability, p: 0.1 }, weight: 2 nS, delay: { uniform: { low: 0 ms, high: 1 ms } }, synapse: { type: conductance, receptor: excitatory } }
  en0: { source: e, target: n, connectivity: { type: fixed_probability, p: 0.05 }, weight: 2 nS, synapse: { type: conductance, receptor: excitatory } }
  ne: { source: n, target: e, connectivity: { type: fixed_probability, p: 0.1 }, weight: 1 nS, delay: 0.5 ms, synapse: { type: conductance, receptor: excitatory } }
sources:
  bias: { type: constant, target: e, amplitude: 300 pA }
`;
    const go = (threads: number) => {
      const e = new Engine(loadFlat(join(writeFiles({ 'c.yaml': noisy }), 'c.yaml')), { threads });
      e.backend.configureRecording({});
      e.step(3000);
      const rec = e.backend.recording().populations;
      const out = { e: rec.e.spikeSteps, n: rec.n.spikeSteps, ni: rec.n.spikeIndices, v: Array.from(e.backend.readState('n', 'v')) };
      const lockstep = e.backend.lockstepSteps;
      e.backend.dispose();
      return { out, lockstep };
    };
    const one = go(1);
    expect(one.out.n.length).toBeGreaterThan(100);
    const two = go(2);
    expect(two.lockstep).toBe(3000);
    expect(two.out).toEqual(one.out);
  });
});

describe('expDet (the exp both implementations share)', () => {
  it("the kernel's exp returns the same bits as the TypeScript one", () => {
    const e = new Engine(loadFlat(join(ROOT, 'examples/izhikevich-patterns.yaml')), { kernels: 'wasm', threads: 1 });
    // The backend's private kernel exports: bracket access reads a private member and keeps it type-checked.
    const k = e.backend['k']!;
    let s = 7;
    for (let i = 0; i < 100000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const x = i % 3 === 0 ? -745 + (1500 * s) / 2 ** 32 : -2 + (2.5 * s) / 2 ** 32;
      expect(Object.is(k.expKernel(x), expDet(x)), `x = ${x}`).toBe(true);
    }
  });

  it('is within 2 ulp of Math.exp over [-700, 700] and exact at 0', () => {
    const buf = new Float64Array(2);
    const bits = new BigInt64Array(buf.buffer);
    let worst = 0;
    let s = 12345;
    for (let i = 0; i < 200000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const x = i % 2 ? -1 + (2 * s) / 2 ** 32 : -700 + (1400 * s) / 2 ** 32;
      buf[0] = expDet(x);
      buf[1] = Math.exp(x);
      worst = Math.max(worst, Math.abs(Number(bits[0] - bits[1])));
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(expDet(0)).toBe(1);
    expect(expDet(-1000)).toBe(0);
    expect(expDet(1000)).toBe(Infinity);
    expect(Number.isNaN(expDet(NaN))).toBe(true);
  });
});
