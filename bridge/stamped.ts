// geometry_msgs types and their stamped variants (a std_msgs/Header plus the message under one field).
// Velocity consumers disagree: Gazebo's DiffDrive bridge takes Twist, ros2_control's
// diff_drive_controller takes TwistStamped (the only choice from jazzy on). A bridge output names the
// plain type and a parameter chooses, so one circuit drives both.
const STAMPED: Record<string, { type: string; field: string }> = {
  'geometry_msgs/msg/Twist': { type: 'geometry_msgs/msg/TwistStamped', field: 'twist' },
  'geometry_msgs/msg/Accel': { type: 'geometry_msgs/msg/AccelStamped', field: 'accel' },
  'geometry_msgs/msg/Wrench': { type: 'geometry_msgs/msg/WrenchStamped', field: 'wrench' },
  'geometry_msgs/msg/Vector3': { type: 'geometry_msgs/msg/Vector3Stamped', field: 'vector' },
  'geometry_msgs/msg/Point': { type: 'geometry_msgs/msg/PointStamped', field: 'point' },
  'geometry_msgs/msg/Pose': { type: 'geometry_msgs/msg/PoseStamped', field: 'pose' },
};

function canonical(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

/** The stamped variant of `type`, or null when it has none. */
export function stampedVariant(type: string): { type: string; field: string } | null {
  // A document's type string is the key: own entries only (`constructor` is on every object).
  const t = canonical(type);
  return Object.hasOwn(STAMPED, t) ? STAMPED[t] : null;
}

/** The type and value path actually published for an output, stamped or not. */
export function publishedAs(type: string, path: string, stamped: boolean): { type: string; path: string } {
  if (!stamped) return { type, path };
  const v = stampedVariant(type);
  if (!v) throw new Error(`${type} has no stamped variant (known: ${Object.keys(STAMPED).join(', ')})`);
  return { type: v.type, path: `${v.field}.${path}` };
}
