// `flux run <bridge document> --partition 2` (issue 22): a robot's circuit over two processes. The
// partition that holds the populations the bindings name runs the bridge (its topics on DDS); the
// motors here fire only from the other partition's spikes, so a moving robot shows the spikes crossed.
// This test is the robot: it publishes LaserScans and reads the Twists, over DDS. A partition killed
// mid-run sends the robot's outputs safe within a second: through the launcher, which stops the
// others, and on separate machines (--node, no launcher) through the lost spike link itself; a
// launcher killed outright takes its partitions down with it, safe.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '../bridge/codec/cdr.js';
import { DdsTransport, ddsUnavailable } from '../bridge/transport/dds.js';
import { DEFAULT_QOS, SENSOR_QOS } from '../bridge/transport/transport.js';
import { cycloneUri, ddsTestDomain, useCycloneUriInThisProcess } from './fixtures/dds-peers.js';
import { requires } from './requirements.js';
import { holdLock } from './fixtures/hold-lock.js';
import { fluxRun, type FluxRun } from './fixtures/flux-run.js';

const why = ddsUnavailable();
if (why !== null && process.env.CI !== 'true') requires('dds', why);
useCycloneUriInThisProcess();
const DOMAIN = ddsTestDomain('dds-partition-bridge');
const env = { ...process.env, ROS_DOMAIN_ID: String(DOMAIN), CYCLONEDDS_URI: cycloneUri() };

