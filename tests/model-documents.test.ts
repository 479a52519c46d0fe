// Models defined by equations in circuit documents: every problem names the file, the line, the JSON
// path, the equation and the symbol; per-neuron parameters; live edits; modules; hostile text.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, loadCircuit } from '../engine/engine.js';
import { CircuitError, type CircuitIssue } from '../engine/circuit/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'flux-models-'));
let count = 0;
function write(text: string, name = `c${count++}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
function issues(text: string): { file: string; issues: CircuitIssue[] } {
  const file = write(text);
  try {
    loadCircuit(file);
  } catch (e) {
    if (e instanceof CircuitError) return { file, issues: e.issues };
    throw e;
  }
  throw new Error('expected a CircuitError');
}
const lineOf = (text: string, marker: string) => text.split('\n').findIndex((l) => l.includes(marker)) + 1;

const EIF = `dt: 0.1 ms
models:
  eif:
    parameters:
      C: 281 pF
      g_L: 30 nS
      E_L: -70.6 mV
      V_T: -50.4 mV
      Delta_T: 2 mV
      I_b: 0 pA
    equations: |
      dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) + I_b + I_ext)/C : volt (unless refractory)
    threshold: v > V_T + 5*Delta_T
    reset: v = E_L
    refractory: 2 ms
    method: euler
    initial:
      v: E_L
`;

describe('problems in a model name the file, line, path, equation and symbol', () => {
  it('a unit error inside a YAML equations block points at its own line', () => {
    const text = EIF.replace('+ I_b + I_ext)/C', '+ I_b + I_ext + E_L)/C') + 'populations:\n  a: { model: eif, size: 1 }\n';
    const { file, issues: found } = issues(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file, path: '/models/eif/equations', line: lineOf(text, 'dv/dt') });
    expect(found[0].message).toMatch(/cannot add amp and volt/);
    expect(found[0].message).toContain('dv/dt = (g_L*(E_L - v)');
    expect(found[0].message).toContain('[symbol E_L]');
  });

  it('an unknown symbol, a reset of a parameter and a threshold that is no condition are all reported', () => {
    const text =
      EIF.replace('I_b + I_ext)/C', 'I_b + I_ext + I_typo)/C')
        .replace('reset: v = E_L', 'reset: E_L = v')
        .replace('threshold: v > V_T + 5*Delta_T', 'threshold: v + V_T') + 'populations:\n  a: { model: eif, size: 1 }\n';
    const found = issues(text).issues;
    const msgs = found.map((i) => `${i.path} ${i.message}`).join('\n');
    expect(msgs).toMatch(/\/models\/eif\/equations .*unknown symbol "I_typo"/);
    expect(msgs).toMatch(/\/models\/eif\/reset .*can only change state variables/);
    expect(msgs).toMatch(/\/models\/eif\/threshold .*not a condition/);
    // The population of a broken model is not reported a second time.
    expect(found.filter((i) => i.path.startsWith('/populations'))).toHaveLength(0);
  });

  it('names the engine provides, units and functions cannot be redefined', () => {
    for (const bad of ['dt/dt = 1/ms : 1', 'dxi/dt = 1/ms : 1', 'dexp/dt = 1/ms : 1', 'd_x/dt = 1/ms : 1'])
      expect(issues(`models:\n  m:\n    equations: "${bad}"\npopulations:\n  a: { model: m, size: 1 }\n`).issues[0].message).toMatch(
        /cannot be defined/,
      );
  });

  it("a model's own name shadows a unit of the same name (cm: a capacitance, not the centimetre)", () => {
    const c = loadCircuit(
      write(
        'models:\n  m:\n    parameters: { cm: 250 pF, tau: 20 ms }\n    equations: "dv/dt = -v/tau + 1*pA/cm : volt"\npopulations:\n  a: { model: m, size: 1 }\n',
      ),
    ).circuit;
    expect(c.models!.m.parameters.cm.default).toBe(250);
  });

  it('a method that does not apply says why', () => {
    const text = EIF.replace('method: euler', 'method: exact') + 'populations:\n  a: { model: eif, size: 1 }\n';
    expect(issues(text).issues[0]).toMatchObject({ path: '/models/eif/method' });
    expect(issues(text).issues[0].message).toMatch(/not linear/);
  });

  it('per-neuron values: a list of the wrong length, a value of the wrong unit', () => {
    const text =
      EIF +
      'populations:\n  a:\n    model: eif\n    size: 3\n    params:\n      I_b: [1 nA, 2 nA]\n      V_T: { uniform: { low: -51 mV, high: 2 nS } }\n';
    const msgs = issues(text).issues.map((i) => `${i.path} ${i.message}`);
    expect(msgs).toContainEqual(expect.stringMatching(/\/populations\/a\/params\/I_b 2 values for 3 neurons/));
    expect(msgs).toContainEqual(expect.stringMatching(/\/populations\/a\/params\/V_T\/uniform\/high .*units of siemens, expected volt/));
  });

  it('a synapse statement with the wrong units is reported at the projection, naming the model line', () => {
    const text =
      EIF +
      `  syn:
    kind: synapse
    equations: |
      w : siemens
    on_pre: I_exc_post += w
