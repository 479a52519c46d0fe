// The dashboard's parts without a browser: the bridge's spike tap and snapshot, the decimated spike
// frames, the per-client bandwidth bound and a slow client that must not hold the engine, undo of every
// kind of edit, save into modules and bases, and the --dashboard address.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { Engine, loadCircuit } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge, type BridgeConfig, type TickSpikes } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { SENSOR_QOS } from '../bridge/transport/transport.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { FluxNode } from '../bridge/node/node.js';
import { ClientBudget, SpikeFrames, decodeFrame } from '../ui/stream.js';
import { startDashboard } from '../ui/server.js';
import { EditSession, RefusedEdit } from '../ui/session.js';
import { planSave, SaveError } from '../ui/save.js';
import { parseAddress } from '../cli/run.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { EVENTUALLY, ROOT, example, tempDir, writeFiles, libraryCircuit, ticksPass } from './helpers.js';
import { spawn } from 'node:child_process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Circuits equal up to the order of their elements (a live addition comes last; in a file it has its place). */
function sameNetwork(a: Circuit, b: Circuit): boolean {
  const sorted = (c: Circuit) => ({
    ...c,
    modules: undefined,
    ...Object.fromEntries(
      (['populations', 'projections', 'modulators', 'sources', 'inputs', 'outputs'] as const).map((k) => [
        k,
        [...c[k]].sort((x, y) => x.name.localeCompare(y.name)),
      ]),
    ),
  });
  expect(sorted(a)).toEqual(sorted(b));
  return true;
}
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function bridgeRig() {
  const transport = new MemoryTransport();
  const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
  const rate = { kind: 'rate' as const, tau: 100, rateMax: 100, min: 0, max: 1 };
  const config: BridgeConfig = {
    tickHz: 200,
    inputs: [
      {
        input: 'range_left',
        topic: '/scan',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[0:4]',
        encoder: { kind: 'current', min: 2, max: 0.2, currentMax: 1 },
        timeoutMs: 300,
        valid: [0, 30],
      },
    ],
    outputs: [
      {
        name: 'cmd',
        topic: '/cmd_vel',
        type: 'geometry_msgs/msg/Twist',
        rateHz: 50,
        values: [{ path: 'linear.x', terms: [{ population: 'motor_left', decoder: rate, weight: 0.5 }], limits: { min: 0, max: 0.5 } }],
      },
    ],
  };
  const bridge = new Bridge(engine, transport, config);
  const scan = createCodec('sensor_msgs/msg/LaserScan');
  const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', { ...SENSOR_QOS, reliability: 'reliable' });
  const send = (ranges: number[]) => {
    const m = scan.zero();
    m.ranges = ranges;
    pub.publish(scan.encode(m));
  };
  cleanup.push(() => bridge.stop());
  return { engine, bridge, send };
}

