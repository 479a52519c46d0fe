// CDR codecs against golden bytes from Cyclone DDS (tests/reference/cdr: msgs.idl and golden.c, run by
// make.sh against Debian's cyclonedds-dev): an implementation independent of the @foxglove serializer.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, CodecError } from './cdr.js';
import { definitionsFor, splitType, type Distro } from './definitions.js';
import { requires } from '../../tests/requirements.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Golden {
  type: string;
  value: Record<string, unknown>;
  hex: string;
}
const golden = JSON.parse(readFileSync(join(ROOT, 'tests/reference/cdr/golden.json'), 'utf8')) as Golden[];
/**
 * ROS 2's own test_msgs definitions, shipped in tests/fixtures/msgs (Apache-2.0, copied unchanged from
 * Debian's ros2-test-interface-files) so that a machine with only Node.js runs these tests too.
 */
const TEST_MSGS = { dir: join(ROOT, 'tests/fixtures/msgs/test_msgs'), package: 'test_msgs' };
/** Where Debian's package installs them (checked against the shipped copy when present). */
const SYSTEM_TEST_MSGS = '/usr/share/test_interface_files/msg';

/** A typed array: every ArrayBufferView but DataView, which is not indexable. */
const isTypedArray = (x: unknown): x is ArrayLike<number | bigint> => ArrayBuffer.isView(x) && !(x instanceof DataView);

/** Decoded numeric arrays are typed arrays; compare them as plain arrays. */
function plain(x: unknown): unknown {
  if (isTypedArray(x)) return Array.from(x);
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}
const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
type Definitions = ReturnType<typeof definitionsFor>['definitions'];
/** Golden int64 and uint64 values are JSON strings (JSON numbers are exact only to 2^53); the codec
 * reads and writes them as BigInts. */
function bigints(value: Record<string, unknown>, type: string, defs: Definitions): Record<string, unknown> {
  const out = { ...value };
  for (const f of defs.find((d) => d.name === type)!.definitions) {
    if (f.isConstant || !(f.name in out)) continue;
    const one = (v: unknown): unknown =>
      f.isComplex
        ? bigints(v as Record<string, unknown>, f.type, defs)
        : f.type === 'int64' || f.type === 'uint64'
          ? BigInt(v as string)
          : v;
    out[f.name] = f.isArray ? (out[f.name] as unknown[]).map(one) : one(out[f.name]);
  }
  return out;
}
/** The golden sample's codec, and its value as the codec reads and writes it. */
function codecOf(g: Golden) {
  const [type, distro] = g.type.split('@') as [string, Distro | undefined];
  const src = { distro: distro ?? 'jazzy', msgPaths: [TEST_MSGS] };
  const [pkg, name] = splitType(type);
  return { codec: createCodec(type, src), value: bigints(g.value, `${pkg}/${name}`, definitionsFor(type, src).definitions) };
}

describe('CDR codecs vs Cyclone DDS golden bytes', () => {
  it('covers the message types the bridge promises', () => {
    expect(golden.map((g) => g.type.split('@')[0])).toEqual(
      expect.arrayContaining([
        'geometry_msgs/msg/Twist',
        'geometry_msgs/msg/TwistStamped',
        'sensor_msgs/msg/LaserScan',
        'sensor_msgs/msg/Imu',
        'nav_msgs/msg/Odometry',
        'sensor_msgs/msg/JointState',
        'sensor_msgs/msg/Range',
        'std_msgs/msg/Float32MultiArray',
        'test_msgs/msg/Strings',
        'test_msgs/msg/BoundedPlainSequences',
        'test_msgs/msg/BoundedSequences',
        'test_msgs/msg/UnboundedSequences',
      ]),
    );
  });

  for (const g of golden) {
    it(`${g.type}: decodes Cyclone's bytes to the values, and encodes the values to the same bytes`, () => {
      const { codec, value } = codecOf(g);
      const wire = bytes(g.hex);
      expect(plain(codec.decode(wire))).toEqual(value);
      const mine = codec.encode(value);
      // The body is byte-identical. Cyclone also pads the sample to 4 bytes and counts the padding in
      // the encapsulation options (bytes 2-3); the foxglove writer, like rmw, writes options 00 00.
      const pad = wire[3] & 3;
      expect(Array.from(mine.subarray(4))).toEqual(Array.from(wire.subarray(4, wire.length - pad)));
      expect(Array.from(mine.subarray(0, 4))).toEqual([0, 1, 0, 0]);
      expect(Array.from(wire.subarray(wire.length - pad)).every((b) => b === 0)).toBe(true);
    });
  }

  it("sensor_msgs/Range differs between humble and jazzy: each set refuses the other distro's bytes", () => {
    const humble = golden.find((g) => g.type.endsWith('@humble'))!;
    const jazzy = golden.find((g) => g.type.endsWith('@jazzy'))!;
    expect(() => createCodec('sensor_msgs/msg/Range', { distro: 'humble' }).decode(bytes(jazzy.hex))).toThrow(
      /bytes left after the message/,
    );
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
    // A field of another type of the same package, named without its package (`BasicTypes[] basic_types_values`).
    const nested = definitionsFor('test_msgs/msg/UnboundedSequences', { msgPaths: [TEST_MSGS] });
    expect(nested.sources).toEqual(
      Object.fromEntries(
        ['UnboundedSequences', 'BasicTypes', 'Constants', 'Defaults'].map((t) => [`test_msgs/${t}`, join(TEST_MSGS.dir, `${t}.msg`)]),
      ),
    );
    expect(nested.definitions[0].definitions.find((f) => f.name === 'basic_types_values')).toMatchObject({
      type: 'test_msgs/BasicTypes',
      isComplex: true,
      isArray: true,
    });
    const shipped = definitionsFor('nav_msgs/msg/Odometry', { distro: 'humble', amentPrefixes: [] });
    expect(Object.keys(shipped.sources)).toEqual(
      expect.arrayContaining(['nav_msgs/Odometry', 'std_msgs/Header', 'geometry_msgs/PoseWithCovariance', 'geometry_msgs/Quaternion']),
    );
    expect(shipped.sources['nav_msgs/Odometry']).toBe('shipped humble set');
    expect(() => definitionsFor('no_such_msgs/msg/Thing', { amentPrefixes: [] })).toThrow(/no definition for no_such_msgs\/msg\/Thing/);
  });

  it('zero() gives an encodable all-zero message (the template outputs fill)', () => {
    const codec = createCodec('geometry_msgs/msg/TwistStamped');
    const z = codec.zero();
    expect(z).toEqual({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
    });
    expect(plain(codec.decode(codec.encode(z)))).toEqual(z);
  });

  it('strings are written as UTF-8 bytes (the length counts bytes, not UTF-16 units)', () => {
    const codec = createCodec('test_msgs/msg/Strings', { msgPaths: [TEST_MSGS] });
    const m = codec.zero();
    m.string_value = 'héllo';
    const bytes = codec.encode(m);
    // Cyclone DDS writes 07 00 00 00 'h' c3 a9 'l' 'l' 'o' 00 for it.
    expect(Array.from(bytes.subarray(4, 15))).toEqual([7, 0, 0, 0, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f, 0]);
    expect(codec.decode(bytes).string_value).toBe('héllo');
  });

  it('a message missing fields is completed from the .msg defaults before it is written', () => {
    const codec = createCodec('test_msgs/msg/UnboundedSequences', { msgPaths: [TEST_MSGS] });
    const m = codec.decode(codec.encode({ alignment_check: 5 })) as Record<string, unknown>;
    expect(m.alignment_check).toBe(5);
    expect(Array.from(m.int32_values_default as Int32Array)).toEqual([0, 2147483647, -2147483648]);
    expect(Array.from(m.int32_values as Int32Array)).toEqual([]);
  });

  it.skipIf(requires('test-msgs').skip)("the shipped test_msgs are the same files as Debian's ros2-test-interface-files", () => {
    const shipped = readdirSync(TEST_MSGS.dir)
      .filter((f) => f.endsWith('.msg'))
      .sort();
    expect(shipped).toEqual(
      readdirSync(SYSTEM_TEST_MSGS)
        .filter((f) => f.endsWith('.msg'))
        .sort(),
    );
    for (const f of shipped) expect(readFileSync(join(TEST_MSGS.dir, f), 'utf8'), f).toBe(readFileSync(join(SYSTEM_TEST_MSGS, f), 'utf8'));
  });
});