populations:
  a: { model: eif, size: 2 }
projections:
  p: { source: a, target: a, connectivity: { type: one_to_one }, weight: 1 nS, synapse: { model: syn } }
`;
    const found = issues(text).issues;
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe('/projections/p/synapse/model');
    expect(found[0].message).toMatch(/on_pre line 1 \("I_exc_post \+= w"\).*assigns siemens to I_exc_post/);
  });

  it('an event-driven equation must be linear with constant coefficients', () => {
    const text = `models:\n  s:\n    kind: synapse\n    equations: |\n      w : 1\n      dx/dt = -x**2/ms : 1 (event-driven)\n`;
    expect(issues(text).issues[0].message).toMatch(/event-driven.*linear/);
  });
});

describe('per-neuron parameters', () => {
  it('a list gives each neuron its value, and more drive fires faster', () => {
    const file = write(EIF + 'populations:\n  a:\n    model: eif\n    size: 4\n    params:\n      I_b: [0.4 nA, 0.8 nA, 1.2 nA, 2 nA]\n');
    const e = Engine.fromFile(file);
    expect(Array.from(e.backend.readState('a', 'I_b') as Float64Array)).toEqual([400, 800, 1200, 2000]);
    e.backend.configureRecording({});
    e.step(5000);
    const rec = e.backend.recording().populations.a;
    const counts = [0, 1, 2, 3].map((i) => rec.spikeIndices.filter((x) => x === i).length);
    expect(counts[0]).toBe(0);
    expect(counts[1]).toBeGreaterThan(0);
    expect(counts[2]).toBeGreaterThan(counts[1]);
    expect(counts[3]).toBeGreaterThan(counts[2]);
  });

  it('a distribution is drawn from its own seeded stream: the same seed, the same values', () => {
    const text =
      EIF + 'populations:\n  a:\n    model: eif\n    size: 100\n    params:\n      V_T: { normal: { mean: -50 mV, sd: 1 mV } }\n';
    const a = Engine.fromFile(write(text)).backend.readState('a', 'V_T') as Float64Array;
    const b = Engine.fromFile(write(text)).backend.readState('a', 'V_T') as Float64Array;
    const c = Engine.fromFile(write(text), { seed: 7 }).backend.readState('a', 'V_T') as Float64Array;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean + 50)).toBeLessThan(0.4);
  });

  it('an initial value may depend on a parameter that varies per neuron', () => {
    const text = EIF + 'populations:\n  a:\n    model: eif\n    size: 2\n    params:\n      E_L: [-70 mV, -60 mV]\n';
    expect(Array.from(Engine.fromFile(write(text)).backend.readState('a', 'v') as Float64Array)).toEqual([-70, -60]);
  });
});

describe('live edits of a model defined by equations', () => {
  it('set_param changes a parameter (one value or one per neuron) and the run follows it', () => {
    const file = write(EIF + 'populations:\n  a:\n    model: eif\n    size: 2\n');
    const e = Engine.fromFile(file);
    e.backend.configureRecording({});
    e.step(2000);
    expect(e.backend.recording().populations.a.spikeSteps).toHaveLength(0);
    expect(e.apply({ op: 'set_param', population: 'a', param: 'I_b', value: '1.5 nA' })).toMatchObject({ applied: true });
    e.step(2000);
    const both = e.backend.recording().populations.a.spikeIndices;
    expect(both.filter((i) => i === 0).length).toBeGreaterThan(5);
    expect(both.filter((i) => i === 1).length).toBe(both.filter((i) => i === 0).length);
    e.apply({ op: 'set_param', population: 'a', param: 'I_b', value: ['0 nA', '1.5 nA'] });
    e.backend.configureRecording({});
    e.step(2000);
    const split = e.backend.recording().populations.a.spikeIndices;
    expect(split.filter((i) => i === 0)).toHaveLength(0);
    expect(split.filter((i) => i === 1).length).toBeGreaterThan(5);
  });

  it('an edit with the wrong unit is refused and changes nothing', () => {
    const e = Engine.fromFile(write(EIF + 'populations:\n  a: { model: eif, size: 1 }\n'));
    expect(() => e.apply({ op: 'set_param', population: 'a', param: 'I_b', value: '3 mV' })).toThrow(/units of volt, expected amp/);
    expect(() => e.apply({ op: 'set_param', population: 'a', param: 'nope', value: 1 })).toThrow(/no parameter/);
    expect(e.circuit.populations[0].params.I_b).toBe(0);
  });
});

describe('models in modules', () => {
  it("an included module's own model is qualified by its prefix and does not collide with the includer's", () => {
    const mod = write(EIF + 'populations:\n  cell: { model: eif, size: 1, params: { I_b: 2 nA } }\n', 'module-eif.yaml');
    const root = write(
      `models:\n  eif:\n    equations: "dv/dt = -v/(10*ms) : volt"\npopulations:\n  own: { model: eif, size: 1 }\ninclude:\n  - { module: ./${mod.split('/').pop()}, prefix: left }\n`,
    );
    const c = loadCircuit(root).circuit;
    expect(Object.keys(c.models!).sort()).toEqual(['eif', 'left.eif']);
    expect(c.populations.find((p) => p.name === 'left.cell')!.model).toBe('left.eif');
    expect(c.populations.find((p) => p.name === 'own')!.model).toBe('eif');
  });
});

describe('hostile equation text', () => {
  it('any text in a model is a CircuitError or a model, never a crash', () => {
    const pieces = fc.constantFrom(
      'dv/dt',
      '=',
      ':',
      'volt',
      '(',
      ')',
      'v',
      'exp',
      '*',
      '/',
      '**',
      'mV',
      '\n',
      ' ',
      '1e308',
      'xi',
      '#',
      'unless refractory',
      '__proto__',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), fc.string({ maxLength: 30 }), (parts, noise) => {
        const text = `models:\n  m:\n    equations: ${JSON.stringify(parts.join(' ') + noise)}\n    threshold: ${JSON.stringify(noise || 'v > 1')}\npopulations:\n  a: { model: m, size: 2 }\n`;
        try {
          const e = Engine.fromFile(write(text, 'fuzz.yaml'));
          e.step(5);
          e.backend.dispose();
        } catch (err) {
          expect(err).toBeInstanceOf(CircuitError);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('models given by reference: a file, or a package model (flux.models)', () => {
  const eifModel = EIF.split('\n')
    .slice(3)
    .map((l) => l.slice(4))
    .join('\n');

  it('a package model loads, runs, and its problems point into the model file', async () => {
    const { mkdirSync } = await import('node:fs');
    const root = mkdtempSync(join(tmpdir(), 'flux-pkg-models-'));
    const pkg = join(root, 'node_modules', '@lab', 'neurons');
    mkdirSync(join(pkg, 'models'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@lab/neurons', version: '1.0.0', flux: { models: { eif: 'models/eif.yaml', bad: 'models/bad.yaml' } } }),
    );
    writeFileSync(join(pkg, 'models', 'eif.yaml'), eifModel);
    writeFileSync(join(pkg, 'models', 'bad.yaml'), 'equations: |\n  dv/dt = v : volt\n');
    const circuit = join(root, 'c.yaml');
    writeFileSync(
      circuit,
      'dt: 0.1 ms\nmodels:\n  eif: "@lab/neurons/eif"\npopulations:\n  a: { model: eif, size: 1, params: { I_b: 1 nA } }\n',
    );
    const e = Engine.fromFile(circuit);
    e.backend.configureRecording({});
    e.step(2000);
    expect(e.backend.recording().populations.a.spikeSteps.length).toBeGreaterThan(3);
    writeFileSync(circuit, 'models:\n  bad: "@lab/neurons/bad"\n  gone: "@lab/neurons/nope"\npopulations:\n  a: { model: bad, size: 1 }\n');
    try {
      loadCircuit(circuit);
      throw new Error('expected a CircuitError');
    } catch (err) {
      const found = (err as CircuitError).issues;
      expect(found).toContainEqual(expect.objectContaining({ file: join(pkg, 'models', 'bad.yaml'), path: '/equations', line: 2 }));
      expect(found.find((i) => i.path === '/models/gone')?.message).toMatch(/provides no model "nope" \(it provides: eif, bad\)/);
    }
  });

  it('a model file next to the circuit', () => {
    const model = write(eifModel, 'eif-model.yaml');
    const c = loadCircuit(write(`models:\n  eif: ./${model.split('/').pop()}\npopulations:\n  a: { model: eif, size: 2 }\n`)).circuit;
    expect(c.models!.eif.method).toBe('euler');
  });
});

describe('flux simulate', () => {
  it("records a model's own state variables", async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const { ROOT } = await import('./helpers.js');
    const out = join(dir, 'hh.json');
    execFileSync(
      'node',
      [
        join(ROOT, 'bin/flux.js'),
        'simulate',
        join(ROOT, 'tests/reference/models/hodgkin_huxley.yaml'),
        '--duration',
        '5ms',
        '--record',
        'spikes,v,m',
        '--out',
        out,
        '--quiet',
      ],
      { encoding: 'utf8' },
    );
    const rec = JSON.parse(readFileSync(out, 'utf8')) as { populations: { cells: { state: Record<string, unknown> } } };
    expect(Object.keys(rec.populations.cells.state).sort()).toEqual(['m', 'v']);
  });
});

describe('flux inspect --code', () => {
  it('prints the generated JavaScript and WGSL of each model defined by equations', async () => {
    const { execFileSync } = await import('node:child_process');
    const { ROOT } = await import('./helpers.js');
    const out = execFileSync(
      'node',
      [join(ROOT, 'bin/flux.js'), 'inspect', '--code', join(ROOT, 'tests/reference/models/hodgkin_huxley.yaml')],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/model hodgkin_huxley, population cells: method exponential_euler, per neuron: I_b/);
    expect(out).toMatch(/CPU \(JavaScript\)/);
    expect(out).toMatch(/const t_BA_m = /);
    expect(out).toMatch(/CPU \(WebAssembly, f64x2 SIMD\): a \d+-byte module exporting\n\/\/ step\(n, &v, &m, &h, &n, &I_b/);
    expect(out).toMatch(/WebGPU \(WGSL\)/);
    expect(out).toMatch(/fn modelStep\(/);
  });

  it('prints the code of the built-in models too: the variant each population runs', async () => {
    const { execFileSync } = await import('node:child_process');
    const { ROOT } = await import('./helpers.js');
    const out = execFileSync('node', [join(ROOT, 'bin/flux.js'), 'inspect', '--code', join(ROOT, 'examples/coba.yaml')], {
      encoding: 'utf8',
    });
    // COBA's populations receive conductances: lif's exponential-Euler variant, on both backends.
    expect(out).toMatch(/model lif_conductance \(built-in lif\), population exc: method exponential_euler/);
    expect(out).toMatch(/const t_BA_v = /);
    expect(out).toMatch(/fn modelStep\(/);
  });

  it("prints a synapse model's code for each backend", async () => {
    const { execFileSync } = await import('node:child_process');
    const { ROOT } = await import('./helpers.js');
    const out = execFileSync(
      'node',
      [join(ROOT, 'bin/flux.js'), 'inspect', '--code', join(ROOT, 'tests/reference/models/syn_triplet_stdp.yaml')],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/synapse model triplet, projection minimal \(pre -> post\)/);
    expect(out).toMatch(/onPre\(ctx, spikes, from, count, n, d\) \{/);
    expect(out).toMatch(/onPost\(ctx, spikes, from, count, n\) \{/);
    expect(out).toMatch(
      /CPU \(WebAssembly, scalar; 2-byte targets, one delay\): a \d+-byte module exporting onPre, onPost, clock, summed, onStep, each\n\/\/ \(a, b, n, d, array:rowPtr/,
    );
    expect(out).toMatch(/WebGPU \(WGSL\): onPre, onPost\n\/\/ Synapse model "triplet"/);
  });
});

describe('synapse models: what statements may do', () => {
  const base = (syn: string, extra = '') => `dt: 0.1 ms
