// Arduino boards for Flux: johnny-five over a firmata-io io on a serialport 13 port.
//
//   const board = openBoard({ id: 'uno', port: '/dev/ttyACM0',
//     inputs:  { light: { kind: 'analog', pin: 'A0' } },
//     outputs: { pan: { kind: 'servo', pin: 9, min: 0, max: 180, safe: 90 } } });
//   board.input('light').subscribe(v => ...);     // 0..1023, or scaled to `range`
//   board.inputValue('light');                     // latest reading, null while the board is lost
//   board.write('pan', 120);                       // clamped to [min, max]
//   board.status$.subscribe(s => ...);             // connecting / ready / lost / closed
//   await board.close();                           // writes every output's safe value first
//
// Serialport 8 (johnny-five's own transport) is never loaded: the io is built by hand with firmata-io
// over a serialport 13 port (prebuilt native binaries). A lost board (port closed, read error, or no
// answer to a ping within `watchdogMs`) marks every output failed and is reopened with exponential
// backoff; when it answers again every output gets its safe value, then writes flow again. Inputs
// deliver nothing while it is lost (a bridge input goes stale after its timeout), and the first
// reading after a reconnect is delivered even when it equals the last one before the loss.
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { BehaviorSubject, Observable, Subject, distinctUntilChanged, filter, map } from 'rxjs';
import { SerialPort } from 'serialport';

const require = createRequire(import.meta.url);

// ---- Minimal typings for the CommonJS parts used here (neither package ships types). ----------
interface FirmataIo extends EventEmitter {
  isReady: boolean;
  queryFirmware(cb: () => void): void;
  reportVersion(cb: () => void): void;
  setSamplingInterval(ms: number): void;
  // The digital inputs (build) read their pins through the io itself.
  pinMode(pin: number, mode: number): void;
  digitalRead(pin: number, cb: (value: number) => void): void;
  // What guardFrame uses of firmata.js's Board (2.3): its writes, the transport they go to, and its
  // local pin and port state.
  transport: { write(bytes: Buffer, cb?: () => void): boolean };
  pins: { value: number }[];
  ports: number[];
  pending: number;
  servoWrite(pin: number, value: number): void;
  analogWrite(pin: number, value: number): void;
  digitalWrite(pin: number, value: number): void;
}
type FirmataCtor = new (port: unknown, options: Record<string, unknown>) => FirmataIo;
interface J5Board extends EventEmitter {
  io: FirmataIo;
}
interface J5Sensor extends EventEmitter {
  value: number;
  raw: number;
  disable(): void;
}
interface J5Servo {
  to(deg: number): void;
}
interface J5Led {
  brightness(v: number): void;
}
interface J5Pin {
  high(): void;
  low(): void;
}
interface J5Motor {
  forward(speed: number): void;
  reverse(speed: number): void;
  stop(): void;
}
interface J5Xyz {
  x: number;
  y: number;
  z: number;
}
interface J5Imu extends EventEmitter {
  accelerometer: J5Xyz;
  gyro: { rate: J5Xyz; isCalibrated: boolean };
  thermometer: { celsius: number };
}
interface J5 {
  Board: new (o: Record<string, unknown>) => J5Board;
  Sensor: new (o: Record<string, unknown>) => J5Sensor;
  Proximity: new (o: Record<string, unknown>) => J5Sensor & { cm: number };
  Servo: new (o: Record<string, unknown>) => J5Servo;
  Led: new (o: Record<string, unknown>) => J5Led;
  Pin: new (o: Record<string, unknown>) => J5Pin;
  Motor: new (o: Record<string, unknown>) => J5Motor;
  IMU: (new (o: Record<string, unknown>) => J5Imu) & {
    Drivers: { get(board: J5Board, controller: string, o: { address: number }): EventEmitter };
  };
}
let five: J5 | null = null;
let Firmata: FirmataCtor | null = null;
function libs(): { five: J5; Firmata: FirmataCtor } {
  // Loaded lazily: Flux without Arduino boards never loads johnny-five.
  five ??= require('johnny-five') as J5;
  Firmata ??= (require('firmata-io') as { Firmata: FirmataCtor }).Firmata;
  return { five, Firmata };
}

// ---- Configuration ----------------------------------------------------------------------------
export type AnalogPin = 'A0' | 'A1' | 'A2' | 'A3' | 'A4' | 'A5';

