// Networks the benchmarks build from the examples.
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository: above dist/bench (the built benchmarks), or above bench/ (the sources, which tests import). */
export const ROOT = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');

/**
 * examples/coba.yaml scaled to n neurons (80% excitatory) with about synPerNeuron synapses each;
 * `euler` selects forward Euler instead of the default exponential Euler.
 */
export function cobaText(n: number, synPerNeuron: number, method: 'exponential_euler' | 'euler' = 'exponential_euler'): string {
  const ne = Math.round(n * 0.8);
  const integration = method === 'euler' ? '\n    integration: euler' : '';
  // Whole numbers only: a plain 'size: 800' would also match the 'size: 8000' written just before.
  return readFileSync(join(ROOT, 'examples/coba.yaml'), 'utf8')
    .replace(/size: 800\b/, `size: ${n - ne}${integration}`)
    .replace(/size: 3200\b/, `size: ${ne}${integration}`)
    .replace(/p: 0\.02/g, `p: ${synPerNeuron / n}`);
}

/**
 * The full-scale microcircuit's mean rates in NEST (Hz): the reference implementation's full_mean_rates
 * (NEST's Potjans_2014 example since 2022, now INM-6's microcircuit-PD14-model), as its file's header gives them.
 */
export const MICROCIRCUIT_NEST_RATES: Readonly<Record<string, number>> = Object.freeze({
  L23E: 0.903,
  L23I: 2.965,
  L4E: 4.414,
  L4I: 5.876,
  L5E: 7.569,
  L5I: 8.633,
  L6E: 1.105,
  L6I: 7.829,
});

/**
 * The Potjans-Diesmann microcircuit (library/microcircuit) at `scale` of its neurons: every population
 * scaled, and every projection's total number of synapses by scale squared (the pairs scale so; the
 * mean in-degree then scales by `scale`, as NEST's K_scaling does; at least one synapse), the
 * background and the weights as they are
 * (so its rates are not the full model's; NEST's downscaling adds a compensating current, this does not).
 * A document (JSON text) with the full model's structure: 8 populations, the same projections and delays.
 */
export function microcircuitText(scale: number): string {
  const doc = parse(readFileSync(join(ROOT, 'library/microcircuit/potjans-diesmann.yaml'), 'utf8'), { merge: true, maxAliasCount: -1 }) as {
    name: string;
    $schema?: string;
    populations: Record<string, { size: number }>;
    projections: Record<string, { connectivity: { type: string; n?: number } }>;
  };
  delete doc.$schema;
  doc.name = `potjans-diesmann-${Math.round(scale * 100)}pct`;
  for (const p of Object.values(doc.populations)) p.size = Math.max(1, Math.round(p.size * scale));
  for (const p of Object.values(doc.projections)) {
    if (p.connectivity.type === 'fixed_total_number') p.connectivity.n = Math.max(1, Math.round(p.connectivity.n! * scale * scale));
    else throw new Error(`microcircuitText: projection rule ${p.connectivity.type} is not scaled here`);
  }
  return JSON.stringify(doc);
}
