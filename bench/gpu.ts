// The WebGPU backend's benchmark (`npm run bench` runs it after the CPU one; bench/gpu-machine.sh runs
// it on a machine with a real GPU). In one run: the adapter, a parity check against the CPU reference
// on this adapter, COBA 4000 (with the CPU in the same run), the scaling series of LIF networks with
// 100 synapses per neuron at dt 1 ms, and the Potjans-Diesmann microcircuit (77,169 neurons, ~3e8
// synapses, dt 0.1 ms). Prints real-time factor, synaptic events per second, step latency and memory.
//
// On a software adapter (llvmpipe, lavapipe) the sizes are small and the numbers are not GPU speed:
// software WebGPU checks correctness. FLUX_GPU_BENCH=full forces the full series, =quick the small one;
// FLUX_GPU_BENCH_SIZES overrides the scaling sizes, FLUX_GPU_BENCH_PD=0 skips the microcircuit.
import { cpus, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { acquireGpu, type GpuContext } from '../engine/backends/webgpu/gpu.js';
import { WebGpuBackend } from '../engine/backends/webgpu/webgpu.js';
import type { GpuStepping } from '../engine/backends/webgpu/stepping.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { ProgressLine } from '../cli/progress.js';
import { ClosedLoop } from '../sim/loop.js';
import { MICROCIRCUIT_NEST_RATES, ROOT, cobaText } from './networks.js';

const failures: string[] = [];

function check(name: string, ok: boolean, detail: string): void {
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  if (!ok) failures.push(name);
}

async function open(
  file: string,
  text: string | undefined,
  backend: 'cpu' | 'webgpu',
  ctx: GpuContext,
  dt?: number,
  label = file,
  gpuStepping: GpuStepping = 'auto',
): Promise<{ e: Engine<Backend>; compileS: number }> {
  const bar = new ProgressLine(`${label} (${backend}) compiling`);
  const t0 = performance.now();
  const e = await Engine.create(loadFlat(file, text), { backend, gpu: ctx, dt, gpuStepping, progress: (f, l) => bar.update(f, l) });
  bar.done();
  return { e, compileS: (performance.now() - t0) / 1000 };
}

function totalSpikes(e: Engine<Backend>): number {
  return Object.values(e.backend.recording().populations).reduce((a, p) => a + p.rateCounts.reduce((x, y) => x + y, 0), 0);
}

/** Times `steps` steps in calls of `chunk`; returns loop seconds and per-step latency percentiles (us). */
async function timeSteps(e: Engine<Backend>, steps: number, chunk: number, label: string) {
  const bar = new ProgressLine(label);
  const lat: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < steps; s += chunk) {
    const a = performance.now();
    await e.step(Math.min(chunk, steps - s));
    lat.push(((performance.now() - a) / Math.min(chunk, steps - s)) * 1000);
    bar.update((s + chunk) / steps);
  }
  bar.done();
  lat.sort((x, y) => x - y);
  return {
    loopS: (performance.now() - t0) / 1000,
    p50: lat[Math.floor(lat.length / 2)],
    p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))],
  };
}

