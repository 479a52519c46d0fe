// A reward signal for learning in the loop: forward progress without collision, computed from what the
// robot itself publishes (/odom and /scan) and published as std_msgs/msg/Float32 on /reward, where a
// bridge input bound to a circuit's signal input (`inputs: reward: {}`) feeds a dopamine modulator.
//
// Everything runs on simulated time: a sample is due every 1/rate s of the odometry's stamps (the
// simulator publishes /odom at 50 Hz of simulated time) and goes out with the first odometry message
// at or after its due time, never on a wall-clock timer, so a closed-loop run with a reward is as
// deterministic as one without. Attach it to the loop's graph before running:
//   const reward = new ProgressReward(loop.graph); await loop.runFor(60); reward.close();
//
// At each sample, from the latest odometry and scan:
//   contact   = 1 when some beam reads nearer than `contactRange` (the body is within a few cm of
//               something; -inf, nearer than the lidar's range_min, counts), else 0
//   progress  = clamp(v / speedRef, -1, 1) * (1 - contact)       v: /odom twist.twist.linear.x
//               (wheel odometry keeps reporting speed while the wheels slip against a wall, so
//               progress counts only without contact)
//   danger    = max over beams within ±fov/2 of ahead of cos(angle) * clamp((far - r) / (far - near), 0, 1)
//               (0 with nothing within `far` ahead; 1 touching straight ahead; obstacles to the side
//               weigh less, so turning away from one lowers it)
//   approach  = (danger now - danger at the previous scan) / scan interval     (1/s)
//   reward    = wProgress * progress - wDanger * danger - wApproach * approach - wContact * contact
// with weights 0.2, 0.5, 2 and 1 by default. The approach term is potential-based shaping (Ng, Harada
// & Russell 1999, potential -danger): it does not change which behaviour is best, but it rewards a turn
// away from an obstacle while the turn happens, not only once the robot is free, so the reward arrives
// while the turn's eligibility traces (about a second) are still charged. Progress weighs little
// because every turn costs progress at once (the robot slows to turn) while its benefit comes later.
//
// What is published is a reward-prediction error: the reward minus its running mean, an exponential
// mean over `baselineTau` s of simulated time (default 1 s) updated after each sample (`baselineTau: 0`
// publishes the raw reward). Three-factor STDP changes a weight by learning_rate x dopamine x
// eligibility, and the synapses that learn avoidance are eligible only near obstacles, where the raw
// reward is low whatever the robot does: with it, every one of them shrinks. (With the example circuit,
// baselineTau 0 drove every sensor->turn weight to zero within the training minute, and the robot
// collided more than before.) Measured against the recent past, a turn that made things better than they
// just were counts as good and one that made them worse as bad. A 1 s mean compares with the last second,
// about the eligibility trace's span; a 10 s mean learns too, slightly less cleanly (arena seeds 1-3:
// 15/10/2 collisions in 45 s before training, 0/0/0 after with 1 s, 0/0/1 with 10 s). The mean is
// subtracted here and not through the modulator's `baseline` because it is not known in advance, it
// follows the robot's situation, and because a modulator baseline would keep dopamine, and so learning,
// going when no reward is published at all.
import { createCodec, type Codec } from '../bridge/codec/cdr.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';
import { DEFAULT_QOS, SENSOR_QOS, type Publisher, type Transport } from '../bridge/transport/transport.js';

export interface ProgressRewardOptions {
  /** Published topic (default /reward). */
  topic?: string;
  odomTopic?: string;
  scanTopic?: string;
  /** Samples per second of simulated time (default 20; at most the odometry's rate). */
  rateHz?: number;
  /** Forward speed worth a progress of 1 (m/s, default 0.3). */
  speedRef?: number;
  /** Danger is 1 at `near` (m, from the lidar) and 0 from `far` on (defaults 0.15 and 0.6). */
  near?: number;
  far?: number;
  /** Beams within ±fov/2 of straight ahead count for danger (rad, default π). */
  fov?: number;
  /** A beam nearer than this (m, from the lidar) is a contact (default 0.13; the body's radius is 0.1 m). */
  contactRange?: number;
  /** Weights of the terms (defaults: progress 0.2, danger 0.5, approach 2, contact 1). */
  weights?: { progress?: number; danger?: number; approach?: number; contact?: number };
  /** Time constant of the running mean subtracted from the reward (s of simulated time, default 1; 0: none). */
  baselineTau?: number;
  /** Called with every sample as it is published (a log, a plot). */
  onSample?: (sample: RewardSample) => void;
}