models:
  cell:
    parameters: { tau: 10 ms, g_syn: 0 nS }
    equations: |
      dv/dt = -v/tau + g_syn*(0*mV - v)/(100*pF) : volt
    method: euler
  syn:
    kind: synapse
${syn}
populations:
  a: { model: cell, size: 3 }
  b: { model: cell, size: 3 }
projections:
  p: { source: a, target: b, connectivity: { type: one_to_one }, weight: 1 nS, synapse: { model: syn } }
${extra}`;

  it('a channel is added to, not read', () => {
    const found = issues(base('    equations: "w : siemens"\n    on_pre: g_exc_post += w + g_exc_post')).issues;
    expect(found.map((i) => i.message).join('\n')).toMatch(/g_exc_post can be added to \(g_exc_post \+= \.\.\.\), not read/);
  });

  it('on_step changes only the synapse: a channel or a target variable is refused, naming on_step', () => {
    for (const target of ['g_exc_post += w', 'v_post += 1*mV']) {
      const found = issues(
        base(`    equations: |\n      w : siemens\n      e : siemens\n    on_step: |\n      e = e*0.5\n      ${target}`),
      ).issues;
      expect(found.map((i) => i.message).join('\n')).toMatch(
        /on_step cannot write (g_exc_post|v_post): it may change w and the synapse's own variables/,
      );
    }
    // A declared variable without a default is per synapse (as in Brian2), and on_step may change it.
    const e = Engine.fromFile(
      write(
        base(
          '    equations: |\n      w : siemens\n      e : siemens\n    on_pre: e += w\n    on_step: |\n      w = clip(w + e, 0*nS, 2*nS)\n      e = e*0.5',
        ),
      ),
    );
    e.step(10);
    expect(e.circuit.synapseModels!.syn.variables.e).toMatchObject({ unit: 'siemens' });
    e.backend.dispose();
  });

  it('two projections cannot fill one summed parameter', () => {
    const syn = '    equations: |\n      w : siemens\n      g_syn_post = w : siemens (summed)';
    const found = issues(
      base(syn, '  q: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { model: syn } }\n'),
    ).issues;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: '/projections/q/synapse/model' });
    expect(found[0].message).toMatch(/b\.g_syn is already the sum of projection p/);
  });

  it('rand() in a statement and xi in a clock-driven equation run (seeded per projection)', () => {
    const syn = `    equations: |
      w : siemens
      dz/dt = -z/(10*ms) + xi/sqrt(10*ms) : 1 (clock-driven)
    on_pre: w = clip(w + 0.1*nS*(rand() - 0.5) + 0*nS*z, 0*nS, 2*nS)
    method: euler`;
    const text = base(syn)
      .replace('dv/dt = -v/tau', 'dv/dt = 1*mV/ms - v/tau')
      .replace('cell:\n    parameters', 'cell:\n    threshold: v > 5*mV\n    reset: v = 0*mV\n    parameters');
    const run = () => {
      const e = Engine.fromFile(write(text));
      e.step(3000);
      const w = Array.from(e.backend.readWeights('p') as Float32Array);
      e.backend.dispose();
      return w;
    };
    const a = run();
    expect(a.some((x) => x !== 1)).toBe(true);
    expect(run()).toEqual(a);
  });

  it('set_weights on a synapse model takes the weight in the unit the model declares', () => {
    const e = Engine.fromFile(write(base('    equations: "w : siemens"\n    on_pre: g_exc_post += w')));
    expect(e.apply({ op: 'set_weights', projection: 'p', value: '4 nS' })).toMatchObject({ applied: true });
    expect(Array.from(e.backend.readWeights('p') as Float32Array)).toEqual([4, 4, 4]);
    expect(() => e.apply({ op: 'set_weights', projection: 'p', value: '4 pA' })).toThrow(/units of amp, expected siemens/);
    e.backend.dispose();
  });
});

describe('review fixes: bounds and consistency', () => {
  it('a chain of subexpressions that doubles per line is refused quickly, naming the line', () => {
    const lines = ['dv/dt = -v/ms + x30/ms : volt', 'x1 = v + v : volt'];
    for (let k = 2; k <= 30; k++) lines.push(`x${k} = x${k - 1} + x${k - 1} : volt`);
    const t0 = performance.now();
    const found = issues(
      `models:\n  m:\n    equations: |\n${lines.map((l) => '      ' + l).join('\n')}\npopulations:\n  a: { model: m, size: 1 }\n`,
    ).issues;
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(found[0].message).toMatch(/expands to \d+ terms .* \(at most 20000\)/);
    expect(found[0].message).toContain('line 1 of equations');
  });

  it('nested powers generate code linear in their size', () => {
    const e = Engine.fromFile(
      write(
        `models:\n  m:\n    equations: "dv/dt = -(((((((((((v/mV)**4)**4)**4)**4)**4)**4)**4)**4)**4)**4)*0*mV/ms : volt"\npopulations:\n  a: { model: m, size: 1 }\n`,
      ),
    );
    e.step(2);
    expect((e.backend.readState('a', 'v') as Float64Array)[0]).toBe(0);
    e.backend.dispose();
  });

  it('the channel time constants are one per population', () => {
    const found = issues(EIF + 'populations:\n  a:\n    model: eif\n    size: 2\n    params:\n      tau_syn_exc: [1 ms, 100 ms]\n').issues;
    expect(found[0]).toMatchObject({ path: '/populations/a/params/tau_syn_exc' });
    expect(found[0].message).toMatch(/one time constant per population/);
  });

  it('a parameter summed every step cannot be a coefficient of an exactly integrated target', () => {
    const text = `models:
  cell:
    parameters: { g_syn: 0 nS, C: 100 pF }
    equations: "dv/dt = g_syn*(0*mV - v)/C : volt"
    method: exact
  syn:
    kind: synapse
    equations: |
      w : siemens
      g_syn_post = w : siemens (summed)
