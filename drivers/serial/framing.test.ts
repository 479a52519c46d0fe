// The serial framers on their own: every stream split at every position gives the same frames.
import { describe, it, expect } from 'vitest';
import {
  crc16CcittFalse,
  LineDeframer,
  JsonLinesDeframer,
  BinaryFrameDeframer,
  SlipDeframer,
  CobsDeframer,
  encodeLine,
  encodeJsonLine,
  encodeBinaryFrame,
  encodeSlip,
  encodeCobs,
  decodeCobs,
  createDeframer,
  encodeFrame,
  type Deframer,
  type FramingSpec,
} from './framing.js';
import { bytes, cat } from '../../tests/fixtures/bytes.js';

const enc = new TextEncoder();

/** Feeds `data` split at every position into fresh deframers and checks each gives `expected`. */
function splitEverywhere<T>(make: () => Deframer<T>, data: Uint8Array, expected: T[], garbled: number) {
  for (let cut = 0; cut <= data.length; cut++) {
    const d = make();
    const got = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))];
    expect(got, `cut at ${cut}`).toEqual(expected);
    expect(d.garbled, `garbled, cut at ${cut}`).toBe(garbled);
  }
  // And one byte at a time.
  const d = make();
  const got: T[] = [];
  for (const b of data) got.push(...d.push(bytes(b)));
  expect(got).toEqual(expected);
  expect(d.garbled).toBe(garbled);
}

describe('serial framing', () => {
  it('CRC-16/CCITT-FALSE check value', () => {
    expect(crc16CcittFalse(enc.encode('123456789'))).toBe(0x29b1);
  });

  it('lines: split anywhere, CR stripped, overlong and invalid UTF-8 counted and dropped', () => {
    const data = cat(enc.encode('a=1\r\nhello wörld\n'), enc.encode('x'.repeat(20) + '\n'), bytes(0xff, 0xfe, 0x0a), enc.encode('ok\n'));
    splitEverywhere(() => new LineDeframer({ maxLength: 16 }), data, ['a=1', 'hello wörld', 'ok'], 2);
    expect(new LineDeframer({ maxLength: 3 }).push(enc.encode('abc\r\nabcd\n'))).toEqual(['abc']);
    expect(new TextDecoder().decode(encodeLine('M 1 2'))).toBe('M 1 2\n');
  });

  it('json lines: invalid JSON counted, blank lines ignored', () => {
    const data = cat(encodeJsonLine({ a: { b: [1, 2] } }), enc.encode('{"broken": \n\n'), encodeJsonLine([3]), enc.encode('nope\n'));
    splitEverywhere(() => new JsonLinesDeframer(), data, [{ a: { b: [1, 2] } }, [3]], 2);
  });

  it('binary: sync + payload + CRC; junk and bad CRCs counted; resyncs inside a bad frame', () => {
    const opts = { length: 4, sync: 0xaa };
    const f1 = encodeBinaryFrame(bytes(1, 2, 3, 4), opts);
    const f2 = encodeBinaryFrame(bytes(0xaa, 0xaa, 0, 0xaa), opts);
    expect(f1.length).toBe(7);
    const bad = Uint8Array.from(f1);
    bad[3] ^= 0x40;
    // junk run, f1, bad frame, f2, a truncated frame (sync + 2 bytes) then f1: the truncated frame's
    // sync makes a bad CRC window that overlaps f1; the deframer must still find f1.
    const data = cat(bytes(0x00, 0x13, 0x37), f1, bad, f2, bytes(0xaa, 9, 9), f1);
    const make = () => new BinaryFrameDeframer(opts);
    const d = make();
    const got = d.push(data);
    expect(got).toEqual([bytes(1, 2, 3, 4), bytes(0xaa, 0xaa, 0, 0xaa), bytes(1, 2, 3, 4)]);
    splitEverywhere(make, data, got, d.garbled);
    expect(d.garbled).toBe(3); // junk run, bad frame, truncated frame
    expect(() => encodeBinaryFrame(bytes(1), opts)).toThrow(/payload/);
  });

  it('SLIP: escapes round trip; bad escape and overlong counted', () => {
    const p1 = bytes(1, 0xc0, 2, 0xdb, 3);
    const p2 = bytes(0xdb, 0xdc, 0xdd, 0xc0);
    expect(encodeSlip(p1)).toEqual(bytes(0xc0, 1, 0xdb, 0xdc, 2, 0xdb, 0xdd, 3, 0xc0));
    const badEsc = bytes(0xc0, 5, 0xdb, 0x07, 6, 0xc0);
    const long = encodeSlip(new Uint8Array(40).fill(7));
    const data = cat(encodeSlip(p1), badEsc, long, encodeSlip(p2));
    splitEverywhere(() => new SlipDeframer({ maxLength: 32 }), data, [p1, p2], 2);
  });

  it('COBS: reference vectors, 254-byte blocks, malformed and overlong counted', () => {
    expect(encodeCobs(bytes(0))).toEqual(bytes(1, 1, 0));
    expect(encodeCobs(bytes(0, 0))).toEqual(bytes(1, 1, 1, 0));
    expect(encodeCobs(bytes(0x11, 0x22, 0, 0x33))).toEqual(bytes(3, 0x11, 0x22, 2, 0x33, 0));
    const run = Uint8Array.from({ length: 300 }, (_, i) => (i % 255) + 1);
    for (const p of [bytes(), bytes(0), run, run.subarray(0, 254), run.subarray(0, 253), cat(run, bytes(0, 0))]) {
      const e = encodeCobs(p);
      expect(e.subarray(0, -1).includes(0)).toBe(false);
      expect(decodeCobs(e.subarray(0, -1))).toEqual(p);
    }
    const malformed = bytes(5, 1, 2, 0); // code 5 runs past the end
    const data = cat(
      encodeCobs(bytes(1, 0, 2)),
      malformed,
      bytes(0, 0),
      encodeCobs(new Uint8Array(50).fill(9)),
      encodeCobs(bytes(0, 0xff)),
    );
    splitEverywhere(() => new CobsDeframer({ maxLength: 40 }), data, [bytes(1, 0, 2), bytes(0, 0xff)], 2);
  });

  it('a declared framing spec gives the matching deframer, and encodeFrame is its inverse', () => {
    const specs: [FramingSpec, unknown][] = [
      [{ kind: 'lines' }, 'M 1 2'],
      [{ kind: 'json' }, { cmd: [1, 2] }],
      [{ kind: 'binary', length: 3, sync: 0x7e }, bytes(1, 0x7e, 3)],
      [{ kind: 'slip' }, bytes(0xc0, 0xdb, 5)],
      [{ kind: 'cobs' }, bytes(0, 1, 0)],
    ];
    for (const [spec, msg] of specs) {
      const d = createDeframer(spec);
      expect(d.push(cat(encodeFrame(spec, msg), encodeFrame(spec, msg))), spec.kind).toEqual([msg, msg]);
      expect(d.garbled, spec.kind).toBe(0);
    }
  });
});
