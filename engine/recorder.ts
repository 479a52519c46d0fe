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
  spikeSteps: number[];
  spikeIndices: number[];
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
      pop.state[p.variable] = { indices: p.indices, steps: [], values: [] };
    }
  }

  addPopulation(name: string, size: number): void {
    this.data.populations[name] ??= { size, spikeSteps: [], spikeIndices: [], state: {}, rateCounts: [] };
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
    for (let k = 0; k < count; k++) {
      pop.spikeSteps.push(step);
      pop.spikeIndices.push(spikes[k]);
    }
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
 * The spikes of `population` recorded since the last take (steps ascending), removed from the
 * recording: a consumer that reads as it goes (the bridge, once per tick) keeps memory bounded.
 */
export function takeSpikes(rec: Recording, population: string): { steps: number[]; indices: number[] } {
  const p = rec.populations[population];
  if (!p) return { steps: [], indices: [] };
  const out = { steps: p.spikeSteps, indices: p.spikeIndices };
  p.spikeSteps = [];
  p.spikeIndices = [];
  return out;
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
