// Property-based fuzzing of everything that parses bytes and paths from the wire: CDR decoding of every
// shipped message type (random bytes, valid encodings of random messages, mutations of them), the
// bridge's input check on non-finite readings, the serial framers on random byte streams split
// anywhere, and field paths (ROS and serial JSON) from random strings. Properties: only the parser's
// own error, no input over 1 s, no count the bytes cannot hold reaching an allocation, decoded numbers
// are what the bytes say, non-finite readings never reach the engine, no path reaches a prototype.
import { describe, it, expect, afterAll, afterEach } from 'vitest';
import fc from 'fast-check';
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';
import { createCodec, CodecError, type Codec } from '../bridge/codec/cdr.js';
import { definitionsFor, shippedTypes } from '../bridge/codec/definitions.js';
import { compileFieldPath, FieldPathError } from '../bridge/fieldpath.js';
import { FORBIDDEN_SEGMENTS } from '../extensions/names.js';
import { createDeframer, encodeFrame, type FramingSpec } from '../drivers/serial/framing.js';
import { compileInput, compileOutput, parsePath, FieldError, type InputField } from '../drivers/serial/fields.js';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { SENSOR_QOS } from '../bridge/transport/transport.js';
import { runs, judge, flushTallies, tally, countNonFinite, HANG_MS } from './fuzz.js';
import { ROOT, libraryCircuit } from './helpers.js';
import { join } from 'node:path';

afterAll(() => flushTallies('wire'));
afterEach(() => {
  expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
});

const isCodecError = (e: unknown) => e instanceof CodecError;
const TEST_MSGS = { dir: join(ROOT, 'tests/fixtures/msgs/test_msgs'), package: 'test_msgs' };
const TYPES = shippedTypes('jazzy');
const TEST_TYPES = [
  'Arrays',
  'BasicTypes',
  'BoundedPlainSequences',
  'BoundedSequences',
  'Constants',
  'Defaults',
  'Empty',
  'MultiNested',
  'Nested',
  'Strings',
  'UnboundedSequences',
].map((t) => `test_msgs/msg/${t}`);

interface Wire {
  type: string;
  codec: Codec;
  defs: MessageDefinition[];
  arb: fc.Arbitrary<Record<string, unknown>>;
}
const wires = new Map<string, Wire>();
function wire(type: string): Wire {
  let w = wires.get(type);
  if (!w) {
    const src = { msgPaths: [TEST_MSGS], amentPrefixes: [] };
    const defs = definitionsFor(type, src).definitions;
    wires.set(type, (w = { type, codec: createCodec(type, src), defs, arb: messageArb(defs) }));
  }
  return w;
}

// ---------------------------------------------------------------------------------------------------
// Random messages from a definition

function messageArb(defs: MessageDefinition[]): fc.Arbitrary<Record<string, unknown>> {
  const byName = new Map(defs.map((d) => [d.name ?? '', d.definitions]));
  const ofFields = (fields: MessageDefinitionField[], depth: number): fc.Arbitrary<Record<string, unknown>> => {
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) if (!f.isConstant) rec[f.name] = field(f, depth);
    return fc.record(rec);
  };
  const field = (f: MessageDefinitionField, depth: number): fc.Arbitrary<unknown> => {
    const one = f.isComplex ? ofFields(byName.get(f.type)!, depth + 1) : primitive(f);
    if (!f.isArray) return one;
    if (f.arrayLength !== undefined) return fc.array(one, { minLength: f.arrayLength, maxLength: f.arrayLength });
    return fc.array(one, { maxLength: Math.min(f.arrayUpperBound ?? Infinity, depth > 2 ? 1 : 4) });
  };
  return ofFields(defs[0].definitions, 0);
}