/** An analog sensor: raw 0..1023, or mapped linearly onto `range` ([value at 0, value at 1023]). */
export interface AnalogInputConfig {
  kind: 'analog';
  pin: AnalogPin;
  range?: [number, number];
}
/** A button or switch on a digital pin: 0/1 (1 = pressed; with `pullup`, pressed pulls the pin low). */
export interface DigitalInputConfig {
  kind: 'digital';
  pin: number;
  pullup?: boolean;
  invert?: boolean;
}
/** An analog distance sensor johnny-five knows (its Proximity class): the value is in metres. */
export interface ProximityInputConfig {
  kind: 'proximity';
  pin: AnalogPin;
  /** johnny-five's controller name, e.g. GP2Y0A21YK (Sharp IR, 10-80 cm), GP2D120XJ00F, GP2Y0A02YK0F, GP2Y0A41SK0F, MB1000. */
  controller: string;
}
/** What an IMU input reports. Units are SI, as in ROS's sensor_msgs/Imu: accelerations in m/s^2
 *  (gravity included: a board lying flat reads about +9.81 on z), angular rates in rad/s, the die
 *  temperature in degrees Celsius. */
export type ImuField = 'accelX' | 'accelY' | 'accelZ' | 'gyroX' | 'gyroY' | 'gyroZ' | 'temperature';
export const IMU_FIELDS: readonly ImuField[] = ['accelX', 'accelY', 'accelZ', 'gyroX', 'gyroY', 'gyroZ', 'temperature'];
/** An I2C inertial sensor through johnny-five's IMU class, on the board's I2C pins (A4 = SDA,
 *  A5 = SCL on an Uno; leave them free). One field per input; inputs naming the same address share
 *  one sensor, read once per Firmata sample (`samplingIntervalMs`).
 *
 *  MPU6050 (also sold as GY-521), at johnny-five's settings: full scales ±2 g and ±250 deg/s (the
 *  chip's power-up values; johnny-five only wakes it). johnny-five averages the last 5 readings of
 *  each axis; it reports acceleration to 0.001 g (0.0098 m/s^2) and temperature in whole degrees.
 *  Gyro rates are relative to the mean of the first 100 readings after each connection (johnny-five's
 *  zero-rate calibration): the sensor must be still while the board connects or reconnects, and gyro
 *  fields deliver nothing until those readings are in (about 1 s at 10 ms sampling). */
export interface ImuInputConfig {
  kind: 'imu';
  controller: 'MPU6050';
  field: ImuField;
  /** I2C address: 0x68 (AD0 low, the default) or 0x69. */
  address?: number;
}
export type InputConfig = AnalogInputConfig | DigitalInputConfig | ProximityInputConfig | ImuInputConfig;

interface OutputLimits {
  /** Written values are clamped to [min, max]. */
  min?: number;
  max?: number;
  /** Written at connect, on close, and again on reconnect after a loss. */
  safe?: number;
}
/** A hobby servo: value in degrees, clamped to [min, max] (default 0..180, safe = middle). The
 *  angle maps linearly onto the pulse width: `degrees[0]` -> `pulseUs[0]`, `degrees[1]` ->
 *  `pulseUs[1]` (defaults [0, 180] and [1000, 2000] us: 90 deg = 1.5 ms). */
export interface ServoOutputConfig extends OutputLimits {
  kind: 'servo';
  pin: number;
  pulseUs?: [number, number];
  degrees?: [number, number];
}
/** An LED on a PWM pin: value 0..1 = brightness. */
export interface LedOutputConfig extends OutputLimits {
  kind: 'led';
  pin: number;
}
/** A digital output: value >= 0.5 drives the pin high. */
export interface DigitalOutputConfig extends OutputLimits {
  kind: 'digital';
  pin: number;
}
/** A DC motor on an H-bridge with a PWM pin and a direction pin: value -1..1 (sign = direction). */
export interface MotorOutputConfig extends OutputLimits {
  kind: 'motor';
  pwm: number;
  dir: number;
}
export type OutputConfig = ServoOutputConfig | LedOutputConfig | DigitalOutputConfig | MotorOutputConfig;

