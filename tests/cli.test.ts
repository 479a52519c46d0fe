// The flux command end to end (built dist/, as a user runs it).
import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ROOT, example, tempDir } from './helpers.js';
import { circuitSchema } from '../engine/circuit/schema.js';
import { parseText } from '../engine/circuit/parse.js';
import { readdirSync } from 'node:fs';

const flux = (...args: string[]) => spawnSync('node', [join(ROOT, 'bin/flux.js'), ...args], { encoding: 'utf8', cwd: ROOT });

describe('flux nir', () => {
  it('export refuses with every unmappable element named; --partial writes the rest, and import reads it back', () => {
    const dir = tempDir('flux-nir-cli-');
    const circuit = join(ROOT, 'library/braitenberg/braitenberg.yaml');
    const refused = flux('nir', 'export', circuit, join(dir, 'b.nir'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/projections\.front_brakes: unsupported: conductance synapses/);
    expect(existsSync(join(dir, 'b.nir'))).toBe(false);
    const partial = flux('nir', 'export', circuit, join(dir, 'b.nir'), '--partial');
    expect(partial.status, partial.stderr).toBe(0);
    expect(partial.stdout).toMatch(/time constants in seconds/);
    const back = flux('nir', 'import', join(dir, 'b.nir'), join(dir, 'b.yaml'), '--partial');
    expect(back.status, back.stderr).toBe(0);
    expect(flux('validate', join(dir, 'b.yaml')).stdout).toMatch(/6 populations \(120 neurons\)/);
  }, 60_000);
});

describe('flux schema', () => {
  it('prints the schema, and the committed schema/circuit.schema.json is the same', () => {
    const out = JSON.parse(execFileSync('node', [join(ROOT, 'bin/flux.js'), 'schema'], { encoding: 'utf8' }));
    expect(out).toEqual(circuitSchema());
    expect(JSON.parse(readFileSync(join(ROOT, 'schema/circuit.schema.json'), 'utf8'))).toEqual(out);
  });

  it("prints the bridge schema with every built-in extension's options; the committed schema/bridge.schema.json is the same", () => {
    const out = JSON.parse(execFileSync('node', [join(ROOT, 'bin/flux.js'), 'schema', '--bridge'], { encoding: 'utf8' }));
    expect(JSON.parse(readFileSync(join(ROOT, 'schema/bridge.schema.json'), 'utf8'))).toEqual(out);
    // An editor's validator (plain ajv) checks a node's options against its extension's schema.
    const validate = new Ajv({ strict: false, allErrors: true }).compile(out);
    const doc = (options: object) => ({ circuit: 'c.yaml', extensions: { nodes: { f: { type: 'lowpass', options } } } });
    expect(validate(doc({ cutoff: 5 }))).toBe(true);
    expect(validate(doc({ cutof: 5 }))).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('cutof');
  });

  it('validates every example with a stock JSON Schema validator (what an editor does)', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(circuitSchema());
    // The examples and the library packages' circuits.
    const files = [
      ...readdirSync(join(ROOT, 'examples'))
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .map((f) => join(ROOT, 'examples', f)),
      ...readdirSync(join(ROOT, 'library')).flatMap((p) =>
        readdirSync(join(ROOT, 'library', p))
          .filter((f) => /\.ya?ml$/.test(f))
          .map((f) => join(ROOT, 'library', p, f)),
      ),
    ];
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const doc = parseText(readFileSync(f, 'utf8'), f).doc;
      expect(validate(doc), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});

describe('flux validate / inspect', () => {
  it('validate accepts every example', () => {
    const files = readdirSync(join(ROOT, 'examples'))
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => join('examples', f));
    const r = flux('validate', ...files);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ok ')).length).toBe(files.length);
  });

  it('inspect prints counts, memory and the module tree', () => {
    const r = flux('inspect', example('coba.yaml'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/neurons 4000, synapses \d{6}/);
    expect(r.stdout).toMatch(/B\/synapse/);
    expect(r.stdout).toMatch(/runs on: cpu backend, WebAssembly kernels, [12] threads?/);
    expect(r.stdout).toMatch(/modules:\n\s+\(root\)/);
    const j = JSON.parse(flux('inspect', example('coba.yaml'), '--json').stdout);
    expect(j.neurons).toBe(4000);
    expect(j.projections.map((p: { name: string }) => p.name)).toEqual(['ee', 'ei', 'ie', 'ii']);
  });
});

describe('flux simulate', () => {
  it('writes the documented JSON recording, a CSV and a raster SVG', () => {
    const dir = tempDir();
    const out = join(dir, 'run.json');
    const svg = join(dir, 'raster.svg');
    const r = flux(
      'simulate',
      example('izhikevich-patterns.yaml'),
      '--duration',
      '200ms',
      '--dt',
      '0.1ms',
      '--seed',
      '3',
      '--record',
      'spikes,v',
      '--out',
      out,
      '--raster',
      svg,
    );
    expect(r.status, r.stderr).toBe(0);
    const rec = JSON.parse(readFileSync(out, 'utf8'));
    expect(rec.format).toBe('flux-recording');
    expect(rec.version).toBe(1);
    expect(rec.dt_ms).toBe(0.1);
    expect(rec.seed).toBe(3);
    expect(rec.duration_ms).toBeCloseTo(200, 9);
    const rs = rec.populations.RS;
    expect(rs.spikes.times_ms.length).toBe(rs.spikes.indices.length);
    expect(rs.spikes.times_ms.length).toBeGreaterThan(2);
    expect(rs.state.v.values.length).toBe(2000);
    expect(rs.state.v.times_ms[0]).toBeCloseTo(0.1, 9);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*<path d="M/);
    const csv = join(dir, 'run.csv');
    expect(flux('simulate', example('izhikevich-patterns.yaml'), '--duration', '200ms', '--record', 'spikes,v', '--out', csv).status).toBe(
      0,
    );
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('population,index,time_ms');
    expect(lines.length - 1).toBe(
      Object.values(rec.populations).reduce((a: number, p) => a + (p as { spikes: { indices: number[] } }).spikes.indices.length, 0),
    );
    expect(existsSync(join(dir, 'run.state.csv'))).toBe(true);
  });

  it('the same seed gives the same recording; another seed a different one', () => {
    const dir = tempDir();
    const run = (seed: string, name: string) => {
      const out = join(dir, name);
      expect(flux('simulate', example('coba.yaml'), '--duration', '100ms', '--seed', seed, '--out', out, '--quiet').status).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')).populations.exc.spikes;
    };
    const a = run('5', 'a.json');
    expect(run('5', 'b.json')).toEqual(a);
    expect(run('6', 'c.json')).not.toEqual(a);
  });

  it('--wiring-workers: the same recording wired on this thread and on 2 workers; a bad count is refused', () => {
    const dir = tempDir();
    const run = (workers: string, name: string) => {
      const out = join(dir, name);
      const r = flux('simulate', example('coba.yaml'), '--duration', '50ms', '--wiring-workers', workers, '--out', out, '--quiet');
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')).populations;
    };
    const here = run('0', 'a.json');
    expect(here.exc.spikes.indices.length).toBeGreaterThan(100);
    expect(run('2', 'b.json')).toEqual(here);
    const bad = flux('simulate', example('coba.yaml'), '--wiring-workers', '-1');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('is not a worker count');
  });

  it('a bad circuit exits 1 with the file, line and path', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'populations:\n  a:\n    model: lif\n    size: 10\n    params: { tau_m: 20 mV }\n');
    const r = flux('simulate', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:5 at /populations/a/params/tau_m`);
    expect(r.stderr).toContain('is a voltage, expected a time');
  });
});

describe('README', () => {
  it('the circuit-format example in the README validates and runs', async () => {
    const { loadCircuit, Engine } = await import('../engine/engine.js');
    const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)![1];
    const { flat, circuit } = loadCircuit(join(ROOT, 'examples', 'readme-example.yaml'), yaml);
    expect(circuit.populations.map((p) => p.name)).toEqual(['exc', 'inh', 'drive']);
    const e = new Engine(flat);
    e.backend.configureRecording({});
    e.step(1000);
    expect(e.backend.recording().populations.drive.spikeSteps.length).toBeGreaterThan(0);
  });
});
