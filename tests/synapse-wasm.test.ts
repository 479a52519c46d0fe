// Synapse models in generated WebAssembly (engine/equations/codegen-synapse-wasm.ts) against their
// generated JavaScript (kernels: js), which the Brian2 comparisons check: every library model at once
// (event-driven traces, clock-driven and exact systems, summed currents, on_post, on_step, a modulator),
// per-synapse delays of one and two bytes, a projection within one population, a rule that writes a
// variable of its target, channel writes in on_post, an event-driven weight, a summed variable that
// reads another. The same seed must give the same spikes, weights and state to the bit, and
// each projection must say which code ran it.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { CpuBackend } from '../engine/backends/cpu.js';
import { ROOT } from './helpers.js';

const dir = mkdtempSync(join(ROOT, 'tests', '.synapse-wasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CIRCUIT = `dt: 0.1 ms
seed: 3
models:
  stdp: "@flux-library/models/stdp"
  triplet: "@flux-library/models/triplet_stdp"
  nmda: "@flux-library/models/nmda"
  tm: "@flux-library/models/tsodyks_markram"
  bcm: "@flux-library/models/bcm"
  alpha: "@flux-library/models/alpha"
  double: "@flux-library/models/double_exponential"
  rstdp: "@flux-library/models/reward_stdp"
  tracer:
    kind: synapse
    parameters: { k: 0.5 }
    equations: |
      w : siemens
    on_pre: |
      g_exc_post += w
      x_post += k*w/nS
    on_step: |
      w = clip(w*(1 - 1e-5*dopamine), 0*nS, 5*nS)
  noisy:
    kind: synapse
    equations: |
      w : siemens
    on_pre: |
      g_exc_post += w*rand()
  backprop:
    kind: synapse
    parameters: { tau: 10 ms }
    equations: |
      w : siemens
      dapost/dt = -apost/tau : 1 (event-driven)
    on_pre: |
      g_exc_post += w*(1 + apost)
    on_post: |
      apost += 1
      g_inh_post += 0.1*w
  decaying:
    kind: synapse
    parameters: { tau: 10 ms }
    equations: |
      dw/dt = (1*nS - w)/tau : siemens (event-driven)
    on_pre: |
      g_exc_post += w
      w -= 0.2*w
  chained:
    kind: synapse
    equations: |
      w : amp
      Ia_post = w : amp (summed)
      Ib_post = 0.5*Ia_post + w : amp (summed)
  chainedSelf:
    kind: synapse
    equations: |
      w : amp
      Ia_post = w : amp (summed)
      Ib_post = Ia_pre + w : amp (summed)
  summing:
    parameters: { tau: 10 ms, C: 100 pF, Ia: 0 pA, Ib: 0 pA }
    equations: |
      dv/dt = -v/tau + (Ia + Ib)/C : volt
    method: euler
  marker:
    parameters: { C: 200 pF }
    equations: |
      dv/dt = (-70*mV - v)/(20*ms) + (g_exc*(0*mV - v) + I_ext)/C : volt
      dx/dt = -x/(50*ms) : 1
    threshold: v > -50*mV
    reset: v = -65*mV
    refractory: 2 ms
    method: euler
    initial: { v: -70 mV }
populations:
  drive: { model: poisson, size: 80, params: { rate: 30 Hz } }
  cells: { model: lif, size: 40, params: { i_offset: 250 pA } }
  marked: { model: marker, size: 25 }
  sums: { model: summing, size: 6 }
  selfsums: { model: summing, size: 6 }
modulators:
  dopamine: { tau: 200 ms, baseline: 0.3 }
projections:
  a: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.3 }, weight: 1 nS, delay: { uniform: { low: 0 ms, high: 3 ms } }, synapse: { model: stdp } }
  b: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.2 }, weight: 0.5 nS, delay: 1 ms, synapse: { model: triplet } }
  c: { source: drive, target: marked, connectivity: { type: fixed_probability, p: 0.2 }, weight: 1 nS, delay: { uniform: { low: 0.1 ms, high: 30 ms } }, synapse: { model: tracer } }
  d: { source: cells, target: marked, connectivity: { type: fixed_probability, p: 0.3 }, weight: 0.3 nS, synapse: { model: nmda } }
  e: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.2 }, weight: 2 nS, delay: { uniform: { low: 0 ms, high: 2 ms } }, synapse: { model: tm } }
  f: { source: cells, target: cells, connectivity: { type: fixed_probability, p: 0.2 }, weight: 0.2 nS, synapse: { model: bcm } }
  g: { source: drive, target: marked, connectivity: { type: fixed_probability, p: 0.1 }, weight: 0.5 nS, synapse: { model: alpha } }
  h: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.2 }, weight: 0.5 nS, synapse: { model: rstdp } }
  i: { source: cells, target: marked, connectivity: { type: fixed_probability, p: 0.2 }, weight: 0.5 nS, delay: 0.5 ms, synapse: { model: double } }
  j: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.1 }, weight: 1 nS, synapse: { model: noisy } }
  k: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.3 }, weight: 0.3 nS, synapse: { model: backprop } }
  l: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.2 }, weight: 0.5 nS, delay: 0.5 ms, synapse: { model: decaying } }
  m: { source: drive, target: sums, connectivity: { type: fixed_probability, p: 0.5 }, weight: 10 pA, synapse: { model: chained } }
  n: { source: marked, target: marked, connectivity: { type: fixed_probability, p: 0.1 }, weight: 0.2 nS, synapse: { model: tracer } }
  o: { source: selfsums, target: selfsums, connectivity: { type: one_to_one }, weight: 10 pA, synapse: { model: chainedSelf } }
