// NIR import and export (interop/nir): a Flux -> NIR -> Flux round trip on a test network, NIR files
// written by hand in the reference implementation's layout checked against closed-form LIF, CubaLIF,
// IF and LI solutions (time in seconds, tau never scaled by dt, spikes as Dirac pulses), and the
// elements a NIR graph cannot hold reported by name.
import { describe, it, expect, beforeAll } from 'vitest';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Engine, loadCircuit } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import {
  exportNir,
  importNir,
  readNirFile,
  nirToCircuit,
  circuitToNir,
  NirConversionError,
  FAST_TAU_SYN_MS,
  MS_PER_S,
} from '../interop/nir/index.js';
import { nirExport, nirImport } from '../cli/nir.js';
import { writeFiles, tempDir } from './helpers.js';
import { writeHandNir, LIF_CONSTANT, CUBA_IF_LI, TWO_LIF, NONUNIFORM, type HandNode } from './fixtures/nir/build.js';

const par = (p: { tau_refrac?: string } = {}) =>
  `{ cm: 200 pF, tau_m: 20 ms, v_rest: -65 mV, v_thresh: -50 mV, v_reset: -65 mV, tau_refrac: ${p.tau_refrac ?? '0 ms'}, tau_syn_exc: 5 ms, tau_syn_inh: 10 ms }`;

/**
 * A feed-forward network with every mapped feature: a Poisson input population (-> NIR Input), a
 * bias current and a constant source (-> v_leak), all_to_all and one_to_one projections with delays,
 * excitatory and inhibitory synapses with different time constants (-> LIF + LI synapses), a
 * self-inhibiting layer (all_to_all, autapses false), a current input (-> Input + Scale) and an output.
 */
const NETWORK = `
name: nir_roundtrip
dt: 0.1 ms
seed: 7
populations:
  drive: { model: poisson, size: 20, params: { rate: 40 Hz } }
  exc: { model: lif, size: 8, params: { cm: 200 pF, tau_m: 20 ms, v_rest: -65 mV, v_thresh: -50 mV, v_reset: -65 mV, tau_refrac: 0 ms, tau_syn_exc: 5 ms, tau_syn_inh: 10 ms, i_offset: 100 pA } }
  inh: { model: lif, size: 4, params: ${par()} }
  mirror: { model: lif, size: 8, params: { cm: 150 pF, tau_m: 15 ms, v_rest: -70 mV, v_thresh: -55 mV, v_reset: -70 mV, tau_refrac: 0 ms, tau_syn_exc: 3 ms } }
  out: { model: lif, size: 3, params: ${par()} }
projections:
  drive_exc: { source: drive, target: exc, connectivity: { type: all_to_all }, weight: 60 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
  exc_inh: { source: exc, target: inh, connectivity: { type: all_to_all }, weight: 80 pA, delay: 0.5 ms, synapse: { type: current, receptor: excitatory } }
  inh_exc: { source: inh, target: exc, connectivity: { type: all_to_all }, weight: 50 pA, synapse: { type: current, receptor: inhibitory } }
  exc_mirror: { source: exc, target: mirror, connectivity: { type: one_to_one }, weight: 1500 pA, delay: 2 ms, synapse: { type: current, receptor: excitatory } }
  exc_out: { source: exc, target: out, connectivity: { type: all_to_all }, weight: 30 pA, delay: 2 ms, synapse: { type: current, receptor: excitatory } }
  out_out: { source: out, target: out, connectivity: { type: all_to_all, autapses: false }, weight: 40 pA, synapse: { type: current, receptor: inhibitory } }
sources:
  bias: { type: constant, target: out, amplitude: 50 pA }
inputs:
  push: { target: out, mode: current, gain: 2 }
  rate: { target: drive, mode: rate }
outputs:
  activity: { source: out, measure: rate, tau: 20 ms }
`;

async function run(file: string, steps: number, setup?: (e: Engine<Backend>) => void) {
  const e = await Engine.create(file, { backend: 'cpu', kernels: 'js' });
  e.backend.configureRecording({ spikes: 'all' });
  setup?.(e);
  await e.step(steps);
  const rec = e.backend.recording();
  const counts = Object.fromEntries(Object.entries(rec.populations).map(([k, p]) => [k, p.spikeSteps.length]));
  return { e, rec, counts };
}

