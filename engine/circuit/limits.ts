// What one projection may hold: the checker refuses a document past these limits with its file and
// path, and the compiler and the connectivity generators refuse the same past them (they live here,
// beside the circuit's types, so both may import them: compile imports circuit, never the reverse).
import type { Connectivity } from './circuit.js';

/** Longest delay in steps (delay rings hold this many slots per neuron and channel). */
export const MAX_DELAY_STEPS = 65535;

/**
 * Most synapses one projection may have: row pointers and synapse indices are 32-bit. A rule whose
 * synapses (or, for gaussian, candidate pairs) could exceed it is refused before it runs.
 */
export const MAX_PROJECTION_SYNAPSES = 2 ** 32 - 1;

/** Partners a neuron may draw from a population of `size`: all of them, less itself on its own population without autapses. */
export const partnerPool = (size: number, self: boolean, autapses: boolean): number => (self && !autapses ? Math.max(0, size - 1) : size);

/**
 * Why a counted rule (in-degree, out-degree, total number) cannot find its partners between
 * populations of these sizes, or null: the checker reports it with the document's path, and the
 * generator refuses with it (connectivityProblem).
 */
export function partnersProblem(conn: Connectivity, nS: number, nT: number, self: boolean): string | null {
  if (conn.type !== 'fixed_indegree' && conn.type !== 'fixed_outdegree' && conn.type !== 'fixed_total_number') return null;
  const total = conn.type === 'fixed_total_number';
  const avail = total
    ? nT * partnerPool(nS, self, conn.autapses)
    : partnerPool(conn.type === 'fixed_indegree' ? nS : nT, self, conn.autapses);
  const what = total ? 'synapses' : 'partners';
  const of = total ? 'source-target pairs exist' : 'available';
  if (!conn.multapses && conn.n > avail)
    return `${conn.n} distinct ${what} needed but only ${avail} ${of} (set multapses: true or lower n)`;
  if (conn.multapses && conn.n > 0 && avail <= 0)
    return `${conn.n} ${what} needed but only 0 ${of} (${nS === 0 || nT === 0 ? 'a population is empty' : 'the only neuron is the neuron itself: set autapses: true'})`;
  return null;
}

export const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
export const isProbability = (p: unknown): p is number => typeof p === 'number' && p >= 0 && p <= 1;

/**
 * The most work (synapses made, or candidate pairs looked at for gaussian) a rule may do between
 * populations of nS and nT neurons: every generator's loop runs at most this many times (plus one per
 * source neuron). Infinity when the rule's numbers are not usable at all.
 */
export function synapseBound(conn: Connectivity, nS: number, nT: number): number {
  switch (conn.type) {
    case 'one_to_one':
      return nS;
    case 'all_to_all':
      return nS * nT;
    case 'fixed_probability':
      // The expected count; the generator's loop makes at most one skip per synapse plus one per row.
      return isProbability(conn.p) ? nS * nT * conn.p : Infinity;
    case 'fixed_indegree':
      return isCount(conn.n) ? conn.n * nT : Infinity;
    case 'fixed_outdegree':
      return isCount(conn.n) ? conn.n * nS : Infinity;
    case 'fixed_total_number':
      return isCount(conn.n) ? conn.n : Infinity;
    case 'gaussian':
      return nS * gaussianCandidates(conn, nT);
    case 'explicit':
      return conn.sources.length;
  }
}

/** Target cells within the cutoff radius of one source (an upper bound, at most the target size). */
function gaussianCandidates(conn: Extract<Connectivity, { type: 'gaussian' }>, nT: number): number {
  const radius = conn.cutoff * conn.sigma;
  if (!(radius >= 0)) return Infinity;
  const span = 2 * Math.floor(radius) + 2;
  return Math.min(nT, span * span);
}