`;

/** `body` on the document run with WebAssembly, then with JavaScript kernels; each engine disposed after. */
function onBothPaths<T>(name: string, text: string, body: (e: Engine, b: CpuBackend) => T): { wasm: T; js: T } {
  const file = join(dir, name);
  writeFileSync(file, text);
  const one = (kernels: 'js' | 'wasm') => {
    const e = Engine.fromFile(file, { kernels });
    try {
      return body(e, e.backend as CpuBackend);
    } finally {
      e.backend.dispose();
    }
  };
  return { wasm: one('wasm'), js: one('js') };
}

function runCircuit() {
  return onBothPaths('circuit.yaml', CIRCUIT, (e, b) => {
    const before = Object.fromEntries(
      e.circuit.projections.map((p) => [p.name, Array.from(e.backend.readWeights(p.name) as Float32Array)]),
    );
    e.backend.configureRecording({});
    for (let k = 0; k < 12; k++) {
      e.step(250);
      e.backend.pulseModulator('dopamine', 0.5);
    }
    const projections = e.circuit.projections.map((p) => p.name);
    return {
      spikes: Object.fromEntries(Object.entries(b.recording().populations).map(([k, p]) => [k, [p.spikeSteps, p.spikeIndices]])),
      weights: Object.fromEntries(projections.map((p) => [p, Array.from(b.readWeights(p) as Float32Array)])),
      state: [
        ...['v', 'x'].map((v) => Array.from(b.readState('marked', v))),
        ...['Ia', 'Ib'].map((v) => Array.from(b.readState('sums', v))),
        ...['Ia', 'Ib'].map((v) => Array.from(b.readState('selfsums', v))),
      ],
      channels: ['ge', 'gi'].map((c) => Array.from(b.readState('cells', c))),
      code: Object.fromEntries(projections.map((p) => [p, b.synapseCode(p)?.code])),
      before,
    };
  });
}

describe('synapse models in WebAssembly', () => {
  it('give the generated JavaScript its bits: spikes, weights and state, every library model, delays, a modulator', () => {
    const { wasm, js } = runCircuit();
    // Everything runs in WebAssembly but the rule that draws random numbers and a rule writing its
    // target's variable on a projection within one population.
    expect(wasm.code).toEqual({ ...Object.fromEntries([...'abcdefghiklmo'].map((p) => [p, 'wasm'])), j: 'js', n: 'js' });
    expect(Object.values(js.code).every((c) => c === 'js')).toBe(true);
    // The network is busy: every population fires and the rules moved weights.
    for (const name of ['drive', 'cells', 'marked']) expect(wasm.spikes[name][0].length, name).toBeGreaterThan(20);
    for (const p of ['a', 'b', 'c', 'f', 'h', 'l']) expect(wasm.weights[p], p).not.toEqual(wasm.before[p]);
    expect(wasm.state[3].some((ib) => ib !== 0)).toBe(true);
    // selfsums: Ib reads Ia_pre, which each neuron's own synapse has just added to (10 + 10 pA).
    expect(wasm.state[5]).toEqual(new Array(6).fill(20));
    expect(wasm.spikes).toEqual(js.spikes);
    expect(wasm.weights).toEqual(js.weights);
    expect(wasm.state).toEqual(js.state);
    expect(wasm.channels).toEqual(js.channels);
  });

  it('a model with on_post only, through per-synapse delays: nothing runs on arrival, the same bits on both paths', () => {
    const { wasm, js } = onBothPaths(
      'post-only.yaml',
      `dt: 0.1 ms