describe('NIR round trip: Flux -> NIR -> Flux', () => {
  let dir: string;
  let src: string;
  let back: string;
  let exported: Awaited<ReturnType<typeof exportNir>>;
  beforeAll(async () => {
    dir = writeFiles({ 'net.yaml': NETWORK });
    src = join(dir, 'net.yaml');
    exported = await exportNir(src, join(dir, 'net.nir'));
    back = join(dir, 'back.yaml');
    await importNir(join(dir, 'net.nir'), back);
  });

  it('writes the NIR primitives the mapping table names, with time constants in seconds and weights as charges', async () => {
    expect(exported.problems).toEqual([]);
    const { version, graph } = await readNirFile(join(dir, 'net.nir'));
    expect(version).toMatch(/^1\.0\./);
    const type = (n: string) => graph.nodes[n]?.type;
    expect([
      type('drive'),
      type('exc'),
      type('exc.syn_exc'),
      type('exc.syn_inh'),
      type('inh'),
      type('mirror'),
      type('out'),
      type('out.syn_exc'),
      type('out.syn_inh'),
    ]).toEqual(['Input', 'LIF', 'LI', 'LI', 'CubaLIF', 'CubaLIF', 'LIF', 'LI', 'LI']);
    expect([type('drive_exc'), type('drive_exc.delay'), type('push'), type('push.gain'), type('activity')]).toEqual([
      'Linear',
      'Delay',
      'Input',
      'Scale',
      'Output',
    ]);
    const inh = graph.nodes.inh.params;
    expect(inh.tau_mem.data[0]).toBe(0.02); // 20 ms -> 0.02 s, not multiplied by dt
    expect(inh.tau_syn.data[0]).toBe(0.005);
    expect(inh.r.data[0]).toBeCloseTo(0.1, 15); // tau_m / cm = 20 ms / 200 pF = 0.1 GOhm
    expect(inh.v_threshold.data[0]).toBe(15); // -50 mV relative to the initial v (-65 mV)
    expect(graph.nodes['drive_exc.delay'].params.delay.data[0]).toBeCloseTo(0.001, 15);
    // exc: v_leak = v_rest + r * i_offset - v0 = -65 + 0.1 * 100 + 65
    expect(graph.nodes.exc.params.v_leak.data[0]).toBeCloseTo(10, 12);
    // a 60 pA current synapse with tau_syn 5 ms carries 60 pA * 0.005 s = 0.3 pA*s per spike
    const w = graph.nodes.drive_exc.params.weight;
    expect(w.shape).toEqual([8, 20]);
    expect(w.data.every((x) => Math.abs(x - 0.3) < 1e-7)).toBe(true);
    expect(graph.nodes.inh_exc.params.weight.data.every((x) => Math.abs(x + 50 * 0.01) < 1e-7)).toBe(true);
    expect(graph.edges).toContainEqual(['exc.syn_inh', 'exc']);
  });

  it('preserves populations, sizes, weight matrices (float32), delays, inputs and outputs', () => {
    const a = loadCircuit(src).circuit;
    const b = loadCircuit(back).circuit;
    const pops = (c: typeof a) => c.populations.map((p) => [p.name, p.model, p.size]).sort();
    expect(pops(b)).toEqual(pops(a));
    const projs = (c: typeof a) => c.projections.map((p) => [p.name, p.source, p.target, p.synapse.receptor, p.connectivity.type]).sort();
    expect(projs(b)).toEqual(projs(a));
    expect(b.inputs.map((i) => [i.name, i.target, i.mode, i.gain]).sort()).toEqual(
      a.inputs.map((i) => [i.name, i.target, i.mode, i.gain]).sort(),
    );
    expect(b.outputs).toEqual(a.outputs);
    expect(b.dt).toBe(a.dt);
    expect(b.seed).toBe(a.seed);
    const ea = new Engine(loadCircuit(src).flat, { kernels: 'js' });
    const eb = new Engine(loadCircuit(back).flat, { kernels: 'js' });
    for (const pa of ea.network.projections) {
      const pb = eb.network.projections.find((p) => p.spec.name === pa.spec.name)!;
      expect(Array.from(pb.rowPtr), pa.spec.name).toEqual(Array.from(pa.rowPtr));
      expect(Array.from(pb.targets), pa.spec.name).toEqual(Array.from(pa.targets));
      expect(pb.delaySteps, pa.spec.name).toBe(pa.delaySteps);
      for (let k = 0; k < pa.weights.length; k++)
        expect(Math.abs(pb.weights[k] - pa.weights[k]), pa.spec.name).toBeLessThanOrEqual(Math.abs(pa.weights[k]) * 2 ** -23);
    }
    // parameters come back exactly up to float64 rounding (the bias is folded into v_rest)
    const exc = b.populations.find((p) => p.name === 'exc')!.params;
    expect(exc.v_rest).toBeCloseTo(-55, 10);
    expect(exc.i_offset).toBe(0);
    expect(exc.tau_syn_exc).toBeCloseTo(5, 12);
    expect(exc.tau_syn_inh).toBeCloseTo(10, 12);
  });

  it('simulates to the same spike counts per population (1 s, CPU engine)', async () => {
    const drive = (e: Engine<Backend>) => e.backend.setInput('push', 60);
    const a = await run(src, 10000, drive);
    const b = await run(back, 10000, drive);
    console.log(`round trip spike counts: flux ${JSON.stringify(a.counts)}; after NIR ${JSON.stringify(b.counts)}`);
    for (const k of ['drive', 'exc', 'inh', 'mirror', 'out']) expect(a.counts[k], k).toBeGreaterThan(10);
    expect(b.counts).toEqual(a.counts);
    // identical spike trains too: the same Poisson stream (same seed and name) and the same arithmetic up to rounding
    let differing = 0;
    for (const k of Object.keys(a.counts))
      if (a.rec.populations[k].spikeSteps.join() !== b.rec.populations[k].spikeSteps.join()) differing++;
    expect(differing).toBe(0);
    expect(b.e.backend.readOutput('activity')).toBeCloseTo(a.e.backend.readOutput('activity') as number, 6);
  });

  it('keeps a refractory period only through Flux metadata, and says so', async () => {
    const d = writeFiles({
      'r.yaml': `dt: 0.1 ms\npopulations:\n  n: { model: lif, size: 2, params: ${par({ tau_refrac: '2 ms' })} }\nsources:\n  i: { type: constant, target: n, amplitude: 800 pA }\n`,
    });
    await expect(exportNir(join(d, 'r.yaml'), join(d, 'r.nir'))).rejects.toThrow(/populations\.n: approximated: tau_refrac 2 ms/);
    const r = await exportNir(join(d, 'r.yaml'), join(d, 'r.nir'), { partial: true });
    expect(r.problems.map((p) => p.element)).toEqual(['populations.n']);
    await importNir(join(d, 'r.nir'), join(d, 'back.yaml'));
    const a = await run(join(d, 'r.yaml'), 5000);
    const b = await run(join(d, 'back.yaml'), 5000);
    expect(a.counts.n).toBeGreaterThan(20);
    expect(b.counts).toEqual(a.counts);
  });
});

/** First time (s) at which f crosses the threshold, by bisection on a monotone rising closed form. */
function crossing(f: (t: number) => number, threshold: number, hi: number): number {
  let lo = 0;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= threshold) hi = mid;
    else lo = mid;
  }
  return hi;
}