describe('bridge spike tap and snapshot', () => {
  it('hands every population spikes of every tick to the tap, and records only the decoded ones without it', async () => {
    const { engine, bridge } = bridgeRig();
    // A population nothing decodes, firing on its own.
    engine.apply({ op: 'add_population', name: 'extra', population: { model: 'lif', size: 10, params: { i_offset: '500 pA' } } });
    const ticks: TickSpikes[] = [];
    // The tick's arrays are views of the recorder's memory, valid during the call: kept, they are copied.
    bridge.setSpikeTap((t) =>
      ticks.push({ ...t, populations: new Map([...t.populations].map(([k, v]) => [k, { steps: [...v.steps], indices: [...v.indices] }])) }),
    );
    bridge.start();
    // 60 ticks of 5 ms: 300 ms of engine time, however long the machine takes to run them.
    await ticksPass(bridge.stats, 60);
    bridge.setSpikeTap(null);
    const n = ticks.length;
    expect(n).toBeGreaterThan(10);
    // Contiguous ticks, each with every population of the circuit.
    for (let i = 1; i < n; i++) expect(ticks[i].first).toBe(ticks[i - 1].first + ticks[i - 1].steps);
    expect([...ticks[n - 1].populations.keys()].sort()).toEqual(engine.circuit.populations.map((p) => p.name).sort());
    const extra = ticks.reduce((a, t) => a + (t.populations.get('extra')?.indices.length ?? 0), 0);
    const motor = ticks.reduce((a, t) => a + (t.populations.get('motor_left')?.indices.length ?? 0), 0);
    expect(extra).toBeGreaterThan(50);
    expect(motor).toBeGreaterThan(0);
    // Steps of a tick's spikes lie inside the tick.
    for (const t of ticks) for (const s of t.populations.get('extra')!.steps) expect(s >= t.first && s < t.first + t.steps).toBe(true);
    // The decoders still read theirs: the output is computed from motor_left (its spikes went both ways).
    await ticksPass(bridge.stats, 40);
    expect(ticks.length).toBeLessThanOrEqual(n + 1);
    // Back to recording what is decoded: extra's spikes are no longer kept anywhere.
    expect(engine.backend.recording().populations.extra?.spikeSteps.length ?? 0).toBe(0);
    expect(bridge.timing.ticks).toBeGreaterThan(n);
    expect(bridge.timing.busyMs).toBeGreaterThan(0);
  });

  it('a tap that throws is removed and the loop goes on', async () => {
    const { bridge } = bridgeRig();
    let calls = 0;
    bridge.setSpikeTap(() => {
      calls++;
      throw new Error('broken dashboard');
    });
    bridge.start();
    await ticksPass(bridge.stats, 40);
    expect(calls).toBe(1);
    expect(bridge.stats.ticks).toBeGreaterThan(10);
  });

  it('snapshot: input values and staleness, the last published values and whether they were safe', async () => {
    const { bridge, send } = bridgeRig();
    bridge.start();
    await ticksPass(bridge.stats, 20);
    let s = bridge.snapshot();
    expect(s.inputs).toEqual([expect.objectContaining({ input: 'range_left', topic: '/scan', value: null, stale: true })]);
    expect(s.outputs[0]).toEqual(expect.objectContaining({ name: 'cmd', safe: true }));
    // Scans keep coming while the snapshot is polled (fixed sleeps are too short on a loaded machine).
    const feed = setInterval(() => send([0.5, 0.6, 0.7, 0.8, 9]), 40);
    try {
      await expect.poll(() => bridge.snapshot().outputs[0].values['linear.x'] ?? 0, { timeout: 5000 }).toBeGreaterThan(0);
      s = bridge.snapshot();
      expect(s.inputs[0].stale).toBe(false);
      // (LaserScan ranges are float32)
      expect(s.inputs[0].value).toEqual({ n: 4, min: 0.5, max: expect.closeTo(0.8, 6), mean: expect.closeTo(0.65, 6) });
      expect(s.inputs[0].ageMs).toBeLessThan(200);
      expect(s.outputs[0].safe).toBe(false);
      expect(Object.keys(s.outputs[0].values)).toEqual(['linear.x']);
    } finally {
      clearInterval(feed);
    }
  });

  it('betweenTicks runs work between two ticks and holds the next one until it is done', async () => {
    const { bridge } = bridgeRig();
    bridge.start();
    await ticksPass(bridge.stats, 1);
    const before = bridge.stats.ticks;
    const r = await bridge.betweenTicks(async () => {
      const at = bridge.stats.ticks;
      // Kept: real time must pass while the engine is held (12 ticks of 5 ms fall due in it; none may run).
      await sleep(60);
      return bridge.stats.ticks - at;
    });
    expect(r).toBe(0); // no tick ran while it held the engine
    await vi.waitFor(() => expect(bridge.stats.ticks).toBeGreaterThan(before), EVENTUALLY);
  });
});

