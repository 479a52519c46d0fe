// `node --expose-gc dist/bench/models.js` (part of `npm run bench`): models defined by equations.
// 1. COBA 4000 three ways: the built-in lif (generated from its definition), the same LIF written as
//    equations (generated code) and Brian2 cpp_standalone, with exponential Euler and with Euler.
// 2. COBAHH (Brette et al. 2007 benchmark 3, bench/documents/cobahh.yaml) against Brian2.
// 3. Triplet STDP, 1000 Poisson inputs onto 100 neurons (bench/documents/triplet-stdp.yaml), against Brian2.
// 4. Time to define (parse, check units, plan), generate JavaScript + new Function, emit and compile WebAssembly, generate WGSL per model.
// 5. Bytes per synapse of synapse models with 0, 1, 2, 4 per-synapse variables.
// Flux and Brian2 (bench/brian2_models.py, bench/brian2_coba.py) alternate, best of FLUX_BENCH_REPEATS each.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { Engine, loadCircuit } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import type { FlatCircuit } from '../engine/circuit/resolve.js';
import { ProgressLine } from '../cli/progress.js';
import { defineModel, type ModelDoc } from '../engine/equations/model-definition.js';
import { defineSynapse, type SynapseDoc } from '../engine/equations/synapse-definition.js';
import { optimize } from '../engine/equations/optimize.js';
import { jsStepSource } from '../engine/equations/codegen-js.js';
import { synapseSource } from '../engine/equations/codegen-synapse-js.js';
import { wgslModel } from '../engine/equations/codegen-wgsl.js';
import { wgslSynapse } from '../engine/equations/codegen-synapse-wgsl.js';
import { WasmStep } from '../engine/equations/codegen-wasm.js';
import { SynapseWasm } from '../engine/equations/codegen-synapse-wasm.js';
import { ROOT, cobaText } from './networks.js';

type Method = 'exponential_euler' | 'euler';

const REPEATS = Number(process.env.FLUX_BENCH_REPEATS ?? 3);
const HH_SECONDS = Number(process.env.FLUX_BENCH_HH_SECONDS ?? 1);
const STDP_SECONDS = Number(process.env.FLUX_BENCH_STDP_SECONDS ?? 2);
const DOCS = join(ROOT, 'bench', 'documents');

/** The built-in lif of examples/coba.yaml as equations (`cm` names a unit, so the capacitance is C_m). */
const lifEquations = (method: Method) => `models:
  lif_eq:
    description: the built-in lif with conductance synapses, written as equations
    parameters: { C_m: 200 pF, tau_m: 20 ms, v_rest: -60 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms, e_rev_exc: 0 mV, e_rev_inh: -80 mV }
    equations: |
      dv/dt = (v_rest - v)/tau_m + (g_exc*(e_rev_exc - v) + g_inh*(e_rev_inh - v) + I_ext)/C_m : volt (unless refractory)
    threshold: v >= v_thresh
    reset: v = v_reset
    refractory: tau_refrac
    method: ${method}
    initial: { v: v_rest }
`;

/** COBA 4000 with every population running lif_eq (the same parameters, initial state and connectivity). */
function cobaGenerated(method: Method): string {
  return (
    cobaText(4000, 80, method)
      .replace(/\n {4}integration: euler/g, '')
      .replace(/model: lif\b/g, 'model: lif_eq')
      .replace('cm: 200 pF', 'C_m: 200 pF') + lifEquations(method)
  );
}

interface FluxRun {
  loopS: number;
  rateHz: number;
  buildS: number;
  threads: number;
}

