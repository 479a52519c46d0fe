// JSON Schema of the device declarations in bridge documents (`devices:`), so that a mistake is
// reported with its file, line and path like any other, before a driver opens anything. It mirrors
// drivers/serial (SerialDeviceConfig) and drivers/johnny-five (BoardConfig); the drivers still check
// what a schema cannot (a regex that does not compile, a layout whose fields overrun it).
import { Type, type SchemaOptions, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { stringEnum } from '../extensions/builtin/util.js';
import type { DeviceSpec } from './devices.js';

/** An object with only the properties it declares, each required unless Type.Optional (`required: []` kept as published). */
const obj = <P extends TProperties>(properties: P, options: SchemaOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, required: [], ...options });
const opt = Type.Optional;
const int = (minimum = 0, maximum?: number) => Type.Integer({ minimum, ...(maximum === undefined ? {} : { maximum }) });
const num = Type.Number();
const pair = Type.Array(num, { minItems: 2, maxItems: 2 });
const BIN = stringEnum([
  'u8',
  'i8',
  'u16le',
  'u16be',
  'i16le',
  'i16be',
  'u32le',
  'u32be',
  'i32le',
  'i32be',
  'f32le',
  'f32be',
  'f64le',
  'f64be',
]);
const limits = { min: opt(num), max: opt(num), safe: opt(num) };
/** A map from names to `value`, as `additionalProperties` (TypeBox's Record would publish patternProperties). */
const named = <T extends TSchema>(value: T) => Type.Unsafe({ type: 'object', additionalProperties: value });
/** One schema per `kind` (if/then rather than oneOf): a mistake is reported once, against the kind it
 *  declares, instead of once for every kind it is not. */
const byKind = (kinds: Record<string, TObject>) =>
  Type.Unsafe({
    type: 'object',
    required: ['kind'],
    properties: { kind: stringEnum(Object.keys(kinds)) },
    allOf: Object.entries(kinds).map(([kind, then]) => ({ if: { properties: { kind: { const: kind } }, required: ['kind'] }, then })),
  });
/** The `kind` of a byKind entry: checked by byKind, allowed here. */
const kind = Type.Unknown();
/** IMU fields (drivers/johnny-five ImuField): m/s^2, rad/s, degrees Celsius. */
export const IMU_FIELD_NAMES = ['accelX', 'accelY', 'accelZ', 'gyroX', 'gyroY', 'gyroZ', 'temperature'];
const ANALOG_PINS = stringEnum(['A0', 'A1', 'A2', 'A3', 'A4', 'A5']);

const framing = Type.Union([
  obj({ kind: stringEnum(['lines', 'json']), maxLength: opt(int(1)) }),
  obj({ kind: Type.Unsafe<'binary'>({ const: 'binary' }), length: int(1), sync: opt(int(0, 255)) }),
  obj({ kind: stringEnum(['slip', 'cobs']), maxLength: opt(int(1)) }),
]);
// Union publishes anyOf; the document has always said oneOf (the three kinds exclude each other).
const FRAMING = Type.Unsafe({ oneOf: framing.anyOf });
const serialInput = Type.Object(
  {
    name: Type.String(),
    scale: opt(num),
    bias: opt(num),
    regex: opt(Type.String()),
    key: opt(Type.String()),
    column: opt(int()),
    separator: opt(Type.String()),
    path: opt(Type.String()),
    offset: opt(int()),
    type: opt(BIN),
  },
  {
    additionalProperties: false,
    oneOf: [
      { required: ['regex'] },
      { required: ['key'] },
      { required: ['column'] },
      { required: ['path'] },
      { required: ['offset', 'type'] },
    ],
  },
);
const serial = obj(
  {
    path: opt(Type.String()),
    vendorId: opt(Type.String({ pattern: '^[0-9A-Fa-f]{4}$' })),
    productId: opt(Type.String({ pattern: '^[0-9A-Fa-f]{4}$' })),
    serialNumber: opt(Type.String()),
    baudRate: int(1),
    framing: FRAMING,
    inputs: opt(Type.Array(serialInput)),
    output: opt(
      obj({
        template: opt(Type.String()),
        precision: opt(int(0, 17)),
        json: opt(Type.Unsafe({ type: 'object', additionalProperties: Type.String() })),
        layout: opt(obj({ length: int(1), fields: Type.Array(obj({ name: Type.String(), offset: int(), type: BIN })) })),
        maxRateHz: opt(Type.Number({ exclusiveMinimum: 0 })),
        safe: opt(named(num)),
      }),
    ),
    reconnect: opt(
      obj({
        initialMs: opt(Type.Number({ exclusiveMinimum: 0 })),
        factor: opt(Type.Number({ minimum: 1 })),
        maxMs: opt(Type.Number({ exclusiveMinimum: 0 })),
      }),
    ),
    presenceMs: opt(Type.Number({ minimum: 0 })),
    stopTimeoutMs: opt(Type.Number({ minimum: 0 })),
  },
  { anyOf: [{ required: ['path'] }, { required: ['vendorId'] }] },
);
const pin = int(0, 69);
const board = obj({
  port: Type.String(),
  baudRate: opt(int(1)),
  samplingIntervalMs: opt(Type.Number({ minimum: 10, description: 'firmata.js refuses less than 10 ms' })),
  connectTimeoutMs: opt(Type.Number({ exclusiveMinimum: 0 })),
  watchdogMs: opt(Type.Number({ minimum: 0 })),
  backoffMs: opt(obj({ initial: Type.Number({ exclusiveMinimum: 0 }), max: Type.Number({ exclusiveMinimum: 0 }) })),
  inputs: opt(
    named(
      byKind({
        analog: obj({ kind: opt(kind), pin: ANALOG_PINS, range: opt(pair) }),
        digital: obj({ kind: opt(kind), pin, pullup: opt(Type.Boolean()), invert: opt(Type.Boolean()) }),
        proximity: obj({ kind: opt(kind), pin: ANALOG_PINS, controller: Type.String() }),
        imu: obj({
          kind: opt(kind),
          controller: stringEnum(['MPU6050']),
          field: stringEnum(IMU_FIELD_NAMES, { description: 'accelX/Y/Z in m/s^2, gyroX/Y/Z in rad/s, temperature in degrees Celsius' }),
          address: opt(Type.Unsafe<number>({ enum: [0x68, 0x69], description: 'I2C address: 0x68 (AD0 low, default) or 0x69' })),
        }),
      }),
    ),
  ),
  outputs: opt(
    named(
      byKind({
        servo: obj({ kind: opt(kind), pin, pulseUs: opt(pair), degrees: opt(pair), ...limits }),
        led: obj({ kind: opt(kind), pin, ...limits }),
        digital: obj({ kind: opt(kind), pin, ...limits }),
        motor: obj({ kind: opt(kind), pwm: pin, dir: pin, ...limits }),
      }),
    ),
  ),
});

/**
 * One device: `serial:` or `board:`. Its type is the drivers' (DeviceSpec): the schema above mirrors
 * their configuration types, which the drivers declare.
 */
const device = Type.Unsafe<DeviceSpec>(
  Type.Object({ serial: opt(serial), board: opt(board) }, { additionalProperties: false, minProperties: 1, maxProperties: 1 }),
);

export const DEVICES_SCHEMA = Type.Unsafe<Record<string, DeviceSpec>>({
  type: 'object',
  description: 'serial devices and Arduino boards the inputs and outputs name (drivers/serial, drivers/johnny-five)',
  additionalProperties: device,
});
