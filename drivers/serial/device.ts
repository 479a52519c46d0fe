// A serial device (serialport 13): opens a port by path, or finds it by USB vendor/product id; turns
// received frames into one Observable of numbers per input field (latest value, no queue); encodes
// output values into frames written at most `maxRateHz` times a second, with at most one frame in the
// port's queue (a newer value replaces a pending one, counted); reconnects with capped exponential
// backoff when the port goes away and comes back; writes a safe frame on stop and on loss (if the
// port still takes it).
//
// Loss detection: serialport reports a write error (EIO) on a vanished port, but on Linux it does not
// notice a hung-up pseudo-terminal or a removed device while only reading. So while connected the
// device also checks every `presenceMs` that the path still resolves to the device it opened (a USB
// adapter's /dev node disappears on unplug; a symlink that now points elsewhere is a new device).
import { promises as fsp } from 'node:fs';
import { SerialPort } from 'serialport';
import { BehaviorSubject, Observable, ReplaySubject, Subject } from 'rxjs';
import { createDeframer, encodeFrame, type Deframer, type FramingSpec } from './framing.js';
import { compileInput, compileOutput, FieldError, type CompiledOutput, type InputField, type OutputSpec } from './fields.js';

export type SerialStatus = 'connected' | 'disconnected' | 'reconnecting' | 'stopped';

export interface PortInfoLike {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
}

export interface SerialDeviceConfig {
  /** Device name for messages. */
  name?: string;
  /** Port path (a symlink is fine). Either this or vendorId (+ productId). */
  path?: string;
  /** USB vendor id (hex, e.g. "2341"); the first port listed with it (and productId/serialNumber) is opened. */
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  baudRate: number;
  framing: FramingSpec;
  inputs?: InputField[];
  output?: OutputSpec & {
    /** Frames per second at most (default 50). */
    maxRateHz?: number;
    /** Values of the safe frame; output fields not named here are 0. Without it no safe frame is sent. */
    safe?: Record<string, number>;
  };
  reconnect?: {
    /** First delay (default 100 ms), multiplied by `factor` (default 2) after each failed try, up to `maxMs` (default 5000). */
    initialMs?: number;
    factor?: number;
    maxMs?: number;
  };
  /** How often the path is checked while connected (default 200 ms; 0 turns it off). */
  presenceMs?: number;
  /** How long stop() waits for the safe frame to drain (default 500 ms). */
  stopTimeoutMs?: number;
  /** Port lister for vendor/product lookup (default: SerialPort.list, then /sys/class/tty). */
  list?: () => Promise<PortInfoLike[]>;
}

export interface SerialCounters {
  /** Frames received and deframed. */
  frames: number;
  /** Frames (or runs of junk) dropped by the deframer. */
  garbled: number;
  /** Frames that carried none of the input fields. */
  unmatched: number;
  /** Output frames written (the port accepted them). */
  written: number;
  /** Output frames replaced by a newer one while the port had not drained the previous one. */
  droppedWrites: number;
  /** Output frames replaced by a newer one while waiting for the rate limit (not an error). */
  coalesced: number;
  /** Successful reconnections after a loss. */
  reconnects: number;
  /** Failed open attempts. */
  openFailures: number;
  /** Losses detected (error, close, path gone). */
  losses: number;
  /** Safe frames tried (stop and every loss) and those the port accepted. */
  safeAttempts: number;
  safeWritten: number;
}

function normId(id: string | undefined): string | undefined {
  return id === undefined ? undefined : id.toLowerCase().replace(/^0x/, '').padStart(4, '0');
}

/** Ports with USB ids from sysfs (Linux), for machines without udevadm (SerialPort.list needs it). */
export async function listSysfs(): Promise<PortInfoLike[]> {
  const out: PortInfoLike[] = [];
  let names: string[];
  try {
    names = await fsp.readdir('/sys/class/tty');
  } catch {
    return out;
  }
  for (const name of names) {
    let dir: string;
    try {
      dir = await fsp.realpath(`/sys/class/tty/${name}/device`);
    } catch {
      continue;
    }
    for (let d = dir, i = 0; i < 6 && d.length > 1; i++, d = d.slice(0, d.lastIndexOf('/'))) {
      try {
        const vendorId = (await fsp.readFile(`${d}/idVendor`, 'utf8')).trim();
        const productId = (await fsp.readFile(`${d}/idProduct`, 'utf8')).trim();
        const serialNumber = await fsp.readFile(`${d}/serial`, 'utf8').then(
          (s) => s.trim(),
          () => undefined,
        );
        out.push({ path: `/dev/${name}`, vendorId, productId, serialNumber });
        break;
      } catch {
        /* not the USB device directory yet */
      }
    }
  }
  return out;
}

