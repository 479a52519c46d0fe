// Extensions in a running bridge (extensions/): options checked against each extension's schema with
// file, line and path; topics read through ros_topic_in nodes and filtered by built-in nodes before
// the circuit; isolation of nodes that throw or block; live add, remove and reconfigure; and the
// example extension package installed from a local path into a fresh project.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCodec } from '../bridge/codec/cdr.js';
import type { Bridge } from '../bridge/bridge.js';
import { SimClock } from '../bridge/clock.js';
import { loadBridge, prepareExtensions } from '../bridge/config.js';
import { FluxNode } from '../bridge/node/node.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { DEFAULT_QOS, SENSOR_QOS } from '../bridge/transport/transport.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { startDashboard } from '../ui/server.js';
import { EVENTUALLY, libraryCircuit, ticksPass } from './helpers.js';

const ROOT = resolve(__dirname, '..');
const CIRCUIT = libraryCircuit('braitenberg/braitenberg');
const MISBEHAVING = join(ROOT, 'tests/fixtures/extensions/misbehaving.js');
let node: FluxNode | null = null;
afterEach(async () => {
  await node?.shutdown();
  node = null;
});

function doc(text: string, dir = mkdtempSync(join(tmpdir(), 'flux-ext-'))): string {
  const file = join(dir, 'bridge.yaml');
  writeFileSync(file, text);
  return file;
}

/** A bridge on the Braitenberg circuit whose front sensor reads a Range topic through extension nodes. */
const FRONT_THROUGH_NODES = (extra = '', outputs = '') => `
circuit: ${CIRCUIT}
tick: 1 kHz
extensions:
  load: [${MISBEHAVING}]
  nodes:
    front_raw: { type: ros_topic_in, options: { topic: /front, type: sensor_msgs/msg/Range, path: range } }
    front: { type: lowpass, options: { cutoff: 20 }, in: { x: front_raw.value } }
${extra}
inputs:
  range_front: { from: front.y, encoder: { current: { min: 0.8, max: 0.2, current_max: 1 } }, timeout: 300 ms }
outputs:
  cmd_vel:
    topic: /cmd_vel
    type: geometry_msgs/msg/Twist
    rate: 100 Hz
    values:
      linear.x: { terms: [{ population: motor_left, decoder: { rate: { tau: 50 ms, rate_max: 100 Hz, min: 0, max: 1 } } }], limits: { min: -1, max: 1, safe: 0 } }
${outputs}
`;

function rig(graph: MemoryGraph) {
  const t = new MemoryTransport(graph);
  const range = createCodec('sensor_msgs/msg/Range');
  const twist = createCodec('geometry_msgs/msg/Twist');
  const front = t.advertise('/front', 'sensor_msgs/msg/Range', SENSOR_QOS);
  type Twist = { linear: { x: number }; angular: { z: number } };
  const twists: Twist[] = [];
  t.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, (b) => twists.push(twist.decode(b) as Twist));
  let timer: NodeJS.Timeout | undefined;
  const publish = (r: number) =>
    front.publish(
      range.encode({
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'ir' },
        radiation_type: 1,
        field_of_view: 0.1,
        min_range: 0,
        max_range: 2,
        range: r,
      }),
    );
  return {
    twists,
    /** Publishes one Range (a test on simulated time sends one per step). */
    publish,
    /** Publishes a Range every 10 ms. */
    send(r: number) {
      clearInterval(timer);
      timer = setInterval(() => publish(r), 10);
    },
    stop: () => clearInterval(timer),
  };
}

/** Waits until `cond` holds (an event: a message, a log line, a state), failing after `ms`. */
const until = (cond: () => boolean, ms = 5000) => vi.waitFor(() => expect(cond()).toBe(true), { ...EVENTUALLY, timeout: ms });

const SIM_STEP_MS = 10;

/**
 * Simulated time (/clock) for a node started with useSimTime: its clock moves only when the test moves
 * it, so what a filter or a timeout does over N ms is exact however loaded the machine is. Each step
 * publishes a Range first when `range` is given (a sensor at 100 Hz of simulated time), then the time,
 * and returns once every tick due by then has run and what it published has arrived.
 */
