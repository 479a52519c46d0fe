// Distributed circuits: a population's spikes sent to other Flux processes, one compact message per
// tick, and received there by a relay population that fires them again with a stated delay.
//
// Wire format (one message per tick, ROS 2 type flux_msgs/msg/SpikeTick, XCDR1 little endian):
//   uint64 tick        # the sender's tick number, 0 at its first tick
//   uint64 first_step  # the sender engine's step index of the tick's first step
//   float64 dt         # the sender's step (ms)
//   uint32 steps       # steps in the tick
//   uint32 size        # neurons in the population
//   uint32[] index     # neuron of each spike, in step order
//   uint16[] offset    # step within the tick of each spike (0 .. steps-1)
// Six bytes per spike plus 40 of framing: a 10,000-neuron population at 10 Hz sends about 600 B per
// millisecond tick.
//
// The receiving circuit declares the relay: a `poisson` population with rate 0 and the remote
// population's size, and a rate-mode input targeting it. A spike is replayed by driving the relay
// neuron with a rate so high that it fires with certainty in exactly one step (RELAY_DRIVE).
//
// Delay semantics. A spike the sender's population fires at step s of its tick k is fired by the relay
// at the same step offset of the receiver's tick k + D (D = `delay`, at least 1 tick), then travels the
// receiving circuit's projections with their own delays. With equal steps per tick this is exactly the
// one-process circuit with every projection from the population delayed by D ticks more.
//   - `lockstep` (default): receiver tick r waits for the sender's tick r - D (up to `timeout` once the
//     first message has come; before it, as long as it takes), so the
//     split circuit is deterministic and matches the one-process run. The sender waits for `wait_for`
//     receivers before its first tick so that none of its ticks is missed. A timeout counts the tick as
//     missed and drops the link to `free`: a robot never stalls on a peer. While the sender is silent
//     (nothing since the miss, or for longer than the timeout) the link is `lost` and a bridge holds its
//     outputs safe: part of its circuit is missing. A sender that restarts (its ticks from 0 again) is
//     taken up in lockstep from the receiver's next tick (a resync).
//   - `free`: whatever arrived before a tick is fired in that tick (offsets kept); the delay is then
//     one tick plus the transport's latency, and varies.
import { CdrReader, CdrWriter } from '@foxglove/cdr';
import type { Publisher, QoS, Transport } from './transport/transport.js';

export const SPIKE_TICK_TYPE = 'flux_msgs/msg/SpikeTick';
/** Spike links are reliable: a lost tick is a lost volley. Deep enough for a receiver 64 ticks behind. */
export const SPIKE_QOS: QoS = { reliability: 'reliable', durability: 'volatile', depth: 64 };
/** Rate (Hz) that makes a relay neuron fire with certainty in one step (p = rate * dt * gain >= 1). */
export const RELAY_DRIVE = 1e12;

export interface SpikeTick {
  tick: number;
  firstStep: number;
  dt: number;
  steps: number;
  size: number;
  index: Uint32Array;
  offset: Uint16Array;
}

export function encodeSpikeTick(m: SpikeTick): Uint8Array {
  const w = new CdrWriter({ size: 48 + m.index.length * 6 });
  w.uint64(BigInt(m.tick));
  w.uint64(BigInt(m.firstStep));
  w.float64(m.dt);
  w.uint32(m.steps);
  w.uint32(m.size);
  w.uint32Array(m.index, true);
  w.uint16Array(m.offset, true);
  return w.data;
}

/** Throws on a malformed message (the caller counts it). */
export function decodeSpikeTick(bytes: Uint8Array): SpikeTick {
  const r = new CdrReader(bytes);
  const tick = Number(r.uint64());
  const firstStep = Number(r.uint64());
  const dt = r.float64();
  const steps = r.uint32();
  const size = r.uint32();
  const n = r.sequenceLength();
  if (n * 4 > bytes.byteLength) throw new Error(`spike count ${n} exceeds the message`);
  const index = r.uint32Array(n);
  const m = r.sequenceLength();
  if (m !== n) throw new Error(`${n} indices but ${m} offsets`);
  const offset = r.uint16Array(m);
  if (!(dt > 0 && Number.isFinite(dt)) || steps === 0) throw new Error(`bad dt ${dt} or steps ${steps}`);
  for (let i = 0; i < n; i++)
    if (index[i] >= size || offset[i] >= steps)
      throw new Error(`spike ${i} (neuron ${index[i]}, step ${offset[i]}) outside the population or tick`);
  return { tick, firstStep, dt, steps, size, index: Uint32Array.from(index), offset: Uint16Array.from(offset) };
}

export interface SpikeSendSpec {
  population: string;
  topic: string;
  /** Receivers to wait for before the first tick (lockstep links: so that no tick is missed). */
  waitFor?: number;
}