export interface BoardConfig {
  /** Name used in status and errors. */
  id: string;
  /** Serial port path (a stable one: /dev/serial/by-id/..., or a symlink). */
  port: string;
  baudRate?: number; // 57600 (StandardFirmata)
  /** Firmata analog sampling interval; firmata.js refuses < 10 ms. Default 10. */
  samplingIntervalMs?: number;
  /** Give up on a connection attempt that has not reached "ready" after this long. Default 5000. */
  connectTimeoutMs?: number;
  /** Ping the firmware this often; no answer within the next ping = lost. 0 disables. Default 500. */
  watchdogMs?: number;
  /** Reconnect backoff: first delay, doubling up to max. Default 100 / 2000 ms. */
  backoffMs?: { initial: number; max: number };
  inputs?: Record<string, InputConfig>;
  outputs?: Record<string, OutputConfig>;
}

export type BoardState = 'connecting' | 'ready' | 'lost' | 'closed';
export interface BoardStatus {
  board: string;
  state: BoardState;
  /** Why the board was lost or a connection attempt failed. */
  error?: string;
  /** Connections that reached "ready" so far (1 after the first, 2 after one reconnect...). */
  connections: number;
}
export interface OutputStatus {
  output: string;
  failed: boolean;
  /** The last value applied to the hardware (after clamping), or null. */
  value: number | null;
}

// ---- Helpers --------------------------------------------------------------------------------
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const STANDARD_GRAVITY = 9.80665; // m/s^2 per g
const RAD_PER_DEG = Math.PI / 180;

/** Runs `make` and returns it with the intervals it started: johnny-five's Proximity, IMU and
 *  Thermometer start timers in their constructors that re-emit the last reading forever and that
 *  nothing stops (no disable(), or none that reaches them); left running they would keep a closed
 *  board's objects alive, and Node with them. */
function withIntervals<T>(make: () => T): { value: T; timers: NodeJS.Timeout[] } {
  const timers: NodeJS.Timeout[] = [];
  const original = globalThis.setInterval;
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    const t = original(...args);
    timers.push(t);
    return t;
  }) as typeof setInterval;
  try {
    return { value: make(), timers };
  } finally {
    globalThis.setInterval = original;
  }
}

/** What the bridge schema checks for documents, checked again for boards opened from code. */
function checkConfig(cfg: BoardConfig): void {
  for (const [name, c] of Object.entries(cfg.inputs ?? {})) {
    if (c.kind !== 'imu') continue;
    const where = `board ${cfg.id}: input ${name}`;
    const controller: string = c.controller;
    if (controller !== 'MPU6050') throw new Error(`${where}: IMU controller "${controller}" is not supported (MPU6050)`);
    if (!IMU_FIELDS.includes(c.field)) throw new Error(`${where}: no IMU field "${String(c.field)}" (${IMU_FIELDS.join(', ')})`);
    if (c.address !== undefined && c.address !== 0x68 && c.address !== 0x69)
      throw new Error(`${where}: an MPU6050 answers at 0x68 or 0x69, not ${c.address}`);
  }
}

/** One IMU field from johnny-five's IMU in Flux's units, or null while it has none. */
function imuValue(imu: J5Imu, field: ImuField): number | null {
  let v: number;
  switch (field) {
    case 'accelX':
      v = imu.accelerometer.x * STANDARD_GRAVITY;
      break;
    case 'accelY':
      v = imu.accelerometer.y * STANDARD_GRAVITY;
      break;
    case 'accelZ':
      v = imu.accelerometer.z * STANDARD_GRAVITY;
      break;
    case 'temperature':
      v = imu.thermometer.celsius;
      break;
    default: {
      if (!imu.gyro.isCalibrated) return null;
      const rate = imu.gyro.rate;
      v = (field === 'gyroX' ? rate.x : field === 'gyroY' ? rate.y : rate.z) * RAD_PER_DEG;
    }
  }
  return Number.isFinite(v) ? v : null;
}

function limitsOf(c: OutputConfig): { min: number; max: number; safe: number } {
  const d =
    c.kind === 'servo' ? { min: 0, max: 180, safe: 90 } : c.kind === 'motor' ? { min: -1, max: 1, safe: 0 } : { min: 0, max: 1, safe: 0 };
  const min = c.min ?? d.min;
  const max = c.max ?? d.max;
  return { min, max, safe: clamp(c.safe ?? (c.kind === 'servo' ? (min + max) / 2 : d.safe), min, max) };
}

