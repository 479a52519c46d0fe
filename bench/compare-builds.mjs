// Two builds of Flux on the same network in one process, alternating: how a change moved the speed.
// Issue 18 replaced the hand-written neuron kernels by generated ones; the hand-written code is gone
// from the tree, so the comparison runs an earlier commit's build beside this one:
//   git worktree add /tmp/flux-base <commit> && (cd /tmp/flux-base && npm ci && npm run build)
//   npm run build && node bench/compare-builds.mjs /tmp/flux-base [exponential_euler|euler|izhikevich|adex] [1|2|default] [steps]
// exponential_euler and euler: both sides build COBA 4000 (80 synapses per neuron) from their own
// examples/coba.yaml; izhikevich and adex: 4000 neurons of the built-in model (3200 + 800, Poisson
// drive, current synapses, 1 ms recurrent delays; the document is this script's). Each runs 200
// warm-up steps, then times `steps` steps (default 5000 = 0.5 s of biological time); best of
// FLUX_BENCH_REPEATS (default 5) each. Spike counts are printed: equal counts say the two builds
// compute the same network. Each round runs each side in a process of its own (alternating), so that
// neither build's code, JIT state or kernel thread shares a process with the other's: with two
// threads, two engines in one process measured the second 6-12% slower than either alone.
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';

if (process.argv[2] === '--side') {
  // A child: one build, one network, the best of three timed runs, as JSON on stdout.
  const [root, method, threadsArg, stepsArg] = process.argv.slice(3);
  const run = await side(root, method, threadsArg === 'default' ? undefined : Number(threadsArg), Number(stepsArg));
  let best;
  for (let k = 0; k < 3; k++) {
    const x = run();
    if (!best || x.ms < best.ms) best = x;
  }
  console.log(JSON.stringify(best));
  process.exit(0);
}

const [base, method = 'exponential_euler', threadsArg = '1', stepsArg = '5000'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node bench/compare-builds.mjs <root of another built checkout> [method] [threads] [steps]');
  process.exit(2);
}
const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const steps = Number(stepsArg);
const repeats = Number(process.env.FLUX_BENCH_REPEATS ?? 5);

/** 4000 neurons of a built-in model driven by Poisson inputs through current synapses (izhikevich: RS and FS cells). */
function builtinNetwork(model) {
  const izh = model === 'izhikevich';
  const p = (exc) => (izh ? `, params: { a: ${exc ? 0.02 : 0.1}, b: 0.2, c: -65, d: ${exc ? 8 : 2} }` : '');
  const w = (x) => `${izh ? x : 100 * x} pA`;
  const proj = (name, src, tgt, n, weight, extra) =>
    `  ${name}: { source: ${src}, target: ${tgt}, connectivity: { type: fixed_indegree, n: ${n} }, weight: ${weight}${extra}, synapse: { type: current, receptor: ${name === 'ie' ? 'inhibitory' : 'excitatory'} } }`;
  return [
    'dt: 0.1 ms',
    'seed: 3',
    'populations:',
    '  drive: { model: poisson, size: 400, params: { rate: 20 Hz } }',
    `  exc: { model: ${model}, size: 3200${p(true)} }`,
    `  inh: { model: ${model}, size: 800${p(false)} }`,
    'projections:',
    proj('de', 'drive', 'exc', 40, w(3), ''),
    proj('di', 'drive', 'inh', 40, w(3), ''),
    proj('ee', 'exc', 'exc', 40, w(0.5), ', delay: 1 ms'),
    proj('ie', 'inh', 'exc', 20, w(1), ', delay: 1 ms'),
    '',
  ].join('\n');
}

/** A side: the build under `root`, running the network once and returning its loop time and counts. */
async function side(root, method, threads, steps) {
  const { Engine } = await import(resolve(root, 'dist/engine/engine.js'));
  const { loadFlat } = await import(resolve(root, 'dist/engine/circuit/resolve.js'));
  const { cobaText } = await import(resolve(root, 'dist/bench/networks.js'));
  const coba = method === 'exponential_euler' || method === 'euler';
  const text = coba ? cobaText(4000, 80, method) : builtinNetwork(method);
  return () => {
    const e = new Engine(loadFlat(resolve(root, coba ? 'examples/coba.yaml' : 'network.yaml'), text), { threads });
    try {
      e.backend.configureRecording({ spikes: false, rateBin: 10 });
      e.step(200);
      const t = performance.now();
      e.step(steps);
      const ms = performance.now() - t;
      const spikes = Object.values(e.backend.recording().populations).reduce((a, p) => a + p.rateCounts.reduce((x, y) => x + y, 0), 0);
      return { ms, spikes, threads: e.backend.threadCount };
    } finally {
      e.backend.dispose();
    }
  };
}

const script = fileURLToPath(import.meta.url);
const sides = { base: resolve(base), this: here };
const best = {};
for (let r = 0; r < repeats; r++)
  for (const [k, root] of Object.entries(sides)) {
    const out = execFileSync(process.execPath, [script, '--side', root, method, threadsArg, stepsArg], { encoding: 'utf8' });
    const x = JSON.parse(out.trim().split('\n').pop());
    if (!best[k] || x.ms < best[k].ms) best[k] = x;
    process.stderr.write(`\r${method}: round ${r + 1}/${repeats}`);
  }
process.stderr.write('\n');
const [l1, l5] = loadavg();
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, node ${process.version}; load ${l1.toFixed(1)} (1 min) ${l5.toFixed(1)} (5 min)`,
);
for (const [k, x] of Object.entries(best))
  console.log(
    `${k.padEnd(5)} ${k === 'base' ? resolve(base) : here}: ${x.ms.toFixed(1)} ms for ${steps} steps, ${x.threads} thread(s), ${x.spikes} spikes`,
  );
console.log(
  `${method === 'exponential_euler' || method === 'euler' ? `COBA 4000 ${method}` : `${method} 4000`}, threads ${threadsArg}: base/this = ${(best.base.ms / best.this.ms).toFixed(2)} (> 1: this build is faster)`,
);