describe('NIR files written by another tool (built by hand in the reference layout)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('flux-nir-');
  });

  it('NIR paper LIF (Norse conventions): first spike and spike count from the closed form, tau in seconds', async () => {
    const file = await writeHandNir(dir, 'lif.nir', LIF_CONSTANT.graph, '0.1.1');
    const out = join(dir, 'lif.yaml');
    const r = await importNir(file, out, { dt: 0.01 });
    expect(r.problems).toEqual([]);
    // tau dv/dt = -v + r b, v(0) = 0 -> v(t) = r b (1 - exp(-t/tau)); spike when v reaches 0.1
    const { tau, r: R, bias, threshold } = LIF_CONSTANT;
    const tStar = -tau * Math.log(1 - threshold / (R * bias)); // 2.7465 ms
    const pop = r.populations['1'];
    expect(pop).toBe('n_1');
    const dt = 0.01; // ms
    const { rec } = await run(out, 10000);
    const steps = rec.populations[pop].spikeSteps;
    // the spike is stamped at the start of the step in which v crosses: t* lies within that step
    const first = steps[0] * dt;
    console.log(
      `LIF (NIR tau 0.0025 s): closed-form first spike ${(tStar * 1000).toFixed(5)} ms, Flux step [${first.toFixed(2)}, ${(first + dt).toFixed(2)}] ms, ${steps.length} spikes in 100 ms`,
    );
    expect(tStar * 1000).toBeGreaterThan(first);
    expect(tStar * 1000).toBeLessThanOrEqual(first + dt + 1e-9);
    // reset to 0 restarts the same trajectory: one spike every ceil(t*/dt) steps
    const period = Math.ceil((tStar * 1000) / dt);
    expect(steps.length).toBe(Math.floor(10000 / period));
    expect(steps[1] - steps[0]).toBe(period);
  });

  it('CubaLIF with w_in and a filtered bias, IF and LI readouts follow their closed forms', async () => {
    const file = await writeHandNir(dir, 'cuba.nir', CUBA_IF_LI.graph);
    const out = join(dir, 'cuba.yaml');
    await expect(importNir(file, out, { dt: 0.01 })).rejects.toThrow(/node out_li: approximated: reads the 2 potentials of "readout"/);
    const r = await importNir(file, out, { dt: 0.01, partial: true });
    expect(r.problems.map((p) => p.element)).toEqual(['node out_li']);
    const e = await Engine.create(out, { backend: 'cpu', kernels: 'js' });
    e.backend.configureRecording({ spikes: 'all', state: [{ population: 'readout', variable: 'v', indices: [0, 1], every: 1 }] });
    await e.step(4000);
    const rec = e.backend.recording();
    const dt = 0.01;
    // CubaLIF: tau_syn dI/dt = -I + w_in b, I(0) = 0; tau_mem dv/dt = -v + r I
    const c = CUBA_IF_LI.cuba;
    const A = c.r * c.wIn * c.bias;
    const vCuba = (t: number) =>
      A * (1 - (c.tauMem * Math.exp(-t / c.tauMem) - c.tauSyn * Math.exp(-t / c.tauSyn)) / (c.tauMem - c.tauSyn));
    const tCuba = crossing(vCuba, c.threshold, 1) * 1000;
    const cuba = rec.populations.cuba.spikeSteps;
    expect(rec.populations.cuba.spikeIndices.slice(0, 3).sort()).toEqual([0, 1, 2]);
    expect(cuba[0]).toBe(cuba[2]); // all three neurons together
    // IF: dv/dt = r b -> t* = threshold / (r b) = 5.263 ms
    const tIf = (CUBA_IF_LI.iff.threshold / (CUBA_IF_LI.iff.r * CUBA_IF_LI.iff.bias)) * 1000;
    const ifs = rec.populations.if.spikeSteps;
    console.log(
      `CubaLIF: closed form ${tCuba.toFixed(5)} ms, Flux step starts ${(cuba[0] * dt).toFixed(2)} ms; IF: ${tIf.toFixed(5)} ms, Flux step starts ${(ifs[0] * dt).toFixed(2)} ms`,
    );
    expect(tCuba).toBeGreaterThan(cuba[0] * dt);
    expect(tCuba).toBeLessThanOrEqual(cuba[0] * dt + dt + 1e-9);
    expect(tIf).toBeGreaterThan(ifs[0] * dt);
    expect(tIf).toBeLessThanOrEqual(ifs[0] * dt + dt + 1e-9);
    const ifPeriod = Math.ceil(tIf / dt);
    expect(ifs.length).toBe(Math.floor(4000 / ifPeriod));
    // LI: v(t) = r b (1 - exp(-t/tau)), never spikes
    const li = CUBA_IF_LI.li;
    const probe = rec.populations.readout.state.v;
    const k = probe.steps.indexOf(1999); // sampled after step 1999, i.e. at t = 20 ms
    const expected = li.r * li.bias * (1 - Math.exp(-0.02 / li.tau));
    expect(probe.values[k][0]).toBeCloseTo(expected, 9);
    expect(rec.populations.readout.spikeSteps.length).toBe(0);
  });

  it('two-LIF example: each spike through Scale, Delay and Linear jumps the target by r W / tau (a Dirac pulse), 3 ms later', async () => {
    const file = await writeHandNir(dir, 'two.nir', TWO_LIF.graph);
    const out = join(dir, 'two.yaml');
    const r = await importNir(file, out, { dt: 0.1 });
    expect(r.problems).toEqual([]);
    expect(r.populations).toMatchObject({ lif1: 'lif1', 'sub.lif2': 'sub_lif2', in: 'in' });
    const doc = readFileSync(out, 'utf8');
    expect(doc).toContain(`tau_syn_exc: ${FAST_TAU_SYN_MS} ms`);
    const e = await Engine.create(out, { backend: 'cpu', kernels: 'js' });
    e.backend.configureRecording({ spikes: 'all', state: [{ population: 'sub_lif2', variable: 'v', every: 1 }] });
    await e.step(1000);
    const rec = e.backend.recording();
    const dt = 0.1;
    const t1 = -TWO_LIF.tau * Math.log(1 - TWO_LIF.threshold1 / TWO_LIF.vLeak1) * 1000; // 17.92 ms
    const s1 = rec.populations.lif1.spikeSteps;
    expect(t1).toBeGreaterThan(s1[0] * dt);
    expect(t1).toBeLessThanOrEqual(s1[0] * dt + dt);
    const v = rec.populations.sub_lif2.state.v;
    const at = (step: number) => v.values[v.steps.indexOf(step)][0];
    const delaySteps = Math.round((TWO_LIF.delay * 1000) / dt);
    const arrive = s1[0] + delaySteps + 1; // Flux: a delay of d steps is felt from step n + d + 1
    const jump = (1 * TWO_LIF.scale * TWO_LIF.weight) / TWO_LIF.tau; // r W / tau = 1.0
    console.log(
      `two-LIF: lif1 spikes at step ${s1[0]} (closed form ${t1.toFixed(4)} ms); lif2 v ${at(arrive - 1)} before, ${at(arrive)} after arrival (expected ${jump * Math.exp(-dt / 10)})`,
    );
    expect(at(arrive - 1)).toBe(0);
    expect(at(arrive)).toBeCloseTo(jump * Math.exp(-dt / (TWO_LIF.tau * 1000)), 9);
    expect(rec.populations.sub_lif2.spikeSteps.length).toBe(0);
    // a tool whose spike is the value 1 for one step of 1e-4 s: spikeIntegral scales every weight
    const r2 = await importNir(file, join(dir, 'two-step.yaml'), { dt: 0.1, spikeIntegral: 1e-4 });
    const w1 = (r.doc.projections!.linear2.weight as string).split(' ')[0];
    const w2 = (r2.doc.projections!.linear2.weight as string).split(' ')[0];
    expect(Number(w2) / Number(w1)).toBeCloseTo(1e-4, 12);
  });

  it('the imported documents pass flux validate (loadCircuit) and print through the CLI functions', async () => {
    const lines: string[] = [];
    const file = await writeHandNir(dir, 'two-cli.nir', TWO_LIF.graph);
    expect(await nirImport(file, join(dir, 'two-cli.yaml'), { log: (l) => lines.push(l), error: (l) => lines.push(l) })).toBe(true);
    expect(lines[0]).toMatch(/^ok .*two-cli\.nir -> .*two-cli\.yaml: 3 populations, 2 projections, 1 inputs, 1 outputs/);
    const { circuit } = loadCircuit(join(dir, 'two-cli.yaml'));
    expect(circuit.populations.map((p) => p.name).sort()).toEqual(['in', 'lif1', 'sub_lif2']);
  });

  it('per-neuron thresholds import as lif_per_neuron (tests/nir-per-neuron.test.ts), nothing approximated; the non-uniform weight matrix imports as matrix and list', async () => {
    const file = await writeHandNir(dir, 'trained.nir', NONUNIFORM.graph);
    await importNir(file, join(dir, 'trained.yaml'));
    const r = nirToCircuit(await readNirFile(file), { partial: true });
    expect(r.problems).toEqual([]);
    expect(r.doc.populations!.lif).toMatchObject({ model: 'lif_per_neuron', params: { v_thresh: ['1 mV', '1.5 mV'] } });
    // [[0.1, -0.2], [0.3, 0.4]]: the positive part (3 of 4 entries) as a matrix, the negative one (1 of 4) as a list
    const k = (MS_PER_S * (10 - FAST_TAU_SYN_MS)) / (FAST_TAU_SYN_MS * 10); // a Dirac charge into a LIF (tau 10 ms), pA per pA*s
    const exc = r.doc.projections!.fc1_exc;
    const inh = r.doc.projections!.fc1_inh;
    expect(exc.weight).toBeUndefined();
    expect(exc.connectivity.type).toBe('matrix');
    const m = (exc.connectivity as { weights: number[][] }).weights;
    expect(m.map((row) => row.map((x) => (x === 0 ? 0 : Math.fround(x / k))))).toEqual([
      [Math.fround(0.1), 0],
      [Math.fround(0.3), Math.fround(0.4)],
    ]);
    expect(inh.connectivity.type).toBe('list');
    const pairs = (inh.connectivity as { pairs: number[][] }).pairs;
    expect(pairs.map(([s, t, w]) => [s, t, Math.fround(w / k)])).toEqual([[1, 0, Math.fround(0.2)]]);
    expect(r.yaml).toMatch(/pairs:\n\s+- \[ 1, 0, [0-9.e+]+ \]/);
  });
});

