// A projection's weights as the page plots them: a histogram and a matrix of block means (source rows
// by target columns, at most MATRIX_CELLS a side) over a window of the sources and targets, which at
// MATRIX_CELLS neurons a side or fewer shows single synapses. Computed on the loop's thread between two ticks:
// beyond MAX_READ synapses an even stride of them stands for the whole in the sums, but the backend's
// read copies every weight, so reads are spaced (WeightReads): one at a time, at most 4 a second for
// all clients together, each answer shared for a second.
import type { Engine } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { RefusedEdit } from './session.js';
import type { WeightView } from './web/protocol.js';

export type { WeightView };

export const MAX_READ = 1_000_000;
const BINS = 40;
const MATRIX_CELLS = 48;

/** Neurons [from, to) of a population: the part of the matrix a window shows. */
export type Span = [number, number];

/**
 * A window's span from the query text "from:to" (whole population when absent); refused unless
 * 0 <= from < to <= size, integers.
 */
export function spanOf(text: unknown, size: number, what: string): Span {
  if (text === undefined || text === '') return [0, size];
  const m = typeof text === 'string' ? /^(\d{1,9}):(\d{1,9})$/.exec(text) : null;
  const span: Span | null = m ? [Number(m[1]), Number(m[2])] : null;
  if (!span || !(span[0] < span[1] && span[1] <= size))
    throw new RefusedEdit(`${what}: neurons from:to of the population, 0 <= from < to <= ${size}`, 400);
  return span;
}

/**
 * The weight view of `projection`: statistics and histogram over the whole projection, the matrix over
 * a window of its sources and targets (the whole by default). A window of at most 48 neurons a side
 * shows single synapses: a cell is one source and one target (the mean of repeated pairs).
 */
export async function weightView(
  engine: Engine<Backend>,
  projection: unknown,
  maxRead = MAX_READ,
  window: { sources?: unknown; targets?: unknown } = {},
): Promise<WeightView> {
  const spec = typeof projection === 'string' ? engine.circuit.projections.find((p) => p.name === projection) : undefined;
  if (!spec) throw new RefusedEdit("projection: one of the circuit's projections", 400);
  const backend = engine.backend;
  const { rowPtr, targets } = backend.readStructure(spec.name);
  const nPre = rowPtr.length - 1;
  const nPost = engine.circuit.populations.find((p) => p.name === spec.target)?.size ?? 0;
  const [s0, s1] = spanOf(window.sources, nPre, 'sources');
  const [t0, t1] = spanOf(window.targets, nPost, 'targets');
  const w = await backend.readWeights(spec.name);
  const stride = Math.max(1, Math.ceil(w.length / maxRead));
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  let sampled = 0;
  for (let i = 0; i < nPre; i++) {
    for (let k = firstOnGrid(rowPtr[i], stride); k < rowPtr[i + 1]; k += stride) {
      const x = w[k];
      if (x < min) min = x;
      if (x > max) max = x;
      total += x;
      sampled++;
    }
  }
  // The matrix strides only over the window's own rows: a small window of a big projection reads every synapse it shows.
  const rows = Math.max(1, Math.min(s1 - s0, MATRIX_CELLS));
  const cols = Math.max(1, Math.min(t1 - t0, MATRIX_CELLS));
  const sum = new Float64Array(rows * cols);
  const count = new Uint32Array(rows * cols);
  const matrixStride = Math.max(1, Math.ceil((rowPtr[s1] - rowPtr[s0]) / maxRead));
  for (let i = s0; i < s1; i++) {
    const r = Math.floor(((i - s0) * rows) / (s1 - s0));
    for (let k = firstOnGrid(rowPtr[i], matrixStride); k < rowPtr[i + 1]; k += matrixStride) {
      const j = targets[k];
      if (j < t0 || j >= t1) continue;
      const c = Math.floor(((j - t0) * cols) / (t1 - t0));
      sum[r * cols + c] += w[k];
      count[r * cols + c]++;
    }
  }
  // The neurons each block holds: block r has those i with floor((i - s0) * rows / n) = r, from s0 + ceil(r * n / rows).
  const starts = (first: number, n: number, blocks: number) =>
    Array.from({ length: blocks + 1 }, (_, r) => first + Math.ceil((r * n) / blocks));
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
      window: { sources: [s0, s1], targets: [t0, t1] },
      rowStarts: starts(s0, s1 - s0, rows),
      colStarts: starts(t0, t1 - t0, cols),
      single: rows === s1 - s0 && cols === t1 - t0 && matrixStride === 1,
      maxCells: MATRIX_CELLS,
      values: Array.from(sum, (s, j) => (count[j] ? s / count[j] : null)),
    },
  };
}

/** The first synapse index from `start` on the grid of every `stride`-th synapse (a row's first one read). */
function firstOnGrid(start: number, stride: number): number {
  return start + ((stride - (start % stride)) % stride);
}

/** Least time between two weight reads (all clients and projections together), and how long an answer is shared. */
const READ_SPACING_MS = 250;
const SHARED_MS = 1000;

/** What a read needs of the node: its engine, and a turn between two ticks (Bridge.betweenTicks). */
export interface WeightSource {
  readonly engine: Engine<Backend>;
  readonly bridge: { betweenTicks<T>(fn: () => T | Promise<T>): Promise<T> };
}

/** The weight reads of one dashboard: spaced and shared (see the top of this file). */
export class WeightReads {
  private lastStart = -Infinity;
  private readonly answers = new Map<string, { at: number; engine: unknown; view: Promise<WeightView> }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  read(node: WeightSource, projection: unknown, window: { sources?: unknown; targets?: unknown } = {}): Promise<WeightView> {
    if (typeof projection !== 'string') return Promise.reject(new RefusedEdit("projection: one of the circuit's projections", 400));
    const { sources, targets } = window;
    if ((sources !== undefined && typeof sources !== 'string') || (targets !== undefined && typeof targets !== 'string'))
      return Promise.reject(new RefusedEdit('sources, targets: neurons from:to', 400));
    // The bridge and engine of one moment (a hot swap replaces both).
    const { bridge, engine } = node;
    const t = this.now();
    const key = JSON.stringify([projection, sources ?? '', targets ?? '']);
    const shared = this.answers.get(key);
    if (shared && shared.engine === engine && t - shared.at < SHARED_MS) return shared.view;
    if (t - this.lastStart < READ_SPACING_MS)
      return Promise.reject(new RefusedEdit(`weights were read less than ${READ_SPACING_MS} ms ago; try again`, 429));
    this.lastStart = t;
    for (const [k, a] of this.answers) if (t - a.at >= SHARED_MS) this.answers.delete(k);
    const view = bridge.betweenTicks(() => weightView(engine, projection, MAX_READ, window));
    this.answers.set(key, { at: t, engine, view });
    view.catch(() => this.answers.delete(key));
    return view;
  }
}
