// Every class of bad circuit document gives a CircuitError whose issues name the file, the JSON
// pointer path and (YAML/JSON text) the line, and all independent problems come out at once.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loadCircuit } from '../engine/engine.js';
import { CircuitError, formatIssue, type CircuitIssue } from '../engine/circuit/errors.js';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flux-bad-'));
}

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Loads a document (written to a temp file) and returns the CircuitError's issues. */
function problems(text: string, name = 'circuit.yaml'): { file: string; issues: CircuitIssue[] } {
  const file = write(tempDir(), name, text);
  return { file, issues: issuesOf(file) };
}

function issuesOf(file: string): CircuitIssue[] {
  try {
    loadCircuit(file);
  } catch (e) {
    if (e instanceof CircuitError) {
      // The message lists every issue.
      for (const i of e.issues) expect(e.message).toContain(formatIssue(i));
      return e.issues;
    }
    throw e;
  }
  throw new Error('expected a CircuitError, but the document loaded');
}

/** 1-based line of the first line of `text` containing `marker`. */
function lineOf(text: string, marker: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i].includes(marker)) return i + 1;
  throw new Error(`marker ${marker} not in text`);
}

/** Expects exactly one issue, at this path and line, in this file; returns it. */
function single(text: string, path: string, marker: string, message?: RegExp): CircuitIssue {
  const { file, issues } = problems(text);
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  expect(issues[0]).toMatchObject({ file, path, line: lineOf(text, marker) });
  if (message) expect(issues[0].message).toMatch(message);
  return issues[0];
}

const lines = (...xs: string[]) => xs.join('\n') + '\n';

const POPS = lines('name: bad', 'populations:', '  a:', '    model: lif', '    size: 10', '  b:', '    model: lif', '    size: 20');

/** POPS plus one projection p whose fields can be replaced. */
function withProjection(fields: Record<string, string>): string {
  const f: Record<string, string> = {
    source: 'a',
    target: 'b',
    connectivity: '{ type: all_to_all }',
    weight: '5 pA',
    synapse: '{ type: current, receptor: excitatory }',
    ...fields,
  };
  return (
    POPS +
    lines(
      'projections:',
      '  p:',
      ...Object.entries(f)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `    ${k}: ${v}`),
    )
  );
}

describe('YAML-level errors', () => {
  const SYNTAX = lines('name: x', 'populations:', '  a:', '    model: lif', '   size: 3');
  const DUPLICATE = lines(
    'name: x',
    'populations:',
    '  a: { model: lif, size: 3 }',
    '  b: { model: lif, size: 3 }',
    '  a: { model: lif, size: 4 }',
  );

  it('a YAML syntax error is a CircuitError naming the file', () => {
    const { file, issues } = problems(SYNTAX);
    expect(issues).toHaveLength(1);
    expect(issues[0].file).toBe(file);
    expect(issues[0].path).toBe('');
    expect(issues[0].message).toMatch(/syntax error/);
  });

  // Regression test for a bug fixed in (engine/circuit/parse.ts parseText): with prettyErrors: false the yaml library never sets
  // YAMLError.linePos, so `line: e.linePos?.[0]?.line` is always undefined. Fix: use the parser's
  // own position, `line: lineCounter.linePos(e.pos[0]).line`.
  it('a YAML syntax error gives its line', () => {
    const { issues } = problems(SYNTAX);
    expect(issues[0].line).toBe(5);
  });

  it('a duplicate key is a CircuitError naming the file', () => {
    const { file, issues } = problems(DUPLICATE);
    expect(issues).toHaveLength(1);
    expect(issues[0].file).toBe(file);
    expect(issues[0].message).toMatch(/unique/);
  });

  it('a duplicate key gives the line of the second key', () => {
    const { issues } = problems(DUPLICATE);
    expect(issues[0].line).toBe(5);
  });

  it('a document that is not an object is rejected at line 1', () => {
    const { file, issues } = problems('- just\n- a list\n');
    expect(issues).toEqual([expect.objectContaining({ file, line: 1, path: '' })]);
  });
});

