// What a circuit will hold before it is built: the budgets of live edits (ui/security.ts) and the
// partition plan (bridge/partition) use the same estimate.

/** Estimated synapse count of a projection's connectivity between populations of the given sizes (all pairs when unknowable). */
export function estimateSynapses(connectivity: unknown, nSrc: number, nTgt: number): number {
  const c: { type?: unknown; p?: unknown; n?: unknown; sigma?: unknown; cutoff?: unknown; pairs?: unknown; sources?: unknown } =
    connectivity !== null && typeof connectivity === 'object' ? connectivity : {};
  const all = nSrc * nTgt;
  const num = (v: unknown, fallback: number) => (v === undefined ? fallback : typeof v === 'number' ? v : NaN);
  let n: number;
  switch (c.type) {
    case 'one_to_one':
      n = Math.min(nSrc, nTgt);
      break;
    case 'fixed_probability':
      n = all * Math.min(1, Math.max(0, num(c.p, 0)));
      break;
    case 'fixed_indegree':
      n = nTgt * num(c.n, 0);
      break;
    case 'fixed_outdegree':
      n = nSrc * num(c.n, 0);
      break;
    case 'fixed_total_number':
      n = num(c.n, 0);
      break;
    case 'gaussian':
      // A disc of cutoff·sigma around each source, at most every target.
      n = nSrc * Math.min(nTgt, Math.PI * (num(c.cutoff, 3) * num(c.sigma, 1)) ** 2);
      break;
    case 'list':
      n = Array.isArray(c.pairs) ? c.pairs.length : all;
      break;
    case 'explicit':
      // A checked circuit's matrix or list: one entry per synapse.
      n = Array.isArray(c.sources) ? c.sources.length : all;
      break;
    default:
      // all_to_all, matrix (at most every pair) and kinds the engine will refuse anyway.
      n = all;
  }
  // A malformed field (the engine refuses it) must not make the estimate NaN, which no budget compares.
  return Number.isFinite(n) && n >= 0 ? n : all;
}
