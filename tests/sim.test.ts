// The simulated robot against the real MuJoCo WebAssembly build: kinematics, what crosses the
// transport (decoded with the project's codec), determinism, the command timeout, collisions, and
// arena documents. Tolerances: driving 2 s at 0.3 m/s covers 0.6 m within 3 cm (the wheel servo's
// ~50 ms lag costs ~1.5 cm) and odometry agrees with ground truth within 1.5 cm (tyre compression
// and slip, ~1 %); turning at 1 rad/s measures 1 rad/s within 0.03; a lidar range is right within 1 cm.
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { createCodec } from '../bridge/codec/cdr.js';
import { DEFAULT_QOS } from '../bridge/transport/transport.js';
import { CircuitError } from '../engine/circuit/errors.js';
import {
  Simulation,
  loadArena,
  findArena,
  resolveArena,
  arenaToMjcf,
  assembleRanges,
  beamIndex,
  angleIncrement,
  DEFAULT_LIDAR,
  WheelOdometry,
  distanceTo,
  ROBOT,
  type ArenaConfig,
} from '../sim/index.js';
import { ROOT, writeFiles } from './helpers.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const ANY = { reliability: 'best_effort', durability: 'volatile', depth: 10 } as const;

const open: Simulation[] = [];
async function sim(arena: ArenaConfig | string, options: Parameters<typeof Simulation.create>[1] = {}): Promise<Simulation> {
  const s = await Simulation.create(arena, options);
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Collects every decoded message on a topic. */
function record<T>(transport: MemoryTransport, topic: string, type: string): T[] {
  const codec = createCodec(type);
  const out: T[] = [];
  transport.subscribe(topic, type, ANY, (bytes) => out.push(codec.decode(bytes) as T));
  return out;
}

type Stamp = { sec: number; nanosec: number };
const sec = (s: Stamp) => s.sec + s.nanosec / 1e9;

/** Drives through the transport like a bridge: a /cmd_vel every 20 ms of simulated time. */
async function drive(s: Simulation, transport: MemoryTransport, v: number, w: number, seconds: number): Promise<void> {
  const twist = createCodec('geometry_msgs/msg/Twist');
  const pub = transport.advertise('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS);
  for (let t = 0; t < seconds; t += 0.02) {
    pub.publish(twist.encode({ linear: { x: v, y: 0, z: 0 }, angular: { x: 0, y: 0, z: w } }));
    await flush();
    s.step(20);
  }
  pub.close();
}

describe('simulated robot: motion, odometry and the transport', () => {
  it('drives 0.6 m in 2 s at 0.3 m/s; /odom (50 Hz) agrees with ground truth; /clock ticks every 1 ms step', async () => {
    const graph = new MemoryGraph();
    const s = await sim({ size: 6 }, { transport: graph });
    const t = new MemoryTransport(graph);
    const odom = record<{
      header: { stamp: Stamp; frame_id: string };
      child_frame_id: string;
      pose: { pose: { position: { x: number; y: number } } };
      twist: { twist: { linear: { x: number } } };
    }>(t, '/odom', 'nav_msgs/msg/Odometry');
    const clock = record<{ clock: Stamp }>(t, '/clock', 'rosgraph_msgs/msg/Clock');
    const imu = record<{ linear_acceleration: { z: number }; header: { frame_id: string } }>(t, '/imu', 'sensor_msgs/msg/Imu');
    s.step(100); // settle on the wheels and caster
    await flush();
    const p0 = s.pose();
    expect(imu.at(-1)!.linear_acceleration.z).toBeCloseTo(9.81, 1); // gravity, as a real accelerometer reads it
    const before = odom.length;
    const o0 = odom.at(-1)!.pose.pose.position;
    await drive(s, t, 0.3, 0, 2);
    await flush();
    const p1 = s.pose();
    const moved = Math.hypot(p1.x - p0.x, p1.y - p0.y);
    expect(moved).toBeGreaterThan(0.57);
    expect(moved).toBeLessThan(0.63);
    expect(Math.abs(p1.y - p0.y)).toBeLessThan(0.005);
    const last = odom.at(-1)!;
    expect(last.header.frame_id).toBe('odom');
    expect(last.child_frame_id).toBe('base_link');
    const odomMoved = Math.hypot(last.pose.pose.position.x - o0.x, last.pose.pose.position.y - o0.y);
    // Odometry within 2% of the ground-truth distance (measured: about 1.3%).
    expect(Math.abs(odomMoved - moved)).toBeLessThan(0.02 * moved);
    expect(last.twist.twist.linear.x).toBeCloseTo(0.3, 2);
    // 50 Hz of simulated time: 100 messages in 2 s, stamped 20 ms apart.
    const during = odom.slice(before);
    expect(during.length).toBe(100);
    for (let i = 1; i < during.length; i++) expect(sec(during[i].header.stamp) - sec(during[i - 1].header.stamp)).toBeCloseTo(0.02, 9);
    // /clock: one message per 1 ms step, each 1 ms after the previous, ending at the simulation's time.
    expect(clock.length).toBe(s.steps);
    for (let i = 1; i < clock.length; i++) expect(sec(clock[i].clock) - sec(clock[i - 1].clock)).toBeCloseTo(0.001, 9);
    expect(sec(clock.at(-1)!.clock)).toBeCloseTo(s.time, 9);
    expect(s.time).toBeCloseTo(2.1, 9);
  });

  it('turns in place at 1 rad/s; /imu reports the yaw rate', async () => {
    const graph = new MemoryGraph();
    const s = await sim({ size: 6 }, { transport: graph });
    const t = new MemoryTransport(graph);
    const imu = record<{ angular_velocity: { z: number }; header: { frame_id: string } }>(t, '/imu', 'sensor_msgs/msg/Imu');
    await drive(s, t, 0, 1, 0.5); // spin up
    const y0 = s.pose().yaw;
    const p0 = s.pose();
    await drive(s, t, 0, 1, 1);
    await flush();
    const turned = ((s.pose().yaw - y0 + 3 * Math.PI) % (2 * Math.PI)) - Math.PI;
    expect(turned).toBeGreaterThan(0.97);
    expect(turned).toBeLessThan(1.03);
    expect(Math.hypot(s.pose().x - p0.x, s.pose().y - p0.y)).toBeLessThan(0.01); // in place
    expect(imu.at(-1)!.angular_velocity.z).toBeCloseTo(1, 1);
    expect(imu.at(-1)!.header.frame_id).toBe('imu_link');
  });

  it('the command timeout stops the robot 0.5 s after the last /cmd_vel (TwistStamped when configured)', async () => {
    const graph = new MemoryGraph();
    const s = await sim({ size: 6 }, { transport: graph, cmdVel: { stamped: true } });
    const t = new MemoryTransport(graph);
    const codec = createCodec('geometry_msgs/msg/TwistStamped');
    const pub = t.advertise('/cmd_vel', 'geometry_msgs/msg/TwistStamped', DEFAULT_QOS);
    pub.publish(
      codec.encode({
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' },
        twist: { linear: { x: 0.3, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
      }),
    );
    await flush();
    s.step(400);
    expect(s.commanded().linear).toBe(0.3);
    expect(s.velocity().linear).toBeGreaterThan(0.25);
    s.step(1600);
    expect(s.commanded().linear).toBe(0);
    expect(Math.abs(s.velocity().linear)).toBeLessThan(0.005);
    // It went ~0.5 s worth, not 2 s worth.
    expect(s.pose().x).toBeGreaterThan(0.1);
    expect(s.pose().x).toBeLessThan(0.2);
    expect(s.malformedCommands).toBe(0);
  });

  it('counts a drive into a wall as one collision; the wall stops the robot', async () => {
    const s = await sim({ size: 2, start: { x: 0, y: 0, yaw: 0 } }); // east wall's face at x = 1
    for (let k = 0; k < 100; k++) {
      // 2 s: 0.6 m, still clear
      s.command(0.3, 0);
      s.step(20);
    }
    expect(s.collisions).toBe(0);
    expect(s.collided).toBe(false);
    for (let k = 0; k < 150; k++) {
      // 3 s more: it reaches the wall and pushes
      s.command(0.3, 0);
      s.step(20);
    }
    expect(s.collisions).toBe(1);
    expect(s.collided).toBe(true);
    expect(s.touching).toBe(true);
    expect(s.pose().x).toBeLessThan(1 - ROBOT.bodyRadius + 0.005);
    expect(s.pose().x).toBeGreaterThan(1 - ROBOT.bodyRadius - 0.02);
    const hit = s.collisionEvents()[0];
    expect(hit.time).toBeGreaterThan(2.5);
    expect(hit.time).toBeLessThan(3.5);
    // Back off and hit it again: a second collision.
    for (let k = 0; k < 50; k++) {
      s.command(-0.3, 0);
      s.step(20);
    }
    expect(s.touching).toBe(false);
    for (let k = 0; k < 75; k++) {
      s.command(0.3, 0);
      s.step(20);
    }
    expect(s.collisions).toBe(2);
  });
});

describe('simulated robot: lidar and IR', () => {
  // A 10 m arena: walls 5 m away, beyond the lidar's 3.5 m. A box whose near face is 0.6 m ahead, a
  // cylinder whose near side is 1.2 m to the left.
  const arena: ArenaConfig = {
    size: 10,
    obstacles: [
      { shape: 'box', x: 0.7, y: 0, size: [0.2, 0.6] },
      { shape: 'cylinder', x: 0, y: 1.4, radius: 0.2 },
    ],
  };

  it('/scan: the forward beam reads the box, the left beam the cylinder, empty directions +inf; angle_increment = (max-min)/(samples-1)', async () => {
    const graph = new MemoryGraph();
    const s = await sim(arena, { transport: graph });
    const t = new MemoryTransport(graph);
    const scans = record<{
      header: { stamp: Stamp; frame_id: string };
      angle_min: number;
      angle_max: number;
      angle_increment: number;
      range_min: number;
      range_max: number;
      ranges: Float32Array;
      intensities: Float32Array;
    }>(t, '/scan', 'sensor_msgs/msg/LaserScan');
    s.step(300);
    await flush();
    expect(scans.length).toBe(3); // 10 Hz
    const m = scans.at(-1)!;
    expect(sec(m.header.stamp)).toBeCloseTo(0.3, 9);
    expect(m.header.frame_id).toBe('lidar_link');
    expect(m.ranges.length).toBe(360);
    expect(m.angle_min).toBeCloseTo(-Math.PI, 6);
    expect(m.angle_increment).toBeCloseTo((m.angle_max - m.angle_min) / (m.ranges.length - 1), 6);
    expect(m.angle_increment).toBeCloseTo((2 * Math.PI) / 360, 6);
    const forward = beamIndex(DEFAULT_LIDAR, 0);
    expect(forward).toBe(180);
    expect(Math.abs(m.ranges[forward] - 0.6)).toBeLessThan(0.01);
    const left = beamIndex(DEFAULT_LIDAR, Math.PI / 2);
    expect(Math.abs(m.ranges[left] - 1.2)).toBeLessThan(0.01);
    // Right (-90°) and straight back: nothing within 3.5 m.
    expect(m.ranges[beamIndex(DEFAULT_LIDAR, -Math.PI / 2)]).toBe(Infinity);
    expect(m.ranges[0]).toBe(Infinity);
    expect(m.range_max).toBeCloseTo(3.5, 6);
    // The box subtends atan(0.3/0.6) ≈ ±26°: beams at ±20° hit its face at 0.6/cos(20°).
    expect(Math.abs(m.ranges[forward + 20] - 0.6 / Math.cos((20 * Math.PI) / 180))).toBeLessThan(0.01);
    expect(Math.abs(m.ranges[forward - 20] - 0.6 / Math.cos((20 * Math.PI) / 180))).toBeLessThan(0.01);
    expect(m.ranges[forward + 40]).toBe(Infinity);
    expect(s.lastScan()!.ranges[forward]).toBeCloseTo(m.ranges[forward], 6);
  });

  it('the scan turns with the robot; nearer than range_min reads -inf; IR ranges on /ir/<name>', async () => {
    // The same scene turned a quarter: the robot faces north, the box is north of it.
    const turned: ArenaConfig = {
      size: 10,
      start: { x: 0, y: 0, yaw: Math.PI / 2 },
      obstacles: [{ shape: 'box', x: 0, y: 0.7, size: [0.6, 0.2] }],
    };
    const graph = new MemoryGraph();
    const s = await sim(turned, { transport: graph, lidar: { rangeMin: 0.7 } });
    const t = new MemoryTransport(graph);
    const ir = record<{ range: number; radiation_type: number; min_range: number; max_range: number; header: { frame_id: string } }>(
      t,
      '/ir/front',
      'sensor_msgs/msg/Range',
    );
    const irLeft = record<{ range: number }>(t, '/ir/front_left', 'sensor_msgs/msg/Range');
    s.step(100);
    await flush();
    const scan = s.lastScan()!;
    expect(scan.ranges[180]).toBe(-Infinity); // 0.6 m < range_min 0.7
    expect(scan.ranges[180 + 20]).toBe(-Infinity); // 0.6 / cos 20° = 0.64 m
    expect(scan.ranges[180 + 90]).toBe(Infinity);
    expect(ir.length).toBe(2); // 20 Hz: t = 0.05, 0.1
    const r = ir.at(-1)!;
    expect(r.radiation_type).toBe(1); // INFRARED
    expect(r.header.frame_id).toBe('ir_front_link');
    expect(Math.abs(r.range - (0.6 - ROBOT.ir[1].x))).toBeLessThan(0.01);
    expect(irLeft.at(-1)!.range).toBe(Infinity); // misses the box, walls beyond 0.8 m
    expect(s.irRanges().front).toBeCloseTo(r.range, 5);
  });

  it('assembles ranges with Gazebo conventions (pure)', () => {
    const spec = { ...DEFAULT_LIDAR, samples: 4, angleMin: -1, angleMax: 1, rangeMin: 0.1, rangeMax: 2 };
    expect(angleIncrement(spec)).toBeCloseTo(2 / 3, 12);
    expect(Array.from(assembleRanges([-1, 0.05, 1.5, 2.5], spec))).toEqual([Infinity, -Infinity, 1.5, Infinity]);
    expect(beamIndex(spec, 1)).toBe(3);
    expect(beamIndex(spec, 2)).toBe(-1);
  });

  it('wheel odometry integrates arcs exactly (pure): a full circle returns to the start', () => {
    const o = new WheelOdometry(0.033, 0.16);
    o.update(0, 0);
    // Right wheel faster: a circle of radius 0.5 m; 100 equal updates.
    const R = 0.5,
      L = 0.16,
      r = 0.033;
    const dl = (2 * Math.PI * (R - L / 2)) / r,
      dr = (2 * Math.PI * (R + L / 2)) / r;
    for (let i = 1; i <= 100; i++) o.update((dl * i) / 100, (dr * i) / 100);
    expect(Math.hypot(o.x, o.y)).toBeLessThan(1e-9);
    expect(Math.abs(o.yaw)).toBeLessThan(1e-9);
  });
});

describe('simulated robot: determinism and arenas', () => {
  it('the same seed and commands give the same pose, bit for bit (also with another simulation growing the WASM heap midway); another seed another arena', async () => {
    const steer = (s: Simulation, from: number, to: number) => {
      for (let k = from; k < to; k++) {
        s.command(0.25, Math.sin(k / 20));
        s.step(20);
      }
    };
    const a = await sim('cluttered');
    steer(a, 0, 75);
    // A second simulation allocates on the shared heap, which grows and detaches a's typed-array views.
    const b = await sim('cluttered', { lidar: { samples: 2000 } });
    steer(a, 75, 150);
    steer(b, 0, 150);
    expect(a.pose()).toEqual(b.pose());
    expect(Number.isFinite(a.pose().x)).toBe(true);
    expect(a.collisions).toBe(b.collisions);
    expect(a.trail()).toEqual(b.trail());
    const one = findArena('cluttered');
    const other = findArena('cluttered', 8);
    expect(one.obstacles.length).toBe(16);
    expect(other.obstacles).not.toEqual(one.obstacles);
    expect(arenaToMjcf(other)).not.toBe(arenaToMjcf(one));
    expect(arenaToMjcf(findArena('cluttered'))).toBe(arenaToMjcf(one));
    // Random obstacles keep clear of the start pose and of each other.
    for (const o of one.obstacles) expect(distanceTo(o, one.start.x, one.start.y)).toBeGreaterThan(ROBOT.bodyRadius + 0.6 - 1e-9);
    // The seed from the options re-places them too.
    const s = await sim('cluttered', { seed: 8 });
    expect(s.arena.obstacles).toEqual(other.obstacles);
  });

  it('runFor and start() run on simulated time, paced to the wall clock when asked', async () => {
    const s = await sim('default');
    await s.runFor(0.25);
    expect(s.time).toBeCloseTo(0.25, 9);
    const t0 = performance.now();
    const loop = s.start({ paced: true });
    await new Promise((r) => setTimeout(r, 300));
    await s.stop();
    await loop;
    const wall = (performance.now() - t0) / 1000;
    const simulated = s.time - 0.25;
    expect(simulated).toBeLessThanOrEqual(wall + 0.02);
    expect(simulated).toBeGreaterThan(0.15);
  });

  it('the built-in arenas load; a bad arena names the file, the line and the JSON path of every problem', () => {
    const def = loadArena(join(ROOT, 'examples/arenas/default.yaml'));
    expect(def.name).toBe('default');
    expect(def.size).toBe(4);
    const dir = writeFiles({
      'bad.yaml': [
        'size: 3',
        'start: { x: 0, y: 0, yaw: 0 }',
        'obstacles:',
        '  - { shape: box, x: 1, y: 1, radius: 0.2 }',
        '  - { shape: cylinder, x: 0.05, y: 0, radius: 0.1 }',
        '  - { shape: cylinder, x: 1.45, y: 0, radius: 0.1 }',
        '  - { shape: triangle, x: 0, y: 1 }',
        'walls: 2',
      ].join('\n'),
    });
    const file = join(dir, 'bad.yaml');
    let err: unknown;
    try {
      loadArena(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CircuitError);
    const msg = (err as Error).message;
    expect(msg).toContain(`${file}:8 at /walls: unknown property "walls"`);
    expect(msg).toContain(`${file}:7 at /obstacles/3/shape: expected one of "box", "cylinder"`);
    // Geometry problems come once the shape is right.
    const dir2 = writeFiles({
      'bad.yaml': [
        'size: 3',
        'obstacles:',
        '  - { shape: box, x: 1, y: 1, radius: 0.2 }',
        '  - { shape: cylinder, x: 0.05, y: 0, radius: 0.1 }',
        '  - { shape: cylinder, x: 1.45, y: 0, radius: 0.1 }',
      ].join('\n'),
    });
    const file2 = join(dir2, 'bad.yaml');
    expect(() => loadArena(file2)).toThrowError(CircuitError);
    try {
      loadArena(file2);
    } catch (e) {
      const issues = (e as CircuitError).issues.map((i) => `${i.line} ${i.path} ${i.message}`);
      expect(issues).toEqual([
        '3 /obstacles/0/radius radius is for cylinders; a box has size: [x, y]',
        '3 /obstacles/0 a box needs size: [x, y] (full lengths, m)',
        '4 /obstacles/1 obstacle 1 overlaps the robot at its start pose (0, 0)',
        '5 /obstacles/2 obstacle 2 at (1.45, 0) reaches outside the walls (±1.5 m)',
      ]);
    }
    expect(() => resolveArena({ size: 2, random: { count: 50, size: [0.4, 0.5] } })).toThrowError(
      /<arena> at \/random: could place only \d+ of 50/,
    );
  });
});
