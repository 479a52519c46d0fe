// The pieces a projection is wired from. Each runs over a range of blocks (rows, target columns or
// synapses) and draws every block from its own stream (Rng.forBlock), so a range can run on any
// thread, in any order, and the network is the same bit for bit however the blocks are shared out.
// A task is plain data (its arrays shared memory when it runs in a worker), so the same function runs
// on the caller's thread (compileProjection) and in the wiring workers (wiring-pool.ts).
import type { Connectivity, Distribution } from '../circuit/circuit.js';
import { MAX_PROJECTION_SYNAPSES, partnerPool } from '../circuit/limits.js';
import { Rng } from '../rng.js';
import { drawBlock } from './distributions.js';
import { splitTotal } from './split-counts.js';

/** Source neurons per block of a row-wise rule. */
export const ROW_BLOCK = 128;
/** Target neurons per block of fixed_indegree and fixed_total_number. */
export const COLUMN_BLOCK = 128;
/** Synapses per block of weights and delays. */
export const VALUE_BLOCK = 65536;

export type Indices = Uint16Array | Uint32Array;
export type ColumnRule = Extract<Connectivity, { type: 'fixed_indegree' } | { type: 'fixed_total_number' }>;
export type RowRule = Exclude<Connectivity, ColumnRule | { type: 'explicit' }>;

/**
 * Where each target column's sources sit in the drawn sources: fixed_indegree gives every column n;
 * fixed_total_number gives each block of columns the count drawn for it (`offsets[b]` up to
 * `offsets[b + 1]`), which the block splits over its columns (`degrees`, shared by the threads).
 */
export type ColumnLayout = { n: number } | { offsets: Float64Array; degrees: Uint32Array };

/** What a generator needs to know of a population (plain data: it is posted to workers). */
export interface Side {
  name: string;
  size: number;
  grid?: number[];
}

/** A named purpose (`connect:ee`, `weight:ee`) whose blocks each have their own stream. */
export interface Stream {
  seed: number;
  name: string;
}

export type Task =
  /** Row-wise rules: draws the rows of its blocks into a chunk kept by the thread; returns each row's length. */
  | { kind: 'rows'; key: string; conn: RowRule; src: Side; tgt: Side; stream: Stream }
  /** Copies a thread's chunk (the same blocks as its `rows` task) into the projection at `offset`. */
  | { kind: 'place'; key: string; targets: Indices; offset: number }
  /** Column rules: draws the sources of each target column; returns how often each source was drawn. */
  | { kind: 'columns'; conn: ColumnRule; layout: ColumnLayout; nS: number; nT: number; self: boolean; stream: Stream; sources: Indices }
  /** Column rules: each drawn (source, column) into its source's row; `cursor` is where this range starts in each row. */
  | { kind: 'scatter'; layout: ColumnLayout; nT: number; sources: Indices; targets: Indices; cursor: Uint32Array }
  /** Weights drawn per synapse, magnitudes (below zero becomes zero). */
  | { kind: 'weights'; dist: Distribution; stream: Stream; out: Float32Array }
  /** Delays drawn per synapse, in steps; returns the longest (the caller redoes them wider if it did not fit). */
  | { kind: 'delays'; dist: Distribution; stream: Stream; dt: number; out: Uint8Array | Uint16Array };

export interface TaskContext {
  /** What a thread keeps between two tasks of one projection (the `rows` chunks until `place`). */
  store: Map<string, unknown>;
  /** The stream of a block (tests swap in a generator that counts its draws). */
  rngFor: (stream: Stream, block: number) => Rng;
  /** Called after each block with how many blocks of this range are done. */
  tick?: (done: number) => void;
}

export const blockStream = (stream: Stream, block: number): Rng => Rng.forBlock(stream.seed, stream.name, block);

/** A refused rule, or a rule that made more synapses than one projection holds (the plan names the projection). */
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
}

/** Runs a task over blocks [lo, hi); returns what the plan reads back (lengths, counts, a maximum, or null). */
export function runTask(task: Task, lo: number, hi: number, ctx: TaskContext): Uint32Array | number | null {
  switch (task.kind) {
    case 'rows':
      return rows(task, lo, hi, ctx);
    case 'place': {
      const chunk = ctx.store.get(task.key) as Uint32Array | undefined;
      if (!chunk) throw new Error(`wiring: no rows drawn for ${task.key} on this thread`);
      ctx.store.delete(task.key);
      task.targets.set(chunk, task.offset);
      return null;
    }
    case 'columns':
      return columns(task, lo, hi, ctx);
    case 'scatter':
      return scatter(task, lo, hi, ctx);
    case 'weights':
      return weights(task, lo, hi, ctx);
    case 'delays':
      return delays(task, lo, hi, ctx);
  }
}

