// Models defined by equations (a circuit's `models:` section) on the WebGPU backend, against the CPU
// reference: the WGSL comes from engine/equations/codegen-wgsl.ts, the CPU's JavaScript from
// codegen-js.ts, both from one definition. The GPU computes in float32, the CPU in float64, so:
//   - deterministic models: spike counts per neuron within max(1, 2%) and each neuron's first spike
//     within 2 steps. A float32 membrane drifts from the float64 one by ~1e-5 relative per spike
//     cycle, which moves a threshold crossing by a step now and then (the slope at threshold is
//     finite), and over hundreds of spikes a count by at most one. (Measured on lavapipe: counts
//     and spike steps equal in every case below; the tolerance is for other adapters' exp and
//     fused multiply-adds.)
//   - state within 1e-4 relative (plus a small absolute floor) where nothing spikes;
//   - white noise (xi) and rand(): the GPU's draws come from its counter-based generator, so only
//     statistics compare: mean and sd of v across 1000 neurons within 5 standard errors.
// Under CI=true a missing adapter fails the run (tests/requirements.ts); elsewhere the suite is skipped.
import { describe, it, expect } from 'vitest';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { acquireGpu } from '../engine/backends/webgpu/gpu.js';
import { WebGpuBackend } from '../engine/backends/webgpu/webgpu.js';
import { bothBackends, expectTrainsClose, trains, type Trains } from './fixtures/both-backends.js';
import { requires } from './requirements.js';

const acquired = await acquireGpu();
const ctx = acquired.ok ? acquired.context : null;
requires('webgpu', ctx ? null : `no WebGPU adapter (${acquired.ok ? '' : acquired.reason})`);
const suite = ctx ? describe : describe.skip;

const { open, both } = bothBackends(ctx);

/** Runs `steps` steps with spikes recorded and returns the trains of each population named. */
async function trainsAfter(yaml: string, steps: number, pops: Record<string, number>): Promise<{ cpu: Trains[]; gpu: Trains[] }> {
  return both(yaml, async (e) => {
    e.backend.configureRecording({});
    await e.step(steps);
    return Object.entries(pops).map(([p, n]) => trains(e, p, n));
  });
}

const EIF = `  eif:
    parameters:
      C: 281 pF
      g_L: 30 nS
      E_L: -70.6 mV
      V_T: -50.4 mV
      Delta_T: 2 mV
      V_cut: -30 mV
      I_b: 0 pA
      E_exc: 0 mV
      E_inh: -80 mV
      t_ref: 2 ms
    equations: |
      dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) + I_b + I_ext + I_exc - I_inh + g_exc*(E_exc - v) + g_inh*(E_inh - v))/C : volt (unless refractory)
    threshold: v > V_cut + threshold_shift
    reset: v = E_L
    refractory: t_ref
    method: euler
    initial:
      v: E_L
`;

const IZHIKEVICH = (method: string) => `  izh:
    parameters:
      C: 100 pF
      k: 0.7 pA/mV**2
      v_r: -60 mV
      v_t: -40 mV
      v_peak: 35 mV
      a: 0.03/ms
      b: -2 nS
      c: -50 mV
      d: 100 pA
      I_b: 0 pA
    equations: |
      dv/dt = (k*(v - v_r)*(v - v_t) - u + I_b + I_ext)/C : volt
      du/dt = a*(b*(v - v_r) - u) : amp
    threshold: v >= v_peak
    reset: v = c; u += d
    method: ${method}
    initial:
      v: v_r
`;

/** A LIF with an adaptation current, both linear: integrated exactly (propagators computed on the host). */
const LIF_EXACT = `  lif_w:
    parameters:
      E_L: -65 mV
      tau: 20 ms
      C: 250 pF
      tau_w: 100 ms
      b: 20 pA
      V_th: -50 mV
      V_r: -65 mV
      I_b: 0 pA
    equations: |
      dv/dt = (E_L - v)/tau + (I_b + I_ext - w)/C : volt (unless refractory)
      dw/dt = -w/tau_w : amp
    threshold: v > V_th
    reset: v = V_r; w += b
    refractory: 2 ms
    method: exact
    initial:
      v: E_L
`;

