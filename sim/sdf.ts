// Arena + robot -> an SDF 1.9 world for Gazebo Harmonic (gz sim 8), the Gazebo twin of the built-in
// simulator (mjcf.ts). Pure: the same arena gives the same text.
//
// It mirrors the MuJoCo model: the same walls and obstacles (geometry and poses, in one static model
// `arena` whose collisions carry the MJCF geoms' names), and a differential-drive robot `flux_robot`
// at the arena's start pose with the dimensions of robot.ts. Gazebo publishes what the built-in
// simulator publishes, under the same names, so one bridge document drives both (through
// ros_gz_bridge, see launch/flux_ros/launch/gazebo_diffdrive.launch.py):
//   - cmd_vel (gz.msgs.Twist, in) and odom (gz.msgs.Odometry, 50 Hz, odom -> base_link) by the
//     DiffDrive system, which integrates the wheel joints' angles, like the built-in odometry;
//   - scan (gz.msgs.LaserScan) by a gpu_lidar on lidar_link with DEFAULT_LIDAR's beams and rate;
//   - imu (gz.msgs.IMU, 100 Hz) on imu_link; /clock by gz sim itself.
// Gazebo resolves a relative topic ("scan") to the absolute one ("/scan"). The IR range sensors of the
// built-in robot have no Gazebo counterpart here (ros_gz_bridge has no sensor_msgs/Range), nor has
// its bump (contact) ground truth.
//
// Differences that stay: Gazebo's default physics is DART, not MuJoCo; the wheels are cylinders
// driven by DiffDrive's joint velocity commands (no servo lag), limited to the same rim speed as a
// body twist rather than per wheel; the caster is a frictionless ball on a ball joint. Nothing here
// has run in Gazebo on our machines: it is written against SDFormat 1.9 and gz-sim 8's systems.
import { findArena, type Arena } from './arena.js';
import { ROBOT, type RobotSpec } from './robot.js';
import { DEFAULT_LIDAR, type LidarSpec } from './sensors.js';
import { FRAMES, TOPICS } from './simulation.js';

export interface SdfOptions {
  /** Written as an XML comment after the declaration (e.g. where the file came from). */
  comment?: string;
  /** Odometry rate (Hz); the built-in simulator's default is 50. */
  odomHz?: number;
  /** IMU rate (Hz); the built-in simulator's default is 100. */
  imuHz?: number;
}

/** Model, link and joint names in the world (the frames are FRAMES'). */
export const SDF_NAMES = {
  robot: 'flux_robot',
  arena: 'arena',
  ground: 'ground_plane',
  leftJoint: 'left_wheel_joint',
  rightJoint: 'right_wheel_joint',
  lidarSensor: 'lidar',
  imuSensor: 'imu',
} as const;

/** The world systems every generated world loads (filename -> class). */
export const WORLD_SYSTEMS = {
  'gz-sim-physics-system': 'gz::sim::systems::Physics',
  'gz-sim-user-commands-system': 'gz::sim::systems::UserCommands',
  'gz-sim-scene-broadcaster-system': 'gz::sim::systems::SceneBroadcaster',
  'gz-sim-sensors-system': 'gz::sim::systems::Sensors',
  'gz-sim-imu-system': 'gz::sim::systems::Imu',
} as const;

const f = (x: number) => (Object.is(x, -0) ? '0' : String(Math.round(x * 1e9) / 1e9));
const v = (...xs: number[]) => xs.map(f).join(' ');
/** Text or attribute content. */
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
/** A name Gazebo also uses in topic paths (/world/<name>/...): letters, digits and underscores. */
const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

type Shape = { box: [number, number, number] } | { cylinder: [number, number] } | { sphere: number };

function geometry(s: Shape): string {
  if ('box' in s) return `<geometry><box><size>${v(...s.box)}</size></box></geometry>`;
  if ('cylinder' in s)
    return `<geometry><cylinder><radius>${f(s.cylinder[0])}</radius><length>${f(s.cylinder[1])}</length></cylinder></geometry>`;
  return `<geometry><sphere><radius>${f(s.sphere)}</radius></sphere></geometry>`;
}