/** Servo pulse width (us) that `deg` maps to under `c`: what the firmware is asked to emit. */
export function servoPulseFor(c: ServoOutputConfig, deg: number): number {
  const { min, max } = limitsOf(c);
  const [p0, p1] = c.pulseUs ?? [1000, 2000];
  const [d0, d1] = c.degrees ?? [0, 180];
  const v = clamp(deg, min, max);
  return Math.trunc(p0 + ((v - d0) * (p1 - p0)) / (d1 - d0 || 1));
}

interface LiveOutput {
  apply(v: number): void;
}
interface Live {
  port: SerialPort;
  io: FirmataIo;
  sensors: J5Sensor[];
  outputs: Map<string, LiveOutput>;
  watchdog?: NodeJS.Timeout;
  /** Intervals johnny-five components started (cleared at teardown). */
  timers: NodeJS.Timeout[];
  /** Undoes listeners on objects that outlive the connection (johnny-five's shared I2C drivers). */
  detach: (() => void)[];
}

/** One Firmata board. Create with {@link openBoard}; several may be open at once. */
export class ArduinoBoard {
  readonly id: string;
  private readonly cfg: BoardConfig;
  private readonly statusS: BehaviorSubject<BoardStatus>;
  private readonly inputsS = new Map<string, BehaviorSubject<number | null>>();
  private readonly outputsS = new Map<string, BehaviorSubject<OutputStatus>>();
  private readonly errorsS = new Subject<Error>();
  private live: Live | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private connections = 0;
  /** Writes dropped because the board was not ready (lost or connecting). */
  droppedWrites = 0;

  constructor(cfg: BoardConfig) {
    checkConfig(cfg);
    this.cfg = cfg;
    this.id = cfg.id;
    this.delay = cfg.backoffMs?.initial ?? 100;
    this.statusS = new BehaviorSubject<BoardStatus>({ board: cfg.id, state: 'connecting', connections: 0 });
    for (const name of Object.keys(cfg.inputs ?? {})) this.inputsS.set(name, new BehaviorSubject<number | null>(null));
    for (const name of Object.keys(cfg.outputs ?? {}))
      this.outputsS.set(name, new BehaviorSubject<OutputStatus>({ output: name, failed: true, value: null }));
    this.connect();
  }

  /** Names of the configured inputs and outputs. */
  get inputNames(): string[] {
    return [...this.inputsS.keys()];
  }
  get outputNames(): string[] {
    return [...this.outputsS.keys()];
  }