async function defaultList(): Promise<PortInfoLike[]> {
  try {
    return await SerialPort.list();
  } catch {
    // SerialPort.list spawns udevadm on Linux; containers often lack it.
    return listSysfs();
  }
}

export class SerialDevice {
  readonly name: string;
  private readonly cfg: SerialDeviceConfig;
  private readonly deframer: Deframer<unknown>;
  private readonly inputs: { name: string; read: (f: unknown) => number | undefined }[];
  private readonly output?: CompiledOutput;
  private readonly subjects = new Map<string, ReplaySubject<number>>();
  // Keyed by the document's field names: no prototype for a name to reach.
  private readonly latestValues: Record<string, number> = Object.create(null);
  private readonly statusSubject = new BehaviorSubject<SerialStatus>('disconnected');
  private readonly frameSubject = new Subject<unknown>();
  private readonly counts: SerialCounters = {
    frames: 0,
    garbled: 0,
    unmatched: 0,
    written: 0,
    droppedWrites: 0,
    coalesced: 0,
    reconnects: 0,
    openFailures: 0,
    losses: 0,
    safeAttempts: 0,
    safeWritten: 0,
  };

  private port: SerialPort | null = null;
  private openedPath: string | null = null;
  private openedReal: string | null = null;
  private everConnected = false;
  private stopped = false;
  private started = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private presenceTimer: NodeJS.Timeout | null = null;
  private rateTimer: NodeJS.Timeout | null = null;
  private current: Record<string, number> = Object.create(null);
  private pending: Uint8Array | null = null;
  /** When the pending frame was computed: one that waited far beyond the rate limit is stale. */
  private pendingAt = 0;
  private inFlight = false;
  private lastWriteAt = -Infinity;
  private readonly minInterval: number;
  private readonly safeFrame: Uint8Array | null;
  private connectedAt = 0;
  /** Last error or reason for a loss, for messages. */
  lastError: string | null = null;

  constructor(cfg: SerialDeviceConfig) {
    this.cfg = cfg;
    this.name = cfg.name ?? cfg.path ?? `usb ${cfg.vendorId}:${cfg.productId ?? '*'}`;
    if (!cfg.path && !cfg.vendorId) throw new FieldError(`serial device ${this.name}: needs a path or a vendorId`);
    if (!(cfg.baudRate > 0)) throw new FieldError(`serial device ${this.name}: baudRate must be > 0`);
    this.deframer = createDeframer(cfg.framing) as Deframer<unknown>;
    this.inputs = (cfg.inputs ?? []).map((f) => ({ name: f.name, read: compileInput(f, cfg.framing) }));
    for (const f of this.inputs) this.subjects.set(f.name, new ReplaySubject<number>(1));
    const rate = cfg.output?.maxRateHz ?? 50;
    if (!(rate > 0)) throw new FieldError(`serial device ${this.name}: maxRateHz must be > 0`);
    this.minInterval = 1000 / rate;
    if (cfg.output) {
      this.output = compileOutput(cfg.output, cfg.framing);
      const safe = cfg.output.safe;
      for (const k of this.output.fields) this.current[k] = safe && Object.hasOwn(safe, k) ? safe[k] : 0;
    }
    this.safeFrame = cfg.output?.safe && this.output ? this.encode({ ...zeros(this.output.fields), ...cfg.output.safe }) : null;
  }

  // ------------------------------------------------------------------------------- public API

  /** Connection status; replays the current one. */
  get status$(): Observable<SerialStatus> {
    return this.statusSubject.asObservable();
  }
  get status(): SerialStatus {
    return this.statusSubject.value;
  }
  /** Latest value of an input field; replays the latest on subscribe. No queue: a flood only updates it. */
  field(name: string): Observable<number> {
    const s = this.subjects.get(name);
    if (!s)
      throw new FieldError(`serial device ${this.name}: no input field "${name}" (have ${[...this.subjects.keys()].join(', ') || 'none'})`);
    return s.asObservable();
  }
  /** Latest value of every input field received so far. */
  get latest(): Readonly<Record<string, number>> {
    return this.latestValues;
  }
  /** Every deframed frame (string, JSON value or bytes), for inspection. */
  get frames$(): Observable<unknown> {
    return this.frameSubject.asObservable();
  }
  get counters(): SerialCounters {
    return { ...this.counts, garbled: this.deframer.garbled };
  }
  get outputFields(): string[] {
    return this.output?.fields ?? [];
  }
  /** Bytes waiting to be written: the port's stream queue plus the pending frame (bounded by two frames). */
  get queuedBytes(): number {
    return (this.port?.writableLength ?? 0) + (this.pending?.length ?? 0);
  }
  /** The path opened (after a vendor/product lookup), or null when not connected. */
  get path(): string | null {
    return this.openedPath;
  }