describe('spike frames', () => {
  it('decimates rows per population, caps a frame, shares the cap fairly and keeps true counts', () => {
    const f = new SpikeFrames(128, 1000);
    f.setLayout(
      [
        { name: 'big', size: 100_000 },
        { name: 'small', size: 10 },
      ],
      0.1,
    );
    expect(f.layout.populations[0]).toEqual({ name: 'big', size: 100_000, stride: 782, rows: 128 });
    expect(f.layout.populations[1]).toEqual({ name: 'small', size: 10, stride: 1, rows: 10 });
    // 10 steps: every neuron of big fires once per step (1M spikes), small 3 times.
    for (let t = 0; t < 10; t++) {
      const big = { steps: new Array<number>(100_000).fill(100 + t), indices: Array.from({ length: 100_000 }, (_, i) => i) };
      f.add({
        first: 100 + t,
        steps: 1,
        dt: 0.1,
        populations: new Map([
          ['big', big],
          ['small', { steps: [100 + t, 100 + t, 100 + t], indices: [0, 4, 9] }],
        ]),
      });
    }
    const frames = f.take();
    expect(frames).toHaveLength(1);
    const d = decodeFrame(frames[0]);
    expect(d.layoutId).toBe(f.layout.id);
    expect(d.first).toBe(100);
    expect(d.steps).toBe(10);
    const big = d.populations.find((p) => p.index === 0)!;
    const small = d.populations.find((p) => p.index === 1)!;
    expect(big.total).toBe(1_000_000);
    expect(small.total).toBe(30);
    expect(small.spikes).toHaveLength(30); // the small one keeps all it has
    expect(big.spikes.length + small.spikes.length).toBe(1000); // the cap, used in full
    expect(frames[0].length).toBe(20 + 2 * 12 + 4 * 1000);
    for (const s of big.spikes) {
      expect(s.row).toBeLessThan(128);
      expect(s.step).toBeLessThan(10);
    }
    // An even subset: every step of the frame is represented.
    expect(new Set(big.spikes.map((s) => s.step)).size).toBe(10);
    // Nothing new: no frame.
    expect(f.take()).toHaveLength(0);
    expect(f.takeCounts()).toEqual({
      counts: new Map([
        ['big', 1_000_000],
        ['small', 30],
      ]),
      steps: 10,
    });
  });

  it('closes a frame early rather than overflow its 16-bit step offsets, and restarts after a swap', () => {
    const f = new SpikeFrames();
    f.setLayout([{ name: 'a', size: 4 }], 0.1);
    f.add({ first: 0, steps: 60_000, dt: 0.1, populations: new Map([['a', { steps: [59_999], indices: [1] }]]) });
    f.add({ first: 60_000, steps: 10_000, dt: 0.1, populations: new Map([['a', { steps: [69_999], indices: [2] }]]) });
    // A new engine starts again at step 0.
    f.add({ first: 0, steps: 10, dt: 0.1, populations: new Map([['a', { steps: [5], indices: [3] }]]) });
    const frames = f.take().map(decodeFrame);
    expect(frames.map((x) => [x.first, x.steps])).toEqual([
      [0, 60_000],
      [60_000, 10_000],
      [0, 10],
    ]);
    expect(frames.map((x) => x.populations[0].spikes[0])).toEqual([
      { step: 59_999, row: 1 },
      { step: 9_999, row: 2 },
      { step: 5, row: 3 },
    ]);
  });
});

/** A node on the memory transport running a copy of the Braitenberg bridge and circuit (plus `extra`). */
async function nodeRig(add: { populations?: string; projections?: string; sources?: string } = {}) {
  const dir = tempDir('flux-dash-parts-');
  const circuit = join(dir, 'circuit.yaml');
  let text = readFileSync(libraryCircuit('braitenberg/braitenberg'), 'utf8').replace('$schema: ../../schema/circuit.schema.json', '');
  for (const [section, lines] of Object.entries(add)) text = text.replace(`\n${section}:\n`, `\n${section}:\n${lines}`);
  writeFileSync(circuit, text);
  const bridgeFile = join(dir, 'bridge.yaml');
  writeFileSync(bridgeFile, readFileSync(example('bridges/braitenberg.yaml'), 'utf8').replace(/^circuit: .*$/m, 'circuit: ./circuit.yaml'));
  const node = await FluxNode.start({ bridge: bridgeFile, transport: 'memory', backend: 'cpu', threads: 1, log: () => undefined });
  cleanup.push(() => node.shutdown());
  return { node, circuit, dir };
}