describe('schema errors', () => {
  it('unknown top-level property', () => {
    const text = POPS + 'neurons: 5\n';
    single(text, '/neurons', 'neurons:', /unknown property "neurons"/);
  });

  it('unknown model', () => {
    const text = POPS.replace('    model: lif\n    size: 20', '    model: hodgkin\n    size: 20');
    single(text, '/populations/b/model', 'hodgkin', /expected one of/);
  });

  it('unknown parameter for a model', () => {
    const text = POPS + lines('  c:', '    model: izhikevich', '    size: 3', '    params:', '      a: 0.02', '      tau_m: 20 ms');
    // tau_m is a LIF parameter, not an Izhikevich one
    single(text, '/populations/c/params/tau_m', 'tau_m', /unknown property "tau_m"/);
  });

  it('malformed quantity (not a number with a unit)', () => {
    const text = POPS + lines('  c:', '    model: lif', '    size: 3', '    params:', '      v_rest: minus sixty');
    single(text, '/populations/c/params/v_rest', 'minus sixty', /number or a quantity/);
  });

  it('size not an integer, size negative', () => {
    single(POPS.replace('size: 10', 'size: 2.5'), '/populations/a/size', 'size: 2.5', /integer/);
    single(POPS.replace('size: 20', 'size: -4'), '/populations/b/size', 'size: -4', />= 1/);
  });

  it('missing required fields', () => {
    const text = lines(
      'populations:',
      '  a:',
      '    model: lif',
      'projections:',
      '  p:',
      '    source: a',
      '    target: a',
      '    connectivity: { type: all_to_all }',
      '    weight: 1',
    );
    const { file, issues } = problems(text);
    expect(issues).toEqual([
      { file, path: '/populations/a', line: 3, message: 'missing required property "size"' },
      { file, path: '/projections/p', line: 6, message: 'missing required property "synapse"' },
    ]);
  });

  it('bad connectivity type', () => {
    single(withProjection({ connectivity: '{ type: small_world }' }), '/projections/p/connectivity/type', 'small_world', /one_to_one/);
  });

  it('fixed_probability without p', () => {
    single(withProjection({ connectivity: '{ type: fixed_probability }' }), '/projections/p/connectivity', 'fixed_probability', /"p"/);
  });

  it('p > 1', () => {
    single(withProjection({ connectivity: '{ type: fixed_probability, p: 1.5 }' }), '/projections/p/connectivity/p', 'p: 1.5', /<= 1/);
  });

  it('reward_stdp without a modulator', () => {
    single(
      withProjection({ plasticity: '{ rule: reward_stdp, w_max: 10 pA }' }),
      '/projections/p/plasticity',
      'reward_stdp',
      /"modulator"/,
    );
  });
});