/** A JointState whose `name` announces `count` strings, followed by `extra` zero bytes. */
function jointStateAnnouncing(count: number, extra = 16): Uint8Array {
  const b = new Uint8Array(4 + 8 + 8 + 4 + extra);
  const v = new DataView(b.buffer);
  b.set([0, 1, 0, 0]);
  // header.stamp (8 bytes) is zero; header.frame_id is "" (length 1, the NUL, 3 bytes of padding).
  v.setUint32(12, 1, true);
  v.setUint32(20, count, true);
  return b;
}

describe('CDR decoding bounds every count by the bytes left (D10)', () => {
  it('a message announcing 2^24 strings is refused at once, without allocating for them', () => {
    const codec = createCodec('sensor_msgs/msg/JointState');
    const wire = jointStateAnnouncing(2 ** 24);
    codec.decode(jointStateAnnouncing(0, 12)); // warm up: the first decode compiles the reader
    const heap = process.memoryUsage().heapUsed;
    const start = performance.now();
    expect(() => codec.decode(wire)).toThrow(
      /sensor_msgs\/msg\/JointState: malformed CDR \(name: 16777216 elements need at least 67108864 bytes, 16 left/,
    );
    const ms = performance.now() - start;
    const grew = process.memoryUsage().heapUsed - heap;
    // Before the fix: about 400 ms and a 128 MB array before the refusal.
    expect(ms).toBeLessThan(20);
    expect(grew).toBeLessThan(16 * 1024 * 1024);
  });

  it('every kind of sequence is bounded: numbers, booleans, strings, nested messages, and string lengths', () => {
    const src = { msgPaths: [TEST_MSGS] };
    const codec = createCodec('test_msgs/msg/UnboundedSequences', src);
    const zero = codec.encode(codec.zero());
    // The first sequence (bool_values) announces 2^32-1 elements.
    const huge = zero.slice();
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true);
    expect(() => codec.decode(huge)).toThrow(/bool_values: 4294967295 elements need at least 4294967295 bytes/);
    // A string whose length runs past the end of the message (but not past its ArrayBuffer: the
    // library would read the bytes after the view).
    const strings = createCodec('test_msgs/msg/Strings', src);
    const m = strings.encode(strings.zero());
    const padded = new Uint8Array(m.length + 64);
    padded.set(m);
    const view = padded.subarray(0, m.length);
    new DataView(padded.buffer).setUint32(4, m.length, true);
    expect(() => strings.decode(view)).toThrow(new RegExp(`string_value: a string of ${m.length} bytes, ${m.length - 8} left`));
    // A string whose last byte is not the NUL its length counts.
    const unterminated = m.slice();
    unterminated[8] = 0x41;
    expect(() => strings.decode(unterminated)).toThrow(/string_value: a string without its terminating NUL/);
    // Nested messages: BasicTypes elements are at least 35 bytes each.
    const basic = createCodec('test_msgs/msg/Nested', src);
    expect(() => basic.decode(basic.encode(basic.zero()))).not.toThrow();
  });
});
