// Connectivity generators. Each builds compressed sparse rows (one row per source neuron, targets
// ascending) from a projection's own random streams, one per block of rows or target columns, so a
// projection's synapses depend only on the seed and its name, never on what else is in the circuit
// or on how many threads drew them (wiring-tasks.ts draws the blocks).
import type { Connectivity } from '../circuit/circuit.js';
import { MAX_PROJECTION_SYNAPSES, isCount, isProbability, partnerPool, partnersProblem, synapseBound } from '../circuit/limits.js';
import { PLAIN_MEMORY, runPlan, type Alloc, type Plan, type TypedCtor, type WiringMemory } from './phases.js';
import { splitTotal } from './split-counts.js';
import {
  blockStream,
  COLUMN_BLOCK,
  ConnectivityRefusal,
  ROW_BLOCK,
  type ColumnLayout,
  type ColumnRule,
  type Indices,
  type Side,
  type Stream,
  type TaskContext,
} from './wiring-tasks.js';

export { ConnectivityRefusal };

export interface Csr {
  /** rowPtr[i]..rowPtr[i+1] are the synapses of source neuron i */
  rowPtr: Uint32Array;
  /** target neuron index within the target population (16-bit for target populations up to 65536 neurons) */
  targets: Uint32Array | Uint16Array;
}

/**
 * Why a rule cannot be generated between these populations, or null: sizes, probabilities and
 * counts out of range, more distinct partners than exist, more synapses than a projection holds.
 * connect() refuses with this message; the checker reports the same with the document's path.
 */
