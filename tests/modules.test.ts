// Module composition: include under a prefix, overrides (JSON merge patch), extends, ports, nested
// includes, package circuits, and the errors of composition (cycles, name collisions).
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { loadCircuit } from '../engine/engine.js';
import { compile } from '../engine/compile/compiler.js';
import { CircuitError, type CircuitIssue } from '../engine/circuit/errors.js';
import type { Circuit, PopulationSpec, ProjectionSpec } from '../engine/circuit/circuit.js';
import { placementPlan } from '../bridge/partition/plan.js';

/** Writes files (relative name -> text) into a fresh temp dir; returns the dir. */
function files(map: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flux-modules-'));
  for (const [name, text] of Object.entries(map)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function load(dir: string, file = 'main.yaml'): Circuit {
  return loadCircuit(join(dir, file)).circuit;
}

function issuesOf(fn: () => unknown): CircuitIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof CircuitError) return e.issues;
    throw e;
  }
  throw new Error('expected a CircuitError, but loading succeeded');
}

const pop = (c: Circuit, name: string): PopulationSpec => {
  const p = c.populations.find((x) => x.name === name);
  if (!p) throw new Error(`no population ${name}; have ${c.populations.map((x) => x.name).join(', ')}`);
  return p;
};
const prj = (c: Circuit, name: string): ProjectionSpec => {
  const p = c.projections.find((x) => x.name === name);
  if (!p) throw new Error(`no projection ${name}; have ${c.projections.map((x) => x.name).join(', ')}`);
  return p;
};
const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();

/** A half-centre oscillator module: two populations, mutual inhibition, a drive, an output. */
const HALF_CENTRE = `
name: half-centre
ports:
  out: flexor
  in: extensor
populations:
  flexor: { model: lif, size: 10, params: { tau_m: 10 ms, i_offset: 100 pA } }
  extensor: { model: lif, size: 12 }
projections:
  inhib: { source: flexor, target: extensor, connectivity: { type: all_to_all }, weight: 5 pA, synapse: { type: current, receptor: inhibitory } }
  back: { source: extensor, target: flexor, connectivity: { type: all_to_all }, weight: 2 pA, synapse: { type: current, receptor: inhibitory } }
sources:
  drive: { type: constant, target: flexor, amplitude: 50 pA }
inputs:
  cmd: { target: extensor, mode: current }
outputs:
  rate: { source: flexor, measure: rate }
modulators:
  da:
    tau: 100 ms
    sources: [{ population: flexor }, { input: cmd }]
    targets: [{ population: extensor, effect: gain }]
`;

describe('include under a prefix', () => {
  it('qualifies every name and every reference inside the module', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
name: main
include:
  - { module: ./hc.yaml, prefix: left }
  - { module: hc.yaml, prefix: right }
populations:
  flexor: { model: lif, size: 3 }
`,
    });
    const c = load(dir);
    expect(names(c.populations)).toEqual(['flexor', 'left.extensor', 'left.flexor', 'right.extensor', 'right.flexor']);
    expect(names(c.projections)).toEqual(['left.back', 'left.inhib', 'right.back', 'right.inhib']);
    expect(prj(c, 'left.inhib')).toMatchObject({ source: 'left.flexor', target: 'left.extensor' });
    expect(prj(c, 'right.back')).toMatchObject({ source: 'right.extensor', target: 'right.flexor' });
    expect(c.sources.map((s) => [s.name, s.target]).sort()).toEqual([
      ['left.drive', 'left.flexor'],
      ['right.drive', 'right.flexor'],
    ]);
    expect(c.inputs.find((i) => i.name === 'left.cmd')?.target).toBe('left.extensor');
    expect(c.outputs.find((o) => o.name === 'right.rate')?.source).toBe('right.flexor');
    const da = c.modulators.find((m) => m.name === 'left.da')!;
    expect(da.sources).toEqual([
      { kind: 'population', population: 'left.flexor', gain: 1 },
      { kind: 'input', input: 'left.cmd', gain: 1 },
    ]);
    expect(da.targets[0].population).toBe('left.extensor');
    // the root's own "flexor" is distinct from the modules' ones
    expect(pop(c, 'flexor').size).toBe(3);
    expect(pop(c, 'left.flexor').size).toBe(10);
    expect(pop(c, 'left.flexor').params.tau_m).toBe(10);
    // module tree
    expect(c.modules.children.map((m) => [m.prefix, m.file, m.name])).toEqual([
      ['left', join(dir, 'hc.yaml'), 'half-centre'],
      ['right', join(dir, 'hc.yaml'), 'half-centre'],
    ]);
    // it compiles and the prefixed projections wire the prefixed populations
    const n = compile(c);
    const inhib = n.projections.find((p) => p.spec.name === 'left.inhib')!;
    expect(inhib.targets.length).toBe(10 * 12);
    expect(n.neurons).toBe(3 + 2 * 22);
  });

  it('the parent can wire to qualified names inside the module', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include: [{ module: ./hc.yaml, prefix: left }, { module: ./hc.yaml, prefix: right }]
projections:
  cross: { source: left.flexor, target: right.extensor, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`,
    });
    expect(prj(load(dir), 'cross')).toMatchObject({ source: 'left.flexor', target: 'right.extensor' });
  });

  it('modules may be JSON files', () => {
    const dir = files({
      'cell.json': JSON.stringify({ populations: { cell: { model: 'izhikevich', size: 4, params: { a: 0.1 } } } }),
      'main.yaml': 'include: [{ module: ./cell.json, prefix: m }]\n',
    });
    const c = load(dir);
    expect(pop(c, 'm.cell').model).toBe('izhikevich');
    expect(pop(c, 'm.cell').params.a).toBe(0.1);
  });
});

