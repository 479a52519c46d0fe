// The simulated robot: a small differential-drive base in the spirit of a TurtleBot3 Burger (two
// driven wheels 16 cm apart, a rear ball caster, a 360-beam planar lidar on top, an IMU, three
// infrared single-beam ranges at the front). base_link lies on the floor midway between the wheels,
// x forward, y left, z up (REP 103); every sensor pose below is in base_link.

export interface IrSpec {
  /** Topic /ir/<name>, frame ir_<name>_link. */
  name: string;
  x: number;
  y: number;
  z: number;
  /** Beam direction in base_link, counter-clockwise from x. */
  yaw: number;
}

export interface RobotSpec {
  wheelRadius: number;
  /** Distance between the wheels' contact points. */
  wheelSeparation: number;
  wheelWidth: number;
  /** The chassis is an upright cylinder around base_link's z axis: the robot's footprint. */
  bodyRadius: number;
  bodyBottom: number;
  bodyTop: number;
  /** Total mass (kg) and its centre's x (behind the axle, so the caster carries some load). */
  mass: number;
  comX: number;
  casterRadius: number;
  casterX: number;
  /** Height of the lidar's beam plane above the floor; the lidar sits on base_link's z axis. */
  lidarZ: number;
  imuZ: number;
  ir: IrSpec[];
  /** Velocity servo gain of each wheel (N·m per rad/s). */
  motorGain: number;
  /** Wheel commands are clipped to this (rad/s); 30 rad/s is 1 m/s at the rim. */
  maxWheelSpeed: number;
}

const d = Math.PI / 180;

export const ROBOT: RobotSpec = {
  wheelRadius: 0.033,
  wheelSeparation: 0.16,
  wheelWidth: 0.018,
  bodyRadius: 0.1,
  bodyBottom: 0.015,
  bodyTop: 0.135,
  mass: 1.0,
  comX: -0.02,
  casterRadius: 0.015,
  casterX: -0.075,
  lidarZ: 0.17,
  imuZ: 0.05,
  ir: [
    { name: 'front_left', x: 0.1 * Math.cos(40 * d), y: 0.1 * Math.sin(40 * d), z: 0.05, yaw: 40 * d },
    { name: 'front', x: 0.1, y: 0, z: 0.05, yaw: 0 },
    { name: 'front_right', x: 0.1 * Math.cos(40 * d), y: -0.1 * Math.sin(40 * d), z: 0.05, yaw: -40 * d },
  ],
  motorGain: 0.05,
  maxWheelSpeed: 30,
};

/** Wheel angular velocities (rad/s, left and right) for a body twist: v = linear.x, w = angular.z. */
export function wheelSpeeds(v: number, w: number, robot: RobotSpec = ROBOT): [number, number] {
  const half = robot.wheelSeparation / 2;
  return [(v - w * half) / robot.wheelRadius, (v + w * half) / robot.wheelRadius];
}