const dir = mkdtempSync(join(tmpdir(), 'flux-partition-bridge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Sensors and motors (the bindings') with a cortex between them, whose own drive makes it fire: the
// motors have no input but the cortex's, 2 ms away (a tick is 1 ms).
const CIRCUIT = `name: robot-cortex
dt: 1 ms
seed: 4
populations:
  sensor: { model: lif, size: 20, params: { tau_refrac: 2 ms } }
  cortex: { model: lif, size: 300, params: { tau_refrac: 2 ms } }
  motor: { model: lif, size: 20, params: { tau_refrac: 2 ms, tau_syn_exc: 5 ms } }
projections:
  sensor_cortex: { source: sensor, target: cortex, connectivity: { type: fixed_indegree, n: 10 }, weight: 2 nS, delay: 2 ms, synapse: { type: conductance, receptor: excitatory } }
  cortex_motor: { source: cortex, target: motor, connectivity: { type: fixed_indegree, n: 60 }, weight: 3 nS, delay: 2 ms, synapse: { type: conductance, receptor: excitatory } }
sources:
  drive: { type: poisson, target: cortex, rate: 3000 Hz, weight: 2 nS, synapse: { type: conductance, receptor: excitatory } }
inputs:
  range: { target: sensor, mode: current, gain: 1000 }
outputs:
  speed: { source: motor, measure: rate, tau: 100 ms }
`;
const BRIDGE = `circuit: ./robot-cortex.yaml
tick: 1 kHz
watchdog: 100 ms
inputs:
  range:
    topic: /pb/scan
    type: sensor_msgs/msg/LaserScan
    path: 'ranges[0:20]'
    qos: sensor
    encoder: { current: { min: 1.0, max: 0.15, current_max: 1 } }
    timeout: 500 ms
    valid: [0, 100]
outputs:
  cmd_vel:
    topic: /pb/cmd_vel
    type: geometry_msgs/msg/Twist
    rate: 50 Hz
    values:
      linear.x:
        terms: [{ population: motor, decoder: { rate: { tau: 100 ms, rate_max: 100 Hz, min: 0, max: 1 } }, weight: 0.3 }]
        limits: { min: 0, max: 0.3, safe: 0 }
`;
writeFileSync(join(dir, 'robot-cortex.yaml'), CIRCUIT);
const FILE = join(dir, 'robot.bridge.yaml');
writeFileSync(FILE, BRIDGE);

const launched: FluxRun[] = [];

/**
 * Stops a launch and the partitions it started: a launcher killed outright would leave its children
 * running (and publishing on the robot's topics) into the next test.
 */
function stop(l: FluxRun): void {
  const pids = l.lines.flatMap((x) => /^flux: partition \d+: pid (\d+)$/.exec(x.text)?.[1] ?? []).map(Number);
  for (const pid of [l.proc.pid!, ...pids])
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
}
afterAll(() => launched.forEach(stop));

function launch(args: string[], file = FILE): FluxRun {
  const l = fluxRun(file, args, dir, env);
  launched.push(l);
  return l;
}

/** The robot: LaserScans at 50 Hz (everything 0.5 m away), and every Twist it is sent, with its arrival time. */
function robot(): { twists: { at: number; x: number }[]; close: () => Promise<void> } {
  const t = DdsTransport.open({ domainId: DOMAIN });
  const scan = createCodec('sensor_msgs/msg/LaserScan');
  const twist = createCodec('geometry_msgs/msg/Twist');
  const twists: { at: number; x: number }[] = [];
  t.subscribe('/pb/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, (b) => {
    twists.push({ at: performance.now(), x: (twist.decode(b) as { linear: { x: number } }).linear.x });
  });
  const pub = t.advertise('/pb/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
  const bytes = scan.encode({ angle_min: -1, angle_max: 1, range_min: 0.1, range_max: 10, ranges: new Array(40).fill(0.5) });
  const timer = setInterval(() => pub.publish(bytes), 20);
  return {
    twists,
    close: async () => {
      clearInterval(timer);
      await t.close();
    },
  };
}

/** After `killedAt`: the first Twist at 0, and every Twist from then on 0 (the robot stays stopped). */
function safeAfter(twists: { at: number; x: number }[], killedAt: number): { firstSafe: number; movedAgain: boolean } {
  const after = twists.filter((m) => m.at > killedAt);
  const k = after.findIndex((m) => m.x === 0);
  return { firstSafe: k < 0 ? Infinity : after[k].at - killedAt, movedAgain: k >= 0 && after.slice(k).some((m) => m.x !== 0) };
}

describe.skipIf(why !== null && process.env.CI !== 'true')('a robot bridge over two processes (flux run <bridge> --partition 2)', () => {
  // Processes that keep both cores busy: not beside the suites that time the loop.
  holdLock();

  it("runs the bindings where their populations are; the robot moves on the other partition's spikes; a killed partition sends it safe within a second", async () => {
    const bot = robot();
    const run = launch(['--partition', '2', '--threads', '1', '--backend', 'cpu', '--run-id', 'launcher']);
    try {
      await expect.poll(() => run.lines.filter((l) => /^\[partition \d\] flux: running/.test(l.text)).length, { timeout: 30_000 }).toBe(2);
      const text = run.lines.map((l) => l.text).join('\n');
      // The bindings' populations together, with the bridge; the cortex on its own.
      const home =
        /^ {2}partition (\d): motor sensor \(and the bridge of /m.exec(text) ??
        /^ {2}partition (\d): sensor motor \(and the bridge of /m.exec(text);
      expect(home, text).not.toBeNull();
      const other = 1 - Number(home![1]);
      expect(text).toMatch(new RegExp(`^ {2}partition ${other}: cortex$`, 'm'));
      // Moving: the motors fire, and only the cortex in the other process drives them.
      await expect.poll(() => bot.twists.filter((m) => m.x > 0.02).length, { timeout: 20_000 }).toBeGreaterThan(5);
      const pid = Number(new RegExp(`^flux: partition ${other}: pid (\\d+)$`, 'm').exec(text)![1]);
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      expect(await run.exited).toBe(1);
      const { firstSafe, movedAgain } = safeAfter(bot.twists, killedAt);
      expect(firstSafe).toBeLessThan(1000);
      expect(movedAgain).toBe(false);
      expect(run.lines.some((l) => new RegExp(`^\\[partition ${home![1]}\\] flux: SIGTERM: safe command published`).test(l.text))).toBe(
        true,
      );
    } finally {
      stop(run);
      await bot.close();
    }
  }, 90_000);

  it('a launcher killed outright (SIGKILL): its partitions notice, send the robot safe and stop', async () => {
    const bot = robot();
    const run = launch(['--partition', '2', '--threads', '1', '--backend', 'cpu', '--run-id', 'orphans']);
    try {
      await expect.poll(() => bot.twists.filter((m) => m.x > 0.02).length, { timeout: 30_000 }).toBeGreaterThan(5);
      const pids = run.lines.flatMap((l) => /^flux: partition \d: pid (\d+)$/.exec(l.text)?.[1] ?? []).map(Number);
      expect(pids).toHaveLength(2);
      const killedAt = performance.now();
      run.proc.kill('SIGKILL');
      // Both partitions see their parent change within 250 ms and stop as on SIGTERM.
      await expect.poll(() => pids.filter((pid) => existsSync(`/proc/${pid}`)).length, { timeout: 5000 }).toBe(0);
      const { firstSafe, movedAgain } = safeAfter(bot.twists, killedAt);
      expect(firstSafe).toBeLessThan(1000);
      expect(movedAgain).toBe(false);
    } finally {
      stop(run);
      await bot.close();
    }
  }, 90_000);

  it('on two machines (--node, no launcher): the robot goes safe within a second of losing the other node, and stays safe while it runs on', async () => {
    // Which partition runs the bridge: the plan is the same on every machine.
    const plan = launch(['--partition', '2', '--node', '0', '--run-id', 'nodes', '--threads', '1', '--backend', 'cpu']);
    await expect.poll(() => plan.lines.some((l) => /^flux: partition 0: pid/.test(l.text)), { timeout: 30_000 }).toBe(true);
    const text = plan.lines.map((l) => l.text).join('\n');
    const home =
      text.includes('partition 0: motor sensor (and the bridge of') || text.includes('partition 0: sensor motor (and the bridge of')
        ? 0
        : 1;
    const bot = robot();
    const other =
      home === 0 ? launch(['--partition', '2', '--node', '1', '--run-id', 'nodes', '--threads', '1', '--backend', 'cpu']) : plan;
    const robotNode =
      home === 0 ? plan : launch(['--partition', '2', '--node', '1', '--run-id', 'nodes', '--threads', '1', '--backend', 'cpu']);
    try {
      await expect.poll(() => bot.twists.filter((m) => m.x > 0.02).length, { timeout: 30_000 }).toBeGreaterThan(5);
      const pid = Number(/^flux: partition \d: pid (\d+)$/m.exec(other.lines.map((l) => l.text).join('\n'))![1]);
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      // The robot's node runs on (nothing stops it) for two seconds more: safe within one, never moving again.
      await new Promise((r) => setTimeout(r, 3000));
      expect(robotNode.proc.exitCode).toBeNull();
      const { firstSafe, movedAgain } = safeAfter(bot.twists, killedAt);
      expect(firstSafe).toBeLessThan(1000);
      expect(movedAgain).toBe(false);
      expect(bot.twists.filter((m) => m.at > killedAt + 2000).length).toBeGreaterThan(10);
      expect(
        robotNode.lines.some((l) =>
          /no tick \d+ from the sender .* a bridge holds its outputs safe while the sender is silent/.test(l.text),
        ),
      ).toBe(true);
    } finally {
      for (const l of new Set([plan, other, robotNode])) stop(l);
      await bot.close();
    }
  }, 90_000);

  it('refuses a crossing projection shorter than the tick, bindings spread over two placed nodes, and a dashboard (live edits), saying why', async () => {
    const short = join(dir, 'short.yaml');
    writeFileSync(
      short,
      CIRCUIT.replace('name: robot-cortex', 'name: short')
        .replace(/delay: 2 ms/g, 'delay: 0.5 ms')
        .replace('dt: 1 ms', 'dt: 0.5 ms'),
    );
    const shortBridge = join(dir, 'short.bridge.yaml');
    writeFileSync(shortBridge, BRIDGE.replace('./robot-cortex.yaml', './short.yaml'));
    // Delays of one step (0.5 ms) under a 1 ms tick: the cortex cannot be elsewhere, so one partition holds all.
    const one = launch(['--partition', '2', '--duration', '0.2s', '--backend', 'cpu'], shortBridge);
    await one.exited;
    const out = one.text();
    expect(out).toMatch(/partition \d: (?=.*sensor)(?=.*motor)(?=.*cortex).*\(and the bridge of/);
    expect(out).toMatch(/partition \d: \(nothing\)/);
    expect(out).toMatch(/flux: partition \d has nothing to run: fewer parts of the circuit may run apart than there are partitions/);

    const placed = join(dir, 'placed.yaml');
    writeFileSync(placed, CIRCUIT.replace('name: robot-cortex', 'name: placed') + 'placement: { sensor: a, cortex: a, motor: b }\n');
    const placedBridge = join(dir, 'placed.bridge.yaml');
    writeFileSync(placedBridge, BRIDGE.replace('./robot-cortex.yaml', './placed.yaml'));
    const refused = launch(['--node', 'a'], placedBridge);
    expect(await refused.exited).not.toBe(0);
    const err = refused.text();
    expect(err).toContain("placement: the bridge's bindings drive and read populations on 2 nodes (sensor: a, motor: b)");

    // Live edits: refused with the reason, before anything starts.
    const edits = launch(['--partition', '2', '--dashboard', '127.0.0.1:0']);
    expect(await edits.exited).not.toBe(0);
    expect(edits.text()).toContain('--partition and --node run without a dashboard: live edits do not run across partitions yet');
  }, 60_000);
});