/** One timed run: build, 200 warm-up steps (JIT, garbage of building), then durationS of biological time. */
function runFlux(flat: FlatCircuit, durationS: number, label: string, counted?: string): FluxRun {
  const bar = new ProgressLine(`${label} building`);
  const t0 = performance.now();
  const engine = new Engine(flat, { threads: 1, progress: (f, l) => bar.update(f, l) });
  const buildS = (performance.now() - t0) / 1000;
  bar.done();
  try {
    engine.backend.configureRecording({ spikes: false, rateBin: 10 });
    engine.step(200);
    (globalThis as { gc?: () => void }).gc?.();
    const pops = engine.backend.recording().populations;
    const names = counted ? [counted] : Object.keys(pops);
    const neurons = names.reduce((a, k) => a + engine.network.populations.find((p) => p.spec.name === k)!.spec.size, 0);
    const count = () => names.reduce((a, k) => a + engine.backend.recording().populations[k].rateCounts.reduce((x, y) => x + y, 0), 0);
    const before = count();
    const steps = Math.round((durationS * 1000) / engine.backend.dt);
    const run = new ProgressLine(`${label} simulating`);
    const chunk = 500;
    const t1 = performance.now();
    // Rates are counted over the timed loop, after the warm-up steps.
    for (let s = 0; s < steps; s += chunk) {
      engine.step(Math.min(chunk, steps - s));
      run.update((s + chunk) / steps);
    }
    const loopS = (performance.now() - t1) / 1000;
    run.done();
    return { loopS, rateHz: (count() - before) / neurons / durationS, buildS, threads: engine.backend.threadCount };
  } finally {
    engine.backend.dispose();
  }
}

const brianAvailable = () =>
  process.env.FLUX_BENCH_BRIAN !== '0' && spawnSync('/usr/bin/python3', ['-c', 'import brian2'], { stdio: 'ignore' }).status === 0;

/** Builds a Brian2 cpp_standalone program with --build-only: its directory and build seconds, or null when that failed. */
function buildBrian(script: string, args: string[], label: string): { dir: string; compileS: number } | null {
  process.stderr.write(`brian2 ${label}: code generation and g++ (10-30 s)...\n`);
  const r = spawnSync('/usr/bin/python3', [join(ROOT, 'bench', script), ...args, '--build-only'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    process.stderr.write(`brian2 ${label} failed: ${r.stderr.split('\n').slice(-5).join('\n')}\n`);
    return null;
  }
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { dir: string; compile_time_s: number };
  return { dir: out.dir, compileS: out.compile_time_s };
}

/** One run of a built Brian2 program: its loop seconds and, where the program counts them, its spikes. */
function runBrian(dir: string): { loopS: number; spikes: number | null } {
  const r = spawnSync('./main', [], { cwd: dir, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`brian2 program in ${dir} failed (${r.status})`);
  const spikesFile = join(dir, 'results', 'bench_spikes.txt');
  return {
    loopS: Number(readFileSync(join(dir, 'results', 'bench_loop_wall_s.txt'), 'utf8')),
    spikes: existsSync(spikesFile) ? Number(readFileSync(spikesFile, 'utf8')) : null,
  };
}

/** Runs every side REPEATS times, alternating, and keeps each side's fastest loop. */
function alternate<T extends { loopS: number }>(sides: (() => T)[]): T[] {
  const best: (T | null)[] = sides.map(() => null);
  for (let r = 0; r < REPEATS; r++)
    sides.forEach((run, i) => {
      const x = run();
      if (!best[i] || x.loopS < best[i]!.loopS) best[i] = x;
    });
  return best.map((b) => b!);
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log(header.map((h, i) => h.padStart(widths[i])).join('  '));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
}

const fixed = (x: number | undefined, digits: number) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));

/** Brian2's side of a comparison, shaped as a Flux run: its build is code generation + g++ (make -j1). */
function brianSide(built: { dir: string; compileS: number }, neurons: number, seconds: number): () => FluxRun {
  return () => {
    const r = runBrian(built.dir);
    return { loopS: r.loopS, rateHz: r.spikes === null ? NaN : r.spikes / neurons / seconds, buildS: built.compileS, threads: 1 };
  };
}

/** Alternates the sides (Brian2 last, where built) and returns a table row per side; `reference` is the built-in side's index. */
function compareRows(prefix: string[], sides: [string, () => FluxRun][], brian: (() => FluxRun) | null, reference?: number): string[][] {
  const runs = alternate([...sides.map(([, run]) => run), ...(brian ? [brian] : [])]);
  const b = brian ? runs[runs.length - 1] : undefined;
  const row = (label: string, r: FluxRun, isBrian: boolean) => [
    ...prefix,
    label,
    r.loopS.toFixed(3),
    fixed(r.rateHz, 1),
    isBrian ? '1.00' : fixed(b && b.loopS / r.loopS, 2),
    ...(reference === undefined ? [] : [isBrian ? '-' : (runs[reference].loopS / r.loopS).toFixed(2)]),
    fixed(r.buildS, 2),
  ];
  const rows = sides.map(([label], i) => row(label, runs[i], false));
  if (b) rows.push(row('Brian2 cpp_standalone', b, true));
  return rows;
}