function primitive(f: MessageDefinitionField): fc.Arbitrary<unknown> {
  switch (f.type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'uint8':
    case 'byte':
    case 'char':
      return fc.integer({ min: 0, max: 255 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'uint64':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    // Every float32 and float64, NaN and infinities included: decoding keeps them (the input check drops them).
    case 'float32':
      return fc.float();
    case 'float64':
      return fc.double();
    case 'string':
      return f.upperBound !== undefined
        ? fc.string({ unit: 'grapheme-ascii', maxLength: f.upperBound })
        : fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'time':
    case 'duration':
      return fc.record({ sec: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), nanosec: fc.integer({ min: 0, max: 2 ** 32 - 1 }) });
    default:
      throw new Error(`no generator for ${f.type}`);
  }
}

/** A decoded numeric array: a typed array (not a DataView, which has no elements). */
function isNumberArray(x: unknown): x is ArrayLike<number> {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/** Decoded numeric arrays are typed arrays; compare them as plain arrays. */
function plain(x: unknown): unknown {
  if (isNumberArray(x)) return Array.from(x);
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

/** Elements and strings in a decoded message: each took at least one byte of the message. */
function elements(x: unknown): number {
  if (isNumberArray(x)) return x.length;
  if (Array.isArray(x)) return x.length + x.reduce((n: number, v) => n + elements(v), 0);
  if (x && typeof x === 'object') return Object.values(x).reduce((n: number, v) => n + elements(v), 0);
  return 0;
}

/** What an accepted decode must satisfy: no element the bytes could not hold. */
function bounded(bytes: Uint8Array, msg: Record<string, unknown>): void {
  expect(elements(msg)).toBeLessThanOrEqual(bytes.length);
}

// ---------------------------------------------------------------------------------------------------
// Mutations of a valid encoding

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'count'; at: number; value: number }
  | { kind: 'append'; bytes: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // Counts and lengths are uint32 at 4-byte boundaries: enlarge one to something the bytes cannot hold.
  fc.record({
    kind: fc.constant('count' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(2 ** 24, 2 ** 31, 2 ** 32 - 1, 0x7fffffff), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 16 }) }),
);

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of ms) {
    if (b.length <= 4) break;
    if (m.kind === 'flip') b[4 + (m.at % (b.length - 4))] ^= m.xor;
    else if (m.kind === 'truncate') b = b.slice(0, 4 + (m.at % (b.length - 4)));
    else if (m.kind === 'count') {
      const slots = Math.floor((b.length - 4) / 4);
      if (slots > 0) new DataView(b.buffer).setUint32(4 + 4 * (m.at % slots), m.value, b[1] === 1);
    } else {
      const c = new Uint8Array(b.length + m.bytes.length);
      c.set(b);
      c.set(m.bytes, b.length);
      b = c;
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------

describe('CDR decoding of every shipped message type', () => {
  it(`knows ${TYPES.length} shipped types, and every one has a codec`, () => {
    expect(TYPES.length).toBeGreaterThan(100);
    expect(TYPES).toEqual(expect.arrayContaining(['sensor_msgs/msg/LaserScan', 'geometry_msgs/msg/Twist', 'nav_msgs/msg/Odometry']));
    for (const t of [...TYPES, ...TEST_TYPES]) expect(() => wire(t), t).not.toThrow();
  });

  it('random bytes: a CodecError or a message the bytes can hold, at once', () => {
    const bytesArb = fc.tuple(fc.constantFrom(0, 1), fc.uint8Array({ maxLength: 160 })).map(([le, body]) => {
      const b = new Uint8Array(4 + body.length);
      b[1] = le;
      b.set(body, 4);
      return b;
    });
    for (const type of [...TYPES, ...TEST_TYPES]) {
      const { codec } = wire(type);
      fc.assert(
        fc.property(bytesArb, (b) => {
          const r = judge('cdr: random bytes', () => codec.decode(b), isCodecError);
          if (r.ok) bounded(b, r.value);
          else expect(r.refused, `${type}: ${String(r.error)}`).toBe(true);
          expect(r.ms).toBeLessThan(HANG_MS);
        }),
        { numRuns: runs(20) },
      );
    }
    expect(tally('cdr: random bytes').crashes).toBe(0);
  });

  it('valid encodings of random messages decode to the same values (round trip), both byte orders read alike', () => {
    for (const type of [...TYPES, ...TEST_TYPES]) {
      const w = wire(type);
      fc.assert(
        fc.property(w.arb, (msg) => {
          const bytes = w.codec.encode(msg);
          const r = judge('cdr: round trip', () => w.codec.decode(bytes), isCodecError);
          expect(r.ok, `${type}: ${!r.ok && String(r.error)}`).toBe(true);
          if (r.ok) expect(plain(r.value), type).toEqual(plain(msg));
          expect(r.ms).toBeLessThan(HANG_MS);
        }),
        { numRuns: runs(10) },
      );
    }
    expect(tally('cdr: round trip').crashes).toBe(0);
  });

  it('mutations of valid encodings (flipped bytes, truncation, enlarged counts, trailing bytes): a CodecError or a bounded message', () => {
    for (const type of [...TYPES, ...TEST_TYPES]) {
      const w = wire(type);
      fc.assert(
        fc.property(w.arb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (msg, ms) => {
          const bytes = mutate(w.codec.encode(msg), ms);
          const r = judge('cdr: mutations', () => w.codec.decode(bytes), isCodecError);
          if (r.ok) bounded(bytes, r.value);
          else expect(r.refused, `${type}: ${String(r.error)}`).toBe(true);
          expect(r.ms).toBeLessThan(HANG_MS);
        }),
        { numRuns: runs(25) },
      );
    }
    expect(tally('cdr: mutations').crashes).toBe(0);
  });

  it('an enlarged count never costs an allocation: 2^24..2^32-1 elements are refused in milliseconds', () => {
    const huge = fc.constantFrom(2 ** 24, 2 ** 28, 2 ** 31, 2 ** 32 - 1);
    const types = [...TYPES, ...TEST_TYPES].filter((t) =>
      wire(t).defs[0].definitions.some((f) => f.isArray && f.arrayLength === undefined),
    );
    const before = process.memoryUsage();
    let slowest = 0;
    for (const type of types) {
      const w = wire(type);
      fc.assert(
        fc.property(w.arb, fc.nat(), huge, (msg, at, value) => {
          const bytes = mutate(w.codec.encode(msg), [{ kind: 'count', at, value }]);
          const r = judge('cdr: huge counts', () => w.codec.decode(bytes), isCodecError);
          if (r.ok) bounded(bytes, r.value);
          else expect(r.refused).toBe(true);
          slowest = Math.max(slowest, r.ms);
        }),
        { numRuns: runs(4) },
      );
    }
    const after = process.memoryUsage();
    // Loose: garbage from the run itself, never one array per announced element (2^24 strings were 130 MB).
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024);
    expect(slowest).toBeLessThan(50);
  });

  it('decoded numbers are what the bytes say: float32 ranges of every bit pattern, NaN and infinities included', () => {
    const codec = createCodec('sensor_msgs/msg/LaserScan');
    const base = codec.encode({ ...codec.zero(), ranges: [0, 0, 0, 0] });
    const at = base.length - 4 * 4 - 4; // the four ranges, then the empty intensities' count
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 4, maxLength: 4 }), (bits) => {
        const b = base.slice();
        const v = new DataView(b.buffer);
        bits.forEach((x, k) => v.setUint32(at + 4 * k, x, true));
        const r = judge('cdr: float bits', () => codec.decode(b), isCodecError);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const ranges = Array.from(r.value.ranges as Float32Array);
        ranges.forEach((x, k) =>
          expect(Object.is(x, v.getFloat32(at + 4 * k, true)) || (Number.isNaN(x) && Number.isNaN(v.getFloat32(at + 4 * k, true)))).toBe(
            true,
          ),
        );
        // And through a field path: the same numbers (the input check below decides what reaches the engine).
        const got = compileFieldPath('ranges[0:4]', wire('sensor_msgs/msg/LaserScan').defs).get(codec.decode(b)) as number[];
        got.forEach((x, k) => expect(Object.is(x, ranges[k]) || (Number.isNaN(x) && Number.isNaN(ranges[k]))).toBe(true));
      }),
      { numRuns: runs(500) },
    );
  });
});

