// The loop's health (bridge/safety/loop-health.ts) on a manual clock: stalls, recovery only after a
// whole watchdog period on time, and the real-time factor bound.
import { describe, expect, it } from 'vitest';
import { LoopHealth } from '../bridge/safety/loop-health.js';

/** Runs ticks of `periodMs` from `from` for `forMs`, each taking `busyMs`, with skip-ahead as the bridge does. */
function run(h: LoopHealth, from: number, forMs: number, periodMs: number, busyMs = 0): number {
  let due = from;
  let t = from;
  while (t < from + forMs) {
    due += periodMs;
    const start = Math.max(t, due);
    const end = start + busyMs;
    h.tick(due, end);
    t = end;
    // As the bridge: after an overrun the next tick runs at once.
    if (t - due > periodMs) due = t - periodMs;
  }
  return t;
}

describe('LoopHealth', () => {
  it('is safe to use while ticks come on time', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    run(h, 0, 1000, 1, 0.05);
    expect(h.unsafe).toBeNull();
  });

  it('a gap longer than the watchdog makes it unsafe until a watchdog period ran on time and a whole window kept real time', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    let t = run(h, 0, 300, 1, 0.05);
    // A 700 ms freeze: the next tick ends 700 ms later.
    t += 700;
    h.tick(t - 0.5, t);
    expect(h.unsafe).toMatch(/recovering from a stall \(no tick for 70\d ms\)/);
    t = run(h, t, 40, 1, 0.05);
    expect(h.unsafe, 'still recovering after 40 ms').not.toBeNull();
    t = run(h, t, 150, 1, 0.05);
    expect(h.unsafe, 'the 200 ms window since the stall is not full yet').not.toBeNull();
    run(h, t, 15, 1, 0.05);
    expect(h.unsafe).toBeNull();
  });

  it('a loop that comes back slow after a stall is never trusted (the window since the stall decides)', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    let t = run(h, 0, 300, 1, 0.05);
    h.stalled('a structural live edit');
    // 4.3 ms ticks at 1 kHz (each runs at once after the last: 0.23x): never on time by the factor.
    for (const at of [5, 58, 120, 206, 400]) {
      t = run(h, t, at === 5 ? 5 : 50, 1, 4.3);
      expect(h.unsafe, `${at} ms after the stall`).not.toBeNull();
    }
    expect(h.unsafe).toMatch(/real time|recovering/);
  });

  it('a stall reported from outside (the guard thread) holds it unsafe the same way', () => {
    const h = new LoopHealth({ watchdogMs: 20, periodMs: 1 });
    let t = run(h, 0, 300, 1);
    h.stalled('the guard thread tripped');
    expect(h.unsafe).toBe('recovering from a stall (the guard thread tripped)');
    t = run(h, t, 190, 1);
    expect(h.unsafe).not.toBeNull();
    run(h, t, 15, 1);
    expect(h.unsafe).toBeNull();
  });

  it('late ticks restart the recovery period', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    let t = run(h, 0, 300, 1);
    h.stalled('test');
    t = run(h, t, 190, 1);
    // One tick 30 ms late (over half the watchdog): on time no longer.
    t += 30;
    h.tick(t - 30, t);
    t = run(h, t, 40, 1);
    expect(h.unsafe, 'the late tick restarted the watchdog period').not.toBeNull();
    run(h, t, 15, 1);
    expect(h.unsafe).toBeNull();
  });

  it('a loop below the real-time bound is unsafe (each 1 ms tick taking 4 ms: 0.25x), and safe again once it keeps up', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1, minRealtimeFactor: 0.5 });
    let t = run(h, 0, 300, 1, 0.05);
    t = run(h, t, 400, 1, 4);
    expect(h.unsafe).toMatch(/runs at 0\.2\dx real time over the last 200 ms \(below 0\.5\)/);
    t = run(h, t, 50, 1, 0.05);
    expect(h.unsafe, 'a quarter of the window fast is not enough').not.toBeNull();
    run(h, t, 200, 1, 0.05);
    expect(h.unsafe).toBeNull();
  });

  it('the bound is configurable: 0.6x passes a 0.5 bound and fails a 0.8 bound (no cliff just past real time)', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1, minRealtimeFactor: 0.5 });
    const t = run(h, 0, 1000, 1, 1 / 0.6);
    expect(h.unsafe).toBeNull();
    h.configure({ minRealtimeFactor: 0.8 });
    run(h, t, 10, 1, 1 / 0.6);
    expect(h.unsafe).toMatch(/runs at 0\.6\dx real time .*below 0\.8/);
    // 1.05 ms ticks at 1 kHz run at 0.95x, not half of real time.
    const k = new LoopHealth({ watchdogMs: 50, periodMs: 1, minRealtimeFactor: 0.9 });
    run(k, 0, 1000, 1, 1.05);
    expect(k.unsafe).toBeNull();
  });
});