function cobaSection(withBrian: boolean): void {
  console.log('\n1. COBA 4000 (examples/coba.yaml), 80 synapses per neuron, 1 s at dt 0.1 ms, one thread on each side');
  const rows: string[][] = [];
  for (const method of ['exponential_euler', 'euler'] as Method[]) {
    const args = ['--n', '4000', '--syn-per-neuron', '80', '--duration', '1', '--dt', '0.1', '--method', method];
    const built = withBrian ? buildBrian('brian2_coba.py', args, `COBA ${method}`) : null;
    try {
      const builtin = () => loadFlat(join(ROOT, 'examples', 'coba-bench-4000.yaml'), cobaText(4000, 80, method));
      const generated = () => loadFlat(join(ROOT, 'examples', 'coba-bench-eq.yaml'), cobaGenerated(method));
      const sides: [string, () => FluxRun][] = [
        ['Flux built-in lif (generated)', () => runFlux(builtin(), 1, `COBA ${method} built-in lif`)],
        ['Flux lif_eq (generated code)', () => runFlux(generated(), 1, `COBA ${method} equations`)],
      ];
      rows.push(...compareRows([method], sides, built && brianSide(built, 4000, 1), 0));
    } finally {
      if (built) rmSync(built.dir, { recursive: true, force: true });
    }
  }
  table(['integrator', 'side', 'loop s', 'rate Hz', 'brian2/side', 'built-in/side', 'build s'], rows);
  console.log(
    'brian2/side > 1: that side is faster than Brian2; built-in/side: the built-in lif against the same LIF written in the document (both generated; the forms differ).',
  );
  console.log(
    'build s: Flux wiring + code generation (fastest run); Brian2 code generation + g++ (make -j1). Brian2 COBA counts no spikes.',
  );
}

/**
 * A document's network against Brian2 (bench/brian2_models.py): loop times, rates and the ratio. `counted` is the
 * population whose rate is reported (default all), with `neurons` neurons: Brian2 counts the same group.
 */
function documentSection(
  title: string,
  net: string,
  seconds: number,
  counted: string | undefined,
  neurons: number,
  withBrian: boolean,
): void {
  console.log(`\n${title}`);
  const flat = () => loadCircuit(join(DOCS, `${net}.yaml`)).flat;
  const built = withBrian ? buildBrian('brian2_models.py', ['--net', net, '--duration', String(seconds)], net) : null;
  try {
    const flux: [string, () => FluxRun] = ['Flux (generated code)', () => runFlux(flat(), seconds, net, counted)];
    const rows = compareRows([], [flux], built && brianSide(built, neurons, seconds));
    table(['side', 'loop s', `rate Hz${counted ? ` (${counted})` : ''}`, 'brian2/side', 'build s'], rows);
  } finally {
    if (built) rmSync(built.dir, { recursive: true, force: true });
  }
}

interface ModelEntry {
  name: string;
  file: string;
  doc: ModelDoc | SynapseDoc;
}

/** Every model of the bench's documents and of tests/reference/models/*.yaml, each distinct one once. */
function modelEntries(): ModelEntry[] {
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  const add = (file: string, text: string) => {
    const models = (parse(text) as { models?: Record<string, ModelDoc | SynapseDoc> }).models ?? {};
    for (const [name, doc] of Object.entries(models)) {
      const key = name + JSON.stringify(doc);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name, file, doc });
    }
  };
  add('COBA lif_eq exponential_euler', lifEquations('exponential_euler'));
  add('COBA lif_eq euler', lifEquations('euler'));
  for (const f of ['cobahh.yaml', 'triplet-stdp.yaml']) add(`bench/documents/${f}`, readFileSync(join(DOCS, f), 'utf8'));
  const ref = join(ROOT, 'tests', 'reference', 'models');
  for (const f of readdirSync(ref)
    .filter((x) => x.endsWith('.yaml'))
    .sort())
    add(`tests/reference/models/${f}`, readFileSync(join(ref, f), 'utf8'));
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Problems = { message: string }[];
const failed = (e: ModelEntry, p: Problems) => new Error(`${e.file} ${e.name}: ${p.map((x) => x.message).join('; ')}`);