export interface SpikeReceiveSpec {
  /** A rate-mode input whose target is the relay population. */
  input: string;
  topic: string;
  /** Ticks added to every spike's travel, at least 1 (default 1). */
  delayTicks?: number;
  sync?: 'lockstep' | 'free';
  /** Lockstep: how long a tick waits for the sender's message (default 1000 ms). */
  timeoutMs?: number;
}

export interface SpikeLinkStats {
  messages: number;
  spikes: number;
  /** Receiver: lockstep ticks whose message never came (timeout), and messages that came too late or out of order. */
  missed: number;
  late: number;
  malformed: number;
  /** Messages whose population size differs from the relay's. */
  mismatched: number;
  /** Receiver: the link is holding the sender's pace (false after a timeout). */
  lockstep: boolean;
  /** Receiver: times a restarted sender (its ticks from 0 again) was taken up, in lockstep again. */
  resyncs: number;
}

export class SpikeSender {
  readonly stats: SpikeLinkStats = { messages: 0, spikes: 0, missed: 0, late: 0, malformed: 0, mismatched: 0, lockstep: true, resyncs: 0 };
  private pub: Publisher | null = null;
  private tick = 0;

  constructor(
    readonly spec: SpikeSendSpec,
    private readonly size: number,
  ) {}

  open(transport: Transport): void {
    this.pub = transport.advertise(this.spec.topic, SPIKE_TICK_TYPE, SPIKE_QOS);
    this.tick = 0;
  }

  /** Resolves once `waitFor` receivers have matched (transports that cannot tell never wait). */
  async ready(stopped: () => boolean): Promise<void> {
    const want = this.spec.waitFor ?? 0;
    const matched = (this.pub as { matched?: () => number } | null)?.matched;
    if (!want || !matched) return;
    while (!stopped() && matched() < want) await new Promise((r) => setTimeout(r, 5));
  }

  /** Sends one tick's spikes (absolute step indices in ascending order). */
  send(firstStep: number, steps: number, dt: number, spikeSteps: ArrayLike<number>, spikeIndices: ArrayLike<number>): void {
    const n = spikeIndices.length;
    const index = new Uint32Array(n);
    const offset = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      index[i] = spikeIndices[i];
      offset[i] = spikeSteps[i] - firstStep;
    }
    this.pub?.publish(encodeSpikeTick({ tick: this.tick++, firstStep, dt, steps, size: this.size, index, offset }));
    this.stats.messages++;
    this.stats.spikes += n;
  }

  close(): void {
    this.pub?.close();
    this.pub = null;
  }
}

export class SpikeReceiver {
  readonly stats: SpikeLinkStats = { messages: 0, spikes: 0, missed: 0, late: 0, malformed: 0, mismatched: 0, lockstep: true, resyncs: 0 };
  private unsubscribe: (() => void) | null = null;
  /** Lockstep: messages by sender tick. Free: arrival order. */
  private readonly byTick = new Map<number, SpikeTick>();
  private readonly queue: SpikeTick[] = [];
  private waiter: { tick: number; resolve: () => void } | null = null;
  /** Next sender tick lockstep expects; older ones are late. */
  private expected = 0;
  /** The receiver tick that the sender's tick 0 maps to, less the delay: sender tick k fires in receiver tick base + k + delay. */
  private base = 0;
  /** The receiver's latest tick, and the sender's latest tick number seen. */
  private lastR = -1;
  private lastSenderTick = -1;
  /** When the last valid message came, and when a lockstep tick was last missed (performance.now(), ms). */
  private lastMessageAt = -Infinity;
  private missedAt = -Infinity;
  /** Bumped by a resync: a wait in progress for the old stream gives up without counting a miss. */
  private epoch = 0;

  constructor(
    readonly spec: SpikeReceiveSpec,
    /** The relay population's size. */
    readonly size: number,
    /** Told once when a lockstep link loses its sender (it fell behind or stopped): the link goes free. */
    private readonly onLost: (message: string) => void = () => undefined,
  ) {
    if ((spec.delayTicks ?? 1) < 1 || !Number.isInteger(spec.delayTicks ?? 1))
      throw new Error(`spike link on ${spec.topic}: delay must be a whole number of ticks, at least 1`);
  }

  get delayTicks(): number {
    return this.spec.delayTicks ?? 1;
  }

  /**
   * A lockstep link whose sender has gone silent: it missed a tick and nothing has come since, or
   * nothing for longer than the timeout. The circuit runs without that part (a bridge holds its outputs
   * safe meanwhile). A sender that only fell behind keeps sending, so its link is not lost: it runs
   * free, whole but looser in time.
   */
  get lost(): boolean {
    if ((this.spec.sync ?? 'lockstep') !== 'lockstep' || this.stats.lockstep) return false;
    return this.lastMessageAt < this.missedAt || performance.now() - this.lastMessageAt > (this.spec.timeoutMs ?? 1000);
  }

