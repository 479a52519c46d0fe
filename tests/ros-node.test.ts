// Flux as a robot node: ROS command-line arguments, parameters that apply live, hot swaps, and the
// signal handling that leaves the robot stopped. The memory transport and the FAKE rclnodejs
// (tests/fakes/rclnodejs.ts) stand in for ROS 2, which cannot be installed here.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FluxNode } from '../bridge/node/node.js';
import { splitRosArgs, parseRosArgs, resolveTopic, paramsForNode, RosArgsError } from '../bridge/node/rosargs.js';
import { LocalParameters } from '../bridge/node/parameters.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { SENSOR_QOS, DEFAULT_QOS } from '../bridge/transport/transport.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { fakeRclnodejs } from './fakes/rclnodejs.js';
import { ROOT, example, tempDir, libraryCircuit, EVENTUALLY, ticksPass } from './helpers.js';

const BRIDGE = example('bridges/braitenberg.yaml');
const scanCodec = createCodec('sensor_msgs/msg/LaserScan');
const twistCodec = createCodec('geometry_msgs/msg/Twist');
const stampedCodec = createCodec('geometry_msgs/msg/TwistStamped');

let node: FluxNode | null = null;
afterEach(async () => {
  await node?.shutdown();
  node = null;
});

/** A robot on the memory graph: publishes scans with an obstacle on the left, records commands by topic. */
function robot(graph: MemoryGraph, scanTopic: string) {
  const t = new MemoryTransport(graph);
  const pub = t.advertise(scanTopic, 'sensor_msgs/msg/LaserScan', { ...SENSOR_QOS, reliability: 'reliable' });
  const m = scanCodec.zero();
  m.ranges = Float32Array.from({ length: 360 }, (_, i) => (i < 180 ? 3 : 0.4));
  const timer = setInterval(() => pub.publish(scanCodec.encode(m)), 20);
  const got = new Map<string, Uint8Array[]>();
  const listen = (topic: string, type: string, key = topic) => {
    got.set(key, []);
    t.subscribe(topic, type, DEFAULT_QOS, (b) => got.get(key)!.push(b));
  };
  return { listen, got, stop: () => clearInterval(timer) };
}

