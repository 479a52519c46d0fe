// The stream layer end to end through the memory transport: LaserScan in, Twist out, computed by the
// Braitenberg circuit on the CPU engine in real time; staleness, the watchdog and bad input.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { Bridge, type BridgeConfig } from '../bridge/bridge.js';
import { MemoryTransport } from '../bridge/transport/memory.js';
import { SENSOR_QOS, DEFAULT_QOS } from '../bridge/transport/transport.js';
import { createCodec } from '../bridge/codec/cdr.js';
import type { Clock } from '../bridge/clock.js';
import { libraryCircuit, EVENTUALLY } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rate = { kind: 'rate' as const, tau: 100, rateMax: 100, min: 0, max: 1 };

function config(): BridgeConfig {
  const proximity = { kind: 'current' as const, min: 2, max: 0.2, currentMax: 1 };
  return {
    tickHz: 200,
    watchdogMs: 100,
    inputs: [
      {
        input: 'range_left',
        topic: '/scan',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[4:8]',
        encoder: proximity,
        timeoutMs: 200,
        valid: [0, 30],
      },
      {
        input: 'range_right',
        topic: '/scan',
        type: 'sensor_msgs/msg/LaserScan',
        path: 'ranges[0:4]',
        encoder: proximity,
        timeoutMs: 200,
        valid: [0, 30],
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
            terms: [
              { population: 'motor_left', decoder: rate, weight: 0.5 },
              { population: 'motor_right', decoder: rate, weight: 0.5 },
            ],
            limits: { min: 0, max: 0.5 },
          },
          {
            path: 'angular.z',
            terms: [
              { population: 'motor_right', decoder: rate, weight: 4 },
              { population: 'motor_left', decoder: rate, weight: -4 },
            ],
            limits: { min: -1, max: 1, slewRate: 20 },
          },
        ],
      },
    ],
  };
}

/** `onError`: where the bridge reports failures (stderr when left out). */
function rig(onError?: (message: string) => void) {
  const transport = new MemoryTransport();
  const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
  const bridge = new Bridge(engine, transport, { ...config(), onError });
  const scan = createCodec('sensor_msgs/msg/LaserScan');
  const twist = createCodec('geometry_msgs/msg/Twist');
  const pub = transport.advertise('/scan', 'sensor_msgs/msg/LaserScan', { ...SENSOR_QOS, reliability: 'reliable' });
  const cmds: { at: number; x: number; z: number }[] = [];
  transport.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, (b) => {
    const m = twist.decode(b) as { linear: { x: number }; angular: { z: number } };
    cmds.push({ at: performance.now(), x: m.linear.x, z: m.angular.z });
  });
  const send = (ranges: number[]) => {
    const m = scan.zero();
    m.ranges = ranges;
    pub.publish(scan.encode(m));
  };
  return { engine, bridge, transport, send, pub, cmds };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

/** Publishes the scan every 20 ms (the sensor's rate) for `ms`. */
async function drive(send: (r: number[]) => void, ranges: number[], ms: number) {
  for (let t = 0; t < ms; t += 20) {
    send(ranges);
    await sleep(20);
  }
}

/** Publishes the scan every 20 ms until `check` passes (it throws until then): the loop's response as an event. */
async function driveUntil(send: (r: number[]) => void, ranges: number[], check: () => void) {
  send(ranges);
  const sensor = setInterval(() => send(ranges), 20);
  try {
    await vi.waitFor(check, EVENTUALLY);
  } finally {
    clearInterval(sensor);
  }
}

