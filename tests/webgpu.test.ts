// WebGPU backend behaviour beyond parity: reproducibility, backend choice, edits that must not
// reallocate, and misuse that must fail loudly. Needs an adapter (CI=true fails without one, as in
// tests/parity.test.ts; elsewhere skipped with a message).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Engine, AUTO_GPU_MIN_SYNAPSES } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { acquireGpu } from '../engine/backends/webgpu/gpu.js';
import { WebGpuBackend } from '../engine/backends/webgpu/webgpu.js';
import type { GpuStepping } from '../engine/backends/webgpu/stepping.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { ROOT, example, writeFiles } from './helpers.js';

const acquired = await acquireGpu();
const ctx = acquired.ok ? acquired.context : null;
const suite = ctx || process.env.CI === 'true' ? describe : describe.skip;

function flatOf(source: string) {
  return source.includes('\n') ? loadFlat(join(writeFiles({ 'c.yaml': source }), 'c.yaml')) : loadFlat(source);
}

async function gpuEngine(source: string, gpuStepping: GpuStepping = 'auto'): Promise<Engine<Backend>> {
  const flat = source.includes('\n') ? loadFlat(join(writeFiles({ 'c.yaml': source }), 'c.yaml')) : loadFlat(source);
  return Engine.create(flat, { backend: 'webgpu', gpu: ctx!, gpuStepping });
}

function flux(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/flux.js'), ...args], { encoding: 'utf8', cwd: ROOT });
}

const small = `dt: 0.1 ms
populations:
  a: { model: lif, size: 20 }
  b: { model: lif, size: 10 }
projections:
  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 40 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
inputs:
  i: { target: a, mode: current }
`;

