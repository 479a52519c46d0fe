// The dashboard's spike stream: every tick's spikes (from the bridge's spike tap) are decimated into
// compact binary frames, one frame per 1/frameHz seconds of wall time, shared by every client.
//
// Decimation, server-side, so that a 100k-neuron network costs the browser what a small one does:
// - rows: a population of n neurons shows every stride-th neuron, stride = ceil(n / rowsPerPopulation);
// - a frame keeps at most spikesPerFrame spikes: the budget is shared out between the populations
//   (fair share, what one leaves over goes to the others) and each keeps an evenly spaced subset of its
//   spikes. Each population's true count (before decimation) travels with the frame.
//
// Frame layout (little-endian), kind 1:
//   u8 kind = 1, u8 version = 1, u16 layoutId, u32 steps covered, f64 first step index,
//   u16 populations in this frame, u16 reserved, then per population:
//   u16 layout index, u16 reserved, u32 kept, u32 total, kept x u32 (stepOffset << 16 | row).
// Rows count from 0 at the population's neuron 0 (neuron = row * stride); stepOffset from the first step.
import type { TickSpikes } from '../bridge/bridge.js';
import type { Layout } from './web/protocol.js';
export type { Layout, LayoutPopulation } from './web/protocol.js';

export const FRAME_KIND_SPIKES = 1;
export const FRAME_VERSION = 1;
const HEADER = 20;
const ENTRY = 12;
const MAX_OFFSET = 0xffff;

interface PopBuffer {
  index: number;
  stride: number;
  /** Kept spikes, packed; once full, every other one is dropped and only every keepEvery-th arrival is kept. */
  buf: Uint32Array;
  n: number;
  keepEvery: number;
  seen: number;
  total: number;
}

export class SpikeFrames {
  layout: Layout = { id: 0, dt: 1, populations: [] };
  private pops = new Map<string, PopBuffer>();
  private first = -1;
  private last = -1;
  /** Finished frames waiting for the next take (a frame closes early when its step offsets would overflow). */
  private ready: Uint8Array[] = [];
  /** Spike counts per population and steps since the last takeCounts (for rates: all spikes, not the decimated ones). */
  private counts = new Map<string, number>();
  private countedSteps = 0;

  constructor(
    readonly rowsPerPopulation = 128,
    readonly spikesPerFrame = 4000,
  ) {}

  /** A new set of populations (the circuit changed): frames from now on refer to this layout. */
  setLayout(populations: { name: string; size: number }[], dt: number): Layout {
    this.flushInto();
    const id = (this.layout.id + 1) & 0xffff;
    const hard = Math.max(64, this.spikesPerFrame * 2);
    this.pops = new Map();
    const list = populations.map((p, index) => {
      const stride = Math.max(1, Math.ceil(p.size / this.rowsPerPopulation));
      this.pops.set(p.name, { index, stride, buf: new Uint32Array(hard), n: 0, keepEvery: 1, seen: 0, total: 0 });
      return { name: p.name, size: p.size, stride, rows: Math.ceil(p.size / stride) };
    });
    this.layout = { id, dt, populations: list };
    this.ready = [];
    return this.layout;
  }

