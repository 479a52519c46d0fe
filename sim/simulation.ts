// The simulated robot: MuJoCo (DeepMind's official WebAssembly build, single-threaded) stepping a
// differential-drive base in an arena, publishing on a Transport what Gazebo Harmonic with
// ros_gz_bridge publishes for such a robot (/scan, /odom, /imu, /clock, plus /ir/<name> ranges) and
// driving the wheels from /cmd_vel. Everything runs on simulated time: `step` as fast as the CPU
// allows, `runFor` and `start` in chunks that give the event loop (the bridge, a dashboard) its turn,
// optionally paced to the wall clock. Deterministic: the same arena, seed and commands give the same
// trajectory, bit for bit.
import loadMujoco, { type DoubleBuffer, type IntBuffer, type MainModule, type MjData, type MjModel } from '@mujoco/mujoco';
import { createCodec, type Codec } from '../bridge/codec/cdr.js';
import type { DefinitionSource } from '../bridge/codec/definitions.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { DEFAULT_QOS, type Publisher, type QoS, type Transport } from '../bridge/transport/transport.js';
import { findArena, resolveArena, type Arena, type ArenaConfig, type Pose2D } from './arena.js';
import { arenaToMjcf, NAMES } from './mjcf.js';
import { ROBOT, wheelSpeeds, type RobotSpec } from './robot.js';
import { substream, type Rng } from './rng.js';
import {
  angleIncrement,
  assembleRanges,
  beamAngles,
  DEFAULT_LIDAR,
  laserScanMessage,
  rangeReading,
  stamp,
  WheelOdometry,
  yawOf,
  type LidarSpec,
  type Scan,
} from './sensors.js';
import { turn } from '../engine/platform/turn.js';

let modulePromise: Promise<MainModule> | undefined;

/** The MuJoCo module, loaded once per process (about 0.2 s) and shared by every simulation. */
export function mujoco(): Promise<MainModule> {
  modulePromise ??= loadMujoco().catch((e: unknown) => {
    modulePromise = undefined;
    throw e;
  });
  return modulePromise;
}

export interface SimulationOptions {
  /** Publish and subscribe here from the start (see attach). */
  transport?: Transport | MemoryGraph;
  /** Physics step (s, default 0.001). Publication periods are whole numbers of steps. */
  timestep?: number;
  /** Replaces the arena's seed (random obstacles and sensor noise). */
  seed?: number;
  lidar?: Partial<LidarSpec>;
  /** Publication rates in simulated time (Hz): odom 50, imu 100, ir 20, clock every step (0 or absent). */
  rates?: { odom?: number; imu?: number; ir?: number; clock?: number };
  cmdVel?: {
    topic?: string;
    /** Subscribe geometry_msgs/msg/TwistStamped instead of Twist. */
    stamped?: boolean;
    /** No command for this long (s of simulated time) stops the wheels (default 0.5; Infinity: never). */
    timeout?: number;
  };
  /** IR beams: 0.02-0.8 m, 0.1 rad field of view (a Sharp GP2Y0A21-like sensor) unless given. */
  ir?: { minRange?: number; maxRange?: number; fieldOfView?: number };
  /** Ground-truth poses kept for a trajectory plot: rate (Hz, default 10) and how many (default 36000). */
  trail?: { rateHz?: number; length?: number };
  /** A contact within this long (s) of the previous one belongs to the same collision (default 0.1). */
  collisionDebounce?: number;
  /** Message definitions for the codec (default: ROS 2's when sourced, else the shipped jazzy set). */
  definitions?: DefinitionSource;
}

export interface RunOptions {
  /** Wall-clock pacing: false (default) runs as fast as it can; true or a number is a real-time factor (true = 1). */
  paced?: boolean | number;
  /** Simulated seconds between turns of the event loop (default 0.01: 10 steps of 1 ms). */
  chunk?: number;
  /** Awaited before every chunk with the simulated time (s): a bridge can hold the simulation back until it has caught up. */
  gate?: (time: number) => void | Promise<void>;
}

export interface TrailPoint extends Pose2D {
  time: number;
}