populations:
  a: { model: cell, size: 2 }
projections:
  p: { source: a, target: a, connectivity: { type: one_to_one }, weight: 1 nS, synapse: { model: syn } }
`;
    expect(issues(text).issues[0].message).toMatch(/a\.g_syn is summed every step, but cell is integrated exactly/);
  });

  it("a module's own synapse model is the module's, not the includer's of the same name", () => {
    const mod = write(
      'models:\n  tm:\n    kind: synapse\n    equations: "w : siemens"\n    on_pre: g_exc_post += 2*w\n  cell:\n    equations: "dv/dt = -v/(10*ms) : volt"\npopulations:\n  a: { model: cell, size: 1 }\nprojections:\n  p: { source: a, target: a, connectivity: { type: one_to_one }, weight: 1 nS, synapse: { model: tm } }\n',
      'module-syn.yaml',
    );
    const root = write(
      `models:\n  tm:\n    kind: synapse\n    equations: "w : siemens"\n    on_pre: g_exc_post += w\ninclude:\n  - { module: ./${mod.split('/').pop()}, prefix: left }\n`,
    );
    const c = loadCircuit(root).circuit;
    expect(c.projections.find((p) => p.name === 'left.p')!.synapse.model).toBe('left.tm');
    expect(Object.keys(c.synapseModels!).sort()).toEqual(['left.tm', 'tm']);
  });

  it('a summed parameter named like an Object method works, and goes back to its value when the projection is removed', () => {
    const text = `models:
  cell:
    parameters: { toString: 0 nS, C: 100 pF }
    equations: "dv/dt = toString*(10*mV - v)/C : volt"
    method: euler
  syn:
    kind: synapse
    equations: |
      w : siemens
      toString_post = w : siemens (summed)
