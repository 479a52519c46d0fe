// Models defined by equations in documents (engine/equations) against Brian2 2.5.1 running the same
// equations: tests/reference/models/<case>.yaml are the Flux documents, brian2_neurons.py the Brian2
// script that wrote neurons_brian2.json (and checks that its strings are the documents' own).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Engine } from '../engine/engine.js';
import { acquireGpu } from '../engine/backends/webgpu/gpu.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { ROOT } from './helpers.js';
import { requires } from './requirements.js';

const DIR = join(ROOT, 'tests/reference/models');

interface NeuronCase {
  equations: string;
  threshold: string | null;
  reset: string | null;
  method: string;
  dt: string;
  duration: string;
  size: number;
  spike_counts: number[];
  spike_steps: number[][];
  traces: { neuron: number; every_ms: number; t_ms: number[] } & Record<string, number[] | number>;
}
interface NoiseCase {
  seeds: number[];
  sample_ms: number[];
  results: {
    ou: {
      mean_mV: number[][];
      sd_mV: number[][];
      across_seeds_and_samples: { sd_of_means_mV: number; mean_of_sds_mV: number; sd_of_sds_mV: number };
    };
    noisy_lif: { rate_Hz: number[]; across_seeds: { mean_Hz: number; sd_Hz: number } };
  };
}
const ref = JSON.parse(readFileSync(join(DIR, 'neurons_brian2.json'), 'utf8')) as { cases: Record<string, NeuronCase | NoiseCase> };
const deterministic = Object.entries(ref.cases).filter((e): e is [string, NeuronCase] => 'spike_steps' in e[1]);

/** The state variable of each trace Brian2 stored; its units (mV, pA) are Flux's internal units too. */
const TRACE_UNITS: Record<string, [string]> = { v_mV: ['v'], u_pA: ['u'], w_pA: ['w'], u_mV: ['u'], m: ['m'], h: ['h'], n: ['n'] };

function run(name: string, c: NeuronCase) {
  const e = Engine.fromFile(join(DIR, `${name}.yaml`));
  const steps = Math.round(parseFloat(c.duration) / e.circuit.dt);
  const every = Math.round(c.traces.every_ms / e.circuit.dt);
  const vars = Object.keys(c.traces).filter((k) => Object.hasOwn(TRACE_UNITS, k));
  e.backend.configureRecording({
    state: vars.map((k) => ({ population: 'cells', variable: TRACE_UNITS[k][0], indices: [c.traces.neuron], every: 1 })),
  });
  e.step(steps);
  const rec = e.backend.recording().populations.cells;
  const perNeuron: number[][] = Array.from({ length: c.size }, () => []);
  rec.spikeSteps.forEach((s, k) => perNeuron[rec.spikeIndices[k]].push(s));
  e.backend.dispose();
  return { perNeuron, rec, every, vars };
}

describe('models defined by equations vs Brian2 2.5.1 (CPU backend)', () => {
  for (const [name, c] of deterministic) {
    describe(name, () => {
      const { perNeuron, rec, vars } = run(name, c);

      it('the document holds the equations Brian2 ran, character for character', () => {
        const doc = parse(readFileSync(join(DIR, `${name}.yaml`), 'utf8')) as { models: Record<string, { equations: string }> };
        expect(Object.values(doc.models)[0].equations).toBe(c.equations);
      });

      // Both run the same equations in float64 with the same method; Brian2 rewrites them first
      // (sympy, loop-invariant hoisting), so single values differ in the last bits. Those differences
      // could move a threshold crossing by a step over a long run; measured: every spike on the same step.
      it(`spikes on the same steps as Brian2 (counts ${c.spike_counts.join(', ')})`, () => {
        expect(perNeuron.map((s) => s.length)).toEqual(c.spike_counts);
        perNeuron.forEach((s, i) => s.forEach((step, k) => expect(Math.abs(step - c.spike_steps[i][k])).toBeLessThanOrEqual(1)));
      });

      // Brian2 stores traces to 6 significant digits: agreement within 1e-5 relative (and a floor for
      // values near zero) is what that rounding allows, where the trajectories have not yet diverged.
      it(`its state trajectories match Brian2's (${vars.join(', ')})`, () => {
        for (const k of vars) {
          const probe = rec.state[TRACE_UNITS[k][0]];
          const want = c.traces[k] as number[];
          const scale = Math.max(...want.map(Math.abs));
          want.forEach((w, j) => {
            // Brian2 sampled at the start of step K = t/dt, i.e. after step K - 1, which Flux stamps K - 1.
            const step = Math.round(c.traces.t_ms[j] / parseFloat(c.dt)) - 1;
            if (step < 0) return;
            const got = probe.values[step][0];
            expect(Math.abs(got - w)).toBeLessThanOrEqual(1e-5 * Math.abs(w) + 1e-6 * scale);
          });
        }
      });
    });
  }
});

