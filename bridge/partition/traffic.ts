// What the partitions of a plan (plan.ts) would send each other, in bytes: the spikes crossing each
// pair per exchange, in SpikeTick messages (bridge/spike-link.ts, one per slice and exchange), with
// their size taken from the encoder. The CDR payload only: DDS adds its RTPS, UDP and IP headers per
// message (and may pack several messages into one datagram).
import { spikeTickBytes } from '../spike-link.js';
import type { PartitionPlan } from './plan.js';

/** Bytes of a message with no spike, and per spike (from the encoder). */
const FRAMING = spikeTickBytes(0);
const PER_SPIKE = (spikeTickBytes(1000) - FRAMING) / 1000;

export interface PairBytes {
  from: number;
  to: number;
  spikesPerSecond: number;
  spikesPerExchange: number;
  messagesPerExchange: number;
  bytesPerExchange: number;
  bytesPerSecond: number;
}

export interface TrafficModel {
  /** Exchanges per biological second (0 when nothing crosses). */
  exchangesPerSecond: number;
  framingBytes: number;
  bytesPerSpike: number;
  pairs: PairBytes[];
  spikesPerSecond: number;
  bytesPerSecond: number;
  /** The partition that sends the most, and how much (bytes per biological second). */
  busiestSender: { partition: number; bytesPerSecond: number } | null;
}

export function trafficModel(plan: PartitionPlan): TrafficModel {
  const exchangesPerSecond = plan.exchangeSteps === null ? 0 : 1000 / (plan.exchangeSteps * plan.dt);
  const pairs = plan.traffic.map((t): PairBytes => {
    const spikesPerExchange = exchangesPerSecond > 0 ? t.spikesPerSecond / exchangesPerSecond : 0;
    const bytesPerExchange = t.streams * FRAMING + PER_SPIKE * spikesPerExchange;
    return {
      from: t.from,
      to: t.to,
      spikesPerSecond: t.spikesPerSecond,
      spikesPerExchange,
      messagesPerExchange: t.streams,
      bytesPerExchange,
      bytesPerSecond: bytesPerExchange * exchangesPerSecond,
    };
  });
  const sent = new Map<number, number>();
  for (const p of pairs) sent.set(p.from, (sent.get(p.from) ?? 0) + p.bytesPerSecond);
  let busiestSender: TrafficModel['busiestSender'] = null;
  for (const [partition, bytesPerSecond] of sent)
    if (!busiestSender || bytesPerSecond > busiestSender.bytesPerSecond) busiestSender = { partition, bytesPerSecond };
  return {
    exchangesPerSecond,
    framingBytes: FRAMING,
    bytesPerSpike: PER_SPIKE,
    pairs,
    spikesPerSecond: pairs.reduce((a, p) => a + p.spikesPerSecond, 0),
    bytesPerSecond: pairs.reduce((a, p) => a + p.bytesPerSecond, 0),
    busiestSender,
  };
}