function simTime(graph: MemoryGraph, bridge: () => Bridge, r: ReturnType<typeof rig>) {
  const t = new MemoryTransport(graph);
  const codec = createCodec('rosgraph_msgs/msg/Clock');
  const pub = t.advertise('/clock', 'rosgraph_msgs/msg/Clock', DEFAULT_QOS);
  // Hears each /clock message in the same turn as the node's clock: once it has the time, so has the node.
  const seen = new SimClock(t);
  let now = 1000;
  const step = async (range?: number) => {
    if (range !== undefined) r.publish(range);
    now += SIM_STEP_MS;
    pub.publish(codec.encode({ clock: { sec: Math.floor(now / 1000), nanosec: Math.round((now % 1000) * 1e6) } }));
    await vi.waitFor(() => expect(seen.now()).toBe(now), EVENTUALLY);
    await bridge().caughtUp(now);
  };
  return {
    /** Moves simulated time on by `ms`. */
    async advance(ms: number, range?: number): Promise<void> {
      for (let left = ms; left > 0; left -= SIM_STEP_MS) await step(range);
    },
    /** Moves simulated time on until `cond` holds, failing after `ms` of it. */
    async until(cond: () => boolean, ms: number, range?: number): Promise<void> {
      for (let left = ms; !cond(); left -= SIM_STEP_MS) {
        if (left <= 0) throw new Error(`not within ${ms} ms of simulated time`);
        await step(range);
      }
    },
  };
}

describe('extension options are checked against their own schemas', () => {
  it('a document using extensions validates; a wrong option names the extension, file, line and path', async () => {
    const good = loadBridge(doc(FRONT_THROUGH_NODES()));
    const registry = await prepareExtensions(good);
    expect(registry.names()).toEqual(expect.arrayContaining(['lowpass', 'pid', 'ros_topic_in', 'thrower', 'blocker']));
    // Defaults from the schema are filled in.
    expect(good.extensions.nodes.find((n) => n.name === 'front')!.options.cutoff).toBe(20);

    const bad = loadBridge(doc(FRONT_THROUGH_NODES().replace('{ cutoff: 20 }', '{ cutof: 20 }')));
    const e = await prepareExtensions(bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CircuitError);
    expect((e as Error).message).toMatch(/bridge\.yaml:8 at \/extensions\/nodes\/front\/options: lowpass: unknown option "cutof"/);

    const unknown = loadBridge(doc(FRONT_THROUGH_NODES().replace('type: lowpass', 'type: lowpas')));
    expect(((await prepareExtensions(unknown).catch((x: unknown) => x)) as Error).message).toMatch(
      /at \/extensions\/nodes\/front\/type: no extension type "lowpas"; known: .*lowpass/,
    );

    const missing = loadBridge(doc(FRONT_THROUGH_NODES().replace(MISBEHAVING, './nowhere.js')));
    expect(((await prepareExtensions(missing).catch((x: unknown) => x)) as Error).message).toMatch(
      /at \/extensions\/load\/0: extension module \.\/nowhere\.js: no file/,
    );

    // A from: naming no node is refused when the document loads.
    expect(() => loadBridge(doc(FRONT_THROUGH_NODES().replace('from: front.y', 'from: fornt.y')))).toThrow(
      /inputs\/range_front\/from: "fornt\.y" is not <node>\.<port>/,
    );
  });

  it('a module exporting a broken extension is refused with its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-ext-'));
    writeFileSync(join(dir, 'broken.js'), `export default { name: 'broken', kind: 'compute', doc: '', options: {} };`);
    const loaded = loadBridge(doc(`circuit: ${CIRCUIT}\nextensions:\n  load: [./broken.js]\n`, dir));
    expect(((await prepareExtensions(loaded).catch((x: unknown) => x)) as Error).message).toMatch(
      /extension broken from .*broken\.js: has no create\(options, ctx\) function/,
    );
  });
});