describe('bridge (memory transport, Braitenberg circuit)', () => {
  it('a LaserScan becomes a Twist: the robot drives forward and turns away from the near side', async () => {
    const r = rig();
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () =>
      expect(r.cmds.at(-1)).toMatchObject({ x: expect.toSatisfy((x: number) => x > 0.05), z: expect.toSatisfy((z: number) => z < -0.05) }),
    );
    const left = r.cmds.at(-1)!;
    await driveUntil(r.send, [0.3, 0.3, 0.3, 0.3, 3, 3, 3, 3], () => {
      expect(r.cmds.at(-1)).toMatchObject({ x: expect.toSatisfy((x: number) => x > 0.05), z: expect.toSatisfy((z: number) => z > 0.05) });
      expect(r.bridge.stats.ticks).toBeGreaterThan(300);
    });
    const right = r.cmds.at(-1)!;
    expect(left.x).toBeGreaterThan(0.05);
    expect(right.x).toBeGreaterThan(0.05);
    // Obstacle on the left: the left wheel speeds up, the robot turns right (negative yaw rate), and back.
    expect(left.z).toBeLessThan(-0.05);
    expect(right.z).toBeGreaterThan(0.05);
    expect(r.bridge.stats.ticks).toBeGreaterThan(300);
    expect(r.bridge.stats.malformed + r.bridge.stats.nonFinite + r.bridge.stats.outOfRange).toBe(0);
  });

  it('a stale input drives the outputs to their safe value within its timeout', async () => {
    const r = rig();
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(Math.abs(r.cmds.at(-1)!.z)).toBeGreaterThan(0.05));
    expect(Math.abs(r.cmds.at(-1)!.z)).toBeGreaterThan(0.05);
    const lastScan = performance.now();
    // Delivery of the last scan and the 20 ms publish period add a little to the 200 ms timeout.
    const late = () => r.cmds.filter((c) => c.at > lastScan + 200 + 60);
    await vi.waitFor(() => expect(late().length).toBeGreaterThan(2), EVENTUALLY);
    const after = late();
    expect(after.length).toBeGreaterThan(2);
    expect(after.every((c) => c.x === 0 && c.z === 0)).toBe(true);
    // Before the timeout it was still driving.
    expect(r.cmds.filter((c) => c.at < lastScan).at(-1)!.x).toBeGreaterThan(0);
  });

  it('a stalled engine trips the watchdog: safe command within watchdogMs, driving again when it recovers', async () => {
    const r = rig();
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(r.cmds.at(-1)?.x).toBeGreaterThan(0));
    let release!: () => void;
    const step = r.engine.step.bind(r.engine);
    (r.engine as { step: (n?: number) => unknown }).step = () => new Promise<void>((res) => (release = res));
    const stalled = performance.now();
    await drive(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], 300);
    expect(r.bridge.stats.watchdogTrips).toBe(1);
    const safe = r.cmds.find((c) => c.at > stalled && c.x === 0 && c.z === 0);
    expect(safe, 'a safe command after the stall').toBeDefined();
    // watchdogMs (100) plus the watchdog's own 25 ms period and timer slack on a loaded machine.
    expect(safe!.at - stalled).toBeLessThan(100 + 25 + 60);
    expect(r.cmds.filter((c) => c.at > safe!.at).every((c) => c.x === 0 && c.z === 0)).toBe(true);
    (r.engine as { step: typeof step }).step = step;
    release();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(r.cmds.at(-1)!.x).toBeGreaterThan(0));
    expect(r.cmds.at(-1)!.x).toBeGreaterThan(0);
  });

  it('a failing engine step (a lost GPU) sends the outputs safe and is reported; the loop survives and drives again', async () => {
    const errors: string[] = [];
    const r = rig((m) => errors.push(m));
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(r.cmds.at(-1)?.x).toBeGreaterThan(0));
    const step = r.engine.step.bind(r.engine);
    (r.engine as { step: (n?: number) => unknown }).step = () => Promise.reject(new Error('device lost'));
    const failedAt = performance.now();
    await drive(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], 300);
    expect(r.bridge.stats.errors).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/device lost; outputs sent to their safe values/);
    const during = r.cmds.filter((c) => c.at > failedAt + 5);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((c) => c.x === 0 && c.z === 0)).toBe(true);
    (r.engine as { step: typeof step }).step = step;
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(r.cmds.at(-1)!.x).toBeGreaterThan(0));
    expect(r.cmds.at(-1)!.x).toBeGreaterThan(0);
  });

  it('malformed CDR, NaN and out-of-range values are dropped and counted, never published', async () => {
    const r = rig();
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(r.cmds.at(-1)?.x).toBeGreaterThan(0));
    r.pub.publish(Uint8Array.of(0, 1, 0, 0, 9, 9));
    r.send([3, 3, 3, NaN, 0.3, 0.3, 0.3, 0.3]);
    r.send([3, 3, 3, 3, 0.3, 0.3, 0.3, 99]);
    // One scan feeds two inputs, so each bad scan counts twice (or once, when only one half is bad).
    await vi.waitFor(
      () => expect(r.bridge.stats.malformed + r.bridge.stats.nonFinite + r.bridge.stats.outOfRange).toBeGreaterThanOrEqual(4),
      EVENTUALLY,
    );
    // A few output periods more, in which a bad value that got through would have been published.
    const seen = r.cmds.length;
    await vi.waitFor(() => expect(r.cmds.length).toBeGreaterThan(seen + 3), EVENTUALLY);
    expect(r.bridge.stats.malformed).toBe(2);
    expect(r.bridge.stats.nonFinite).toBe(1);
    expect(r.bridge.stats.outOfRange).toBe(1);
    expect(r.cmds.every((c) => Number.isFinite(c.x) && Number.isFinite(c.z) && c.x >= 0 && c.x <= 0.5 && Math.abs(c.z) <= 1)).toBe(true);
  });

  it('+inf and -inf ranges (REP 117) are readings: they saturate to the valid bounds', async () => {
    const r = rig();
    cleanup = () => r.bridge.stop();
    r.bridge.start();
    // Nothing in range on the right (+inf), something closer than the minimum on the left (-inf).
    await driveUntil(r.send, [Infinity, Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity, -Infinity], () =>
      expect(r.cmds.at(-1)!.z).toBeLessThan(-0.2),
    );
    expect(r.bridge.stats.nonFinite).toBe(0);
    expect(r.bridge.stats.outOfRange).toBe(0);
    expect(r.bridge.staleInputs()).toEqual([]);
    // -inf saturates to 0 m (as near as it gets): the robot turns hard away from the left, as for 0.3 m.
    expect(r.cmds.at(-1)!.z).toBeLessThan(-0.2);
  });

  it('stop() publishes the safe command and closes the topics', async () => {
    const r = rig();
    r.bridge.start();
    await driveUntil(r.send, [3, 3, 3, 3, 0.3, 0.3, 0.3, 0.3], () => expect(r.cmds.at(-1)?.x).toBeGreaterThan(0));
    const driving = r.cmds.length;
    await r.bridge.stop();
    // The safe command is delivered asynchronously.
    await vi.waitFor(() => expect(r.cmds.length).toBeGreaterThan(driving), EVENTUALLY);
    expect(r.cmds.at(-1)).toMatchObject({ x: 0, z: 0 });
    const n = r.cmds.length;
    // Kept: a window of real time in which no timer of the stopped bridge (watchdog, outputs) may publish.
    await sleep(100);
    expect(r.cmds.length).toBe(n);
  });

  it('stops at once and, started again, ticks at its rate on a fresh wall clock (stop closed the old one)', async () => {
    const r = rig();
    r.bridge.start();
    await sleep(50);
    const t0 = performance.now();
    await r.bridge.stop();
    // stop() closes the bridge's own clock, which releases the loop's wait: no 500 ms cap reached.
    expect(performance.now() - t0).toBeLessThan(400);
    r.bridge.start();
    const before = r.bridge.stats.ticks;
    await sleep(300);
    await r.bridge.stop();
    // 200 Hz for 0.3 s is 60 ticks; a loop on the closed clock would run unpaced (thousands).
    expect(r.bridge.stats.ticks - before).toBeGreaterThan(5);
    expect(r.bridge.stats.ticks - before).toBeLessThan(120);
  });
});