export interface Collision {
  time: number;
  pose: Pose2D;
}

/** Topics and frames, as published. */
export const TOPICS = {
  scan: '/scan',
  odom: '/odom',
  imu: '/imu',
  clock: '/clock',
  cmdVel: '/cmd_vel',
  /** Prefix of the IR ranges: /ir/front_left, /ir/front, /ir/front_right. */
  ir: '/ir/',
} as const;

export const FRAMES = { odom: 'odom', base: 'base_link', imu: 'imu_link', lidar: 'lidar_link' } as const;

const TYPES = {
  scan: 'sensor_msgs/msg/LaserScan',
  odom: 'nav_msgs/msg/Odometry',
  imu: 'sensor_msgs/msg/Imu',
  clock: 'rosgraph_msgs/msg/Clock',
  range: 'sensor_msgs/msg/Range',
  twist: 'geometry_msgs/msg/Twist',
  twistStamped: 'geometry_msgs/msg/TwistStamped',
} as const;

/** Lidar and IR beams see geom group 0 only: walls and obstacles, never the robot or the floor. */
const SEE_ARENA = [1, 0, 0, 0, 0, 0];

interface Views {
  qpos: Float64Array;
  qvel: Float64Array;
  ctrl: Float64Array;
  sensordata: Float64Array;
}

interface Attachment {
  transport: Transport;
  owned: boolean;
  pubs: { scan: Publisher; odom: Publisher; imu: Publisher; clock: Publisher; ir: Publisher[] };
  unsubscribe: () => void;
}

export class Simulation {
  readonly arena: Arena;
  readonly robot: RobotSpec = ROBOT;
  readonly lidar: LidarSpec;
  /** The MJCF the model was compiled from. */
  readonly mjcf: string;
  readonly timestep: number;
  /** cmd_vel messages that could not be decoded. */
  malformedCommands = 0;

  private readonly mj: MainModule;
  private model: MjModel | null;
  private data: MjData | null;
  private views!: Views;
  private readonly rayGeom: IntBuffer;
  private readonly rayDist: DoubleBuffer;
  private readonly oneGeom: IntBuffer;
  private readonly baseBody: number;
  private readonly wheelQ: [number, number];
  private readonly sensorAdr: { accel: number; gyro: number; quat: number; bump: number };
  private readonly cosA: Float64Array;
  private readonly sinA: Float64Array;
  private readonly noise: Rng;
  private readonly stepNs: number;
  private readonly every: { scan: number; odom: number; imu: number; ir: number; clock: number; trail: number };
  private readonly cmdTimeoutSteps: number;
  private readonly debounceSteps: number;
  private readonly ir: { minRange: number; maxRange: number; fieldOfView: number };
  private readonly trailLength: number;
  private readonly codecs: Record<keyof typeof TYPES, Codec>;
  private readonly options: SimulationOptions;

  private stepCount = 0;
  private cmd = { v: 0, w: 0, at: -Infinity };
  private wheelCmd: [number, number] = [0, 0];
  private readonly odom: WheelOdometry;
  private odomAcc = { ds: 0, dyaw: 0, steps: 0 };
  private scan: Scan | null = null;
  private irLast: number[];
  private lastTouchStep = -Infinity;
  private touchingNow = false;
  private readonly collisionLog: Collision[] = [];
  private readonly trailPoints: TrailPoint[] = [];
  private drivenM = 0;
  private attachment: Attachment | null = null;
  private running: { stop: boolean; done: Promise<void> } | null = null;

  /** Builds the world for an arena (a resolved Arena, an arena document, or a built-in name / file path). */
  /**
   * Builds the world for an arena: a built-in name ("default", "cluttered") or a file path, an arena
   * document, or a resolved Arena (every Arena is also a valid document). `options.seed` replaces the
   * arena's seed, which re-places the random obstacles of a file or document.
   */
  static async create(arena: ArenaConfig | string = 'default', options: SimulationOptions = {}): Promise<Simulation> {
    const a =
      typeof arena === 'string'
        ? findArena(arena, options.seed)
        : resolveArena(options.seed === undefined ? arena : { ...arena, seed: options.seed });
    return new Simulation(await mujoco(), a, options);
  }