suite('WebGPU backend', () => {
  it('is reproducible: two runs of COBA give the same spikes (fixed-point delay rings sum in any order)', async () => {
    const run = async () => {
      const e = await gpuEngine(example('coba.yaml'));
      e.backend.configureRecording({ spikes: ['exc'] });
      await e.step(3000);
      const p = e.backend.recording().populations.exc;
      e.dispose();
      return p.spikeSteps.map((s, k) => s * 4000 + p.spikeIndices[k]);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(1000);
    expect(await run()).toEqual(first);
  });

  it('dispatches per step: propagation sums its own work without plasticity, the neuron update drains the rings when every delay is a step or more, and then propagation ends the step', async () => {
    const dispatches = (e: Engine<Backend>): number => {
      if (!(e.backend instanceof WebGpuBackend)) throw new Error('not on the WebGPU backend');
      return e.backend.dispatchesPerStep();
    };
    // Per-step dispatches ('auto' runs these circuits resident on a hardware adapter).
    const coba = await gpuEngine(example('coba.yaml'), 'dispatch');
    const stdp = await gpuEngine(example('stdp-pairing.yaml'), 'dispatch');
    const delayed = await gpuEngine(small, 'dispatch');
    const zero = await gpuEngine(small.replace('delay: 1 ms', 'delay: 0 ms'), 'dispatch');
    try {
      // COBA's delays are 0: the neuron family, propagation, then the ring drain, whose first workgroup
      // ends the step (5 before the sums were propagation's, 4 before the drain ended the step).
      expect(dispatches(coba)).toBe(3);
      // As before: the sums, which the STDP passes read too, are args.wgsl's.
      expect(dispatches(stdp)).toBe(8);
      // Delays of 1 ms: the neuron family (draining the rings), then propagation, whose first workgroup
      // ends the step (3 before: the end of the step was a dispatch of its own).
      expect(dispatches(delayed)).toBe(2);
      expect(dispatches(zero)).toBe(3);
      // A probe of a channel, which the drain writes, keeps the end of the step a dispatch of its own.
      await zero.step(1);
      zero.backend.configureRecording({ state: [{ population: 'b', variable: 'ie', every: 1 }] });
      expect(dispatches(zero)).toBe(4);
      zero.backend.configureRecording({ state: [{ population: 'b', variable: 'v', every: 1 }] });
      expect(dispatches(zero)).toBe(3);
    } finally {
      for (const e of [coba, stdp, delayed, zero]) e.dispose();
    }
  });

  it("resident stepping gives the dispatches' results exactly with 1024 and 256 threads: voltage output over 2000 neurons, delays of 0, modulator effects", async () => {
    const yaml = `dt: 0.1 ms
populations:
  a: { model: lif, size: 2000 }
  b: { model: izhikevich, size: 300 }
projections:
  aa: { source: a, target: a, connectivity: { type: fixed_probability, p: 0.02 }, weight: 30 pA, delay: 0 ms, synapse: { type: current, receptor: excitatory } }
  ab: { source: a, target: b, connectivity: { type: fixed_probability, p: 0.1 }, weight: 2 nS, delay: { uniform: { low: 0.1 ms, high: 2 ms } }, synapse: { type: conductance, receptor: excitatory } }
inputs:
  drive: { target: a, mode: current }
  signal: { target: b, mode: current }
outputs:
  va: { source: a, measure: voltage }
  ra: { source: a, measure: rate }
  nb: { source: b, measure: spikes }
modulators:
  arousal:
    tau: 20 ms
    baseline: 0.2
    sources: [{ population: a, gain: 0.01 }, { input: signal, gain: 0.001 }]
    targets: [{ population: a, effect: threshold, sensitivity: -2 }, { population: b, effect: excitability, sensitivity: 3 }]
`;
    const cpu = new Engine(loadFlat(join(writeFiles({ 'c.yaml': yaml }), 'c.yaml')));
    const run = async (stepping: GpuStepping, residentThreads?: number) => {
      const b = await WebGpuBackend.create(cpu.network, ctx!, { ownsDevice: false, stepping, residentThreads, chunkSteps: 50 });
      try {
        expect(b.stepMode()).toBe(stepping);
        b.configureRecording({ spikes: ['a', 'b'], state: [{ population: 'b', variable: 'v', every: 10 }] });
        const outputs: number[] = [];
        for (let k = 0; k < 8; k++) {
          b.setInput('drive', 300 + 60 * k);
          b.setInput('signal', 5 + k);
          await b.step(37);
          outputs.push(b.readOutput('ra'), b.readOutput('nb'), b.modulatorLevel('arousal'));
          // The mean over 2000 neurons, summed in 256 lanes in every kernel (else it differs in the last bits).
          for (let j = 0; j < 8; j++) {
            await b.step(1);
            outputs.push(b.readOutput('va'));
          }
        }
        const rec = b.recording().populations;
        return { outputs, spikes: [rec.a.spikeSteps, rec.a.spikeIndices, rec.b.spikeSteps], v: Array.from(await b.readState('a', 'v')) };
      } finally {
        b.dispose();
      }
    };
    try {
      const dispatch = await run('dispatch');
      expect(dispatch.spikes[0].length).toBeGreaterThan(100);
      expect(await run('resident')).toEqual(dispatch);
      expect(await run('resident', 256)).toEqual(dispatch);
    } finally {
      cpu.dispose();
    }
  });

  it('where the step ends moves with edits and probes at odd steps (drain, advance, propagation); every placement equals resident exactly', async () => {
    // Delays of 0 (the drain ends the step), a probe of a channel (the advance dispatch), delays of a
    // step only (propagation ends it), STDP (advance), and back: each switch lands on an odd step, where
    // the step counter and counts of the other parity are the live ones.
    const yaml = `dt: 0.1 ms
populations:
  a: { model: lif, size: 40 }
  b: { model: lif, size: 30 }
projections:
  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 30 pA, delay: 0 ms, synapse: { type: current, receptor: excitatory } }
sources:
  bga: { type: poisson, target: a, rate: 20 Hz, count: 400, weight: 80 pA, synapse: { type: current, receptor: excitatory } }
  bgb: { type: poisson, target: b, rate: 20 Hz, count: 200, weight: 60 pA, synapse: { type: current, receptor: excitatory } }
modulators:
  m: { tau: 5 ms, baseline: 0, sources: [{ population: b, gain: 0.1 }], targets: [{ population: a, effect: gain, sensitivity: 0.5 }] }
outputs:
  brate: { source: b, measure: rate }
  av: { source: a, measure: voltage }
`;
    const current = (delay: string) => ({
      connectivity: { type: 'all_to_all' as const },
      delay,
      synapse: { type: 'current' as const, receptor: 'excitatory' as const },
    });
    const run = async (stepping: GpuStepping, chunkSteps: number) => {
      const e = await Engine.create(flatOf(yaml), { backend: 'webgpu', gpu: ctx!, gpuStepping: stepping, chunkSteps });
      const b = e.backend as WebGpuBackend;
      const results: unknown[] = [];
      const dispatches: number[] = [];
      const mark = async () => {
        const p = b.recording().populations;
        dispatches.push(b.dispatchesPerStep());
        results.push({
          step: b.stepIndex,
          spikes: [[...p.a.spikeSteps], [...p.a.spikeIndices], [...p.b.spikeSteps], [...p.b.spikeIndices]],
          state: p.b.state,
          v: Array.from(await b.readState('b', 'v')),
          ie: Array.from(await b.readState('b', 'ie')),
          level: b.modulatorLevel('m'),
          outputs: [b.readOutput('brate'), b.readOutput('av')],
        });
      };
      const v = { population: 'b', variable: 'v', every: 1 };
      try {
        b.configureRecording({ state: [v] });
        await e.step(101);
        await mark();
        b.configureRecording({ state: [v, { population: 'b', variable: 'ie', every: 1 }] });
        await e.step(51);
        await mark();
        b.configureRecording({ state: [v] });
        await e.step(33);
        await mark();
        e.apply({ op: 'add_projection', name: 'ba', projection: { source: 'b', target: 'a', weight: '5 pA', ...current('1 ms') } });
        await e.step(21);
        await mark();
        e.apply({ op: 'remove_projection', name: 'ab' });
        await e.step(77);
        await mark();
        const stdp = { rule: 'stdp' as const, w_max: '100 pA', a_plus: 0.01, a_minus: 0.012 };
        e.apply({
          op: 'add_projection',
          name: 'pl',
          projection: { source: 'a', target: 'b', weight: '20 pA', ...current('1 ms'), plasticity: stdp },
        });
        await e.step(45);
        await mark();
        e.apply({ op: 'remove_projection', name: 'pl' });
        await e.step(63);
        await mark();
        e.apply({ op: 'add_projection', name: 'ab0', projection: { source: 'a', target: 'b', weight: '30 pA', ...current('0 ms') } });
        await e.step(29);
        await mark();
        return { results, dispatches };
      } finally {
        e.dispose();
      }
    };
    const small = await run('dispatch', 7);
    // Where the step ended after each stretch: drain, advance (a probed channel), drain, drain, propagation,
    // advance (STDP: neurons, sums, propagation, three passes, advance), propagation, drain.
    expect(small.dispatches).toEqual([3, 4, 3, 3, 2, 7, 2, 3]);
    const spikesA = (small.results[7] as { spikes: number[][] }).spikes[0];
    expect(spikesA.length).toBeGreaterThan(50);
    expect((await run('dispatch', 256)).results).toEqual(small.results);
    expect((await run('resident', 5)).results).toEqual(small.results);
    expect((await run('resident', 256)).results).toEqual(small.results);
  });

  it('resident stepping: one dispatch per chunk where the circuit allows it (STDP too); with a synapse model the per-step dispatches', async () => {
    const open = (source: string) => Engine.create(flatOf(source), { backend: 'webgpu', gpu: ctx!, gpuStepping: 'resident' });
    const synapseModel = `${small.replace('synapse: { type: current, receptor: excitatory }', 'synapse: { model: kick }')}models:
  kick:
    kind: synapse
    equations: |
      w : amp
    on_pre: |
      I_exc_post += w
`;
    const coba = await open(example('coba.yaml'));
    const stdp = await open(example('stdp-pairing.yaml'));
    const sm = await open(synapseModel);
    try {
      const [c, s, m] = [coba.backend, stdp.backend, sm.backend];
      if (!(c instanceof WebGpuBackend && s instanceof WebGpuBackend && m instanceof WebGpuBackend))
        throw new Error('not on the WebGPU backend');
      expect(c.stepMode()).toBe('resident');
      // COBA records nothing here: the chunk is the default 256 steps.
      expect(c.dispatchesPerStep()).toBe(1 / 256);
      expect(s.stepMode()).toBe('resident');
      expect(m.stepMode()).toBe('dispatch');
      expect(m.dispatchesPerStep()).toBeGreaterThanOrEqual(3);
      // 'auto' on this software adapter: dispatches (one workgroup would run on one CPU thread).
      const auto = await gpuEngine(example('coba.yaml'));
      expect((auto.backend as WebGpuBackend).stepMode()).toBe(ctx!.software ? 'dispatch' : 'resident');
      auto.dispose();
    } finally {
      for (const e of [coba, stdp, sm]) e.dispose();
    }
  });

  it('a resident kernel the device refuses after an edit: auto steps with dispatches, resident says why', async () => {
    const refuse = (e: Engine<Backend>) =>
      Reflect.set(e.backend, 'residentKernel', () => {
        throw new Error('refused on purpose');
      });
    const grow = { op: 'add_population', name: 'c', population: { model: 'lif', size: 5 } } as const;
    // 'auto' as on a hardware adapter (this one is software, where auto never runs resident).
    const hardware = { ...ctx!, software: false };
    const auto = await Engine.create(flatOf(small), { backend: 'webgpu', gpu: hardware });
    const forced = await gpuEngine(small, 'resident');
    try {
      const a = auto.backend as WebGpuBackend;
      expect(a.stepMode()).toBe('resident');
      await auto.step(10);
      refuse(auto);
      auto.apply(grow);
      await auto.step(10);
      expect(a.stepMode()).toBe('dispatch');
      refuse(forced);
      forced.apply(grow);
      await expect(forced.step(10)).rejects.toThrow(/webgpu backend: the resident kernel was refused: refused on purpose/);
    } finally {
      auto.dispose();
      forced.dispose();
    }
  });

  it('set_param and set_weights upload ranges into the same buffers; structural edits build new ones', async () => {
    const e = await gpuEngine(small);
    const b = e.backend as WebGpuBackend;
    // The backend's private buffers: bracket access reads a private member and keeps it type-checked.
    const bufs = () => b['bufs'];
    const st = bufs().st;
    const wt = bufs().wt;
    await e.step(10);
    e.apply({ op: 'set_param', population: 'b', param: 'v_thresh', value: '-52 mV' });
    e.apply({ op: 'set_weights', projection: 'ab', indices: [1, 2, 3, 50], values: ['1 pA', '2 pA', '3 pA', '4 pA'] });
    expect(bufs().st).toBe(st);
    expect(bufs().wt).toBe(wt);
    const w = await b.readWeights('ab');
    expect(Array.from(w.slice(0, 5))).toEqual([40, 1, 2, 3, 40]);
    expect(w[50]).toBe(4);
    e.apply({ op: 'add_population', name: 'c', population: { model: 'lif', size: 3 } });
    expect(bufs().st).not.toBe(st);
    // The learned/edited weights survive the reallocation.
    expect(Array.from((await b.readWeights('ab')).slice(0, 5))).toEqual([40, 1, 2, 3, 40]);
    e.dispose();
  });

  it('refuses a second step or an edit while a step runs, and stepping after dispose', async () => {
    const e = await gpuEngine(small);
    const running = e.step(50);
    await expect(e.step(1)).rejects.toThrow(/still running/);
    expect(() => e.apply({ op: 'set_param', population: 'b', param: 'v_thresh', value: '-52 mV' })).toThrow(/await the step/);
    await running;
    e.dispose();
    await expect(e.step(1)).rejects.toThrow(/disposed/);
  });

  it('a model without a WGSL kernel is refused by name, not run wrongly', async () => {
    const { MODELS } = await import('../engine/models/registry.js');
    const cpu = new Engine(loadFlat(join(writeFiles({ 'c.yaml': small }), 'c.yaml')));
    const net = {
      ...cpu.network,
      populations: cpu.network.populations.map((p, k) => (k === 0 ? { ...p, spec: { ...p.spec, model: 'fake_model' } } : p)),
    };
    // A model with a step but no definition (as the built-in families have) to generate WGSL from.
    const { name, doc, integration, params, state, step } = MODELS.lif;
    MODELS.fake_model = { name, doc, integration, params, state, step };
    void name;
    MODELS.fake_model.name = 'fake_model';
    try {
      await expect(WebGpuBackend.create(net, ctx!, { ownsDevice: false })).rejects.toThrow(
        /model "fake_model" has no WebGPU kernel: it has no definition to generate one from/,
      );
    } finally {
      delete MODELS.fake_model;
      cpu.dispose();
    }
  });

  it('flux simulate --backend webgpu runs on the adapter and names it; auto falls back to the CPU with one line when the adapter is software', () => {
    const gpu = flux('simulate', example('izhikevich-patterns.yaml'), '--duration', '200ms', '--backend', 'webgpu', '--quiet');
    expect(gpu.status, gpu.stderr).toBe(0);
    expect(gpu.stdout).toContain(`backend: webgpu on ${ctx!.description}, ${ctx!.software ? 'dispatch' : 'resident'} stepping`);
    const cpu = flux('simulate', example('izhikevich-patterns.yaml'), '--duration', '200ms', '--backend', 'cpu', '--quiet');
    // Same spike counts per pattern on both backends.
    const counts = (out: string) => out.split('\n').filter((l) => /spikes/.test(l));
    expect(counts(gpu.stdout)).toEqual(counts(cpu.stdout));
    const resident = flux(
      'simulate',
      example('izhikevich-patterns.yaml'),
      '--duration',
      '200ms',
      '--backend',
      'webgpu',
      '--gpu-stepping',
      'resident',
      '--quiet',
    );
    expect(resident.stdout).toContain('resident stepping');
    if (ctx!.software) expect(gpu.stdout).toMatch(/dispatch stepping \(\d dispatches a step\)/);
    expect(counts(resident.stdout)).toEqual(counts(cpu.stdout));
    // 'auto' keeps a small network on the CPU (a GPU's per-step round trip loses there), saying why.
    const auto = flux('simulate', example('izhikevich-patterns.yaml'), '--duration', '10ms', '--backend', 'auto', '--quiet');
    expect(auto.status, auto.stderr).toBe(0);
    const lines = auto.stderr.split('\n').filter((l) => l.startsWith('flux: running on the CPU backend'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/a small network \(\d+ synapses; 'auto' takes a GPU from 1M/);
    expect(auto.stdout).toMatch(/backend: cpu/);
  });

  it("'auto' takes a hardware adapter for a network of 1M synapses and more, never a software one", async () => {
    const text = readFileSync(example('coba.yaml'), 'utf8').replace(/p: 0\.02/g, 'p: 0.07');
    const logs: string[] = [];
    const e = await Engine.create(loadFlat(example('coba-dense.yaml'), text), { backend: 'auto', log: (l) => logs.push(l) });
    try {
      expect(e.network.synapses).toBeGreaterThanOrEqual(AUTO_GPU_MIN_SYNAPSES);
      if (ctx!.software) {
        expect(e.backend.name).toBe('cpu');
        expect(logs).toEqual([expect.stringMatching(/the only WebGPU adapter is a software one/)]);
      } else {
        expect(e.backend.name).toBe('webgpu');
        expect(logs).toEqual([]);
      }
    } finally {
      e.dispose();
    }
  }, 60_000);

  it('an edit the adapter cannot hold is refused and the network runs on unchanged; so does the shared device after a refused circuit', async () => {
    const limit = Math.min(ctx!.device.limits.maxStorageBufferBindingSize, ctx!.device.limits.maxBufferSize);
    // A delay ring of 20000 neurons x (delay + 1) slots x 8 bytes just over the binding limit.
    const slots = Math.ceil(limit / (20000 * 8)) + 1;
    const yaml = small.replace('b: { model: lif, size: 10 }', 'b: { model: lif, size: 20000 }');
    const e = await gpuEngine(yaml);
    e.backend.configureRecording({});
    e.backend.setInput('i', 800);
    await e.step(100);
    const far = {
      op: 'add_projection' as const,
      name: 'far',
      projection: {
        source: 'a',
        target: 'b',
        connectivity: { type: 'one_to_one' as const },
        weight: '1 pA',
        delay: `${slots * 0.1} ms`,
        synapse: { type: 'current' as const, receptor: 'excitatory' as const },
      },
    };
    expect(() => e.apply({ ...far, projection: { ...far.projection, connectivity: { type: 'all_to_all' } } })).toThrow(
      /buffer "ctl" \(ring \d+ MiB, ctl 0 MiB\) needs \d+ MiB, more than this adapter binds/,
    );
    // Still running, and later edits work.
    e.apply({ op: 'add_population', name: 'tiny', population: { model: 'lif', size: 2 } });
    await e.step(100);
    expect(e.backend.recording().populations.a.spikeSteps.length).toBeGreaterThan(10);
    e.dispose();
    // A circuit refused at creation leaves the shared device clean: the next engine computes.
    await expect(gpuEngine(yaml.replace('delay: 1 ms', `delay: ${slots * 0.1} ms`))).rejects.toThrow(/more than this adapter binds/);
    const next = await gpuEngine(small);
    next.backend.setInput('i', 800);
    await next.step(200);
    expect((await next.backend.readState('a', 'v')).some((v) => v > -64)).toBe(true);
    next.dispose();
  });

  it('dispose during a step rejects that step instead of crashing the process', async () => {
    // Dispatches: 2000 resident steps might end within the 20 ms on a hardware adapter.
    const e = await gpuEngine(example('coba.yaml'), 'dispatch');
    const running = e.step(2000);
    await new Promise((r) => setTimeout(r, 20));
    e.dispose();
    await expect(running).rejects.toThrow(/disposed during step/);
  });

  it('the compatibility level (OpenGL ES) computes the same spikes as the CPU, when a GL adapter exists', () => {
    const env = { ...process.env, FLUX_WEBGPU_BACKEND: 'opengles' };
    const run = (backend: string) =>
      spawnSync(
        process.execPath,
        [
          join(ROOT, 'bin/flux.js'),
          'simulate',
          example('izhikevich-patterns.yaml'),
          '--duration',
          '300ms',
          '--backend',
          backend,
          '--quiet',
        ],
        { encoding: 'utf8', cwd: ROOT, env },
      );
    const gl = run('webgpu');
    if (gl.status !== 0 && /no WebGPU adapter/.test(gl.stderr)) {
      // GL is accepted, not required: say so instead of passing silently.
      console.warn(`no OpenGL ES adapter here: ${gl.stderr.trim().split('\n').pop()}`);
      return;
    }
    expect(gl.status, gl.stderr).toBe(0);
    expect(gl.stdout).toMatch(/backend: webgpu on .*compatibility/);
    const counts = (out: string) => out.split('\n').filter((l) => /spikes/.test(l));
    expect(counts(gl.stdout)).toEqual(counts(run('cpu').stdout));
  });
});