describe('bridge on simulated time (/clock)', () => {
  it('the engine never runs ahead of /clock, catches up when it jumps, and pauses with it', async () => {
    const { SimClock } = await import('../bridge/clock.js');
    const transport = new MemoryTransport();
    const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
    const clock = new SimClock(transport);
    const cfg = { ...config(), clock, watchdogMs: 50 };
    const bridge = new Bridge(engine, transport, cfg);
    const clockCodec = createCodec('rosgraph_msgs/msg/Clock');
    const pub = transport.advertise('/clock', 'rosgraph_msgs/msg/Clock', DEFAULT_QOS);
    const at = (ms: number) =>
      pub.publish(clockCodec.encode({ clock: { sec: Math.floor(ms / 1000), nanosec: Math.round((ms % 1000) * 1e6) } }));
    bridge.start();
    // caughtUp(t): every tick due by simulated time t has run and its messages are delivered.
    await bridge.caughtUp(0);
    expect(engine.backend.stepIndex).toBe(0); // no /clock yet: no tick
    at(1000); // the simulation starts at t = 1 s
    await vi.waitFor(() => expect(clock.started).toBe(true), EVENTUALLY);
    await bridge.caughtUp(1000);
    // The engine starts at the first simulated time it sees: nothing to catch up from zero.
    expect(engine.backend.stepIndex).toBe(0);
    const base = engine.backend.stepIndex;
    const seen: number[] = [];
    for (let t = 1000; t <= 1100; t += 10) {
      at(t);
      await vi.waitFor(() => expect(clock.now()).toBe(t), EVENTUALLY);
      await bridge.caughtUp(t);
      // dt 1 ms: engine steps since the start never exceed simulated milliseconds since the start.
      seen.push(engine.backend.stepIndex - base - (t - 1000));
    }
    expect(Math.max(...seen)).toBeLessThanOrEqual(0);
    expect(engine.backend.stepIndex - base).toBeGreaterThanOrEqual(95);
    expect(bridge.stats.watchdogTrips).toBe(0);
    // A jump of 200 ms is caught up (run, not skipped). While the engine is more than watchdogMs of
    // simulated time behind, the watchdog may send a safe command: whether it does depends on speed.
    at(1300);
    await vi.waitFor(() => expect(clock.now()).toBe(1300), EVENTUALLY);
    await bridge.caughtUp(1300);
    expect(engine.backend.stepIndex - base).toBe(300);
    // Paused simulation: no ticks, and no trip (no simulated time passes).
    const trips = bridge.stats.watchdogTrips;
    const paused = engine.backend.stepIndex;
    // Kept: real time must pass while simulated time does not (the point of the check).
    await sleep(200);
    expect(engine.backend.stepIndex).toBe(paused);
    expect(bridge.stats.watchdogTrips).toBe(trips);
    await bridge.stop();
    clock.close();
    engine.dispose();
  });
});

