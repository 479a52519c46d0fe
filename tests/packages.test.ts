// Sharing through npm (sharing/packages.ts, engine/circuit/resolve.ts): packages installed from local paths
// into fresh projects with `flux add`, circuits included by package path under a prefix with
// overrides and simulated, semver ranges checked, `flux pack` making a package another project
// installs, a broken extension package refused by name, and the repository's own library packages
// (npm workspaces) used through their package paths.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, loadCircuit } from '../engine/engine.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { libraryCircuit, ROOT } from './helpers.js';
import { FluxNode } from '../bridge/node/node.js';
import { startDashboard } from '../ui/server.js';

const flux = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/flux.js'), ...args], { cwd, encoding: 'utf8' });
const project = () => realpathSync(mkdtempSync(join(tmpdir(), 'flux-project-')));
const npmInstall = (cwd: string, ...specs: string[]) =>
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], { cwd, stdio: 'pipe' });

function spikes(file: string, ms: number): Map<string, number> {
  const e = new Engine(loadCircuit(file).flat);
  e.backend.configureRecording({ spikes: 'all', rateBin: 0 });
  e.step(Math.round(ms / e.backend.dt));
  const rec = e.backend.recording();
  const out = new Map(Object.entries(rec.populations).map(([k, p]) => [k, p.spikeSteps.length]));
  e.dispose();
  return out;
}

describe('Flux packages', () => {
  it('flux add installs packages from local paths into a fresh project and lists what each provides', () => {
    const dir = project();
    const r = flux(dir, 'add', join(ROOT, 'library/cpg'), join(ROOT, 'examples/extensions/flux-ext-deadband'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('@flux-library/cpg@1.0.0');
    expect(r.stdout).toMatch(/circuit @flux-library\/cpg\/half-centre {2}\(2 populations, 40 neurons\)/);
    expect(r.stdout).toMatch(/extension deadband \(compute\)/);
    expect(r.stdout).toMatch(/extension square_wave \(input\)/);
  }, 60_000);

  it('a package circuit is included under a prefix with overridden parameters and simulated; an unsatisfiable range is refused clearly', () => {
    const dir = project();
    npmInstall(dir, join(ROOT, 'library/cpg'));
    const circuit = (version: string) => {
      writeFileSync(
        join(dir, 'gait.yaml'),
        `name: gait
dt: 0.1 ms
include:
  - module: '@flux-library/cpg/half-centre'
    version: '${version}'
    prefix: hip
    override: { populations: { flexor: { size: 12 }, extensor: { size: 12 } }, sources: { drive_f: { amplitude: 950 pA } } }
`,
      );
      return join(dir, 'gait.yaml');
    };
    const { circuit: c } = loadCircuit(circuit('^1.0.0'));
    expect(c.populations.map((p) => [p.name, p.size])).toEqual([
      ['hip.flexor', 12],
      ['hip.extensor', 12],
    ]);
    expect(c.sources.find((s) => s.name === 'hip.drive_f')).toMatchObject({ amplitude: 950 });
    const n = spikes(join(dir, 'gait.yaml'), 1000);
    // The half-centre alternates: both sides fire within a second.
    expect(n.get('hip.flexor')).toBeGreaterThan(10);
    expect(n.get('hip.extensor')).toBeGreaterThan(10);

    let err: unknown;
    try {
      loadCircuit(circuit('^2.0.0'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CircuitError);
    expect((err as Error).message).toMatch(
      /gait\.yaml:\d+ at \/include\/0\/version: package "@flux-library\/cpg" is 1\.0\.0, which does not satisfy \^2\.0\.0; install a matching version: npm install "@flux-library\/cpg@\^2\.0\.0"/,
    );
    expect(() => loadCircuit(circuit('one point oh'))).toThrow(/"one point oh" is not a semver range/);
  }, 60_000);

  it('flux pack makes a package (local modules inside, package modules as dependencies) that a fresh project installs and includes', () => {
    const src = project();
    npmInstall(src, join(ROOT, 'library/cpg'));
    mkdirSync(join(src, 'parts'));
    writeFileSync(
      join(src, 'legs.yaml'),
      `name: legs\ndescription: two half-centres for two legs\ninclude:\n  - { module: '@flux-library/cpg/half-centre', version: '^1.0.0', prefix: left }\n  - { module: './parts/right.yaml', prefix: right }\n`,
    );
    writeFileSync(
      join(src, 'parts/right.yaml'),
      `name: right\ninclude:\n  - { module: '@flux-library/cpg/half-centre', prefix: hc, override: { populations: { flexor: { size: 10 } } } }\n`,
    );
    const r = flux(src, 'pack', 'legs.yaml', '--name', '@lab/legs', '--version', '0.3.0', '--out', 'out');
    expect(r.status, r.stderr).toBe(0);
    const tarball = /tarball (\S+)/.exec(r.stdout)![1];
    expect(tarball).toMatch(/lab-legs-0\.3\.0\.tgz$/);

    const dir = project();
    // The library package it depends on comes from its local path, so npm needs no registry.
    npmInstall(dir, join(ROOT, 'library/cpg'), tarball);
    writeFileSync(
      join(dir, 'robot.yaml'),
      `name: robot\ndt: 0.1 ms\ninclude:\n  - { module: '@lab/legs/legs', version: '~0.3.0', prefix: legs }\n`,
    );
    const { circuit } = loadCircuit(join(dir, 'robot.yaml'));
    expect(circuit.populations.map((p) => `${p.name}:${p.size}`)).toEqual([
      'legs.left.flexor:20',
      'legs.left.extensor:20',
      'legs.right.hc.flexor:10',
      'legs.right.hc.extensor:20',
    ]);
    expect(spikes(join(dir, 'robot.yaml'), 300).get('legs.right.hc.flexor')).toBeGreaterThan(0);

    // A circuit with a problem is refused before anything is written.
    writeFileSync(
      join(src, 'bad.yaml'),
      `name: bad\ninclude:\n  - { module: '@flux-library/cpg/half-centre', prefix: a, override: { populations: { flexor: { size: -1 } } } }\n`,
    );
    const bad = flux(src, 'pack', 'bad.yaml', '--out', 'out2');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/flux pack: .*bad\.yaml.*\/include\/0\/override\/populations\/flexor\/size/);
  }, 90_000);

  it('a broken extension package is refused with its name', () => {
    const pkg = project();
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'flux-ext-broken', version: '1.0.0', type: 'module', main: 'index.js', flux: { extensions: ['half_done'] } }),
    );
    writeFileSync(join(pkg, 'index.js'), `export default { name: 'half_done', kind: 'compute', doc: 'never finished', options: {} };\n`);
    const dir = project();
    const r = flux(dir, 'add', pkg);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/problem: flux-ext-broken: extension half_done from .*index\.js: has no create\(options, ctx\) function/);
  }, 60_000);
});

