// CDR codecs against golden bytes from Cyclone DDS (tests/reference/cdr: msgs.idl and golden.c, run by
// make.sh against Debian's cyclonedds-dev): an implementation independent of the @foxglove serializer.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCodec, CodecError } from '../bridge/codec/cdr.js';
import { definitionsFor, type Distro } from '../bridge/codec/definitions.js';
import { ROOT } from './helpers.js';

interface Golden { type: string; value: Record<string, unknown>; hex: string }
const golden = JSON.parse(readFileSync(join(ROOT, 'tests/reference/cdr/golden.json'), 'utf8')) as Golden[];
/** ROS 2's own test_msgs definitions, from Debian's ros2-test-interface-files (installed by .ci/run). */
const TEST_MSGS = { dir: '/usr/share/test_interface_files/msg', package: 'test_msgs' };

/** Decoded numeric arrays are typed arrays; compare them as plain arrays. */
function plain(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}
const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
function codecOf(g: Golden) {
  const [type, distro] = g.type.split('@') as [string, Distro | undefined];
  return createCodec(type, { distro: distro ?? 'jazzy', msgPaths: [TEST_MSGS] });
}

describe('CDR codecs vs Cyclone DDS golden bytes', () => {
  it('covers the message types the bridge promises', () => {
    expect(golden.map((g) => g.type.split('@')[0])).toEqual(
      expect.arrayContaining(['geometry_msgs/msg/Twist', 'geometry_msgs/msg/TwistStamped', 'sensor_msgs/msg/LaserScan', 'sensor_msgs/msg/Imu', 'nav_msgs/msg/Odometry', 'sensor_msgs/msg/JointState', 'sensor_msgs/msg/Range', 'std_msgs/msg/Float32MultiArray', 'test_msgs/msg/Strings']),
    );
  });

  for (const g of golden) {
    it(`${g.type}: decodes Cyclone's bytes to the values, and encodes the values to the same bytes`, () => {
      const codec = codecOf(g);
      const wire = bytes(g.hex);
      expect(plain(codec.decode(wire))).toEqual(g.value);
      const mine = codec.encode(g.value);
      // The body is byte-identical. Cyclone also pads the sample to 4 bytes and counts the padding in
      // the encapsulation options (bytes 2-3); the foxglove writer, like rmw, writes options 00 00.
      const pad = wire[3] & 3;
      expect(Array.from(mine.subarray(4))).toEqual(Array.from(wire.subarray(4, wire.length - pad)));
      expect(Array.from(mine.subarray(0, 4))).toEqual([0, 1, 0, 0]);
      expect(Array.from(wire.subarray(wire.length - pad)).every((b) => b === 0)).toBe(true);
    });
  }

  it('sensor_msgs/Range differs between humble and jazzy: each set refuses the other distro\'s bytes', () => {
    const humble = golden.find((g) => g.type.endsWith('@humble'))!;
    const jazzy = golden.find((g) => g.type.endsWith('@jazzy'))!;
    expect(() => createCodec('sensor_msgs/msg/Range', { distro: 'humble' }).decode(bytes(jazzy.hex))).toThrow(/bytes left after the message/);
    expect(() => createCodec('sensor_msgs/msg/Range', { distro: 'jazzy' }).decode(bytes(humble.hex))).toThrow(CodecError);
  });

  it('malformed bytes are a CodecError naming the type, never a crash', () => {
    const codec = createCodec('sensor_msgs/msg/LaserScan');
    const wire = bytes(golden.find((g) => g.type === 'sensor_msgs/msg/LaserScan')!.hex);
    expect(() => codec.decode(wire.subarray(0, 2))).toThrow(/sensor_msgs\/msg\/LaserScan: 2 bytes, shorter than the CDR header/);
    expect(() => codec.decode(wire.subarray(0, 40))).toThrow(/malformed CDR/);
    const bad = wire.slice();
    bad[1] = 0x07;
    expect(() => codec.decode(bad)).toThrow(/unsupported encapsulation/);
    // A sequence length far beyond the buffer.
    const huge = wire.slice();
    huge.set([0xff, 0xff, 0xff, 0x7f], 56);
    expect(() => codec.decode(huge)).toThrow(CodecError);
  });

  it('definitions come from installed .msg files first, and name their source', () => {
    const fromMsg = definitionsFor('test_msgs/msg/Strings', { msgPaths: [TEST_MSGS] });
    expect(fromMsg.sources['test_msgs/Strings']).toBe(join(TEST_MSGS.dir, 'Strings.msg'));
    const shipped = definitionsFor('nav_msgs/msg/Odometry', { distro: 'humble', amentPrefixes: [] });
    expect(Object.keys(shipped.sources)).toEqual(expect.arrayContaining(['nav_msgs/Odometry', 'std_msgs/Header', 'geometry_msgs/PoseWithCovariance', 'geometry_msgs/Quaternion']));
    expect(shipped.sources['nav_msgs/Odometry']).toBe('shipped humble set');
    expect(() => definitionsFor('no_such_msgs/msg/Thing', { amentPrefixes: [] })).toThrow(/no definition for no_such_msgs\/msg\/Thing/);
  });

  it('zero() gives an encodable all-zero message (the template outputs fill)', () => {
    const codec = createCodec('geometry_msgs/msg/TwistStamped');
    const z = codec.zero();
    expect(z).toEqual({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } } });
    expect(plain(codec.decode(codec.encode(z)))).toEqual(z);
  });
});
