// Framing for serial devices: pure framers (message -> bytes) and deframers (byte chunks -> messages).
// A deframer takes Uint8Array chunks that may split a frame anywhere (or hold several frames) and
// returns the complete frames in each chunk. Garbled input (bad checksum, bad escape, overlong, invalid
// UTF-8 or JSON, junk between frames) is counted in `garbled` and dropped; the deframer
// resynchronises on the next frame. Memory is bounded by each deframer's maximum frame length.
//
// Formats:
//   lines   newline-delimited text (LF; a CR before it is stripped), UTF-8, at most `maxLength` bytes
//           a line. An overlong line is dropped up to its newline and counted once.
//   json    JSON lines: one JSON value per line; a line that does not parse is counted and dropped.
//   binary  fixed-size frames: sync byte, `length` payload bytes, CRC-16/CCITT-FALSE of the payload
//           (poly 0x1021, init 0xFFFF, no reflection, no final xor; check value of "123456789" is
//           0x29B1), big-endian. On a bad CRC only the sync byte is skipped and the search goes on
//           from the next byte, so a frame that starts inside a garbled one is still found.
//   slip    RFC 1055: END 0xC0, ESC 0xDB, ESC_END 0xDC, ESC_ESC 0xDD. Frames are sent as END payload
//           END (the leading END flushes line noise, as the RFC suggests); empty frames are ignored.
//           A bad escape or an overlong frame drops the frame up to the next END.
//   cobs    Consistent Overhead Byte Stuffing (Cheshire & Baker 1999), frames delimited by 0x00;
//           a code byte that runs past the frame end, or an overlong frame, drops the frame.
//
// Why no npm library: serialport's own parsers (@serialport/parser-readline, parser-slip-encoder's
// SlipDecoder) are Node Transform streams with no error counting, no maximum frame length (a device
// that never sends a delimiter grows the buffer without bound) and, for SLIP, no bad-escape detection;
// the COBS packages on npm (`cobs`, `cobs-ts`...) are single-author and unmaintained for years and
// work on whole buffers, not split chunks. Each format here is a few dozen lines, tested directly.

/** A deframer: feed chunks, get the complete frames they finish. */
export interface Deframer<T> {
  push(chunk: Uint8Array): T[];
  /** Frames (or runs of junk) dropped since creation. */
  readonly garbled: number;
  /** Forgets any partial frame (after a reconnect: the rest of an old frame never comes). */
  reset(): void;
}

const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------------
// CRC-16/CCITT-FALSE

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/CCITT-FALSE of `data[start, end)`. */
export function crc16CcittFalse(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ data[i]) & 0xff];
  return crc;
}

// ---------------------------------------------------------------------------------------------------
// Newline-delimited text

export interface LineOptions {
  /** Longest line in bytes, without its newline (default 1024). */
  maxLength?: number;
}

export class LineDeframer implements Deframer<string> {
  private readonly max: number;
  private buf: Uint8Array;
  private len = 0;
  private overlong = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  garbled = 0;

  constructor(opts: LineOptions = {}) {
    this.max = opts.maxLength ?? 1024;
    if (!(this.max >= 1)) throw new RangeError('lines: maxLength must be >= 1');
    this.buf = new Uint8Array(this.max + 1);
  }

  push(chunk: Uint8Array): string[] {
    const out: string[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        if (this.overlong) {
          this.overlong = false;
        } else {
          let n = this.len;
          if (n > 0 && this.buf[n - 1] === 0x0d) n--;
          try {
            out.push(this.decoder.decode(this.buf.subarray(0, n)));
          } catch {
            this.garbled++;
          }
        }
        this.len = 0;
      } else if (!this.overlong) {
        // One byte of slack for a CR before the LF.
        if (this.len >= this.max + 1 || (this.len === this.max && b !== 0x0d)) {
          this.overlong = true;
          this.garbled++;
          this.len = 0;
        } else {
          this.buf[this.len++] = b;
        }
      }
    }
    return out;
  }

  reset(): void {
    this.len = 0;
    this.overlong = false;
  }
}

export function encodeLine(text: string): Uint8Array {
  return enc.encode(text.endsWith('\n') ? text : text + '\n');
}

// ---------------------------------------------------------------------------------------------------
// JSON lines

export class JsonLinesDeframer implements Deframer<unknown> {
  private readonly lines: LineDeframer;
  private bad = 0;