describe('NIR export reports what it cannot map, by name', () => {
  const CIRCUIT = `
dt: 0.1 ms
populations:
  exc: { model: lif, size: 10, params: ${par()} }
  izh: { model: izhikevich, size: 5 }
  bg: { model: poisson, size: 10, params: { rate: 5 Hz } }
projections:
  plastic: { source: bg, target: exc, connectivity: { type: fixed_probability, p: 0.5 }, weight: 2 nS,
             synapse: { type: conductance, receptor: excitatory } }
  learn: { source: exc, target: exc, connectivity: { type: fixed_probability, p: 0.3 }, weight: 20 pA,
           synapse: { type: current, receptor: excitatory },
           plasticity: { rule: reward_stdp, w_max: 50 pA, tau_eligibility: 200 ms, learning_rate: 1, modulator: dopamine } }
  to_izh: { source: exc, target: izh, connectivity: { type: all_to_all }, weight: 5 pA, synapse: { type: current, receptor: excitatory } }
modulators:
  dopamine: { tau: 200 ms, sources: [{ input: reward }], targets: [{ projection: learn, effect: learning_rate }] }
sources:
  noise: { type: poisson, target: exc, rate: 10 Hz, count: 50, weight: 10 pA, synapse: { type: current, receptor: excitatory } }
  pulse: { type: step, target: exc, times: [10 ms], amplitudes: [100 pA] }
inputs:
  reward: {}
outputs:
  v: { source: exc, measure: voltage }
  izh_rate: { source: izh, measure: rate }
`;

  it('fails with every problem listed, or with partial writes the rest and returns the list', async () => {
    const dir = writeFiles({ 'c.yaml': CIRCUIT });
    const file = join(dir, 'c.yaml');
    let err: unknown;
    try {
      await exportNir(file, join(dir, 'c.nir'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NirConversionError);
    const listed = (err as NirConversionError).problems.map((p) => `${p.element} ${p.kind}`).sort();
    expect(listed).toEqual(
      [
        'populations.izh unsupported',
        'projections.plastic unsupported',
        'projections.learn approximated',
        'projections.to_izh unsupported',
        'modulators.dopamine unsupported',
        'sources.noise unsupported',
        'sources.pulse unsupported',
        'inputs.reward unsupported',
        'outputs.v approximated',
        'outputs.izh_rate unsupported',
      ].sort(),
    );
    const msg = (err as Error).message;
    expect(msg).toMatch(/populations\.izh: unsupported: izhikevich neurons have no NIR primitive/);
    expect(msg).toMatch(/projections\.plastic: unsupported: conductance synapses/);
    expect(msg).toMatch(/projections\.learn: approximated: plasticity \(reward_stdp\)/);
    expect(msg).toMatch(/modulators\.dopamine: unsupported: neuromodulation has no NIR primitive \(targets: learning_rate of learn\)/);

    const lines: string[] = [];
    expect(await nirExport(file, join(dir, 'c2.nir'), { log: (l) => lines.push(l), error: (l) => lines.push(l) })).toBe(false);
    process.exitCode = 0;
    expect(lines.join('\n')).toMatch(/10 elements cannot be converted exactly/);

    const r = await exportNir(file, join(dir, 'c.nir'), { partial: true });
    expect(r.problems).toHaveLength(10);
    const { graph } = await readNirFile(join(dir, 'c.nir'));
    expect(Object.keys(graph.nodes).sort()).toEqual(['bg', 'exc', 'learn', 'v'].sort());
    // the random, plastic projection is exported as its concrete (initial) matrix and comes back as
    // explicit connectivity with the same synapses (frozen: NIR has no plasticity)
    const back = nirToCircuit(await readNirFile(join(dir, 'c.nir')), { partial: true });
    expect(back.problems).toEqual([]);
    expect(['list', 'matrix']).toContain(back.doc.projections!.learn.connectivity.type);
    const bdir = writeFiles({ 'back.yaml': back.yaml });
    const a = new Engine(loadCircuit(file).flat, { kernels: 'js' }).network.projections.find((p) => p.spec.name === 'learn')!;
    const b = new Engine(loadCircuit(join(bdir, 'back.yaml')).flat, { kernels: 'js' }).network.projections.find(
      (p) => p.spec.name === 'learn',
    )!;
    expect(Array.from(b.rowPtr)).toEqual(Array.from(a.rowPtr));
    expect(Array.from(b.targets)).toEqual(Array.from(a.targets));
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
  });

  it('circuitToNir works on a loaded circuit without a file', () => {
    const dir = writeFiles({ 'c.yaml': `populations:\n  a: { model: lif, size: 2, params: ${par()} }\n` });
    const { nir, problems } = circuitToNir(loadCircuit(join(dir, 'c.yaml')).circuit);
    expect(problems).toEqual([]);
    expect(nir.graph.nodes.a.type).toBe('CubaLIF');
    expect(nir.graph.metadata.flux_dt_ms).toBe(1);
  });
});

/** A small seeded generator (mulberry32): the "trained" weights are fixed and independent of Flux. */
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

/** rows x cols weights as float32 (what a PyTorch export writes): Gaussian-looking, both signs, some pruned to 0. */
function trained(rows: number, cols: number, mean: number, sd: number, pruned: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: rows * cols }, () => {
    if (r() < pruned) return 0;
    const g = (r() + r() + r() + r() - 2) * Math.sqrt(3); // sum of 4 uniforms: mean 0, sd 1
    return Math.fround(mean + sd * g);
  });
}