describe('ROS command-line arguments', () => {
  it('are split from Flux options and parsed as rcl reads them', () => {
    const argv = [
      'node',
      'flux',
      'run',
      'b.yaml',
      '--ros-args',
      '-r',
      '__node:=brain',
      '--remap',
      '__ns:=/robot1',
      '-r',
      'scan:=front/scan',
      '-r',
      'other:cmd_vel:=/x',
      '-p',
      'tick_hz:=500.0',
      '-p',
      'outputs.cmd_vel.stamped:=true',
      '--params-file',
      'p.yaml',
      '--log-level',
      'debug',
      '--',
      '--status',
      '0',
    ];
    const { own, ros } = splitRosArgs(argv);
    expect(own).toEqual(['node', 'flux', 'run', 'b.yaml', '--status', '0']);
    const a = parseRosArgs(ros);
    expect(a.nodeName).toBe('brain');
    expect(a.namespace).toBe('/robot1');
    expect(a.remaps).toEqual([
      { from: 'scan', to: 'front/scan' },
      { node: 'other', from: 'cmd_vel', to: '/x' },
    ]);
    expect(a.params).toEqual([
      { name: 'tick_hz', value: 500 },
      { name: 'outputs.cmd_vel.stamped', value: true },
    ]);
    expect(a.paramsFiles).toEqual(['p.yaml']);
    expect(a.other).toEqual(['--log-level', 'debug']);
    // rcl's expansion: relative names get the namespace, ~ the node's private namespace; remaps match expanded names.
    expect(resolveTopic('scan', a, 'brain', '/robot1')).toBe('/robot1/front/scan');
    expect(resolveTopic('/scan', a, 'brain', '/robot1')).toBe('/scan');
    expect(resolveTopic('~/status', a, 'brain', '/robot1')).toBe('/robot1/brain/status');
    expect(resolveTopic('cmd_vel', a, 'brain', '/robot1')).toBe('/robot1/cmd_vel'); // the rule is for node "other"
    expect(resolveTopic('cmd_vel', a, 'other', '/')).toBe('/x');
  });

  it('bad arguments are refused with the argument named', () => {
    expect(() => parseRosArgs(['--ros-args', '-r', 'scan'])).toThrow(RosArgsError);
    expect(() => parseRosArgs(['--ros-args', '-r', 'scan'])).toThrow(/-r scan: expected \[node:\]name:=value/);
    expect(() => parseRosArgs(['--ros-args', '-r', '__ns:=robot1'])).toThrow(/namespace is absolute/);
    expect(() => parseRosArgs(['--ros-args', '-p'])).toThrow(/-p needs a value/);
    expect(() => parseRosArgs(['--ros-args', '--frobnicate'])).toThrow(/unknown ROS argument "--frobnicate"/);
  });

  it('params files: /** and the node name apply, later sections and -p override', () => {
    const dir = tempDir();
    const f = join(dir, 'params.yaml');
    writeFileSync(
      f,
      [
        '/**:',
        '  ros__parameters:',
        '    tick_hz: 250.0',
        '    backend: cpu',
        'other:',
        '  ros__parameters:',
        '    tick_hz: 1.0',
        '/robot1/brain:',
        '  ros__parameters:',
        '    outputs:',
        '      cmd_vel:',
        '        topic: /base/cmd_vel',
      ].join('\n'),
    );
    expect(paramsForNode(f, 'brain', '/robot1')).toEqual({ tick_hz: 250, backend: 'cpu', 'outputs.cmd_vel.topic': '/base/cmd_vel' });
    const p = new LocalParameters(parseRosArgs(['--ros-args', '--params-file', f, '-p', 'backend:=webgpu']), 'brain', '/robot1');
    expect(p.declare({ name: 'tick_hz', type: 'double', value: 1000, description: '' })).toBe(250);
    expect(p.declare({ name: 'backend', type: 'string', value: 'auto', description: '' })).toBe('webgpu');
    expect(() => p.declare({ name: 'outputs.cmd_vel.topic', type: 'bool', value: false, description: '' })).toThrow(
      /is a bool, got "\/base\/cmd_vel"/,
    );
  });
});

