// Stamped variants of geometry_msgs types: which type and path an output publishes.
import { describe, it, expect } from 'vitest';
import { stampedVariant, publishedAs } from './stamped.js';

describe('stamped variants', () => {
  it('a message type named like a prototype property has no stamped variant', () => {
    for (const t of ['constructor', '__proto__', 'toString', 'geometry_msgs/constructor']) {
      expect(stampedVariant(t), t).toBeNull();
      expect(() => publishedAs(t, 'x', true), t).toThrow(/has no stamped variant/);
    }
    expect(stampedVariant('geometry_msgs/Twist')).toEqual({ type: 'geometry_msgs/msg/TwistStamped', field: 'twist' });
  });

  it('publishes the plain type unchanged, and the stamped one with the path under its field', () => {
    expect(publishedAs('geometry_msgs/msg/Twist', 'linear.x', false)).toEqual({ type: 'geometry_msgs/msg/Twist', path: 'linear.x' });
    expect(publishedAs('geometry_msgs/msg/Twist', 'linear.x', true)).toEqual({
      type: 'geometry_msgs/msg/TwistStamped',
      path: 'twist.linear.x',
    });
    expect(publishedAs('geometry_msgs/Pose', 'position', true)).toEqual({ type: 'geometry_msgs/msg/PoseStamped', path: 'pose.position' });
    // A type with no stamped variant is fine as long as stamping is not asked for.
    expect(publishedAs('sensor_msgs/msg/LaserScan', 'ranges', false).type).toBe('sensor_msgs/msg/LaserScan');
    expect(() => publishedAs('sensor_msgs/msg/LaserScan', 'ranges', true)).toThrow(/known: geometry_msgs\/msg\/Twist, /);
  });
});
