import { describe, it, expect } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tests/helpers.js';
import { SectionRefusal, checkedInclude, rootTables, withModule } from './document-sections.js';
import type { InstalledCircuit } from '../sharing/packages.js';

const YAML = `# the arm
name: arm
include:
  # the reflex, tuned
  - { module: ./reflex.yaml, prefix: reflex, override: { populations: { motor: { size: 4 } } } }
  - module: '@lab/cpg/half-centre' # pinned
    prefix: cpg
    version: ^1.0.0
ports:
  out: reflex.motor
populations:
  a: { model: lif, size: 2 }
`;

describe('document sections: modules and ports', () => {
  it('sets an include entry in place by its prefix, keeping the comments and the other entries', () => {
    const next = withModule('arm.yaml', YAML, 'reflex', { module: './reflex.yaml', prefix: 'reflex' });
    expect(next).toContain('# the reflex, tuned\n  - { module: ./reflex.yaml, prefix: reflex }\n');
    expect(next).toContain("  - module: '@lab/cpg/half-centre' # pinned\n");
    expect(next.replace('{ module: ./reflex.yaml, prefix: reflex }', '')).toBe(
      YAML.replace('{ module: ./reflex.yaml, prefix: reflex, override: { populations: { motor: { size: 4 } } } }', ''),
    );
    const added = withModule('arm.yaml', YAML, 'extra', { module: './x.yaml', prefix: 'extra' });
    expect(rootTables('arm.yaml', added).modules.extra).toEqual({ module: './x.yaml' });
    const removed = withModule('arm.yaml', YAML, 'cpg', null);
    expect(Object.keys(rootTables('arm.yaml', removed).modules)).toEqual(['reflex']);
    expect(removed).toContain('# the arm\n');
    const json = withModule('arm.json', JSON.stringify({ name: 'arm' }), 'm', { module: './m.json', prefix: 'm' });
    expect(JSON.parse(json)).toEqual({ name: 'arm', include: [{ module: './m.json', prefix: 'm' }] });
  });

  it('reads the modules by prefix and the ports as { population }', () => {
    expect(rootTables('arm.yaml', YAML)).toEqual({
      modules: {
        reflex: { module: './reflex.yaml', override: { populations: { motor: { size: 4 } } } },
        cpg: { module: '@lab/cpg/half-centre', version: '^1.0.0' },
      },
      ports: { out: { population: 'reflex.motor' } },
    });
  });

  it('takes a circuit file in the folder or below it, and no file elsewhere, through a link or not', () => {
    const dir = tempDir('flux-sections-');
    const elsewhere = tempDir('flux-sections-out-');
    mkdirSync(join(dir, 'parts'));
    writeFileSync(join(dir, 'parts', 'leg.yaml'), 'name: leg\n');
    writeFileSync(join(elsewhere, 'secret.yaml'), 'name: secret\n');
    symlinkSync(join(elsewhere, 'secret.yaml'), join(dir, 'link.yaml'));
    const circuit = join(dir, 'arm.yaml');
    const none = (): InstalledCircuit => {
      throw new SectionRefusal('not listed');
    };
    expect(checkedInclude(circuit, 'leg', { module: './parts/leg.yaml', override: { name: 'x' } }, undefined, none)).toEqual({
      module: './parts/leg.yaml',
      prefix: 'leg',
      override: { name: 'x' },
    });
    for (const module of [
      './link.yaml',
      '../' + elsewhere.split('/').pop() + '/secret.yaml',
      join(elsewhere, 'secret.yaml'),
      './nothing.yaml',
      './parts',
    ])
      expect(() => checkedInclude(circuit, 'm', { module }, undefined, none), module).toThrow(
        /is no circuit file in this circuit's folder/,
      );
    // A module the file has already is kept as it is (the user wrote it), with a new override.
    expect(checkedInclude(circuit, 'm', { module: '../shared/m.yaml', override: {} }, { module: '../shared/m.yaml' }, none).module).toBe(
      '../shared/m.yaml',
    );
    expect(() => checkedInclude(circuit, 'leg', { module: './parts/leg.yaml', version: '^1.0.0' }, undefined, none)).toThrow(
      /only a package circuit/,
    );
    expect(() => checkedInclude(circuit, 'leg', { module: './parts/leg.yaml', prefix: 'x' }, undefined, none)).toThrow(
      /^prefix: a module has/,
    );
    expect(() => checkedInclude(circuit, 'leg', { module: './parts/leg.yaml', override: [1] }, undefined, none)).toThrow(/^override:/);
  });

  it("refuses an override that names files (a base, includes, a model by reference), unless the file's override has it already", () => {
    const dir = tempDir('flux-sections-');
    writeFileSync(join(dir, 'leg.yaml'), 'name: leg\n');
    const circuit = join(dir, 'arm.yaml');
    const none = (): InstalledCircuit => {
      throw new SectionRefusal('not listed');
    };
    const take = (override: Record<string, unknown>, current?: unknown) =>
      checkedInclude(circuit, 'leg', { module: './leg.yaml', override }, current, none);
    expect(() => take({ models: { x: '/etc/shadow' } })).toThrow(/^override\.models\.x: a model by reference/);
    expect(() => take({ include: [{ module: '/etc/x.yaml', prefix: 'x' }] })).toThrow(/^override\.include: names files/);
    expect(() => take({ extends: '../../x.yaml' })).toThrow(/^override\.extends: names files/);
    // A model written out (no reference) is fine; so is what the file's override had already.
    expect(take({ models: { x: { equations: 'dv/dt = -v/(10*ms) : volt' } } }).override).toBeDefined();
    const had = { module: './leg.yaml', override: { models: { x: './eif.yaml' } } };
    expect(take({ models: { x: './eif.yaml' } }, had).override).toEqual({ models: { x: './eif.yaml' } });
    expect(() => take({ models: { x: './other.yaml' } }, had)).toThrow(/override\.models\.x/);
  });

  it('asks the listing for a package circuit, and checks the installed version against the range', () => {
    const circuit = join(tempDir('flux-sections-'), 'arm.yaml');
    const asked: string[] = [];
    const listed = (m: string) => {
      asked.push(m);
      return { module: m, package: '@lab/cpg', version: '1.4.0' } as InstalledCircuit;
    };
    expect(checkedInclude(circuit, 'cpg', { module: '@lab/cpg/half-centre', version: '^1.2.0' }, undefined, listed).version).toBe('^1.2.0');
    expect(() => checkedInclude(circuit, 'cpg', { module: '@lab/cpg/half-centre', version: '^2.0.0' }, undefined, listed)).toThrow(
      /installed at 1\.4\.0, which is not in \^2\.0\.0/,
    );
    expect(asked).toEqual(['@lab/cpg/half-centre', '@lab/cpg/half-centre']);
    expect(() => checkedInclude(circuit, 'cpg', { module: 'x', version: 'not a range' }, undefined, listed)).toThrow(
      /^version: a semver range/,
    );
  });
});
