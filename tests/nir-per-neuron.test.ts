// NIR nodes whose neurons differ (a bias per neuron, per-neuron tau, r, v_leak, v_threshold, v_reset)
// import as a population of lif_per_neuron (interop/nir/per-neuron.ts: Flux's lif written as
// equations, one value per neuron) and run: each neuron fires at the rate its own values give (the
// closed form of a LIF under constant input), and it matches, spike step for spike step, the same
// graph written with one node per neuron (built-in lif populations), synaptic input included.
import { describe, it, expect, beforeAll } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Engine, loadCircuit } from '../engine/engine.js';
import { exportNir, importNir, nirArray, nirToCircuit, type NirFile, type NirNode } from '../interop/nir/index.js';
import { tempDir } from './helpers.js';
import { writeHandNir, type HandNode } from './fixtures/nir/build.js';

const DT = 0.1; // ms
const STEPS = 5000;

let dir: string;
beforeAll(() => {
  dir = tempDir('flux-nir-per-neuron-');
});

/** Runs a document for `steps` on the CPU engine, recording every spike and v of every neuron of `pops`. */
async function run(file: string, pops: Record<string, number>, steps = STEPS) {
  const e = await Engine.create(file, { backend: 'cpu', kernels: 'js' });
  e.backend.configureRecording({
    spikes: 'all',
    state: Object.entries(pops).map(([population, n]) => ({ population, variable: 'v', indices: [...Array(n).keys()] })),
  });
  await e.step(steps);
  return e.backend.recording().populations;
}

/** Spike steps of neuron i of a recorded population. */
const spikesOf = (rec: Awaited<ReturnType<typeof run>>[string], i: number) => rec.spikeSteps.filter((_, k) => rec.spikeIndices[k] === i);

/** Every problem and note of an import, for the check that nothing was approximated. */
const reportText = (r: { problems: { kind: string; message: string }[]; notes: string[] }) =>
  [...r.problems.map((p) => `${p.kind}: ${p.message}`), ...r.notes].join('\n');

describe('an Affine bias per neuron into a LIF node (hdf5 file, as another tool writes it)', () => {
  const tau = 0.01; // s
  const bias = [1.2, 1.5, 2, 3, 5]; // pA; r = 1 GOhm, v_threshold 1 mV: v_inf = r * bias
  const graph = {
    nodes: {
      input: { type: 'Input', shape: [1] },
      fc: { type: 'Affine', params: { weight: { f32: [0, 0, 0, 0, 0], shape: [5, 1] }, bias: { f32: bias } } },
      lif: {
        type: 'LIF',
        params: {
          tau: { f32: Array(5).fill(tau) },
          r: { f32: Array(5).fill(1) },
          v_leak: { f32: Array(5).fill(0) },
          v_threshold: { f32: Array(5).fill(1) },
        },
      },
      output: { type: 'Output', shape: [5] },
    } as Record<string, HandNode>,
    edges: [
      ['input', 'fc'],
      ['fc', 'lif'],
      ['lif', 'output'],
    ] as [string, string][],
  };

  it('imports without approximation, validates, and each neuron fires at the rate of its own bias', async () => {
    const file = await writeHandNir(dir, 'bias.nir', graph);
    const out = join(dir, 'bias.yaml');
    const r = await importNir(file, out, { dt: DT }); // throws if anything is a problem; loadCircuit checks the document
    expect(r.problems).toEqual([]);
    expect(reportText(r)).not.toMatch(/approximat|used the mean|used \S+$/m);
    expect(r.notes).toContainEqual(
      expect.stringMatching(/node lif: i_offset differ between its 5 neurons -> population "lif" of lif_per_neuron/),
    );
    expect(Object.keys(r.doc.models ?? {})).toEqual(['lif_per_neuron']);
    const pop = r.doc.populations!.lif;
    expect(pop.model).toBe('lif_per_neuron');
    expect(pop.params!.i_offset).toEqual(bias.map((b) => `${Math.fround(b)} pA`));
    expect(pop.params!.v_thresh).toBe('1 mV'); // alike values stay one quantity
    expect(r.yaml).toMatch(/i_offset: \[ 1\.2\S* pA, 1\.5 pA, 2 pA, 3 pA, 5 pA \]/);
    loadCircuit(out);

    const rec = (await run(out, {}, 10000)).lif;
    for (const [i, b0] of bias.entries()) {
      const b = Math.fround(b0);
      // Closed form: from v = 0 (also the reset), v(t) = b r (1 - exp(-t/tau)) reaches 1 at T = tau ln(b/(b - 1)).
      const T = tau * 1000 * Math.log(b / (b - 1)); // ms
      // On the step grid (v exact at every step): the threshold is reached k steps after each reset.
      let k = 1;
      while (b * (1 - Math.exp((-k * DT) / (tau * 1000))) < 1) k++;
      const got = spikesOf(rec, i);
      console.log(`bias ${b} pA: ${got.length} spikes in 1 s; closed form ${(1000 / T).toFixed(2)} Hz, on the grid every ${k} steps`);
      expect(got.length).toBe(Math.floor(10000 / k));
      expect(got.slice(0, 3)).toEqual([k - 1, 2 * k - 1, 3 * k - 1]);
      expect(Math.abs(got.length - 1000 / T)).toBeLessThanOrEqual((1000 / T) * (DT / T) + 1);
    }
  });
});

