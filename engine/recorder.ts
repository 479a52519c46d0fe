// Recording of spikes, sampled state and binned population rates. The JSON produced by
// toRecordingFile() is a public format (documented in the README): keep it stable.

export interface StateProbe {
  population: string;
  variable: string;
  /** Neuron indices within the population (default: the first min(size, 10)). */
  indices?: number[];
  /** Sample every this many steps (default 1). */
  every?: number;
}

export interface RecordingConfig {
  /** Populations whose spikes are kept ('all' or names); default all. */
  spikes?: 'all' | string[] | false;
  state?: StateProbe[];
  /** Population rate bin width in ms; default 10, 0 disables. */
  rateBin?: number;
}

export interface PopulationRecording {
  size: number;
  /** Read-only views of the recorded spikes (kept typed underneath: SpikeStore). */
  readonly spikeSteps: number[];
  readonly spikeIndices: number[];
  state: Record<string, { indices: number[]; steps: number[]; values: number[][] }>;
  rateCounts: number[];
}

export interface Recording {
  dt: number;
  rateBin: number;
  /** Time (ms) at which the first rate bin starts. */
  rateStart: number;
  populations: Record<string, PopulationRecording>;
}

export class Recorder {
  readonly data: Recording;
  private readonly spikePops: Set<string> | 'all' | null;
  private readonly probes: Required<StateProbe>[];
  private readonly binSteps: number;

  constructor(
    readonly config: RecordingConfig,
    dt: number,
    sizes: Map<string, number>,
    /** Step at which recording starts: rate bins count from here. */
    private readonly startStep = 0,
  ) {
    const rateBin = config.rateBin ?? 10;
    this.binSteps = rateBin > 0 ? Math.max(1, Math.round(rateBin / dt)) : 0;
    this.data = { dt, rateBin: this.binSteps * dt, rateStart: startStep * dt, populations: {} };
    this.spikePops =
      config.spikes === false ? null : config.spikes === undefined || config.spikes === 'all' ? 'all' : new Set(config.spikes);
    for (const [name, size] of sizes) this.addPopulation(name, size);
    this.probes = (config.state ?? []).map((p) => ({
      population: p.population,
      variable: p.variable,
      indices: p.indices ?? Array.from({ length: Math.min(sizes.get(p.population) ?? 0, 10) }, (_, i) => i),
      every: p.every ?? 1,
    }));
    for (const p of this.probes) {
      const pop = this.data.populations[p.population];
      if (!pop) throw new Error(`recording: no population "${p.population}"`);
      // An index past the population would read another population's (or a channel's) memory on the GPU.
      const bad = p.indices.find((i) => !Number.isInteger(i) || i < 0 || i >= pop.size);
      if (bad !== undefined) throw new Error(`recording: neuron ${bad} of "${p.population}" is not one of its ${pop.size} neurons`);
      pop.state[p.variable] = { indices: p.indices, steps: [], values: [] };
    }
  }

  addPopulation(name: string, size: number): void {
    if (Object.hasOwn(this.data.populations, name)) return;
    const store = new SpikeStore();
    const pop = { size, state: {}, rateCounts: [] } as Omit<PopulationRecording, 'spikeSteps' | 'spikeIndices'>;
    // Enumerable getters of the object itself: spreads and JSON see the arrays as before.
    Object.defineProperty(pop, 'spikeSteps', { enumerable: true, get: () => store.list('steps') });
    Object.defineProperty(pop, 'spikeIndices', { enumerable: true, get: () => store.list('indices') });
    stores.set(pop as PopulationRecording, store);
    this.data.populations[name] = pop as PopulationRecording;
  }

  spikes(step: number, population: string, spikes: Uint32Array, count: number): void {
    const pop = this.data.populations[population];
    if (!pop) return;
    if (this.binSteps > 0) {
      const bin = Math.floor((step - this.startStep) / this.binSteps);
      while (pop.rateCounts.length <= bin) pop.rateCounts.push(0);
      pop.rateCounts[bin] += count;
    }
    if (this.spikePops === null || (this.spikePops !== 'all' && !this.spikePops.has(population))) return;
    stores.get(pop)?.add(step, spikes, count);
  }

  wantsState(step: number): boolean {
    return this.probes.some((p) => step % p.every === 0);
  }

  sample(step: number, read: (population: string, variable: string) => ArrayLike<number> | undefined): void {
    for (const p of this.probes) {
      if (step % p.every !== 0) continue;
      const arr = read(p.population, p.variable);
      if (!arr) continue;
      const rec = this.data.populations[p.population].state[p.variable];
      rec.steps.push(step);
      rec.values.push(p.indices.map((i) => arr[i]));
    }
  }
}