  private constructor(mj: MainModule, arena: Arena, options: SimulationOptions) {
    this.mj = mj;
    this.arena = arena;
    this.options = options;
    const dt = options.timestep ?? 0.001;
    if (!(dt > 0 && dt <= 0.01)) throw new Error(`timestep ${dt} s: expected (0, 0.01]`);
    this.timestep = dt;
    this.stepNs = Math.round(dt * 1e9);
    this.lidar = { ...DEFAULT_LIDAR, ...options.lidar };
    if (!(this.lidar.samples >= 1 && Number.isInteger(this.lidar.samples)))
      throw new Error(`lidar.samples ${this.lidar.samples}: expected a positive integer`);
    const rates = options.rates ?? {};
    const per = (hz: number, what: string) => {
      if (!(hz > 0)) throw new Error(`${what} rate ${hz} Hz: expected a positive number`);
      return Math.max(1, Math.round(1 / (hz * dt)));
    };
    this.every = {
      scan: per(this.lidar.rateHz, 'lidar'),
      odom: per(rates.odom ?? 50, 'odom'),
      imu: per(rates.imu ?? 100, 'imu'),
      ir: per(rates.ir ?? 20, 'ir'),
      clock: rates.clock ? per(rates.clock, 'clock') : 1,
      trail: per(options.trail?.rateHz ?? 10, 'trail'),
    };
    this.mjcf = arenaToMjcf(arena, this.robot, dt);
    const model = mj.MjModel.from_xml_string(this.mjcf);
    if (!model) throw new Error('MuJoCo could not compile the arena');
    this.model = model;
    this.data = new mj.MjData(model);
    const id = (type: 'body' | 'joint' | 'sensor', name: string) => {
      const obj = type === 'body' ? mj.mjtObj.mjOBJ_BODY : type === 'joint' ? mj.mjtObj.mjOBJ_JOINT : mj.mjtObj.mjOBJ_SENSOR;
      const i = mj.mj_name2id(model, obj.value, name);
      if (i < 0) throw new Error(`the model has no ${type} ${name}`);
      return i;
    };
    this.baseBody = id('body', NAMES.base);
    const qadr = model.jnt_qposadr as Int32Array;
    this.wheelQ = [qadr[id('joint', NAMES.leftJoint)], qadr[id('joint', NAMES.rightJoint)]];
    const sadr = model.sensor_adr as Int32Array;
    this.sensorAdr = {
      accel: sadr[id('sensor', NAMES.accel)],
      gyro: sadr[id('sensor', NAMES.gyro)],
      quat: sadr[id('sensor', NAMES.quat)],
      bump: sadr[id('sensor', NAMES.bump)],
    };
    const n = this.lidar.samples;
    this.rayGeom = new mj.IntBuffer(n);
    this.rayDist = new mj.DoubleBuffer(n);
    this.oneGeom = new mj.IntBuffer(1);
    const angles = beamAngles(this.lidar);
    this.cosA = angles.map(Math.cos);
    this.sinA = angles.map(Math.sin);
    this.noise = substream(arena.seed, 'lidar');
    this.trailLength = options.trail?.length ?? 36000;
    const timeout = options.cmdVel?.timeout ?? 0.5;
    this.cmdTimeoutSteps = timeout === Infinity ? Infinity : Math.round(timeout / dt);
    this.debounceSteps = Math.round((options.collisionDebounce ?? 0.1) / dt);
    this.ir = { minRange: 0.02, maxRange: 0.8, fieldOfView: 0.1, ...options.ir };
    this.irLast = this.robot.ir.map(() => Infinity);
    this.odom = new WheelOdometry(this.robot.wheelRadius, this.robot.wheelSeparation);
    const defs = options.definitions ?? {};
    this.codecs = Object.fromEntries(Object.entries(TYPES).map(([k, t]) => [k, createCodec(t, defs)])) as Record<keyof typeof TYPES, Codec>;
    // sensordata (and the kinematics the first scan needs) are zero before the first mj_forward.
    mj.mj_forward(model, this.data);
    this.refreshViews();
    this.sample(true);
    if (options.transport) this.attach(options.transport);
  }