describe('NIR graphs with trained weight matrices (explicit connectivity)', () => {
  // Input (8 spike trains) -> fc1 [6 x 8] -> CubaLIF "hidden" (6), with a sparse recurrent Linear rec
  // [6 x 6] on hidden, -> Delay 2 ms -> fc2 [3 x 6] -> LIF "out" (3) -> Output. Time constants in
  // seconds; weights are charges (a spike is a Dirac pulse).
  const W1 = trained(6, 8, 0.004, 0.006, 0.1, 21);
  const WR = trained(6, 6, -0.001, 0.003, 0.6, 22);
  const W2 = trained(3, 6, 0.004, 0.006, 0, 23);
  // float32, as the file holds them, so that the hand-written reference below uses the same numbers
  const H = { tauMem: Math.fround(0.02), tauSyn: Math.fround(0.005), r: 1, threshold: 1, wIn: 1 };
  const O = { tau: Math.fround(0.01), r: 1, threshold: 1, delay: Math.fround(0.002) };
  const f32 = (...x: number[]) => ({ f32: x });
  const GRAPH = {
    nodes: {
      input: { type: 'Input', shape: [8] },
      fc1: { type: 'Linear', params: { weight: { f32: W1, shape: [6, 8] } } },
      hidden: {
        type: 'CubaLIF',
        params: {
          tau_mem: f32(...new Array(6).fill(H.tauMem)),
          tau_syn: f32(...new Array(6).fill(H.tauSyn)),
          r: f32(...new Array(6).fill(H.r)),
          v_leak: f32(...new Array(6).fill(0)),
          v_threshold: f32(...new Array(6).fill(H.threshold)),
          v_reset: f32(...new Array(6).fill(0)),
          w_in: f32(...new Array(6).fill(H.wIn)),
        },
      },
      rec: { type: 'Linear', params: { weight: { f32: WR, shape: [6, 6] } } },
      delay: { type: 'Delay', params: { delay: f32(...new Array(6).fill(O.delay)) } },
      fc2: { type: 'Linear', params: { weight: { f32: W2, shape: [3, 6] } } },
      out: {
        type: 'LIF',
        params: {
          tau: f32(O.tau, O.tau, O.tau),
          r: f32(O.r, O.r, O.r),
          v_leak: f32(0, 0, 0),
          v_threshold: f32(O.threshold, O.threshold, O.threshold),
          v_reset: f32(0, 0, 0),
        },
      },
      output: { type: 'Output', shape: [3] },
    } as Record<string, HandNode>,
    edges: [
      ['input', 'fc1'],
      ['fc1', 'hidden'],
      ['hidden', 'rec'],
      ['rec', 'hidden'],
      ['hidden', 'delay'],
      ['delay', 'fc2'],
      ['fc2', 'out'],
      ['out', 'output'],
    ] as [string, string][],
  };
  const RATE = 150; // Hz per input train
  const STEPS = 5000; // 0.5 s at dt 0.1 ms

  let dir: string;
  let imported: Awaited<ReturnType<typeof importNir>>;
  beforeAll(async () => {
    dir = tempDir('flux-nir-trained-');
    const file = await writeHandNir(dir, 'trained.nir', GRAPH);
    imported = await importNir(file, join(dir, 'trained.yaml'), { dt: 0.1 });
  });

  /** Magnitudes of one sign of a row-major [rows x cols] matrix as rows, times k. */
  const part = (w: number[], rows: number, cols: number, sign: 1 | -1, k: number) =>
    Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.max(0, sign * w[i * cols + j]) * k));

  it('imports without problems: explicit matrices where no rule fits, as matrix (dense) or list (sparse)', () => {
    expect(imported.problems).toEqual([]);
    const p = imported.doc.projections!;
    expect(Object.keys(p).sort()).toEqual(['fc1_exc', 'fc1_inh', 'fc2_exc', 'fc2_inh', 'rec_exc', 'rec_inh'].sort());
    for (const d of Object.values(p)) expect(d.weight).toBeUndefined();
    expect(p.fc1_exc.connectivity.type).toBe('matrix');
    expect([p.rec_exc.connectivity.type, p.rec_inh.connectivity.type]).toEqual(['list', 'list']); // 60 % pruned, split by sign
    expect(p.fc2_exc.delay).toBe(`${O.delay * MS_PER_S} ms`); // 2 ms as float32 seconds
    // each entry is W / tau_syn (pA) for the CubaLIF: rows are targets, columns sources, as the Linear
    const m = (p.fc1_exc.connectivity as { weights: number[][] }).weights;
    const want = part(W1, 6, 8, 1, H.wIn / H.tauSyn);
    expect(m.map((row) => row.length)).toEqual(new Array(6).fill(8));
    m.forEach((row, i) =>
      row.forEach((x, j) => expect(Math.abs(x - want[i][j]), `fc1_exc[${i}][${j}]`).toBeLessThanOrEqual(1e-14 * want[i][j])),
    );
    console.log(
      `trained NIR import: ${Object.entries(p)
        .map(([k, d]) => `${k} ${d.connectivity.type}`)
        .join(', ')}`,
    );
  });

  it('the first input spikes raise every hidden channel by the sum of its row over the spiking inputs (W / tau_syn, closed form)', async () => {
    const e = await Engine.create(join(dir, 'trained.yaml'), { backend: 'cpu', kernels: 'js' });
    e.backend.configureRecording({ spikes: 'all' });
    e.backend.setInput('input', RATE);
    let first = -1;
    for (let s = 0; s < 2000 && first < 0; s++) {
      await e.step(1);
      if ((await e.backend.lastSpikes('input')).length > 0) first = s;
    }
    expect(first).toBeGreaterThanOrEqual(0);
    const S = Array.from(await e.backend.lastSpikes('input'));
    await e.step(1); // delivered in the next step, then decayed by that step's factor
    const ie = await e.backend.readState('hidden', 'ie');
    const ii = await e.backend.readState('hidden', 'ii');
    const decay = Math.exp(-0.1 / (H.tauSyn * MS_PER_S));
    for (let i = 0; i < 6; i++) {
      const sum = (sign: 1 | -1) => S.reduce((a, j) => a + Math.max(0, sign * W1[i * 8 + j]), 0) * (H.wIn / H.tauSyn) * decay;
      expect(ie[i], `ie[${i}] after inputs ${S}`).toBeCloseTo(sum(1), 4);
      expect(ii[i], `ii[${i}] after inputs ${S}`).toBeCloseTo(sum(-1), 4);
    }
    e.dispose();
  });

  it('spikes match the same network written by hand as a Flux matrix circuit (README conventions), spike for spike', async () => {
    const ts = FAST_TAU_SYN_MS;
    const tauOut = O.tau * MS_PER_S;
    const kOut = (MS_PER_S * (tauOut - ts)) / (ts * tauOut); // a Dirac charge into a LIF without synapse
    const kHid = H.wIn / H.tauSyn;
    const delay = `delay: ${O.delay * MS_PER_S} ms, `;
    const proj = (source: string, target: string, w: number[][], receptor: string, delay = '') =>
      `{ source: ${source}, target: ${target}, connectivity: { type: matrix, weights: ${JSON.stringify(w)} }, ${delay}synapse: { type: current, receptor: ${receptor} } }`;
    const ref = `
dt: 0.1 ms
seed: 1
populations:
  hidden: { model: lif, size: 6, params: { cm: ${(H.tauMem * MS_PER_S) / H.r} pF, tau_m: ${H.tauMem * MS_PER_S} ms, v_rest: 0 mV, v_thresh: ${H.threshold} mV, v_reset: 0 mV, tau_refrac: 0 ms, tau_syn_exc: ${H.tauSyn * MS_PER_S} ms, tau_syn_inh: ${H.tauSyn * MS_PER_S} ms }, init: { v: 0 mV } }
  out: { model: lif, size: 3, params: { cm: ${tauOut / O.r} pF, tau_m: ${tauOut} ms, v_rest: 0 mV, v_thresh: ${O.threshold} mV, v_reset: 0 mV, tau_refrac: 0 ms, tau_syn_exc: ${ts} ms, tau_syn_inh: ${ts} ms }, init: { v: 0 mV } }
  input: { model: poisson, size: 8, params: { rate: 0 Hz } }
projections:
  rec_exc: ${proj('hidden', 'hidden', part(WR, 6, 6, 1, kHid), 'excitatory')}
  rec_inh: ${proj('hidden', 'hidden', part(WR, 6, 6, -1, kHid), 'inhibitory')}
  fc2_exc: ${proj('hidden', 'out', part(W2, 3, 6, 1, kOut), 'excitatory', delay)}
  fc2_inh: ${proj('hidden', 'out', part(W2, 3, 6, -1, kOut), 'inhibitory', delay)}
  fc1_exc: ${proj('input', 'hidden', part(W1, 6, 8, 1, kHid), 'excitatory')}
  fc1_inh: ${proj('input', 'hidden', part(W1, 6, 8, -1, kHid), 'inhibitory')}
inputs:
  input: { target: input, mode: rate }
`;
    const refDir = writeFiles({ 'ref.yaml': ref });
    const drive = (e: Engine<Backend>) => e.backend.setInput('input', RATE);
    const a = await run(join(dir, 'trained.yaml'), STEPS, drive);
    const b = await run(join(refDir, 'ref.yaml'), STEPS, drive);
    console.log(
      `trained NIR network, 0.5 s: imported ${JSON.stringify(a.counts)}; hand-written matrix circuit ${JSON.stringify(b.counts)}`,
    );
    expect(a.counts.input).toBeGreaterThan(300);
    expect(a.counts.hidden).toBeGreaterThan(20);
    expect(a.counts.out).toBeGreaterThan(5);
    // some hidden neurons fire and some do not, as the trained rows differ
    const perNeuron = [0, 1, 2, 3, 4, 5].map((i) => a.rec.populations.hidden.spikeIndices.filter((x) => x === i).length);
    expect(new Set(perNeuron).size).toBeGreaterThan(2);
    for (const k of ['input', 'hidden', 'out']) {
      expect(a.rec.populations[k].spikeSteps, k).toEqual(b.rec.populations[k].spikeSteps);
      expect(a.rec.populations[k].spikeIndices, k).toEqual(b.rec.populations[k].spikeIndices);
    }
    a.e.dispose();
    b.e.dispose();
  });
});

