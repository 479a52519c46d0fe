// Import step 3: the linear paths from every spike source (and every Affine bias) to the membranes
// and Output nodes they reach. A path's matrix is the product of the matrices along it, its delay the
// sum of the delays, with at most one exponential filter on the way.
import { NIR_IMPORT_LIMITS } from './check.js';
import type { NirArray } from './graph.js';
import { matmul, scaleRows, uniformValue } from './matrix.js';
import { MEMBRANES, TRANSFORMS, sizeOf, type Classified } from './classify.js';
import type { ImportReport } from './report.js';
import type { Node } from './flatten.js';

/** A path's effect on a membrane: matrix [rows x cols] (rows = target size), delay (s), filter. */
export interface Path {
  source: string;
  sink: string;
  m: Float64Array;
  rows: number;
  cols: number;
  delay: number;
  filter: { tau: number } | null;
  via: string[];
}

/** Where a walk stands on its way through transforms: the path's matrix so far and what it went through. */
interface Walk {
  source: string;
  /** Tracing a constant (a bias) rather than spikes: a filter passes it at its settled value. */
  constant: boolean;
  cols: number;
  found: Path[];
}

type Leg = Pick<Path, 'm' | 'rows' | 'delay' | 'filter'>;

/**
 * Tracing paths is bounded: a hostile graph can hold exponentially many paths (diamonds of
 * transforms), very long chains, or matrices too large to build.
 */
class PathTracer {
  private steps = 0;
  private work = 0;

  constructor(
    private readonly graph: Classified,
    private readonly report: ImportReport,
  ) {}

  matrix(rows: number, cols: number, element: string): Float64Array {
    if (rows * cols > NIR_IMPORT_LIMITS.matrix)
      this.report.refuse(element, `a ${rows} x ${cols} path matrix is beyond the importer's bound (${NIR_IMPORT_LIMITS.matrix} elements)`);
    return new Float64Array(rows * cols);
  }

  identity(n: number, element: string): Float64Array {
    const m = this.matrix(n, n, element);
    for (let i = 0; i < n; i++) m[i * n + i] = 1;
    return m;
  }

  private product(w: NirArray, m: Float64Array, cols: number, element: string): Float64Array {
    this.matrix(w.shape[0], cols, element);
    this.work += w.shape[0] * w.shape[1] * cols;
    if (this.work > NIR_IMPORT_LIMITS.work)
      this.report.refuse(
        element,
        `tracing the graph's paths needs more than ${NIR_IMPORT_LIMITS.work} multiply-adds (the importer's bound)`,
      );
    return matmul(w.data, w.shape[0], w.shape[1], m, cols);
  }

  /** Walks every path from a source (rows x cols matrix, starting as the identity or a bias column). */
  walk(source: string, start: Float64Array, rows: number, cols: number, constant: boolean, firstEdges: string[], via0: string[]): Path[] {
    const w: Walk = { source, constant, cols, found: [] };
    for (const t of firstEdges) this.step(w, t, { m: start, rows, delay: 0, filter: null }, via0);
    return w.found;
  }

  private step(w: Walk, to: string, leg: Leg, via: string[]): void {
    const { graph, report } = this;
    const n = graph.nodes.get(to)!;
    const here = `${via.length ? via[via.length - 1] : w.source} -> ${to}`;
    if (++this.steps > NIR_IMPORT_LIMITS.steps)
      report.refuse(`node "${w.source}"`, `its paths take more than ${NIR_IMPORT_LIMITS.steps} steps to trace (the importer's bound)`);
    if (via.length > NIR_IMPORT_LIMITS.pathLength)
      report.refuse(`node "${to}"`, `a path from "${w.source}" is longer than ${NIR_IMPORT_LIMITS.pathLength} nodes`);
    if (via.includes(to)) {
      report.problem(`node ${to}`, 'unsupported', 'a loop through transforms only (no neuron in it)');
      return;
    }
    if (graph.membranes.has(to) || n.type === 'Output') {
      w.found.push({ source: w.source, sink: to, m: leg.m, rows: leg.rows, cols: w.cols, delay: leg.delay, filter: leg.filter, via });
      return;
    }
    if (!TRANSFORMS.has(n.type) && !graph.filters.has(to)) {
      if (MEMBRANES.has(n.type) || n.type === 'Input')
        report.problem(`edge ${here}`, 'unsupported', `${n.type} "${to}" cannot be reached here`);
      return; // unsupported node types are reported once above
    }
    const size = graph.filters.has(to)
      ? sizeOf(n)
      : n.type === 'pass' || n.type === 'Flatten' || n.type === 'Identity'
        ? leg.rows
        : n.type === 'Affine' || n.type === 'Linear'
          ? n.params.weight?.shape[1]
          : sizeOf(n);
    if (size !== leg.rows && !(n.type === 'Affine' || n.type === 'Linear')) {
      report.problem(
        `node ${to}`,
        'unsupported',
        `expects ${size} inputs but receives ${leg.rows} from "${via[via.length - 1] ?? w.source}"`,
      );
      return;
    }
    const next = this.through(w, n, leg);
    if (!next) return;
    for (const t of graph.out.get(to) ?? []) this.step(w, t, next, [...via, to]);
  }