seed: 4
models:
  post_only:
    kind: synapse
    parameters: { tau: 20 ms, A: 0.01 }
    equations: |
      w : 1
      dtrace/dt = -trace/tau : 1 (event-driven)
    on_post: |
      trace += A
      w = clip(w + trace, 0, 2)
populations:
  drive: { model: poisson, size: 40, params: { rate: 100 Hz } }
  cells: { model: lif, size: 30, params: { i_offset: 380 pA } }
projections:
  p: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.3 }, weight: 0.5, delay: { uniform: { low: 0.5 ms, high: 3 ms } }, synapse: { model: post_only } }
`,
      (e, b) => {
        const w0 = [...b.readWeights('p')];
        e.step(2000);
        return { code: b.synapseCode('p')?.code, w0, w: [...b.readWeights('p')] };
      },
    );
    expect(wasm.code).toBe('wasm');
    // The cells fire: on_post moved the weights.
    expect(wasm.w.filter((w, k) => w !== wasm.w0[k]).length).toBeGreaterThan(wasm.w.length / 2);
    expect(wasm).toEqual({ ...js, code: 'wasm' });
  });

  it('read four-byte target indices (a target population above 65 536 neurons)', () => {
    const { wasm, js } = onBothPaths(
      'big.yaml',
      `dt: 0.1 ms
seed: 9
models:
  tm: "@flux-library/models/tsodyks_markram"
  stdp: "@flux-library/models/stdp"
populations:
  drive: { model: poisson, size: 50, params: { rate: 200 Hz } }
  many: { model: lif, size: 70000, params: { i_offset: 360 pA } }
projections:
  p: { source: drive, target: many, connectivity: { type: fixed_probability, p: 0.002 }, weight: 2 nS, delay: { uniform: { low: 0 ms, high: 2 ms } }, synapse: { model: tm } }
  q: { source: drive, target: many, connectivity: { type: fixed_probability, p: 0.002 }, weight: 1 nS, synapse: { model: stdp } }
`,
      (e, b) => {
        e.step(400);
        return {
          code: [b.synapseCode('p')?.code, b.synapseCode('q')?.code],
          w: [...b.readWeights('p'), ...b.readWeights('q')],
          v: Array.from(b.readState('many', 'v')),
          ge: Array.from(b.readState('many', 'ge')),
        };
      },
    );
    expect(wasm.code).toEqual(['wasm', 'wasm']);
    expect(wasm.ge.some((g) => g > 0)).toBe(true);
    expect(wasm).toEqual({ ...js, code: ['wasm', 'wasm'] });
  });

  it('follow live edits: a population that grows the memory, a synapse-model projection added with a longer delay, one removed', () => {
    const { wasm, js } = onBothPaths(
      'edits.yaml',
      `dt: 0.1 ms
seed: 6
models:
  stdp: "@flux-library/models/stdp"
  tm: "@flux-library/models/tsodyks_markram"
populations:
  drive: { model: poisson, size: 40, params: { rate: 80 Hz } }
  cells: { model: lif, size: 30, params: { i_offset: 300 pA } }
projections:
  a: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.3 }, weight: 1 nS, delay: { uniform: { low: 0 ms, high: 2 ms } }, synapse: { model: stdp } }
  b: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.3 }, weight: 1 nS, synapse: { model: tm } }