describe('stream bandwidth', () => {
  it('a client budget: long-run bytes stay under the bound, and a backed-up socket gets no frames', () => {
    const b = new ClientBudget(10_000, 50_000, 0);
    let sent = 0;
    // 20 frames per second of 1 kB offered for 10 s: twice the bound.
    for (let t = 0; t <= 10_000; t += 50) if (b.admitFrame(1000, 0, t)) sent += 1000;
    expect(sent).toBeLessThanOrEqual(10_000 * 10 + 5_000); // the bound plus one half-second burst
    expect(sent).toBeGreaterThan(10_000 * 10 * 0.9);
    expect(b.dropped).toBeGreaterThan(90);
    // Plenty of budget but a socket with more than the limit waiting: dropped.
    const c = new ClientBudget(1e9, 50_000, 0);
    expect(c.admitFrame(10, 50_001, 1)).toBe(false);
    expect(c.admitFrame(10, 49_999, 2)).toBe(true);
    // JSON is charged and holds frames back, but a backed-up socket only gets it when it must.
    const d = new ClientBudget(1000, 100, 0);
    expect(d.admitJson(800, 0, false, 0)).toBe(true);
    expect(d.admitFrame(100, 0, 0)).toBe(false);
    expect(d.admitJson(10, 500, false, 0)).toBe(false);
    expect(d.admitJson(10, 500, true, 0)).toBe(true);
  });

  it('a real client receives no more than its bound from a busy network, and a client that stops reading never holds the engine', async () => {
    // A busy population: 2000 neurons at ~150 Hz, 300k spikes/s, far more than the bound carries.
    const { node } = await nodeRig({ populations: '  busy: { model: lif, size: 2000, params: { i_offset: 800 pA, tau_refrac: 1 ms } }\n' });
    const bound = 40 * 1024;
    const limits = { clientBytesPerSecond: bound, rowsPerPopulation: 2000, spikesPerFrame: 20_000 };
    const dash = await startDashboard({ node, port: 0, limits });
    cleanup.push(() => dash.close());
    const url = `ws://127.0.0.1:${dash.port}/ws?token=${dash.token}`;
    const reader = new WebSocket(url);
    let bytes = 0;
    let kept = 0;
    let total = 0;
    let counting = false;
    reader.on('message', (d: Buffer, binary: boolean) => {
      if (!counting) return;
      bytes += d.length;
      if (!binary) return;
      for (const p of decodeFrame(d).populations) {
        kept += p.spikes.length;
        total += p.total;
      }
    });
    await new Promise((r) => reader.on('open', r));
    cleanup.push(async () => reader.close());
    // A client that never reads: its socket is paused.
    const stuck = new WebSocket(url);
    await new Promise((r) => stuck.on('open', r));
    stuck.pause();
    cleanup.push(async () => stuck.terminate());
    // Kept (both sleeps): the bound is bytes per second of real time (ClientBudget on performance.now,
    // no clock the dashboard takes), and so is the engine's pace; the first second drains the burst allowance.
    await sleep(1000);
    counting = true;
    const ticks0 = node.bridge.stats.ticks;
    const t0 = performance.now();
    await sleep(2000);
    const secs = (performance.now() - t0) / 1000;
    counting = false;
    expect(bytes / secs).toBeLessThan(bound * 1.1);
    expect(bytes / secs).toBeGreaterThan(bound * 0.3);
    // Decimated: far fewer spikes drawn than fired, and the true counts came along.
    expect(total).toBeGreaterThan(100_000);
    expect(kept).toBeLessThan(total / 10);
    expect(kept).toBeGreaterThan(1000);
    // The engine kept its pace (1 kHz ticks) with the stuck client attached.
    expect((node.bridge.stats.ticks - ticks0) / secs).toBeGreaterThan(600);
  });
});