  /** The leg after passing transform (or filter) node n; null (reported) when it cannot pass. */
  private through(w: Walk, n: Node, leg: Leg): Leg | null {
    const { report } = this;
    const to = n.name;
    switch (n.type) {
      case 'Affine':
      case 'Linear': {
        const weight = n.params.weight;
        if (!weight || weight.shape.length !== 2) {
          report.problem(
            `node ${to}`,
            'unsupported',
            `${n.type} weight must be a 2-D matrix [out, in] (got shape [${weight?.shape.join(', ') ?? ''}])`,
          );
          return null;
        }
        if (weight.shape[1] !== leg.rows) {
          report.problem(`node ${to}`, 'unsupported', `weight is [${weight.shape.join(', ')}] but its input has ${leg.rows} elements`);
          return null;
        }
        return { ...leg, m: this.product(weight, leg.m, w.cols, `node "${to}"`), rows: weight.shape[0] };
      }
      case 'Scale':
        return { ...leg, m: scaleRows(leg.m, w.cols, n.params.scale.data) };
      case 'Delay': {
        const d = uniformValue(n.params.delay.data);
        if (d !== null && d < 0) {
          report.problem(`node ${to}`, 'unsupported', `a negative delay (${d} s)`);
          return null;
        }
        if (d === null) {
          report.problem(`node ${to}`, 'unsupported', 'per-element delays differ; a Flux projection has one delay (or a distribution)');
          return null;
        }
        return { ...leg, delay: leg.delay + d };
      }
      case 'LI': {
        if (leg.filter) {
          report.problem(`node ${to}`, 'unsupported', `a second exponential filter on the path from "${w.source}" (two synapses in a row)`);
          return null;
        }
        const tau = n.params.tau.data[0];
        const r = n.params.r.data.length === leg.rows ? n.params.r.data : new Float64Array(leg.rows).fill(n.params.r.data[0]);
        // Spikes: tau dv/dt = -v + r x jumps v by r W / tau; a constant x settles at r x.
        return { ...leg, m: scaleRows(leg.m, w.cols, w.constant ? r : Array.from(r, (x) => x / tau)), filter: { tau } };
      }
      default:
        return leg;
    }
  }
}

/** Spike paths (from spiking membranes and Input nodes) and constant paths (from Affine biases). */
export function tracePaths(graph: Classified, report: ImportReport): { spikePaths: Path[]; constPaths: Path[] } {
  const { nodes, out } = graph;
  const tracer = new PathTracer(graph, report);
  const spikePaths: Path[] = [];
  for (const [name, m] of graph.membranes) {
    const paths = tracer.walk(name, tracer.identity(m.size, `node "${name}"`), m.size, m.size, false, out.get(name) ?? [], []);
    if (!m.spiking) {
      for (const p of paths)
        if (nodes.get(p.sink)!.type !== 'Output')
          report.problem(
            `node ${name}`,
            'unsupported',
            `the potential of non-spiking ${m.node.type} "${name}" drives "${p.sink}": Flux projections carry spikes only`,
          );
      spikePaths.push(...paths.filter((p) => nodes.get(p.sink)!.type === 'Output'));
    } else spikePaths.push(...paths);
  }
  for (const [name, info] of graph.inputs)
    spikePaths.push(
      ...tracer.walk(name, tracer.identity(info.size, `node "${name}"`), info.size, info.size, false, out.get(name) ?? [], []),
    );
  const constPaths: Path[] = [];
  for (const n of nodes.values()) {
    if (n.type !== 'Affine' || !n.params.bias || n.params.bias.data.every((x) => x === 0)) continue;
    const b = n.params.bias.data;
    constPaths.push(...tracer.walk(n.name, Float64Array.from(b), b.length, 1, true, out.get(n.name) ?? [], [n.name]));
  }
  return { spikePaths, constPaths };
}
