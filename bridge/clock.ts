// Time for the bridge: the wall clock, or simulation time from /clock (use_sim_time), so that under a
// simulator the engine never runs ahead of simulated time and a paused simulation pauses the tick
// (without tripping the watchdog: no simulated time passes).
import { createCodec } from './codec/cdr.js';
import type { DefinitionSource } from './codec/definitions.js';
import type { Transport } from './transport/transport.js';
import { nextTurn } from '../engine/platform/turn.js';

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

/** The longest blocking sleep between two turns of the event loop (what a message may wait). */
const TURN_MS = 0.1;

/**
 * Real time. Node's timers fire on whole milliseconds at best, too coarse for a 1 kHz tick. Spinning
 * on setImmediate for the last stretch kept a core busy (103-109% of one) and made ~400 MB/s of
 * garbage (a promise per turn), whose collections stalled ticks; blocking until the tick is due
 * (Atomics.wait) held back I/O for up to a period. So the last stretch alternates short blocking
 * sleeps (at most 0.1 ms, futex precision) with one turn of the event loop for I/O: ~10 turns per
 * millisecond, an idle core, and messages delivered within 0.1 ms.
 *
 * A futex sleep ends some tens of microseconds after its timeout (the kernel's timer slack, 50 µs by
 * default, and the wake-up): a 1 kHz loop woke 0.071 ms late at the median on the development VMs
 * (2026-12-07). The last sleep before the time is shortened by that overshoot, learnt from the sleeps
 * themselves, and the few microseconds left are turns of the event loop. Not spun: a spin reads the
 * clock in a loop, and each reading is a heap number, garbage the loop's young-generation collections
 * then stall it for (7 MB/s measured). A turn allocates only its Immediate: one promise per wait.
 */
export class WallClock implements Clock {
  readonly catchUp = false;
  private closed = false;
  private timers = new Set<{ t: NodeJS.Timeout; r: () => void }>();
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  /** How late a short sleep ends, ms: a running average of the last sleeps before a due time. */
  private overshoot = 0.05;

  now(): number {
    return performance.now();
  }

  rosTime(): number {
    return performance.timeOrigin + performance.now();
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  waitUntil(t: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const turn = (): void => {
        const now = this.now();
        const rest = t - now;
        if (rest <= 0 || this.closed) return resolve();
        if (rest > TURN_MS + this.overshoot) Atomics.wait(this.cell, 0, 0, TURN_MS);
        else if (rest > this.overshoot) {
          const asked = rest - this.overshoot;
          Atomics.wait(this.cell, 0, 0, asked);
          const late = this.now() - now - asked;
          // A sleep the machine stalled (ms late) says little about the slack: the bound limits its weight.
          this.overshoot += 0.1 * (Math.min(Math.max(late, 0), TURN_MS) - this.overshoot);
        }
        // Due after the sleep: resolve now, not a turn later (a turn of a busy loop can take a millisecond).
        if (this.now() >= t) return resolve();
        nextTurn(turn);
      };
      const coarse = t - this.now() - 1.5;
      if (coarse > 0 && !this.closed) {
        const entry = {
          t: setTimeout(() => (this.timers.delete(entry), nextTurn(turn)), coarse),
          r: () => nextTurn(turn),
        };
        this.timers.add(entry);
      } else nextTurn(turn);
    });
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

/**
 * Time under the IDE's run control (`flux edit`: a circuit without a robot): running in real time or
 * as fast as the engine goes, paused, or advanced one tick at a time. Time moves only when the tick
 * loop's wait is granted, so a paused clock stops the engine without tripping the watchdog (catchUp,
 * as simulated time: missed ticks run, so engine time follows the wall clock when it falls behind).
 */
export class ControlledClock implements Clock {
  readonly catchUp = true;
  private t = 0;
  private state: 'running' | 'paused' = 'running';
  private pace: 'realtime' | 'fast' = 'realtime';
  /** Wall time at which clock time `t` was last mapped to it (real time runs from there). */
  private anchor = { wall: performance.now(), t: 0 };
  private steps = 0;
  /** Every pending wait's wake-up: a change wakes them all and each looks again (a stopped bridge's wait may still be pending). */
  private readonly wakers = new Set<() => void>();
  private closed = false;

  now(): number {
    return this.t;
  }

  rosTime(): number {
    return this.t;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get speed(): 'realtime' | 'fast' {
    return this.pace;
  }

  run(): void {
    this.state = 'running';
    // Steps asked for while paused and not taken do not carry over to the next pause.
    this.steps = 0;
    this.reanchor();
  }

  pause(): void {
    this.state = 'paused';
    this.reanchor();
  }

  /** While paused: lets one more tick run. */
  step(): void {
    this.steps++;
    this.reanchor();
  }

  setSpeed(speed: 'realtime' | 'fast'): void {
    this.pace = speed;
    this.reanchor();
  }

  private reanchor(): void {
    this.anchor = { wall: performance.now(), t: this.t };
    this.wakeAll();
  }

  private wakeAll(): void {
    const all = [...this.wakers];
    this.wakers.clear();
    for (const w of all) w();
  }

  /** Sleeps until `ms` have passed (or forever, with ms = Infinity) or the state changes; true when woken by a change. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((r) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => (this.wakers.delete(wake), r(false)), ms) : undefined;
      const wake = () => (clearTimeout(timer), r(true));
      this.wakers.add(wake);
    });
  }

  async waitUntil(due: number): Promise<void> {
    for (;;) {
      if (this.closed || due <= this.t) return;
      if (this.state === 'paused' && this.steps === 0) {
        await this.sleep(Infinity);
        continue;
      }
      // Every grant goes through the event loop at least once: a loop behind real time (or running as
      // fast as it goes) must still let requests, timers and workers' messages in between ticks.
      await new Promise<void>((r) => nextTurn(r));
      if (this.state === 'running' && this.pace === 'realtime') {
        const wait = this.anchor.wall + (due - this.anchor.t) - performance.now();
        // Woken early by a change of state (pause, speed): the loop looks again.
        if (wait > 0 && (await this.sleep(wait))) continue;
      }
      if (this.closed || due <= this.t) return;
      if (this.state === 'paused') {
        if (this.steps === 0) continue;
        this.steps--;
      }
      this.t = Math.max(this.t, due);
      return;
    }
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }
}
