import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { boundCall, boundCallAfter, boundCallWithLast, callReading } from './bound-call.js';

/** Records what it was called with; returns the count of arguments. */
function recorder() {
  const calls: number[][] = [];
  const f = (...a: number[]) => {
    calls.push(a);
    return a.length;
  };
  return { f, calls };
}

describe('bound calls', () => {
  it('pass exactly the list given, in order, copied when bound', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 48 }), fc.double(), (args, last) => {
        const { f, calls } = recorder();
        const list = [...args];
        const call = boundCall(f, list);
        const withLast = boundCallWithLast(f, list);
        list.push(1); // a later change to the list is not seen
        expect(call()).toBe(args.length);
        expect(withLast(last)).toBe(args.length + 1);
        expect(calls[0]).toEqual(args);
        expect(calls[1]).toEqual([...args, last]);
      }),
    );
  });

  it('put four leading arguments and the list before the bound ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double(), { maxLength: 40 }),
        fc.array(fc.double(), { maxLength: 8 }),
        fc.tuple(fc.double(), fc.double(), fc.double(), fc.double()),
        (args, list, [a, b, c, d]) => {
          const { f, calls } = recorder();
          const bound = [...args];
          const call = boundCallAfter(f, bound, list.length);
          bound.push(1); // a later change to the bound list is not seen
          const levels = Float64Array.from(list);
          expect(call(a, b, c, d, levels)).toBe(4 + list.length + args.length);
          levels.fill(7); // the list is read at each call
          call(a, b, c, d, levels);
          expect(calls[0]).toEqual([a, b, c, d, ...Float64Array.from(list), ...args]);
          expect(calls[1]).toEqual([a, b, c, d, ...list.map(() => 7), ...args]);
        },
      ),
    );
  });

  it('reads exactly count arguments from the list at the offset', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 64 }), fc.nat(64), fc.nat(48), (list, at, count) => {
        fc.pre(at + count <= list.length);
        const { f, calls } = recorder();
        expect(callReading(count)(f, Float64Array.from(list), at)).toBe(count);
        expect(calls[0]).toEqual(Array.from(Float64Array.from(list.slice(at, at + count))));
      }),
    );
  });

  it('refuses an argument that is not a number', () => {
    const { f } = recorder();
    const bad: number[] = JSON.parse('[1, "x"]'); // what an unchecked caller could pass
    expect(() => boundCall(f, bad)).toThrow(/not a number/);
  });

  it('calls a WebAssembly export with its arguments', () => {
    // (param f64 f64 f64) (result f64): a - b * c, so the order of the arguments shows
    const bytes = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7c, 0x7c, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00,
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xa2, 0xa1, 0x0b,
    ]);
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as (...a: number[]) => number;
    expect(boundCall(f, [10, 2, 3])()).toBe(4);
    expect(callReading(3)(f, [0, 7, 1, 5], 1)).toBe(2);
  });
});