async function parity(ctx: GpuContext): Promise<void> {
  console.log('parity with the CPU reference on this adapter:');
  // Izhikevich 2003 patterns, 1000 ms: spike counts equal to Brian2's float32 run and to the CPU.
  const ref = JSON.parse(readFileSync(join(ROOT, 'tests/reference/izhikevich_brian2.json'), 'utf8')) as {
    patterns: Record<string, { count_f32: number }>;
  };
  const counts: Record<string, Record<string, number>> = {};
  for (const [b, stepping] of [
    ['cpu', 'auto'],
    ['webgpu', 'dispatch'],
    ['resident', 'resident'],
  ] as const) {
    const { e } = await open(
      join(ROOT, 'examples/izhikevich-patterns.yaml'),
      undefined,
      b === 'cpu' ? 'cpu' : 'webgpu',
      ctx,
      undefined,
      b,
      stepping,
    );
    e.backend.configureRecording({});
    await e.step(10000);
    counts[b] = Object.fromEntries(Object.entries(e.backend.recording().populations).map(([k, p]) => [k, p.spikeSteps.length]));
    e.dispose();
  }
  const names = Object.keys(ref.patterns);
  check(
    'Izhikevich patterns',
    names.every(
      (k) =>
        counts.webgpu[k] === ref.patterns[k].count_f32 && counts.webgpu[k] === counts.cpu[k] && counts.resident[k] === counts.webgpu[k],
    ),
    names.map((k) => `${k} ${counts.webgpu[k]}/${counts.resident[k]}/${ref.patterns[k].count_f32}`).join(', ') +
      ' (gpu dispatch/resident/Brian2 f32)',
  );
  // STDP pairing: the weight after 10 pairings.
  const w: Record<string, number> = {};
  for (const b of ['cpu', 'webgpu'] as const) {
    const { e } = await open(join(ROOT, 'examples/stdp-pairing.yaml'), undefined, b, ctx);
    await e.step(100000);
    w[b] = (await e.backend.readWeights('syn'))[0];
    e.dispose();
  }
  check(
    'STDP pairing weight',
    Math.abs(w.webgpu - w.cpu) <= 1e-4 * Math.abs(w.cpu),
    `gpu ${w.webgpu.toFixed(6)} pA, cpu ${w.cpu.toFixed(6)} pA`,
  );
  // COBA 4000, 1 s: chaotic, so rates (10%) and the step up to which spikes agree exactly.
  const rec: Record<string, { rate: number; steps: number[] }> = {};
  for (const [b, stepping] of [
    ['cpu', 'auto'],
    ['webgpu', 'dispatch'],
    ['resident', 'resident'],
  ] as const) {
    const { e } = await open(join(ROOT, 'examples/coba.yaml'), undefined, b === 'cpu' ? 'cpu' : 'webgpu', ctx, undefined, b, stepping);
    e.backend.configureRecording({ spikes: ['exc'] });
    await e.step(10000);
    const p = e.backend.recording().populations.exc;
    rec[b] = { rate: p.spikeSteps.length / p.size, steps: p.spikeSteps.map((s, k) => s * 1e5 + p.spikeIndices[k]) };
    e.dispose();
  }
  // The same functions in the same order: resident stepping must give the dispatches' spikes exactly.
  const sameSpikes = rec.resident.steps.length === rec.webgpu.steps.length && rec.resident.steps.every((x, k) => x === rec.webgpu.steps[k]);
  check('COBA resident = dispatch', sameSpikes, `${rec.resident.steps.length} and ${rec.webgpu.steps.length} exc spikes in 1 s`);
  let same = 0;
  while (same < rec.cpu.steps.length && rec.cpu.steps[same] === rec.webgpu.steps[same]) same++;
  const firstDiff = same < rec.cpu.steps.length ? Math.floor(rec.cpu.steps[same] / 1e5) * 0.1 : 1000;
  check(
    'COBA rates',
    Math.abs(rec.webgpu.rate / rec.cpu.rate - 1) < 0.1,
    `exc ${rec.webgpu.rate.toFixed(2)} Hz (cpu ${rec.cpu.rate.toFixed(2)} Hz); spikes identical up to ${firstDiff.toFixed(1)} ms`,
  );
}

/** Robot-style round trip: one step, outputs back on the host. */
async function robotRoundTrip(ctx: GpuContext, stepping: GpuStepping): Promise<void> {
  const { e } = await open(
    join(ROOT, 'library/braitenberg/braitenberg.yaml'),
    undefined,
    'webgpu',
    ctx,
    undefined,
    'braitenberg',
    stepping,
  );
  const lat: number[] = [];
  for (let k = 0; k < 300; k++) {
    e.backend.setInput('range_left', (k % 10) / 10);
    const a = performance.now();
    await e.step(1);
    e.backend.readOutput('wheel_left');
    lat.push((performance.now() - a) * 1000);
  }
  lat.sort((x, y) => x - y);
  console.log(
    `robot round trip (braitenberg.yaml, ${(e.backend as WebGpuBackend).stepMode()}: input up, 1 step, outputs back): p50 ${lat[150].toFixed(0)} us, p99 ${lat[296].toFixed(0)} us`,
  );
  e.dispose();
}