describe('Flux node on the memory transport', () => {
  it('namespace and remaps move its topics; a LaserScan drives a Twist there', async () => {
    const graph = new MemoryGraph();
    const r = robot(graph, '/robot1/scan');
    r.listen('/robot1/base/cmd_vel', 'geometry_msgs/msg/Twist');
    node = await FluxNode.start({
      bridge: BRIDGE,
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
      rosArgs: ['--ros-args', '-r', '__node:=brain', '-r', '__ns:=/robot1', '-r', 'cmd_vel:=base/cmd_vel', '-p', 'tick_hz:=200.0'],
    });
    expect(node.resolve('scan')).toBe('/robot1/scan');
    expect(node.bridge.settings.tickHz).toBe(200);
    const commands = () =>
      r.got.get('/robot1/base/cmd_vel')!.map((b) => twistCodec.decode(b) as { linear: { x: number }; angular: { z: number } });
    await vi.waitFor(() => {
      expect(commands().length).toBeGreaterThan(10);
      expect(commands().at(-1)!.angular.z).toBeLessThan(-0.05);
    }, EVENTUALLY);
    r.stop();
    const cmds = commands();
    expect(cmds.length).toBeGreaterThan(10);
    // Obstacle on the left (ranges[180:360] near): the crossed wiring turns the robot right (angular.z < 0).
    expect(cmds.at(-1)!.angular.z).toBeLessThan(-0.05);
    expect(graph.topics.get('/cmd_vel')?.pubs.size ?? 0).toBe(0);
  });

  it('a parameter out of its range at start (-p, a params file) is refused like a live set, and no node starts', async () => {
    for (const arg of ['tick_hz:=0.0', 'tick_hz:=200000.0', 'watchdog_ms:=0.0']) {
      const start = FluxNode.start({
        bridge: BRIDGE,
        transport: 'memory',
        graph: new MemoryGraph(),
        backend: 'cpu',
        threads: 1,
        log: () => undefined,
        rosArgs: ['--ros-args', '-p', arg],
      });
      await expect(start, arg).rejects.toThrow(
        arg.startsWith('tick') ? /give a rate in \[1, 10000\]/ : /give a positive time|give a time in/,
      );
    }
  });

  it('parameters apply live: tick rate, topic, stamped output; bad values are refused and change nothing', async () => {
    const graph = new MemoryGraph();
    const r = robot(graph, '/scan');
    r.listen('/cmd_vel', 'geometry_msgs/msg/Twist');
    r.listen('/base/cmd_vel', 'geometry_msgs/msg/TwistStamped');
    node = await FluxNode.start({
      bridge: BRIDGE,
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
      rosArgs: ['--ros-args', '-p', 'tick_hz:=200.0'],
    });
    await ticksPass(node.bridge.stats, 50);
    expect(node.params.set('tick_hz', 100)).toEqual({ successful: true, reason: '' });
    expect(node.bridge.settings.tickHz).toBe(100);
    // The rate, from the time that 30 ticks really took (the rate is wall-clock time by definition).
    const ticks = node.bridge.stats.ticks;
    const t0 = performance.now();
    await ticksPass(node.bridge.stats, 30);
    const rate = ((node.bridge.stats.ticks - ticks) / (performance.now() - t0)) * 1000;
    expect(rate).toBeGreaterThan(50);
    expect(rate).toBeLessThan(130);

    // Stamped in place: the Twist listener's last message is the safe (zero) command, then the
    // TwistStamped listener on the same topic takes over.
    r.listen('/cmd_vel', 'geometry_msgs/msg/TwistStamped', 'stamped on /cmd_vel');
    expect(node.params.set('outputs.cmd_vel.stamped', true).successful).toBe(true);
    // Deliveries are asynchronous (setImmediate, in order): once a stamped message has arrived, every
    // Twist sent before the switch has too. Then no Twist may come while five more stamped ones do.
    await vi.waitFor(() => expect(r.got.get('stamped on /cmd_vel')!.length).toBeGreaterThan(0), EVENTUALLY);
    const twists = r.got.get('/cmd_vel')!.length;
    const stampedSoFar = r.got.get('stamped on /cmd_vel')!.length;
    await vi.waitFor(() => expect(r.got.get('stamped on /cmd_vel')!.length).toBeGreaterThan(stampedSoFar + 5), EVENTUALLY);
    expect(r.got.get('/cmd_vel')!.length).toBe(twists);
    const last = twistCodec.decode(r.got.get('/cmd_vel')!.at(-1)!) as { linear: { x: number }; angular: { z: number } };
    expect([last.linear.x, last.angular.z]).toEqual([0, 0]);
    expect(r.got.get('stamped on /cmd_vel')!.length).toBeGreaterThan(0);

    // A topic that carries another type is refused, and the output goes on where it was.
    const other = new MemoryTransport(graph).advertise('/busy', 'geometry_msgs/msg/Twist', DEFAULT_QOS);
    const refusedMove = node.params.set('outputs.cmd_vel.topic', '/busy');
    expect(refusedMove.successful).toBe(false);
    expect(refusedMove.reason).toMatch(/\/busy carries geometry_msgs\/msg\/Twist/);
    expect(node.bridge.settings.outputs[0]).toMatchObject({ topic: 'cmd_vel', type: 'geometry_msgs/msg/TwistStamped', stamped: true });
    other.close();

    // Moving the output: the old topic's last message is the safe command, then nothing more there.
    expect(node.params.set('outputs.cmd_vel.topic', '/base/cmd_vel').successful).toBe(true);
    // As above: the first message on the new topic comes after the old topic's last one.
    await vi.waitFor(() => expect(r.got.get('/base/cmd_vel')!.length).toBeGreaterThan(0), EVENTUALLY);
    const oldCount = r.got.get('stamped on /cmd_vel')!.length;
    await vi.waitFor(() => {
      expect(r.got.get('/base/cmd_vel')!.length).toBeGreaterThan(5);
      const last = stampedCodec.decode(r.got.get('/base/cmd_vel')!.at(-1)!) as { twist: { angular: { z: number } } };
      expect(last.twist.angular.z).toBeLessThan(-0.05);
    }, EVENTUALLY);
    r.stop();
    expect(r.got.get('stamped on /cmd_vel')!.length).toBe(oldCount);
    const stamped = r.got.get('/base/cmd_vel')!.map(
      (b) =>
        stampedCodec.decode(b) as {
          header: { stamp: { sec: number; nanosec: number }; frame_id: string };
          twist: { angular: { z: number } };
        },
    );
    expect(stamped.length).toBeGreaterThan(5);
    expect(stamped.at(-1)!.header.frame_id).toBe('base_link');
    const stampMs = stamped.at(-1)!.header.stamp.sec * 1000 + stamped.at(-1)!.header.stamp.nanosec / 1e6;
    expect(Math.abs(stampMs - Date.now())).toBeLessThan(1000);
    expect(stamped.at(-1)!.twist.angular.z).toBeLessThan(-0.05);

    for (const [name, value, why] of [
      ['tick_hz', -5, /tick_hz -5/],
      ['tick_hz', 20_000, /tick_hz 20000: give a rate in \[1, 10000\]/],
      ['backend', 'tpu', /expected auto, cpu or webgpu/],
      ['circuit', '/nonexistent/circuit.yaml', /nonexistent\/circuit\.yaml/],
      ['tick_hz', 'fast', /tick_hz is a double/],
    ] as const) {
      const res = node.params.set(name, value);
      expect(res.successful).toBe(false);
      expect(res.reason).toMatch(why);
    }
    expect(node.params.get('tick_hz')).toBe(100);
    expect(node.bridge.settings.tickHz).toBe(100);
    expect(node.params.get('backend')).toBe('cpu');
  });

  it('a new circuit is swapped in while the old one keeps running; live settings carry over', async () => {
    const dir = tempDir();
    const circuit = join(dir, 'braitenberg-fast.yaml');
    copyFileSync(libraryCircuit('braitenberg/braitenberg'), circuit);
    const graph = new MemoryGraph();
    const r = robot(graph, '/scan');
    r.listen('/moved', 'geometry_msgs/msg/Twist');
    node = await FluxNode.start({
      bridge: BRIDGE,
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
      rosArgs: ['--ros-args', '-p', 'tick_hz:=200.0', '-p', 'outputs.cmd_vel.topic:=/moved'],
    });
    await vi.waitFor(() => expect(r.got.get('/moved')!.length).toBeGreaterThan(0), EVENTUALLY);
    const before = node.engine;
    expect(node.params.set('circuit', circuit).successful).toBe(true);
    await node.settled();
    expect(node.engine).not.toBe(before);
    expect(node.loaded.circuitFile).toBe(circuit);
    expect(node.bridge.settings.outputs[0].topic).toBe('/moved');
    expect(node.bridge.settings.tickHz).toBe(200);
    const n = r.got.get('/moved')!.length;
    const ticks = node.bridge.stats.ticks;
    const running = node;
    await vi.waitFor(() => {
      expect(running.bridge.stats.ticks - ticks).toBeGreaterThan(20);
      expect(r.got.get('/moved')!.length).toBeGreaterThan(n + 5);
    }, EVENTUALLY);
    r.stop();
    expect(node.bridge.stats.ticks - ticks).toBeGreaterThan(20);
    expect(r.got.get('/moved')!.length).toBeGreaterThan(n + 5);
  });
});

