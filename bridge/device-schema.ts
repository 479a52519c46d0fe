// JSON Schema of the device declarations in bridge documents (`devices:`), so that a mistake is
// reported with its file, line and path like any other, before a driver opens anything. It mirrors
// drivers/serial (SerialDeviceConfig) and drivers/johnny-five (BoardConfig); the drivers still check
// what a schema cannot (a regex that does not compile, a layout whose fields overrun it).
const obj = (properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}) => ({ type: 'object', additionalProperties: false, properties, required, ...extra });
const int = (minimum = 0, maximum?: number) => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) });
const num = { type: 'number' };
const pair = { type: 'array', items: num, minItems: 2, maxItems: 2 };
const BIN = ['u8', 'i8', 'u16le', 'u16be', 'i16le', 'i16be', 'u32le', 'u32be', 'i32le', 'i32be', 'f32le', 'f32be', 'f64le', 'f64be'];
const limits = { min: num, max: num, safe: num };
/** One schema per `kind` (if/then rather than oneOf): a mistake is reported once, against the kind it
 *  declares, instead of once for every kind it is not. */
const byKind = (kinds: Record<string, ReturnType<typeof obj>>) => ({
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: Object.keys(kinds) } },
  allOf: Object.entries(kinds).map(([kind, then]) => ({ if: { properties: { kind: { const: kind } }, required: ['kind'] }, then })),
});
/** IMU fields (drivers/johnny-five ImuField): m/s^2, rad/s, degrees Celsius. */
export const IMU_FIELD_NAMES = ['accelX', 'accelY', 'accelZ', 'gyroX', 'gyroY', 'gyroZ', 'temperature'];

const framing = {
  oneOf: [
    obj({ kind: { enum: ['lines', 'json'] }, maxLength: int(1) }, ['kind']),
    obj({ kind: { const: 'binary' }, length: int(1), sync: int(0, 255) }, ['kind', 'length']),
    obj({ kind: { enum: ['slip', 'cobs'] }, maxLength: int(1) }, ['kind']),
  ],
};
const serialInput = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, scale: num, bias: num, regex: { type: 'string' }, key: { type: 'string' }, column: int(), separator: { type: 'string' }, path: { type: 'string' }, offset: int(), type: { enum: BIN } },
  additionalProperties: false,
  oneOf: [{ required: ['regex'] }, { required: ['key'] }, { required: ['column'] }, { required: ['path'] }, { required: ['offset', 'type'] }],
};
const serial = obj(
  {
    path: { type: 'string' },
    vendorId: { type: 'string', pattern: '^[0-9A-Fa-f]{4}$' },
    productId: { type: 'string', pattern: '^[0-9A-Fa-f]{4}$' },
    serialNumber: { type: 'string' },
    baudRate: int(1),
    framing,
    inputs: { type: 'array', items: serialInput },
    output: obj({
      template: { type: 'string' },
      precision: int(0, 17),
      json: { type: 'object', additionalProperties: { type: 'string' } },
      layout: obj({ length: int(1), fields: { type: 'array', items: obj({ name: { type: 'string' }, offset: int(), type: { enum: BIN } }, ['name', 'offset', 'type']) } }, ['length', 'fields']),
      maxRateHz: { type: 'number', exclusiveMinimum: 0 },
      safe: { type: 'object', additionalProperties: num },
    }),
    reconnect: obj({ initialMs: { type: 'number', exclusiveMinimum: 0 }, factor: { type: 'number', minimum: 1 }, maxMs: { type: 'number', exclusiveMinimum: 0 } }),
    presenceMs: { type: 'number', minimum: 0 },
    stopTimeoutMs: { type: 'number', minimum: 0 },
  },
  ['baudRate', 'framing'],
  { anyOf: [{ required: ['path'] }, { required: ['vendorId'] }] },
);
const board = obj(
  {
    port: { type: 'string' },
    baudRate: int(1),
    samplingIntervalMs: { type: 'number', minimum: 10, description: 'firmata.js refuses less than 10 ms' },
    connectTimeoutMs: { type: 'number', exclusiveMinimum: 0 },
    watchdogMs: { type: 'number', minimum: 0 },
    backoffMs: obj({ initial: { type: 'number', exclusiveMinimum: 0 }, max: { type: 'number', exclusiveMinimum: 0 } }, ['initial', 'max']),
    inputs: {
      type: 'object',
      additionalProperties: byKind({
        analog: obj({ kind: {}, pin: { enum: ['A0', 'A1', 'A2', 'A3', 'A4', 'A5'] }, range: pair }, ['pin']),
        digital: obj({ kind: {}, pin: int(0, 69), pullup: { type: 'boolean' }, invert: { type: 'boolean' } }, ['pin']),
        proximity: obj({ kind: {}, pin: { enum: ['A0', 'A1', 'A2', 'A3', 'A4', 'A5'] }, controller: { type: 'string' } }, ['pin', 'controller']),
        imu: obj(
          {
            kind: {},
            controller: { enum: ['MPU6050'] },
            field: { enum: IMU_FIELD_NAMES, description: 'accelX/Y/Z in m/s^2, gyroX/Y/Z in rad/s, temperature in degrees Celsius' },
            address: { enum: [0x68, 0x69], description: 'I2C address: 0x68 (AD0 low, default) or 0x69' },
          },
          ['controller', 'field'],
        ),
      }),
    },
    outputs: {
      type: 'object',
      additionalProperties: byKind({
        servo: obj({ kind: {}, pin: int(0, 69), pulseUs: pair, degrees: pair, ...limits }, ['pin']),
        led: obj({ kind: {}, pin: int(0, 69), ...limits }, ['pin']),
        digital: obj({ kind: {}, pin: int(0, 69), ...limits }, ['pin']),
        motor: obj({ kind: {}, pwm: int(0, 69), dir: int(0, 69), ...limits }, ['pwm', 'dir']),
      }),
    },
  },
  ['port'],
);

export const DEVICES_SCHEMA = {
  type: 'object',
  description: 'serial devices and Arduino boards the inputs and outputs name (drivers/serial, drivers/johnny-five)',
  additionalProperties: { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { serial, board } },
};