populations:
  a: { model: cell, size: 1 }
projections:
  p: { source: a, target: a, connectivity: { type: one_to_one }, weight: 2 nS, synapse: { model: syn } }
`;
    const e = Engine.fromFile(write(text));
    e.step(100);
    const moved = (e.backend.readState('a', 'v') as Float64Array)[0];
    expect(moved).toBeGreaterThan(0.5);
    e.apply({ op: 'remove_projection', name: 'p' });
    e.step(100);
    expect((e.backend.readState('a', 'v') as Float64Array)[0]).toBe(moved);
    e.backend.dispose();
  });

  it('synapse parameters and variables cannot take the names the engine gives statements', () => {
    for (const eq of ['w : siemens\\n      dt : second', 'w : siemens\\n      dI_exc_post/dt = 0/ms : 1 (event-driven)'])
      expect(
        issues(`models:\n  s:\n    kind: synapse\n    parameters: { dt: 1 second }\n    equations: "${eq}"\n`).issues.length,
      ).toBeGreaterThan(0);
    const unitVar = issues(
      `models:\n  s:\n    kind: synapse\n    equations: |\n      w : siemens\n      dcm/dt = -cm**2/ms : 1 (event-driven)\n`,
    ).issues;
    expect(unitVar[0].message).toMatch(/linear in cm with constant coefficients/);
  });
});

describe('rate inputs to a model defined by equations', () => {
  const RATE_CELL = `dt: 0.1 ms