/** Marks drawn numbers for Floyd's algorithm: a stamp per draw set instead of clearing a set each time. */
class Marks {
  private marks: Int32Array;
  private stamp = 0;
  constructor(size: number) {
    this.marks = new Int32Array(size);
  }
  next(): void {
    this.stamp++;
  }
  /** Marks x; false when it was marked in this draw set already. */
  take(x: number): boolean {
    if (this.marks[x] === this.stamp) return false;
    this.marks[x] = this.stamp;
    return true;
  }
}

/**
 * Draws k of [0, m) (without `skip` when >= 0) into out at `at`: distinct by Floyd's algorithm, or
 * with replacement. The order is the draw order; callers sort where they need it.
 */
function draw(k: number, m: number, skip: number, distinct: boolean, rng: Rng, marks: Marks | null, out: Indices, at: number): void {
  const pool = skip >= 0 ? m - 1 : m;
  if (distinct) {
    marks!.next();
    for (let j = pool - k, q = at; j < pool; j++, q++) {
      let t = rng.int(j + 1);
      // Every value taken before is < j, so j is free whenever t is not.
      if (!marks!.take(t)) {
        t = j;
        marks!.take(t);
      }
      out[q] = skip >= 0 && t >= skip ? t + 1 : t;
    }
  } else {
    for (let q = at, end = at + k; q < end; q++) {
      const x = rng.int(pool);
      out[q] = skip >= 0 && x >= skip ? x + 1 : x;
    }
  }
}

function rows(task: Extract<Task, { kind: 'rows' }>, lo: number, hi: number, ctx: TaskContext): Uint32Array {
  const { conn, src, tgt } = task;
  const nS = src.size;
  const self = src.name === tgt.name;
  const first = lo * ROW_BLOCK;
  const last = Math.min(hi * ROW_BLOCK, nS);
  const lengths = new Uint32Array(Math.max(0, last - first));
  const out = new GrowableU32();
  const row = rowDrawer(conn, src, tgt, self);
  for (let b = lo; b < hi; b++) {
    const rng = ctx.rngFor(task.stream, b);
    for (let i = b * ROW_BLOCK, end = Math.min((b + 1) * ROW_BLOCK, nS); i < end; i++) {
      const before = out.length;
      row(i, rng, out);
      lengths[i - first] = out.length - before;
    }
    ctx.tick?.(b + 1 - lo);
  }
  ctx.store.set(task.key, out.data.subarray(0, out.length));
  return lengths;
}

/** The function that appends source neuron i's targets (ascending) for a row-wise rule. */
function rowDrawer(conn: RowRule, src: Side, tgt: Side, self: boolean): (i: number, rng: Rng, out: GrowableU32) => void {
  const nT = tgt.size;
  switch (conn.type) {
    case 'one_to_one':
      return (i, _rng, out) => out.push(i);
    case 'all_to_all':
      return (i, _rng, out) => {
        for (let j = 0; j < nT; j++) if (conn.autapses || !self || i !== j) out.push(j);
      };
    case 'fixed_probability': {
      if (conn.p <= 0) return () => undefined;
      // log1p keeps tiny p negative (log(1 - 1e-17) is 0, which made every skip -Infinity: no progress).
      const logq = Math.log1p(-conn.p);
      return (i, rng, out) => {
        if (conn.p >= 1) {
          for (let j = 0; j < nT; j++) if (conn.autapses || !self || i !== j) out.push(j);
          return;
        }
        // Geometric skipping: cost proportional to the synapses made, not to nS * nT. logq < 0, so
        // every skip is >= 0 (or +Infinity, or NaN, which end the row) and j grows by at least 1.
        for (let j = rng.geometric(logq); j < nT; j += 1 + rng.geometric(logq)) {
          if (conn.autapses || !self || i !== j) out.push(j);
        }
      };
    }
    case 'fixed_outdegree': {
      const marks = conn.multapses ? null : new Marks(nT);
      const drawn = new Uint32Array(conn.n);
      return (i, rng, out) => {
        draw(conn.n, nT, self && !conn.autapses ? i : -1, !conn.multapses, rng, marks, drawn, 0);
        drawn.sort();
        for (let q = 0; q < drawn.length; q++) out.push(drawn[q]);
      };
    }
    case 'gaussian':
      return gaussianRow(conn, src, tgt, self);
  }
}