`,
      (e, b) => {
        e.backend.configureRecording({});
        e.step(150);
        // 300 000 neurons: the WebAssembly memory grows and every view is made again.
        e.apply({ op: 'add_population', name: 'big', population: { model: 'lif', size: 300_000 } });
        e.apply({
          op: 'add_projection',
          name: 'c',
          projection: {
            source: 'drive',
            target: 'cells',
            connectivity: { type: 'fixed_probability', p: 0.3 },
            weight: '1 nS',
            delay: '10 ms',
            synapse: { model: 'tm' },
          },
        });
        e.step(150);
        e.apply({ op: 'remove_projection', name: 'b' });
        e.step(150);
        return {
          code: ['a', 'c'].map((p) => b.synapseCode(p)?.code),
          spikes: b.recording().populations.cells.spikeSteps,
          w: ['a', 'c'].map((p) => Array.from(b.readWeights(p))),
          cells: ['v', 'ge'].map((v) => Array.from(b.readState('cells', v))),
        };
      },
    );
    expect(wasm.code).toEqual(['wasm', 'wasm']);
    expect(wasm.spikes.length).toBeGreaterThan(50);
    expect(wasm).toEqual({ ...js, code: ['wasm', 'wasm'] });
  });

  it('keep the WebAssembly when the summed variables they add grow the memory', () => {
    const targets = Array.from({ length: 10 }, (_, k) => `I${k}`);
    const file = join(dir, 'many-sums.yaml');
    writeFileSync(
      file,
      `dt: 0.1 ms
models:
  many:
    kind: synapse
    equations: |
${targets.map((t) => `      ${t}_post = w : amp (summed)`).join('\n')}
      w : amp
  summing:
    parameters: { C: 100 pF, ${targets.map((t) => `${t}: 0 pA`).join(', ')} }
    equations: |
      dv/dt = (${targets.join(' + ')})/C : volt
    method: euler
populations:
  drive: { model: poisson, size: 10, params: { rate: 30 Hz } }
  sums: { model: summing, size: 60000 }
projections:
  m: { source: drive, target: sums, connectivity: { type: fixed_probability, p: 0.01 }, weight: 10 pA, synapse: { model: many } }
