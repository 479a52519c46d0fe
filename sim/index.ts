// The simulated robot: MuJoCo differential-drive base in an arena, publishing what Gazebo + ros_gz_bridge do.
export {
  Simulation,
  mujoco,
  TOPICS,
  FRAMES,
  type SimulationOptions,
  type RunOptions,
  type TrailPoint,
  type Collision,
} from './simulation.js';
export {
  loadArena,
  parseArena,
  resolveArena,
  findArena,
  arenaDir,
  boundingRadius,
  distanceTo,
  clearance,
  ARENA_SCHEMA,
  type Arena,
  type ArenaConfig,
  type ObstacleConfig,
  type Obstacle,
  type Pose2D,
  type RandomObstacles,
} from './arena.js';
export { arenaToMjcf, NAMES } from './mjcf.js';
export { arenaToSdf, builtinWorldSdf, worldComment, SDF_NAMES, WORLD_SYSTEMS, type SdfOptions } from './sdf.js';
export { ROBOT, wheelSpeeds, type RobotSpec, type IrSpec } from './robot.js';
export {
  DEFAULT_LIDAR,
  angleIncrement,
  beamAngles,
  beamIndex,
  rangeReading,
  assembleRanges,
  laserScanMessage,
  stamp,
  WheelOdometry,
  wrapAngle,
  yawOf,
  type LidarSpec,
  type Scan,
} from './sensors.js';
export { Rng, substream } from './rng.js';
export { ClosedLoop, pathLength, type ClosedLoopOptions, type LoopSummary } from './loop.js';
export { ProgressReward, type ProgressRewardOptions, type RewardSample } from './reward.js';