describe('NIR round trip of randomly wired (fixed_probability, fixed_indegree) projections', () => {
  const RANDOM = `
name: random_wiring
dt: 0.1 ms
seed: 5
populations:
  drive: { model: poisson, size: 40, params: { rate: 30 Hz } }
  exc: { model: lif, size: 30, params: { cm: 200 pF, tau_m: 20 ms, v_rest: -65 mV, v_thresh: -50 mV, v_reset: -65 mV, tau_refrac: 0 ms, tau_syn_exc: 5 ms, tau_syn_inh: 10 ms } }
  inh: { model: lif, size: 10, params: ${par()} }
projections:
  drive_exc: { source: drive, target: exc, connectivity: { type: fixed_probability, p: 0.2 }, weight: { uniform: { low: 150 pA, high: 350 pA } }, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
  exc_exc: { source: exc, target: exc, connectivity: { type: fixed_probability, p: 0.1 }, weight: 40 pA, delay: 1.5 ms, synapse: { type: current, receptor: excitatory } }
  exc_inh: { source: exc, target: inh, connectivity: { type: fixed_indegree, n: 8 }, weight: 90 pA, synapse: { type: current, receptor: excitatory } }
  inh_exc: { source: inh, target: exc, connectivity: { type: fixed_probability, p: 0.5 }, weight: { normal: { mean: 60 pA, sd: 15 pA }, clip: [10 pA, 120 pA] }, delay: 0.5 ms, synapse: { type: current, receptor: inhibitory } }
inputs:
  rate: { target: drive, mode: rate }
`;
  let dir: string;
  beforeAll(async () => {
    dir = writeFiles({ 'random.yaml': RANDOM });
    const ex = await exportNir(join(dir, 'random.yaml'), join(dir, 'random.nir'));
    expect(ex.problems).toEqual([]);
    const im = await importNir(join(dir, 'random.nir'), join(dir, 'back.yaml'));
    expect(im.problems).toEqual([]);
  });

  it('comes back with the same projections, synapses (rowPtr, targets), weights and delays', () => {
    const a = new Engine(loadCircuit(join(dir, 'random.yaml')).flat, { kernels: 'js' });
    const b = new Engine(loadCircuit(join(dir, 'back.yaml')).flat, { kernels: 'js' });
    const sig = (e: Engine) => e.circuit.projections.map((p) => [p.name, p.source, p.target, p.synapse.receptor].join(' ')).sort();
    expect(sig(b)).toEqual(sig(a));
    let synapses = 0;
    for (const pa of a.network.projections) {
      const pb = b.network.projections.find((p) => p.spec.name === pa.spec.name)!;
      expect(['list', 'matrix'], pa.spec.name).toContain((pb.spec.connectivity as { form?: string }).form);
      expect(Array.from(pb.rowPtr), pa.spec.name).toEqual(Array.from(pa.rowPtr));
      expect(Array.from(pb.targets), pa.spec.name).toEqual(Array.from(pa.targets));
      expect(Array.from(pb.weights), pa.spec.name).toEqual(Array.from(pa.weights)); // float32 equal
      expect([pb.delaySteps, pb.delays], pa.spec.name).toEqual([pa.delaySteps, pa.delays]);
      synapses += pa.targets.length;
    }
    console.log(
      `fixed_probability round trip: ${synapses} synapses in ${a.network.projections.length} projections come back identical (${b.circuit.projections.map((p) => `${p.name} ${(p.connectivity as { form?: string }).form}`).join(', ')})`,
    );
    expect(synapses).toBeGreaterThan(300);
    a.dispose();
    b.dispose();
  });

  it('simulates to identical spike trains (1 s, CPU engine)', async () => {
    const drive = (e: Engine<Backend>) => e.backend.setInput('rate', 20);
    const a = await run(join(dir, 'random.yaml'), 10000, drive);
    const b = await run(join(dir, 'back.yaml'), 10000, drive);
    console.log(`fixed_probability round trip spike counts: flux ${JSON.stringify(a.counts)}; after NIR ${JSON.stringify(b.counts)}`);
    for (const k of ['drive', 'exc', 'inh']) expect(a.counts[k], k).toBeGreaterThan(50);
    for (const k of ['drive', 'exc', 'inh']) {
      expect(b.rec.populations[k].spikeSteps, k).toEqual(a.rec.populations[k].spikeSteps);
      expect(b.rec.populations[k].spikeIndices, k).toEqual(a.rec.populations[k].spikeIndices);
    }
    a.e.dispose();
    b.e.dispose();
  });
});