describe('Flux node: hot swaps and shutdown keep the robot safe', () => {
  type Stamped = { header: { frame_id: string }; twist: { linear: { x: number }; angular: { z: number } } };
  const start = (graph: MemoryGraph, extra: string[] = []) =>
    FluxNode.start({
      bridge: BRIDGE,
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
      rosArgs: [
        '--ros-args',
        '-p',
        'tick_hz:=200.0',
        '-p',
        'outputs.cmd_vel.stamped:=true',
        '-p',
        'outputs.cmd_vel.frame_id:=odom',
        ...extra,
      ],
    });

  it('a swap sends the safe command before it builds (a CPU build holds the event loop), then drives on with the live settings', async () => {
    const graph = new MemoryGraph();
    const r = robot(graph, '/scan');
    r.listen('/cmd_vel', 'geometry_msgs/msg/TwistStamped');
    node = await start(graph);
    await vi.waitFor(() => expect(r.got.get('/cmd_vel')!.length).toBeGreaterThan(0), EVENTUALLY);
    const at = r.got.get('/cmd_vel')!.length;
    expect(node.params.set('backend', 'cpu').successful).toBe(true);
    await node.settled();
    const since = () =>
      r.got
        .get('/cmd_vel')!
        .slice(at)
        .map((b) => stampedCodec.decode(b) as Stamped);
    const zero = (m: Stamped) => m.twist.linear.x === 0 && m.twist.angular.z === 0;
    // Wait until it drives again after the safe command (the assertions below, as events).
    await vi.waitFor(() => {
      const sent = since();
      expect(sent.findIndex(zero)).toBeGreaterThanOrEqual(0);
      expect(sent.slice(sent.findIndex(zero)).some((m) => m.twist.angular.z < -0.05)).toBe(true);
    }, EVENTUALLY);
    r.stop();
    const after = since();
    const firstZero = after.findIndex((m) => m.twist.linear.x === 0 && m.twist.angular.z === 0);
    expect(firstZero).toBeGreaterThanOrEqual(0);
    // ...and it drives again afterwards, stamped in the frame the parameter names.
    expect(after.slice(firstZero).some((m) => m.twist.angular.z < -0.05)).toBe(true);
    expect(after.at(-1)!.header.frame_id).toBe('odom');
  });

  it('a swap to use_sim_time with no /clock: safe at once, then the wall-time watchdog repeats it', async () => {
    const graph = new MemoryGraph();
    const r = robot(graph, '/scan');
    r.listen('/cmd_vel', 'geometry_msgs/msg/TwistStamped');
    node = await start(graph);
    await vi.waitFor(() => expect(r.got.get('/cmd_vel')!.length).toBeGreaterThan(0), EVENTUALLY);
    const at = r.got.get('/cmd_vel')!.length;
    expect(node.params.set('use_sim_time', true).successful).toBe(true);
    await node.settled();
    // The watchdog runs on wall time (there is no simulated time to run it on): wait for its trip and
    // three safe commands since the swap.
    const swapped = node;
    await vi.waitFor(() => {
      expect(r.got.get('/cmd_vel')!.length - at).toBeGreaterThanOrEqual(3);
      expect(swapped.bridge.stats.watchdogTrips).toBeGreaterThanOrEqual(1);
    }, EVENTUALLY);
    r.stop();
    const after = r.got
      .get('/cmd_vel')!
      .slice(at)
      .map((b) => stampedCodec.decode(b) as Stamped);
    expect(after.length).toBeGreaterThanOrEqual(3);
    // Safe at once: a command the old loop published before the swap may still be on its way (the memory
    // transport delivers on the next turn of the event loop), then every command is the safe one.
    const zero = (m: Stamped) => m.twist.linear.x === 0 && m.twist.angular.z === 0;
    const firstSafe = after.findIndex(zero);
    expect(firstSafe).toBeGreaterThanOrEqual(0);
    expect(firstSafe).toBeLessThanOrEqual(1);
    expect(after.slice(firstSafe).every(zero)).toBe(true);
    expect(node.bridge.stats.watchdogTrips).toBeGreaterThanOrEqual(1);
  });

  it('shutdown during a pending swap publishes the safe command at once', async () => {
    const graph = new MemoryGraph();
    const r = robot(graph, '/scan');
    r.listen('/cmd_vel', 'geometry_msgs/msg/TwistStamped');
    node = await start(graph);
    await vi.waitFor(() => expect(r.got.get('/cmd_vel')!.length).toBeGreaterThan(0), EVENTUALLY);
    expect(node.params.set('backend', 'cpu').successful).toBe(true);
    const t0 = performance.now();
    const n = node;
    node = null;
    await n.shutdown();
    expect(performance.now() - t0).toBeLessThan(1000);
    r.stop();
    // Delivered asynchronously: nothing is published after the shutdown, so the last message settles.
    await vi.waitFor(() => {
      const last = stampedCodec.decode(r.got.get('/cmd_vel')!.at(-1)!) as Stamped;
      expect([last.twist.linear.x, last.twist.angular.z]).toEqual([0, 0]);
    }, EVENTUALLY);
  });
});

