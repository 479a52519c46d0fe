// Running a circuit for a fixed duration with recording: shared by `flux simulate` and `flux demo`.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Engine, type BackendChoice } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import type { GpuStepping } from '../engine/backends/webgpu/stepping.js';
import { toRecordingFile, type StateProbe } from '../engine/recorder.js';
import { modelOf } from '../engine/models/registry.js';
import { ProgressLine } from './progress.js';
import { rasterSvg } from './raster.js';

export interface SimulateOptions {
  durationMs: number;
  dt?: number;
  seed?: number;
  /** 'spikes' and/or state variable names (v, u, w, ge, gi, ie, ii). */
  record: string[];
  out?: string;
  format?: 'json' | 'csv';
  raster?: string;
  quiet?: boolean;
  threads?: number;
  /** Threads that wire the projections (Engine.create's wiringWorkers). */
  wiringWorkers?: number;
  kernels?: 'wasm' | 'js';
  backend?: BackendChoice;
  /** WebGPU: Engine.create's gpuStepping. */
  gpuStepping?: GpuStepping;
}

export interface SimulateResult {
  engine: Engine<Backend>;
  loopSeconds: number;
  steps: number;
  spikes: Record<string, number>;
}

export async function simulate(file: string, o: SimulateOptions): Promise<SimulateResult> {
  const compileBar = new ProgressLine('compiling', o.quiet);
  const built = performance.now();
  const engine = await Engine.create(file, {
    backend: o.backend ?? 'cpu',
    dt: o.dt,
    seed: o.seed,
    threads: o.threads,
    wiringWorkers: o.wiringWorkers,
    kernels: o.kernels,
    gpuStepping: o.gpuStepping,
    progress: (f, label) => compileBar.update(f, label),
    log: (line) => compileBar.note(line),
  });
  compileBar.done(
    `${engine.network.neurons} neurons, ${engine.network.synapses} synapses in ${((performance.now() - built) / 1000).toFixed(1)} s`,
  );
  const stateVars = o.record.filter((r) => r !== 'spikes');
  const probes: StateProbe[] = [];
  for (const pop of engine.circuit.populations) {
    const model = modelOf(pop.model, engine.circuit.models);
    for (const v of stateVars)
      if ((model && Object.hasOwn(model.state, v)) || ['ie', 'ii', 'ge', 'gi'].includes(v))
        probes.push({ population: pop.name, variable: v });
  }
  engine.backend.configureRecording({ spikes: o.record.includes('spikes') ? 'all' : false, state: probes });
  const dt = engine.backend.dt;
  const steps = Math.round(o.durationMs / dt);
  const bar = new ProgressLine('simulating', o.quiet || steps < 2000);
  const chunk = Math.max(1, Math.floor(steps / 100));
  const t0 = performance.now();
  for (let done = 0; done < steps;) {
    const n = Math.min(chunk, steps - done);
    await engine.step(n);
    done += n;
    bar.update(done / steps, `${(done * dt).toFixed(0)} / ${o.durationMs} ms`);
  }
  const loopSeconds = (performance.now() - t0) / 1000;
  bar.done(`${loopSeconds.toFixed(2)} s wall, real-time factor ${((steps * dt) / 1000 / loopSeconds).toFixed(2)}`);
  const rec = engine.backend.recording();
  const spikes = Object.fromEntries(Object.entries(rec.populations).map(([k, p]) => [k, p.spikeSteps.length]));
  const durationMs = steps * dt;
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    const meta = { circuit: engine.circuit.name, backend: engine.backend.name, seed: engine.circuit.seed, durationMs };
    if ((o.format ?? (o.out.endsWith('.csv') ? 'csv' : 'json')) === 'csv') writeCsv(o.out, rec);
    else writeFileSync(o.out, JSON.stringify(toRecordingFile(rec, meta)));
  }
  if (o.raster) {
    mkdirSync(dirname(o.raster), { recursive: true });
    writeFileSync(
      o.raster,
      rasterSvg(rec, durationMs, `${engine.circuit.name}: ${durationMs} ms, dt ${dt} ms, seed ${engine.circuit.seed}`),
    );
  }
  engine.backend.dispose();
  return { engine, loopSeconds, steps, spikes };
}

/** CSV: the spikes file as given, the state samples next to it with the suffix .state.csv. */
function writeCsv(path: string, rec: ReturnType<Backend['recording']>): void {
  const lines = ['population,index,time_ms'];
  for (const [name, p] of Object.entries(rec.populations))
    for (let k = 0; k < p.spikeSteps.length; k++) lines.push(`${name},${p.spikeIndices[k]},${+(p.spikeSteps[k] * rec.dt).toFixed(6)}`);
  writeFileSync(path, lines.join('\n') + '\n');
  const state = ['population,variable,index,time_ms,value'];
  for (const [name, p] of Object.entries(rec.populations))
    for (const [v, s] of Object.entries(p.state))
      s.steps.forEach((step, r) =>
        s.indices.forEach((idx, c) => state.push(`${name},${v},${idx},${+((step + 1) * rec.dt).toFixed(6)},${s.values[r][c]}`)),
      );
  if (state.length > 1) writeFileSync(path.replace(/\.csv$/, '') + '.state.csv', state.join('\n') + '\n');
}
