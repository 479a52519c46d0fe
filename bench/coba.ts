// `npm run bench`: COBA (Brette et al. 2007 benchmark 1) on the CPU engine, 4000 neurons for 1 s at
// dt 0.1 ms, then the scaling series N = 4k, 16k, 64k with 80 synapses per neuron. When Debian's
// Brian2 is installed (/usr/bin/python3 -c 'import brian2'), Brian2 cpp_standalone runs the same
// network in the same run (bench/brian2_coba.py) and the ratio is printed. Compare ratios, not
// absolute times: these machines are noisy.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { Engine } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { ThreadChoice, type ThreadChoiceMade } from '../engine/backends/thread-choice.js';
import { ProgressLine } from '../cli/progress.js';
import { ROOT, cobaText } from './networks.js';

type Method = 'exponential_euler' | 'euler';

/** Steps run before the timed loop: the default thread choice's, and a few more. */
const WARMUP_STEPS = new ThreadChoice().totalSteps + 100;

/** Both sides run this many times and report their fastest loop (these machines are noisy). */
const REPEATS = Number(process.env.FLUX_BENCH_REPEATS ?? 5);

interface Result {
  n: number;
  synapses: number;
  loopS: number;
  spikes: number;
  rateHz: number;
  eventsPerS: number;
  rtf: number;
  bytesPerSynapse: number;
  rssMiB: number;
  stepP50us: number;
  stepP99us: number;
}

function runFluxOnce(
  n: number,
  durationS: number,
  method: Method,
  kernels: 'wasm' | 'js',
  threads: number | undefined,
  label: string,
): Result & { threads: number; choice: ThreadChoiceMade | null; lockstep: string } {
  const file = join(ROOT, 'examples', `coba-bench-${n}.yaml`);
  const bar = new ProgressLine(`flux N=${n} ${method} ${label} compiling`);
  const engine = new Engine(loadFlat(file, cobaText(n, 80, method)), { progress: (f, l) => bar.update(f, l), kernels, threads });
  bar.done();
  engine.backend.configureRecording({ spikes: false, rateBin: 10 });
  // The default thread choice is made before the loop (ThreadChoice: two rounds of blocks with 1 s of
  // simulated time between them, while V8 finishes compiling the step's code on background threads),
  // so the loop runs on what it chose, compiled; Brian2's loop is compiled before it is timed too.
  // Collect the garbage of building and of the previous run now rather than inside the timed loop.
  engine.step(WARMUP_STEPS);
  const used = engine.backend.threadCount;
  const choice = (engine.backend as { threadChoice?: ThreadChoiceMade | null }).threadChoice ?? null;
  (globalThis as { gc?: () => void }).gc?.();
  const steps = Math.round((durationS * 1000) / engine.backend.dt);
  const lat: number[] = [];
  const run = new ProgressLine(`flux N=${n} ${method} ${label} simulating`);
  const chunk = 100;
  const counted = () =>
    Object.values(engine.backend.recording().populations).reduce((a, p) => a + p.rateCounts.reduce((x, y) => x + y, 0), 0);
  const before = counted();
  const t0 = performance.now();
  for (let s = 0; s < steps; s += chunk) {
    const a = performance.now();
    engine.step(chunk);
    lat.push(((performance.now() - a) / chunk) * 1000);
    run.update((s + chunk) / steps);
  }
  const loopS = (performance.now() - t0) / 1000;
  run.done();
  const spikes = counted() - before;
  const synapses = engine.network.synapses;
  const mem = engine.backend.memoryBytes();
  lat.sort((a, b) => a - b);
  const rss = process.memoryUsage().rss / 2 ** 20;
  const lockstep = `${engine.backend.lockstepSteps} of ${engine.backend.stepIndex} steps in lockstep batches`;
  engine.backend.dispose();
  return {
    n,
    synapses,
    loopS,
    spikes,
    rateHz: spikes / n / durationS,
    eventsPerS: (spikes * (synapses / n)) / loopS,
    rtf: durationS / loopS,
    bytesPerSynapse: mem.synapsesStatic / synapses,
    rssMiB: rss,
    stepP50us: lat[Math.floor(lat.length * 0.5)],
    stepP99us: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))],
    threads: used,
    choice,
    lockstep,
  };
}

function brianAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import brian2'], { stdio: 'ignore' }).status === 0;
}