  /** The spike tap: one tick's spikes of every population. */
  add(tick: TickSpikes): void {
    this.countedSteps += tick.steps;
    for (const [name, s] of tick.populations) this.counts.set(name, (this.counts.get(name) ?? 0) + s.indices.length);
    if (this.first < 0) this.first = tick.first;
    // A new engine (hot swap) counts steps from 0 again; a long frame would overflow the offsets.
    if (tick.first < this.first || tick.first + tick.steps - this.first > MAX_OFFSET) {
      this.flushInto();
      this.first = tick.first;
    }
    this.last = tick.first + tick.steps;
    const first = this.first;
    for (const [name, s] of tick.populations) {
      const p = this.pops.get(name);
      if (!p) continue;
      const { indices, steps } = s;
      p.total += indices.length;
      const stride = p.stride;
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k];
        if (i % stride !== 0) continue;
        if (++p.seen % p.keepEvery !== 0) continue;
        if (p.n === p.buf.length) {
          // Full: halve what is kept so far and keep every other arrival from now on (an even subset).
          for (let j = 0; j < p.n / 2; j++) p.buf[j] = p.buf[2 * j + 1];
          p.n >>= 1;
          p.keepEvery *= 2;
        }
        p.buf[p.n++] = ((steps[k] - first) << 16) | (i / stride);
      }
    }
  }

  /** Spike counts per population and the steps they cover, since the last call. */
  takeCounts(): { counts: Map<string, number>; steps: number } {
    const out = { counts: this.counts, steps: this.countedSteps };
    this.counts = new Map();
    this.countedSteps = 0;
    return out;
  }

  /** Frames finished since the last take (usually one; none when no step ran). */
  take(): Uint8Array[] {
    this.flushInto();
    const out = this.ready;
    this.ready = [];
    return out;
  }

  private flushInto(): void {
    if (this.first < 0 || this.last <= this.first) return;
    const entries = [...this.pops.values()].filter((p) => p.total > 0);
    // Fair shares of the frame's budget: small populations keep all they have, the rest split what is left.
    const alloc = new Map<PopBuffer, number>();
    let budget = this.spikesPerFrame;
    let open = entries.filter((p) => p.n > 0).sort((a, b) => a.n - b.n);
    while (open.length > 0) {
      const share = Math.floor(budget / open.length);
      const p = open[0];
      if (p.n <= share) {
        alloc.set(p, p.n);
        budget -= p.n;
        open = open.slice(1);
      } else {
        for (const q of open) alloc.set(q, share);
        budget -= share * open.length;
        // The remainder goes to the largest ones, one each.
        for (let j = open.length - 1; j >= 0 && budget > 0; j--, budget--) alloc.set(open[j], share + 1);
        open = [];
      }
    }
    const kept = entries.reduce((a, p) => a + (alloc.get(p) ?? 0), 0);
    // Bytes, not a Node Buffer: a page builds frames too (web/ide.ts).
    const out = new Uint8Array(HEADER + ENTRY * entries.length + 4 * kept);
    const v = new DataView(out.buffer);
    v.setUint8(0, FRAME_KIND_SPIKES);
    v.setUint8(1, FRAME_VERSION);
    v.setUint16(2, this.layout.id, true);
    v.setUint32(4, this.last - this.first, true);
    v.setFloat64(8, this.first, true);
    v.setUint16(16, entries.length, true);
    let o = HEADER;
    for (const p of entries) {
      const a = Math.min(alloc.get(p) ?? 0, p.n);
      v.setUint16(o, p.index, true);
      v.setUint32(o + 4, a, true);
      v.setUint32(o + 8, p.total, true);
      o += ENTRY;
      for (let j = 0; j < a; j++, o += 4) v.setUint32(o, p.buf[Math.floor((j * p.n) / a)] >>> 0, true);
    }
    for (const p of this.pops.values()) {
      p.n = 0;
      p.total = 0;
      p.seen = 0;
      p.keepEvery = 1;
    }
    this.first = this.last;
    this.ready.push(out);
  }
}

/** Reads a spike frame (the format above); for tests and tools. */
export function decodeFrame(buf: Uint8Array): {
  layoutId: number;
  steps: number;
  first: number;
  populations: { index: number; total: number; spikes: { step: number; row: number }[] }[];
} {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint8(0) !== FRAME_KIND_SPIKES) throw new Error(`not a spike frame (kind ${v.getUint8(0)})`);
  const n = v.getUint16(16, true);
  let o = HEADER;
  const populations = [];
  for (let k = 0; k < n; k++) {
    const index = v.getUint16(o, true);
    const kept = v.getUint32(o + 4, true);
    const total = v.getUint32(o + 8, true);
    o += ENTRY;
    const spikes = [];
    for (let j = 0; j < kept; j++, o += 4) {
      const w = v.getUint32(o, true);
      spikes.push({ step: w >>> 16, row: w & 0xffff });
    }
    populations.push({ index, total, spikes });
  }
  return { layoutId: v.getUint16(2, true), steps: v.getUint32(4, true), first: v.getFloat64(8, true), populations };
}

/**
 * One client's share of the stream: a token bucket of `bytesPerSecond` (holding at most half a second)
 * and a limit on what may wait in its socket. Frames that do not fit are dropped; JSON messages are
 * charged (they are small and needed) and may take the bucket below zero, which holds back frames.
 */
export class ClientBudget {
  private tokens: number;
  private at: number;
  dropped = 0;
  sent = 0;

  constructor(
    readonly bytesPerSecond: number,
    readonly bufferLimit: number,
    now = performance.now(),
  ) {
    this.tokens = bytesPerSecond / 2;
    this.at = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.bytesPerSecond / 2, this.tokens + ((now - this.at) / 1000) * this.bytesPerSecond);
    this.at = now;
  }

  /** Whether a frame of `bytes` goes out now to a socket with `buffered` bytes waiting; charges it if so. */
  admitFrame(bytes: number, buffered: number, now = performance.now()): boolean {
    this.refill(now);
    if (buffered > this.bufferLimit || this.tokens < bytes) {
      this.dropped++;
      return false;
    }
    this.tokens -= bytes;
    this.sent += bytes;
    return true;
  }

  /** Charges a JSON message (sent unless the socket is backed up beyond the limit). */
  admitJson(bytes: number, buffered: number, always: boolean, now = performance.now()): boolean {
    if (!always && buffered > this.bufferLimit) return false;
    this.refill(now);
    this.tokens -= bytes;
    this.sent += bytes;
    return true;
  }
}