// --- the same network as one node per layer (per-neuron values) or one node per neuron (built-in lif) ---

interface Layer {
  type: 'LIF' | 'CubaLIF' | 'IF';
  /** NIR parameters, one value per neuron */
  params: Record<string, number[]>;
  /** Affine bias per neuron */
  bias: number[];
  /** Charges (pA*s) per spike of the driver: excitatory through an LI synapse (CubaLIF: its own), inhibitory as Dirac pulses. */
  exc: number[];
  inh: number[];
  metadata?: Record<string, number>;
}

const arr = (x: number[]) => nirArray(x);

/** The driver (a LIF spiking by itself), a constant input, and `layer` as one node or as one node per neuron. */
function network(layer: Layer, split: boolean): NirFile {
  const nodes: Record<string, NirNode> = {
    in: { type: 'Input', params: { shape: arr([1]) }, metadata: {} },
    driver: { type: 'LIF', params: { tau: arr([0.01]), r: arr([1]), v_leak: arr([1.5]), v_threshold: arr([1]) }, metadata: {} },
  };
  const edges: [string, string][] = [];
  const n = layer.bias.length;
  const groups = split ? [...Array(n).keys()].map((i) => [i]) : [[...Array(n).keys()]];
  for (const idx of groups) {
    const s = split ? `_${idx[0]}` : '';
    const pick = (x: number[]) => idx.map((i) => x[i]);
    const m = idx.length;
    const params = Object.fromEntries(Object.entries(layer.params).map(([k, v]) => [k, arr(pick(v))]));
    nodes[`target${s}`] = { type: layer.type, params, metadata: layer.metadata ?? {} };
    nodes[`fc${s}`] = {
      type: 'Affine',
      params: { weight: nirArray(new Array(m).fill(0), [m, 1]), bias: arr(pick(layer.bias)) },
      metadata: {},
    };
    nodes[`inh${s}`] = {
      type: 'Linear',
      params: {
        weight: nirArray(
          pick(layer.inh).map((w) => -w),
          [m, 1],
        ),
      },
      metadata: {},
    };
    nodes[`exc${s}`] = { type: 'Linear', params: { weight: nirArray(pick(layer.exc), [m, 1]) }, metadata: {} };
    edges.push(['in', `fc${s}`], [`fc${s}`, `target${s}`], ['driver', `inh${s}`], [`inh${s}`, `target${s}`], ['driver', `exc${s}`]);
    if (layer.type === 'CubaLIF') edges.push([`exc${s}`, `target${s}`]);
    else {
      nodes[`syn${s}`] = {
        type: 'LI',
        params: { tau: arr(Array(m).fill(0.005)), r: arr(Array(m).fill(1)), v_leak: arr(Array(m).fill(0)) },
        metadata: {},
      };
      edges.push([`exc${s}`, `syn${s}`], [`syn${s}`, `target${s}`]);
    }
  }
  return { version: '1.0.7', graph: { nodes, edges, metadata: {} } };
}