  constructor(opts: LineOptions = {}) {
    this.lines = new LineDeframer({ maxLength: opts.maxLength ?? 4096 });
  }

  get garbled(): number {
    return this.lines.garbled + this.bad;
  }

  push(chunk: Uint8Array): unknown[] {
    const out: unknown[] = [];
    for (const line of this.lines.push(chunk)) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        this.bad++;
      }
    }
    return out;
  }

  reset(): void {
    this.lines.reset();
  }
}

export function encodeJsonLine(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value) + '\n');
}

// ---------------------------------------------------------------------------------------------------
// Fixed-size binary frames: sync, payload[length], crc16 (big-endian, over the payload)

export interface BinaryFrameOptions {
  /** Payload bytes per frame. */
  length: number;
  /** Sync byte (default 0xAA). */
  sync?: number;
}

export class BinaryFrameDeframer implements Deframer<Uint8Array> {
  readonly length: number;
  readonly sync: number;
  private readonly frameSize: number;
  private buf: Uint8Array;
  private len = 0;
  private inJunk = false;
  garbled = 0;

  constructor(opts: BinaryFrameOptions) {
    if (!Number.isInteger(opts.length) || opts.length < 1 || opts.length > 65535) throw new RangeError('binary: length must be 1..65535');
    this.length = opts.length;
    this.sync = opts.sync ?? 0xaa;
    this.frameSize = this.length + 3;
    this.buf = new Uint8Array(this.frameSize * 2);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.buf.length - this.len);
      this.buf.set(chunk.subarray(off, off + n), this.len);
      this.len += n;
      off += n;
      this.scan(out);
    }
    return out;
  }

  private skipJunk(): void {
    if (!this.inJunk) {
      this.garbled++;
      this.inJunk = true;
    }
  }

  private scan(out: Uint8Array[]): void {
    let p = 0;
    const { buf, frameSize, length } = this;
    while (p < this.len) {
      if (buf[p] !== this.sync) {
        this.skipJunk();
        p++;
        continue;
      }
      if (this.len - p < frameSize) break;
      const crc = (buf[p + 1 + length] << 8) | buf[p + 2 + length];
      if (crc16CcittFalse(buf, p + 1, p + 1 + length) === crc) {
        out.push(buf.slice(p + 1, p + 1 + length));
        p += frameSize;
        this.inJunk = false;
      } else {
        // Bad frame: count it, then look for a sync byte from the next byte on.
        this.garbled++;
        this.inJunk = true;
        p++;
      }
    }
    buf.copyWithin(0, p, this.len);
    this.len -= p;
  }

  reset(): void {
    this.len = 0;
    this.inJunk = false;
  }
}

export function encodeBinaryFrame(payload: Uint8Array, opts: BinaryFrameOptions): Uint8Array {
  if (payload.length !== opts.length) throw new RangeError(`binary: payload is ${payload.length} bytes, frames carry ${opts.length}`);
  const out = new Uint8Array(payload.length + 3);
  out[0] = opts.sync ?? 0xaa;
  out.set(payload, 1);
  const crc = crc16CcittFalse(payload);
  out[payload.length + 1] = crc >> 8;
  out[payload.length + 2] = crc & 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// SLIP (RFC 1055)

const END = 0xc0;
const ESC = 0xdb;
const ESC_END = 0xdc;
const ESC_ESC = 0xdd;

export interface PacketOptions {
  /** Longest decoded frame in bytes (default 1024). */
  maxLength?: number;
}

export class SlipDeframer implements Deframer<Uint8Array> {
  private readonly max: number;
  private readonly buf: Uint8Array;
  private len = 0;
  private escaped = false;
  private bad = false;
  garbled = 0;

  constructor(opts: PacketOptions = {}) {
    this.max = opts.maxLength ?? 1024;
    this.buf = new Uint8Array(this.max);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < chunk.length; i++) {
      let b = chunk[i];
      if (b === END) {
        if (this.bad || this.escaped) this.garbled++;
        else if (this.len > 0) out.push(this.buf.slice(0, this.len));
        this.len = 0;
        this.escaped = false;
        this.bad = false;
        continue;
      }
      if (this.bad) continue;
      if (this.escaped) {
        this.escaped = false;
        if (b === ESC_END) b = END;
        else if (b === ESC_ESC) b = ESC;
        else {
          this.bad = true;
          continue;
        }
      } else if (b === ESC) {
        this.escaped = true;
        continue;
      }
      if (this.len >= this.max) {
        this.bad = true;
        continue;
      }
      this.buf[this.len++] = b;
    }
    return out;
  }

  reset(): void {
    this.len = 0;
    this.escaped = false;
    this.bad = false;
  }
}

