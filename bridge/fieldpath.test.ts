// Field paths on every message type the bridge promises (values from the Cyclone DDS golden set).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFieldPath, FieldPathError } from './fieldpath.js';
import { createCodec } from './codec/cdr.js';
import { definitionsFor } from './codec/definitions.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
interface Golden {
  type: string;
  value: Record<string, unknown>;
  hex: string;
}
const golden = JSON.parse(readFileSync(join(ROOT, 'tests/reference/cdr/golden.json'), 'utf8')) as Golden[];
const TEST_MSGS = { dir: join(ROOT, 'tests/fixtures/msgs/test_msgs'), package: 'test_msgs' };
const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

/** The decoded golden message of a type, and its definitions. */
function sample(type: string) {
  const g = golden.find((x) => x.type === type || x.type === `${type}@jazzy`)!;
  const defs = definitionsFor(type, { msgPaths: [TEST_MSGS] }).definitions;
  return { msg: createCodec(type, { msgPaths: [TEST_MSGS] }).decode(bytes(g.hex)), defs };
}

const cases: [string, string, number | number[]][] = [
  ['geometry_msgs/msg/Twist', 'linear.x', 0.5],
  ['geometry_msgs/msg/Twist', 'angular', [0, 0.125, -2.5]],
  ['geometry_msgs/msg/TwistStamped', 'twist.angular.z', -2.5],
  ['geometry_msgs/msg/TwistStamped', 'header.stamp.sec', 1700000000],
  ['sensor_msgs/msg/LaserScan', 'ranges', [0.5, 1.25, 3, 10, 0.125]],
  ['sensor_msgs/msg/LaserScan', 'ranges[1:4]', [1.25, 3, 10]],
  ['sensor_msgs/msg/LaserScan', 'ranges[-1]', 0.125],
  ['sensor_msgs/msg/LaserScan', 'ranges[0:5:2]', [0.5, 3, 0.125]],
  ['sensor_msgs/msg/LaserScan', 'ranges[3:]', [10, 0.125]],
  ['sensor_msgs/msg/LaserScan', 'range_max', 12],
  ['sensor_msgs/msg/Imu', 'orientation', [0, 0, 0.7071, 0.7071]],
  ['sensor_msgs/msg/Imu', 'linear_acceleration.z', 9.81],
  ['sensor_msgs/msg/Imu', 'orientation_covariance[0]', -1],
  ['nav_msgs/msg/Odometry', 'pose.pose.position', [1, 2, 0]],
  ['nav_msgs/msg/Odometry', 'twist.twist.linear.y', -1.25],
  ['nav_msgs/msg/Odometry', 'pose.covariance[35]', 0.5],
  ['sensor_msgs/msg/JointState', 'position[1]', -0.25],
  ['sensor_msgs/msg/JointState', 'velocity[0:2]', [1, 2]],
  ['sensor_msgs/msg/Range', 'range', 1.25],
  ['sensor_msgs/msg/Range', 'radiation_type', 1],
  ['std_msgs/msg/Float32MultiArray', 'data[1]', -2],
  ['std_msgs/msg/Float32MultiArray', 'layout.dim[0].size', 3],
];

