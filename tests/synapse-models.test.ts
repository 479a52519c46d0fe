// Synapse and learning models defined by equations against Brian2 2.5.1 running the same strings:
// tests/reference/models/syn_*.yaml are the Flux documents, brian2_synapses.py the Brian2 script that
// wrote synapses_brian2.json (and checks its strings are the documents' own). Every case is
// deterministic (regular spike trains whose spikes fall mid-step), so Flux and Brian2 compute the same
// float64 numbers up to rounding: Brian2 stores 6 significant digits, hence the 1e-5 relative bounds.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import type { CpuBackend } from '../engine/backends/cpu.js';
import { ROOT } from './helpers.js';
import { requires } from './requirements.js';

const DIR = join(ROOT, 'tests/reference/models');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the reference JSON's shape differs per case
type Json = any;
const ref = JSON.parse(readFileSync(join(DIR, 'synapses_brian2.json'), 'utf8')) as { cases: Record<string, Json> };
const open = (name: string) => Engine.fromFile(join(DIR, `${name}.yaml`));
const near = (got: number, want: number, rel = 1e-5, abs = 1e-9) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want) + abs);

describe('synapse models vs Brian2 2.5.1 (CPU backend)', () => {
  for (const name of ['syn_tm_depression', 'syn_tm_facilitation']) {
    it(`${name}: the current each spike adds (w u x) as Brian2's`, () => {
      const want = ref.cases[name].results.per_spike;
      const e = open(name);
      const de = Math.exp(-e.circuit.dt / 5);
      const ie: number[] = [];
      const last = want.step.at(-1) + 2;
      for (let s = 0; s < last; s++) {
        e.step(1);
        ie.push((e.backend.readState('cell', 'ie') as Float64Array)[0]);
      }
      e.backend.dispose();
      want.step.forEach((s: number, k: number) => near(ie[s] - ie[s - 1] * de, want.I_exc_jump_pA[k]));
    });
  }

  it('syn_alpha: the target membrane follows Brian2 with two overlapping alpha conductances', () => {
    const c = ref.cases.syn_alpha;
    const e = open('syn_alpha');
    e.backend.configureRecording({ state: [{ population: 'cell', variable: 'v', every: 1 }] });
    const v: number[] = c.results.traces.cell_v_mV.values;
    e.step(v.length);
    const got = e.backend.recording().populations.cell.state.v.values.map((x) => x[0]);
    const pre = e.backend.recording().populations.pre;
    e.backend.dispose();
    // Brian2 samples at the start of step K (after step K - 1).
    for (let k = 1; k < v.length; k++) near(got[k - 1], v[k], 1e-5, 1e-4);
    expect(pre.spikeSteps.filter((_, i) => pre.spikeIndices[i] === 0)).toEqual(c.results.spike_steps.pre[0]);
  });

  it('syn_pair_stdp: the STDP window as Brian2 computes it, from -50 to +50 ms', () => {
    const r = ref.cases.syn_pair_stdp.results;
    const e = open('syn_pair_stdp');
    e.step(1500);
    const w = e.backend.readWeights('stdp') as Float32Array;
    e.backend.dispose();
    // Weights are float32 in Flux: 5e-3 + dw rounds at ~4e-10, below the stored 6 digits of dw.
    r.dw.forEach((dw: number, k: number) => near(w[k] - r.w_start, dw, 1e-5, 2e-9));
  });

  it("syn_triplet_stdp: Pfister & Gerstner's frequency dependence (both signs potentiate at 40 and 50 Hz)", () => {
    const r = ref.cases.syn_triplet_stdp.results.dw;
    const e = open('syn_triplet_stdp');
    e.step(Math.round(59050 / e.circuit.dt));
    for (const proj of ['minimal', 'full']) {
      const w = e.backend.readWeights(proj) as Float32Array;
      r[proj].w_end.forEach((want: number, k: number) => near(w[k], want, 1e-6, 1e-6));
    }
    e.backend.dispose();
    expect(r.minimal.dw_minus10[4]).toBeGreaterThan(0);
    expect(r.minimal.dw_minus10[0]).toBeLessThan(0);
  });

  it('syn_bcm: weights move as the sliding threshold makes them (per synapse, every 10 ms)', () => {
    const r = ref.cases.syn_bcm.results;
    const e = open('syn_bcm');
    const every = Math.round(r.traces.every_ms / e.circuit.dt);
    const series: Float32Array[] = [];
    for (let k = 0; k < r.traces.w[0].length; k++) {
      series.push(Float32Array.from(e.backend.readWeights('bcm') as Float32Array));
      e.step(every);
    }
    e.backend.dispose();
    r.traces.w.forEach((trace: number[], syn: number) => trace.forEach((want, k) => near(series[k][syn], want, 1e-5, 1e-6)));
  });
});