describe('edit session: undo and refusals', () => {
  it('undoes each kind of edit, in reverse order, back to the original document', async () => {
    const { node } = await nodeRig({
      populations: '  quiet: { model: lif, size: 10 }\n',
      projections:
        '  sl_q: { source: sensor_left, target: quiet, connectivity: { type: fixed_probability, p: 0.5 }, weight: 3 nS, synapse: { type: conductance, receptor: excitatory } }\n',
      sources: '  qdrive: { type: constant, target: quiet, amplitude: 100 pA }\n',
    });
    const s = new EditSession(node);
    const original = structuredClone(node.engine.flat.doc);
    const w0 = Float32Array.from(await node.engine.backend.readWeights('front_brakes'));
    await s.apply({ op: 'set_param', population: 'quiet', param: 'tau_m', value: '10 ms' });
    await s.apply({ op: 'set_param', population: 'brake', param: 'tau_refrac', value: '3 ms' });
    await s.apply({ op: 'set_weights', projection: 'front_brakes', value: '9 nS' });
    await s.apply({ op: 'add_population', name: 'extra', population: { model: 'lif', size: 5 } });
    await s.apply({
      op: 'add_projection',
      name: 'x2q',
      projection: {
        source: 'extra',
        target: 'quiet',
        connectivity: { type: 'all_to_all' },
        weight: '1 nS',
        synapse: { type: 'conductance', receptor: 'excitatory' },
      },
    });
    await s.apply({ op: 'remove_projection', name: 'left_excites_left' });
    const wq = Float32Array.from(await node.engine.backend.readWeights('sl_q'));
    const { notes } = await s.apply({ op: 'remove_population', name: 'quiet', cascade: true });
    // The cascade took projections (they come back) and the source qdrive (it cannot).
    expect(notes.join()).toContain('sources.qdrive');
    expect(node.engine.circuit.populations.some((p) => p.name === 'quiet')).toBe(false);
    expect(node.engine.circuit.projections.some((p) => p.name === 'sl_q' || p.name === 'x2q')).toBe(false);
    expect(s.view().undo.depth).toBe(7);
    while (s.view().undo.depth > 0) await s.undo();
    const doc = node.engine.flat.doc;
    // Back, except what live edits cannot add (the input) and explicit defaults set_param restores.
    expect(Object.keys(doc.populations!).sort()).toEqual(Object.keys(original.populations!).sort());
    expect(Object.keys(doc.projections!).sort()).toEqual(Object.keys(original.projections!).sort());
    for (const [k, v] of Object.entries(original.projections!)) expect(doc.projections![k], k).toEqual(v);
    expect(doc.populations!.brake.params).toEqual(original.populations!.brake.params);
    expect(doc.populations!.quiet.params).toEqual({ tau_m: 20 }); // the model default (20 ms)
    expect(Object.keys(doc.sources!)).not.toContain('qdrive');
    expect(Object.keys(doc.sources!)).toContain('tonic_left');
    // Weights come back: set ones from the undo entry, regenerated ones from the document and the seed.
    expect(Array.from(await node.engine.backend.readWeights('front_brakes'))).toEqual(Array.from(w0));
    expect(Array.from(await node.engine.backend.readWeights('sl_q'))).toEqual(Array.from(wq));
    expect(await s.undo()).toBeNull();
  });

  it('set_weights on single synapses undoes to the old values', async () => {
    const { node } = await nodeRig();
    const s = new EditSession(node);
    const w0 = Float32Array.from(await node.engine.backend.readWeights('front_brakes'));
    await s.apply({ op: 'set_weights', projection: 'front_brakes', indices: [0, 3], values: ['1 nS', '2 nS'] });
    const w1 = await node.engine.backend.readWeights('front_brakes');
    expect([w1[0], w1[3]]).toEqual([1, 2]);
    await s.undo();
    expect(Array.from(await node.engine.backend.readWeights('front_brakes'))).toEqual(Array.from(w0));
  });

  it('refuses to remove what the bridge reads or drives, oversized additions and invalid edits, changing nothing', async () => {
    const { node } = await nodeRig();
    const s = new EditSession(node);
    const before = structuredClone(node.engine.flat.doc);
    await expect(s.apply({ op: 'remove_population', name: 'motor_left', cascade: true })).rejects.toThrow(
      /used by the bridge \(output cmd_vel/,
    );
    await expect(s.apply({ op: 'remove_population', name: 'sensor_left', cascade: true })).rejects.toThrow(/input range_left/);
    await expect(s.apply({ op: 'add_population', name: 'huge', population: { model: 'lif', size: 5_000_000 } })).rejects.toBeInstanceOf(
      RefusedEdit,
    );
    await expect(
      s.apply({
        op: 'add_projection',
        name: 'dense',
        projection: {
          source: 'motor_left',
          target: 'motor_right',
          connectivity: { type: 'all_to_all' },
          weight: 1,
          synapse: { type: 'current', receptor: 'excitatory' },
        },
      }),
    ).resolves.toBeTruthy();
    await s.undo();
    await expect(s.apply({ op: 'add_population', name: 'nomodule.x', population: { model: 'lif', size: 5 } })).rejects.toThrow(
      /module prefix/,
    );
    await expect(s.apply({ op: 'set_param', population: 'brake', param: 'tau_m', value: '-1 ms' })).rejects.toBeInstanceOf(CircuitError);
    expect(node.engine.flat.doc).toEqual(before);
    expect(s.view().undo.depth).toBe(0);
  });
});

describe('hot swap', () => {
  it('follows a swapped engine: clients hear of it, the undo stack is dropped, the stream goes on from the new bridge', async () => {
    const { node, dir } = await nodeRig();
    const dash = await startDashboard({ node, port: 0 });
    cleanup.push(() => dash.close());
    await dash.session.apply({ op: 'set_param', population: 'brake', param: 'tau_m', value: '15 ms' });
    expect(dash.session.view().undo.depth).toBe(1);
    const sock = new WebSocket(`ws://127.0.0.1:${dash.port}/ws?token=${dash.token}`);
    cleanup.push(async () => sock.close());
    const notices: Record<string, unknown>[] = [];
    const layouts: number[] = [];
    sock.on('message', (d: Buffer, binary: boolean) => {
      if (binary) layouts.push(decodeFrame(d).layoutId);
      else notices.push(JSON.parse(d.toString()) as Record<string, unknown>);
    });
    await new Promise((r) => sock.on('open', r));
    // The stream runs: the old bridge's frames arrive.
    await vi.waitFor(() => expect(layouts.length).toBeGreaterThan(0), EVENTUALLY);
    const oldBridge = node.bridge;
    // Another circuit: the same one plus a population, swapped in through the node's parameter.
    const other = join(dir, 'other.yaml');
    writeFileSync(
      other,
      readFileSync(join(dir, 'circuit.yaml'), 'utf8').replace(
        'populations:\n',
        'populations:\n  added: { model: lif, size: 5, params: { i_offset: 500 pA } }\n',
      ),
    );
    expect(node.params.set('circuit', other).successful).toBe(true);
    await node.settled();
    expect(node.bridge).not.toBe(oldBridge);
    // Clients hear of the swap and get the new layout.
    const lastLayout = () => notices.filter((n) => n.type === 'layout').at(-1)!.layout as { id: number; populations: { name: string }[] };
    await vi.waitFor(() => {
      expect(notices.some((n) => n.type === 'circuit' && n.reason === 'swap')).toBe(true);
      expect(dash.session.view().undo.depth).toBe(0);
      expect(dash.session.view().populations.some((p) => p.name === 'added')).toBe(true);
      expect(lastLayout().populations.map((p) => p.name)).toContain('added');
    }, EVENTUALLY);
    const layout = lastLayout();
    // Frames of the new layout arrive: the tap moved to the new bridge.
    const before = layouts.filter((id) => id === layout.id).length;
    await vi.waitFor(() => expect(layouts.filter((id) => id === layout.id).length).toBeGreaterThan(before), EVENTUALLY);
  });
});

describe('save', () => {
  it('writes a change to an inherited element as a merge patch over the base, and a module element into its include', async () => {
    const dir = writeFiles({
      'base.yaml': `name: base
populations:
  a: { model: lif, size: 5, params: { tau_m: 10 ms, v_rest: -70 mV } }
  b: { model: lif, size: 5 }
projections:
  ab: { source: a, target: b, connectivity: { type: one_to_one }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory } }
`,
      'mod.yaml': `ports: { out: y }
populations:
  x: { model: lif, size: 3 }
  y: { model: lif, size: 3, params: &p { cm: 200 pF } }
  z: { model: lif, size: 3, params: *p }
projections:
  xy: { source: x, target: y, connectivity: { type: all_to_all }, weight: 1 nS, synapse: { type: conductance, receptor: excitatory } }
`,
      'root.yaml': `# root: extends base, includes mod
extends: ./base.yaml
include:
  - module: ./mod.yaml
    prefix: m
populations:
  c: { model: lif, size: 3 }
projections:
  out_c: { source: m.out, target: c, connectivity: { type: one_to_one }, weight: 2 nS, synapse: { type: conductance, receptor: excitatory } }
`,
    });
    const file = join(dir, 'root.yaml');
    const e = new Engine(loadFlat(file));
    e.apply({ op: 'set_param', population: 'a', param: 'tau_m', value: '12 ms' }); // inherited from base
    e.apply({ op: 'remove_projection', name: 'ab' }); // inherited: null in the patch
    e.apply({ op: 'set_param', population: 'm.y', param: 'cm', value: '150 pF' }); // module; z shares the anchor, must not change
    e.apply({ op: 'remove_population', name: 'm.x', cascade: true });
    e.apply({ op: 'add_population', name: 'm.w', population: { model: 'lif', size: 2 } });
    e.apply({ op: 'add_population', name: 'd', population: { model: 'lif', size: 2, params: { i_offset: '10 pA' } } });
    const plan = planSave(file, e.flat);
    expect(plan.changed.sort()).toEqual(
      [
        'populations.a',
        'populations.d',
        'populations.m.w',
        'populations.m.x',
        'populations.m.y',
        'projections.ab',
        'projections.m.xy',
      ].sort(),
    );
    writeFileSync(file, plan.text);
    expect(sameNetwork(loadCircuit(file).circuit, e.circuit)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# root: extends base, includes mod');
    expect(text).toMatch(/ab: null/);
    expect(readFileSync(join(dir, 'base.yaml'), 'utf8')).toContain('tau_m: 10 ms');
    expect(loadCircuit(file).circuit.populations.find((p) => p.name === 'm.z')!.params.cm).toBe(200);
  });

  it('saves JSON circuits as JSON, and refuses what a file cannot hold', async () => {
    const dir = writeFiles({ 'c.json': JSON.stringify({ name: 'j', populations: { a: { model: 'lif', size: 3 } } }) });
    const file = join(dir, 'c.json');
    const e = new Engine(loadFlat(file));
    e.apply({ op: 'set_param', population: 'a', param: 'tau_m', value: '5 ms' });
    const plan = planSave(file, e.flat);
    expect(JSON.parse(plan.text).populations.a.params).toEqual({ tau_m: '5 ms' });
    // A dotted name with no module of that prefix has no place in a document.
    e.apply({ op: 'add_population', name: 'nomodule.b', population: { model: 'lif', size: 1 } });
    expect(() => planSave(file, e.flat)).toThrow(SaveError);
  });
});

describe('flux demo / flux run', () => {
  it('print the dashboard URL and serve it while the robot runs (bin/flux.js, from dist)', async () => {
    const out = tempDir('flux-dash-cli-');
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'flux.js'), 'demo', '--duration', '4s', '--backend', 'cpu', '--out-dir', out, '--dashboard', '127.0.0.1:0'],
      { cwd: out },
    );
    cleanup.push(async () => void child.kill('SIGKILL'));
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    // The printed URL carries the token (required on loopback too).
    const [, url, token] = await vi.waitFor(
      () => {
        const m = /flux: dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\?token=([A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])/.exec(text);
        if (!m) throw new Error(`no dashboard line in 20 s: ${text}`);
        return m;
      },
      { ...EVENTUALLY, timeout: 20_000 },
    );
    // The robot has stepped once the status says so.
    await vi.waitFor(async () => {
      const res = await fetch(`${url}api/status`, { headers: { 'X-Flux-Token': token } });
      expect(((await res.json()) as { step: number }).step).toBeGreaterThan(0);
    }, EVENTUALLY);
    expect((await fetch(`${url}api/status`)).status).toBe(401);
    const status = (await (await fetch(`${url}api/status`, { headers: { 'X-Flux-Token': token } })).json()) as {
      step: number;
      robot: { pose: unknown };
    };
    expect(status.step).toBeGreaterThan(0);
    expect(status.robot.pose).toBeTruthy();
    expect((await fetch(`${url}?token=${token}`)).status).toBe(200);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, text).toBe(0);
    // And it is gone with the run.
    await expect(fetch(`${url}api/status`, { headers: { 'X-Flux-Token': token } })).rejects.toThrow();
  });
});

describe('--dashboard address', () => {
  it('reads host:port, [v6]:port, host, port', () => {
    expect(parseAddress('')).toEqual({ host: undefined, port: undefined });
    expect(parseAddress('8765')).toEqual({ host: undefined, port: 8765 });
    expect(parseAddress('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(parseAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseAddress('::1')).toEqual({ host: '::1' });
    expect(parseAddress('localhost')).toEqual({ host: 'localhost', port: undefined });
    expect(() => parseAddress('h:99999')).toThrow(/port/);
  });
});