  /**
   * For the guard thread (bridge/safety): the open port's descriptor and the frame that sets `values`
   * (the other output fields at their safe values), or null while not connected.
   */
  guardFrame(values: Record<string, number>): { fd: number; bytes: Uint8Array } | null {
    const fd = this.port?.port?.fd;
    if (!this.output || typeof fd !== 'number' || fd < 0 || this.statusSubject.value !== 'connected') return null;
    const frame: Record<string, number> = { ...zeros(this.output.fields), ...(this.cfg.output?.safe ?? {}) };
    for (const [k, v] of Object.entries(values)) if (Object.hasOwn(frame, k)) frame[k] = v;
    const bytes = this.encode(frame);
    // A line of its own even after a frame the frozen loop left half-written: a line terminator first,
    // so the safe line is never glued onto the tail of a moving one (SLIP, COBS and binary frames
    // resynchronise by their own delimiters and checksums).
    const kind = this.cfg.framing.kind;
    return { fd, bytes: kind === 'lines' || kind === 'json' ? Buffer.concat([Buffer.from('\n'), bytes]) : bytes };
  }

  /** Opens the port; resolves once connected or after the first failed try (it keeps retrying). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.tryOpen();
  }

  /** Sets output values (others keep their last value) and schedules a frame. */
  write(values: Record<string, number>): void {
    if (!this.output) throw new FieldError(`serial device ${this.name}: no output declared`);
    for (const [k, v] of Object.entries(values)) if (Object.hasOwn(this.current, k)) this.current[k] = v;
    if (this.stopped) return;
    if (this.statusSubject.value !== 'connected') {
      this.counts.droppedWrites++;
      return;
    }
    const frame = this.encode(this.current);
    if (this.pending) {
      if (this.inFlight) this.counts.droppedWrites++;
      else this.counts.coalesced++;
    }
    this.pending = frame;
    this.pendingAt = performance.now();
    this.pump();
  }

