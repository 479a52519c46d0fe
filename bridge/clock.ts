// Time for the bridge: the wall clock, or simulation time from /clock (use_sim_time), so that under a
// simulator the engine never runs ahead of simulated time and a paused simulation pauses the tick
// (without tripping the watchdog: no simulated time passes).
import { createCodec } from './codec/cdr.js';
import type { DefinitionSource } from './codec/definitions.js';
import type { Transport } from './transport/transport.js';

export interface Clock {
  /** Milliseconds. */
  now(): number;
  /** ROS time in milliseconds for message stamps: since the epoch, or simulated time. */
  rosTime(): number;
  /** Resolves once now() >= t (or the clock is closed). */
  waitUntil(t: number): Promise<void>;
  close(): void;
  /** Whether ticks missed while the engine was busy are run to catch up (simulated time) or skipped. */
  readonly catchUp: boolean;
  /** Resolves when the clock has a time (simulated time: the first /clock message). */
  ready(): Promise<void>;
}

/**
 * Real time. Node's timers fire on whole milliseconds at best, too coarse for a 1 kHz tick. Spinning
 * on setImmediate for the last stretch kept a core busy and made ~400 MB/s of garbage (a promise per
 * turn), whose collections stalled ticks; blocking until the tick is due (Atomics.wait) held back I/O
 * for up to a period. So the last stretch alternates short blocking sleeps (at most 0.1 ms, futex
 * precision) with one turn of the event loop for I/O: ~10 turns per millisecond, little garbage, an
 * idle core, and messages delivered within 0.1 ms.
 */
export class WallClock implements Clock {
  readonly catchUp = false;
  private closed = false;
  private timers = new Set<{ t: NodeJS.Timeout; r: () => void }>();
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  now(): number {
    return performance.now();
  }

  rosTime(): number {
    return performance.timeOrigin + performance.now();
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async waitUntil(t: number): Promise<void> {
    const coarse = t - this.now() - 1.5;
    if (coarse > 0 && !this.closed) {
      await new Promise<void>((r) => {
        const entry = { t: setTimeout(() => (this.timers.delete(entry), r()), coarse), r };
        this.timers.add(entry);
      });
    }
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      const rest = t - this.now();
      if (rest <= 0 || this.closed) return;
      Atomics.wait(this.cell, 0, 0, Math.min(rest, 0.1));
      if (this.now() >= t) return;
    }
  }

  close(): void {
    this.closed = true;
    for (const e of this.timers) {
      clearTimeout(e.t);
      e.r();
    }
    this.timers.clear();
  }
}

/** Simulation time from rosgraph_msgs/msg/Clock on `topic` (default /clock). */
export class SimClock implements Clock {
  readonly catchUp = true;
  private t = -Infinity;
  private waiters: { t: number; r: () => void }[] = [];
  private readonly unsubscribe: () => void;
  /** Clock messages that could not be decoded. */
  malformed = 0;

  constructor(transport: Transport, topic = '/clock', definitions: DefinitionSource = {}) {
    const codec = createCodec('rosgraph_msgs/msg/Clock', definitions);
    // /clock is published reliable by simulators (gz's bridge, Gazebo classic); keep-last 1 is enough.
    this.unsubscribe = transport.subscribe(
      topic,
      'rosgraph_msgs/msg/Clock',
      { reliability: 'best_effort', durability: 'volatile', depth: 1 },
      (bytes) => {
        let ms: number;
        try {
          const c = (codec.decode(bytes) as { clock: { sec: number; nanosec: number } }).clock;
          ms = c.sec * 1000 + c.nanosec / 1e6;
        } catch {
          this.malformed++;
          return;
        }
        // Simulated time only moves forward (a reset of the simulation needs a restart of the bridge).
        if (!(ms > this.t)) return;
        this.t = ms;
        const due = this.waiters.filter((w) => w.t <= ms);
        this.waiters = this.waiters.filter((w) => w.t > ms);
        for (const w of due) w.r();
      },
    );
  }

  /** Whether any /clock message has arrived. */
  get started(): boolean {
    return Number.isFinite(this.t);
  }

  now(): number {
    return Number.isFinite(this.t) ? this.t : 0;
  }

  rosTime(): number {
    return this.now();
  }

  ready(): Promise<void> {
    return this.waitUntil(-Infinity);
  }

  waitUntil(t: number): Promise<void> {
    if (this.started && this.t >= t) return Promise.resolve();
    // Before the first message nothing is due yet, whatever t is.
    return new Promise((r) => this.waiters.push({ t, r }));
  }

  close(): void {
    this.unsubscribe();
    for (const w of this.waiters) w.r();
    this.waiters = [];
  }
}