describe('the generated WebAssembly kernels give the generated JavaScript its bits', () => {
  for (const [name, c] of deterministic) {
    it(`${name}: the same spikes and the same state, bit for bit`, () => {
      const run = (kernels: 'js' | 'wasm') => {
        const e = Engine.fromFile(join(DIR, `${name}.yaml`), { kernels });
        e.backend.configureRecording({});
        e.step(Math.round(Math.min(200, parseFloat(c.duration)) / e.circuit.dt));
        const out = {
          spikes: e.backend.recording().populations.cells.spikeSteps,
          v: Array.from(e.backend.readState('cells', 'v') as Float64Array),
        };
        e.backend.dispose();
        return out;
      };
      const js = run('js');
      const wasm = run('wasm');
      expect(wasm.spikes).toEqual(js.spikes);
      expect(wasm.v).toEqual(js.v);
    });
  }
});

describe('white noise (xi) vs Brian2: statistics within the spread between seeds', () => {
  const c = ref.cases.ou_noise as NoiseCase;
  const seeds = [1, 2, 3];
  const runs = seeds.map((seed) => {
    const e = Engine.fromFile(join(DIR, 'ou_noise.yaml'), { seed });
    const stats: { mean: number; sd: number }[] = [];
    e.backend.configureRecording({ spikes: ['noisy_lif'] });
    for (const t of c.sample_ms) {
      e.step(Math.round((t - (stats.length ? c.sample_ms[stats.length - 1] : 0)) / e.circuit.dt));
      const v = e.backend.readState('ou', 'v') as Float64Array;
      const m = v.reduce((a, x) => a + x, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
      stats.push({ mean: m, sd });
    }
    const spikes = e.backend.recording().populations.noisy_lif.spikeSteps.length;
    e.backend.dispose();
    return { stats, rate: spikes / (2000 * 0.5) };
  });
  const b = c.results.ou.across_seeds_and_samples;
  const lif = c.results.noisy_lif.across_seeds;

  // Different random numbers (Flux's streams, not numpy's): each statistic is compared with Brian2's
  // distribution over its 10 seeds, within 4 of its standard deviations (a false failure ~1e-4 per value).
  it(`OU membrane: mean -65 mV ± 4 × ${b.sd_of_means_mV.toFixed(3)} and sd ${b.mean_of_sds_mV.toFixed(3)} ± 4 × ${b.sd_of_sds_mV.toFixed(3)} mV`, () => {
    for (const r of runs)
      for (const s of r.stats) {
        expect(Math.abs(s.mean + 65)).toBeLessThanOrEqual(4 * b.sd_of_means_mV);
        expect(Math.abs(s.sd - b.mean_of_sds_mV)).toBeLessThanOrEqual(4 * b.sd_of_sds_mV);
      }
  });

  it(`noisy LIF fires at Brian2's rate, ${lif.mean_Hz} Hz ± 4 × ${lif.sd_Hz.toFixed(3)}`, () => {
    for (const r of runs) expect(Math.abs(r.rate - lif.mean_Hz)).toBeLessThanOrEqual(4 * lif.sd_Hz);
  });

  it('different seeds give different noise, the same seed the same', () => {
    expect(runs[0].stats[4].mean).not.toBe(runs[1].stats[4].mean);
    const again = Engine.fromFile(join(DIR, 'ou_noise.yaml'), { seed: 1 });
    again.step(1000);
    const v = again.backend.readState('ou', 'v') as Float64Array;
    again.backend.dispose();
    expect(runs[0].stats[0].mean).toBe(v.reduce((a, x) => a + x, 0) / v.length);
  });
});

const brian2 = requires('brian2');
describe.skipIf(brian2.skip)('the committed Brian2 results are what Brian2 produces', () => {
  it('re-running brian2_neurons.py gives the same spikes and statistics', { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-brian2-'));
    try {
      const out = join(dir, 'neurons.json');
      const r = spawnSync('/usr/bin/python3', [join(DIR, 'brian2_neurons.py')], {
        env: { ...process.env, FLUX_REFERENCE_OUT: out },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const fresh = JSON.parse(readFileSync(out, 'utf8')) as typeof ref;
      for (const [name, c] of deterministic) expect((fresh.cases[name] as NeuronCase).spike_steps, name).toEqual(c.spike_steps);
      expect((fresh.cases.ou_noise as NoiseCase).results).toEqual((ref.cases.ou_noise as NoiseCase).results);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The same documents on the WebGPU backend (float32, lavapipe here). Tolerances: float32 rounding moves
// a threshold crossing now and then, and chaotic runs (AdEx bursts, chattering) accumulate it, so each
// neuron's count is within max(1, 3%) of Brian2's and its first spike within 2 steps of Brian2's.
const acquired = await acquireGpu();
const gpu = acquired.ok ? acquired.context : null;
requires('webgpu', gpu ? null : `no WebGPU adapter (${acquired.ok ? '' : acquired.reason})`);
describe.skipIf(!gpu)('models defined by equations vs Brian2 2.5.1 (WebGPU backend)', () => {
  for (const [name, c] of deterministic) {
    it(`${name}: spike counts and first spikes as Brian2's (${c.spike_counts.join(', ')})`, async () => {
      const e = await Engine.create(loadFlat(join(DIR, `${name}.yaml`)), { backend: 'webgpu', gpu: gpu! });
      try {
        e.backend.configureRecording({});
        await e.step(Math.round(parseFloat(c.duration) / e.circuit.dt));
        const rec = e.backend.recording().populations.cells;
        const perNeuron: number[][] = Array.from({ length: c.size }, () => []);
        rec.spikeSteps.forEach((s, k) => perNeuron[rec.spikeIndices[k]].push(s));
        perNeuron.forEach((s, i) => {
          expect(Math.abs(s.length - c.spike_counts[i]), `neuron ${i}`).toBeLessThanOrEqual(Math.max(1, 0.03 * c.spike_counts[i]));
          if (c.spike_steps[i].length) expect(Math.abs(s[0] - c.spike_steps[i][0]), `neuron ${i}`).toBeLessThanOrEqual(2);
        });
      } finally {
        e.dispose();
      }
    });
  }

  it("white noise: the OU membrane and the noisy LIF have Brian2's statistics (within 4 seed spreads)", async () => {
    const c = ref.cases.ou_noise as NoiseCase;
    const b = c.results.ou.across_seeds_and_samples;
    const lif = c.results.noisy_lif.across_seeds;
    const e = await Engine.create(loadFlat(join(DIR, 'ou_noise.yaml')), { backend: 'webgpu', gpu: gpu! });
    try {
      e.backend.configureRecording({ spikes: ['noisy_lif'] });
      await e.step(5000);
      const v = await e.backend.readState('ou', 'v');
      const m = v.reduce((a, x) => a + x, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
      expect(Math.abs(m + 65)).toBeLessThanOrEqual(4 * b.sd_of_means_mV);
      expect(Math.abs(sd - b.mean_of_sds_mV)).toBeLessThanOrEqual(4 * b.sd_of_sds_mV);
      const rate = e.backend.recording().populations.noisy_lif.spikeSteps.length / (2000 * 0.5);
      expect(Math.abs(rate - lif.mean_Hz)).toBeLessThanOrEqual(4 * lif.sd_Hz);
    } finally {
      e.dispose();
    }
  });
});