/** Hodgkin-Huxley with Brian2's condition refractoriness: no second spike until v falls below -40 mV. */
const HH_CONDITION = `  hh:
    parameters:
      C_m: 1 uF/cm**2
      g_Na: 120 mS/cm**2
      g_K: 36 mS/cm**2
      g_L: 0.3 mS/cm**2
      E_Na: 50 mV
      E_K: -77 mV
      E_L: -54.387 mV
      area: 20000 um**2
      I_b: 0 uA/cm**2
    equations: |
      dv/dt = (g_Na*m**3*h*(E_Na - v) + g_K*n**4*(E_K - v) + g_L*(E_L - v) + I_b + I_ext/area)/C_m : volt
      dm/dt = alpha_m*(1 - m) - beta_m*m : 1
      dh/dt = alpha_h*(1 - h) - beta_h*h : 1
      dn/dt = alpha_n*(1 - n) - beta_n*n : 1
      alpha_m = 0.1/mV*10*mV/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
      beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
      alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
      beta_h = 1/(exp(-(v + 35*mV)/(10*mV)) + 1)/ms : Hz
      alpha_n = 0.01/mV*10*mV/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
      beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
    threshold: v > -20*mV
    refractory: v > -40*mV
    method: exponential_euler
    initial:
      v: -65 mV
      m: 0.0529325
      h: 0.596121
      n: 0.317677
`;

suite('user models on WebGPU: spikes as on the CPU', () => {
  it('EIF (euler) with per-neuron I_b, V_T and refractory period', async () => {
    const yaml = `dt: 0.1 ms
models:
${EIF}populations:
  cells:
    model: eif
    size: 8
    params:
      I_b: [0.4 nA, 0.5 nA, 0.6 nA, 0.7 nA, 0.8 nA, 0.9 nA, 1.1 nA, 1.4 nA]
      V_T: { uniform: { low: -51 mV, high: -50 mV } }
      t_ref: [1 ms, 2 ms, 3 ms, 5 ms, 0.5 ms, 2.5 ms, 4 ms, 8 ms]
`;
    const res = await trainsAfter(yaml, 5000, { cells: 8 });
    expect(res.cpu[0].counts.reduce((a, b) => a + b)).toBeGreaterThan(50);
    expectTrainsClose(res.gpu[0], res.cpu[0], 'eif');
  });

  for (const method of ['euler', 'rk4']) {
    it(`Izhikevich (2007) with ${method}`, async () => {
      const yaml = `dt: 0.1 ms
models:
${IZHIKEVICH(method)}populations:
  cells:
    model: izh
    size: 6
    params:
      I_b: [40 pA, 60 pA, 80 pA, 150 pA, 300 pA, 500 pA]
`;
      const res = await trainsAfter(yaml, 10000, { cells: 6 });
      expect(res.cpu[0].counts.reduce((a, b) => a + b)).toBeGreaterThan(30);
      expectTrainsClose(res.gpu[0], res.cpu[0], `izhikevich ${method}`);
    });
  }

  it('a linear model integrated exactly (LIF with adaptation, refractory 2 ms), v and w within 1e-4', async () => {
    const yaml = `dt: 0.1 ms
models:
${LIF_EXACT}populations:
  cells:
    model: lif_w
    size: 6
    params:
      I_b: [300 pA, 420 pA, 520 pA, 700 pA, 1 nA, 2 nA]
`;
    const res = await both(yaml, async (e) => {
      e.backend.configureRecording({});
      await e.step(4000);
      return { t: trains(e, 'cells', 6), w: await e.backend.readState('cells', 'w') };
    });
    expect(res.cpu.t.counts.reduce((a, b) => a + b)).toBeGreaterThan(50);
    expectTrainsClose(res.gpu.t, res.cpu.t, 'lif exact');
    res.cpu.w.forEach((w, i) => expect(Math.abs(res.gpu.w[i] - w)).toBeLessThanOrEqual(1e-4 * Math.abs(w) + 1e-3));
  });

  it('Hodgkin-Huxley with a condition refractory period (exponential Euler, exprel)', async () => {
    const yaml = `dt: 0.01 ms
models:
${HH_CONDITION}populations:
  cells:
    model: hh
    size: 4
    params:
      I_b: [4 uA/cm**2, 8 uA/cm**2, 15 uA/cm**2, 30 uA/cm**2]
`;
    const res = await trainsAfter(yaml, 10000, { cells: 4 });
    expect(res.cpu[0].counts.reduce((a, b) => a + b)).toBeGreaterThan(10);
    expectTrainsClose(res.gpu[0], res.cpu[0], 'hh');
  });

  it('synaptic channels (current and conductance), sources and modulator effects reach the equations', async () => {
    const yaml = `dt: 0.1 ms
models:
${EIF}populations:
  drv: { model: lif, size: 6, params: { tau_refrac: 2 ms } }
  cells: { model: eif, size: 4, params: { I_b: 400 pA, tau_syn_exc: 3 ms } }
projections:
  ie: { source: drv, target: cells, connectivity: { type: all_to_all }, weight: 60 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
  ii: { source: drv, target: cells, connectivity: { type: fixed_probability, p: 0.5 }, weight: 30 pA, delay: { uniform: { low: 0.5 ms, high: 2 ms } }, synapse: { type: current, receptor: inhibitory } }
  ge: { source: drv, target: cells, connectivity: { type: all_to_all }, weight: 1 nS, delay: 1.5 ms, synapse: { type: conductance, receptor: excitatory } }
  gi: { source: drv, target: cells, connectivity: { type: all_to_all }, weight: 0.5 nS, delay: 1 ms, synapse: { type: conductance, receptor: inhibitory } }
sources:
  bias: { type: constant, target: cells, amplitude: 50 pA }
  pulse: { type: step, target: cells, times: [100 ms, 200 ms], amplitudes: [300 pA, 0 pA] }
inputs:
  drv_i: { target: drv, mode: current }
  cells_i: { target: cells, mode: current }
modulators:
  m:
    tau: 1000 s
    baseline: 1
    targets: [{ population: cells, effect: gain, sensitivity: 0.2 }, { population: cells, effect: threshold, sensitivity: -2 }, { population: cells, effect: excitability, sensitivity: 50 }]
`;
    const res = await both(yaml, async (e) => {
      e.backend.configureRecording({});
      e.backend.setInput('drv_i', [300, 400, 500, 700, 900, 1200]);
      e.backend.setInput('cells_i', [0, 50, 100, 200]);
      await e.step(3000);
      return trains(e, 'cells', 4);
    });
    expect(res.cpu.counts.reduce((a, b) => a + b)).toBeGreaterThan(20);
    expectTrainsClose(res.gpu, res.cpu, 'eif with synapses');
  });
});