/** Imports both forms, runs them, and compares neuron by neuron: spike steps and the largest difference of v. */
async function compare(name: string, layer: Layer) {
  const n = layer.bias.length;
  const joint = nirToCircuit(network(layer, false), { dt: DT });
  const split = nirToCircuit(network(layer, true), { dt: DT });
  expect(joint.problems).toEqual([]);
  expect(split.problems).toEqual([]);
  expect(reportText(joint)).not.toMatch(/approximat/);
  expect(joint.doc.populations!.target.model).toBe('lif_per_neuron');
  for (let i = 0; i < n; i++) expect(split.doc.populations![`target_${i}`].model).toBe('lif');
  writeFileSync(join(dir, `${name}-joint.yaml`), joint.yaml);
  writeFileSync(join(dir, `${name}-split.yaml`), split.yaml);
  const a = await run(join(dir, `${name}-joint.yaml`), { target: n });
  const b = await run(join(dir, `${name}-split.yaml`), Object.fromEntries([...Array(n).keys()].map((i) => [`target_${i}`, 1])));
  const rows: { spikes: number; dv: number; rel: number }[] = [];
  for (let i = 0; i < n; i++) {
    const bi = b[`target_${i}`];
    expect(spikesOf(a.target, i)).toEqual(bi.spikeSteps);
    const va = a.target.state.v.values;
    const vb = bi.state.v.values;
    expect(va.length).toBe(STEPS);
    let dv = 0;
    let scale = 0;
    for (let s = 0; s < vb.length; s++) {
      dv = Math.max(dv, Math.abs(va[s][i] - vb[s][0]));
      scale = Math.max(scale, Math.abs(vb[s][0]));
    }
    rows.push({ spikes: bi.spikeSteps.length, dv, rel: dv / scale });
  }
  console.log(
    `${name}: per neuron [spikes, max |v - v_lif| (mV), relative to max |v|]`,
    rows.map((x) => [x.spikes, x.dv, x.rel]),
  );
  return { rows, joint, driverSpikes: a.driver.spikeSteps.length };
}

describe('per-neuron parameters run as the built-in lif does, one node per neuron (synaptic input included)', () => {
  it('LIF: per-neuron tau, r, v_leak, v_threshold, v_reset and bias; Dirac (1 µs synapse) and LI-filtered input; refractory metadata', async () => {
    const { rows, joint, driverSpikes } = await compare('lif', {
      type: 'LIF',
      params: {
        tau: [0.005, 0.01, 0.02, 0.01, 0.03],
        r: [1, 2, 0.5, 1, 1],
        v_leak: [0, 0.1, -0.1, 0, 0.2],
        v_threshold: [1, 1.2, 0.8, 1, 1.5],
        v_reset: [0, -0.2, 0, 0.1, 0],
      },
      bias: [0.9, 0.5, 1.8, 1.1, 1.4],
      exc: [0.01, 0.02, 0.01, 0.005, 0.02],
      inh: [0.002, 0.001, 0.003, 0.002, 0.001],
      metadata: { flux_tau_refrac_ms: 2 },
    });
    expect(driverSpikes).toBeGreaterThan(20);
    expect(rows.every((x) => x.spikes > 5)).toBe(true);
    // Equal up to rounding: the held channel times k_exc / k_inh moves v as the decaying one does. The
    // built-in's propagators are a numerical matrix exponential (engine/equations/propagator.ts, eight
    // squarings for the 1 µs synapse), the per-neuron model's a closed form: measured 1.4e-12.
    for (const x of rows) expect(x.rel).toBeLessThan(5e-12);
    const p = joint.doc.populations!.target;
    expect(p.params).toMatchObject({ tau_m: ['5 ms', '10 ms', '20 ms', '10 ms', '30 ms'], tau_refrac: '2.1 ms', tau_syn_exc: '5 ms' });
    expect(p.params!.v_thresh).toEqual(['1 mV', '1.2 mV', '0.8 mV', '1 mV', '1.5 mV']);
  });

  it('CubaLIF: per-neuron tau_mem, w_in, thresholds and a bias per neuron that rises through the synapse (i_exc0)', async () => {
    const { rows, joint } = await compare('cuba', {
      type: 'CubaLIF',
      params: {
        tau_mem: [0.01, 0.02, 0.005, 0.01],
        tau_syn: [0.005, 0.005, 0.005, 0.005],
        r: [1, 1, 2, 0.5],
        v_leak: [0, 0, 0, 0],
        v_threshold: [1, 0.8, 1.2, 1],
        v_reset: [0, 0, 0, 0],
        w_in: [1, 2, 1, 0.5],
      },
      bias: [1.1, 0.6, 0.7, 5],
      exc: [0.004, 0.002, 0.003, 0.004],
      inh: [0.002, 0.001, 0.001, 0.002],
    });
    expect(rows.every((x) => x.spikes > 5)).toBe(true);
    for (const x of rows) expect(x.rel).toBeLessThan(1e-12);
    const p = joint.doc.populations!.target;
    // the bias through the synapse (w_in) rises from 0: the channel starts at -w_in * bias per neuron
    expect(p.params!.i_exc0).toEqual(['-1.1 pA', '-1.2 pA', '-0.7 pA', '-2.5 pA']);
    expect(joint.doc.models!.lif_per_neuron).toMatchObject({ parameters: { i_exc0: '0 pA', i_inh0: '0 pA' } });
  });

  it('IF: per-neuron r and thresholds (tau_m 1e9 ms: rounding of the leak, as the built-in lif has)', async () => {
    const { rows } = await compare('if', {
      type: 'IF',
      params: { r: [1, 2, 0.5], v_threshold: [1, 1, 2], v_reset: [0, 0, 0] },
      bias: [50, 30, 40],
      exc: [0.1, 0.05, 0.2],
      inh: [0.1, 0.1, 0.05],
    });
    expect(rows.every((x) => x.spikes > 5)).toBe(true);
    for (const x of rows) expect(x.rel).toBeLessThan(1e-6);
  });
});

