// A circuit run on its own in the page (no robot): stepped in chunks of simulated time, in real time
// or as fast as it goes, with each population's spikes counted and the last second kept for a raster.
import { Engine, type BackendChoice } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { takeSpikes } from '../engine/recorder.js';
import { turn } from '../engine/platform/turn.js';

export interface CircuitSummary {
  simSeconds: number;
  backend: string;
  /** The CPU backend's kernel threads at the end (1 elsewhere). */
  threads: number;
  /** Worker threads the projections were wired in (0: the page's thread). */
  wiringWorkers: number;
  /** Spikes of each population since the start. */
  spikes: Record<string, number>;
  /** Mean firing rate of each population (Hz). */
  rates: Record<string, number>;
}

/** The raster keeps this much of the most recent simulated time (ms). */
const WINDOW_MS = 1000;
/** And at most this many spikes of it (the oldest go first). */
const MAX_POINTS = 50_000;

export class CircuitRun {
  private steps = 0;
  private stopped = false;
  private readonly counts = new Map<string, number>();
  /** Recent spikes: time (ms) and row (neuron, populations stacked in document order). */
  private recent: { t: number[]; row: number[] } = { t: [], row: [] };

  /** Populations in document order, with the first raster row of each (a page's circuit is not edited). */
  private readonly layout: { name: string; size: number; first: number }[];

  private constructor(readonly engine: Engine<Backend>) {
    engine.backend.configureRecording({});
    let first = 0;
    this.layout = engine.circuit.populations.map((p) => {
      const r = { name: p.name, size: p.size, first };
      first += p.size;
      return r;
    });
  }

  static async start(file: string, engine: { backend: BackendChoice; threads?: number }, log: (line: string) => void): Promise<CircuitRun> {
    return new CircuitRun(await Engine.create(loadFlat(file), { ...engine, log }));
  }

  get dt(): number {
    return this.engine.circuit.dt;
  }

  /** Populations in document order, with the first raster row of each. */
  rows(): readonly { name: string; size: number; first: number }[] {
    return this.layout;
  }

  /** Runs `seconds` of simulated time (Infinity: until stop()), in chunks of 10 ms, paced to the wall clock unless `paced` is false. */
  async runFor(seconds: number, paced: boolean): Promise<void> {
    const chunk = Math.max(1, Math.round(10 / this.dt));
    const end = Number.isFinite(seconds) ? Math.round((seconds * 1000) / this.dt) : Infinity;
    const wall0 = performance.now();
    const step0 = this.steps;
    while (!this.stopped && this.steps < end) {
      const n = Math.min(chunk, end - this.steps);
      await this.engine.step(n);
      this.steps += n;
      this.collect();
      const ahead = (this.steps - step0) * this.dt - (performance.now() - wall0);
      if (paced && ahead > 1) await new Promise((r) => setTimeout(r, ahead));
      // The page draws and answers between chunks.
      else await turn();
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private collect(): void {
    const rec = this.engine.backend.recording();
    for (const { name, first } of this.rows()) {
      const { steps, indices } = takeSpikes(rec, name);
      this.counts.set(name, (this.counts.get(name) ?? 0) + steps.length);
      for (let i = 0; i < steps.length; i++) {
        this.recent.t.push(steps[i] * this.dt);
        this.recent.row.push(first + indices[i]);
      }
    }
    const from = this.steps * this.dt - WINDOW_MS;
    let drop = 0;
    while (drop < this.recent.t.length && (this.recent.t[drop] < from || this.recent.t.length - drop > MAX_POINTS)) drop++;
    if (drop) this.recent = { t: this.recent.t.slice(drop), row: this.recent.row.slice(drop) };
  }

  /** The raster's points and the time they end at (ms). */
  raster(): { t: readonly number[]; row: readonly number[]; now: number; windowMs: number } {
    return { ...this.recent, now: this.steps * this.dt, windowMs: WINDOW_MS };
  }

  summary(): CircuitSummary {
    const simSeconds = (this.steps * this.dt) / 1000;
    const spikes = Object.fromEntries(this.rows().map(({ name }) => [name, this.counts.get(name) ?? 0]));
    const rates = Object.fromEntries(this.rows().map(({ name, size }) => [name, simSeconds > 0 ? spikes[name] / size / simSeconds : 0]));
    return {
      simSeconds,
      backend: this.engine.backend.name,
      threads: this.engine.kernelThreads,
      wiringWorkers: this.engine.wiredInWorkers,
      spikes,
      rates,
    };
  }

  dispose(): void {
    this.engine.dispose();
  }
}