describe('semantic errors', () => {
  it('wrong unit dimension: "20 mV" for tau_m', () => {
    const text = POPS + lines('  c:', '    model: lif', '    size: 3', '    params:', '      tau_m: 20 mV');
    single(text, '/populations/c/params/tau_m', '20 mV', /voltage, expected a time/);
  });

  it('malformed quantity: unknown unit', () => {
    const text = POPS + lines('  c:', '    model: lif', '    size: 3', '    params:', '      tau_m: 20 mss');
    single(text, '/populations/c/params/tau_m', '20 mss', /unknown unit "mss"/);
  });

  it('time constant <= 0', () => {
    const text = POPS + lines('  c:', '    model: lif', '    size: 3', '    params:', '      tau_m: 0 ms', '      tau_syn_exc: -1 ms');
    const { file, issues } = problems(text);
    expect(issues).toEqual([
      { file, path: '/populations/c/params/tau_m', line: lineOf(text, 'tau_m'), message: expect.stringMatching(/> 0/) },
      { file, path: '/populations/c/params/tau_syn_exc', line: lineOf(text, 'tau_syn_exc'), message: expect.stringMatching(/> 0/) },
    ]);
  });

  it('reference to a missing population', () => {
    single(withProjection({ target: 'ghost' }), '/projections/p/target', 'ghost', /no population "ghost"; known: a, b/);
  });

  it('reward_stdp naming a modulator that does not exist', () => {
    single(
      withProjection({ plasticity: '{ rule: reward_stdp, w_max: 10 pA, modulator: dopamine }' }),
      '/projections/p/plasticity/modulator',
      'dopamine',
      /no modulator "dopamine"/,
    );
  });

  it('grid size mismatch', () => {
    single(POPS.replace('    size: 20', '    size: 20\n    grid: [4, 4]'), '/populations/b/grid', 'grid:', /16 cells but size is 20/);
  });

  it('one_to_one between populations of different sizes', () => {
    single(
      withProjection({ connectivity: '{ type: one_to_one }' }),
      '/projections/p/connectivity',
      'one_to_one',
      /equal sizes \(source 10, target 20\)/,
    );
  });

  it('gaussian without grids', () => {
    const { file, issues } = problems(withProjection({ connectivity: '{ type: gaussian, sigma: 2 }' }));
    expect(issues.length).toBe(2); // source and target
    for (const i of issues)
      expect(i).toMatchObject({ file, path: '/projections/p/connectivity', line: lineOf(withProjection({}), 'connectivity') });
    expect(issues.map((i) => i.message).join('\n')).toMatch(/grid on source population "a"[^]*grid on target population "b"/);
  });

  it('weight unit not matching the synapse type (nS on a current synapse, pA on a conductance synapse)', () => {
    single(withProjection({ weight: '6 nS' }), '/projections/p/weight', '6 nS', /conductance, expected a current/);
    single(
      withProjection({ weight: '6 pA', synapse: '{ type: conductance, receptor: excitatory }' }),
      '/projections/p/weight',
      '6 pA',
      /current, expected a conductance/,
    );
  });

  it('weight distribution parts are checked too', () => {
    single(withProjection({ weight: '{ normal: { mean: 5 pA, sd: 1 nS } }' }), '/projections/p/weight/normal/sd', 'normal', /conductance/);
  });

  it('negative delay', () => {
    single(withProjection({ delay: '-1 ms' }), '/projections/p/delay', '-1 ms', />= 0/);
  });

  it('rate input on a non-Poisson population', () => {
    const text = POPS + lines('inputs:', '  speed:', '    target: a', '    mode: rate');
    single(text, '/inputs/speed/mode', 'mode: rate', /Poisson/);
  });

  it('a distribution with two kinds', () => {
    single(
      withProjection({ weight: '{ constant: 5 pA, uniform: { low: 1 pA, high: 2 pA } }' }),
      '/projections/p/weight',
      'weight:',
      /exactly one of.*got constant, uniform/,
    );
  });

  it('JSON documents get lines too', () => {
    const text = JSON.stringify({ populations: { a: { model: 'lif', size: 3, params: { tau_m: '20 mV' } } } }, null, 2);
    const { file, issues } = problems(text, 'circuit.json');
    expect(issues).toEqual([
      { file, path: '/populations/a/params/tau_m', line: lineOf(text, '20 mV'), message: expect.stringMatching(/voltage/) },
    ]);
  });
});

