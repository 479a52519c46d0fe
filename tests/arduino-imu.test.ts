// IMU inputs on an Arduino board: an MPU-6050 through johnny-five's IMU class, read by real Firmata
// firmware (node-pixel's StandardFirmata-derived Uno build) over I2C in simavr. The harness
// (tests/fixtures/simavr/harness.c) emulates the MPU-6050 on the AVR's TWI bus: the firmware's own
// Wire code wakes it and reads its registers; the test sets the raw register values.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMU_FIELD_NAMES } from '../bridge/device-schema.js';
import { loadBridge } from '../bridge/config.js';
import { IMU_FIELDS, openBoard, type ArduinoBoard, type BoardConfig, type ImuField } from '../drivers/johnny-five/board.js';
import { simavrUnavailable, startUno, type ImuRaw, type SimUno } from './fixtures/arduino.js';
import { untyped } from './fixtures/hostile.js';
import { libraryCircuit } from './helpers.js';
import { requires } from './requirements.js';

const missing = simavrUnavailable();
if (missing && process.env.CI === 'true') throw new Error(`arduino IMU tests need simavr under CI: ${missing}`);
if (missing) requires('simavr', missing);

// The MPU-6050 at its power-up full scales (johnny-five does not change them).
const LSB_PER_G = 16384;
const LSB_PER_DPS = 131;
const G = 9.80665;
const tempRaw = (celsius: number) => Math.round((celsius - 36.53) * 340);
/** johnny-five rounds acceleration to 0.001 g (half of it: 0.0049 m/s^2). */
const ACCEL_TOL = 0.005; // m/s^2
/** johnny-five rounds rates to 0.0001 deg/s; its zero-rate centre is an integer mean of equal readings here. */
const GYRO_TOL = 0.0001; // rad/s

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IMU declarations in bridge documents', () => {
  const doc = (dir: string, input: string): string => {
    const file = join(dir, 'bridge.yaml');
    writeFileSync(
      file,
      [
        `circuit: ${libraryCircuit('braitenberg/braitenberg')}`,
        'devices:',
        '  uno:',
        '    board:',
        '      port: /dev/ttyACM7',
        `      inputs: { tilt: ${input} }`,
        'inputs:',
        '  range_front: { device: uno, field: tilt, encoder: { current: { min: 0, max: 9.81, current_max: 1 } }, timeout: 500 ms }',
      ].join('\n'),
    );
    return file;
  };
  const errorOf = (file: string): string => {
    try {
      loadBridge(file);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('a well-formed IMU input loads; a wrong field, controller or address names its file, line and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-imu-doc-'));
    try {
      expect(errorOf(doc(dir, '{ kind: imu, controller: MPU6050, field: accelX, address: 0x69 }'))).toBe('');
      // The schema picks the branch by `kind`: a mistake is reported at its path, against that kind only
      // (plus ajv's "must match \"then\" schema" line for the input), not once per kind it is not.
      const at = /^(\d+ problems:\n)?\s*\S*bridge\.yaml:6 at \/devices\/uno\/board\/inputs\/tilt/;
      const problems = (msg: string) => msg.split('\n').filter((l) => l.includes('bridge.yaml:')).length;
      const cases: [string, RegExp][] = [
        ['{ kind: imu, controller: MPU6050, field: accelW }', /\/tilt\/field: must be equal to one of the allowed values/],
        ['{ kind: imu, controller: BNO055, field: gyroZ }', /\/tilt\/controller: must be equal to one of the allowed values/],
        ['{ kind: imu, controller: MPU6050, field: gyroZ, address: 0x70 }', /\/tilt\/address: must be equal to one of the allowed values/],
        [
          '{ kind: imu, controller: MPU6050, field: gyroZ, pin: A4 }',
          /\/tilt\/pin: unknown property "pin"; expected one of kind, controller, field, address/,
        ],
        ['{ kind: imu, field: gyroZ }', /\/tilt: must have required property 'controller'/],
      ];
      for (const [input, what] of cases) {
        const message = errorOf(doc(dir, input));
        expect(message, input).toMatch(at);
        expect(message, input).toMatch(what);
        expect(problems(message), message).toBeLessThanOrEqual(2);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the schema and the driver agree on the fields; a board opened from code checks them too', () => {
    expect(IMU_FIELD_NAMES).toEqual([...IMU_FIELDS]);
    const bad = (input: Record<string, unknown>) => () => openBoard({ id: 'b', port: '/nonexistent', inputs: { tilt: untyped(input) } });
    expect(bad({ kind: 'imu', controller: 'MPU6050', field: 'pitch' })).toThrow(/board b: input tilt: no IMU field "pitch"/);
    expect(bad({ kind: 'imu', controller: 'LSM9DS1', field: 'gyroX' })).toThrow(/input tilt: IMU controller "LSM9DS1" is not supported/);
    expect(bad({ kind: 'imu', controller: 'MPU6050', field: 'gyroX', address: 0x1d })).toThrow(/0x68 or 0x69, not 29/);
  });
});