describe('with synapse models, the generated WebAssembly phases give the JavaScript phases their bits', () => {
  for (const name of ['syn_alpha', 'syn_bcm', 'syn_tm_facilitation'])
    it(name, () => {
      const run = (kernels: 'js' | 'wasm') => {
        const e = Engine.fromFile(join(DIR, `${name}.yaml`), { kernels });
        e.backend.configureRecording({});
        e.step(3000);
        const rec = e.backend.recording().populations;
        const out = {
          spikes: Object.fromEntries(Object.entries(rec).map(([k, p]) => [k, p.spikeSteps])),
          v: Object.keys(rec).flatMap((k) =>
            e.circuit.populations.find((p) => p.name === k)!.model === 'passive'
              ? Array.from(e.backend.readState(k, 'v') as Float64Array)
              : [],
          ),
          w: Array.from(e.backend.readWeights(e.circuit.projections[0].name) as Float32Array),
        };
        e.backend.dispose();
        return out;
      };
      expect(run('wasm')).toEqual(run('js'));
    });
});

describe('a synapse model sees what a live edit changed', () => {
  // on_pre reads a parameter of the target population: the CPU backend keeps the synapse code's
  // context between steps and must rebuild it after the edit.
  const text = (k: number) => `
dt: 0.1 ms
models:
  ticker:
    parameters: { rate: 1000 Hz }
    equations: |
      dphase/dt = rate : 1
    threshold: phase >= 1 - 1e-9
    reset: phase = 0
    method: euler
  passive:
    parameters: { tau_m: 20 ms, k: ${k} }
    equations: |
      dv/dt = -v/tau_m : volt
    method: euler
  scaled:
    kind: synapse
    equations: |
      w : amp
    on_pre: |
      I_exc_post += w*k_post
populations:
  pre: { model: ticker, size: 1 }
  cell: { model: passive, size: 1, params: { k: ${k} } }
projections:
  p: { source: pre, target: cell, connectivity: { type: all_to_all }, weight: 10 pA, synapse: { model: scaled } }
`;
  for (const kernels of ['wasm', 'js'] as const)
    it(`kernels: ${kernels}`, () => {
      const e = new Engine(loadFlat(join(DIR, 'edit-scaled.yaml'), text(1)), { kernels });
      // The channel decays with the population's tau_syn_exc: the engine's default, 5 ms, for a model without one.
      const de = Math.exp(-e.circuit.dt / 5);
      const jumps: number[] = [];
      let before = 0;
      for (let s = 0; s < 60; s++) {
        if (s === 30) expect(e.apply({ op: 'set_param', population: 'cell', param: 'k', value: 3 }).applied).toBe(true);
        e.step(1);
        const ie = (e.backend.readState('cell', 'ie') as Float64Array)[0];
        const jump = ie - before * de;
        if (Math.abs(jump) > 1e-9) {
          jumps.push(jump);
          // The code the kernels say ran, before and after the edit: the WebAssembly is built again, not dropped.
          expect((e.backend as CpuBackend).synapseCode('p')?.code).toBe(kernels);
        }
        before = ie;
      }
      e.backend.dispose();
      // A spike every 10 steps: three before the edit at k = 1, three after at k = 3.
      expect(jumps.length).toBe(6);
      jumps.forEach((j, n) => expect(j).toBeCloseTo(n < 3 ? 10 : 30, 6));
    });
});

const brian2 = requires('brian2');
describe.skipIf(brian2.skip)('the committed Brian2 synapse results are what Brian2 produces', () => {
  it('re-running brian2_synapses.py gives the same results', { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-brian2-syn-'));
    try {
      const out = join(dir, 'synapses.json');
      const r = spawnSync('/usr/bin/python3', [join(DIR, 'brian2_synapses.py')], {
        env: { ...process.env, FLUX_REFERENCE_OUT: out },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const fresh = JSON.parse(readFileSync(out, 'utf8')) as typeof ref;
      for (const [name, c] of Object.entries(ref.cases)) expect(fresh.cases[name].results, name).toEqual(c.results);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