describe('all problems at once', () => {
  it('three independent schema problems give three issues', () => {
    const text = lines(
      'name: three',
      'colour: blue', // unknown property
      'populations:',
      '  a: { model: lif, size: 0 }', // size < 1
      '  b: { model: squid, size: 3 }', // unknown model
    );
    const { file, issues } = problems(text);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['/colour', 2],
      ['/populations/a/size', 4],
      ['/populations/b/model', 5],
    ]);
    expect(issues.every((i) => i.file === file)).toBe(true);
  });

  it('three independent semantic problems give three issues', () => {
    const text = withProjection({ weight: '6 nS', delay: '-2 ms', target: 'nobody' });
    const { file, issues } = problems(text);
    expect(issues.map((i) => [i.path, i.line]).sort()).toEqual(
      [
        ['/projections/p/delay', lineOf(text, '-2 ms')],
        ['/projections/p/target', lineOf(text, 'nobody')],
        ['/projections/p/weight', lineOf(text, '6 nS')],
      ].sort(),
    );
    expect(issues.every((i) => i.file === file)).toBe(true);
  });

  it('problems in different sections and populations are all reported', () => {
    const text =
      POPS.replace('size: 20', 'size: 20\n    grid: [3]').replace('    size: 10', '    size: 10\n    params: { tau_m: 5 mV }') +
      lines('inputs:', '  x: { target: a, mode: rate }', 'outputs:', '  y: { source: zzz, measure: rate }');
    const { issues } = problems(text);
    expect(issues.map((i) => i.path).sort()).toEqual([
      '/inputs/x/mode',
      '/outputs/y/source',
      '/populations/a/params/tau_m',
      '/populations/b/grid',
    ]);
  });

  // Contract gap (engine/circuit/resolve.ts loadMerged + loadFlat): the semantic checks of
  // check.ts only run when the schema pass found nothing, so one schema problem hides every
  // semantic problem of the document. errors.ts promises "Validation collects all problems before
  // throwing, so one run shows them all". Fix: run checkCircuit also when the schema failed, on the
  // elements whose own schema validation passed, and throw the union.
  it('an element the schema rejected is reported once, not again by every reference to it', () => {
    const text =
      'populations:\n  a: { model: lif, size: 10, params: { tau_mm: 20 ms } }\n  b: { model: lif, size: 10 }\n' +
      'projections:\n  p: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory } }\n' +
      '  q: { source: b, target: nowhere, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory } }\n';
    const { issues } = problems(text);
    expect(issues.map((i) => i.path).sort()).toEqual(['/populations/a/params/tau_mm', '/projections/q/target']);
  });

  it('a schema problem and a semantic problem are reported together', () => {
    const text = withProjection({ weight: '6 nS' }) + 'colour: blue\n';
    const { issues } = problems(text);
    expect(issues.map((i) => i.path).sort()).toEqual(['/colour', '/projections/p/weight']);
  });
});

describe('errors in modules', () => {
  const MODULE = lines(
    'populations:',
    '  flexor:',
    '    model: lif',
    '    size: 4',
    '    params:',
    '      tau_m: 20 mV',
    '  extensor: { model: lif, size: 4 }',
  );
  const GOOD_MODULE = lines(
    'populations:',
    '  flexor:',
    '    model: lif',
    '    size: 4',
    '    params:',
    '      tau_m: 20 ms',
    '  extensor: { model: lif, size: 4 }',
  );

  it('an error inside an included module names the module file, its path and line', () => {
    const dir = tempDir();
    const mod = write(dir, 'lib/hc.yaml', MODULE);
    const main = write(
      dir,
      'main.yaml',
      lines('populations:', '  m: { model: lif, size: 1 }', 'include:', '  - { module: ./lib/hc.yaml, prefix: left }'),
    );
    const issues = issuesOf(main);
    expect(issues).toEqual([{ file: mod, path: '/populations/flexor/params/tau_m', line: 6, message: expect.stringMatching(/voltage/) }]);
  });

  it('a schema error inside an included module names the module file', () => {
    const dir = tempDir();
    const mod = write(dir, 'hc.yaml', GOOD_MODULE + 'wires: 3\n');
    const main = write(dir, 'main.yaml', lines('include:', '  - { module: ./hc.yaml, prefix: left }'));
    expect(issuesOf(main)).toEqual([{ file: mod, path: '/wires', line: 8, message: expect.stringMatching(/unknown property "wires"/) }]);
  });

  it('an error introduced by an override names the parent file and the override path', () => {
    const dir = tempDir();
    write(dir, 'hc.yaml', GOOD_MODULE);
    const text = lines(
      'name: parent',
      'include:',
      '  - module: ./hc.yaml',
      '    prefix: left',
      '    override:',
      '      populations:',
      '        flexor:',
      '          params:',
      '            tau_m: 30 mV',
    );
    const main = write(dir, 'main.yaml', text);
    expect(issuesOf(main)).toEqual([
      { file: main, path: '/include/0/override/populations/flexor/params/tau_m', line: 9, message: expect.stringMatching(/voltage/) },
    ]);
  });

  it('a schema error introduced by an override names the parent file and the override path', () => {
    const dir = tempDir();
    write(dir, 'hc.yaml', GOOD_MODULE);
    const text = lines(
      'include:',
      '  - module: ./hc.yaml',
      '    prefix: right',
      '    override:',
      '      populations:',
      '        extensor:',
      '          size: -2',
    );
    const main = write(dir, 'main.yaml', text);
    const issues = issuesOf(main);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: main, path: '/include/0/override/populations/extensor/size', line: 7 });
    expect(issues[0].message).toMatch(/after override/);
  });

  it('the same module included twice: only the include whose override is bad is blamed', () => {
    const dir = tempDir();
    write(dir, 'hc.yaml', GOOD_MODULE);
    const text = lines(
      'include:',
      '  - { module: ./hc.yaml, prefix: left }',
      '  - module: ./hc.yaml',
      '    prefix: right',
      '    override: { populations: { flexor: { params: { tau_syn_inh: 2 nS } } } }',
    );
    const main = write(dir, 'main.yaml', text);
    expect(issuesOf(main)).toEqual([
      {
        file: main,
        path: '/include/1/override/populations/flexor/params/tau_syn_inh',
        line: 5,
        message: expect.stringMatching(/conductance/),
      },
    ]);
  });
});

