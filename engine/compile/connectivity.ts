// Connectivity generators. Each builds compressed sparse rows (one row per source neuron, targets
// ascending) from a projection's own random stream, so a projection's synapses depend only on the
// seed and its name, never on what else is in the circuit.
import type { Connectivity, PopulationSpec } from '../circuit/circuit.js';
import type { Rng } from '../rng.js';
import { MAX_PROJECTION_SYNAPSES, isCount, isProbability, synapseBound } from '../circuit/limits.js';

export interface Csr {
  /** rowPtr[i]..rowPtr[i+1] are the synapses of source neuron i */
  rowPtr: Uint32Array;
  /** target neuron index within the target population */
  targets: Uint32Array;
}

/** A generator refusing its rule (the checker reports the same problems with file and path first). */
export class ConnectivityRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectivityRefusal';
  }
}

class GrowableU32 {
  data = new Uint32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      // A random rule can overshoot its expected count; the cap holds whatever the draws were.
      if (this.length >= MAX_PROJECTION_SYNAPSES)
        throw new ConnectivityRefusal(`more than ${MAX_PROJECTION_SYNAPSES} synapses in one projection`);
      const next = new Uint32Array(Math.min(this.data.length * 2, MAX_PROJECTION_SYNAPSES));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  finish(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** Neurons a fixed in/out-degree rule draws from: the pool, less the neuron itself without autapses. */
function poolOf(size: number, self: boolean, autapses: boolean): number {
  return self && !autapses ? Math.max(0, size - 1) : size;
}

/**
 * Why a rule cannot be generated between these populations, or null: sizes, probabilities and
 * counts out of range, more distinct partners than exist, more synapses than a projection holds.
 * connect() refuses with this message; the checker reports the same with the document's path.
 */
export function connectivityProblem(conn: Connectivity, src: PopulationSpec, tgt: PopulationSpec): string | null {
  const nS = src.size;
  const nT = tgt.size;
  if (!isCount(nS) || !isCount(nT)) return `population sizes ${nS} and ${nT} are not counts`;
  const self = src.name === tgt.name;
  switch (conn.type) {
    case 'one_to_one':
      if (nS !== nT) return `one_to_one needs equal sizes (source ${nS}, target ${nT})`;
      break;
    case 'fixed_probability':
      if (!isProbability(conn.p)) return `p must be a probability in [0, 1] (got ${conn.p})`;
      break;
    case 'fixed_indegree':
    case 'fixed_outdegree': {
      if (!isCount(conn.n)) return `n must be a whole number >= 0 (got ${conn.n})`;
      const avail = poolOf(conn.type === 'fixed_indegree' ? nS : nT, self, conn.autapses);
      if (conn.n > avail && (!conn.multapses || avail === 0))
        return `${conn.n} ${conn.multapses ? '' : 'distinct '}partners needed but only ${avail} available${conn.multapses ? '' : ' (set multapses: true or lower n)'}`;
      break;
    }
    case 'gaussian':
      if (!src.grid || !tgt.grid || src.grid.length !== tgt.grid.length)
        return 'gaussian wiring needs grids of the same dimension on both populations';
      if (!(conn.sigma > 0) || !(conn.cutoff > 0) || !isProbability(conn.pMax))
        return `gaussian needs sigma > 0, cutoff > 0 and p_max in [0, 1] (got ${conn.sigma}, ${conn.cutoff}, ${conn.pMax})`;
      break;
    default:
      break;
  }
  const bound = synapseBound(conn, nS, nT);
  if (!(bound <= MAX_PROJECTION_SYNAPSES))
    return `${conn.type === 'gaussian' ? 'looks at' : 'makes'} about ${bound} synapses; one projection holds at most ${MAX_PROJECTION_SYNAPSES}`;
  return null;
}

/** Draws k distinct integers from [0, m) excluding `skip` (Floyd's algorithm), in ascending order. */
function distinct(k: number, m: number, skip: number, rng: Rng): number[] {
  const pool = skip >= 0 ? m - 1 : m;
  const chosen = new Set<number>();
  for (let j = pool - k; j < pool; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const out = [...chosen].map((x) => (skip >= 0 && x >= skip ? x + 1 : x));
  return out.sort((a, b) => a - b);
}

function withReplacement(k: number, m: number, skip: number, rng: Rng): number[] {
  const pool = skip >= 0 ? m - 1 : m;
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const x = rng.int(pool);
    out.push(skip >= 0 && x >= skip ? x + 1 : x);
  }
  return out.sort((a, b) => a - b);
}

function fromRows(nSrc: number, row: (i: number, out: GrowableU32) => void, progress?: (f: number) => void): Csr {
  const rowPtr = new Uint32Array(nSrc + 1);
  const targets = new GrowableU32();
  const every = Math.max(1, Math.floor(nSrc / 50));
  for (let i = 0; i < nSrc; i++) {
    row(i, targets);
    rowPtr[i + 1] = targets.length;
    if (progress && i % every === 0) progress(i / nSrc);
  }
  return { rowPtr, targets: targets.finish() };
}

/** Builds CSR from per-target source lists (fixed in-degree) by counting sort on the source. */
function fromColumns(nSrc: number, nTgt: number, col: (j: number) => number[], progress?: (f: number) => void): Csr {
  const cols: number[][] = [];
  const counts = new Uint32Array(nSrc + 1);
  const every = Math.max(1, Math.floor(nTgt / 50));
  for (let j = 0; j < nTgt; j++) {
    const c = col(j);
    cols.push(c);
    for (const i of c) counts[i + 1]++;
    if (progress && j % every === 0) progress(j / nTgt);
  }
  for (let i = 0; i < nSrc; i++) counts[i + 1] += counts[i];
  const rowPtr = counts.slice();
  const fillPtr = counts.slice(0, nSrc);
  const targets = new Uint32Array(rowPtr[nSrc]);
  for (let j = 0; j < nTgt; j++) for (const i of cols[j]) targets[fillPtr[i]++] = j;
  return { rowPtr, targets };
}

/**
 * Builds a projection's synapses. Every rule finishes in work bounded by synapseBound (plus one step
 * per source neuron) or throws ConnectivityRefusal before it starts: nothing a document can say loops.
 */
export function connect(conn: Connectivity, src: PopulationSpec, tgt: PopulationSpec, rng: Rng, progress?: (f: number) => void): Csr {
  const problem = connectivityProblem(conn, src, tgt);
  if (problem) throw new ConnectivityRefusal(problem);
  const nS = src.size;
  const nT = tgt.size;
  const self = src.name === tgt.name;
  switch (conn.type) {
    case 'one_to_one':
      return fromRows(nS, (i, out) => out.push(i), progress);
    case 'all_to_all':
      return fromRows(
        nS,
        (i, out) => {
          for (let j = 0; j < nT; j++) if (conn.autapses || !self || i !== j) out.push(j);
        },
        progress,
      );
    case 'fixed_probability': {
      if (conn.p <= 0) return fromRows(nS, () => undefined);
      // log1p keeps tiny p negative (log(1 - 1e-17) is 0, which made every skip -Infinity: no progress).
      const logq = Math.log1p(-conn.p);
      return fromRows(
        nS,
        (i, out) => {
          if (conn.p >= 1) {
            for (let j = 0; j < nT; j++) if (conn.autapses || !self || i !== j) out.push(j);
            return;
          }
          // Geometric skipping: cost proportional to the synapses made, not to nS * nT. logq < 0, so
          // every skip is >= 0 (or +Infinity, or NaN, which end the row) and j grows by at least 1.
          for (let j = rng.geometric(logq); j < nT; j += 1 + rng.geometric(logq)) {
            if (conn.autapses || !self || i !== j) out.push(j);
          }
        },
        progress,
      );
    }
    case 'fixed_indegree': {
      const draw = conn.multapses ? withReplacement : distinct;
      return fromColumns(nS, nT, (j) => draw(conn.n, nS, self && !conn.autapses ? j : -1, rng), progress);
    }
    case 'fixed_outdegree': {
      const draw = conn.multapses ? withReplacement : distinct;
      return fromRows(
        nS,
        (i, out) => {
          for (const j of draw(conn.n, nT, self && !conn.autapses ? i : -1, rng)) out.push(j);
        },
        progress,
      );
    }
    case 'gaussian':
      return gaussian(conn, src, tgt, self, rng, progress);
    case 'explicit':
      return explicit(conn, nS, nT);
  }
}

/**
 * Matrix and list connectivity: the synapses as given (check.ts has put them in CSR order: by
 * source, then target). The compiler takes their weights from the same order.
 */
function explicit(conn: Extract<Connectivity, { type: 'explicit' }>, nS: number, nT: number): Csr {
  const n = conn.sources.length;
  if (conn.targets.length !== n || conn.weights.length !== n)
    throw new Error(`explicit connectivity: ${n} sources, ${conn.targets.length} targets and ${conn.weights.length} weights`);
  const rowPtr = new Uint32Array(nS + 1);
  const targets = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const s = conn.sources[k];
    const t = conn.targets[k];
    if (!(Number.isInteger(s) && s >= 0 && s < nS && Number.isInteger(t) && t >= 0 && t < nT))
      throw new Error(`explicit connectivity: synapse ${k} (${s} -> ${t}) is outside the ${nS} x ${nT} populations`);
    if (k > 0 && (s < conn.sources[k - 1] || (s === conn.sources[k - 1] && t < conn.targets[k - 1])))
      throw new Error(`explicit connectivity: synapse ${k} (${s} -> ${t}) is out of order (sources, then targets, ascending)`);
    rowPtr[s + 1]++;
    targets[k] = t;
  }
  for (let i = 0; i < nS; i++) rowPtr[i + 1] += rowPtr[i];
  return { rowPtr, targets };
}

function gaussian(
  conn: Extract<Connectivity, { type: 'gaussian' }>,
  src: PopulationSpec,
  tgt: PopulationSpec,
  self: boolean,
  rng: Rng,
  progress?: (f: number) => void,
): Csr {
  const [ws, hs = 1] = src.grid!;
  const [wt, ht = 1] = tgt.grid!;
  const radius = conn.cutoff * conn.sigma;
  const twoSigma2 = 2 * conn.sigma * conn.sigma;
  // Source cell centres are mapped into target grid coordinates, so grids of different sizes line up.
  const sx = wt / ws;
  const sy = ht / hs;
  const axis = (centre: number, size: number): number[] => {
    const lo = Math.ceil(centre - radius);
    const hi = Math.floor(centre + radius);
    const cells: number[] = [];
    if (conn.periodic) {
      const span = Math.min(hi - lo + 1, size);
      for (let k = 0; k < span; k++) cells.push((((lo + k) % size) + size) % size);
    } else {
      for (let k = Math.max(0, lo); k <= Math.min(size - 1, hi); k++) cells.push(k);
    }
    return cells.sort((a, b) => a - b);
  };
  const dist = (a: number, b: number, size: number): number => {
    const d = Math.abs(a - b);
    return conn.periodic ? Math.min(d, size - d) : d;
  };
  return fromRows(
    ws * hs,
    (i, out) => {
      const xm = ((i % ws) + 0.5) * sx - 0.5;
      const ym = (Math.floor(i / ws) + 0.5) * sy - 0.5;
      const xs = axis(xm, wt);
      const ys = ht === 1 ? [0] : axis(ym, ht);
      for (const y of ys) {
        const dy = ht === 1 ? 0 : dist(y, ym, ht);
        for (const x of xs) {
          const dx = dist(x, xm, wt);
          const d2 = dx * dx + dy * dy;
          if (d2 > radius * radius) continue;
          const j = y * wt + x;
          if (self && !conn.autapses && i === j) continue;
          if (rng.uniform() < conn.pMax * Math.exp(-d2 / twoSigma2)) out.push(j);
        }
      }
    },
    progress,
  );
}
