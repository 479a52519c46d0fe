// Pure pieces of the sensors: beam geometry and LaserScan assembly from ray distances, and wheel
// odometry integrated from encoder angles. Conventions follow Gazebo Harmonic's gpu_lidar through
// ros_gz_bridge: ranges[0] at angle_min, angles counter-clockwise, 0 rad = the robot's forward (x)
// axis, angle_increment = (angle_max - angle_min) / (samples - 1), +inf beyond range_max or when the
// beam hits nothing, -inf nearer than range_min.
import type { Rng } from './rng.js';

export interface LidarSpec {
  samples: number;
  angleMin: number;
  angleMax: number;
  rangeMin: number;
  rangeMax: number;
  /** Scans per second of simulated time. */
  rateHz: number;
  /** Gaussian noise added to every range (m, standard deviation; 0: none). */
  noiseStddev: number;
  frameId: string;
}

/** 360 beams, 1° apart, from straight back (-π) counter-clockwise to 1° short of straight back again:
 * ranges[180] looks forward, ranges[0:180] is the right half and ranges[180:360] the left half. */
export const DEFAULT_LIDAR: LidarSpec = {
  samples: 360,
  angleMin: -Math.PI,
  angleMax: Math.PI - (2 * Math.PI) / 360,
  rangeMin: 0.12,
  rangeMax: 3.5,
  rateHz: 10,
  noiseStddev: 0,
  frameId: 'lidar_link',
};

export function angleIncrement(spec: Pick<LidarSpec, 'samples' | 'angleMin' | 'angleMax'>): number {
  return spec.samples > 1 ? (spec.angleMax - spec.angleMin) / (spec.samples - 1) : 0;
}

/** The beam angles (rad, in the sensor frame). */
export function beamAngles(spec: Pick<LidarSpec, 'samples' | 'angleMin' | 'angleMax'>): Float64Array {
  const inc = angleIncrement(spec);
  return Float64Array.from({ length: spec.samples }, (_, i) => spec.angleMin + i * inc);
}

/** Index of the beam nearest to an angle (rad), or -1 when the angle lies outside the scan. */
export function beamIndex(spec: Pick<LidarSpec, 'samples' | 'angleMin' | 'angleMax'>, angle: number): number {
  const inc = angleIncrement(spec);
  const i = inc === 0 ? 0 : Math.round((angle - spec.angleMin) / inc);
  return i >= 0 && i < spec.samples ? i : -1;
}

/** One reading from a ray distance (negative: no hit), with the out-of-range convention. */
export function rangeReading(dist: number, rangeMin: number, rangeMax: number, noise = 0): number {
  if (!(dist >= 0)) return Infinity;
  const r = dist + noise;
  if (r > rangeMax) return Infinity;
  if (r < rangeMin) return -Infinity;
  return r;
}

/** Ranges from ray distances (MuJoCo's: -1 for no hit), noise from `rng` when the spec asks for it. */
export function assembleRanges(dist: ArrayLike<number>, spec: LidarSpec, rng?: Rng): Float32Array {
  const out = new Float32Array(spec.samples);
  const sd = spec.noiseStddev;
  for (let i = 0; i < spec.samples; i++)
    out[i] = rangeReading(dist[i], spec.rangeMin, spec.rangeMax, sd > 0 && rng ? sd * rng.normal() : 0);
  return out;
}

/** A builtin_interfaces/Time from whole nanoseconds. */
export function stamp(ns: number): { sec: number; nanosec: number } {
  const sec = Math.floor(ns / 1e9);
  return { sec, nanosec: ns - sec * 1e9 };
}

/** A scan as the simulation keeps it (and a dashboard reads it). */
export interface Scan {
  /** Simulated time of the scan (s). */
  time: number;
  angleMin: number;
  angleMax: number;
  angleIncrement: number;
  rangeMin: number;
  rangeMax: number;
  ranges: Float32Array;
  /** Ground-truth pose of the sensor when it scanned (world frame). */
  pose: { x: number; y: number; yaw: number };
}

/** sensor_msgs/msg/LaserScan fields for the codec. */
export function laserScanMessage(scan: Scan, frameId: string, ns: number): Record<string, unknown> {
  return {
    header: { stamp: stamp(ns), frame_id: frameId },
    angle_min: scan.angleMin,
    angle_max: scan.angleMax,
    angle_increment: scan.angleIncrement,
    time_increment: 0,
    scan_time: 0,
    range_min: scan.rangeMin,
    range_max: scan.rangeMax,
    ranges: scan.ranges,
    intensities: new Float32Array(scan.ranges.length),
  };
}

/**
 * Odometry from wheel encoder angles, like gz-sim's DiffDrive (gz::math::DiffDriveOdometry): each
 * update turns the wheels' travel into a body displacement, integrated exactly along an arc (second
 * order Runge-Kutta when the heading barely changes). It starts at (0, 0, 0) in the odom frame and
 * drifts with any wheel slip, like a real robot's.
 */
export class WheelOdometry {
  x = 0;
  y = 0;
  yaw = 0;
  private left: number | null = null;
  private right: number | null = null;

  constructor(
    readonly wheelRadius: number,
    readonly wheelSeparation: number,
  ) {}

  /** Wheel angles (rad, positive forward). Returns the body displacement of this update [ds, dyaw]. */
  update(leftAngle: number, rightAngle: number): [number, number] {
    if (this.left === null || this.right === null) {
      this.left = leftAngle;
      this.right = rightAngle;
      return [0, 0];
    }
    const dl = (leftAngle - this.left) * this.wheelRadius;
    const dr = (rightAngle - this.right) * this.wheelRadius;
    this.left = leftAngle;
    this.right = rightAngle;
    const ds = (dl + dr) / 2;
    const dyaw = (dr - dl) / this.wheelSeparation;
    if (Math.abs(dyaw) < 1e-6) {
      const mid = this.yaw + dyaw / 2;
      this.x += ds * Math.cos(mid);
      this.y += ds * Math.sin(mid);
    } else {
      const r = ds / dyaw;
      const yaw1 = this.yaw + dyaw;
      this.x += r * (Math.sin(yaw1) - Math.sin(this.yaw));
      this.y -= r * (Math.cos(yaw1) - Math.cos(this.yaw));
    }
    this.yaw = wrapAngle(this.yaw + dyaw);
    return [ds, dyaw];
  }
}

export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Yaw of a quaternion (w, x, y, z). */
export function yawOf(w: number, x: number, y: number, z: number): number {
  return Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
}