  /** Writes the safe frame (waiting up to stopTimeoutMs), closes the port and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    this.pending = null;
    const port = this.port;
    if (port && port.isOpen && this.statusSubject.value === 'connected' && this.safeFrame) {
      const timeout = this.cfg.stopTimeoutMs ?? 500;
      this.counts.safeAttempts++;
      const ok = await withTimeout(
        new Promise<boolean>((resolve) => {
          port.write(Buffer.from(this.safeFrame!), (err) => {
            if (err) return resolve(false);
            port.drain((e) => resolve(!e));
          });
        }),
        timeout,
        false,
      );
      if (ok) this.counts.safeWritten++;
    }
    await this.closePort();
    this.statusSubject.next('stopped');
    this.statusSubject.complete();
    this.frameSubject.complete();
    for (const s of this.subjects.values()) s.complete();
  }

  // ------------------------------------------------------------------------------- internals

  private encode(values: Record<string, number>): Uint8Array {
    return encodeFrame(this.cfg.framing, this.output!.build(values));
  }

  private pump(): void {
    if (!this.pending || this.inFlight || !this.port || this.statusSubject.value !== 'connected') return;
    const wait = this.lastWriteAt + this.minInterval - performance.now();
    if (wait > 0) {
      this.rateTimer ??= setTimeout(() => {
        this.rateTimer = null;
        this.pump();
      }, Math.ceil(wait));
      return;
    }
    // A frame that waited far longer than the rate limit was computed before a freeze of this thread:
    // the guard thread has sent the safe frame meanwhile, and this old (moving) one must not follow it.
    if (performance.now() - this.pendingAt > Math.max(2 * this.minInterval, 100)) {
      this.pending = null;
      this.counts.droppedWrites++;
      return;
    }
    const frame = this.pending;
    const port = this.port;
    this.pending = null;
    this.inFlight = true;
    this.lastWriteAt = performance.now();
    // The callback comes when the binding has handed the bytes to the OS: until then the port is
    // not drained and nothing else is queued behind this frame.
    port.write(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), (err) => {
      if (port !== this.port) return;
      this.inFlight = false;
      if (err) {
        this.lost(`write: ${err.message}`);
        return;
      }
      this.counts.written++;
      this.pump();
    });
  }

  private async resolvePath(): Promise<string> {
    if (this.cfg.path) return this.cfg.path;
    const ports = await (this.cfg.list ?? defaultList)();
    const want = { v: normId(this.cfg.vendorId), p: normId(this.cfg.productId) };
    const hit = ports.find(
      (p) =>
        normId(p.vendorId) === want.v &&
        (want.p === undefined || normId(p.productId) === want.p) &&
        (this.cfg.serialNumber === undefined || p.serialNumber === this.cfg.serialNumber),
    );
    if (!hit) throw new Error(`no port with USB id ${this.cfg.vendorId}:${this.cfg.productId ?? '*'} among ${ports.length} listed`);
    return hit.path;
  }

  private async tryOpen(): Promise<void> {
    if (this.stopped) return;
    let port: SerialPort | null = null;
    try {
      const path = await this.resolvePath();
      const real = await fsp.realpath(path);
      port = new SerialPort({ path, baudRate: this.cfg.baudRate, autoOpen: false });
      await new Promise<void>((resolve, reject) => port!.open((err) => (err ? reject(err) : resolve())));
      if (this.stopped) {
        port.close(() => {});
        return;
      }
      this.port = port;
      this.openedPath = path;
      this.openedReal = real;
    } catch (e) {
      this.counts.openFailures++;
      this.lastError = (e as Error).message;
      this.scheduleReconnect();
      return;
    }
    this.deframer.reset();
    this.inFlight = false;
    this.pending = null;
    this.lastWriteAt = -Infinity;
    this.attempt = 0;
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    port.on('error', (err: Error) => this.lost(`error: ${err.message}`, port));
    port.on('close', () => this.lost('port closed', port));
    if (this.everConnected) this.counts.reconnects++;
    this.everConnected = true;
    this.connectedAt = performance.now();
    this.statusSubject.next('connected');
    const every = this.cfg.presenceMs ?? 200;
    if (every > 0) {
      this.presenceTimer = setInterval(() => void this.checkPresence(port!), every);
      this.presenceTimer.unref();
    }
  }

  private async checkPresence(port: SerialPort): Promise<void> {
    if (port !== this.port || !this.openedPath) return;
    let real: string | null = null;
    try {
      real = await fsp.realpath(this.openedPath);
    } catch {
      /* gone */
    }
    if (port !== this.port) return;
    if (real !== this.openedReal) this.lost(real ? `${this.openedPath} now leads to ${real}` : `${this.openedPath} is gone`, port);
  }

  private onData(chunk: Buffer): void {
    const frames = this.deframer.push(chunk);
    for (const f of frames) {
      this.counts.frames++;
      let any = false;
      for (const inp of this.inputs) {
        const v = inp.read(f);
        if (v === undefined) continue;
        any = true;
        this.latestValues[inp.name] = v;
        this.subjects.get(inp.name)!.next(v);
      }
      if (!any && this.inputs.length > 0) this.counts.unmatched++;
      this.frameSubject.next(f);
    }
  }

  /** The port is gone (or misbehaves): safe frame if it still takes one, close, reconnect later. */
  private lost(reason: string, which: SerialPort | null = this.port): void {
    if (this.stopped || !which || which !== this.port) return;
    this.counts.losses++;
    this.lastError = reason;
    const port = this.port;
    this.port = null;
    this.openedPath = null;
    this.pending = null;
    this.inFlight = false;
    this.clearTimers();
    this.statusSubject.next('disconnected');
    // Safe frame: attempted on every loss; it can only reach the device when the port is still
    // open (a path check or write error found the loss). After a 'close' the stream would hold the
    // write until a reopen that never comes, so then the attempt fails at once (safeWritten stays).
    if (this.safeFrame) this.counts.safeAttempts++;
    if (this.safeFrame && port.isOpen) {
      try {
        port.write(Buffer.from(this.safeFrame), (err) => {
          if (!err) this.counts.safeWritten++;
        });
      } catch {
        /* the port refused it */
      }
    }
    port.removeAllListeners('data');
    port.removeAllListeners('close');
    port.on('error', () => {}); // late errors of a dropped port must not crash the process
    if (port.isOpen) setTimeout(() => port.isOpen && port.close(() => {}), 50).unref();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const r = this.cfg.reconnect ?? {};
    const delay = Math.min(r.maxMs ?? 5000, (r.initialMs ?? 100) * Math.pow(r.factor ?? 2, this.attempt));
    this.attempt++;
    this.statusSubject.next('reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.tryOpen();
    }, delay);
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.presenceTimer, this.rateTimer]) if (t) clearTimeout(t);
    this.reconnectTimer = this.presenceTimer = this.rateTimer = null;
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = null;
    this.openedPath = null;
    if (!port) return;
    port.removeAllListeners('close');
    port.on('error', () => {});
    if (port.isOpen) await withTimeout(new Promise<void>((r) => port.close(() => r())), 500, undefined);
  }

  /** Milliseconds since the current connection opened (0 when not connected). */
  get connectedForMs(): number {
    return this.statusSubject.value === 'connected' ? performance.now() - this.connectedAt : 0;
  }
}

function zeros(fields: string[]): Record<string, number> {
  return Object.fromEntries(fields.map((f) => [f, 0]));
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(fallback), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(fallback);
      },
    );
  });
}