describe('Flux node on the ROS transport (FAKE rclnodejs)', () => {
  it('passes the ROS arguments to rcl, declares its parameters on the node, and obeys ros2 param set', async () => {
    const { module, graph } = fakeRclnodejs();
    const rosArgs = ['--ros-args', '-r', '__ns:=/robot1', '-p', 'tick_hz:=200.0'];
    const logs: string[] = [];
    node = await FluxNode.start({
      bridge: BRIDGE,
      transport: 'ros',
      rclnodejs: module,
      rosArgs,
      backend: 'cpu',
      threads: 1,
      log: (l) => logs.push(l),
    });
    expect(graph.argv).toEqual([process.argv[0], ...rosArgs]);
    expect(graph.calls.slice(0, 2)).toEqual(['init', 'removeSignalHandlers']);
    const rn = graph.nodes[0];
    const d = rn.descriptors.get('tick_hz') as { type: number; description: string };
    expect(d.type).toBe(3); // PARAMETER_DOUBLE
    expect(d.description).toMatch(/ticks per second/);
    for (const name of [
      'bridge',
      'circuit',
      'backend',
      'use_sim_time',
      'watchdog_ms',
      'inputs.range_left.topic',
      'outputs.cmd_vel.topic',
      'outputs.cmd_vel.stamped',
      'outputs.cmd_vel.frame_id',
    ])
      expect(rn.hasParameter(name)).toBe(true);
    // The topics go to rcl as the document gives them (relative): rcl resolves and remaps them.
    expect(graph.subs.map((s) => s.topic)).toEqual(['scan', 'scan', 'scan']);
    expect(graph.pubs.map((p) => p.topic)).toEqual(['cmd_vel']);

    expect(rn.setParameter(new module.Parameter('tick_hz', 3, 250))).toEqual({ successful: true, reason: '' });
    expect(node.bridge.settings.tickHz).toBe(250);
    const refused = rn.setParameter(new module.Parameter('tick_hz', 3, 0));
    expect(refused.successful).toBe(false);
    expect(rn.getParameter('tick_hz').value).toBe(250);

    // use_sim_time (declared by rclnodejs itself) swaps in an engine on /clock.
    expect(rn.setParameter(new module.Parameter('use_sim_time', 1, true)).successful).toBe(true);
    await node.settled();
    expect(logs.at(-1)).toMatch(/swapped in .*simulated time \(\/clock\)/);
    expect(graph.subs.some((s) => s.topic === '/clock')).toBe(true);
    await node.shutdown();
    node = null;
    expect(graph.calls.slice(-2)).toEqual(['destroy', 'shutdown']);
  });
});

