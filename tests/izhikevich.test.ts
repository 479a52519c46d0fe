// Izhikevich (2003) firing patterns against Brian2 2.5.1 (reference data made by
// tests/reference/brian2_izhikevich.py): I = 10, 1000 ms, dt 0.1 ms, v0 = -65, u0 = b*v0.
import { describe, it, expect } from 'vitest';
import { Engine } from '../engine/engine.js';
import { example } from './helpers.js';
// Imported, not read: the suite runs in a page too (vitest.config.ts), which has no files.
import reference from './reference/izhikevich_brian2.json' with { type: 'json' };

interface Pattern {
  count_f64: number;
  times_ms_f64: number[];
  count_f32: number;
}
const ref = reference as { patterns: Record<string, Pattern> };

describe('Izhikevich 2003 patterns vs Brian2', () => {
  const e = Engine.fromFile(example('izhikevich-patterns.yaml'));
  e.backend.configureRecording({});
  e.step(10000);
  const rec = e.backend.recording();

  for (const [name, p] of Object.entries(ref.patterns)) {
    it(`${name}: spike count within ±1 of Brian2 (${p.count_f64})`, () => {
      const n = rec.populations[name].spikeSteps.length;
      expect(Math.abs(n - p.count_f64)).toBeLessThanOrEqual(1);
      // Brian2's float32 run has the same counts; the GPU backend will be held to it.
      expect(Math.abs(n - p.count_f32)).toBeLessThanOrEqual(1);
    });
    it(`${name}: the first 10 spike times agree with Brian2 within one step`, () => {
      const times = rec.populations[name].spikeSteps.slice(0, 10).map((s) => s * rec.dt);
      times.forEach((t, k) => expect(Math.abs(t - p.times_ms_f64[k])).toBeLessThanOrEqual(0.1 + 1e-9));
    });
  }

  it('the patterns differ from each other as published (bursting IB/CH fire in doublets or more)', () => {
    const isi = (name: string) => {
      const s = rec.populations[name].spikeSteps;
      return s.slice(1).map((x, i) => (x - s[i]) * rec.dt);
    };
    // Chattering: many ISIs under 10 ms (bursts); regular spiking: none after the onset.
    expect(isi('CH').filter((d) => d < 10).length).toBeGreaterThan(20);
    expect(
      isi('RS')
        .slice(3)
        .filter((d) => d < 10).length,
    ).toBe(0);
    // Fast spiking fires faster than regular spiking under the same drive.
    expect(rec.populations.FS.spikeSteps.length).toBeGreaterThan(3 * rec.populations.RS.spikeSteps.length);
  });
});
