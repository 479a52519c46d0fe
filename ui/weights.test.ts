import { describe, it, expect } from 'vitest';
import { engineFromText } from '../tests/helpers.js';
import { WeightReads, weightView, type WeightSource } from './weights.js';
import { RefusedEdit } from './session.js';

const CIRCUIT = `name: w
dt: 0.1 ms
seed: 4
populations:
  pre: { model: lif, size: 100 }
  post: { model: lif, size: 60 }
projections:
  pp:
    source: pre
    target: post
    connectivity: { type: fixed_probability, p: 0.3 }
    weight: { uniform: { low: 1 nS, high: 3 nS } }
    synapse: { type: conductance, receptor: excitatory }
`;

describe('weightView', () => {
  it("histogram and block means equal the projection's weights, read in CSR order", async () => {
    const e = engineFromText(CIRCUIT, { backend: 'cpu', threads: 1 });
    const w = await e.backend.readWeights('pp');
    const { rowPtr, targets } = e.backend.readStructure('pp');
    const v = await weightView(e, 'pp');
    expect(v.synapses).toBe(w.length);
    expect(v.sampled).toBe(w.length);
    expect(v.unit).toBe('nS');
    expect(v.plastic).toBe(false);
    expect(v.min).toBe(Math.min(...w));
    expect(v.max).toBe(Math.max(...w));
    expect(v.mean).toBeCloseTo(w.reduce((a, b) => a + b, 0) / w.length, 9);
    expect(v.histogram.counts.reduce((a, b) => a + b, 0)).toBe(w.length);
    // 100 sources in 48 blocks, 60 targets in 48: recompute every block's mean by hand.
    expect([v.matrix.rows, v.matrix.cols, v.matrix.sources, v.matrix.targets]).toEqual([48, 48, 100, 60]);
    const sums = new Float64Array(48 * 48);
    const counts = new Uint32Array(48 * 48);
    for (let i = 0; i < 100; i++)
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
        const b = Math.floor((i * 48) / 100) * 48 + Math.floor((targets[k] * 48) / 60);
        sums[b] += w[k];
        counts[b]++;
      }
    let filled = 0;
    for (let b = 0; b < 48 * 48; b++)
      if (counts[b] > 0) {
        filled++;
        expect(v.matrix.values[b], `block ${b}`).toBeCloseTo(sums[b] / counts[b], 9);
      }
    expect(filled).toBeGreaterThan(1000);
    e.dispose();
  });

  it('beyond maxRead synapses an even stride stands for the whole; an unknown projection is refused', async () => {
    const e = engineFromText(CIRCUIT, { backend: 'cpu', threads: 1 });
    const w = await e.backend.readWeights('pp');
    const v = await weightView(e, 'pp', 100);
    const stride = Math.ceil(w.length / 100);
    expect(v.sampled).toBe(Math.ceil(w.length / stride));
    expect(v.histogram.counts.reduce((a, b) => a + b, 0)).toBe(v.sampled);
    await expect(weightView(e, 'nope')).rejects.toBeInstanceOf(RefusedEdit);
    await expect(weightView(e, { projection: 'pp' })).rejects.toBeInstanceOf(RefusedEdit);
    e.dispose();
  });

  it('a window of at most 48 neurons a side shows single synapses; statistics stay those of the whole projection', async () => {
    const e = engineFromText(CIRCUIT, { backend: 'cpu', threads: 1 });
    const w = await e.backend.readWeights('pp');
    const { rowPtr, targets } = e.backend.readStructure('pp');
    const whole = await weightView(e, 'pp');
    const v = await weightView(e, 'pp', undefined, { sources: '10:30', targets: '5:25' });
    expect([v.matrix.rows, v.matrix.cols]).toEqual([20, 20]);
    expect(v.matrix.window).toEqual({ sources: [10, 30], targets: [5, 25] });
    expect([v.synapses, v.min, v.max, v.mean]).toEqual([whole.synapses, whole.min, whole.max, whole.mean]);
    const expected = new Array<number | null>(400).fill(null);
    for (let i = 10; i < 30; i++)
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++)
        if (targets[k] >= 5 && targets[k] < 25) expected[(i - 10) * 20 + targets[k] - 5] = w[k];
    // fixed_probability without multapses: each cell is one synapse or none.
    expect(v.matrix.values).toEqual(expected);
    expect(v.matrix.single).toBe(true);
    expect(v.matrix.rowStarts).toEqual(Array.from({ length: 21 }, (_, r) => 10 + r));
    // Past maxRead the statistics stride over the whole projection, but the window's own rows are read whole.
    const strided = await weightView(e, 'pp', 400, { sources: '10:30', targets: '5:25' });
    expect(strided.sampled).toBeLessThan(w.length);
    expect(strided.matrix.values).toEqual(expected);
    expect(strided.matrix.single).toBe(true);
    // The whole projection past maxRead: sampled, so no cell claims to be one synapse.
    const whole100 = await weightView(e, 'pp', 100);
    expect(whole100.matrix.single).toBe(false);
    expect(whole100.matrix.rowStarts.at(-1)).toBe(100);
    expect(expected.filter((x) => x !== null).length).toBeGreaterThan(50);
    for (const bad of ['5:5', '0:101', 'a:b', '-1:3', '3', '1:2:3'])
      await expect(weightView(e, 'pp', undefined, { sources: bad }), bad).rejects.toMatchObject({ status: 400 });
    await expect(weightView(e, 'pp', undefined, { targets: '0:61' })).rejects.toMatchObject({ status: 400 });
    e.dispose();
  });

  it('WeightReads: one read at a time for all clients, at most 4 a second, an answer shared for a second', async () => {
    const e = engineFromText(CIRCUIT, { backend: 'cpu', threads: 1 });
    let reads = 0;
    const node: WeightSource = {
      engine: e,
      bridge: {
        betweenTicks: async <T>(fn: () => T | Promise<T>) => {
          reads++;
          return fn();
        },
      },
    };
    let now = 0;
    const r = new WeightReads(() => now);
    const first = await r.read(node, 'pp');
    expect(await r.read(node, 'pp')).toBe(first);
    expect(reads).toBe(1);
    // Another projection (or an unknown one) within 250 ms: refused with 429, nothing read.
    await expect(r.read(node, 'nope')).rejects.toMatchObject({ status: 429 });
    now = 300;
    await expect(r.read(node, 'nope')).rejects.toMatchObject({ status: 400 });
    now = 1100;
    expect(await r.read(node, 'pp')).not.toBe(first);
    expect(reads).toBe(3);
    await expect(r.read(node, ['pp'])).rejects.toMatchObject({ status: 400 });
    // A window is its own answer, shared as the whole one is; a window that is no text is refused.
    now = 2200;
    const zoomed = await r.read(node, 'pp', { sources: '0:10' });
    expect(zoomed.matrix.rows).toBe(10);
    expect(await r.read(node, 'pp', { sources: '0:10' })).toBe(zoomed);
    await expect(r.read(node, 'pp', { sources: ['0:10'] })).rejects.toMatchObject({ status: 400 });
    e.dispose();
  });
});