describe.skipIf(missing !== null)('an MPU-6050 on an Arduino board (Firmata I2C in simavr)', () => {
  let dir: string;
  let link: string;
  let uno: SimUno;
  let board: ArduinoBoard;
  let timersBefore = 0;
  // At rest, flat: 1 g on z. The gyro has a zero-rate offset (2 deg/s on x, -1 on y) that johnny-five's
  // calibration at connect must remove.
  const BIAS = { gx: 2 * LSB_PER_DPS, gy: -1 * LSB_PER_DPS, gz: 0 };
  const AT_REST: ImuRaw = { ax: 0, ay: 0, az: LSB_PER_G, temp: tempRaw(25), ...BIAS };

  const fields: Record<string, ImuField> = {
    ax: 'accelX',
    ay: 'accelY',
    az: 'accelZ',
    gx: 'gyroX',
    gy: 'gyroY',
    gz: 'gyroZ',
    temp: 'temperature',
  };
  const cfg = (): BoardConfig => ({
    id: 'uno',
    port: link,
    samplingIntervalMs: 10,
    backoffMs: { initial: 50, max: 500 },
    watchdogMs: 300,
    connectTimeoutMs: 2000,
    inputs: {
      ...Object.fromEntries(
        Object.entries(fields).map(([name, field]) => [name, { kind: 'imu' as const, controller: 'MPU6050' as const, field }]),
      ),
      light: { kind: 'analog', pin: 'A0' }, // analog reports and I2C replies share the line
      ir: { kind: 'proximity', pin: 'A1', controller: 'GP2Y0A21YK' },
    },
  });
  const waitInput = (name: string, pred: (v: number) => boolean, ms: number, what = name): Promise<number> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`input ${name}: no value for ${what} within ${ms} ms (last ${board.inputValue(name)})`));
      }, ms);
      const sub = board.input(name).subscribe((v) => {
        if (!pred(v)) return;
        clearTimeout(t);
        queueMicrotask(() => sub.unsubscribe());
        resolve(v);
      });
    });
  const near = (want: number, tol: number) => (v: number) => Math.abs(v - want) <= tol;
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flux-imu-'));
    link = join(dir, 'ttyUNO0');
    uno = await startUno({ link });
    uno.setAnalog(0, 1);
    uno.setImu(AT_REST);
    timersBefore = timeouts();
    board = openBoard(cfg());
    await board.ready(15_000);
  });

  afterAll(async () => {
    await board?.close();
    await uno?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('wakes the sensor (PWR_MGMT_1 = 0) and reads gravity at rest in m/s^2', async () => {
    await uno.waitFor(() => uno.mpuWrites.get(0x6b) === 0, 3000, 'the firmware to write PWR_MGMT_1 = 0');
    const az = await waitInput('az', near(G, ACCEL_TOL), 3000, '1 g');
    expect(Math.abs(az - G)).toBeLessThanOrEqual(ACCEL_TOL);
    await waitInput('ax', near(0, ACCEL_TOL), 3000, '0 g');
    await waitInput('ay', near(0, ACCEL_TOL), 3000, '0 g');
    // The analog input still reads alongside the I2C replies.
    await waitInput('light', near(205, 3), 3000, '1 V on A0');
  });

  it('reads raw accelerations set in the simulator (±2 g scale, within 0.005 m/s^2)', async () => {
    for (const raw of [
      { ax: LSB_PER_G / 2, ay: -LSB_PER_G / 4, az: -LSB_PER_G }, // 0.5 g, -0.25 g, -1 g
      { ax: -32768, ay: 32767, az: 1638 }, // full scale: -2 g, +2 g; 0.1 g (rounds to 0.1 g)
    ]) {
      uno.setImu(raw);
      for (const axis of ['ax', 'ay', 'az'] as const) {
        const want = (raw[axis] / LSB_PER_G) * G;
        const got = await waitInput(axis, near(want, ACCEL_TOL), 3000, `${raw[axis]} counts`);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(ACCEL_TOL);
      }
    }
    uno.setImu({ ax: 0, ay: 0, az: LSB_PER_G });
  });

  it('reads angular rates in rad/s with the zero-rate offset at connect removed', async () => {
    // At rest the offset reads as zero.
    for (const axis of ['gx', 'gy', 'gz'] as const) await waitInput(axis, near(0, GYRO_TOL), 3000, 'zero at rest');
    const rad = (dps: number) => dps * (Math.PI / 180);
    for (const dps of [
      { gx: 10, gy: -25, gz: 90 },
      { gx: -200, gy: 3, gz: 248 }, // near full scale (250 deg/s)
    ]) {
      uno.setImu({ gx: BIAS.gx + dps.gx * LSB_PER_DPS, gy: BIAS.gy + dps.gy * LSB_PER_DPS, gz: BIAS.gz + dps.gz * LSB_PER_DPS });
      for (const axis of ['gx', 'gy', 'gz'] as const) {
        const got = await waitInput(axis, near(rad(dps[axis]), GYRO_TOL), 3000, `${dps[axis]} deg/s`);
        expect(Math.abs(got - rad(dps[axis]))).toBeLessThanOrEqual(GYRO_TOL);
      }
    }
    uno.setImu(BIAS);
  });

  it('reads the die temperature in whole degrees Celsius', async () => {
    expect(await waitInput('temp', (v) => v === 25, 3000, '25 C')).toBe(25);
    uno.setImu({ temp: tempRaw(40) });
    expect(await waitInput('temp', (v) => v === 40, 3000, '40 C')).toBe(40);
    uno.setImu({ temp: tempRaw(-5) });
    expect(await waitInput('temp', (v) => v === -5, 3000, '-5 C')).toBe(-5);
  });

  it('a change propagates from the sensor registers to the input (latency measured)', async () => {
    const lat: number[] = [];
    for (const g of [0.5, -0.5, 1, -1, 0.25, 0]) {
      const want = g * G;
      const t0 = performance.now();
      uno.setImu({ ax: Math.round(g * LSB_PER_G) });
      await waitInput('ax', near(want, ACCEL_TOL), 2000, `${g} g`);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `MPU-6050 register -> Flux input (ms, ${lat.length} steps, johnny-five's 5-reading average at 10 ms sampling): median ${lat[lat.length >> 1].toFixed(1)}, max ${lat[lat.length - 1].toFixed(1)}`,
    );
    expect(lat[lat.length - 1]).toBeLessThan(300);
  });

  it('board loss: IMU inputs fail (no values, inputValue null); on return they read again, equal values included', async () => {
    const seen: { name: string; v: number; at: number }[] = [];
    const subs = Object.keys(fields).map((name) => board.input(name).subscribe((v) => seen.push({ name, v, at: performance.now() })));
    try {
      await waitInput('az', near(G, ACCEL_TOL), 3000, '1 g before the loss');
      await uno.stop('SIGKILL'); // cable yanked
      await new Promise<void>((resolve) => {
        const s = board.status$.subscribe((st) => {
          if (st.state === 'lost') {
            queueMicrotask(() => s.unsubscribe());
            resolve();
          }
        });
      });
      const lostAt = performance.now();
      for (const name of Object.keys(fields)) expect(board.inputValue(name)).toBeNull();
      await sleep(600);
      expect(seen.filter((s) => s.at >= lostAt)).toEqual([]);

      // The board returns with the sensor in the same state: the same readings must arrive again.
      uno = await startUno({ link });
      uno.setAnalog(0, 1);
      uno.setImu(AT_REST);
      const backAt = performance.now();
      await board.ready(10_000);
      await uno.waitFor(() => uno.mpuWrites.get(0x6b) === 0, 3000, 'the sensor woken again');
      await waitInput('temp', (v) => v === 25, 3000, '25 C after reconnect');
      const after = (name: string) => seen.filter((s) => s.name === name && s.at >= backAt);
      // Values equal to the last ones before the loss are delivered (a loss ends a run of equal values).
      await uno.waitFor(() => after('az').some((s) => Math.abs(s.v - G) <= ACCEL_TOL), 3000, 'az = 1 g delivered after reconnect');
      // The gyro recalibrates on the new connection (100 readings) and then reads zero at rest.
      await uno.waitFor(
        () => ['gx', 'gy', 'gz'].every((n) => after(n).some((s) => Math.abs(s.v) <= GYRO_TOL)),
        5000,
        'gyro zero after recalibration',
      );
      expect(board.inputValue('az')).toBeCloseTo(G, 2);
    } finally {
      subs.forEach((s) => s.unsubscribe());
    }
  });

  it('closing the board stops every timer johnny-five started (IMU, thermometer, proximity)', async () => {
    await board.close();
    await sleep(100);
    expect(timeouts()).toBeLessThanOrEqual(timersBefore);
  });
});