export function connectivityProblem(conn: Connectivity, src: Side, tgt: Side): string | null {
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
    case 'fixed_total_number':
    case 'fixed_indegree':
    case 'fixed_outdegree': {
      if (!isCount(conn.n)) return `n must be a whole number >= 0 (got ${conn.n})`;
      const short = partnersProblem(conn, nS, nT, self);
      if (short) return short;
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

/** Target indices are 16-bit (saved for every synapse) for target populations up to 65536 neurons, the usual case. */
export const targetIndexBytes = (targetSize: number): 2 | 4 => (targetSize <= 65536 ? 2 : 4);

const targetArray = (size: number): TypedCtor<Indices> => (targetIndexBytes(size) === 2 ? Uint16Array : Uint32Array);

let plans = 0;

/**
 * The plan that builds a projection's synapses (phases.ts runs it). Every rule finishes in work
 * bounded by synapseBound (plus one step per source neuron) or throws ConnectivityRefusal before it
 * starts: nothing a document can say loops. `name` keys the streams (`connect:<name>#<block>`).
 */
export function* wireCsr(conn: Connectivity, src: Side, tgt: Side, seed: number, name: string, memory: WiringMemory): Plan<Csr> {
  const problem = connectivityProblem(conn, src, tgt);
  if (problem) throw new ConnectivityRefusal(problem);
  const nS = src.size;
  const nT = tgt.size;
  const stream = { seed, name: `connect:${name}` };
  if (conn.type === 'explicit') return explicit(conn, nS, nT, memory.result);
  const rowPtr = new Uint32Array(nS + 1);
  if (conn.type === 'fixed_indegree' || conn.type === 'fixed_total_number') {
    const self = src.name === tgt.name;
    const units = Math.ceil(nT / COLUMN_BLOCK);
    const layout = columnLayout(conn, nS, nT, self, units, { seed, name: `connect:${name}:blocks` }, memory);
    const total = 'n' in layout ? layout.n * nT : conn.n;
    const sources = memory.scratch(targetArray(nS), total);
    const drawn = yield { units, span: [0, 0.6], task: () => ({ kind: 'columns', conn, layout, nS, nT, self, stream, sources }) };
    for (const r of drawn) {
      const counts = r.value as Uint32Array;
      for (let i = 0; i < nS; i++) rowPtr[i + 1] += counts[i];
    }
    for (let i = 0; i < nS; i++) rowPtr[i + 1] += rowPtr[i];
    // Each range of columns writes from where the ranges before it stopped in every row.
    const cursors = new Map<number, Uint32Array>();
    const next = rowPtr.slice(0, nS);
    for (const r of drawn) {
      cursors.set(r.lo, next.slice());
      const counts = r.value as Uint32Array;
      for (let i = 0; i < nS; i++) next[i] += counts[i];
    }
    const targets = memory.result(targetArray(nT), total);
    yield { units, span: [0.6, 1], task: (lo) => ({ kind: 'scatter', layout, nT, sources, targets, cursor: cursors.get(lo)! }) };
    return { rowPtr, targets };
  }
  const key = `${name}#${++plans}`;
  const units = Math.ceil(nS / ROW_BLOCK);
  const drawn = yield { units, span: [0, 0.9], task: () => ({ kind: 'rows', key, conn, src, tgt, stream }) };
  for (const r of drawn) {
    const lengths = r.value as Uint32Array;
    const first = r.lo * ROW_BLOCK;
    for (let k = 0; k < lengths.length; k++) {
      rowPtr[first + k + 1] = rowPtr[first + k] + lengths[k];
      if (rowPtr[first + k + 1] < rowPtr[first + k])
        throw new ConnectivityRefusal(`more than ${MAX_PROJECTION_SYNAPSES} synapses in one projection`);
    }
  }
  const targets = memory.result(targetArray(nT), rowPtr[nS]);
  yield { units, span: [0.9, 1], task: (lo) => ({ kind: 'place', key, targets, offset: rowPtr[lo * ROW_BLOCK] }) };
  return { rowPtr, targets };
}

/**
 * How a column rule lays out its sources. fixed_total_number draws how many of its synapses fall in
 * each block of target columns here, from one stream of its own (a few hundred draws; the blocks then
 * split their counts over their columns on whichever thread draws them): every target pair is equally
 * likely for each synapse, so the in-degrees are binomial, as NEST's fixed_total_number makes them.
 */
function columnLayout(
  conn: ColumnRule,
  nS: number,
  nT: number,
  self: boolean,
  units: number,
  stream: Stream,
  memory: WiringMemory,
): ColumnLayout {
  if (conn.type === 'fixed_indegree') return { n: conn.n };
  const pool = partnerPool(nS, self, conn.autapses);
  const sizes = new Float64Array(units);
  for (let b = 0; b < units; b++) sizes[b] = pool * (Math.min(nT, (b + 1) * COLUMN_BLOCK) - b * COLUMN_BLOCK);
  const counts = new Float64Array(units);
  splitTotal(conn.n, sizes, !conn.multapses, blockStream(stream, 0), counts);
  const offsets = new Float64Array(units + 1);
  for (let b = 0; b < units; b++) offsets[b + 1] = offsets[b] + counts[b];
  return { offsets, degrees: memory.scratch(Uint32Array, nT) };
}

/** Builds a projection's synapses on this thread (the plan above, its streams named `connect:<name>`). */
export function connect(
  conn: Connectivity,
  src: Side,
  tgt: Side,
  options: { name?: string; seed?: number; rngFor?: TaskContext['rngFor']; progress?: (f: number) => void } = {},
): Csr {
  return runPlan(wireCsr(conn, src, tgt, options.seed ?? 1, options.name ?? `${src.name}->${tgt.name}`, PLAIN_MEMORY), options);
}

/**
 * Matrix and list connectivity: the synapses as given (check.ts has put them in CSR order: by
 * source, then target). The compiler takes their weights from the same order.
 */
function explicit(conn: Extract<Connectivity, { type: 'explicit' }>, nS: number, nT: number, alloc: Alloc): Csr {
  const n = conn.sources.length;
  if (conn.targets.length !== n || conn.weights.length !== n)
    throw new Error(`explicit connectivity: ${n} sources, ${conn.targets.length} targets and ${conn.weights.length} weights`);
  const rowPtr = new Uint32Array(nS + 1);
  const targets = alloc(targetArray(nT), n);
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
