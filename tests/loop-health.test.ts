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
    if (t - due > periodMs) due = t;
  }
  return t;
}

describe('LoopHealth', () => {
  it('is safe to use while ticks come on time', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    run(h, 0, 1000, 1, 0.05);
    expect(h.unsafe).toBeNull();
  });

  it('a gap longer than the watchdog makes it unsafe until a whole watchdog period ran on time', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    let t = run(h, 0, 300, 1, 0.05);
    // A 700 ms freeze: the next tick ends 700 ms later.
    t += 700;
    h.tick(t - 0.5, t);
    expect(h.unsafe).toMatch(/recovering from a stall \(no tick for 70\d ms\)/);
    t = run(h, t, 40, 1, 0.05);
    expect(h.unsafe, 'still recovering after 40 ms of 50').not.toBeNull();
    run(h, t, 15, 1, 0.05);
    expect(h.unsafe).toBeNull();
  });

  it('a stall reported from outside (the guard thread) holds it unsafe the same way', () => {
    const h = new LoopHealth({ watchdogMs: 20, periodMs: 1 });
    let t = run(h, 0, 300, 1);
    h.stalled('the guard thread tripped');
    expect(h.unsafe).toBe('recovering from a stall (the guard thread tripped)');
    t = run(h, t, 10, 1);
    expect(h.unsafe).not.toBeNull();
    run(h, t, 15, 1);
    expect(h.unsafe).toBeNull();
  });

  it('late ticks restart the recovery period', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1 });
    let t = run(h, 0, 300, 1);
    h.stalled('test');
    t = run(h, t, 40, 1);
    // One tick 30 ms late (over half the watchdog): on time no longer.
    t += 30;
    h.tick(t - 30, t);
    t = run(h, t, 40, 1);
    expect(h.unsafe).not.toBeNull();
    run(h, t, 15, 1);
    expect(h.unsafe).toBeNull();
  });

  it('a loop below the real-time bound is unsafe (each 1 ms tick taking 4 ms, then waiting a period after the overrun: 0.2x), and safe again once it keeps up', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1, minRealtimeFactor: 0.5 });
    let t = run(h, 0, 300, 1, 0.05);
    t = run(h, t, 400, 1, 4);
    expect(h.unsafe).toMatch(/runs at 0\.2\dx real time over the last 200 ms \(below 0\.5\)/);
    t = run(h, t, 50, 1, 0.05);
    expect(h.unsafe, 'a quarter of the window fast is not enough').not.toBeNull();
    run(h, t, 200, 1, 0.05);
    expect(h.unsafe).toBeNull();
  });

  it('the bound is configurable: 0.375x passes a 0.3 bound and fails a 0.5 bound', () => {
    const h = new LoopHealth({ watchdogMs: 50, periodMs: 1, minRealtimeFactor: 0.3 });
    const t = run(h, 0, 1000, 1, 5 / 3);
    expect(h.unsafe).toBeNull();
    h.configure({ minRealtimeFactor: 0.5 });
    run(h, t, 10, 1, 5 / 3);
    expect(h.unsafe).toMatch(/runs at 0\.3[78]x real time .*below 0\.5/);
  });
});