describe.sequential('extension nodes in a running bridge', () => {
  it('a topic read through ros_topic_in and a low-pass node drives the circuit like a topic input', async () => {
    const graph = new MemoryGraph();
    const r = rig(graph);
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES()),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      useSimTime: true,
      log: () => undefined,
    });
    const sim = simTime(graph, () => node!.bridge, r);
    await sim.until(() => node!.bridge.snapshot().inputs[0].stale === false, 1000, 0.5);
    await sim.advance(300, 0.5);
    const st = node.bridge.host!.status();
    const front = st.find((n) => n.name === 'front')!;
    // 300 ms of a constant 0.5 through a 20 Hz low-pass: settled to 0.5 (time constant 8 ms).
    expect(front.outputs.y as number).toBeCloseTo(0.5, 3);
    expect(node.bridge.snapshot().inputs[0].value).toBeCloseTo(0.5, 3);
    expect(node.bridge.stats.received).toBeGreaterThan(20);
  }, 20_000);

  it('isolation: a node that throws on every tick and one that blocks do not stop the engine; their outputs go safe', async () => {
    const graph = new MemoryGraph();
    const r = rig(graph);
    const log: string[] = [];
    const extra = `    bad: { type: thrower, in: { x: front.y } }
    stuck: { type: blocker, options: { after: 30 }, in: { x: front.y } }
    bad_here: { type: thrower, isolate: false, in: { x: front.y } }`;
    const outputs = `      angular.z: { from: stuck.y, limits: { min: -1, max: 1, safe: 0 } }`;
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES(extra, outputs)),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: (l) => log.push(l),
    });
    r.send(0.5);
    // The blocker answers 0.5 at first: the output carries it.
    await until(() => r.twists.some((t) => t.angular.z === 0.5));
    const ticks = node.bridge.stats.ticks;
    const t0 = performance.now();
    // Then it blocks its worker: after hangMs (1 s) it is terminated and its output is safe (0).
    await until(() => node!.bridge.host!.status().find((n) => n.name === 'stuck')!.errors > 0, 5000);
    await until(() => r.twists.at(-1)!.angular.z === 0);
    // The failing nodes keep failing on every tick meanwhile; their errors are counted as they come. The
    // spinning worker held a core for a second: on a loaded machine the loop may still be catching up
    // (outputs held safe for a slow loop) until the circuit's speed comes through again.
    const errors = (name: string) => node!.bridge.host!.status().find((n) => n.name === name)!.errors;
    await vi.waitFor(() => {
      expect(errors('bad')).toBeGreaterThan(10);
      expect(errors('bad_here')).toBeGreaterThan(100);
      expect(r.twists.at(-1)!.linear.x).toBeGreaterThan(0);
    }, EVENTUALLY);
    const st = node.bridge.host!.status();
    expect(st.find((n) => n.name === 'bad')!.errors).toBeGreaterThan(10);
    expect(st.find((n) => n.name === 'bad')!.isolated).toBe(true);
    expect(st.find((n) => n.name === 'bad_here')!.errors).toBeGreaterThan(100);
    expect(st.find((n) => n.name === 'bad_here')!.outputs.y).toBe(0);
    expect(['restarting', 'running']).toContain(st.find((n) => n.name === 'stuck')!.state);
    // The engine kept ticking all along (a blocked engine would have stood still for the second the
    // worker hung; a loaded 2-core machine runs fewer than the 1,000 ticks a second asked for, hence
    // a quarter), and the linear speed kept coming from the circuit.
    expect(node.bridge.stats.ticks - ticks).toBeGreaterThan(0.25 * (performance.now() - t0));
    expect(r.twists.at(-1)!.linear.x).toBeGreaterThan(0);
    expect(log.some((l) => /extension bad \(thrower\) failed: thrower always throws; its outputs are at their safe values/.test(l))).toBe(
      true,
    );
    expect(log.some((l) => /extension stuck \(blocker\) failed: did not answer for 1000 ms \(blocked\?\): terminated/.test(l))).toBe(true);
    // Reports are rate-limited: a node failing 1000 times a second is not 1000 lines.
    expect(log.filter((l) => l.includes('extension bad_here')).length).toBeLessThan(10);
    r.stop();
  }, 30_000);

  it('an isolated output extension that hangs is terminated and restarted; the process and the engine run on', async () => {
    const graph = new MemoryGraph();
    const r = rig(graph);
    const log: string[] = [];
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES(`    sink: { type: stuck_sink, options: { after: 3 }, in: { x: front.y } }`)),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: (l) => log.push(l),
    });
    r.send(0.5);
    await until(() => log.some((l) => /extension sink \(stuck_sink\) failed: did not answer for 1000 ms/.test(l)), 8000);
    await until(() => log.some((l) => /extension sink \(stuck_sink\) restarted/.test(l)), 8000);
    const ticks = node.bridge.stats.ticks;
    await ticksPass(node.bridge.stats, 1);
    expect(node.bridge.stats.ticks).toBeGreaterThan(ticks);
    r.stop();
  }, 30_000);

  it('staleness travels through nodes: when the sensor stops, the input computed from it goes stale and the command goes safe', async () => {
    const graph = new MemoryGraph();
    const r = rig(graph);
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES('', '      angular.z: { from: front.y, limits: { min: -1, max: 1, safe: 0 } }')),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      useSimTime: true,
      log: () => undefined,
    });
    const sim = simTime(graph, () => node!.bridge, r);
    await sim.until(() => r.twists.some((t) => Math.abs(t.angular.z - 0.5) < 1e-3), 2000, 0.5);
    // The sensor stops: the steps below publish no Range.
    // The low-pass holds its output without input, but the value's source is the last Range: it goes
    // stale after the node's timeout (500 ms), and so do the input and the output value reading it.
    await sim.until(() => node!.bridge.snapshot().inputs[0].stale, 3000);
    await sim.until(() => r.twists.at(-1)!.angular.z === 0 && r.twists.at(-1)!.linear.x === 0, 3000);
    await sim.until(() => node!.bridge.host!.value('front.y') === undefined, 3000);
    // And the command stays safe from then on.
    await sim.advance(200);
    expect(r.twists.at(-1)).toMatchObject({ linear: { x: 0 }, angular: { z: 0 } });
  }, 20_000);

  it('live: a node reconfigured, added and removed while the engine runs; a bad change is refused and changes nothing', async () => {
    const graph = new MemoryGraph();
    const r = rig(graph);
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES()),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      useSimTime: true,
      log: () => undefined,
    });
    const host = node.bridge.host!;
    const sim = simTime(graph, () => node!.bridge, r);
    await sim.advance(200, 0.5);
    // A step from 0.5 to 0.3 through a 0.5 Hz low-pass (time constant 318 ms): 100 ms later it has
    // moved about 27% of the way; at 20 Hz it would have arrived.
    await node.bridge.betweenTicks(() => host.reconfigure('front', { cutoff: 0.5 }));
    const ticks = node.bridge.stats.ticks;
    await sim.advance(100, 0.3);
    const y = host.status().find((n) => n.name === 'front')!.outputs.y as number;
    expect(y).toBeGreaterThan(0.4);
    expect(y).toBeLessThan(0.49);
    await expect(node.bridge.betweenTicks(() => host.reconfigure('front', { cutoff: -1 }))).rejects.toThrow(
      /extension node front \(lowpass\): \/extensions\/nodes\/front\/options\/cutoff: lowpass: must be > 0/,
    );
    // Added live: a gain node reading the filter; removing the filter is refused while it is read.
    await node.bridge.betweenTicks(() => host.add({ name: 'double', type: 'gain', options: { gain: 2 }, in: { x: 'front.y' } }));
    await sim.advance(50, 0.3);
    const doubled = host.status().find((n) => n.name === 'double')!.outputs.y as number;
    const front = host.status().find((n) => n.name === 'front')!.outputs.y as number;
    expect(doubled).toBeCloseTo(2 * front, 1);
    await expect(node.bridge.betweenTicks(() => host.remove('front'))).rejects.toThrow(
      /read by double, bridge input range_front: remove those first/,
    );
    await node.bridge.betweenTicks(() => host.remove('double'));
    expect(host.has('double')).toBe(false);
    // The engine ticked through all of it (150 ms of simulated time above, at 1 kHz).
    expect(node.bridge.stats.ticks - ticks).toBeGreaterThan(20);
  }, 20_000);

  it("an expression and the recorder in a running bridge: a CSV with the bridge's values, row per tick", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-ext-'));
    const extra = `    mix: { type: expression, options: { expression: "clamp(a * 2 - 0.25, -1, 1)", inputs: [a] }, in: { a: front.y } }
    rec: { type: recorder, options: { path: log.csv, flush_interval: 50 }, in: { front: front.y, mix: mix.y, speed: outputs.cmd_vel.linear.x } }`;
    const graph = new MemoryGraph();
    const r = rig(graph);
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES(extra), dir),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      useSimTime: true,
      log: () => undefined,
    });
    await simTime(graph, () => node!.bridge, r).advance(400, 0.5);
    await node.shutdown();
    node = null;
    const rows = readFileSync(join(dir, 'log.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('t,front,mix,speed');
    const last = rows.at(-1)!.split(',').map(Number);
    expect(rows.length).toBeGreaterThan(100);
    expect(last[1]).toBeCloseTo(0.5, 3);
    expect(last[2]).toBeCloseTo(0.75, 3);
    expect(Number.isFinite(last[3])).toBe(true);
  }, 20_000);

  it('live through the dashboard: GET and POST /api/extensions add, reconfigure and remove nodes; the bridge snapshot (what the I/O view shows) lists them', async () => {
    const graph = new MemoryGraph();
    const r = rig(graph);
    node = await FluxNode.start({
      bridge: doc(FRONT_THROUGH_NODES()),
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
    });
    const dash = await startDashboard({ node, port: 0, noToken: true });
    try {
      r.send(0.5);
      const post = (body: unknown) =>
        fetch(`${dash.url}api/extensions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      let res = await post({ op: 'add', node: { name: 'half', type: 'gain', options: { gain: 0.5 }, in: { x: 'front.y' } } });
      expect(res.status).toBe(200);
      // Only compute nodes from the browser: a recorder would write wherever its path says.
      res = await post({
        op: 'add',
        node: { name: 'rec', type: 'recorder', options: { path: '/tmp/flux-should-not-exist.csv' }, in: { x: 'front.y' } },
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/compute nodes only; recorder is an output extension/);
      res = await post({ op: 'add', node: { name: 'bad', type: 'gain', options: { gian: 0.5 }, in: { x: 'front.y' } } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(
        /extension node bad \(gain\): \/extensions\/nodes\/bad\/options: gain: unknown option "gian"/,
      );
      // The added node's output follows the settled filter within a few ticks.
      await vi.waitFor(() => expect(node!.bridge.host!.value('half.y') as number).toBeCloseTo(0.25, 3), EVENTUALLY);
      const list = (await (await fetch(`${dash.url}api/extensions`)).json()) as { name: string; outputs: { y?: number } }[];
      expect(list.map((n) => n.name)).toEqual(['front_raw', 'front', 'half']);
      expect(list[2].outputs.y).toBeCloseTo(0.25, 3);
      expect((await post({ op: 'reconfigure', name: 'half', options: { gain: 2 } })).status).toBe(200);
      // The next tick computes with the new gain.
      await vi.waitFor(
        () => expect(node!.bridge.snapshot().extensions.find((n) => n.name === 'half')!.outputs.y as number).toBeCloseTo(1, 3),
        EVENTUALLY,
      );
      expect((await post({ op: 'remove', name: 'half' })).status).toBe(200);
      expect(node.bridge.host!.has('half')).toBe(false);
    } finally {
      await dash.close();
      r.stop();
    }
  }, 20_000);

  it('the example extension package, installed from a local path into a fresh project, runs in a circuit', async () => {
    const project = realpathSync(mkdtempSync(join(tmpdir(), 'flux-fresh-')));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fresh-robot', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(ROOT, 'examples/extensions/flux-ext-deadband')], {
      cwd: project,
      stdio: 'pipe',
    });
    const bridge = doc(
      `circuit: ${CIRCUIT}
extensions:
  load: [flux-ext-deadband]
  nodes:
    front_raw: { type: ros_topic_in, options: { topic: /front, type: sensor_msgs/msg/Range, path: range } }
    band: { type: deadband, options: { width: 0.25, gain: 2 }, in: { x: front_raw.value } }
inputs:
  range_front: { from: front_raw.value, encoder: { current: { min: 0.8, max: 0.2, current_max: 1 } } }
outputs:
  cmd_vel:
    topic: /cmd_vel
    type: geometry_msgs/msg/Twist
    rate: 100 Hz
    values:
      angular.z: { from: band.y, limits: { min: -2, max: 2, safe: 0 } }
`,
      project,
    );
    const graph = new MemoryGraph();
    const r = rig(graph);
    node = await FluxNode.start({ bridge, transport: 'memory', graph, backend: 'cpu', threads: 1, log: () => undefined });
    expect(node.bridge.host!.status().find((n) => n.name === 'band')!.isolated).toBe(true);
    r.send(0.75);
    // 2 * (0.75 - 0.25) = 1.0; the worker answers one call late.
    await until(() => r.twists.some((t) => Math.abs(t.angular.z - 1) < 1e-9));
    r.send(0.2);
    await until(() => r.twists.at(-1)!.angular.z === 0);
    r.stop();
  }, 60_000);
});