suite('user models on WebGPU: live edits', () => {
  it('set_param (population-wide, per neuron, and turning per neuron) changes the GPU run as the CPU run', async () => {
    const yaml = `dt: 0.1 ms
models:
${EIF}${LIF_EXACT}populations:
  cells:
    model: eif
    size: 4
    params:
      I_b: [0.5 nA, 0.6 nA, 0.7 nA, 0.8 nA]
  lw: { model: lif_w, size: 3, params: { I_b: 400 pA } }
`;
    const res = await both(yaml, async (e) => {
      e.backend.configureRecording({});
      const log: Trains[] = [];
      // The GPU's state buffer: kept by edits that only upload, replaced when the slots change.
      const stBuffer = () => (e.backend instanceof WebGpuBackend ? e.backend['bufs'].st : null);
      const kept: boolean[] = [];
      const phase = async (edit?: Parameters<Engine<Backend>['apply']>[0]) => {
        const before = stBuffer();
        if (edit) e.apply(edit);
        kept.push(stBuffer() === before);
        await e.step(1500);
        log.push(trains(e, 'cells', 4), trains(e, 'lw', 3));
      };
      await phase();
      // Population-wide: the record's constants go up (exact's propagators computed again for tau).
      await phase({ op: 'set_param', population: 'cells', param: 'g_L', value: '25 nS' });
      await phase({ op: 'set_param', population: 'lw', param: 'tau', value: '30 ms' });
      // Per neuron, the same parameter: its slots go up.
      await phase({ op: 'set_param', population: 'cells', param: 'I_b', value: ['0.9 nA', '0.3 nA', '1.2 nA', '0.6 nA'] });
      // A parameter starts varying per neuron: the population gets a slot more (new buffers, state kept).
      await phase({ op: 'set_param', population: 'lw', param: 'I_b', value: ['350 pA', '600 pA', '900 pA'] });
      // And stops again.
      await phase({ op: 'set_param', population: 'cells', param: 'I_b', value: '0.7 nA' });
      // A population of a model defined by equations added live (compiled with the circuit's models).
      e.apply({ op: 'add_population', name: 'extra', population: { model: 'lif_w', size: 2, params: { I_b: ['500 pA', '800 pA'] } } });
      await e.step(1500);
      log.push(trains(e, 'extra', 2));
      return { log, kept, ib: await e.backend.readState('lw', 'I_b') };
    });
    // Each phase must change something, on both backends alike (counts are cumulative).
    const totals = (l: Trains[]) => l.map((t) => t.counts.reduce((a, b) => a + b));
    expect(new Set(totals(res.cpu.log)).size).toBeGreaterThan(6);
    expect(totals(res.cpu.log).at(-1)).toBeGreaterThan(10);
    expect(res.gpu.kept).toEqual([true, true, true, true, false, false]);
    res.cpu.log.forEach((t, k) =>
      expectTrainsClose(res.gpu.log[k], t, `phase ${k >> 1} population ${k === 12 ? 'extra' : k & 1 ? 'lw' : 'cells'}`),
    );
    expect([...res.gpu.ib]).toEqual([350, 600, 900]);
    expect([...res.cpu.ib]).toEqual([350, 600, 900]);
  });
});