/** Builds Brian2's cpp_standalone program for the network; returns its directory (null without Brian2). */
function buildBrian(n: number, durationS: number, method: Method): string | null {
  process.stderr.write(`brian2 N=${n} ${method}: code generation and g++ (about 15 s)...\n`);
  const r = spawnSync(
    '/usr/bin/python3',
    [
      join(ROOT, 'bench/brian2_coba.py'),
      '--n',
      String(n),
      '--syn-per-neuron',
      '80',
      '--duration',
      String(durationS),
      '--dt',
      '0.1',
      '--method',
      method,
      '--build-only',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) {
    process.stderr.write(`brian2 failed: ${r.stderr.split('\n').slice(-5).join('\n')}\n`);
    return null;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { dir: string }).dir;
}

/** One run of the built Brian2 program: its loop time in seconds (timed inside the program). */
function runBrianOnce(dir: string): number {
  const r = spawnSync('./main', [], { cwd: dir, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`brian2 program in ${dir} failed (${r.status})`);
  return Number(readFileSync(join(dir, 'results', 'bench_loop_wall_s.txt'), 'utf8'));
}

/**
 * Flux and Brian2 alternately, REPEATS times each, keeping each side's fastest loop: load on these
 * shared machines changes over seconds, and alternating exposes both sides to the same conditions.
 */
function compare(n: number, method: Method, kernels: 'wasm' | 'js', threads: number | undefined, brianDir: string | null) {
  let flux: ReturnType<typeof runFluxOnce> | null = null;
  let brian = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    if (brianDir) brian = Math.min(brian, runBrianOnce(brianDir));
    const f = runFluxOnce(n, 1, method, kernels, threads, `${r + 1}/${REPEATS}`);
    if (!flux || f.loopS < flux.loopS) flux = f;
  }
  return { flux: flux!, brian: brianDir ? { loop_time_s: brian } : null };
}

const sizes = (process.env.FLUX_BENCH_SIZES ?? '4000,16000,64000').split(',').map(Number);
const methods = (process.env.FLUX_BENCH_METHODS ?? 'exponential_euler,euler').split(',') as Method[];
const withBrian = process.env.FLUX_BENCH_BRIAN !== '0' && brianAvailable();
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `COBA (examples/coba.yaml scaled), dt 0.1 ms, 1 s biological time, 80 synapses per neuron, CPU backend; fastest of ${REPEATS} runs on each side, alternating; Flux timed after ${WARMUP_STEPS} steps (the thread choice's two rounds)`,
);
console.log(
  withBrian
    ? 'Brian2 cpp_standalone (one thread, -O3 -march=native) runs the same network with the same integrator in this run'
    : 'Brian2 not found (apt-get install python3-brian to compare)',
);
const header = [
  'N',
  'integrator',
  'kernels',
  'threads',
  'synapses',
  'rate Hz',
  'loop s',
  'RTF',
  'syn ev/s',
  'step p50 us',
  'step p99 us',
  'B/syn',
  'RSS MiB',
  'brian2 s',
  'brian2/flux',
];
const rows: string[][] = [];
/** The default thread choice of each network, as measured in its fastest run. */
const choices: string[] = [];
const row = (
  f: ReturnType<typeof runFluxOnce>,
  method: string,
  kernels: string,
  given: number | undefined,
  b: { loop_time_s: number } | null,
) =>
  rows.push([
    String(f.n),
    method,
    kernels,
    given === undefined ? `${f.threads} (chosen)` : String(f.threads),
    String(f.synapses),
    f.rateHz.toFixed(1),
    f.loopS.toFixed(3),
    f.rtf.toFixed(2),
    f.eventsPerS.toExponential(2),
    f.stepP50us.toFixed(1),
    f.stepP99us.toFixed(1),
    f.bytesPerSynapse.toFixed(2),
    f.rssMiB.toFixed(0),
    b ? b.loop_time_s.toFixed(3) : '-',
    b ? (b.loop_time_s / f.loopS).toFixed(2) : '-',
  ]);
for (const n of sizes) {
  for (const method of methods) {
    const dir = withBrian ? buildBrian(n, 1, method) : null;
    try {
      // The default (the thread choice measured at start); on the smallest network also both thread
      // counts given, and the TypeScript reference models for scale.
      const variants: ['wasm' | 'js', number | undefined][] = [['wasm', undefined]];
      if (n === sizes[0]) variants.push(['wasm', 2], ['wasm', 1]);
      if (n === sizes[0] && method === methods[0]) variants.push(['js', 1]);
      for (const [kernels, threads] of variants) {
        const c = compare(n, method, kernels, threads, dir);
        row(c.flux, method, kernels, threads, c.brian);
        const ch = c.flux.choice;
        if (threads === undefined)
          choices.push(
            ch
              ? `N=${n} ${method}: one thread ${ch.oneUs.toFixed(1)} us/step, two ${ch.twoUs.toFixed(1)} us/step (median of 3 blocks of 50 steps each) -> ${ch.threads}${ch.first ? `; first round ${ch.first.oneUs.toFixed(1)} / ${ch.first.twoUs.toFixed(1)} -> ${ch.first.threads}` : ''} (${c.flux.lockstep})`
              : `N=${n} ${method}: ${c.flux.threads} thread (too little work per step to try two)`,
          );
      }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log(header.map((h, i) => h.padStart(widths[i])).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
console.log(
  'brian2/flux > 1 means Flux is faster. Targets (issue 2): >= 1, aiming for 2; <= 10 B per static synapse, <= 16 with plasticity.',
);
console.log(
  `default thread choice, measured in two rounds of blocks before the loop, the second after ${new ThreadChoice().recheckAfterSteps} more steps (engine/backends/thread-choice.ts):`,
);
for (const c of choices) console.log(`  ${c}`);

// Memory with plasticity: the same 4000-neuron network with STDP, then reward-modulated STDP, on every projection.
for (const rule of ['stdp', 'reward_stdp']) {
  const plastic =
    cobaText(4000, 80, 'exponential_euler').replace(
      /synapse: \{ type: conductance, receptor: (excitatory|inhibitory) \} \}/g,
      (_m, r: string) =>
        `synapse: { type: conductance, receptor: ${r} }, plasticity: { rule: ${rule}, w_max: 100 nS${rule === 'reward_stdp' ? ', modulator: da' : ''} } }`,
    ) + (rule === 'reward_stdp' ? 'modulators:\n  da: { tau: 200 ms }\n' : '');
  const e = new Engine(loadFlat(join(ROOT, 'examples', 'coba-plastic.yaml'), plastic), { threads: 1 });
  const m = e.backend.memoryBytes();
  console.log(
    `with ${rule} on every synapse: ${((m.synapsesStatic + m.synapsesPlastic) / e.network.synapses).toFixed(2)} B/synapse (${(m.synapsesStatic / e.network.synapses).toFixed(2)} static + ${(m.synapsesPlastic / e.network.synapses).toFixed(2)} plasticity state)`,
  );
  e.backend.dispose();
}