seed: 4
models:
  rate_cell:
    equations: |
      ddrive/dt = 0/second : 1
    threshold: rand() < drive*Hz*dt
populations:
  cells: { model: rate_cell, size: 1000 }
  lif_cells: { model: lif, size: 3 }
`;

  it('a model that declares drive receives its rate inputs there (CPU)', () => {
    const e = Engine.fromFile(write(`${RATE_CELL}inputs:\n  r: { target: cells, mode: rate, gain: 2 }\n`));
    e.backend.configureRecording({});
    e.backend.setInput('r', 100); // 200 Hz with the gain
    e.step(1000);
    const spikes = e.backend.recording().populations.cells.spikeSteps.length;
    e.backend.dispose();
    // 1000 neurons x 200 Hz x 0.1 s = 20 000 spikes (Poisson: sd 141)
    expect(Math.abs(spikes - 20_000)).toBeLessThan(5 * 141);
  });

  it('the checker keeps current away from it and rate inputs away from models without drive', () => {
    const current = issues(`${RATE_CELL}inputs:\n  r: { target: cells, mode: current, gain: 2 }\n`);
    expect(current.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      '/inputs/r/mode: "cells" is driven by rate (its model rate_cell declares drive): use mode: rate',
    ]);
    const source = issues(`${RATE_CELL}sources:\n  s: { type: constant, target: cells, amplitude: 10 pA }\n`);
    expect(source.issues.map((i) => i.message)).toEqual([
      'population "cells" is driven by rate (its model declares drive) and takes no input current',
    ]);
    const rate = issues(`${RATE_CELL}inputs:\n  r: { target: lif_cells, mode: rate }\n`);
    expect(rate.issues.map((i) => i.message)[0]).toMatch(
      /rate inputs drive Poisson populations and models that declare drive .* "lif_cells" is lif \(use mode: current\)/,
    );
  });
});