const material = (rgba: string) =>
  `<material><ambient>${rgba}</ambient><diffuse>${rgba}</diffuse><specular>0.1 0.1 0.1 1</specular></material>`;

/** A collision named `name` and a visual `<name>_visual` (sibling names must differ) of one shape and pose. */
function part(name: string, pose: string, shape: Shape, rgba: string, surface = ''): string {
  const n = esc(name);
  return `<collision name="${n}">
  <pose>${pose}</pose>
  ${geometry(shape)}${surface ? `\n  ${surface}` : ''}
</collision>
<visual name="${n}_visual">
  <pose>${pose}</pose>
  ${geometry(shape)}
  ${material(rgba)}
</visual>`;
}

function inertial(mass: number, [ixx, iyy, izz]: [number, number, number], pose = '0 0 0 0 0 0'): string {
  return `<inertial>
  <pose>${pose}</pose>
  <mass>${f(mass)}</mass>
  <inertia><ixx>${f(ixx)}</ixx><ixy>0</ixy><ixz>0</ixz><iyy>${f(iyy)}</iyy><iyz>0</iyz><izz>${f(izz)}</izz></inertia>
</inertial>`;
}

/** The robot as an SDF <model> (at the origin; the world places it). */
function robotModel(robot: RobotSpec, lidar: LidarSpec, odomHz: number, imuHz: number, pose: string): string {
  const r = robot.wheelRadius;
  const w = robot.wheelWidth;
  const bodyH = robot.bodyTop - robot.bodyBottom;
  const bodyZ = (robot.bodyBottom + robot.bodyTop) / 2;
  const wheelMass = 0.05;
  const casterMass = 0.01;
  // A tiny mass for the sensor links (a link needs one): fixed to base_link, they change nothing.
  const tiny = inertial(0.001, [1e-7, 1e-7, 1e-7]);
  // The wheel cylinder's axis is its z; rolled by -π/2 it lies along base_link's +y, so a positive
  // joint velocity about that axis drives the robot forward (DiffDrive's convention).
  const wheel = (side: 'left' | 'right', y: number) => `<link name="${side}_wheel">
  <pose>${v(0, y, r, -Math.PI / 2, 0, 0)}</pose>
${indent(inertial(wheelMass, [(wheelMass * (3 * r * r + w * w)) / 12, (wheelMass * (3 * r * r + w * w)) / 12, (wheelMass * r * r) / 2]), 2)}
${indent(part(`${side}_wheel`, '0 0 0 0 0 0', { cylinder: [r, w] }, '0.1 0.1 0.1 1', '<surface><friction><ode><mu>1</mu><mu2>1</mu2></ode></friction></surface>'), 2)}
</link>
<joint name="${side}_wheel_joint" type="revolute">
  <parent>${FRAMES.base}</parent>
  <child>${side}_wheel</child>
  <axis><xyz>0 0 1</xyz></axis>
</joint>`;
  const maxV = robot.maxWheelSpeed * r;
  const maxW = (2 * maxV) / robot.wheelSeparation;
  const noise =
    lidar.noiseStddev > 0 ? `\n      <noise><type>gaussian</type><mean>0</mean><stddev>${f(lidar.noiseStddev)}</stddev></noise>` : '';
  const body = `<link name="${FRAMES.base}">
${indent(inertial(robot.mass, [0.004, 0.004, 0.005], v(robot.comX, 0, bodyZ, 0, 0, 0)), 2)}
${indent(part('chassis', v(0, 0, bodyZ, 0, 0, 0), { cylinder: [robot.bodyRadius, bodyH] }, '0.2 0.3 0.8 1'), 2)}
</link>
<link name="caster">
  <pose>${v(robot.casterX, 0, robot.casterRadius, 0, 0, 0)}</pose>
${indent(inertial(casterMass, [0.4 * casterMass * robot.casterRadius ** 2, 0.4 * casterMass * robot.casterRadius ** 2, 0.4 * casterMass * robot.casterRadius ** 2]), 2)}
${indent(part('caster', '0 0 0 0 0 0', { sphere: robot.casterRadius }, '0.5 0.5 0.5 1', '<surface><friction><ode><mu>0</mu><mu2>0</mu2></ode></friction></surface>'), 2)}
</link>
<joint name="caster_joint" type="ball">
  <parent>${FRAMES.base}</parent>
  <child>caster</child>
</joint>
${wheel('left', robot.wheelSeparation / 2)}
${wheel('right', -robot.wheelSeparation / 2)}
<link name="${FRAMES.lidar}">
  <pose>${v(0, 0, robot.lidarZ, 0, 0, 0)}</pose>
${indent(tiny, 2)}
  <visual name="lidar_head">
    <geometry><cylinder><radius>0.035</radius><length>0.03</length></cylinder></geometry>
    ${material('0.1 0.1 0.1 1')}
  </visual>
  <sensor name="${SDF_NAMES.lidarSensor}" type="gpu_lidar">
    <always_on>true</always_on>
    <visualize>true</visualize>
    <update_rate>${f(lidar.rateHz)}</update_rate>
    <topic>${TOPICS.scan.slice(1)}</topic>
    <gz_frame_id>${esc(lidar.frameId)}</gz_frame_id>
    <lidar>
      <scan>
        <horizontal><samples>${lidar.samples}</samples><resolution>1</resolution><min_angle>${f(lidar.angleMin)}</min_angle><max_angle>${f(lidar.angleMax)}</max_angle></horizontal>
        <vertical><samples>1</samples><resolution>1</resolution><min_angle>0</min_angle><max_angle>0</max_angle></vertical>
      </scan>
      <range><min>${f(lidar.rangeMin)}</min><max>${f(lidar.rangeMax)}</max><resolution>0.001</resolution></range>${noise}
    </lidar>
  </sensor>
</link>
<joint name="lidar_joint" type="fixed">
  <parent>${FRAMES.base}</parent>
  <child>${FRAMES.lidar}</child>
</joint>
<link name="${FRAMES.imu}">
  <pose>${v(0, 0, robot.imuZ, 0, 0, 0)}</pose>
${indent(tiny, 2)}
  <sensor name="${SDF_NAMES.imuSensor}" type="imu">
    <always_on>true</always_on>
    <update_rate>${f(imuHz)}</update_rate>
    <topic>${TOPICS.imu.slice(1)}</topic>
    <gz_frame_id>${FRAMES.imu}</gz_frame_id>
  </sensor>
</link>
<joint name="imu_joint" type="fixed">
  <parent>${FRAMES.base}</parent>
  <child>${FRAMES.imu}</child>
</joint>
<plugin filename="gz-sim-diff-drive-system" name="gz::sim::systems::DiffDrive">
  <left_joint>${SDF_NAMES.leftJoint}</left_joint>
  <right_joint>${SDF_NAMES.rightJoint}</right_joint>
  <wheel_separation>${f(robot.wheelSeparation)}</wheel_separation>
  <wheel_radius>${f(r)}</wheel_radius>
  <odom_publish_frequency>${f(odomHz)}</odom_publish_frequency>
  <topic>${TOPICS.cmdVel.slice(1)}</topic>
  <odom_topic>${TOPICS.odom.slice(1)}</odom_topic>
  <frame_id>${FRAMES.odom}</frame_id>
  <child_frame_id>${FRAMES.base}</child_frame_id>
  <min_linear_velocity>${f(-maxV)}</min_linear_velocity>
  <max_linear_velocity>${f(maxV)}</max_linear_velocity>
  <min_angular_velocity>${f(-maxW)}</min_angular_velocity>
  <max_angular_velocity>${f(maxW)}</max_angular_velocity>
</plugin>`;
  return `<model name="${SDF_NAMES.robot}">
  <pose>${pose}</pose>
${indent(body, 2)}
</model>`;
}