describe('outputs leave with the tick they are due at', () => {
  it('an output at the tick rate leaves every tick, however long each tick took (a clock that reads its end late or early)', async () => {
    // Time granted tick by tick, catching up; every third tick ends 1.2 ms after it was due, the two after
    // it 0.05 ms (a slow tick, then fast ones).
    class UnevenClock implements Clock {
      readonly catchUp = true;
      private t = 0;
      private late = 0;
      private ticks = 0;
      now(): number {
        return this.t + this.late;
      }
      rosTime(): number {
        return this.now();
      }
      ready(): Promise<void> {
        return Promise.resolve();
      }
      async waitUntil(t: number): Promise<void> {
        await new Promise<void>((r) => setImmediate(r));
        this.t = Math.max(this.t, t);
        this.late = this.ticks++ % 3 === 0 ? 1.2 : 0.05;
      }
      close(): void {}
    }
    const transport = new MemoryTransport();
    const engine = new Engine<Backend>(loadFlat(libraryCircuit('braitenberg/braitenberg')));
    const clock = new UnevenClock();
    const base = config();
    const bridge = new Bridge(engine, transport, {
      ...base,
      tickHz: 1000,
      clock,
      watchdogMs: 1e6,
      outputs: base.outputs.map((o) => ({ ...o, rateHz: 1000 })),
    });
    let twists = 0;
    transport.subscribe('/cmd_vel', 'geometry_msgs/msg/Twist', DEFAULT_QOS, () => twists++);
    bridge.start();
    await vi.waitFor(() => expect(engine.backend.stepIndex).toBeGreaterThanOrEqual(200), EVENTUALLY);
    await bridge.stop();
    await new Promise<void>((r) => setImmediate(r));
    const ticks = engine.backend.stepIndex;
    // One Twist per tick (the last may still be on its way), and the safe command stop() sends. Timed
    // by the tick's end, two ticks in three sent none.
    expect(twists).toBeGreaterThanOrEqual(ticks - 1);
    expect(twists).toBeLessThanOrEqual(ticks + 2);
    engine.dispose();
  });
});