describe('flux validate', () => {
  it('exits 1 on a bad file and prints file:line and the path of every problem', () => {
    const bin = join(ROOT, 'bin', 'flux.js');
    expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js')), 'dist is built by `npm test` (tsc) before vitest').toBe(true);
    const text = withProjection({ weight: '6 nS', target: 'ghost' });
    const file = write(tempDir(), 'bad.yaml', text);
    const r = spawnSync(process.execPath, [bin, 'validate', file], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`${file}:${lineOf(text, 'ghost')} at /projections/p/target`);
    expect(out).toContain(`${file}:${lineOf(text, '6 nS')} at /projections/p/weight`);
    expect(out).toMatch(/2 problems/);
  });

  it('exits 0 on a good file (and 1 when any of several files is bad)', () => {
    const dir = tempDir();
    const good = write(dir, 'good.yaml', withProjection({}));
    const bad = write(dir, 'bad.yaml', POPS + 'extra: 1\n');
    const ok = spawnSync(process.execPath, [join(ROOT, 'bin', 'flux.js'), 'validate', good], { encoding: 'utf8', timeout: 20_000 });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ok /);
    const mixed = spawnSync(process.execPath, [join(ROOT, 'bin', 'flux.js'), 'validate', good, bad], { encoding: 'utf8', timeout: 20_000 });
    expect(mixed.status).toBe(1);
    expect(mixed.stdout).toContain(`ok ${good}`);
    expect(mixed.stderr).toContain(`${bad}:${lineOf(POPS + 'extra: 1\n', 'extra')} at /extra`);
  });
});

