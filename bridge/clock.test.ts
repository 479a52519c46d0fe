// The bridge's clocks: WallClock on real time (its waits are what the tick rate rests on, so they are
// measured, with bounds loose enough for a loaded machine), SimClock driven by /clock messages alone,
// ControlledClock (the IDE's run control) on fake timers.
import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest';
import { ControlledClock, WallClock, SimClock } from './clock.js';
import { createCodec } from './codec/cdr.js';
import { MemoryTransport } from './transport/memory.js';
import { DEFAULT_QOS } from './transport/transport.js';

/** Resolves with true when `p` settles before the event loop has turned `turns` times. */
async function settlesWithin(p: Promise<void>, turns = 5): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let k = 0; k < turns && !settled; k++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe('WallClock', () => {
  it('reads performance.now(); ROS time is since the epoch; it is ready at once and does not catch up', async () => {
    const clock = new WallClock();
    const before = performance.now();
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    expect(Math.abs(clock.rosTime() - Date.now())).toBeLessThan(1000);
    expect(clock.catchUp).toBe(false);
    expect(await settlesWithin(clock.ready(), 1)).toBe(true);
    clock.close();
  });

  it('waitUntil resolves no earlier than the time asked for, and at once for a time already past', async () => {
    const clock = new WallClock();
    for (const ahead of [0.3, 2, 12]) {
      const t = clock.now() + ahead;
      await clock.waitUntil(t);
      expect(clock.now()).toBeGreaterThanOrEqual(t);
    }
    expect(await settlesWithin(clock.waitUntil(clock.now() - 5))).toBe(true);
    clock.close();
  });

  it('keeps the event loop turning while it waits: a message sent during a wait arrives before it ends', async () => {
    const clock = new WallClock();
    const transport = new MemoryTransport();
    const pub = transport.advertise('/m', 'rosgraph_msgs/msg/Clock', DEFAULT_QOS);
    const bytes = createCodec('rosgraph_msgs/msg/Clock').encode({ clock: { sec: 0, nanosec: 0 } });
    let arrived: number;
    transport.subscribe('/m', 'rosgraph_msgs/msg/Clock', DEFAULT_QOS, () => (arrived = clock.now()));
    // A machine that stalls for the whole wait proves nothing either way, so a few tries; a clock that
    // blocks until the time is due fails every one.
    let early = 0;
    for (let k = 0; k < 5 && early === 0; k++) {
      arrived = -1;
      // Inside the last 1.5 ms, where the clock sleeps in short blocking slices between turns.
      const t = clock.now() + 1.4;
      const wait = clock.waitUntil(t);
      pub.publish(bytes);
      await wait;
      if (arrived > 0 && arrived < t) early++;
      // A delivery still queued is this try's, not the next one's.
      await new Promise((r) => setImmediate(r));
    }
    expect(early).toBe(1);
    clock.close();
  });

  it('close() releases a pending wait at once, and later waits do not block', async () => {
    const clock = new WallClock();
    const far = clock.waitUntil(clock.now() + 60_000);
    clock.close();
    expect(await settlesWithin(far)).toBe(true);
    expect(await settlesWithin(clock.waitUntil(clock.now() + 60_000))).toBe(true);
  });
});

describe('SimClock', () => {
  const codec = createCodec('rosgraph_msgs/msg/Clock');
  const encode = (ms: number) => codec.encode({ clock: { sec: Math.floor(ms / 1000), nanosec: Math.round((ms % 1000) * 1e6) } });

  /** A SimClock on an in-memory /clock, and a publish that resolves once the sample was delivered. */
  function simulated(topic = '/clock') {
    const transport = new MemoryTransport();
    const clock = new SimClock(transport, topic);
    const pub = transport.advertise(topic, 'rosgraph_msgs/msg/Clock', DEFAULT_QOS);
    // Delivery is asynchronous (setImmediate); one more turn has run every subscriber.
    const send = async (bytes: Uint8Array) => (pub.publish(bytes), await new Promise((r) => setImmediate(r)));
    return { clock, at: (ms: number) => send(encode(ms)), send };
  }

  it('has no time before the first /clock message: not started, now() 0, and ready() waits for it', async () => {
    const { clock, at } = simulated();
    expect(clock.started).toBe(false);
    expect(clock.now()).toBe(0);
    expect(clock.catchUp).toBe(true);
    const ready = clock.ready();
    // Nothing is due before the first message, not even a time in the past.
    const early = clock.waitUntil(-1000);
    expect(await settlesWithin(ready)).toBe(false);
    await at(1500.25);
    expect(await settlesWithin(ready)).toBe(true);
    expect(await settlesWithin(early)).toBe(true);
    expect(clock.started).toBe(true);
    expect(clock.now()).toBeCloseTo(1500.25, 6);
    expect(clock.rosTime()).toBe(clock.now());
    clock.close();
  });

  it('waitUntil resolves when simulated time reaches it, whatever the wall clock does', async () => {
    const { clock, at } = simulated('/sim/clock');
    await at(1000);
    const w1010 = clock.waitUntil(1010);
    const w1050 = clock.waitUntil(1050);
    await at(1009);
    expect(await settlesWithin(w1010)).toBe(false);
    await at(1010);
    expect(await settlesWithin(w1010)).toBe(true);
    expect(await settlesWithin(w1050)).toBe(false);
    // A jump releases every wait it passes.
    await at(2000);
    expect(await settlesWithin(w1050)).toBe(true);
    expect(await settlesWithin(clock.waitUntil(1999))).toBe(true);
    clock.close();
  });

  it('only moves forward, counts undecodable messages, and close() releases what waits', async () => {
    const { clock, at, send } = simulated();
    await at(5000);
    await at(4000); // a reset of the simulation needs a restart of the bridge
    expect(clock.now()).toBe(5000);
    await send(Uint8Array.from([0, 1, 0, 0, 7]));
    expect(clock.malformed).toBe(1);
    expect(clock.now()).toBe(5000);
    const pending = clock.waitUntil(9000);
    clock.close();
    expect(await settlesWithin(pending)).toBe(true);
    // Unsubscribed: later messages no longer move it.
    await at(6000);
    expect(clock.now()).toBe(5000);
  });
});