// The closed loop (simulated robot + Braitenberg + bridge, lockstep on simulated time), on both
// backends: the decoders read a tick's spikes in one read-back.
async function closedLoops(ctx: GpuContext): Promise<void> {
  for (const backend of ['cpu', 'webgpu'] as const) {
    try {
      const loop = await ClosedLoop.create({
        bridge: join(ROOT, 'examples/bridges/braitenberg.yaml'),
        arena: 'cluttered',
        backend,
        threads: 1,
        gpu: ctx,
        log: () => undefined,
      });
      const t0 = performance.now();
      await loop.runFor(10);
      const wall = (performance.now() - t0) / 1000;
      const sm = loop.summary();
      console.log(
        `closed loop (${backend}): 10 s simulated in ${wall.toFixed(2)} s (${(10 / wall).toFixed(1)}x real time), ${sm.distance.toFixed(1)} m, ${sm.collisions} collisions`,
      );
      await loop.close();
    } catch (err) {
      console.log(`closed loop (${backend}): FAILED ${(err as Error).message}`);
    }
  }
}

// Scaling series: LIF (COBA-style, conductance synapses) with 100 synapses per neuron, dt 1 ms.
async function scalingSeries(ctx: GpuContext, table: string[][], mode: string): Promise<void> {
  const sizes = (process.env.FLUX_GPU_BENCH_SIZES ?? (mode === 'full' ? '10000,100000,1000000' : '10000')).split(',').map(Number);
  // Sizes that 'auto' may run resident are timed both ways.
  const runs = sizes.flatMap((n) => (n <= 16384 ? (['dispatch', 'resident'] as const) : (['auto'] as const)).map((m) => [n, m] as const));
  for (const [n, stepping] of runs) {
    // One size that does not fit (binding limits, memory) must not cost the rows that did.
    try {
      const file = join(ROOT, 'examples', `lif-scale-${n}.yaml`);
      const { e, compileS } = await open(file, cobaText(n, 100), 'webgpu', ctx, 1, `LIF ${n}`, stepping);
      e.backend.configureRecording({ spikes: false });
      await e.step(20);
      const before = totalSpikes(e);
      const t = await timeSteps(e, 1000, 250, `LIF ${n}`);
      row(table, `LIF ${n} x100 syn`, e, compileS, t, totalSpikes(e) - before, 1, 1);
      e.dispose();
    } catch (err) {
      console.log(`LIF ${n}: FAILED ${(err as Error).message}`);
    }
  }
}

// The Potjans-Diesmann microcircuit.
async function microcircuit(ctx: GpuContext, table: string[][], mode: string): Promise<void> {
  if (process.env.FLUX_GPU_BENCH_PD !== '0' && mode === 'full') {
    try {
      const { e, compileS } = await open(
        join(ROOT, 'library/microcircuit/potjans-diesmann.yaml'),
        undefined,
        'webgpu',
        ctx,
        undefined,
        'microcircuit',
      );
      e.backend.configureRecording({ spikes: false, rateBin: 100 });
      await e.step(1000);
      const before = totalSpikes(e);
      const t = await timeSteps(e, 10000, 1000, 'microcircuit');
      row(table, 'Potjans-Diesmann', e, compileS, t, totalSpikes(e) - before, 1, 0.1);
      const rec = e.backend.recording().populations;
      console.log('microcircuit rates after 100 ms warm-up (Hz; NEST reference in brackets):');
      const nest = MICROCIRCUIT_NEST_RATES;
      console.log(
        '  ' +
          Object.entries(rec)
            .map(
              ([k, p]) =>
                `${k} ${(p.rateCounts.slice(1).reduce((a, b) => a + b, 0) / p.size / ((p.rateCounts.length - 1) * 0.1)).toFixed(2)} [${nest[k] ?? '-'}]`,
            )
            .join(', '),
      );
      e.dispose();
    } catch (err) {
      console.log(`microcircuit: FAILED ${(err as Error).message}`);
    }
  }
}