describe("the bridge's input check on decoded readings", () => {
  it('NaN never reaches the engine; infinities saturate to the valid bounds; everything dropped is counted', async () => {
    const transport = new MemoryTransport();
    const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
    const proximity = { kind: 'current' as const, min: 2, max: 0.2, currentMax: 1 };
    const bridge = new Bridge(engine, transport, {
      tickHz: 200,
      watchdogMs: 100,
      inputs: [
        {
          input: 'range_left',
          topic: '/scan',
          type: 'sensor_msgs/msg/LaserScan',
          path: 'ranges[0:4]',
          encoder: proximity,
          timeoutMs: 200,
          valid: [0, 30],
        },
        {
          input: 'range_right',
          topic: '/scan',
          type: 'sensor_msgs/msg/LaserScan',
          path: 'ranges[4:8]',
          encoder: proximity,
          timeoutMs: 200,
        },
      ],
      outputs: [
        {
          name: 'cmd',
          topic: '/cmd_vel',
          type: 'geometry_msgs/msg/Twist',
          rateHz: 50,
          values: [
            {
              path: 'linear.x',
              terms: [{ population: 'motor_left', decoder: { kind: 'rate', tau: 100, rateMax: 100, min: 0, max: 1 }, weight: 1 }],
              limits: { min: 0, max: 0.5 },
            },
          ],
        },
      ],
    });
    const codec = createCodec('sensor_msgs/msg/LaserScan');
    const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', { ...SENSOR_QOS, reliability: 'reliable' });
    const flush = () => new Promise<void>((r) => setImmediate(r));
    bridge.start();
    try {
      const reading = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity), fc.float({ min: 0, max: 30, noNaN: true }));
      await fc.assert(
        fc.asyncProperty(fc.array(reading, { minLength: 8, maxLength: 8 }), async (ranges) => {
          const before = { ...bridge.stats };
          judge(
            'bridge: input check',
            () => pub.publish(codec.encode({ ...codec.zero(), ranges })),
            () => false,
          );
          await flush();
          await flush();
          const f32 = ranges.map((x) => Math.fround(x));
          const left = f32.slice(0, 4);
          const right = f32.slice(4);
          const dropped = (left.some(Number.isNaN) ? 1 : 0) + (right.some((x) => !Number.isFinite(x)) ? 1 : 0);
          expect(bridge.stats.received - before.received).toBe(2);
          expect(bridge.stats.nonFinite - before.nonFinite).toBe(dropped);
          for (const inp of bridge.snapshot().inputs) {
            const v = inp.value as { min: number; max: number; mean: number } | null;
            if (v && ![v.min, v.max, v.mean].every(Number.isFinite)) countNonFinite('bridge: input check');
            if (v) expect([v.min, v.max, v.mean].every(Number.isFinite), inp.input).toBe(true);
          }
        }),
        { numRuns: runs(60) },
      );
    } finally {
      await bridge.stop();
    }
    expect(tally('bridge: input check').nonFinite).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// Serial framers

const FRAMINGS: FramingSpec[] = [
  { kind: 'lines', maxLength: 32 },
  { kind: 'json', maxLength: 64 },
  { kind: 'binary', length: 6, sync: 0xaa },
  { kind: 'slip', maxLength: 16 },
  { kind: 'cobs', maxLength: 16 },
];
const INPUTS: Record<FramingSpec['kind'], InputField[]> = {
  lines: [
    { name: 'r', regex: 'v=(\\S+)' },
    { name: 'k', key: 'k' },
    { name: 'c', column: 1 },
  ],
  json: [
    { name: 'p', path: 'a.b' },
    { name: 'q', path: 'v[1]' },
    { name: 'len', path: 'a.length' },
  ],
  binary: [
    { name: 'f', offset: 0, type: 'f32le' },
    { name: 'i', offset: 4, type: 'i16be' },
  ],
  slip: [
    { name: 'f', offset: 0, type: 'f64be' },
    { name: 'u', offset: 8, type: 'u32le' },
  ],
  cobs: [{ name: 'f', offset: 2, type: 'f32be' }],
};

/** Streams with the delimiters and sync bytes the framers look for, and valid frames mixed in. */
function streamArb(spec: FramingSpec): fc.Arbitrary<Uint8Array> {
  const special = fc.constantFrom(0x0a, 0x0d, 0x00, 0xc0, 0xdb, 0xdc, 0xdd, 0xaa, 0x7b, 0x7d, 0x3a, 0x2c, 0x3d);
  const enc = new TextEncoder();
  const valid: fc.Arbitrary<Uint8Array> =
    spec.kind === 'lines'
      ? fc.constantFrom('v=1.5 k:2,3\n', 'v=nan\n', 'v=1e999,k=-0\n').map((s) => enc.encode(s))
      : spec.kind === 'json'
        ? fc
            .constantFrom('{"a":{"b":1e308},"v":[0,2]}\n', '{"a":{"b":"x"},"v":{}}\n', '{"__proto__":{"polluted":1},"a":"s"}\n', '[1,2]\n')
            .map((s) => enc.encode(s))
        : fc
            .uint8Array({ minLength: spec.kind === 'binary' ? 6 : 0, maxLength: spec.kind === 'binary' ? 6 : 16 })
            .map((p) => encodeFrame(spec, p));
  return fc
    .array(
      fc.oneof(
        fc.uint8Array({ maxLength: 24 }),
        special.map((b) => Uint8Array.of(b)),
        valid,
      ),
      { maxLength: 24 },
    )
    .map((parts) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    });
}

function run(spec: FramingSpec, data: Uint8Array, cuts: number[]): { frames: unknown[]; garbled: number } {
  const d = createDeframer(spec);
  const frames: unknown[] = [];
  let prev = 0;
  for (const c of [...cuts.map((x) => x % (data.length + 1)).sort((a, b) => a - b), data.length]) {
    frames.push(...d.push(data.subarray(prev, Math.max(prev, c))));
    prev = Math.max(prev, c);
  }
  return { frames, garbled: d.garbled };
}

describe('serial framers on random byte streams split anywhere', () => {
  for (const spec of FRAMINGS) {
    it(`${spec.kind}: never throws, frames are the same however the stream is split, every value read is finite`, () => {
      const readers = INPUTS[spec.kind].map((f) => compileInput(f, spec));
      fc.assert(
        fc.property(streamArb(spec), fc.array(fc.nat(), { maxLength: 6 }), (data, cuts) => {
          const r = judge(
            `serial: ${spec.kind}`,
            () => run(spec, data, cuts),
            () => false,
          );
          expect(r.ok, String(!r.ok && r.error)).toBe(true);
          if (!r.ok) return;
          // Chunking is the serial port's business, not the device's: the same frames and counts.
          const whole = run(spec, data, []);
          expect(r.value.frames).toEqual(whole.frames);
          expect(r.value.garbled).toBe(whole.garbled);
          for (const f of r.value.frames) {
            if (spec.kind === 'binary') expect((f as Uint8Array).length).toBe(spec.length);
            if (spec.kind === 'slip' || spec.kind === 'cobs') expect((f as Uint8Array).length).toBeLessThanOrEqual(spec.maxLength!);
            if (spec.kind === 'lines') expect(new TextEncoder().encode(f as string).length).toBeLessThanOrEqual(spec.maxLength! + 1);
            for (const read of readers) {
              const v = read(f);
              if (v !== undefined && !Number.isFinite(v)) countNonFinite(`serial: ${spec.kind}`);
              expect(v === undefined || Number.isFinite(v)).toBe(true);
            }
          }
          expect(r.ms).toBeLessThan(HANG_MS);
        }),
        { numRuns: runs(400) },
      );
      expect(tally(`serial: ${spec.kind}`).crashes).toBe(0);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Field paths from random strings

const pathPieces = [
  'ranges',
  'header',
  'stamp',
  'sec',
  'angle_min',
  'a',
  'b',
  '0',
  '.',
  '[',
  ']',
  ':',
  '-',
  '1',
  '360',
  '99999999',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  ' ',
  'é',
];
const index = fc.oneof(fc.integer({ min: -400, max: 400 }), fc.constantFrom(0, -1, 360, 2 ** 20, 2 ** 20 + 1, 1e21)).map(String);
const bracket = fc.oneof(
  index.map((i) => `[${i}]`),
  fc
    .tuple(fc.option(index, { nil: '' }), fc.option(index, { nil: '' }), fc.option(fc.nat({ max: 4 }).map(String), { nil: undefined }))
    .map(([a, b, c]) => `[${a}:${b}${c === undefined ? '' : `:${c}`}]`),
);
const name = fc.constantFrom(
  'ranges',
  'intensities',
  'header',
  'stamp',
  'sec',
  'nanosec',
  'frame_id',
  'angle_min',
  'range_max',
  'x',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'length',
);
/** Paths that look like paths (names, indices, slices), and random strings. */
const pathArb = fc.oneof(
  {
    arbitrary: fc
      .array(fc.oneof(name, bracket), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.reduce((t, p, k) => (k > 0 && !p.startsWith('[') ? `${t}.${p}` : t + p), '')),
    weight: 6,
  },
  {
    arbitrary: fc
      .tuple(fc.constantFrom('ranges', 'intensities', 'header.stamp', 'range_max'), fc.option(bracket, { nil: '' }))
      .map(([a, b]) => a + b),
    weight: 4,
  },
  { arbitrary: fc.array(fc.constantFrom(...pathPieces), { maxLength: 10 }).map((a) => a.join('')), weight: 2 },
  { arbitrary: fc.string({ maxLength: 24 }), weight: 1 },
);
const segments = (text: string) => text.split(/[.[\]:]/);

describe('field paths from random strings', () => {
  it('ROS field paths: refused with a FieldPathError naming the path, or a path with no prototype name that reads a message', () => {
    const defs = wire('sensor_msgs/msg/LaserScan').defs;
    const codec = createCodec('sensor_msgs/msg/LaserScan');
    const scan = codec.decode(codec.encode({ ...codec.zero(), ranges: [1, 2, 3] }));
    fc.assert(
      fc.property(pathArb, (text) => {
        const r = judge(
          'paths: ros',
          () => compileFieldPath(text, defs),
          (e) => e instanceof FieldPathError,
        );
        if (!r.ok) {
          expect(r.refused, `${JSON.stringify(text)}: ${String(r.error)}`).toBe(true);
          expect(String(r.error)).toContain(`field path "${text}"`);
          return;
        }
        expect(
          segments(text).some((s) => FORBIDDEN_SEGMENTS.has(s)),
          text,
        ).toBe(false);
        const got = judge(
          'paths: ros read',
          () => r.value.get(scan),
          (e) => e instanceof FieldPathError,
        );
        if (got.ok) expect(typeof got.value === 'number' || Array.isArray(got.value)).toBe(true);
        else expect(got.refused, String(got.error)).toBe(true);
      }),
      { numRuns: runs(1500) },
    );
    expect(tally('paths: ros').crashes + tally('paths: ros read').crashes).toBe(0);
  });

  it('serial JSON paths: refused with a FieldError, or steps with no prototype name; outputs built on them pollute nothing', () => {
    fc.assert(
      fc.property(fc.uniqueArray(pathArb, { minLength: 1, maxLength: 3 }), fc.double(), (texts, v) => {
        for (const t of texts) {
          const r = judge(
            'paths: serial',
            () => parsePath(t),
            (e) => e instanceof FieldError,
          );
          if (r.ok)
            expect(
              r.value.some((s) => typeof s === 'string' && FORBIDDEN_SEGMENTS.has(s)),
              t,
            ).toBe(false);
          else expect(r.refused, `${JSON.stringify(t)}: ${String(r.error)}`).toBe(true);
        }
        const json = Object.fromEntries(texts.map((t, k) => [`f${k}`, t]));
        const out = judge(
          'paths: serial output',
          () => compileOutput({ json }, { kind: 'json' }),
          (e) => e instanceof FieldError,
        );
        if (out.ok) {
          const sent = JSON.parse(JSON.stringify(out.value.build(Object.fromEntries(texts.map((_, k) => [`f${k}`, v])))));
          expect(typeof sent).toBe('object');
        } else expect(out.refused, String(out.error)).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: runs(1500) },
    );
    expect(tally('paths: serial').crashes + tally('paths: serial output').crashes).toBe(0);
  });
});
