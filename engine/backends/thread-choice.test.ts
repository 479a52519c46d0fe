import { describe, it, expect } from 'vitest';
import { ThreadChoice } from './thread-choice.js';

describe('ThreadChoice', () => {
  it('warms up on two threads, then alternates one and two, and keeps two only when clearly faster', () => {
    const c = new ThreadChoice({ blockSteps: 10, blocks: 3, margin: 0.05, recheckAfterSteps: 0 });
    const seen: number[] = [];
    // Two threads take 9 ms a block, one 10 ms: 10% faster, past the 5% margin.
    while (c.decision === null) {
      const t = c.next();
      seen.push(t);
      c.record(t, t === 2 ? 9 : 10);
    }
    expect(seen).toEqual([2, 1, 2, 1, 2, 1, 2]);
    expect(c.totalSteps).toBe(300 + 6 * 10);
    expect(c.decision).toBe(2);
    expect(c.next()).toBe(2);
    expect(c.summary()).toEqual({ one: 1000, two: 900 });
  });

  it('keeps one thread when two gain less than the margin, or lose; the warm-up block is not counted', () => {
    const close = new ThreadChoice({ blockSteps: 10, warmupSteps: 40, recheckAfterSteps: 0 });
    expect([close.nextSteps(), close.next()]).toEqual([40, 2]);
    let first = true;
    while (close.decision === null) {
      const t = close.next();
      // A slow first block (JIT, caches) on two threads would count against them if it were measured.
      close.record(t, first ? 1000 : t === 2 ? 9.8 : 10);
      first = false;
    }
    expect(close.decision).toBe(1);
    const worse = new ThreadChoice({ blockSteps: 10, recheckAfterSteps: 0 });
    while (worse.decision === null) worse.record(worse.next(), worse.next() === 2 ? 20 : 10);
    expect(worse.decision).toBe(1);
    expect(worse.next()).toBe(1);
  });

  it('uses the median block: one slow block (another process) does not decide', () => {
    const c = new ThreadChoice({ blockSteps: 10, blocks: 3, recheckAfterSteps: 0 });
    let k = 0;
    while (c.decision === null) {
      const t = c.next();
      // The second one-thread block is disturbed: 100 ms.
      c.record(t, t === 1 ? (k++ === 1 ? 100 : 10) : 8);
    }
    expect(c.decision).toBe(2);
    expect(c.summary().one).toBe(1000);
  });

  it("holds the first round's choice, then measures again, and the second round decides", () => {
    const c = new ThreadChoice({ blockSteps: 10, blocks: 3, warmupSteps: 40, recheckAfterSteps: 1000 });
    const seen: [number, number][] = [];
    // Early on (V8 still compiling) two threads look slower; after the hold they are 30% faster.
    let late = false;
    while (c.decision === null) {
      const t = c.next();
      const steps = c.nextSteps();
      seen.push([t, steps]);
      if (steps === 1000) {
        expect(c.provisional).toBe(1);
        late = true;
      }
      c.record(t, late ? (t === 2 ? 7 : 10) : t === 2 ? 12 : 10);
    }
    expect(seen).toEqual([
      [2, 40],
      [1, 10],
      [2, 10],
      [1, 10],
      [2, 10],
      [1, 10],
      [2, 10],
      [1, 1000],
      [2, 40],
      [1, 10],
      [2, 10],
      [1, 10],
      [2, 10],
      [1, 10],
      [2, 10],
    ]);
    expect(c.totalSteps).toBe(40 + 60 + 1000 + 40 + 60);
    expect(seen.reduce((a, [, n]) => a + n, 0)).toBe(c.totalSteps);
    expect(c.decision).toBe(2);
    expect(c.provisional).toBeNull();
    expect(c.summary()).toEqual({ one: 1000, two: 700 });
    expect(c.first).toEqual({ threads: 1, oneUs: 1000, twoUs: 1200 });
  });
});