function gaussianRow(
  conn: Extract<Connectivity, { type: 'gaussian' }>,
  src: Side,
  tgt: Side,
  self: boolean,
): (i: number, rng: Rng, out: GrowableU32) => void {
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
  return (i, rng, out) => {
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
  };
}

/** Where block b's first column starts in the drawn sources. */
const blockStart = (layout: ColumnLayout, b: number): number => ('n' in layout ? b * COLUMN_BLOCK * layout.n : layout.offsets[b]);
/** The sources drawn for target column j. */
const columnDegree = (layout: ColumnLayout, j: number): number => ('n' in layout ? layout.n : layout.degrees[j]);

function columns(task: Extract<Task, { kind: 'columns' }>, lo: number, hi: number, ctx: TaskContext): Uint32Array {
  const { conn, layout, nS, nT, self, sources } = task;
  const skipSelf = self && !conn.autapses;
  const counts = new Uint32Array(nS);
  const marks = conn.multapses ? null : new Marks(nS);
  // Every column offers the same pool of sources, so a block's count is split evenly in expectation.
  const pool = partnerPool(nS, self, conn.autapses);
  const sizes = new Float64Array(COLUMN_BLOCK).fill(pool);
  for (let b = lo; b < hi; b++) {
    const rng = ctx.rngFor(task.stream, b);
    const first = b * COLUMN_BLOCK;
    const end = Math.min(first + COLUMN_BLOCK, nT);
    if (!('n' in layout))
      splitTotal(
        layout.offsets[b + 1] - layout.offsets[b],
        sizes.subarray(0, end - first),
        !conn.multapses,
        rng,
        layout.degrees.subarray(first, end),
      );
    let at = blockStart(layout, b);
    for (let j = first; j < end; j++) {
      const k = columnDegree(layout, j);
      draw(k, nS, skipSelf ? j : -1, !conn.multapses, rng, marks, sources, at);
      for (let q = at, e = at + k; q < e; q++) counts[sources[q]]++;
      at += k;
    }
    ctx.tick?.(b + 1 - lo);
  }
  return counts;
}

function scatter(task: Extract<Task, { kind: 'scatter' }>, lo: number, hi: number, ctx: TaskContext): null {
  const { layout, nT, sources, targets, cursor } = task;
  // Columns in ascending order, so every row's targets come out ascending.
  for (let b = lo; b < hi; b++) {
    let q = blockStart(layout, b);
    for (let j = b * COLUMN_BLOCK, end = Math.min((b + 1) * COLUMN_BLOCK, nT); j < end; j++)
      for (let e = q + columnDegree(layout, j); q < e; q++) targets[cursor[sources[q]]++] = j;
    ctx.tick?.(b + 1 - lo);
  }
  return null;
}

/** Values of one block, drawn before they are stored (as float32 weights or whole steps). */
const scratch = new Float64Array(VALUE_BLOCK);

function weights(task: Extract<Task, { kind: 'weights' }>, lo: number, hi: number, ctx: TaskContext): null {
  const { dist, out } = task;
  for (let b = lo; b < hi; b++) {
    const start = b * VALUE_BLOCK;
    const count = Math.min(VALUE_BLOCK, out.length - start);
    drawBlock(dist, ctx.rngFor(task.stream, b), scratch, count);
    for (let k = 0; k < count; k++) out[start + k] = Math.max(0, scratch[k]);
    ctx.tick?.(b + 1 - lo);
  }
  return null;
}

function delays(task: Extract<Task, { kind: 'delays' }>, lo: number, hi: number, ctx: TaskContext): number {
  const { dist, dt, out } = task;
  let longest = 0;
  for (let b = lo; b < hi; b++) {
    const start = b * VALUE_BLOCK;
    const count = Math.min(VALUE_BLOCK, out.length - start);
    drawBlock(dist, ctx.rngFor(task.stream, b), scratch, count);
    for (let k = 0; k < count; k++) {
      const steps = Math.round(Math.max(0, scratch[k]) / dt);
      if (steps > longest) longest = steps;
      out[start + k] = steps;
    }
    ctx.tick?.(b + 1 - lo);
  }
  return longest;
}