describe('field paths', () => {
  for (const [type, path, want] of cases) {
    it(`${type} ${path}`, () => {
      const { msg, defs } = sample(type);
      const p = compileFieldPath(path, defs);
      expect(p.vector).toBe(Array.isArray(want));
      const got = p.get(msg);
      if (Array.isArray(want)) expect(Array.from(got as number[]).map((x) => Math.fround(x))).toEqual(want.map((x) => Math.fround(x)));
      else expect(Math.fround(got as number)).toBe(Math.fround(want));
    });
  }

  it('writes into an output message: scalars, messages of numbers and slices', () => {
    const twist = createCodec('geometry_msgs/msg/TwistStamped');
    const defs = definitionsFor('geometry_msgs/msg/TwistStamped').definitions;
    const m = twist.zero();
    compileFieldPath('twist.linear.x', defs).set(m, 0.3);
    compileFieldPath('twist.angular', defs).set(m, [0, 0, -0.7]);
    expect(m.twist).toEqual({ linear: { x: 0.3, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -0.7 } });
    const arr = createCodec('std_msgs/msg/Float32MultiArray');
    const a = arr.zero();
    compileFieldPath('data[2:5]', definitionsFor('std_msgs/msg/Float32MultiArray').definitions).set(a, [1, 2, 3]);
    expect(a.data).toEqual([0, 0, 1, 2, 3]);
    // What was written encodes.
    expect(twist.decode(twist.encode(m)).twist).toEqual(m.twist);
  });

  it('typos and impossible paths are reported at compile time with what exists', () => {
    const defs = definitionsFor('sensor_msgs/msg/LaserScan').definitions;
    expect(() => compileFieldPath('range', defs)).toThrow(
      /sensor_msgs\/LaserScan has no field "range"; it has header, angle_min.*ranges, intensities/,
    );
    expect(() => compileFieldPath('header.frame_id', defs)).toThrow(/ends on a string, not a number/);
    expect(() => compileFieldPath('header', defs)).toThrow(/not a message of numbers/);
    expect(() => compileFieldPath('angle_min[0]', defs)).toThrow(/not an array/);
    expect(() => compileFieldPath('ranges.x', defs)).toThrow(/follows an array/);
    expect(() => compileFieldPath('ranges[1:2:0]', defs)).toThrow(/step must be >= 1/);
    expect(() => compileFieldPath('ranges..', defs)).toThrow(FieldPathError);
    expect(() => compileFieldPath('', defs)).toThrow(FieldPathError);
    const p = compileFieldPath('ranges[7]', defs);
    expect(() => p.get({ ranges: [1, 2] })).toThrow(/index 7 outside an array of 2/);
  });

  it('a slice or array the message does not fit is refused, never read shorter or empty (D8)', () => {
    const defs = definitionsFor('sensor_msgs/msg/LaserScan').definitions;
    const scan = (n: number) => ({ ranges: new Float32Array(n).fill(1) });
    const fixed = compileFieldPath('ranges[0:360]', defs);
    expect(fixed.get(scan(360))).toHaveLength(360);
    expect(fixed.get(scan(720))).toHaveLength(360);
    expect(() => fixed.get(scan(100))).toThrow(/"ranges\[0:360\]": the slice does not fit the message's array of 100/);
    expect(() => fixed.get(scan(0))).toThrow(/does not fit the message's array of 0/);
    expect(() => compileFieldPath('ranges[-10:]', defs).get(scan(5))).toThrow(/does not fit/);
    expect(compileFieldPath('ranges[-10:]', defs).get(scan(10))).toHaveLength(10);
    expect(() => compileFieldPath('ranges[4:]', defs).get(scan(4))).toThrow(/does not fit/);
    // A whole array field with no element would reach the encoder as NaN.
    expect(() => compileFieldPath('ranges', defs).get(scan(0))).toThrow(/the message's array is empty/);
    expect(() => compileFieldPath('ranges[5:2]', defs)).toThrow(/selects nothing/);
    // Fixed-size arrays are checked when the path is compiled.
    const imu = definitionsFor('sensor_msgs/msg/Imu').definitions;
    expect(() => compileFieldPath('orientation_covariance[9]', imu)).toThrow(/index 9 is outside the field's 9 elements/);
    expect(() => compileFieldPath('orientation_covariance[0:10]', imu)).toThrow(/does not fit the message's array of 9/);
    expect(compileFieldPath('orientation_covariance[-9]', imu).get({ orientation_covariance: new Float64Array(9).fill(2) })).toBe(2);
  });

  it('__proto__, constructor and prototype are never path segments; indices are bounded (D11)', () => {
    const defs = definitionsFor('sensor_msgs/msg/LaserScan').definitions;
    for (const bad of ['__proto__', 'constructor', 'prototype', 'header.__proto__', 'header.constructor.x', 'ranges.prototype'])
      expect(() => compileFieldPath(bad, defs), bad).toThrow(/is not allowed as a field name/);
    expect(() => compileFieldPath('ranges[99999999999]', defs)).toThrow(/beyond the largest index/);
    // A decoded message is read through its own fields only.
    const p = compileFieldPath('range_max', defs);
    expect(() => p.get(Object.create({ range_max: 3 }))).toThrow(/has no field "range_max"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