/**
 * A population's recorded spikes in typed arrays grown by doubling, with the number[] views the
 * Recording shows made as they are read. A consumer that takes the spikes every tick (the bridge at
 * 1 kHz) reuses the same memory: fresh arrays per tick were the largest garbage of the robot loop,
 * whose collections (1-2 ms each, several a second) showed in its latency.
 */
class SpikeStore {
  // Steps in float64: a step index passes 2^32 after 119 h at dt 0.1 ms, and a robot runs that long.
  private steps = new Float64Array(64);
  private indices = new Uint32Array(64);
  private n = 0;
  private lists: { steps: number[]; indices: number[] } = { steps: [], indices: [] };

  add(step: number, spikes: ArrayLike<number>, count: number): void {
    if (this.n + count > this.steps.length) {
      const size = Math.max(this.n + count, 2 * this.steps.length);
      const steps = new Float64Array(size);
      const indices = new Uint32Array(size);
      steps.set(this.steps.subarray(0, this.n));
      indices.set(this.indices.subarray(0, this.n));
      this.steps = steps;
      this.indices = indices;
    }
    this.steps.fill(step, this.n, this.n + count);
    for (let k = 0; k < count; k++) this.indices[this.n + k] = spikes[k];
    this.n += count;
  }

  /** The recorded spikes as a number[] (the same array, extended, until the next take). */
  list(which: 'steps' | 'indices'): number[] {
    const out = this.lists[which];
    const from = which === 'steps' ? this.steps : this.indices;
    for (let k = out.length; k < this.n; k++) out.push(from[k]);
    return out;
  }

  /** The spikes since the last take, as views valid until the next spike is recorded; then none are kept. */
  take(): { steps: Float64Array; indices: Uint32Array } {
    const out = { steps: this.steps.subarray(0, this.n), indices: this.indices.subarray(0, this.n) };
    this.n = 0;
    if (this.lists.steps.length || this.lists.indices.length) this.lists = { steps: [], indices: [] };
    return out;
  }
}

const stores = new WeakMap<PopulationRecording, SpikeStore>();

/**
 * The spikes of `population` recorded since the last take (steps ascending), removed from the
 * recording: a consumer that reads as it goes (the bridge, once per tick) keeps memory bounded. The
 * arrays are views of the recorder's memory: read them before the engine steps again.
 */
export function takeSpikes(rec: Recording, population: string): { steps: Float64Array; indices: Uint32Array } {
  const p = rec.populations[population];
  const store = p && stores.get(p);
  return store ? store.take() : { steps: new Float64Array(0), indices: new Uint32Array(0) };
}

/**
 * The samples of `population`'s `variable` recorded since the last take, removed from the recording
 * (as takeSpikes): a live view that reads them once per tick keeps memory bounded.
 */
export function takeState(
  rec: Recording,
  population: string,
  variable: string,
): { indices: number[]; steps: number[]; values: number[][] } {
  const s = rec.populations[population]?.state[variable];
  if (!s) return { indices: [], steps: [], values: [] };
  const out = { indices: s.indices, steps: s.steps, values: s.values };
  s.steps = [];
  s.values = [];
  return out;
}

/** The public recording file (JSON). Times in ms, indices within the population. */
export function toRecordingFile(rec: Recording, meta: { circuit: string; backend: string; seed: number; durationMs: number }): object {
  const dt = rec.dt;
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    format: 'flux-recording',
    version: 1,
    circuit: meta.circuit,
    backend: meta.backend,
    seed: meta.seed,
    dt_ms: dt,
    duration_ms: meta.durationMs,
    populations: Object.fromEntries(
      Object.entries(rec.populations).map(([name, p]) => [
        name,
        {
          size: p.size,
          spikes: { times_ms: p.spikeSteps.map((s) => round(s * dt)), indices: p.spikeIndices },
          state: Object.fromEntries(
            Object.entries(p.state).map(([v, s]) => [
              v,
              { indices: s.indices, times_ms: s.steps.map((x) => round((x + 1) * dt)), values: s.values },
            ]),
          ),
          rate:
            rec.rateBin > 0
              ? {
                  start_ms: round(rec.rateStart),
                  bin_ms: rec.rateBin,
                  hz: p.rateCounts.map((c) => round((c / p.size / rec.rateBin) * 1000)),
                }
              : undefined,
        },
      ]),
    ),
  };
}