suite('user models on WebGPU: noise', () => {
  it('a model that declares drive takes rate inputs there, on both backends', async () => {
    const yaml = `dt: 0.1 ms
seed: 4
models:
  rate_cell:
    equations: |
      ddrive/dt = 0/second : 1
    threshold: rand() < drive*Hz*dt
populations:
  cells: { model: rate_cell, size: 2000 }
inputs:
  r: { target: cells, mode: rate, gain: 1.5 }
`;
    const counts = await both(yaml, async (e) => {
      e.backend.configureRecording({});
      e.backend.setInput('r', 100); // 150 Hz with the gain
      await e.step(1000);
      e.backend.setInput('r', 0);
      await e.step(1000);
      const rec = await e.backend.recording();
      const steps = rec.populations.cells.spikeSteps;
      return [steps.filter((s) => s < 1000).length, steps.filter((s) => s >= 1000).length];
    });
    // 2000 neurons x 150 Hz x 0.1 s = 30 000 spikes (Poisson: sd 173), then none once the input is 0.
    for (const [on, off] of [counts.cpu, counts.gpu]) {
      expect(Math.abs(on - 30_000)).toBeLessThan(5 * 173);
      expect(off).toBe(0);
    }
  });

  it('xi (Euler-Maruyama) and rand(): mean and sd of v across 1000 neurons as on the CPU', async () => {
    // OU membrane: stationary sd sigma/sqrt(1 - dt/(2 tau)) = 5.01 mV, reached after a few tau.
    const yaml = `dt: 0.1 ms
seed: 3
models:
  ou:
    parameters:
      E_L: -65 mV
      tau: 10 ms
      sigma: 5 mV
    equations: |
      dv/dt = (E_L - v)/tau + sigma*sqrt(2/tau)*xi : volt
      dq/dt = (rand() - 0.5)/ms : 1
    method: euler
    initial:
      v: E_L
populations:
  ou: { model: ou, size: 1000 }
`;
    const stats = (x: ArrayLike<number>) => {
      const n = x.length;
      let m = 0;
      for (let i = 0; i < n; i++) m += x[i] / n;
      let s = 0;
      for (let i = 0; i < n; i++) s += (x[i] - m) ** 2 / (n - 1);
      return { mean: m, sd: Math.sqrt(s) };
    };
    const res = await both(yaml, async (e) => {
      const out: { v: { mean: number; sd: number }; q: { mean: number; sd: number } }[] = [];
      for (let k = 0; k < 3; k++) {
        await e.step(1000);
        out.push({ v: stats(await e.backend.readState('ou', 'v')), q: stats(await e.backend.readState('ou', 'q')) });
      }
      return out;
    });
    const n = 1000;
    res.cpu.forEach((c, k) => {
      const g = res.gpu[k];
      // Two independent samples of 1000: the means differ with sd sigma*sqrt(2/n), the sds with sigma/sqrt(n).
      expect(Math.abs(c.v.sd - 5.01)).toBeLessThan(5 * (5.01 / Math.sqrt(2 * n)));
      expect(Math.abs(g.v.mean - c.v.mean)).toBeLessThan(5 * 5.01 * Math.sqrt(2 / n));
      expect(Math.abs(g.v.sd - c.v.sd)).toBeLessThan((5 * 5.01) / Math.sqrt(n));
      // q: a sum of 1000 (k + 1) uniform draws times 0.1, mean 0, sd 0.1 * sqrt(steps / 12).
      const sdq = 0.1 * Math.sqrt((1000 * (k + 1)) / 12);
      expect(Math.abs(g.q.sd - sdq)).toBeLessThan((5 * sdq) / Math.sqrt(2 * n));
      expect(Math.abs(g.q.mean - c.q.mean)).toBeLessThan(5 * sdq * Math.sqrt(2 / n));
    });
  });
});

