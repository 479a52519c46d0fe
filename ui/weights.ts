// A projection's weights as the page plots them: a histogram and a matrix of block means (source rows
// by target columns, at most MATRIX_CELLS a side). Computed on the loop's thread between two ticks, so
// the work is bounded: beyond MAX_READ synapses an even stride of them stands for the whole.
import type { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { RefusedEdit } from './session.js';

export const MAX_READ = 1_000_000;
const BINS = 40;
const MATRIX_CELLS = 48;

export interface WeightView {
  projection: string;
  plastic: boolean;
  unit: string;
  synapses: number;
  /** Synapses the view was computed from (all of them up to MAX_READ). */
  sampled: number;
  min: number;
  max: number;
  mean: number;
  histogram: { lo: number; hi: number; counts: number[] };
  /** Mean weight per block; null where a block has no synapse. Row-major, rows × cols. */
  matrix: { rows: number; cols: number; sources: number; targets: number; values: (number | null)[] };
}

export async function weightView(engine: Engine<Backend>, projection: unknown, maxRead = MAX_READ): Promise<WeightView> {
  const spec = typeof projection === 'string' ? engine.circuit.projections.find((p) => p.name === projection) : undefined;
  if (!spec) throw new RefusedEdit("projection: one of the circuit's projections", 400);
  const backend = engine.backend;
  const w = await backend.readWeights(spec.name);
  const { rowPtr, targets } = backend.readStructure(spec.name);
  const nPre = rowPtr.length - 1;
  const nPost = engine.circuit.populations.find((p) => p.name === spec.target)?.size ?? 0;
  const stride = Math.max(1, Math.ceil(w.length / maxRead));
  const rows = Math.max(1, Math.min(nPre, MATRIX_CELLS));
  const cols = Math.max(1, Math.min(nPost, MATRIX_CELLS));
  const sum = new Float64Array(rows * cols);
  const count = new Uint32Array(rows * cols);
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  let sampled = 0;
  for (let i = 0; i < nPre; i++) {
    const r = Math.floor((i * rows) / nPre);
    // The first synapse of this row on the stride's grid.
    for (let k = rowPtr[i] + ((stride - (rowPtr[i] % stride)) % stride); k < rowPtr[i + 1]; k += stride) {
      const x = w[k];
      const c = Math.floor((targets[k] * cols) / Math.max(1, nPost));
      sum[r * cols + c] += x;
      count[r * cols + c]++;
      if (x < min) min = x;
      if (x > max) max = x;
      total += x;
      sampled++;
    }
  }
  const lo = sampled ? (min === max ? min - 0.5 : min) : 0;
  const hi = sampled ? (min === max ? max + 0.5 : max) : 1;
  const counts = new Array<number>(BINS).fill(0);
  for (let k = 0; k < w.length; k += stride) counts[Math.min(BINS - 1, Math.floor(((w[k] - lo) / (hi - lo)) * BINS))]++;
  return {
    projection: spec.name,
    plastic: spec.plasticity !== undefined || spec.synapse.model !== undefined,
    unit: spec.synapse.model ? '' : spec.synapse.type === 'conductance' ? 'nS' : 'pA',
    synapses: w.length,
    sampled,
    min: sampled ? min : 0,
    max: sampled ? max : 0,
    mean: sampled ? total / sampled : 0,
    histogram: { lo, hi, counts },
    matrix: {
      rows,
      cols,
      sources: nPre,
      targets: nPost,
      values: Array.from(sum, (s, j) => (count[j] ? s / count[j] : null)),
    },
  };
}