describe('why the model scales the held synaptic current (k_exc, k_inh)', () => {
  it('without the factors, exponential Euler alone holds the 1 µs Dirac synapse over the step: dt / 1 µs times the charge', async () => {
    const layer: Layer = {
      type: 'LIF',
      params: { tau: [0.01, 0.02], r: [1, 1], v_threshold: [100, 100] },
      bias: [0, 0],
      exc: [0, 0],
      inh: [0.002, 0.004],
    };
    const r = nirToCircuit(network(layer, false), { dt: DT });
    const held = r.yaml.replace(/k_(exc|inh) = .*/g, 'k_$1 = 1 : 1');
    expect(held).not.toBe(r.yaml);
    writeFileSync(join(dir, 'k.yaml'), r.yaml);
    writeFileSync(join(dir, 'held.yaml'), held);
    const a = await run(join(dir, 'k.yaml'), { target: 2 });
    const b = await run(join(dir, 'held.yaml'), { target: 2 });
    const first = a.driver.spikeSteps[0] + 1; // the step the first pulse arrives (Flux's one-step latency)
    const jump = (rec: typeof a, i: number) => rec.target.state.v.values[first][i] - rec.target.state.v.values[first - 1][i];
    for (const [i, w] of layer.inh.entries()) {
      const tau = layer.params.tau[i];
      // a Dirac charge W into the membrane: a jump of -r W / tau, then the leak over the rest of the step
      expect(jump(a, i)).toBeCloseTo((-w / tau) * Math.exp(-DT / (tau * 1000)), 6);
      const ratio = jump(b, i) / jump(a, i);
      console.log(`tau ${tau * 1000} ms: held without k_inh, the first pulse moves v ${ratio.toFixed(1)} times as far`);
      expect(ratio).toBeGreaterThan(50);
    }
  });
});

describe('export of a population with per-neuron parameters', () => {
  it('is reported by name, not dropped silently', async () => {
    const r = nirToCircuit(
      network({ type: 'IF', params: { r: [1, 2], v_threshold: [1, 1] }, bias: [1, 2], exc: [0, 0], inh: [0, 0] }, false),
    );
    const file = join(dir, 'export.yaml');
    writeFileSync(file, r.yaml);
    const back = await exportNir(file, join(dir, 'export.nir'), { partial: true });
    expect(back.problems).toContainEqual(
      expect.objectContaining({
        element: 'populations.target',
        kind: 'unsupported',
        message: expect.stringMatching(/lif_per_neuron .* is not exported/),
      }),
    );
  });
});