// Issue 16, D12: a NIR file is outside input. The HDF5 library can loop forever on a damaged file
// (the fixture: a file written by Flux's own writer with one byte changed, found by mutating it with a
// seeded RNG: see tests/fixtures/nir/README.md), non-finite values must not become a circuit, and
// node names are data, not object keys.
describe('hostile NIR files (D12)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('flux-nir-hostile-');
  });
  const HANG = join(import.meta.dirname, 'fixtures/nir/hangs-h5wasm.nir');
  const v64 = (...x: number[]) => ({ f64: x });
  const twoNeurons = (weight: number[]) => ({
    nodes: {
      input: { type: 'Input', shape: [2] },
      lin: { type: 'Linear', params: { weight: { f64: weight, shape: [2, 2] } } },
      lif: { type: 'LIF', params: { tau: v64(0.02, 0.02), r: v64(1, 1), v_leak: v64(0, 0), v_threshold: v64(1, 1) } },
      output: { type: 'Output', shape: [2] },
    } as Record<string, HandNode>,
    edges: [
      ['input', 'lin'],
      ['lin', 'lif'],
      ['lif', 'output'],
    ] as [string, string][],
  });

  it('a damaged file that hangs the HDF5 reader is stopped at the time bound: "could not read <file>: timed out"', async () => {
    const start = performance.now();
    await expect(readNirFile(HANG, { timeoutMs: 1500 })).rejects.toThrow(/^could not read .*hangs-h5wasm\.nir: timed out after 1500 ms/);
    expect(performance.now() - start).toBeLessThan(4000);
    const out: string[] = [];
    expect(
      await nirImport(HANG, join(dir, 'hang.yaml'), { read: { timeoutMs: 1000 }, log: (l) => out.push(l), error: (l) => out.push(l) }),
    ).toBe(false);
    process.exitCode = 0;
    expect(out.join('\n')).toMatch(/flux nir import: could not read .*hangs-h5wasm\.nir: timed out/);
    expect(existsSync(join(dir, 'hang.yaml'))).toBe(false);
  });

  it('a file over the size bound is refused before it is read; a missing file is named', async () => {
    const file = await writeHandNir(dir, 'big.nir', twoNeurons([1, 0, 0, 1]));
    await expect(readNirFile(file, { maxBytes: 1000 })).rejects.toThrow(
      /^could not read .*big\.nir: \d+ bytes, more than the 1000 accepted$/,
    );
    await expect(readNirFile(join(dir, 'nowhere.nir'))).rejects.toThrow(/^could not read .*nowhere\.nir: no such file$/);
    writeFileSync(join(dir, 'text.nir'), 'not hdf5 at all');
    await expect(readNirFile(join(dir, 'text.nir'))).rejects.toThrow(
      /^could not read .*text\.nir: not an HDF5 file \(file signature not found\)$/,
    );
  });

  it('a Linear row with NaN is refused with the node and field, and nothing is written', async () => {
    const file = await writeHandNir(dir, 'nan.nir', twoNeurons([1, 0, NaN, NaN]));
    const out = join(dir, 'nan.yaml');
    await expect(importNir(file, out, { partial: true })).rejects.toThrow(/nan\.nir: node "lin": weight\[1\]\[0\] is NaN/);
    expect(existsSync(out)).toBe(false);
  });

  it('infinite parameters, non-finite metadata and overflowing products are refused by name', async () => {
    const g = await readNirFile(await writeHandNir(dir, 'ok.nir', twoNeurons([1, 0, 0, 1])));
    const withTau = structuredClone(g);
    withTau.graph.nodes.lif.params.tau.data[1] = Infinity;
    expect(() => nirToCircuit(withTau, { fileName: 'x.nir' })).toThrow(/^x\.nir: node "lif": tau\[1\] is Infinity/);
    const withMeta = structuredClone(g);
    withMeta.graph.metadata.flux_dt_ms = NaN;
    expect(() => nirToCircuit(withMeta, { fileName: 'x.nir' })).toThrow(/^x\.nir: the graph: metadata flux_dt_ms is NaN/);
    // Finite weights whose charge overflows a double once scaled to pA.
    const huge = structuredClone(g);
    huge.graph.nodes.lin.params.weight.data.fill(1e307);
    expect(() => nirToCircuit(huge, { fileName: 'x.nir', partial: true })).toThrow(
      /^x\.nir: node "lif": the weights, delay or time constant of its input from "input" overflow/,
    );
  });

  it('nodes named __proto__ and constructor are ordinary nodes (their populations get safe names)', async () => {
    // Computed keys: own properties named __proto__, as a file's names are.
    const graph = {
      nodes: {
        input: { type: 'Input', shape: [2] },
        ['constructor']: { type: 'Linear', params: { weight: { f64: [2, 0, 0, 2], shape: [2, 2] } } },
        ['__proto__']: { type: 'LIF', params: { tau: v64(0.02, 0.02), r: v64(1, 1), v_leak: v64(0, 0), v_threshold: v64(1, 1) } },
        ['toString']: { type: 'Output', shape: [2] },
      } as Record<string, HandNode>,
      edges: [
        ['input', 'constructor'],
        ['constructor', '__proto__'],
        ['__proto__', 'toString'],
      ] as [string, string][],
    };
    expect(Object.hasOwn(graph.nodes, '__proto__')).toBe(true);
    const file = await writeHandNir(dir, 'proto.nir', graph);
    const read = await readNirFile(file);
    expect(Object.keys(read.graph.nodes).sort()).toEqual(['__proto__', 'constructor', 'input', 'toString']);
    const r = await importNir(file, join(dir, 'proto.yaml'));
    expect(Object.hasOwn(r.populations, '__proto__')).toBe(true);
    expect(r.populations.__proto__).toBe('n___proto__');
    expect(r.doc.populations!.n___proto__).toMatchObject({ model: 'lif', size: 2 });
    expect(Object.values(r.doc.projections!)).toEqual([
      expect.objectContaining({ source: 'input', target: 'n___proto__', connectivity: { type: 'one_to_one' } }),
    ]);
    expect(Object.keys(r.doc.outputs!)).toEqual(['n_toString']);
    expect(Object.getPrototypeOf(r.doc.populations)).toBe(Object.prototype);
  });
});