describe('non-finite and implausible values are refused (issue 16, D5)', () => {
  const param = (k: string, v: string, model = 'lif') =>
    POPS + lines('  c:', `    model: ${model}`, '    size: 3', '    params:', `      ${k}: ${v}`);

  it('"1e400 ms" is refused as a bare 1e400 is', () => {
    single(param('tau_m', '1e400 ms'), '/populations/c/params/tau_m', '1e400 ms', /finite/);
    single(param('tau_m', '1e400'), '/populations/c/params/tau_m', '1e400', /finite/);
    single(param('v_rest', '"1e308 kV"'), '/populations/c/params/v_rest', '1e308 kV', /finite/);
    single(POPS.replace('name: bad', 'name: bad\ndt: 1e400 ms'), '/dt', 'dt:', /finite/);
  });

  it('a denormal time constant (tau_m: 1e-320) is refused', () => {
    single(param('tau_m', '1e-320'), '/populations/c/params/tau_m', 'tau_m', /too small.*at least 0\.001 ms/);
    single(param('tau_syn_exc', '1e-300 s'), '/populations/c/params/tau_syn_exc', 'tau_syn_exc', /too small/);
    single(param('tau_w', '5e-324', 'adex'), '/populations/c/params/tau_w', 'tau_w', /too small/);
    single(param('delta_t', '1e-320 mV', 'adex'), '/populations/c/params/delta_t', 'delta_t', /too small/);
  });

  it('cm: 1e308 and other values beyond the plausible range of their dimension are refused', () => {
    single(param('cm', '1e308'), '/populations/c/params/cm', 'cm', /plausible range for a capacitance/);
    single(param('v_thresh', '2e4 mV'), '/populations/c/params/v_thresh', 'v_thresh', /plausible range for a voltage/);
    single(param('i_offset', '1 A'), '/populations/c/params/i_offset', 'i_offset', /plausible range for a current/);
    single(param('rate', '1e300 Hz', 'poisson'), '/populations/c/params/rate', 'rate', /plausible range for a rate/);
  });

  it('weights beyond float32 (3.5e38) are refused, as a distribution, a matrix entry or a list entry', () => {
    single(withProjection({ weight: '3.5e38' }), '/projections/p/weight', '3.5e38', /plausible range for a current/);
    single(withProjection({ weight: '"3.5e38 pA"' }), '/projections/p/weight', '3.5e38', /plausible range/);
    single(
      withProjection({ weight: '{ normal: { mean: 1 pA, sd: 3.5e38 } }' }),
      '/projections/p/weight/normal/sd',
      'weight',
      /plausible range/,
    );
    single(
      withProjection({ weight: '', connectivity: '{ type: list, pairs: [[0, 0, 3.5e38]] }' }),
      '/projections/p/connectivity/pairs/0/2',
      'connectivity',
      /3\.5e\+38: weights are magnitudes/,
    );
    const row = `[${Array(10).fill('1e39').join(', ')}]`;
    single(
      withProjection({ weight: '', connectivity: `{ type: matrix, weights: [${Array(20).fill(row).join(', ')}] }` }),
      '/projections/p/connectivity/weights/0/0',
      'connectivity',
      /1e\+39: weights are magnitudes.*and 199 more/,
    );
    single(
      withProjection({ plasticity: '{ rule: stdp, w_max: 3.5e38 }' }),
      '/projections/p/plasticity/w_max',
      'plasticity',
      /plausible range/,
    );
  });

  it('.nan, .inf and 1e400 gains, sensitivities and plain numbers are refused', () => {
    single(
      POPS + lines('inputs:', '  speed:', '    target: a', '    mode: current', '    gain: .nan'),
      '/inputs/speed/gain',
      'gain',
      /finite number, got NaN/,
    );
    single(POPS + lines('inputs:', '  reward:', '    gain: 1e400'), '/inputs/reward/gain', 'gain', /finite number, got Infinity/);
    single(
      POPS + lines('modulators:', '  da:', '    tau: 100 ms', '    sources: [{ population: a, gain: .inf }]'),
      '/modulators/da/sources/0/gain',
      'sources',
      /finite/,
    );
    single(
      POPS + lines('modulators:', '  da:', '    tau: 100 ms', '    targets: [{ population: a, effect: gain, sensitivity: -.inf }]'),
      '/modulators/da/targets/0/sensitivity',
      'targets',
      /finite/,
    );
    single(
      POPS + lines('modulators:', '  da:', '    tau: 100 ms', '    baseline: 1e300'),
      '/modulators/da/baseline',
      'baseline',
      /plausible range for plain numbers/,
    );
    single(
      withProjection({ connectivity: '{ type: fixed_probability, p: .nan }' }),
      '/projections/p/connectivity/p',
      'connectivity',
      /finite/,
    );
    single(
      withProjection({ plasticity: '{ rule: stdp, w_max: 10 pA, a_plus: .nan }' }),
      '/projections/p/plasticity/a_plus',
      'plasticity',
      /finite/,
    );
    single(withProjection({ weight: '{ lognormal: { mean: 1e-300, sd: 1e9 } }' }), '/projections/p/weight/lognormal', 'weight', /overflow/);
  });

  it('live edits follow the same rules (set_param, set_weights, add_population)', () => {
    const dir = tempDir();
    const file = write(dir, 'circuit.yaml', withProjection({}));
    const e = new Engine(loadFlat(file));
    const refused = (edit: Parameters<Engine['apply']>[0], path: RegExp, message: RegExp) => {
      let err: unknown;
      try {
        e.apply(edit);
      } catch (x) {
        err = x;
      }
      expect(err, JSON.stringify(edit)).toBeInstanceOf(CircuitError);
      expect((err as CircuitError).issues[0].path).toMatch(path);
      expect((err as CircuitError).issues[0].message).toMatch(message);
    };
    refused({ op: 'set_param', population: 'a', param: 'tau_m', value: '1e-320 ms' }, /tau_m/, /too small/);
    refused({ op: 'set_param', population: 'a', param: 'cm', value: 1e308 }, /cm/, /plausible/);
    refused({ op: 'set_param', population: 'a', param: 'tau_m', value: '1e400 ms' }, /tau_m/, /finite/);
    refused({ op: 'set_weights', projection: 'p', value: 3.5e38 }, /value/, /plausible/);
    refused({ op: 'set_weights', projection: 'p', indices: [0], values: ['1e400 pA'] }, /values\/0/, /finite/);
    refused({ op: 'add_population', name: 'z', population: { model: 'lif', size: 2, params: { tau_m: 1e-320 } } }, /tau_m/, /too small/);
    // Nothing changed: a later good edit applies.
    expect(e.apply({ op: 'set_param', population: 'a', param: 'tau_m', value: '15 ms' }).applied).toBe(true);
  });
});

