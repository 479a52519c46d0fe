// Sensor-to-actuator latency of a tick loop, from what a run recorded: when each sensor message was
// sent and arrived, when each tick started and ended, and when each actuator message arrived. The
// bridge bench (bench/bridge.ts) and its baseline, a bare loop in a worker (bench/timer-baseline.ts),
// both reduce their traces here, so the two are measured the same way.

export interface LoopTrace {
  /** Sensor message published (ms). */
  sent: ArrayLike<number>;
  /** The same message seen by a subscriber on the loop's thread. */
  arrivals: ArrayLike<number>;
  /** Start and end of every tick. */
  tickStarts: ArrayLike<number>;
  tickEnds: ArrayLike<number>;
  /** Actuator messages seen by a subscriber. */
  actuations: ArrayLike<number>;
}

/**
 * Times recorded during a run, without garbage: a tuple or a boxed number per tick would survive into
 * the collections the bench measures the loop stalling for, and make them slower.
 */
export class Series {
  private data = new Float64Array(1 << 14);
  length = 0;

  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = x;
  }

  get values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Per sensor message: the latency and its parts, in ms. */
export interface Latencies {
  /** Sent -> the first actuator message after the end of the first tick that started after it arrived. */
  latency: number[];
  deliver: number[];
  /** Arrival -> the start of the tick that reads it. */
  wait: number[];
  /** That tick's start -> the actuator message. */
  tick: number[];
  /** That tick's compute time (end - start). */
  compute: number[];
}

export function latencies(t: LoopTrace): Latencies {
  const out: Latencies = { latency: [], deliver: [], wait: [], tick: [], compute: [] };
  const ticks = Math.min(t.tickStarts.length, t.tickEnds.length);
  let ti = 0;
  let ai = 0;
  for (let k = 0; k < Math.min(t.sent.length, t.arrivals.length); k++) {
    while (ti < ticks && t.tickStarts[ti] < t.arrivals[k]) ti++;
    if (ti >= ticks) break;
    while (ai < t.actuations.length && t.actuations[ai] < t.tickEnds[ti]) ai++;
    if (ai >= t.actuations.length) break;
    out.latency.push(t.actuations[ai] - t.sent[k]);
    out.deliver.push(t.arrivals[k] - t.sent[k]);
    out.wait.push(t.tickStarts[ti] - t.arrivals[k]);
    out.tick.push(t.actuations[ai] - t.tickStarts[ti]);
    out.compute.push(t.tickEnds[ti] - t.tickStarts[ti]);
  }
  return out;
}

/** |interval - period| between consecutive tick starts (ms). */
export function jitter(starts: ArrayLike<number>, periodMs: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < starts.length; i++) out.push(Math.abs(starts[i] - starts[i - 1] - periodMs));
  return out;
}

/** The p-quantile of `xs` (NaN for none). */
export function percentile(xs: ArrayLike<number>, p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}