async function main(): Promise<void> {
  const got = await acquireGpu();
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`,
  );
  if (!got.ok) {
    console.log(`webgpu: no adapter (${got.reason}); nothing to time`);
    process.exitCode = process.env.CI === 'true' ? 1 : 0;
    return;
  }
  const ctx = got.context;
  const mode = process.env.FLUX_GPU_BENCH ?? (ctx.software ? 'quick' : 'full');
  console.log(
    `adapter: ${ctx.description}${ctx.software ? ' -- a SOFTWARE adapter: numbers below check the code path, they are not GPU speed' : ''}`,
  );
  console.log(
    `limits: storage binding ${(ctx.device.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB, buffer ${(ctx.device.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB`,
  );
  await parity(ctx);

  // COBA 4000 for 1 s on both backends.
  console.log('\nCOBA (examples/coba.yaml), 4000 neurons, dt 0.1 ms, 1 s biological time:');
  const table: string[][] = [
    [
      'network',
      'backend',
      'neurons',
      'synapses',
      'dt ms',
      'compile s',
      'loop s',
      'RTF',
      'rate Hz',
      'syn ev/s',
      'step p50 us',
      'step p99 us',
      'GPU MiB',
    ],
  ];
  const coba = async (backend: 'cpu' | 'webgpu', stepping: GpuStepping = 'auto') => {
    const { e, compileS } = await open(join(ROOT, 'examples/coba.yaml'), undefined, backend, ctx, undefined, 'coba', stepping);
    e.backend.configureRecording({ spikes: false });
    await e.step(200);
    const before = totalSpikes(e);
    const t = await timeSteps(e, 10000, 1000, `coba ${backend} ${stepping}`);
    const spikes = totalSpikes(e) - before;
    row(table, 'COBA 4000', e, compileS, t, spikes, 1, 0.1);
    if (e.backend instanceof WebGpuBackend) {
      // Chunks are pipelined, so a run is bound by the larger of host encoding and GPU time per step.
      const us = e.backend.encodingCost();
      console.log(
        `host encoding (${e.backend.stepMode()}): ${us.toFixed(2)} us per COBA step, ${e.backend.dispatchesPerStep()} dispatches (an RTF ceiling of ${(100 / us).toFixed(1)} at dt 0.1 ms from the host alone); measured ${((t.loopS / 10000) * 1e6).toFixed(1)} us per step`,
      );
    }
    e.dispose();
    return t.loopS;
  };
  const cpuS = await coba('cpu');
  const gpuS = await coba('webgpu', 'dispatch');
  const residentS = await coba('webgpu', 'resident');
  await robotRoundTrip(ctx, 'dispatch');
  await robotRoundTrip(ctx, 'resident');
  await closedLoops(ctx);
  await scalingSeries(ctx, table, mode);
  await microcircuit(ctx, table, mode);

  console.log('');
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
  console.log(
    `COBA 4000: webgpu/cpu speed ${(cpuS / gpuS).toFixed(2)}x with dispatches, ${(cpuS / residentS).toFixed(2)}x resident; resident/dispatch ${(gpuS / residentS).toFixed(2)}x (same run). RTF = biological time / wall time.`,
  );
  console.log(
    'Targets on an H100-class GPU (issue 20): COBA 4000 RTF >= 30 (resident); robot round trip well below 100 us; microcircuit RTF >= 4 (GeNN, RTX 4090: 3.7).',
  );
  if (failures.length) {
    console.log(`parity FAILED: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
  ctx.device.destroy();
}

/** 'webgpu resident', or 'webgpu dispatch (n/step)': what the per-step floor scales with. */
function gpuLabel(b: WebGpuBackend): string {
  return b.stepMode() === 'resident' ? 'webgpu resident' : `webgpu dispatch (${b.dispatchesPerStep()}/step)`;
}

function row(
  table: string[][],
  name: string,
  e: Engine<Backend>,
  compileS: number,
  t: { loopS: number; p50: number; p99: number },
  spikes: number,
  bioS: number,
  dt: number,
): void {
  const net = e.network;
  const gpu = e.backend instanceof WebGpuBackend;
  const m = e.backend.memoryBytes();
  const cells = [
    name,
    e.backend instanceof WebGpuBackend ? gpuLabel(e.backend) : 'cpu',
    String(net.neurons),
    String(net.synapses),
    String(dt),
    compileS.toFixed(1),
    t.loopS.toFixed(3),
    (bioS / t.loopS).toFixed(2),
    (spikes / net.neurons / bioS).toFixed(2),
    ((spikes * (net.synapses / net.neurons)) / t.loopS).toExponential(2),
    t.p50.toFixed(1),
    t.p99.toFixed(1),
    gpu ? ((m.neurons + m.synapsesStatic + m.synapsesPlastic + m.buffers) / 2 ** 20).toFixed(0) : '-',
  ];
  table.push(cells);
  // Printed at once too, so a run stopped by a time limit still reports what it measured.
  console.log('  row: ' + table[0].map((h, i) => `${h}=${cells[i]}`).join(', '));
}

await main();
