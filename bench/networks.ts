// Networks the benchmarks build from the examples.
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

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