describe('signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} publishes the safe command and exits 0 within 2 s`, async () => {
      const child = spawn('node', [join(ROOT, 'bin/flux.js'), 'run', BRIDGE, '--backend', 'cpu', '--status', '0'], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no "running" line in 20 s: ${out}`)), 20_000);
        child.stdout.on('data', () => /flux: running/.test(out) && (clearTimeout(t), resolve()));
      });
      // The signal handlers are installed before the "running" line is printed.
      const t0 = performance.now();
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      const took = performance.now() - t0;
      expect(code, out).toBe(0);
      expect(took).toBeLessThan(2000);
      const m = out.match(new RegExp(`flux: ${signal}: safe command published on /cmd_vel \\((\\d+) messages?\\)`));
      expect(m, out).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(1);
    }, 30_000);
  }
});

// Keep the example's topics relative: namespaces depend on it.
it('the example bridge uses relative topic names', () => {
  expect(readFileSync(BRIDGE, 'utf8')).not.toMatch(/topic: \//);
});

describe('Flux node: a bridge document edited in the dashboard (reloadBridgeFrom)', () => {
  const start = (graph: MemoryGraph) =>
    FluxNode.start({
      bridge: BRIDGE,
      transport: 'memory',
      graph,
      backend: 'cpu',
      threads: 1,
      log: () => undefined,
      rosArgs: ['--ros-args', '-p', 'tick_hz:=200.0', '-p', 'outputs.cmd_vel.stamped:=true', '-p', 'inputs.range_left.topic:=/left_scan'],
    });
  /** The example's text with one binding changed, as the page's setBinding writes it. */
  const edited = (from: string, to: string) => {
    const text = readFileSync(BRIDGE, 'utf8');
    expect(text).toContain(from);
    return text.replace(from, to);
  };

  it('the edited binding follows the document; the others keep their -p overrides; the text runs from memory until saved', async () => {
    const graph = new MemoryGraph();
    node = await start(graph);
    expect(node.bridgeDocument().saved).toBe(true);
    const text = edited("path: 'ranges[150:210]'\n", "path: 'ranges[150:210]'\n").replace(/(range_front:\n\s+topic: )scan/, '$1front_scan');
    expect(text).toContain('topic: front_scan');
    await node.reloadBridgeFrom(text, undefined, { section: 'inputs', name: 'range_front' });
    expect(node.params.get('inputs.range_front.topic')).toBe('front_scan');
    expect(node.params.get('inputs.range_left.topic')).toBe('/left_scan');
    expect(node.params.get('outputs.cmd_vel.stamped')).toBe(true);
    const topics = Object.fromEntries(node.bridge.settings.inputs.map((i) => [i.input, i.topic]));
    expect(topics).toEqual({ range_left: '/left_scan', range_right: 'scan', range_front: 'front_scan' });
    expect(node.bridgeDocument()).toMatchObject({ file: BRIDGE, text, saved: false });
    // Moving to another document would drop the unsaved bindings: refused until they are saved.
    expect(node.params.set('bridge', example('bridges/braitenberg-learning.yaml')).successful).toBe(false);
    node.bridgeSaved(text);
    expect(node.bridgeDocument().saved).toBe(true);
  });

  it('rebinding a stamped output to a type without a stamped variant clears the flag and runs; a document that fails leaves the old one running', async () => {
    const graph = new MemoryGraph();
    node = await start(graph);
    const plain = edited('type: geometry_msgs/msg/Twist', 'type: std_msgs/msg/Float64')
      .replace(/values:\n\s+linear\.x:/, 'values:\n      data:')
      .replace(/\n {6}angular\.z:[^]*$/, '\n');
    await node.reloadBridgeFrom(plain, undefined, { section: 'outputs', name: 'cmd_vel' });
    expect(node.params.get('outputs.cmd_vel.stamped')).toBe(false);
    expect(node.bridge.settings.outputs[0]).toMatchObject({ name: 'cmd_vel', type: 'std_msgs/msg/Float64', stamped: false });
    await ticksPass(node.bridge.stats, 5);
    const running = node.bridge;
    await expect(
      node.reloadBridgeFrom(plain.replace('range_left:', 'nope:'), undefined, { section: 'inputs', name: 'nope' }),
    ).rejects.toThrow(/no input "nope"/);
    expect(node.bridge).toBe(running);
    expect(node.bridgeDocument().text).toBe(plain);
    await ticksPass(node.bridge.stats, 5);
  });
});