/** One pass, in ms: define, JavaScript + new Function, WebAssembly (emit + compile), WGSL (NaN: none); and the JavaScript's characters. */
type Stages = [define: number, js: number, wasm: number, wgsl: number, jsChars: number];

/** Times `f` in ms; NaN when it throws (the model has no such code: refused on that backend). */
function timed(f: () => void): number {
  const t = performance.now();
  try {
    f();
  } catch {
    return NaN;
  }
  return performance.now() - t;
}

function stagesOnce(e: ModelEntry): Stages {
  const a = performance.now();
  if (e.doc.kind === 'synapse') {
    const def = defineSynapse(e.name, e.doc);
    const b = performance.now();
    if (Array.isArray(def)) throw failed(e, def);
    const variant = { def, pre: () => 'array' as const, post: () => 'array' as const, modulators: new Set<string>() };
    const src = synapseSource(variant);
    new Function('H', src);
    const c = performance.now();
    // The constructor throws where the model has no WebAssembly (synapseWasmRefusal).
    const wasm = timed(() => void new SynapseWasm({ ...variant, targetBytes: 2, delayBytes: 1, samePopulation: false }).module);
    const wgsl = timed(() => void wgslSynapse({ ...variant, recurrent: false }, 'bench').source);
    return [b - a, c - b, wasm, wgsl, src.length];
  }
  const def = defineModel(e.name, e.doc);
  const b = performance.now();
  if (Array.isArray(def)) throw failed(e, def);
  const src = jsStepSource(optimize({ def, perNeuron: new Set() }));
  new Function('p', 's', 'dt', 'spikes', 'H', src);
  const c = performance.now();
  const wasm = timed(() => void new WasmStep(optimize({ def, perNeuron: new Set() })).module);
  // wgslModel caches by definition: every pass has a fresh one.
  const wgsl = timed(() => void wgslModel(def).source());
  return [b - a, c - b, wasm, wgsl, src.length];
}

/** Median milliseconds of each stage over repeated passes; the first pass warms the JIT and is not counted. */
function timeStages(e: ModelEntry): { define: number; js: number; wasm: number; wgsl: number; jsChars: number } {
  const runs: Stages[] = [];
  stagesOnce(e);
  const start = performance.now();
  while (runs.length < 200 && (runs.length < 5 || performance.now() - start < 150)) runs.push(stagesOnce(e));
  const col = (i: number) => median(runs.map((r) => r[i]));
  return { define: col(0), js: col(1), wasm: col(2), wgsl: col(3), jsChars: runs[0][4] };
}

function generationSection(): void {
  console.log('\n4. Generation and compilation per model (ms, median of repeated runs after a first, warm-up run)');
  const rows: string[][] = [];
  for (const e of modelEntries()) {
    const s = timeStages(e);
    const kind = e.doc.kind === 'synapse' ? 'synapse' : 'neuron';
    rows.push([
      e.name,
      e.file,
      kind,
      s.define.toFixed(3),
      s.js.toFixed(3),
      Number.isNaN(s.wasm) ? '-' : s.wasm.toFixed(3),
      Number.isNaN(s.wgsl) ? '-' : s.wgsl.toFixed(3),
      String(s.jsChars),
    ]);
  }
  table(['model', 'from', 'kind', 'define', 'JS + new Function', 'WebAssembly', 'WGSL', 'JS chars'], rows);
  console.log(
    'define: parse + unit check + integration plan; WebAssembly: emit the module and compile it (WebAssembly.Module); WGSL: the source (- where that backend refuses the model).',
  );
  console.log('new Function parses the source; V8 compiles the body at its first call (in the untimed warm-up steps of sections 1-3).');
}

/** A synapse model with `vars` event-driven per-synapse variables (besides w), on_pre only. */
function synapseModel(vars: number): string {
  const names = ['x', 'y', 'z', 'q'].slice(0, vars);
  const eqs = ['w : siemens', ...names.map((x) => `d${x}/dt = -${x}/tau : 1 (event-driven)`)];
  const onPre = [`g_exc_post += w${names.map((x) => `*(1 + ${x})`).join('')}`, ...names.map((x) => `${x} += 1`)];
  return `  syn${vars}:
    kind: synapse
    parameters: { tau: 20 ms }
    equations: |
${eqs.map((l) => `      ${l}`).join('\n')}
    on_pre: |
${onPre.map((l) => `      ${l}`).join('\n')}
`;
}