/**
 * The SDF 1.9 world (Gazebo Harmonic) of an arena with the robot at its start pose: the same walls,
 * obstacles and robot as arenaToMjcf, and the same topic and frame names as the built-in simulator.
 */
export function arenaToSdf(arena: Arena, robot: RobotSpec = ROBOT, lidar: LidarSpec = DEFAULT_LIDAR, options: SdfOptions = {}): string {
  const { size, wall, start } = arena;
  const half = size / 2;
  const t = wall.thickness;
  const h = wall.height;
  // As in mjcf.ts (full lengths here, half lengths there).
  const walls = [
    ['wall_east', half + t / 2, 0, t, 2 * (half + t)],
    ['wall_west', -half - t / 2, 0, t, 2 * (half + t)],
    ['wall_north', 0, half + t / 2, 2 * (half + t), t],
    ['wall_south', 0, -half - t / 2, 2 * (half + t), t],
  ] as const;
  const wallRgba = '0.75 0.75 0.7 1';
  const obstacleRgba = '0.8 0.45 0.2 1';
  const parts = [
    ...walls.map(([n, x, y, lx, ly]) => part(n, v(x, y, h / 2, 0, 0, 0), { box: [lx, ly, h] }, wallRgba)),
    ...arena.obstacles.map((o, i) =>
      o.shape === 'box'
        ? part(`obstacle_${i}`, v(o.x, o.y, o.height / 2, 0, 0, o.yaw), { box: [o.size[0], o.size[1], o.height] }, obstacleRgba)
        : part(`obstacle_${i}`, v(o.x, o.y, o.height / 2, 0, 0, 0), { cylinder: [o.radius, o.height] }, obstacleRgba),
    ),
  ];
  const floor = v(size + 2, size + 2);
  const comment = options.comment === undefined ? '' : `<!-- ${options.comment.replace(/-(?=-)/g, '- ').replace(/-$/, '- ')} -->\n`;
  const systems = Object.entries(WORLD_SYSTEMS)
    .map(([file, name]) =>
      file === 'gz-sim-sensors-system'
        ? `<plugin filename="${file}" name="${name}">\n  <render_engine>ogre2</render_engine>\n</plugin>`
        : `<plugin filename="${file}" name="${name}"/>`,
    )
    .join('\n');
  const world = `<physics name="1ms" type="ignored">
  <max_step_size>0.001</max_step_size>
  <real_time_factor>1</real_time_factor>
</physics>
${systems}
<scene>
  <ambient>0.4 0.4 0.4 1</ambient>
  <background>0.7 0.7 0.7 1</background>
  <shadows>true</shadows>
</scene>
<light type="directional" name="sun">
  <cast_shadows>true</cast_shadows>
  <pose>${v(0, 0, size + 2, 0, 0, 0)}</pose>
  <diffuse>0.8 0.8 0.8 1</diffuse>
  <specular>0.2 0.2 0.2 1</specular>
  <direction>-0.5 0.1 -0.9</direction>
</light>
<model name="${SDF_NAMES.ground}">
  <static>true</static>
  <link name="${SDF_NAMES.ground}">
    <collision name="floor">
      <geometry><plane><normal>0 0 1</normal><size>${floor}</size></plane></geometry>
      <surface><friction><ode><mu>1</mu><mu2>1</mu2></ode></friction></surface>
    </collision>
    <visual name="floor_visual">
      <geometry><plane><normal>0 0 1</normal><size>${floor}</size></plane></geometry>
      ${material('0.9 0.9 0.9 1')}
    </visual>
  </link>
</model>
<model name="${SDF_NAMES.arena}">
  <static>true</static>
  <link name="${SDF_NAMES.arena}">
${indent(parts.join('\n'), 4)}
  </link>
</model>
${robotModel(robot, lidar, options.odomHz ?? 50, options.imuHz ?? 100, v(start.x, start.y, 0, 0, 0, start.yaw))}`;
  return `<?xml version="1.0"?>
${comment}<sdf version="1.9">
  <world name="flux_${esc(ident(arena.name))}">
${indent(world, 4)}
  </world>
</sdf>
`;
}

/** The header of a committed world (launch/flux_ros/worlds/<name>.sdf). */
export const worldComment = (name: string) =>
  `Generated by arenaToSdf (sim/sdf.ts) from examples/arenas/${name}.yaml; do not edit. Regenerate all: FLUX_UPDATE_WORLDS=1 npx vitest run tests/gazebo.test.ts`;

/** The world of a built-in arena (examples/arenas/<name>.yaml), as committed in launch/flux_ros/worlds/. */
export function builtinWorldSdf(name: string): string {
  return arenaToSdf(findArena(name), ROBOT, DEFAULT_LIDAR, { comment: worldComment(name) });
}