suite('user models on WebGPU: the generated code', () => {
  it('every function and operator of the equation language computes as on the CPU', async () => {
    // No spikes: the states integrate functions of t, so float32 vs float64 is all that differs.
    const yaml = `dt: 0.1 ms
models:
  funcs:
    parameters:
      a: 1.5
      tau: 10 ms
    equations: |
      dx1/dt = (exprel(-t/(2*ms)) + exprel(1e-3*t/ms) + exprel(0*t/ms) + clip(sin(t/ms), -0.5, 0.5) + clip(a, 2, 1))/tau : 1
      dx2/dt = (sign(cos(t/ms)) + int(a*t/ms)/100 + int(-a*t/ms)/100 + abs(-a) + floor(a*t/ms)/100 + ceil(-a))/tau : 1
      dx3/dt = (log10(1 + t/ms) + log(2 + t/ms) + sqrt(t/ms) + tanh(t/ms) + arctan(a) + arcsin(0.5*a/a) + arccos(a/6))/tau : 1
      dx4/dt = ((t > 5*ms) + (t > 2*ms and t < 8*ms) + (not (t > 3*ms)) + (x1 < inf) + (t <= 2*ms or x2 == x2))/tau : 1
      dx5/dt = ((-a)**3 + a**2.5 + (-a)**5 + a**(-2) + (-a)**(-1) + cosh(0.1*a) + sinh(0.2*a) + tan(0.3*a) + exp(-a) + pi + e + True)/tau : 1
      dx6/dt = (x1**2 - x6**4/(1 + x6**2) + 1e-3 + 1e9*1e-9 - -a + +a)/tau : 1
    method: rk2
populations:
  f: { model: funcs, size: 2, params: { a: [1.5, 0.7] } }
`;
    const res = await both(yaml, async (e) => {
      await e.step(200);
      const out: number[] = [];
      for (const x of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6']) out.push(...(await e.backend.readState('f', x)));
      return out;
    });
    res.cpu.forEach((c, i) =>
      expect(Math.abs(res.gpu[i] - c), `state ${i}: gpu ${res.gpu[i]} cpu ${c}`).toBeLessThanOrEqual(1e-4 * Math.abs(c) + 1e-5),
    );
  });

  it('names that are WGSL keywords, and subexpressions nested deeper than the shader compiler parses, run as on the CPU', async () => {
    // Each subexpression nests 60 calls; inlined into each other they nest 240 (Tint parses about 60).
    const nest = (x: string) => 'sin('.repeat(60) + x + ')'.repeat(60);
    const yaml = `dt: 0.1 ms
models:
  deep:
    parameters:
      active: 0.5
      struct: 2
    equations: |
      dv/dt = (s3 - v/mV)*mV/(10*ms) : volt
      dloop/dt = (struct - loop*active)/(10*ms) : 1
      s1 = ${nest('v/mV')} : 1
      s2 = ${nest('s1')} : 1
      s3 = ${nest('s2')} : 1
    method: euler
    initial:
      v: 1 mV
populations:
  d: { model: deep, size: 2, params: { active: [0.5, 0.25] } }
`;
    const res = await both(yaml, async (e) => {
      await e.step(100);
      return [...(await e.backend.readState('d', 'v')), ...(await e.backend.readState('d', 'loop'))];
    });
    res.cpu.forEach((c, i) => expect(Math.abs(res.gpu[i] - c), `state ${i}`).toBeLessThanOrEqual(1e-4 * Math.abs(c) + 1e-5));
  });

  it('a model needing more constants than a population record holds is refused, naming it and the count', async () => {
    const params = Array.from({ length: 40 }, (_, k) => `      p${k}: ${k + 1} mV`).join('\n');
    const sum = Array.from({ length: 40 }, (_, k) => `p${k}`).join(' + ');
    const yaml = `dt: 0.1 ms
models:
  wide:
    parameters:
${params}
    equations: |
      dv/dt = (${sum} - v)/(10*ms) : volt
    method: euler
populations:
  w: { model: wide, size: 2 }
`;
    await expect(open(yaml, 'webgpu')).rejects.toThrow(
      /model "wide" needs 41 constant words on the GPU \(1 mask, 40 parameters.*at most 32/,
    );
  });
});