describe("the dashboard's component browser", () => {
  it('lists the circuits of installed packages and inserts one as a module into the running node', async () => {
    const dir = project();
    npmInstall(dir, join(ROOT, 'library/cpg'), join(ROOT, 'library/wta'));
    copyFileSync(libraryCircuit('braitenberg/braitenberg'), join(dir, 'circuit.yaml'));
    writeFileSync(
      join(dir, 'bridge.yaml'),
      readFileSync(join(ROOT, 'examples/bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'),
    );
    const node = await FluxNode.start({
      bridge: join(dir, 'bridge.yaml'),
      transport: 'memory',
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
    });
    const dash = await startDashboard({ node, port: 0, noToken: true });
    try {
      const list = (await (await fetch(`${dash.url}api/packages`)).json()) as {
        module: string;
        version: string;
        populations: number;
        ports: string[];
      }[];
      expect(list.map((c) => c.module)).toEqual(['@flux-library/cpg/half-centre', '@flux-library/wta/wta']);
      expect(list[0]).toMatchObject({ version: '1.0.0', populations: 2, ports: ['flexor', 'extensor'] });
      const post = (body: unknown) =>
        fetch(`${dash.url}api/insert`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const before = readFileSync(join(dir, 'circuit.yaml'), 'utf8');
      // A circuit the package does not provide, or a range it does not satisfy, is refused and the file stays as it was.
      let res = await post({ module: '@flux-library/cpg/half-center', prefix: 'hip' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/provides no circuit "half-center" \(it provides: half-centre\)/);
      res = await post({ module: '@flux-library/cpg/half-centre', prefix: 'hip', version: '^3.0.0' });
      expect(res.status).toBe(400);
      expect(readFileSync(join(dir, 'circuit.yaml'), 'utf8')).toBe(before);
      res = await post({ module: '@flux-library/cpg/half-centre', prefix: 'hip', version: '^1.0.0' });
      expect(res.status, await res.clone().text()).toBe(200);
      // The file includes it (comments kept) and the running engine has it, with its sources.
      const after = readFileSync(join(dir, 'circuit.yaml'), 'utf8');
      expect(after).toMatch(/include:\n\s+- \{ module: "?@flux-library\/cpg\/half-centre"?, prefix: hip, version: "?\^1\.0\.0"? \}/);
      expect(after.split('\n')[0]).toBe(before.split('\n')[0]);
      expect(node.engine.circuit.populations.map((p) => p.name)).toContain('hip.flexor');
      expect(node.engine.circuit.sources.map((s) => s.name)).toContain('hip.drive_f');
      const ticks = node.bridge.stats.ticks;
      await new Promise((r) => setTimeout(r, 200));
      expect(node.bridge.stats.ticks).toBeGreaterThan(ticks);
    } finally {
      await dash.close();
      await node.shutdown();
    }
  }, 60_000);
});

describe('the library (workspace packages)', () => {
  it('winner-take-all from @flux-library/wta, included by package path: the choice with the most evidence wins', () => {
    const dir = join(ROOT, 'tests', 'fixtures');
    const file = join(dir, 'wta-decision.yaml');
    const { circuit } = loadCircuit(file);
    expect(circuit.populations.map((p) => p.name)).toContain('decide.choice_2');
    const e = new Engine(loadCircuit(file).flat);
    e.backend.configureRecording({ spikes: 'all', rateBin: 0 });
    for (const [k, v] of [
      [0, 300],
      [1, 320],
      [2, 380],
      [3, 310],
    ])
      e.backend.setInput(`decide.evidence_${k}`, v);
    e.step(Math.round(1000 / e.backend.dt));
    const rec = e.backend.recording();
    const counts = [0, 1, 2, 3].map((k) => rec.populations[`decide.choice_${k}`].spikeSteps.length);
    e.dispose();
    expect(counts[2]).toBe(Math.max(...counts));
    // It wins clearly: more than the other three together.
    expect(counts[2]).toBeGreaterThan(counts[0] + counts[1] + counts[3]);
  });
});