describe('override', () => {
  const dir = () =>
    files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include:
  - module: ./hc.yaml
    prefix: left
    override:
      populations:
        flexor: { size: 20, params: { tau_m: 30 ms } }
        extensor: { params: { v_thresh: -45 mV } }
      projections:
        inhib: { weight: 9 pA }
  - module: ./hc.yaml
    prefix: right
`,
    });

  it('changes parameters of the included module only for that include', () => {
    const c = load(dir());
    expect(pop(c, 'left.flexor').params.tau_m).toBe(30);
    expect(pop(c, 'left.flexor').size).toBe(20);
    // untouched keys of the same object survive the merge
    expect(pop(c, 'left.flexor').params.i_offset).toBe(100);
    expect(pop(c, 'left.extensor').params.v_thresh).toBe(-45);
    expect(prj(c, 'left.inhib').weight).toEqual({ kind: 'constant', value: 9 });
    expect(pop(c, 'right.flexor').params.tau_m).toBe(10);
    expect(pop(c, 'right.flexor').size).toBe(10);
    expect(pop(c, 'right.extensor').params.v_thresh).toBe(-50);
    expect(prj(c, 'right.inhib').weight).toEqual({ kind: 'constant', value: 5 });
  });

  it('null deletes: a parameter falls back to its default, an element disappears', () => {
    const d = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include:
  - module: ./hc.yaml
    prefix: left
    override:
      populations:
        flexor: { params: { tau_m: null } }
      projections:
        back: null
      sources: null
`,
    });
    const c = load(d);
    expect(pop(c, 'left.flexor').params.tau_m).toBe(20); // LIF default
    expect(pop(c, 'left.flexor').params.i_offset).toBe(100);
    expect(names(c.projections)).toEqual(['left.inhib']);
    expect(c.sources).toEqual([]);
  });

  it('an override may add elements to the module, which are prefixed too', () => {
    const d = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include:
  - module: ./hc.yaml
    prefix: left
    override:
      populations:
        extra: { model: lif, size: 2 }
      projections:
        x: { source: extra, target: flexor, connectivity: { type: all_to_all }, weight: 1, synapse: { type: current, receptor: excitatory } }
`,
    });
    const c = load(d);
    expect(pop(c, 'left.extra').size).toBe(2);
    expect(prj(c, 'left.x')).toMatchObject({ source: 'left.extra', target: 'left.flexor' });
  });
});

describe('extends', () => {
  const BASE = `
name: base
dt: 0.5 ms
seed: 3
include: [{ module: ./hc.yaml, prefix: left }]
populations:
  a: { model: lif, size: 10, params: { tau_m: 15 ms, v_rest: -70 mV } }
  b: { model: lif, size: 5 }
  gone: { model: lif, size: 1 }
projections:
  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`;

  it('merges the child over its base; includes accumulate along the chain', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'cell.yaml': 'populations:\n  cell: { model: lif, size: 2 }\n',
      'base.yaml': BASE,
      'main.yaml': `
extends: ./base.yaml
name: child
seed: 9
include: [{ module: ./cell.yaml, prefix: extra }]
populations:
  a: { model: lif, size: 20, params: { tau_m: 25 ms } }
  c: { model: izhikevich, size: 4 }
`,
    });
    const c = load(dir);
    expect(c.name).toBe('child');
    expect(c.dt).toBe(0.5); // from the base
    expect(c.seed).toBe(9); // the child wins
    expect(names(c.populations)).toEqual(['a', 'b', 'c', 'extra.cell', 'gone', 'left.extensor', 'left.flexor']);
    expect(pop(c, 'a').size).toBe(20);
    expect(pop(c, 'a').params.tau_m).toBe(25);
    // merged key by key: the base's v_rest survives the child's params object
    expect(pop(c, 'a').params.v_rest).toBe(-70);
    expect(pop(c, 'b').size).toBe(5);
    expect(prj(c, 'ab')).toMatchObject({ source: 'a', target: 'b' });
    // both the base's and the child's includes are there
    expect(c.modules.children.map((m) => m.prefix).sort()).toEqual(['extra', 'left']);
    expect(pop(c, 'left.flexor').size).toBe(10);
  });

  it('the base is resolved relative to the child file', () => {
    const dir = files({
      'lib/base.yaml': 'populations:\n  a: { model: lif, size: 4 }\n',
      'main.yaml': 'extends: ./lib/base.yaml\npopulations:\n  b: { model: lif, size: 2 }\n',
    });
    expect(names(load(dir).populations)).toEqual(['a', 'b']);
  });

  // Regression test for a bug fixed in (resolve.ts loadMerged): the child document is checked against the full schema on its own,
  // before it is merged over its base, so a child cannot patch part of a base element (every
  // required property must be repeated) and cannot delete one with null, although extends is
  // documented as a JSON merge patch (merge.ts, schema.ts "extends").
  it('a child may patch part of a base element (merge patch: only the changed keys)', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'base.yaml': BASE,
      'main.yaml':
        'extends: ./base.yaml\npopulations:\n  a: { size: 20, params: { tau_m: 25 ms } }\nprojections:\n  ab: { weight: 2 pA }\n',
    });
    const c = load(dir);
    expect(pop(c, 'a').size).toBe(20);
    expect(pop(c, 'a').params.tau_m).toBe(25);
    expect(pop(c, 'a').params.v_rest).toBe(-70);
    expect(prj(c, 'ab').weight).toEqual({ kind: 'constant', value: 2 });
    expect(prj(c, 'ab').synapse).toEqual({ type: 'current', receptor: 'excitatory' });
  });

  it('null in the child deletes an element of the base', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'base.yaml': BASE,
      'main.yaml': 'extends: ./base.yaml\npopulations:\n  gone: null\n',
    });
    expect(names(load(dir).populations)).not.toContain('gone');
  });

  it('chains of extends apply in order (grandchild over child over base)', () => {
    const dir = files({
      'base.yaml': 'populations:\n  a: { model: lif, size: 1, params: { tau_m: 5 ms, cm: 100 pF } }\n',
      'mid.yaml': 'extends: ./base.yaml\npopulations:\n  a: { size: 2, params: { tau_m: 6 ms } }\n',
      'main.yaml': 'extends: mid.yaml\npopulations:\n  a: { size: 3 }\n',
    });
    const a = pop(load(dir), 'a');
    expect(a.size).toBe(3);
    expect(a.params.tau_m).toBe(6);
    expect(a.params.cm).toBe(100);
  });

  it('chains of extends with complete elements apply in order', () => {
    const dir = files({
      'base.yaml': 'populations:\n  a: { model: lif, size: 1, params: { tau_m: 5 ms, cm: 100 pF } }\n  z: { model: lif, size: 9 }\n',
      'mid.yaml': 'extends: ./base.yaml\npopulations:\n  a: { model: lif, size: 2, params: { tau_m: 6 ms } }\n',
      'main.yaml': 'extends: mid.yaml\npopulations:\n  a: { model: lif, size: 3 }\n',
    });
    const c = load(dir);
    const a = pop(c, 'a');
    expect(a.size).toBe(3);
    expect(a.params.tau_m).toBe(6);
    expect(a.params.cm).toBe(100);
    expect(pop(c, 'z').size).toBe(9);
  });
});

describe('ports', () => {
  it('a parent wires to left.out where the module declares ports: { out: flexor }', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include: [{ module: ./hc.yaml, prefix: left }, { module: ./hc.yaml, prefix: right }]
populations:
  mn: { model: lif, size: 7 }
projections:
  cross: { source: left.out, target: right.in, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
  tomn: { source: right.out, target: mn, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
outputs:
  o: { source: left.out, measure: spikes }
inputs:
  i: { target: right.in, mode: current }
`,
    });
    const c = load(dir);
    expect(prj(c, 'cross')).toMatchObject({ source: 'left.flexor', target: 'right.extensor' });
    expect(prj(c, 'tomn')).toMatchObject({ source: 'right.flexor', target: 'mn' });
    expect(c.outputs[0].source).toBe('left.flexor');
    expect(c.inputs.find((i) => i.name === 'i')!.target).toBe('right.extensor');
    const n = compile(c);
    expect(n.projections.find((p) => p.spec.name === 'cross')!.targets.length).toBe(10 * 12);
    expect(n.projections.find((p) => p.spec.name === 'tomn')!.targets.length).toBe(10 * 7);
  });

  it('a port the module does not declare is reported', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include: [{ module: ./hc.yaml, prefix: left }]
populations:
  mn: { model: lif, size: 7 }
projections:
  bad: { source: left.nope, target: mn, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`,
    });
    const issues = issuesOf(() => load(dir));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: join(dir, 'main.yaml'), path: '/projections/bad/source' });
    expect(issues[0].message).toContain('left.nope');
  });
});

describe('nested includes', () => {
  it('a module including a module: names, references and ports compose through both prefixes', () => {
    const dir = files({
      'lib/leaf.yaml': `
ports: { out: cell }
populations:
  cell: { model: lif, size: 3 }
  inter: { model: lif, size: 2 }
projections:
  ci: { source: cell, target: inter, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`,
      'lib/mid.yaml': `
ports: { out: l.out, hub: hub }
include: [{ module: ./leaf.yaml, prefix: l, override: { populations: { cell: { size: 5 } } } }]
populations:
  hub: { model: lif, size: 4 }
projections:
  lh: { source: l.out, target: hub, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
  li: { source: l.inter, target: hub, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`,
      'main.yaml': `
include: [{ module: ./lib/mid.yaml, prefix: m }]
populations:
  top: { model: lif, size: 1 }
projections:
  t: { source: m.out, target: top, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
  h: { source: m.hub, target: top, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`,
    });
    const c = load(dir);
    expect(names(c.populations)).toEqual(['m.hub', 'm.l.cell', 'm.l.inter', 'top']);
    expect(pop(c, 'm.l.cell').size).toBe(5);
    expect(prj(c, 'm.l.ci')).toMatchObject({ source: 'm.l.cell', target: 'm.l.inter' });
    expect(prj(c, 'm.lh')).toMatchObject({ source: 'm.l.cell', target: 'm.hub' });
    expect(prj(c, 'm.li')).toMatchObject({ source: 'm.l.inter', target: 'm.hub' });
    expect(prj(c, 't')).toMatchObject({ source: 'm.l.cell', target: 'top' });
    expect(prj(c, 'h')).toMatchObject({ source: 'm.hub', target: 'top' });
    expect(c.modules.children).toHaveLength(1);
    expect(c.modules.children[0].prefix).toBe('m');
    expect(c.modules.children[0].file).toBe(join(dir, 'lib', 'mid.yaml'));
    expect(c.modules.children[0].children.map((x) => [x.prefix, x.file])).toEqual([['m.l', join(dir, 'lib', 'leaf.yaml')]]);
  });
});

describe('package circuits', () => {
  it('include "@lab/cpg/half-centre" resolves through node_modules/@lab/cpg/package.json flux.circuits', () => {
    const dir = files({
      'node_modules/@lab/cpg/package.json': JSON.stringify({
        name: '@lab/cpg',
        version: '1.0.0',
        flux: { circuits: { 'half-centre': 'hc.yaml' } },
      }),
      'node_modules/@lab/cpg/hc.yaml': HALF_CENTRE,
      'main.yaml': `
include:
  - { module: "@lab/cpg/half-centre", prefix: left, override: { populations: { flexor: { size: 6 } } } }
populations:
  mn: { model: lif, size: 2 }
projections:
  drive: { source: left.out, target: mn, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
`,
    });
    const c = load(dir);
    expect(pop(c, 'left.flexor').size).toBe(6);
    expect(pop(c, 'left.extensor').size).toBe(12);
    expect(prj(c, 'drive').source).toBe('left.flexor');
    expect(c.modules.children[0].file).toBe(join(dir, 'node_modules', '@lab', 'cpg', 'hc.yaml'));
  });

  it('a package that is missing, or lacks the circuit, is reported at the include', () => {
    const dir = files({
      'node_modules/@lab/cpg/package.json': JSON.stringify({
        name: '@lab/cpg',
        version: '1.0.0',
        flux: { circuits: { 'half-centre': 'hc.yaml' } },
      }),
      'node_modules/@lab/cpg/hc.yaml': HALF_CENTRE,
      'main.yaml': `
include:
  - { module: "@lab/cpg/quadruped", prefix: a }
  - { module: "@lab/nope/x", prefix: b }
`,
    });
    const issues = issuesOf(() => load(dir));
    expect(issues.map((i) => i.path)).toEqual(['/include/0/module', '/include/1/module']);
    expect(issues[0].message).toContain('half-centre');
    expect(issues[1].message).toMatch(/not installed/);
    expect(issues.every((i) => i.file === join(dir, 'main.yaml'))).toBe(true);
  });
});

describe('composition errors', () => {
  it('a circular include is reported, not a stack overflow', () => {
    const dir = files({
      'a.yaml': 'include: [{ module: ./b.yaml, prefix: b }]\npopulations:\n  x: { model: lif, size: 1 }\n',
      'b.yaml': 'include: [{ module: ./a.yaml, prefix: a }]\npopulations:\n  y: { model: lif, size: 1 }\n',
    });
    const issues = issuesOf(() => load(dir, 'a.yaml'));
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues.some((i) => /circular/.test(i.message))).toBe(true);
    expect(issues.some((i) => i.message.includes('a.yaml') && i.message.includes('b.yaml'))).toBe(true);
  });

  it('a module including itself is reported', () => {
    const dir = files({ 'main.yaml': 'include: [{ module: ./main.yaml, prefix: me }]\npopulations:\n  x: { model: lif, size: 1 }\n' });
    const issues = issuesOf(() => load(dir));
    expect(issues.some((i) => /circular/.test(i.message))).toBe(true);
  });

  it('circular extends is reported, not a stack overflow', () => {
    const dir = files({
      'a.yaml': 'extends: ./b.yaml\npopulations:\n  x: { model: lif, size: 1 }\n',
      'b.yaml': 'extends: ./c.yaml\n',
      'c.yaml': 'extends: ./a.yaml\n',
    });
    const issues = issuesOf(() => load(dir, 'a.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/circular/);
    expect(issues[0].message).toContain('c.yaml');
  });

  it('duplicate names after prefixing are reported', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'other.yaml': 'populations:\n  flexor: { model: lif, size: 1 }\n  unique: { model: lif, size: 1 }\n',
      'main.yaml': `
include:
  - { module: ./hc.yaml, prefix: left }
  - { module: ./other.yaml, prefix: left }
`,
    });
    const issues = issuesOf(() => load(dir));
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/"left\.flexor" is defined twice/);
    expect(issues[0].file).toBe(join(dir, 'other.yaml'));
    expect(issues[0].path).toBe('/populations/flexor');
    expect(issues[0].line).toBe(2);
  });

  it('including the same module twice under the same prefix reports each clashing element', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': 'include:\n  - { module: ./hc.yaml, prefix: left }\n  - { module: ./hc.yaml, prefix: left }\n',
    });
    const issues = issuesOf(() => load(dir));
    // 2 populations, 2 projections, 1 source, 1 input, 1 output, 1 modulator
    expect(issues.filter((i) => /defined twice/.test(i.message))).toHaveLength(8);
  });

  it('a missing module file is reported, naming the file', () => {
    const dir = files({ 'main.yaml': 'populations:\n  a: { model: lif, size: 1 }\ninclude:\n  - { module: ./nowhere.yaml, prefix: n }\n' });
    const issues = issuesOf(() => load(dir));
    expect(issues).toHaveLength(1);
    expect(issues[0].file).toBe(join(dir, 'nowhere.yaml'));
    expect(issues[0].message).toMatch(/cannot read/);
  });
});

describe('placement: which machine runs each population (issue 22)', () => {
  it('names populations of the run document and of its modules (ports followed); the plan groups them by node', () => {
    const dir = files({
      'hc.yaml': HALF_CENTRE,
      'main.yaml': `
include: [{ module: ./hc.yaml, prefix: left }]
populations:
  mn: { model: lif, size: 7 }
projections:
  tomn: { source: left.out, target: mn, connectivity: { type: all_to_all }, weight: 1 pA, delay: 1 ms, synapse: { type: current, receptor: excitatory } }
placement: { left.out: arm, left.extensor: arm, mn: spine }
`,
    });
    const c = load(dir);
    expect(c.placement).toEqual({ 'left.flexor': 'arm', 'left.extensor': 'arm', mn: 'spine' });
    const plan = placementPlan(c, { rateHz: 10 });
    expect(plan.nodes).toEqual(['arm', 'spine']);
    expect(plan.partitions.map((p) => p.slices.map((s) => `${s.population}[${s.from}:${s.to})`))).toEqual([
      ['left.flexor[0:10)', 'left.extensor[0:12)'],
      ['mn[0:7)'],
    ]);
    expect(plan.exchangeSteps).toBe(1);
    expect(plan.cutProjections).toEqual(['tomn']);
    expect(plan.traffic).toEqual([{ from: 0, to: 1, spikesPerSecond: 100, streams: 1 }]);
  });

  it('refuses a population placed nowhere, twice or not there, and a placement inside a module, naming file and path', () => {
    const dir = files({
      'hc.yaml': `${HALF_CENTRE}placement: { flexor: a }\n`,
      'main.yaml': `
include: [{ module: ./hc.yaml, prefix: left }]
populations:
  mn: { model: lif, size: 7 }
  x: { model: lif, size: 1 }
placement: { left.out: a, left.flexor: b, ghost: a }
`,
    });
    const issues = issuesOf(() => load(dir));
    const at = (path: string) => issues.find((i) => i.path === path);
    expect(at('/placement')).toMatchObject({
      file: join(dir, 'hc.yaml'),
      message: expect.stringContaining('not to a module (included as left)'),
    });
    expect(at('/placement/left.flexor')?.message).toBe('population left.flexor is placed twice (a and b)');
    expect(at('/placement/ghost')?.message).toBe('no population "ghost"');
    expect(issues.find((i) => i.file === join(dir, 'main.yaml') && i.path === '/placement')?.message).toBe(
      'every population needs a node: mn, x, left.extensor have none',
    );
    // A node name is a plain name (it becomes part of a ROS node name).
    const bad = files({ 'main.yaml': 'populations:\n  a: { model: lif, size: 1 }\nplacement: { a: "left/arm" }\n' });
    expect(issuesOf(() => load(bad))[0].path).toBe('/placement/a');
  });

  it('a projection that delivers within its step cannot cross nodes: the plan says which', () => {
    const dir = files({
      'main.yaml': `
dt: 0.1 ms
populations: { a: { model: lif, size: 3 }, b: { model: lif, size: 3 } }
projections:
  ab: { source: a, target: b, connectivity: { type: all_to_all }, weight: 1 pA, synapse: { type: current, receptor: excitatory } }
placement: { a: one, b: two }
`,
    });
    expect(() => placementPlan(load(dir), { rateHz: 10 })).toThrow(/projection ab \(a -> b\) can deliver within the step its spike fires/);
  });
});