/** One published sample and its parts. */
export interface RewardSample {
  /** Simulated time (s). */
  time: number;
  /** What was published: reward minus the running mean (or the reward when there is no baseline). */
  value: number;
  reward: number;
  baseline: number;
  progress: number;
  danger: number;
  approach: number;
  contact: number;
}

interface OdomMsg {
  header: { stamp: { sec: number; nanosec: number } };
  twist: { twist: { linear: { x: number } } };
}

interface ScanMsg {
  header: { stamp: { sec: number; nanosec: number } };
  angle_min: number;
  angle_increment: number;
  ranges: Float32Array | number[];
}

const seconds = (s: { sec: number; nanosec: number }) => s.sec + s.nanosec * 1e-9;

// The codec decodes to plain records; these read the fields used here and check their types on the
// way, so a message definition that changed under us fails loudly instead of reading undefined.
type Fields = Record<string, unknown>;
const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null;

function field(m: Fields, path: string): Fields {
  let at: unknown = m;
  for (const key of path.split('.')) at = isFields(at) ? at[key] : undefined;
  if (!isFields(at)) throw new Error(`progress reward: the message has no ${path}`);
  return at;
}

function numberAt(m: Fields, key: string, where: string): number {
  const v = m[key];
  if (typeof v !== 'number') throw new Error(`progress reward: ${where}${key} is not a number`);
  return v;
}

function stampOf(m: Fields): { sec: number; nanosec: number } {
  const stamp = field(m, 'header.stamp');
  return { sec: numberAt(stamp, 'sec', 'header.stamp.'), nanosec: numberAt(stamp, 'nanosec', 'header.stamp.') };
}

function toScan(m: Fields): ScanMsg {
  const ranges = m.ranges;
  if (!(ranges instanceof Float32Array) && !Array.isArray(ranges)) throw new Error('progress reward: the scan has no ranges');
  return {
    header: { stamp: stampOf(m) },
    angle_min: numberAt(m, 'angle_min', ''),
    angle_increment: numberAt(m, 'angle_increment', ''),
    ranges,
  };
}

function toOdom(m: Fields): OdomMsg {
  return {
    header: { stamp: stampOf(m) },
    twist: { twist: { linear: { x: numberAt(field(m, 'twist.twist.linear'), 'x', 'twist.twist.linear.') } } },
  };
}

export class ProgressReward {
  /** The latest sample (null before the first). */
  last: RewardSample | null = null;
  /** Samples published. */
  count = 0;
  /** Sum of the reward (not of the published error), for a mean over a run. */
  sum = 0;

  private readonly o: Required<Omit<ProgressRewardOptions, 'weights' | 'onSample'>> & {
    weights: Required<NonNullable<ProgressRewardOptions['weights']>>;
  };
  private readonly transport: Transport;
  private readonly owned: boolean;
  private readonly pub: Publisher;
  private readonly unsubs: (() => void)[] = [];
  private readonly out: Codec;
  private readonly onSample?: (sample: RewardSample) => void;
  private speed = 0;
  private danger = 0;
  private contact = 0;
  private approach = 0;
  private scanAt: number | null = null;
  private baseline: number | null = null;
  private nextDue: number | null = null;
  private lastAt: number | null = null;