  /** Connection state changes (replays the current one). */
  get status$(): Observable<BoardStatus> {
    return this.statusS.asObservable();
  }
  get status(): BoardStatus {
    return this.statusS.value;
  }
  /** Errors that did not change the state (a failed connection attempt is reported in status$). */
  get errors$(): Observable<Error> {
    return this.errorsS.asObservable();
  }
  /** Resolves at the next (or current) "ready"; rejects after `ms`. */
  ready(ms = 10000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`board ${this.id}: not ready after ${ms} ms (${this.status.state}: ${this.status.error ?? ''})`));
      }, ms);
      const sub = this.statusS.subscribe((s) => {
        if (s.state === 'ready') {
          clearTimeout(t);
          queueMicrotask(() => sub.unsubscribe());
          resolve();
        }
      });
    });
  }

  /** An input's values (distinct; nothing while the board is not ready). A loss ends a run of equal
   *  values: the first reading after a reconnect is delivered even if it equals the last one before. */
  input(name: string): Observable<number> {
    const s = this.inputsS.get(name);
    if (!s) throw new Error(`board ${this.id}: no input "${name}"`);
    return s.pipe(
      distinctUntilChanged(),
      filter((v): v is number => v !== null),
    );
  }
  /** An input's latest reading on the current connection: null before the first one and while the
   *  board is lost (its inputs have failed). */
  inputValue(name: string): number | null {
    const s = this.inputsS.get(name);
    if (!s) throw new Error(`board ${this.id}: no input "${name}"`);
    return s.value;
  }
  /** An output's health and last applied value (replays the current one). */
  output$(name: string): Observable<OutputStatus> {
    const s = this.outputsS.get(name);
    if (!s) throw new Error(`board ${this.id}: no output "${name}"`);
    return s.asObservable();
  }
  outputStatus(name: string): OutputStatus {
    const s = this.outputsS.get(name);
    if (!s) throw new Error(`board ${this.id}: no output "${name}"`);
    return s.value;
  }
  /** Writes `value` (clamped to the output's limits). Returns false, and drops it, if the output
   *  has failed (board lost or not yet connected): writes never queue. */
  write(name: string, value: number): boolean {
    const cfg = this.cfg.outputs?.[name];
    if (!cfg) throw new Error(`board ${this.id}: no output "${name}"`);
    const out = this.live?.outputs.get(name);
    if (!out || this.status.state !== 'ready' || !Number.isFinite(value)) {
      this.droppedWrites++;
      return false;
    }
    const { min, max } = limitsOf(cfg);
    const v = clamp(value, min, max);
    try {
      out.apply(v);
    } catch (e) {
      this.lose(e instanceof Error ? e.message : String(e));
      return false;
    }
    this.outputsS.get(name)!.next({ output: name, failed: false, value: v });
    return true;
  }

  /**
   * For the guard thread (bridge/safety): the open port's descriptor and the Firmata messages that set
   * every output to `values` (others to their safe value), or null while not ready. The messages are
   * made by firmata.js itself, captured instead of sent: its local pin and port state is put back, so
   * nothing changes on the board or in what johnny-five believes. Servos get the pulse width
   * johnny-five would map their angle to; a motor's PWM pin its duty (its direction pin is left alone).
   */
  guardFrame(values: Record<string, number>): { fd: number; bytes: Uint8Array } | null {
    const live = this.live;
    const fd = live?.port.port?.fd;
    if (!live || this.status.state !== 'ready' || typeof fd !== 'number' || fd < 0) return null;
    const io = live.io;
    const transport = io.transport;
    const send = transport.write;
    const saved = { values: io.pins.map((p) => p.value), ports: [...io.ports], pending: io.pending };
    const chunks: Buffer[] = [];
    transport.write = (b: Buffer, cb?: () => void) => (chunks.push(Buffer.from(b)), cb?.(), true);
    try {
      for (const [name, c] of Object.entries(this.cfg.outputs ?? {})) {
        const { min, max, safe } = limitsOf(c);
        const v = clamp(Object.hasOwn(values, name) && Number.isFinite(values[name]) ? values[name] : safe, min, max);
        if (c.kind === 'servo') {
          const [d0, d1] = c.degrees ?? [0, 180];
          const [p0, p1] = c.pulseUs ?? [1000, 2000];
          io.servoWrite(c.pin, (p0 + ((v - d0) * (p1 - p0)) / (d1 - d0)) | 0);
        } else if (c.kind === 'led') io.analogWrite(c.pin, Math.round(v * 255));
        else if (c.kind === 'digital') io.digitalWrite(c.pin, v >= 0.5 ? 1 : 0);
        else io.analogWrite(c.pwm, Math.round(Math.abs(v) * 255));
      }
    } finally {
      transport.write = send;
      saved.values.forEach((v, k) => (io.pins[k].value = v));
      saved.ports.forEach((v, k) => (io.ports[k] = v));
      io.pending = saved.pending;
    }
    return { fd, bytes: Buffer.concat(chunks) };
  }

  /** Writes every output's safe value, closes the port and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const live = this.live;
    if (live && this.status.state === 'ready') {
      this.writeSafe(live);
      await new Promise<void>((r) => live.port.drain(() => r()));
    }
    this.teardown();
    for (const s of this.outputsS.values()) s.next({ ...s.value, failed: true });
    this.statusS.next({ board: this.id, state: 'closed', connections: this.connections });
    for (const s of [...this.inputsS.values(), ...this.outputsS.values()]) s.complete();
    this.statusS.complete();
    this.errorsS.complete();
  }

  // ---- internals ------------------------------------------------------------------------------
  private connect(): void {
    if (this.closed) return;
    if (this.status.state !== 'connecting')
      this.statusS.next({ board: this.id, state: 'connecting', connections: this.connections, error: this.status.error });
    const { five, Firmata } = libs();
    const port = new SerialPort({ path: this.cfg.port, baudRate: this.cfg.baudRate ?? 57600, autoOpen: false });
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      port.removeAllListeners();
      port.on('error', () => {});
      if (port.isOpen) port.close(() => {});
      this.live = null;
      this.statusS.next({ board: this.id, state: 'lost', connections: this.connections, error: why });
      this.scheduleRetry();
    };
    const timeout = setTimeout(
      () => fail(`no Firmata answer within ${this.cfg.connectTimeoutMs ?? 5000} ms`),
      this.cfg.connectTimeoutMs ?? 5000,
    );
    port.open((err) => {
      if (err) return fail(err.message);
      if (settled || this.closed) return void port.close(() => {});
      // A pty (or a board whose DTR reset is off) does not reset on open: ask for the version
      // almost at once instead of after firmata.js's 5 s default.
      const io = new Firmata(port, {
        reportVersionTimeout: 150,
        samplingInterval: Math.max(10, this.cfg.samplingIntervalMs ?? 10),
      });
      io.on('error', (e: Error) => (settled ? this.lose(e.message) : fail(e.message)));
      port.on('close', (e: Error | null) => (settled ? this.lose(e?.message ?? 'port closed') : fail(e?.message ?? 'port closed')));
      io.once('ready', () => {
        if (settled || this.closed) return;
        const board = new five.Board({ io, repl: false, debug: false, sigint: false, id: this.id, timeout: 1e9 });
        // johnny-five re-emits the io's errors on the board: without a listener they would throw.
        board.on('error', (e: Error) => (settled ? this.lose(e.message) : fail(e.message)));
        board.once('ready', () => {
          if (settled || this.closed) return;
          settled = true;
          clearTimeout(timeout);
          try {
            this.live = this.build(board, port, io);
          } catch (e) {
            settled = false;
            return fail(`setting up components: ${e instanceof Error ? e.message : String(e)}`);
          }
          this.connections++;
          this.delay = this.cfg.backoffMs?.initial ?? 100;
          this.writeSafe(this.live);
          this.statusS.next({ board: this.id, state: 'ready', connections: this.connections });
        });
      });
    });
  }

  private build(board: J5Board, port: SerialPort, io: FirmataIo): Live {
    const { five } = libs();
    const live: Live = { port, io, sensors: [], outputs: new Map(), timers: [], detach: [] };
    const imus = new Map<number, [BehaviorSubject<number | null>, ImuField][]>(); // by I2C address
    const freq = Math.max(10, this.cfg.samplingIntervalMs ?? 10);
    for (const [name, c] of Object.entries(this.cfg.inputs ?? {})) {
      const subj = this.inputsS.get(name)!;
      if (c.kind === 'analog') {
        const s = new five.Sensor({ pin: c.pin, board, freq });
        const r = c.range;
        s.on('data', () => subj.next(r ? r[0] + ((r[1] - r[0]) * s.raw) / 1023 : s.raw));
        live.sensors.push(s);
      } else if (c.kind === 'proximity') {
        // johnny-five converts the reading with the sensor's own curve; metres, as ROS ranges are.
        const { value: s, timers } = withIntervals(() => new five.Proximity({ controller: c.controller, pin: c.pin, board, freq }));
        live.timers.push(...timers); // its 'data' comes from that interval: cleared at teardown
        s.on('data', () => subj.next(s.cm / 100));
        live.sensors.push(s);
      } else if (c.kind === 'imu') {
        const address = c.address ?? 0x68;
        if (!imus.has(address)) imus.set(address, []);
        imus.get(address)!.push([subj, c.field]);
      } else {
        io.on('error', () => {});
        const mode = c.pullup ? 0x0b : 0x00; // PIN_MODE_PULLUP : INPUT
        io.pinMode(c.pin, mode);
        io.digitalRead(c.pin, (v) => {
          let on = v ? 1 : 0;
          if (c.pullup) on = 1 - on;
          if (c.invert) on = 1 - on;
          subj.next(on);
        });
      }
    }
    for (const [address, fields] of imus) {
      // johnny-five's IMU re-emits its components' last values on timers (the IMU's and its
      // thermometer's); they would go on after a loss. Stopped at once: the fields are read on each
      // I2C reply instead, from the shared driver that feeds the components (its listeners run
      // first, so every component holds this reply's reading).
      const { value: imu, timers } = withIntervals(() => new five.IMU({ controller: 'MPU6050', address, board, freq }));
      for (const t of timers) clearInterval(t);
      const driver = five.IMU.Drivers.get(board, 'MPU6050', { address });
      const onReply = (): void => {
        for (const [subj, field] of fields) {
          const v = imuValue(imu, field);
          if (v !== null) subj.next(v);
        }
      };
      driver.on('data', onReply);
      live.detach.push(() => driver.removeListener('data', onReply));
    }
    for (const [name, c] of Object.entries(this.cfg.outputs ?? {})) {
      let apply: (v: number) => void;
      if (c.kind === 'servo') {
        const { min, max } = limitsOf(c);
        const servo = new five.Servo({
          pin: c.pin,
          board,
          range: [min, max],
          degreeRange: c.degrees ?? [0, 180],
          pwmRange: c.pulseUs ?? [1000, 2000],
          startAt: limitsOf(c).safe,
        });
        // johnny-five maps degreeRange onto pwmRange itself (servoConfig sets the firmware's limits).
        apply = (v) => servo.to(v);
      } else if (c.kind === 'led') {
        const led = new five.Led({ pin: c.pin, board });
        apply = (v) => led.brightness(Math.round(v * 255));
      } else if (c.kind === 'digital') {
        const pin = new five.Pin({ pin: c.pin, board, type: 'digital', mode: 1 });
        apply = (v) => (v >= 0.5 ? pin.high() : pin.low());
      } else {
        const motor = new five.Motor({ pins: { pwm: c.pwm, dir: c.dir }, board });
        apply = (v) => {
          const speed = Math.round(Math.abs(v) * 255);
          if (speed === 0) motor.stop();
          else if (v > 0) motor.forward(speed);
          else motor.reverse(speed);
        };
      }
      live.outputs.set(name, { apply });
    }
    const every = this.cfg.watchdogMs ?? 500;
    if (every > 0) {
      let answered = true;
      live.watchdog = setInterval(() => {
        if (!answered) return this.lose(`no answer from the firmware for ${every} ms`);
        answered = false;
        io.reportVersion(() => (answered = true));
      }, every);
    }
    return live;
  }

  private writeSafe(live: Live): void {
    for (const [name, out] of live.outputs) {
      const { safe } = limitsOf(this.cfg.outputs![name]);
      out.apply(safe);
      this.outputsS.get(name)!.next({ output: name, failed: false, value: safe });
    }
  }

  private lose(why: string): void {
    if (this.closed || !this.live) return;
    this.teardown();
    for (const s of this.outputsS.values()) s.next({ ...s.value, failed: true });
    for (const s of this.inputsS.values()) s.next(null);
    this.statusS.next({ board: this.id, state: 'lost', connections: this.connections, error: why });
    this.scheduleRetry();
  }

  private teardown(): void {
    const live = this.live;
    this.live = null;
    if (!live) return;
    if (live.watchdog) clearInterval(live.watchdog);
    for (const t of live.timers) clearInterval(t);
    for (const d of live.detach) d();
    for (const s of live.sensors) {
      // Proximity has no disable(): its interval is cleared above and its listeners go here.
      if (typeof s.disable === 'function') s.disable();
      s.removeAllListeners('data');
    }
    live.io.removeAllListeners();
    live.io.on('error', () => {});
    live.port.removeAllListeners();
    live.port.on('error', () => {});
    if (live.port.isOpen) live.port.close(() => {});
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const d = this.delay;
    this.delay = Math.min(this.cfg.backoffMs?.max ?? 2000, this.delay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, d);
    this.retryTimer.unref?.();
  }
}

/** Opens a board (connecting in the background, reconnecting forever until close()). */
export function openBoard(cfg: BoardConfig): ArduinoBoard {
  return new ArduinoBoard(cfg);
}

/** Convenience for several boards: opens them all; `ready()` waits for every one. */
export function openBoards(cfgs: BoardConfig[]): {
  boards: Map<string, ArduinoBoard>;
  ready(ms?: number): Promise<void>;
  close(): Promise<void>;
} {
  const boards = new Map(cfgs.map((c) => [c.id, openBoard(c)] as const));
  return {
    boards,
    ready: async (ms) => void (await Promise.all([...boards.values()].map((b) => b.ready(ms)))),
    close: async () => void (await Promise.all([...boards.values()].map((b) => b.close()))),
  };
}

/** Every input of a board as one stream of tagged values (merge several boards with rxjs merge). */
export function inputEvents(board: ArduinoBoard): Observable<{ board: string; input: string; value: number }> {
  const names = board.inputNames;
  return new Observable((sub) => {
    const subs = names.map((n) =>
      board
        .input(n)
        .pipe(map((value) => ({ board: board.id, input: n, value })))
        .subscribe(sub),
    );
    return () => subs.forEach((s) => s.unsubscribe());
  });
}
