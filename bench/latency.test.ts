import { describe, expect, it } from 'vitest';
import { Series, jitter, latencies, percentile } from './latency.js';

describe('loop latency', () => {
  it('follows a scan to the first command after the tick that read it', () => {
    const l = latencies({
      sent: [0.1, 2.4],
      arrivals: [0.3, 2.5],
      // The first scan arrives during no tick and is read by the tick at 1.0; the second arrives
      // during the tick at 2.0 (started before it), so the tick at 3.0 reads it.
      tickStarts: [0, 1, 2, 3],
      tickEnds: [0.2, 1.4, 2.6, 3.2],
      // 1.35 left before the tick at 1.0 ended: the command that carries the scan is 1.45.
      actuations: [0.25, 1.35, 1.45, 2.7, 3.25],
    });
    expect(l.latency.map((x) => +x.toFixed(6))).toEqual([1.35, 0.85]);
    expect(l.wait.map((x) => +x.toFixed(6))).toEqual([0.7, 0.5]);
    expect(l.tick.map((x) => +x.toFixed(6))).toEqual([0.45, 0.25]);
    expect(l.compute.map((x) => +x.toFixed(6))).toEqual([0.4, 0.2]);
    expect(l.deliver.map((x) => +x.toFixed(6))).toEqual([0.2, 0.1]);
  });

  it('leaves out a scan no tick or command followed', () => {
    const l = latencies({ sent: [0, 5], arrivals: [0.1, 5.1], tickStarts: [1], tickEnds: [1.1], actuations: [1.2] });
    expect(l.latency).toHaveLength(1);
  });

  it('records times in a series that grows', () => {
    const s = new Series();
    for (let k = 0; k < 40_000; k++) s.push(k / 2);
    expect(s.length).toBe(40_000);
    expect(s.values[39_999]).toBe(19_999.5);
    expect(s.values.length).toBe(40_000);
  });

  it('measures jitter against the period and takes percentiles', () => {
    const j = jitter([0, 1, 2.5, 3.4], 1);
    expect(j.map((x) => +x.toFixed(6))).toEqual([0, 0.5, 0.1]);
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 0.99)).toBe(5);
  });
});