/** Whether `p` has settled once pending timers and immediates up to `ms` from now have run. */
async function settledAfter(p: Promise<void>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(ms);
  return done;
}

describe('ControlledClock (the IDE run control)', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] }));
  afterEach(() => void vi.useRealTimers());

  it('runs in real time: a wait for clock time 5 ms ends after 5 ms of wall time, not before', async () => {
    const c = new ControlledClock();
    const w = c.waitUntil(5);
    expect(await settledAfter(w, 4)).toBe(false);
    expect(await settledAfter(w, 2)).toBe(true);
    expect(c.now()).toBe(5);
  });

  it('runs as fast as possible without wall time passing', async () => {
    const c = new ControlledClock();
    c.setSpeed('fast');
    for (let t = 1; t <= 100; t++) expect(await settledAfter(c.waitUntil(t), 0)).toBe(true);
    expect(c.now()).toBe(100);
  });

  it('holds time while paused, grants exactly one tick per step, and runs on from there', async () => {
    const c = new ControlledClock();
    c.pause();
    const first = c.waitUntil(1);
    expect(await settledAfter(first, 1000)).toBe(false);
    expect(c.now()).toBe(0);
    c.step();
    expect(await settledAfter(first, 0)).toBe(true);
    const second = c.waitUntil(2);
    expect(await settledAfter(second, 1000)).toBe(false);
    expect(c.now()).toBe(1);
    c.run();
    // Real time counts from the moment it runs again, not from the start.
    expect(await settledAfter(second, 0)).toBe(false);
    expect(await settledAfter(second, 1)).toBe(true);
    expect(c.now()).toBe(2);
  });

  it('yields to the event loop before every tick, also behind real time', async () => {
    const c = new ControlledClock();
    await vi.advanceTimersByTimeAsync(50);
    // Due long ago: granted, but only after a turn of the event loop (a request waiting there gets in).
    let granted = false;
    void c.waitUntil(1).then(() => (granted = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toBe(true);
  });

  it("wakes every pending wait on a change: a stopped loop's wait left behind does not strand the next one", async () => {
    const c = new ControlledClock();
    const old = c.waitUntil(10);
    const next = c.waitUntil(10);
    await vi.advanceTimersByTimeAsync(3);
    c.pause();
    // The old wait's timer would have fired here; both stay held.
    expect(await settledAfter(old, 20)).toBe(false);
    expect(await settledAfter(next, 0)).toBe(false);
    c.run();
    expect(await settledAfter(next, 10)).toBe(true);
    expect(await settledAfter(old, 0)).toBe(true);
  });

  it('a step asked for while paused and not taken does not carry over to the next pause', async () => {
    const c = new ControlledClock();
    c.pause();
    c.step();
    c.run();
    expect(await settledAfter(c.waitUntil(1), 1)).toBe(true);
    c.pause();
    expect(await settledAfter(c.waitUntil(2), 100)).toBe(false);
  });

  it('a pause during a real-time wait holds it; close releases every wait', async () => {
    const c = new ControlledClock();
    const w = c.waitUntil(10);
    await vi.advanceTimersByTimeAsync(3);
    c.pause();
    expect(await settledAfter(w, 100)).toBe(false);
    c.close();
    expect(await settledAfter(w, 0)).toBe(true);
    expect(c.now()).toBe(0);
  });
});
