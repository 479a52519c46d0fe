// Arena + robot -> MJCF, the XML that MuJoCo compiles. Pure: the same arena gives the same text.
//
// Physics choices (measured): 1 ms steps with the implicitfast integrator; wheels are velocity servos
// (no forcerange, which breaks implicit integration) with a little armature; wheel collision shapes are
// thin ellipsoids (one contact point each: a cylinder's rim contacts scrub when turning in place, which
// lost 10-20 % of the yaw rate); the caster is a frictionless sphere (condim 1) with contact priority,
// or it takes the floor's friction and drags. Wheel contacts are stiffer than the default (solref
// 4 ms): the tyre sinks less into the floor, so its rolling radius (and odometry) errs less (~1 %).
// The mass centre sits behind the axle so the caster carries load. Geom groups: 0 walls and obstacles
// (what the lidar and IR beams see), 1 the robot, 2 the floor. Walls and obstacles are geoms of one
// static body, `arena`, so one contact sensor counts every touch of the robot with any of them.
import type { Arena } from './arena.js';
import { ROBOT, type RobotSpec } from './robot.js';

/** Names the simulation looks up in the compiled model. */
export const NAMES = {
  base: 'base_link',
  arena: 'arena',
  leftJoint: 'left_wheel_joint',
  rightJoint: 'right_wheel_joint',
  accel: 'imu_accelerometer',
  gyro: 'imu_gyro',
  quat: 'imu_orientation',
  bump: 'bump',
} as const;

const f = (x: number) => (Object.is(x, -0) ? '0' : String(Math.round(x * 1e9) / 1e9));
const v = (...xs: number[]) => xs.map(f).join(' ');

export function arenaToMjcf(arena: Arena, robot: RobotSpec = ROBOT, timestep = 0.001): string {
  const { size, wall, start } = arena;
  const half = size / 2;
  const t = wall.thickness;
  const h = wall.height;
  const walls = [
    ['wall_east', half + t / 2, 0, t / 2, half + t, h / 2],
    ['wall_west', -half - t / 2, 0, t / 2, half + t, h / 2],
    ['wall_north', 0, half + t / 2, half + t, t / 2, h / 2],
    ['wall_south', 0, -half - t / 2, half + t, t / 2, h / 2],
  ] as const;
  const obstacles = arena.obstacles.map((o, i) =>
    o.shape === 'box'
      ? `      <geom name="obstacle_${i}" type="box" pos="${v(o.x, o.y, o.height / 2)}" euler="${v(0, 0, o.yaw)}" size="${v(o.size[0] / 2, o.size[1] / 2, o.height / 2)}" material="obstacle"/>`
      : `      <geom name="obstacle_${i}" type="cylinder" pos="${v(o.x, o.y, o.height / 2)}" size="${v(o.radius, o.height / 2)}" material="obstacle"/>`,
  );
  const r = robot.wheelRadius;
  const wheel = (side: 'left' | 'right', y: number) => `      <body name="${side}_wheel" pos="${v(0, y, r)}">
        <joint name="${side}_wheel_joint" type="hinge" axis="0 1 0" armature="0.0005"/>
        <geom name="${side}_wheel" type="ellipsoid" size="${v(r, robot.wheelWidth / 2, r)}" mass="0.05" friction="1 0.005 0.0001" solref="0.004 1" group="1" rgba="0.1 0.1 0.1 1"/>
      </body>`;
  const bodyH = robot.bodyTop - robot.bodyBottom;
  const ir = robot.ir.map((s) => `      <site name="ir_${s.name}" pos="${v(s.x, s.y, s.z)}" euler="${v(0, 0, s.yaw)}" size="0.005"/>`);
  return `<mujoco model="flux_diffdrive_${arena.name.replace(/[^A-Za-z0-9_]/g, '_')}">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="${f(timestep)}" integrator="implicitfast"/>
  <asset>
    <material name="wall" rgba="0.75 0.75 0.7 1"/>
    <material name="obstacle" rgba="0.8 0.45 0.2 1"/>
  </asset>
  <worldbody>
    <light pos="0 0 ${f(size + 2)}" dir="0 0 -1" directional="true"/>
    <geom name="floor" type="plane" size="${v(half + 1, half + 1, 0.05)}" group="2" friction="1 0.005 0.0001" rgba="0.9 0.9 0.9 1"/>
    <body name="${NAMES.arena}">
${walls.map(([n, x, y, sx, sy, sz]) => `      <geom name="${n}" type="box" pos="${v(x, y, h / 2)}" size="${v(sx, sy, sz)}" material="wall"/>`).join('\n')}
${obstacles.join('\n')}
    </body>
    <body name="${NAMES.base}" pos="${v(start.x, start.y, 0)}" quat="${v(Math.cos(start.yaw / 2), 0, 0, Math.sin(start.yaw / 2))}">
      <freejoint name="base_free"/>
      <inertial pos="${v(robot.comX, 0, (robot.bodyBottom + robot.bodyTop) / 2)}" mass="${f(robot.mass)}" diaginertia="0.004 0.004 0.005"/>
      <geom name="chassis" type="cylinder" pos="${v(0, 0, (robot.bodyBottom + robot.bodyTop) / 2)}" size="${v(robot.bodyRadius, bodyH / 2)}" group="1" rgba="0.2 0.3 0.8 1"/>
      <geom name="caster" type="sphere" pos="${v(robot.casterX, 0, robot.casterRadius)}" size="${f(robot.casterRadius)}" condim="1" priority="1" friction="0 0 0" group="1" rgba="0.5 0.5 0.5 1"/>
      <geom name="lidar_head" type="cylinder" pos="${v(0, 0, robot.lidarZ)}" size="0.035 0.015" contype="0" conaffinity="0" group="1" rgba="0.1 0.1 0.1 1"/>
      <site name="imu" pos="${v(0, 0, robot.imuZ)}" size="0.01"/>
      <site name="lidar" pos="${v(0, 0, robot.lidarZ)}" size="0.01"/>
${ir.join('\n')}
${wheel('left', robot.wheelSeparation / 2)}
${wheel('right', -robot.wheelSeparation / 2)}
    </body>
  </worldbody>
  <actuator>
    <velocity name="left_motor" joint="${NAMES.leftJoint}" kv="${f(robot.motorGain)}"/>
    <velocity name="right_motor" joint="${NAMES.rightJoint}" kv="${f(robot.motorGain)}"/>
  </actuator>
  <sensor>
    <accelerometer name="${NAMES.accel}" site="imu"/>
    <gyro name="${NAMES.gyro}" site="imu"/>
    <framequat name="${NAMES.quat}" objtype="site" objname="imu"/>
    <contact name="${NAMES.bump}" subtree1="${NAMES.base}" body2="${NAMES.arena}" data="found"/>
  </sensor>
</mujoco>
`;
}