function memorySection(): void {
  console.log('\n5. Memory per synapse: 1000 x 1000 all to all (1e6 synapses), engine.backend.memoryBytes()');
  const stdp = parse(readFileSync(join(DOCS, 'triplet-stdp.yaml'), 'utf8')) as { models: Record<string, unknown> };
  // YAML takes JSON: the triplet-stdp document's neuron and triplet models, as they are.
  const theirs = ['lif_cond', 'triplet'].map((n) => `  ${n}: ${JSON.stringify(stdp.models[n])}\n`).join('');
  const text = (weight: string, synapse: string) => `dt: 0.1 ms
models:
${[0, 1, 2, 4].map(synapseModel).join('')}${theirs}populations:
  pre: { model: poisson, size: 1000, params: { rate: 0 Hz } }
  post: { model: lif_cond, size: 1000 }
projections:
  p: { source: pre, target: post, connectivity: { type: all_to_all }, weight: ${weight}, synapse: ${synapse} }
`;
  const cases: [string, string, string][] = [
    ['built-in static (conductance)', '1 nS', '{ type: conductance, receptor: excitatory }'],
    ['model, w only (0 variables)', '1 nS', '{ model: syn0 }'],
    ['model, 1 event-driven variable', '1 nS', '{ model: syn1 }'],
    ['model, 2 event-driven variables', '1 nS', '{ model: syn2 }'],
    ['model, 4 event-driven variables', '1 nS', '{ model: syn4 }'],
    ['triplet STDP (4 variables, on_post)', '0.5', '{ model: triplet }'],
  ];
  const rows: string[][] = [];
  for (const [label, weight, synapse] of cases) {
    const bar = new ProgressLine(`memory: ${label}`);
    const flat = loadFlat(join(DOCS, 'memory-bench.yaml'), text(weight, synapse));
    const engine = new Engine(flat, { threads: 1, progress: (f, l) => bar.update(f, l) });
    bar.done();
    const m = engine.backend.memoryBytes();
    const n = engine.network.synapses;
    const perSyn = (b: number) => (b / n).toFixed(2);
    rows.push([label, String(n), perSyn(m.synapsesStatic), perSyn(m.synapsesPlastic), perSyn(m.synapsesStatic + m.synapsesPlastic)]);
    engine.backend.dispose();
    (globalThis as { gc?: () => void }).gc?.();
  }
  table(['synapse', 'synapses', 'static B/syn', 'model B/syn', 'total B/syn'], rows);
}

function main(): void {
  console.log(
    'Absolute times are noisy (a shared 2-core machine; other jobs use the CPUs): the ratios, from runs alternating within this one run, are what counts.',
  );
  const [l1, l5] = loadavg();
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}; load average ${l1.toFixed(1)} (1 min) ${l5.toFixed(1)} (5 min) at the start`,
  );
  const withBrian = brianAvailable();
  console.log(
    withBrian
      ? `Brian2 cpp_standalone (one thread, -O3 -ffast-math -march=native) runs the same networks in this run; fastest of ${REPEATS} runs on each side, alternating; Flux on one thread (CPU backend)`
      : `Brian2 not found (apt-get install python3-brian to compare): Flux only, fastest of ${REPEATS} runs; Flux on one thread (CPU backend)`,
  );
  console.log(
    'Flux loop times and rates are over the timed biological time after 200 warm-up steps (20 ms); Brian2 times and counts Network::run.',
  );
  const started = performance.now();
  cobaSection(withBrian);
  documentSection(
    `2. COBAHH (bench/documents/cobahh.yaml: Brian2's examples/COBAHH.py), 4000 HH neurons, exponential_euler, dt 0.1 ms, ${HH_SECONDS} s`,
    'cobahh',
    HH_SECONDS,
    undefined,
    4000,
    withBrian,
  );
  documentSection(
    `3. Triplet STDP (bench/documents/triplet-stdp.yaml), 1000 Poisson inputs at 15 Hz -> 100 LIF, all to all (1e5 plastic synapses), ${STDP_SECONDS} s`,
    'triplet-stdp',
    STDP_SECONDS,
    'cells',
    100,
    withBrian,
  );
  generationSection();
  memorySection();
  console.log(
    `\nbench/models.ts took ${((performance.now() - started) / 1000).toFixed(0)} s (${basename(process.argv[1] ?? 'models.js')})`,
  );
}

main();
