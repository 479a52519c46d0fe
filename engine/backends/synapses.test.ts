import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { delayOrder } from './synapses.js';

describe('delayOrder', () => {
  it("lists each row's synapses once, in order of delay, then of index", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 12 }), { maxLength: 10 }), (rows) => {
        const rowPtr = Uint32Array.from([0, ...rows.map((_, i) => rows.slice(0, i + 1).reduce((a, r) => a + r.length, 0))]);
        const delays = Uint16Array.from(rows.flat());
        const order = delayOrder(rowPtr, delays);
        rows.forEach((row, i) => {
          const got = [...order.subarray(rowPtr[i], rowPtr[i + 1])];
          expect([...got].sort((a, b) => a - b)).toEqual(row.map((_, x) => rowPtr[i] + x));
          for (let x = 1; x < got.length; x++) {
            const [a, b] = [got[x - 1], got[x]];
            expect(delays[a] < delays[b] || (delays[a] === delays[b] && a < b)).toBe(true);
          }
        });
      }),
    );
  });
});
