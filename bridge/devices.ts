// Devices that are not topics, as bridge inputs and outputs: serial devices (drivers/serial) and
// Arduino boards (drivers/johnny-five) behind one small interface, so that a bridge document binds a
// device field to a circuit input (through the same encoders, checks and staleness) and decoded
// populations to device fields (through the same limits, safe values and watchdog) as for topics.
import type { Observable } from 'rxjs';
// Types only: the drivers load when a document declares a device (serialport's native addon and
// johnny-five load on import, and a page has neither).
import type { SerialDevice, SerialDeviceConfig } from '../drivers/serial/device.js';
import type { ArduinoBoard, BoardConfig } from '../drivers/johnny-five/board.js';

export interface Device {
  readonly name: string;
  /** An input field's values as they arrive (latest value; nothing queues). */
  input(field: string): Observable<number>;
  /** Writes output fields; a device never queues writes without bound. */
  write(values: Record<string, number>): void;
  /** One line for logs and status: kind, port, state. */
  describe(): string;
  /** Starts connecting (a device that is absent keeps retrying in the background). */
  open(): Promise<void>;
  /** Writes the outputs' safe values where it can, then closes. */
  close(): Promise<void>;
  /**
   * For the guard thread (bridge/safety): a descriptor of this process and the bytes that set these
   * output values, written without this thread; null while it has none (not connected).
   */
  guardFrame?(values: Record<string, number>): { fd: number; bytes: Uint8Array } | null;
}

/** How a bridge document declares a device: exactly one of these. */
export type DeviceSpec = { serial: SerialDeviceConfig } | { board: Omit<BoardConfig, 'id'> };

class SerialAdapter implements Device {
  constructor(
    readonly name: string,
    private readonly dev: SerialDevice,
  ) {}
  input(field: string): Observable<number> {
    return this.dev.field(field);
  }
  write(values: Record<string, number>): void {
    this.dev.write(values);
  }
  describe(): string {
    return `serial ${this.dev.path ?? '(searching)'} ${this.dev.status}`;
  }
  open(): Promise<void> {
    return this.dev.start();
  }
  close(): Promise<void> {
    return this.dev.stop();
  }
  guardFrame(values: Record<string, number>): { fd: number; bytes: Uint8Array } | null {
    return this.dev.guardFrame(values);
  }
}

class BoardAdapter implements Device {
  constructor(
    readonly name: string,
    private readonly cfg: BoardConfig,
    private readonly board: ArduinoBoard,
  ) {}
  input(field: string): Observable<number> {
    return this.board.input(field);
  }
  write(values: Record<string, number>): void {
    // A lost board refuses writes (its outputs are marked failed); the bridge's watchdog and the
    // board's safe values on reconnect cover the rest.
    for (const [k, v] of Object.entries(values)) this.board.write(k, v);
  }
  describe(): string {
    return `board ${this.cfg.port} ${this.board.status.state}`;
  }
  async open(): Promise<void> {
    // Connecting takes seconds (the firmware's start-up); the bridge runs meanwhile with the inputs stale.
  }
  close(): Promise<void> {
    return this.board.close();
  }
  guardFrame(values: Record<string, number>): { fd: number; bytes: Uint8Array } | null {
    return this.board.guardFrame(values);
  }
}

/** Builds (does not yet open) the device a bridge document declares. Throws on a bad declaration. */
export async function createDevice(name: string, spec: DeviceSpec): Promise<Device> {
  if ('serial' in spec) {
    const { SerialDevice } = await import('../drivers/serial/device.js');
    return new SerialAdapter(name, new SerialDevice({ ...spec.serial, name }));
  }
  const { openBoard } = await import('../drivers/johnny-five/board.js');
  const cfg = { ...spec.board, id: name } as BoardConfig;
  return new BoardAdapter(name, cfg, openBoard(cfg));
}
