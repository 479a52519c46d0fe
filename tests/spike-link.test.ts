// Spike links on their own (bridge/spike-link.ts), over the in-memory transport: the message format,
// lockstep pairing of sender and receiver ticks with the delay, a sender that stops (the link drops to
// free instead of stalling the receiver) and one that restarts (the link takes the new stream up in
// lockstep again).
import { describe, expect, it } from 'vitest';
import { decodeSpikeTick, encodeSpikeTick, SpikeReceiver, SPIKE_QOS, SPIKE_TICK_TYPE } from '../bridge/spike-link.js';
import { MemoryGraph, MemoryTransport } from '../bridge/transport/memory.js';

const STEPS = 10;
const DT = 0.1;
const flush = () => new Promise((r) => setImmediate(r));

function rig(delayTicks = 1, timeoutMs = 50) {
  const graph = new MemoryGraph();
  const pub = new MemoryTransport(graph).advertise('/spikes', SPIKE_TICK_TYPE, SPIKE_QOS);
  const lost: string[] = [];
  const rx = new SpikeReceiver({ input: 'a', topic: '/spikes', delayTicks, timeoutMs }, 100, (m) => lost.push(m));
  rx.open(new MemoryTransport(graph));
  /** Sender tick `tick`: neuron `tick % 100` fires at step offset `tick % STEPS`. */
  const send = (tick: number) =>
    pub.publish(
      encodeSpikeTick({
        tick,
        firstStep: tick * STEPS,
        dt: DT,
        steps: STEPS,
        size: 100,
        index: Uint32Array.of(tick % 100),
        offset: Uint16Array.of(tick % STEPS),
      }),
    );
  return { rx, send, lost };
}

describe('spike links', () => {
  it('a SpikeTick round-trips, and a malformed one is refused', () => {
    const m = { tick: 7, firstStep: 70, dt: 0.1, steps: 10, size: 5, index: Uint32Array.of(4, 0, 2), offset: Uint16Array.of(0, 3, 9) };
    expect(decodeSpikeTick(encodeSpikeTick(m))).toEqual(m);
    expect(() => decodeSpikeTick(encodeSpikeTick({ ...m, index: Uint32Array.of(5, 0, 2) }))).toThrow(/outside the population/);
  });

  it('lockstep: receiver tick r fires the sender tick r - delay at the same step offsets', async () => {
    const { rx, send } = rig(2);
    for (let t = 0; t < 5; t++) send(t);
    await flush();
    const fired: (number[] | undefined)[] = [];
    for (let r = 0; r < 7; r++) fired.push([...(await rx.forTick(r, STEPS, DT))].flatMap(([o, ids]) => ids.map((i) => i * 100 + o)));
    // Ticks 0 and 1 wait for nothing (delay 2); tick r carries sender tick r - 2: neuron k at offset k.
    expect(fired).toEqual([[], [], [0], [101], [202], [303], [404]]);
    expect(rx.stats).toMatchObject({ missed: 0, late: 0, lockstep: true });
  });

  it('a sender that stops drops the link to free after its timeout; one that restarts is taken up in lockstep again', async () => {
    const { rx, send, lost } = rig(1, 50);
    for (let t = 0; t < 3; t++) send(t);
    await flush();
    for (let r = 0; r < 4; r++) await rx.forTick(r, STEPS, DT);
    // Tick 4 waits for sender tick 3, which never comes: missed, and the link runs free.
    const t0 = performance.now();
    expect((await rx.forTick(4, STEPS, DT)).size).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(rx.stats).toMatchObject({ missed: 1, lockstep: false });
    // Lost: part of the circuit is gone, so a bridge holds its outputs safe (bridge.ts unsafeReason).
    expect(rx.lost).toBe(true);
    // Said once, naming the link: a partition that fell behind or stopped is reported.
    expect(lost).toEqual([
      'spike link a (/spikes): no tick 3 from the sender within 50 ms: it fell behind or stopped; the link runs free (not in lockstep) from now on, and a bridge holds its outputs safe while the sender is silent',
    ]);
    // The sender restarts: its tick 0 arrives while the receiver is at tick 4. The next receiver tick
    // (5) maps to the new stream's tick 0 - delay, so tick 6 carries its tick 0, tick 7 its tick 1.
    send(0);
    send(1);
    await flush();
    expect(rx.stats).toMatchObject({ lockstep: true, resyncs: 1 });
    expect(rx.lost).toBe(false);
    expect([...(await rx.forTick(5, STEPS, DT))]).toEqual([]);
    expect([...(await rx.forTick(6, STEPS, DT))]).toEqual([[0, [0]]]);
    expect([...(await rx.forTick(7, STEPS, DT))]).toEqual([[1, [1]]]);
    expect(rx.stats.missed).toBe(1);
    rx.close();
  });

  it('a sender that only fell behind is not lost once its ticks come again; one silent for longer than the timeout is', async () => {
    const { rx, send } = rig(1, 50);
    send(0);
    await flush();
    await rx.forTick(0, STEPS, DT);
    await rx.forTick(1, STEPS, DT);
    // Tick 2 waits for sender tick 1, which comes late: missed, lost while nothing has come since.
    expect((await rx.forTick(2, STEPS, DT)).size).toBe(0);
    expect(rx.lost).toBe(true);
    send(1);
    await flush();
    expect(rx.stats.lockstep).toBe(false);
    expect(rx.lost).toBe(false);
    // Silent again for longer than the timeout: lost again.
    await new Promise((r) => setTimeout(r, 80));
    expect(rx.lost).toBe(true);
    rx.close();
  });

  it('a link configured free is never lost: it never waits on its sender', async () => {
    const graph = new MemoryGraph();
    const rx = new SpikeReceiver({ input: 'a', topic: '/spikes', sync: 'free', timeoutMs: 10 }, 100);
    rx.open(new MemoryTransport(graph));
    for (let r = 0; r < 3; r++) expect((await rx.forTick(r, STEPS, DT)).size).toBe(0);
    expect(rx.lost).toBe(false);
    rx.close();
  });
});