  // ---- state ----------------------------------------------------------------------------------

  /** Simulated time (s), a whole number of steps. */
  get time(): number {
    return (this.stepCount * this.stepNs) / 1e9;
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Ground truth: the robot's pose in the world (arena) frame. */
  pose(): Pose2D {
    const q = this.v().qpos;
    return { x: q[0], y: q[1], yaw: yawOf(q[3], q[4], q[5], q[6]) };
  }

  /** Ground truth: forward speed (m/s) and yaw rate (rad/s). */
  velocity(): { linear: number; angular: number } {
    const { qpos: q, qvel: u } = this.v();
    const yaw = yawOf(q[3], q[4], q[5], q[6]);
    // A free joint's linear velocity is in the world frame, its angular velocity in the body frame.
    return { linear: Math.cos(yaw) * u[0] + Math.sin(yaw) * u[1], angular: u[5] };
  }

  /** What /odom reports: the wheel-encoder estimate in the odom frame (starts at 0, 0, 0). */
  odometry(): Pose2D {
    return { x: this.odom.x, y: this.odom.y, yaw: this.odom.yaw };
  }

  /** Distinct collisions of the robot with walls or obstacles (contacts closer together than the debounce are one). */
  get collisions(): number {
    return this.collisionLog.length;
  }

  get collided(): boolean {
    return this.collisionLog.length > 0;
  }

  /** Whether the robot touches a wall or an obstacle now. */
  get touching(): boolean {
    return this.touchingNow;
  }

  /** When and where each collision began. */
  collisionEvents(): readonly Collision[] {
    return this.collisionLog;
  }

  /** Path length of the whole ground-truth trail so far (m), also of the part the bounded trail dropped. */
  get driven(): number {
    return this.drivenM;
  }

  /** Ground-truth poses at the trail rate (oldest dropped beyond the trail length). */
  trail(): readonly TrailPoint[] {
    return this.trailPoints;
  }

  /** The latest scan (also when nothing is attached). */
  lastScan(): Scan | null {
    return this.scan;
  }

  /** The latest IR ranges by name (m; ±Infinity out of range). */
  irRanges(): Record<string, number> {
    return Object.fromEntries(this.robot.ir.map((s, i) => [s.name, this.irLast[i]]));
  }

  /** The command in force (after the timeout): body twist and wheel speeds (rad/s). */
  commanded(): { linear: number; angular: number; wheels: [number, number] } {
    return { linear: this.cmd.v, angular: this.cmd.w, wheels: [...this.wheelCmd] };
  }

  // ---- commands and transport -----------------------------------------------------------------

  /** Sets the body twist, as a /cmd_vel message would (the command timeout applies to it too). */
  command(linear: number, angular: number): void {
    if (!Number.isFinite(linear) || !Number.isFinite(angular)) return;
    this.cmd = { v: linear, w: angular, at: this.stepCount };
  }

  /**
   * Publishes /clock, /scan, /odom, /imu and /ir/<name> (reliable, depth 10, as ros_gz_bridge does) and
   * subscribes /cmd_vel (best effort, so reliable and best-effort publishers both match).
   */
  attach(transport: Transport | MemoryGraph): void {
    if (this.attachment) throw new Error('the simulation is already attached to a transport; detach() first');
    const owned = transport instanceof MemoryGraph;
    const t = owned ? new MemoryTransport(transport) : transport;
    const q: QoS = DEFAULT_QOS;
    const pubs = {
      scan: t.advertise(TOPICS.scan, TYPES.scan, q),
      odom: t.advertise(TOPICS.odom, TYPES.odom, q),
      imu: t.advertise(TOPICS.imu, TYPES.imu, q),
      clock: t.advertise(TOPICS.clock, TYPES.clock, q),
      ir: this.robot.ir.map((s) => t.advertise(TOPICS.ir + s.name, TYPES.range, q)),
    };
    const stamped = this.options.cmdVel?.stamped ?? false;
    const codec = stamped ? this.codecs.twistStamped : this.codecs.twist;
    const unsubscribe = t.subscribe(
      this.options.cmdVel?.topic ?? TOPICS.cmdVel,
      codec.type,
      { reliability: 'best_effort', durability: 'volatile', depth: 10 },
      (bytes) => {
        let twist: { linear: { x: number }; angular: { z: number } };
        try {
          const m = codec.decode(bytes) as { twist?: typeof twist } & typeof twist;
          twist = stamped ? m.twist! : m;
        } catch {
          this.malformedCommands++;
          return;
        }
        this.command(twist.linear.x, twist.angular.z);
      },
    );
    this.attachment = { transport: t, owned, pubs, unsubscribe };
  }

  detach(): void {
    const a = this.attachment;
    if (!a) return;
    this.attachment = null;
    a.unsubscribe();
    for (const p of [a.pubs.scan, a.pubs.odom, a.pubs.imu, a.pubs.clock, ...a.pubs.ir]) p.close();
    if (a.owned) void a.transport.close();
  }

  // ---- running --------------------------------------------------------------------------------

  /** Advances n physics steps synchronously (messages are delivered when the event loop next turns). */
  step(n = 1): void {
    if (!this.model || !this.data) throw new Error('the simulation is closed');
    const { mj, model, data } = this;
    for (let k = 0; k < n; k++) {
      this.applyCommand();
      mj.mj_step(model, data);
      this.stepCount++;
      this.sample(false);
    }
  }

  /** Runs for `seconds` of simulated time, giving the event loop a turn every chunk. */
  async runFor(seconds: number, options: RunOptions = {}): Promise<void> {
    await this.loop(this.stepCount + Math.round(seconds / this.timestep), options);
  }

  /** Runs until stop(): as fast as it can, or paced to the wall clock. Returns the loop's promise. */
  start(options: RunOptions = {}): Promise<void> {
    return this.loop(Infinity, options);
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    r.stop = true;
    await r.done;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  private loop(untilStep: number, options: RunOptions): Promise<void> {
    if (this.running) throw new Error('the simulation is already running');
    const chunk = Math.max(1, Math.round((options.chunk ?? 0.01) / this.timestep));
    const rtf = options.paced === true ? 1 : typeof options.paced === 'number' ? options.paced : 0;
    if (rtf < 0 || !Number.isFinite(rtf)) throw new Error(`real-time factor ${rtf}: expected a positive number`);
    const state = { stop: false, done: Promise.resolve() };
    this.running = state;
    state.done = (async () => {
      try {
        let wall0 = performance.now();
        let sim0 = this.time;
        while (!state.stop && this.stepCount < untilStep && this.model) {
          if (options.gate) await options.gate(this.time);
          if (state.stop || !this.model) break;
          this.step(Math.min(chunk, untilStep - this.stepCount));
          if (rtf > 0) {
            const due = wall0 + ((this.time - sim0) * 1000) / rtf;
            const ahead = due - performance.now();
            // Fell far behind (a slow machine, a debugger): start pacing afresh rather than racing to catch up.
            if (ahead < -250) {
              wall0 = performance.now();
              sim0 = this.time;
            }
            if (ahead > 1) {
              await new Promise((r) => setTimeout(r, ahead));
              continue;
            }
          }
          await turn();
        }
      } finally {
        this.running = null;
      }
    })();
    return state.done;
  }

  /** Frees MuJoCo's memory and detaches. The simulation cannot run afterwards. */
  close(): void {
    if (this.running) this.running.stop = true;
    this.detach();
    if (!this.model || !this.data) return;
    this.rayGeom.delete();
    this.rayDist.delete();
    this.oneGeom.delete();
    this.data.delete();
    this.model.delete();
    this.data = null;
    this.model = null;
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Views of the WASM heap detach when the heap grows (another simulation, a ray call's arguments): refetch then. */
  private v(): Views {
    if (this.views.qpos.length === 0) this.refreshViews();
    return this.views;
  }

  private refreshViews(): void {
    const d = this.data!;
    this.views = { qpos: d.qpos, qvel: d.qvel, ctrl: d.ctrl, sensordata: d.sensordata };
  }

  private applyCommand(): void {
    if (this.stepCount - this.cmd.at > this.cmdTimeoutSteps && (this.cmd.v !== 0 || this.cmd.w !== 0))
      this.cmd = { v: 0, w: 0, at: this.cmd.at };
    let [l, r] = wheelSpeeds(this.cmd.v, this.cmd.w, this.robot);
    // Over the motors' limit both wheels slow in proportion: the path's curvature is kept.
    const over = Math.max(Math.abs(l), Math.abs(r)) / this.robot.maxWheelSpeed;
    if (over > 1) {
      l /= over;
      r /= over;
    }
    this.wheelCmd = [l, r];
    const ctrl = this.v().ctrl;
    ctrl[0] = l;
    ctrl[1] = r;
  }

  /** After a step: odometry, contacts, trail, and every reading that is due. */
  private sample(initial: boolean): void {
    // Views are refetched (this.v()) after every call into MuJoCo that may grow its heap (the rays).
    const { qpos, sensordata } = this.v();
    const s = this.stepCount;
    const [ds, dyaw] = this.odom.update(qpos[this.wheelQ[0]], qpos[this.wheelQ[1]]);
    this.odomAcc.ds += ds;
    this.odomAcc.dyaw += dyaw;
    if (!initial) this.odomAcc.steps++;

    const touching = sensordata[this.sensorAdr.bump] > 0;
    if (touching) {
      if (s - this.lastTouchStep > this.debounceSteps) this.collisionLog.push({ time: this.time, pose: this.pose() });
      this.lastTouchStep = s;
    }
    this.touchingNow = touching;

    if (s % this.every.trail === 0) {
      const point = { time: this.time, ...this.pose() };
      const last = this.trailPoints[this.trailPoints.length - 1];
      if (last) this.drivenM += Math.hypot(point.x - last.x, point.y - last.y);
      this.trailPoints.push(point);
      if (this.trailPoints.length > this.trailLength) this.trailPoints.splice(0, this.trailPoints.length - this.trailLength);
    }
    const ns = s * this.stepNs;
    const pubs = this.attachment?.pubs;
    // Sensors first, /clock last: whoever follows /clock has the readings stamped up to that time.
    if (s % this.every.scan === 0) {
      this.takeScan();
      if (pubs) pubs.scan.publish(this.codecs.scan.encode(laserScanMessage(this.scan!, this.lidar.frameId, ns)));
    }
    if (s % this.every.ir === 0) {
      this.takeIr();
      if (pubs) {
        this.robot.ir.forEach((spec, i) =>
          pubs.ir[i].publish(
            this.codecs.range.encode({
              header: { stamp: stamp(ns), frame_id: `ir_${spec.name}_link` },
              radiation_type: 1, // INFRARED
              field_of_view: this.ir.fieldOfView,
              min_range: this.ir.minRange,
              max_range: this.ir.maxRange,
              range: this.irLast[i],
              variance: 0,
            }),
          ),
        );
      }
    }
    if (!pubs || initial) return;
    if (s % this.every.odom === 0) {
      const period = this.odomAcc.steps * this.timestep;
      const v = period > 0 ? this.odomAcc.ds / period : 0;
      const w = period > 0 ? this.odomAcc.dyaw / period : 0;
      this.odomAcc = { ds: 0, dyaw: 0, steps: 0 };
      const o = this.odom;
      pubs.odom.publish(
        this.codecs.odom.encode({
          header: { stamp: stamp(ns), frame_id: FRAMES.odom },
          child_frame_id: FRAMES.base,
          pose: {
            pose: { position: { x: o.x, y: o.y, z: 0 }, orientation: { x: 0, y: 0, z: Math.sin(o.yaw / 2), w: Math.cos(o.yaw / 2) } },
            covariance: ZERO36,
          },
          twist: { twist: { linear: { x: v, y: 0, z: 0 }, angular: { x: 0, y: 0, z: w } }, covariance: ZERO36 },
        }),
      );
    }
    if (s % this.every.imu === 0) {
      const a = this.sensorAdr;
      const sd = this.v().sensordata;
      pubs.imu.publish(
        this.codecs.imu.encode({
          header: { stamp: stamp(ns), frame_id: FRAMES.imu },
          orientation: { w: sd[a.quat], x: sd[a.quat + 1], y: sd[a.quat + 2], z: sd[a.quat + 3] },
          orientation_covariance: ZERO9,
          angular_velocity: { x: sd[a.gyro], y: sd[a.gyro + 1], z: sd[a.gyro + 2] },
          angular_velocity_covariance: ZERO9,
          // An accelerometer's specific force: +9.81 m/s² up when the robot stands still, as a real IMU reads.
          linear_acceleration: { x: sd[a.accel], y: sd[a.accel + 1], z: sd[a.accel + 2] },
          linear_acceleration_covariance: ZERO9,
        }),
      );
    }
    if (s % this.every.clock === 0) pubs.clock.publish(this.codecs.clock.encode({ clock: stamp(ns) }));
  }

  /** The base's rotation (row-major 3x3) and position, from the free joint's current state. */
  private baseFrame(): { p: [number, number, number]; R: number[] } {
    const q = this.v().qpos;
    const [w, x, y, z] = [q[3], q[4], q[5], q[6]];
    const R = [
      1 - 2 * (y * y + z * z),
      2 * (x * y - w * z),
      2 * (x * z + w * y),
      2 * (x * y + w * z),
      1 - 2 * (x * x + z * z),
      2 * (y * z - w * x),
      2 * (x * z - w * y),
      2 * (y * z + w * x),
      1 - 2 * (x * x + y * y),
    ];
    return { p: [q[0], q[1], q[2]], R };
  }

  /** One mj_multiRay for the whole scan, from the lidar's current pose (tilt included). */
  private takeScan(): void {
    const { p, R } = this.baseFrame();
    const n = this.lidar.samples;
    const h = this.robot.lidarZ;
    const origin = [p[0] + R[2] * h, p[1] + R[5] * h, p[2] + R[8] * h];
    const vec: number[] = new Array(3 * n);
    for (let i = 0; i < n; i++) {
      const c = this.cosA[i],
        s = this.sinA[i];
      vec[3 * i] = R[0] * c + R[1] * s;
      vec[3 * i + 1] = R[3] * c + R[4] * s;
      vec[3 * i + 2] = R[6] * c + R[7] * s;
    }
    this.mj.mj_multiRay(
      this.model!,
      this.data!,
      origin,
      vec,
      SEE_ARENA,
      true,
      this.baseBody,
      this.rayGeom,
      this.rayDist,
      null,
      n,
      this.lidar.rangeMax + 1,
    );
    const ranges = assembleRanges(this.rayDist.GetView() as Float64Array, this.lidar, this.noise);
    this.scan = {
      time: this.time,
      angleMin: this.lidar.angleMin,
      angleMax: this.lidar.angleMax,
      angleIncrement: angleIncrement(this.lidar),
      rangeMin: this.lidar.rangeMin,
      rangeMax: this.lidar.rangeMax,
      ranges,
      pose: { x: origin[0], y: origin[1], yaw: Math.atan2(R[3], R[0]) },
    };
  }

  private takeIr(): void {
    const { p, R } = this.baseFrame();
    this.robot.ir.forEach((s, i) => {
      const o = [
        p[0] + R[0] * s.x + R[1] * s.y + R[2] * s.z,
        p[1] + R[3] * s.x + R[4] * s.y + R[5] * s.z,
        p[2] + R[6] * s.x + R[7] * s.y + R[8] * s.z,
      ];
      const c = Math.cos(s.yaw),
        sn = Math.sin(s.yaw);
      const dir = [R[0] * c + R[1] * sn, R[3] * c + R[4] * sn, R[6] * c + R[7] * sn];
      const d = this.mj.mj_ray(this.model!, this.data!, o, dir, SEE_ARENA, true, this.baseBody, this.oneGeom, null);
      this.irLast[i] = rangeReading(d, this.ir.minRange, this.ir.maxRange);
    });
  }
}

const ZERO9 = new Array<number>(9).fill(0);
const ZERO36 = new Array<number>(36).fill(0);