  constructor(target: Transport | MemoryGraph, options: ProgressRewardOptions = {}) {
    this.o = {
      topic: options.topic ?? '/reward',
      odomTopic: options.odomTopic ?? '/odom',
      scanTopic: options.scanTopic ?? '/scan',
      rateHz: options.rateHz ?? 20,
      speedRef: options.speedRef ?? 0.3,
      near: options.near ?? 0.15,
      far: options.far ?? 0.6,
      fov: options.fov ?? Math.PI,
      contactRange: options.contactRange ?? 0.13,
      baselineTau: options.baselineTau ?? 1,
      weights: { progress: 0.2, danger: 0.5, approach: 2, contact: 1, ...options.weights },
    };
    this.onSample = options.onSample;
    if (!(this.o.rateHz > 0)) throw new Error(`reward rate ${this.o.rateHz} Hz: expected a positive number`);
    if (!(this.o.far > this.o.near)) throw new Error(`reward: far (${this.o.far} m) must exceed near (${this.o.near} m)`);
    this.owned = target instanceof MemoryGraph;
    this.transport = target instanceof MemoryGraph ? new MemoryTransport(target) : target;
    const odom = createCodec('nav_msgs/msg/Odometry');
    const scan = createCodec('sensor_msgs/msg/LaserScan');
    this.out = createCodec('std_msgs/msg/Float32');
    this.pub = this.transport.advertise(this.o.topic, this.out.type, DEFAULT_QOS);
    this.unsubs.push(this.transport.subscribe(this.o.scanTopic, scan.type, SENSOR_QOS, (b) => this.onScan(toScan(scan.decode(b)))));
    this.unsubs.push(this.transport.subscribe(this.o.odomTopic, odom.type, SENSOR_QOS, (b) => this.onOdom(toOdom(odom.decode(b)))));
  }

  /** Mean reward (before the baseline is subtracted) over every sample so far. */
  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  close(): void {
    for (const u of this.unsubs.splice(0)) u();
    this.pub.close();
    if (this.owned) void this.transport.close();
  }

  private onScan(m: ScanMsg): void {
    const { near, far, fov, contactRange } = this.o;
    let danger = 0;
    let contact = 0;
    const n = m.ranges.length;
    for (let i = 0; i < n; i++) {
      const r0 = m.ranges[i];
      if (Number.isNaN(r0)) continue;
      // -inf: nearer than range_min; +inf: nothing in range (REP 117).
      const r = r0 === -Infinity ? 0 : r0;
      if (r < contactRange) contact = 1;
      let a = m.angle_min + i * m.angle_increment;
      a = Math.atan2(Math.sin(a), Math.cos(a));
      if (Math.abs(a) > fov / 2 || r >= far) continue;
      const close = Math.min(1, (far - r) / (far - near));
      danger = Math.max(danger, Math.cos(a) * close);
    }
    const t = seconds(m.header.stamp);
    this.approach = this.scanAt !== null && t > this.scanAt ? (danger - this.danger) / (t - this.scanAt) : 0;
    this.scanAt = t;
    this.danger = danger;
    this.contact = contact;
  }

  private onOdom(m: OdomMsg): void {
    this.speed = m.twist.twist.linear.x;
    const t = seconds(m.header.stamp);
    const period = 1 / this.o.rateHz;
    if (this.nextDue === null) this.nextDue = t;
    // Half a microsecond of slack: stamps are whole nanoseconds, due times sums of floats.
    if (t + 5e-7 < this.nextDue) return;
    this.nextDue = Math.max(this.nextDue + period, t + period / 2);
    this.sample(t);
  }

  private sample(t: number): void {
    const { weights: w, speedRef, baselineTau } = this.o;
    const progress = Math.max(-1, Math.min(1, this.speed / speedRef)) * (1 - this.contact);
    const reward = w.progress * progress - w.danger * this.danger - w.approach * this.approach - w.contact * this.contact;
    const dt = this.lastAt === null ? 0 : t - this.lastAt;
    this.lastAt = t;
    let baseline = 0;
    if (baselineTau > 0) {
      this.baseline = this.baseline === null ? reward : this.baseline;
      baseline = this.baseline;
    }
    const value = reward - baseline;
    if (baselineTau > 0) this.baseline! += (reward - this.baseline!) * (1 - Math.exp(-dt / baselineTau));
    this.count++;
    this.sum += reward;
    this.last = { time: t, value, reward, baseline, progress, danger: this.danger, approach: this.approach, contact: this.contact };
    this.pub.publish(this.out.encode({ data: value }));
    this.onSample?.(this.last);
  }
}
