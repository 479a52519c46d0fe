// COBA (Vogels & Abbott 2005 as Brette et al. 2007 benchmark 1): self-sustained asynchronous
// irregular activity. Brian2 2.5.1 on the same network over 10 seeds (tests/reference/coba_brian2.json,
// made by tests/reference/brian2_coba.py): 18.7 +- 0.7 Hz, mean ISI CV 1.52.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { ROOT, example } from './helpers.js';

const ref = JSON.parse(readFileSync(join(ROOT, 'tests/reference/coba_brian2.json'), 'utf8')) as {
  summary: { mean_rate_hz: { mean: number; sd: number }; mean_cv_isi: { mean: number } };
};

describe('COBA network', () => {
  const e = Engine.fromFile(example('coba.yaml'));
  e.backend.configureRecording({ rateBin: 10 });
  e.step(10000);
  const rec = e.backend.recording();
  const all = Object.values(rec.populations);
  const total = all.reduce((a, p) => a + p.spikeSteps.length, 0);
  const rate = total / 4000;

  it("fires at 15-25 Hz and within 15% of Brian2's mean rate", () => {
    expect(rate).toBeGreaterThan(15);
    expect(rate).toBeLessThan(25);
    expect(Math.abs(rate - ref.summary.mean_rate_hz.mean) / ref.summary.mean_rate_hz.mean).toBeLessThan(0.15);
  });

  it('is irregular: mean ISI CV > 1 (over neurons with at least 3 spikes)', () => {
    const cvs: number[] = [];
    for (const p of all) {
      const byNeuron = new Map<number, number[]>();
      p.spikeSteps.forEach((s, k) => {
        const i = p.spikeIndices[k];
        if (!byNeuron.has(i)) byNeuron.set(i, []);
        byNeuron.get(i)!.push(s * rec.dt);
      });
      for (const times of byNeuron.values()) {
        if (times.length < 3) continue;
        const isi = times.slice(1).map((t, k) => t - times[k]);
        const m = isi.reduce((a, b) => a + b, 0) / isi.length;
        const sd = Math.sqrt(isi.reduce((a, b) => a + (b - m) ** 2, 0) / isi.length);
        cvs.push(sd / m);
      }
    }
    const cv = cvs.reduce((a, b) => a + b, 0) / cvs.length;
    expect(cv).toBeGreaterThan(1);
    expect(Math.abs(cv - ref.summary.mean_cv_isi.mean)).toBeLessThan(0.3);
  });

  it('is self-sustained and asynchronous: activity in every 100 ms window, no population burst', () => {
    const exc = rec.populations.exc;
    const binsHz = exc.rateCounts.map((c) => (c / exc.size / rec.rateBin) * 1000);
    for (let w = 0; w < 10; w++) expect(binsHz.slice(w * 10, w * 10 + 10).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Math.max(...binsHz.slice(5))).toBeLessThan(100);
  });
});
