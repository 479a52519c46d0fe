// The loop's side of the guard thread (protocol.ts says why it exists, guard-worker.ts what it does).
// The loop kicks it after every finished tick; the guard trips by itself when the kicks stop. The loop
// learns of a trip from the shared heartbeat and accepts its own outputs again only after catching up
// (bridge/safety/loop-health.ts), then clears the trip.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SLOT, SLOTS, type FromGuard, type GuardChannel, type ToGuard } from './protocol.js';
import { writeSafeFrame } from './descriptor.js';

// From dist/bridge/safety (built) or bridge/safety (sources run by vitest: the worker runs the build).
// Found when a guard starts, not on import: a page bundles this module and has no file URLs.
function workerCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'guard-worker.js'), join(here, '..', '..', 'dist', 'bridge', 'safety', 'guard-worker.js')];
}

export interface GuardOptions {
  /** No kick for this long (ms, wall time) trips the guard. */
  deadlineMs: number;
  channels: GuardChannel[];
  /** Trips and channel failures, for the bridge's report. */
  onReport?: (message: string) => void;
}

export class SafetyGuard {
  private readonly beat = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly worker: Worker;
  private channels: GuardChannel[];
  private channelKey: string;
  private closed = false;
  /** False once the worker has exited (the bridge then starts another). */
  alive = true;
  /** The channels last reported as held. */
  private announced: string | null = null;
  /** Resolves once the guard has opened its channels (DDS writers take a moment to be created). */
  readonly ready: Promise<void>;

  constructor(private readonly options: GuardOptions) {
    const path = workerCandidates().find((p) => existsSync(p));
    if (!path) throw new Error('the guard thread script (guard-worker.js) is not built: run `npm run build`');
    this.channels = options.channels;
    this.channelKey = channelKey(options.channels);
    this.worker = new Worker(path, {
      workerData: { heartbeat: this.beat.buffer, deadlineMs: options.deadlineMs, channels: options.channels },
    });
    // The guard must never keep a finished process alive.
    this.worker.unref();
    let first: (() => void) | null = null;
    this.ready = new Promise<void>((r) => (first = r));
    this.worker.on('message', (m: FromGuard) => {
      if (m.type === 'ready') {
        first?.();
        first = null;
        for (const c of m.channels)
          if (c.error) options.onReport?.(`guard: cannot open the safe channel of ${c.name} (${c.kind}): ${c.error}`);
        // Said once per change, so that a robot's log shows what the guard thread can stop.
        const held = m.channels
          .filter((c) => !c.error)
          .map((c) => `${c.name} (${c.kind === 'fd' ? 'serial' : c.kind})`)
          .join(', ');
        if (held !== this.announced)
          options.onReport?.(held ? `guard thread: holds the safe command of ${held}` : 'guard thread: no output to hold yet');
        this.announced = held;
      } else if (m.type === 'tripped')
        options.onReport?.(
          `guard: the control loop missed its deadline (${Math.round(m.silentMs)} ms without a tick): the guard thread published ${m.written} safe command(s) and holds them until the loop catches up`,
        );
      else options.onReport?.(m.message);
    });
    this.worker.on('error', (e) => options.onReport?.(`guard thread failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      this.alive = false;
      if (!this.closed) options.onReport?.(`guard thread exited (code ${code}); the bridge starts another`);
    });
  }

  /** A finished tick. Cheap: one atomic add. */
  kick(): void {
    Atomics.add(this.beat, SLOT.kick, 1);
  }

  /** Starts (true) or stops (false) watching; a stopped loop is not a stalled one. */
  arm(on: boolean): void {
    if (on) this.kick();
    Atomics.store(this.beat, SLOT.armed, on ? 1 : 0);
  }

  /** True while the guard holds the outputs safe. */
  get tripped(): boolean {
    return Atomics.load(this.beat, SLOT.tripped) === 1;
  }

  /** The loop has caught up: its outputs count again. */
  clearTrip(): void {
    Atomics.store(this.beat, SLOT.tripped, 0);
  }

  get trips(): number {
    return Atomics.load(this.beat, SLOT.trips);
  }

  /** Safe messages the guard thread has written. */
  get written(): number {
    return Atomics.load(this.beat, SLOT.written);
  }

  setDeadline(ms: number): void {
    this.post({ type: 'deadline', ms });
  }

  /** Replaces the channels when they changed (a device reconnected on another descriptor, a renamed topic). */
  setChannels(channels: GuardChannel[]): void {
    const k = channelKey(channels);
    if (k === this.channelKey) return;
    this.channelKey = k;
    this.channels = channels;
    this.post({ type: 'channels', channels });
  }

  /**
   * The last resort, from the loop's own thread (a fatal error): writes every descriptor's safe frame
   * synchronously here and has the guard thread write the DDS ones, waiting up to `waitMs` for it.
   */
  emitNow(waitMs = 200): void {
    if (this.closed) return;
    for (const c of this.channels) {
      if (c.kind !== 'fd') continue;
      try {
        writeSafeFrame(c);
      } catch {
        // Best effort: the process is going down.
      }
    }
    if (!this.channels.some((c) => c.kind === 'dds') || !this.alive) return;
    const before = Atomics.load(this.beat, SLOT.panicDone);
    Atomics.store(this.beat, SLOT.panic, 1);
    // Until the guard has written every channel (not merely one sample), or the bound.
    Atomics.wait(this.beat, SLOT.panicDone, before, waitMs);
  }

  /**
   * Holds the outputs safe from the guard thread, whatever the loop does, until close(): for a hot
   * swap, whose build runs on this thread with no loop at all.
   */
  hold(): void {
    Atomics.add(this.beat, SLOT.trips, 1);
    Atomics.store(this.beat, SLOT.tripped, 1);
    Atomics.store(this.beat, SLOT.armed, 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.arm(false);
    const gone = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.post({ type: 'stop' });
    let t: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((r) => (t = setTimeout(r, 1000)))]);
    clearTimeout(t);
    await this.worker.terminate();
  }

  private post(m: ToGuard): void {
    if (!this.closed || m.type === 'stop') this.worker.postMessage(m);
  }
}

function channelKey(cs: GuardChannel[]): string {
  return JSON.stringify(cs.map((c) => ({ ...c, bytes: Buffer.from(c.bytes).toString('base64') })));
}