`,
    );
    const e = Engine.fromFile(file);
    e.step(1);
    // Ten 480 kB arrays added in a row: the memory grows between them.
    expect((e.backend as CpuBackend).synapseCode('m')).toEqual({ code: 'wasm' });
    e.backend.dispose();
  });

  it('says why a model runs its JavaScript', () => {
    const file = join(dir, 'why.yaml');
    writeFileSync(file, CIRCUIT);
    const e = Engine.fromFile(file);
    e.step(1);
    const b = e.backend as CpuBackend;
    expect(b.synapseCode('j')).toEqual({ code: 'js', why: 'it draws random numbers (the Rng is JavaScript)' });
    expect(b.synapseCode('n')).toEqual({ code: 'js', why: 'it writes a variable of a population that is also its source' });
    expect(b.synapseCode('a')).toEqual({ code: 'wasm' });
    b.dispose();
  });
});

describe('random synapse models', () => {
  // Dimensionless expressions over the synapse's values, its parameters, both neurons' potentials, a
  // modulator and time; statements of every kind the WebAssembly emits (channels of both kinds, the
  // target's potential, the weight, the synapse's variables). Each model runs both ways.
  const leaf = fc.constantFrom(
    'w',
    'x1',
    'x2',
    'k1',
    'k2',
    '(v_post/mV + 60)/10',
    '(v_pre/mV + 60)/10',
    'dopamine',
    't/second',
    '0.5',
    '2',
    '0.1',
  );
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('e'), fc.constantFrom('+', '-', '*'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(tie('e'), tie('e')).map(([a, b]) => `${a}/(1 + abs(${b}))`),
      tie('e').map((a) => `exp(clip(${a}, -3, 3))`),
      tie('e').map((a) => `sqrt(abs(${a}))`),
      tie('e').map((a) => `-${a}`),
      fc.tuple(tie('e'), tie('e')).map(([a, b]) => `int(${a} > ${b})`),
    ),
  })).e;
  const onPre = fc.constantFrom(
    (e: string) => `x1 += ${e}`,
    (e: string) => `x2 = clip(${e}, -5, 5)`,
    (e: string) => `w = clip(w + 0.001*(${e}), 0, 2)`,
    (e: string) => `w *= 1 + 0.001*clip(${e}, -1, 1)`,
    (e: string) => `g_exc_post += w*nS*clip(${e}, 0, 1)`,
    (e: string) => `I_inh_post -= 10*pA*clip(${e}, -1, 0)`,
    (e: string) => `I_exc_post += 10*pA*clip(${e}, 0, 1)`,
    (e: string) => `v_post += 0.01*mV*clip(${e}, -1, 1)`,
  );
  const onPost = fc.constantFrom(
    (e: string) => `x2 += clip(${e}, -1, 1)`,
    (e: string) => `w = clip(w - 0.001*(${e}), 0, 2)`,
    (e: string) => `g_inh_post += 0.1*nS*clip(${e}, 0, 1)`,
    (e: string) => `v_post -= 0.01*mV*clip(${e}, 0, 1)`,
  );
  const statements = (kinds: fc.Arbitrary<(e: string) => string>, min: number, max: number) =>
    fc.array(fc.tuple(kinds, expr), { minLength: min, maxLength: max }).map((xs) => xs.map(([s, e]) => s(e)));
  const model = fc.record({
    pre: statements(onPre, 1, 3),
    post: statements(onPost, 0, 2),
    step: statements(
      fc.constant((e: string) => `w = clip(w*(1 - 1e-6*clip(${e}, -1, 1)), 0, 2)`),
      0,
      1,
    ),
    clock: fc.option(expr, { nil: undefined }),
    summed: fc.option(expr, { nil: undefined }),
    delay: fc.constantFrom('0 ms', '0.5 ms', '{ uniform: { low: 0 ms, high: 2 ms } }'),
  });

  type Model = typeof model extends fc.Arbitrary<infer T> ? T : never;
  const circuit = (m: Model) => {
    const block = (lines: string[]) => `|\n${lines.map((l) => `      ${l}`).join('\n')}`;
    const entry = (key: string, lines: string[]) => (lines.length ? `    ${key}: ${block(lines)}\n` : '');
    const equations = [
      'w : 1',
      'dx1/dt = -x1/tau1 : 1 (event-driven)',
      'dx2/dt = (k1 - x2)/tau2 : 1 (event-driven)',
      ...(m.clock ? [`dx3/dt = (clip(${m.clock}, -5, 5) - x3)/tau3 : 1 (clock-driven)`] : []),
      ...(m.summed ? [`I_ext_post = w*pA*clip(${m.summed}, -1, 1) : amp (summed)`] : []),
    ];
    return `dt: 0.1 ms
seed: 2
models:
  rule:
    kind: synapse
    parameters: { tau1: 10 ms, tau2: 25 ms, tau3: 5 ms, k1: 0.3, k2: 1.7 }
${entry('equations', equations)}${entry('on_pre', m.pre)}${entry('on_post', m.post)}${entry('on_step', m.step)}populations:
  drive: { model: lif, size: 30, params: { i_offset: 400 pA }, init: { v: { uniform: { low: -70 mV, high: -50 mV } } } }
  cells: { model: lif, size: 12, params: { i_offset: 300 pA } }
modulators:
  dopamine: { tau: 100 ms, baseline: 0.3 }
projections:
  p: { source: drive, target: cells, connectivity: { type: fixed_probability, p: 0.5 }, weight: 0.5, delay: ${m.delay}, synapse: { model: rule } }
`;
  };

  it('give the same bits on both paths (fast-check)', { timeout: 120_000 }, () => {
    let n = 0;
    fc.assert(
      fc.property(model, (m) => {
        const { wasm, js } = onBothPaths(`random-${n++}.yaml`, circuit(m), (e, b) => {
          e.backend.configureRecording({});
          for (let k = 0; k < 3; k++) {
            e.step(100);
            e.backend.pulseModulator('dopamine', 0.4);
          }
          return {
            code: b.synapseCode('p')?.code,
            spikes: b.recording().populations.cells.spikeSteps,
            w: Array.from(b.readWeights('p')),
            cells: ['v', 'ge', 'gi', 'ie', 'ii'].map((v) => Array.from(b.readState('cells', v))),
          };
        });
        expect(wasm.code).toBe('wasm');
        expect(wasm).toEqual({ ...js, code: 'wasm' });
      }),
      { numRuns: 40 },
    );
  });
});