describe('names are own properties, never inherited ones (issue 16, D6/D11 class)', () => {
  it('an element named toString or hasOwnProperty is a name like any other (it was refused as "defined twice")', () => {
    const text = lines(
      'populations:',
      '  toString: { model: lif, size: 2 }',
      '  hasOwnProperty: { model: lif, size: 2 }',
      'projections:',
      '  valueOf: { source: toString, target: hasOwnProperty, connectivity: { type: one_to_one }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }',
    );
    const file = write(tempDir(), 'circuit.yaml', text);
    const { circuit } = loadCircuit(file);
    expect(circuit.populations.map((p) => p.name)).toEqual(['toString', 'hasOwnProperty']);
    expect(circuit.projections.map((p) => p.name)).toEqual(['valueOf']);
  });

  it('__proto__, constructor and prototype are reserved names, refused with their path', () => {
    for (const name of ['__proto__', 'constructor', 'prototype'])
      single(POPS + lines(`  ${name}: { model: lif, size: 2 }`), `/populations/${name}`, `${name}:`, /is reserved/);
  });

  it('an override with a __proto__ key is data for the schema to refuse, not the prototype of the merged document', () => {
    const dir = tempDir();
    write(dir, 'mod.yaml', POPS);
    const file = write(
      dir,
      'circuit.yaml',
      lines(
        'include:',
        '  - module: ./mod.yaml',
        '    prefix: m',
        '    override: { "__proto__": { populations: { evil: { model: lif, size: 1 } } } }',
      ),
    );
    const issues = issuesOf(file);
    expect(issues.map((i) => i.path)).toEqual(['/include/0/override/__proto__']);
    expect(issues[0].message).toMatch(/unknown property "__proto__"/);
  });
});