  open(transport: Transport): void {
    this.byTick.clear();
    this.queue.length = 0;
    this.expected = 0;
    this.base = 0;
    this.lastR = -1;
    this.lastSenderTick = -1;
    this.stats.lockstep = (this.spec.sync ?? 'lockstep') === 'lockstep';
    this.lastMessageAt = -Infinity;
    this.missedAt = -Infinity;
    this.unsubscribe = transport.subscribe(this.spec.topic, SPIKE_TICK_TYPE, SPIKE_QOS, (bytes) => this.onMessage(bytes));
  }

  private onMessage(bytes: Uint8Array): void {
    let m: SpikeTick;
    try {
      m = decodeSpikeTick(bytes);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (m.size !== this.size) {
      this.stats.mismatched++;
      return;
    }
    this.stats.messages++;
    this.lastMessageAt = performance.now();
    this.stats.spikes += m.index.length;
    // A sender that restarted numbers its ticks from 0 again: take its new stream up from the next
    // tick, in lockstep again if the link is configured so (it may have dropped to free meanwhile).
    if (m.tick === 0 && this.lastSenderTick > 0 && (this.spec.sync ?? 'lockstep') === 'lockstep') {
      this.byTick.clear();
      this.queue.length = 0;
      this.expected = 0;
      this.base = this.lastR + 1;
      this.stats.lockstep = true;
      this.stats.resyncs++;
      this.epoch++;
      this.waiter?.resolve();
    }
    this.lastSenderTick = m.tick;
    if (this.stats.lockstep) {
      if (m.tick < this.expected) {
        this.stats.late++;
        return;
      }
      this.byTick.set(m.tick, m);
      if (this.waiter && this.waiter.tick === m.tick) this.waiter.resolve();
    } else this.queue.push(m);
  }

  /**
   * The spikes to fire in the receiver's tick `r` (its own tick number from 0), as step offsets
   * within a tick of `steps` steps of `dt` ms: a map offset -> neuron indices. Lockstep waits for the
   * sender's tick r - delay.
   */
  async forTick(r: number, steps: number, dt: number): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    const add = (m: SpikeTick) => {
      for (let i = 0; i < m.index.length; i++) {
        // Equal steps: the same offset. Otherwise the offset's time, in this tick's steps.
        const o = m.steps === steps && m.dt === dt ? m.offset[i] : Math.min(steps - 1, Math.floor((m.offset[i] * m.dt) / dt + 1e-9));
        let list = out.get(o);
        if (!list) out.set(o, (list = []));
        list.push(m.index[i]);
      }
    };
    this.lastR = r;
    if (!this.stats.lockstep) {
      for (const m of this.queue.splice(0)) add(m);
      return out;
    }
    const k = r - this.delayTicks - this.base;
    if (k < 0) return out;
    const epoch = this.epoch;
    if (!this.byTick.has(k)) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = { tick: k, resolve };
        // Before the sender's first message there is nothing to time out: it may still be starting
        // (the receiver's ticks wait, and its watchdog keeps its outputs safe meanwhile).
        if (this.stats.messages > 0) timer = setTimeout(resolve, this.spec.timeoutMs ?? 1000);
      });
      clearTimeout(timer);
      this.waiter = null;
      // The sender restarted while this tick waited: its new stream starts from the next tick.
      if (this.epoch !== epoch) return out;
    }
    this.expected = k + 1;
    const m = this.byTick.get(k);
    this.byTick.delete(k);
    if (!m) {
      // The sender stopped or fell behind: count it and stop waiting on it (see the header).
      this.stats.missed++;
      this.stats.lockstep = false;
      this.missedAt = performance.now();
      this.onLost(
        `spike link ${this.spec.input} (${this.spec.topic}): no tick ${k} from the sender within ${this.spec.timeoutMs ?? 1000} ms: it fell behind or stopped; the link runs free (not in lockstep) from now on, and a bridge holds its outputs safe while the sender is silent`,
      );
      for (const [t, later] of [...this.byTick].sort((a, b) => a[0] - b[0])) if (t > k) this.queue.push(later);
      this.byTick.clear();
      return out;
    }
    add(m);
    return out;
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.waiter?.resolve();
  }
}

/** Bytes of one SpikeTick message carrying `spikes` spikes, from the encoder itself (CDR payload; RTPS, UDP and IP headers not counted). */
export function spikeTickBytes(spikes: number): number {
  return encodeSpikeTick({
    tick: 0,
    firstStep: 0,
    dt: 0,
    steps: 1,
    size: 0,
    index: new Uint32Array(spikes),
    offset: new Uint16Array(spikes),
  }).length;
}