export function encodeSlip(payload: Uint8Array): Uint8Array {
  let n = 2;
  for (const b of payload) n += b === END || b === ESC ? 2 : 1;
  const out = new Uint8Array(n);
  let j = 0;
  out[j++] = END;
  for (const b of payload) {
    if (b === END) {
      out[j++] = ESC;
      out[j++] = ESC_END;
    } else if (b === ESC) {
      out[j++] = ESC;
      out[j++] = ESC_ESC;
    } else out[j++] = b;
  }
  out[j] = END;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// COBS

export function encodeCobs(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + Math.ceil(payload.length / 254) + 2);
  let codeAt = 0;
  let code = 1;
  let j = 1;
  for (const b of payload) {
    if (b === 0) {
      out[codeAt] = code;
      codeAt = j++;
      code = 1;
    } else {
      out[j++] = b;
      if (++code === 0xff) {
        out[codeAt] = code;
        codeAt = j++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  out[j++] = 0;
  return out.slice(0, j);
}

/** Decodes one COBS frame (without its 0x00 delimiter); null when it is malformed. */
export function decodeCobs(frame: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(frame.length);
  let i = 0;
  let j = 0;
  while (i < frame.length) {
    const code = frame[i];
    if (code === 0 || i + code > frame.length) return null;
    for (let k = 1; k < code; k++) out[j++] = frame[i + k];
    i += code;
    if (code !== 0xff && i < frame.length) out[j++] = 0;
  }
  return out.slice(0, j);
}

export class CobsDeframer implements Deframer<Uint8Array> {
  private readonly max: number;
  private readonly buf: Uint8Array;
  private len = 0;
  private overlong = false;
  garbled = 0;

  constructor(opts: PacketOptions = {}) {
    this.max = opts.maxLength ?? 1024;
    // Encoded size of a `max` payload.
    this.buf = new Uint8Array(this.max + Math.ceil(this.max / 254) + 1);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0) {
        if (this.overlong) this.garbled++;
        else if (this.len > 0) {
          const frame = decodeCobs(this.buf.subarray(0, this.len));
          if (frame && frame.length <= this.max) out.push(frame);
          else this.garbled++;
        }
        this.len = 0;
        this.overlong = false;
      } else if (!this.overlong) {
        if (this.len >= this.buf.length) this.overlong = true;
        else this.buf[this.len++] = b;
      }
    }
    return out;
  }

  reset(): void {
    this.len = 0;
    this.overlong = false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Framing specs (as declared in a device document) -> deframer and framer

export type FramingSpec =
  | ({ kind: 'lines' } & LineOptions)
  | ({ kind: 'json' } & LineOptions)
  | ({ kind: 'binary' } & BinaryFrameOptions)
  | ({ kind: 'slip' } & PacketOptions)
  | ({ kind: 'cobs' } & PacketOptions);

/** What a frame decodes to: text for `lines`, a JSON value for `json`, bytes otherwise. */
export type FrameOf<F extends FramingSpec['kind']> = F extends 'lines' ? string : F extends 'json' ? unknown : Uint8Array;

export function createDeframer(spec: FramingSpec): Deframer<string | unknown | Uint8Array> {
  switch (spec.kind) {
    case 'lines':
      return new LineDeframer(spec);
    case 'json':
      return new JsonLinesDeframer(spec);
    case 'binary':
      return new BinaryFrameDeframer(spec);
    case 'slip':
      return new SlipDeframer(spec);
    case 'cobs':
      return new CobsDeframer(spec);
  }
}

/** Wraps one message: a string for `lines`, any JSON value for `json`, payload bytes otherwise. */
export function encodeFrame(spec: FramingSpec, msg: unknown): Uint8Array {
  switch (spec.kind) {
    case 'lines':
      return encodeLine(String(msg));
    case 'json':
      return encodeJsonLine(msg);
    case 'binary':
      return encodeBinaryFrame(msg as Uint8Array, spec);
    case 'slip':
      return encodeSlip(msg as Uint8Array);
    case 'cobs':
      return encodeCobs(msg as Uint8Array);
  }
}
