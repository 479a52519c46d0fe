import { describe, expect, it } from 'vitest';
import { Recorder, takeSpikes, toRecordingFile } from './recorder.js';

describe('Recorder spike store', () => {
  const recorder = () => new Recorder({ spikes: 'all', rateBin: 0 }, 0.1, new Map([['a', 4]]));

  it('keeps step indices past 2^32 (119 h at dt 0.1 ms) exactly, in the recording and in takeSpikes', () => {
    const r = recorder();
    const big = 2 ** 32 + 5;
    r.spikes(big, 'a', Uint32Array.of(1, 3), 2);
    r.spikes(big + 1, 'a', Uint32Array.of(0), 1);
    expect(r.data.populations.a.spikeSteps).toEqual([big, big, big + 1]);
    expect(r.data.populations.a.spikeIndices).toEqual([1, 3, 0]);
    const t = takeSpikes(r.data, 'a');
    expect(Array.from(t.steps)).toEqual([big, big, big + 1]);
    expect(Array.from(t.indices)).toEqual([1, 3, 0]);
  });

  it('the spikeSteps list follows the recording as it is read again; a take empties it', () => {
    const r = recorder();
    r.spikes(7, 'a', Uint32Array.of(2), 1);
    expect(r.data.populations.a.spikeSteps.length).toBe(1);
    for (let s = 8; s < 200; s++) r.spikes(s, 'a', Uint32Array.of(0, 1, 2, 3), 4);
    expect(r.data.populations.a.spikeSteps.length).toBe(1 + 192 * 4);
    expect(r.data.populations.a.spikeSteps.at(-1)).toBe(199);
    // The JSON sees the arrays (enumerable getters of the object itself).
    expect(JSON.parse(JSON.stringify(r.data.populations.a)).spikeIndices.length).toBe(1 + 192 * 4);
    const file = toRecordingFile(r.data, { circuit: 'c', backend: 'cpu', seed: 1, durationMs: 20 }) as {
      populations: { a: { spikes: { times_ms: number[] } } };
    };
    expect(file.populations.a.spikes.times_ms[0]).toBeCloseTo(0.7, 9);
    expect(takeSpikes(r.data, 'a').steps.length).toBe(1 + 192 * 4);
    expect(r.data.populations.a.spikeSteps).toEqual([]);
    r.spikes(300, 'a', Uint32Array.of(3), 1);
    expect(r.data.populations.a.spikeSteps).toEqual([300]);
  });

  it('takeSpikes of an unknown or unrecorded population is empty', () => {
    const r = new Recorder({ spikes: false, rateBin: 0 }, 0.1, new Map([['a', 4]]));
    r.spikes(1, 'a', Uint32Array.of(1), 1);
    expect(takeSpikes(r.data, 'a').steps.length).toBe(0);
    expect(takeSpikes(r.data, 'nope').indices.length).toBe(0);
  });
});

describe('Recorder state probes', () => {
  it('refuses a neuron index outside the population (not an integer, negative, or past its size)', () => {
    const sizes = new Map([['n', 5]]);
    const probe = (indices: number[]) => () => new Recorder({ state: [{ population: 'n', variable: 'v', indices }] }, 0.1, sizes);
    expect(probe([0, 4])).not.toThrow();
    for (const bad of [[5], [-1], [1.5], [0, Number.NaN]])
      expect(probe(bad)).toThrow(/recording: neuron .* of "n" is not one of its 5 neurons/);
  });
});
