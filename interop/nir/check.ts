// The NIR graph as it arrives (from a file, or built by a caller) checked and copied before the
// importer reads it: every value finite, every shape a list of sizes that matches its data, every
// name kept in a null-prototype record (a node named `__proto__` or `constructor` is an ordinary
// node), nesting and node count bounded. A graph that fails is refused with the node and field.
import { NirFileError, type NirArray, type NirFile, type NirGraph, type NirMetadata, type NirNode } from './graph.js';

/** Bounds of what the importer accepts (beyond them the graph is refused, not approximated). */
export const NIR_IMPORT_LIMITS = {
  /** NIRGraph nodes nested in each other. */
  depth: 16,
  /** Nodes in the whole graph. */
  nodes: 100_000,
  /** Dimensions of one parameter. */
  dims: 8,
  /** Elements of one dense path matrix (rows x columns) the importer builds. */
  matrix: 1 << 24,
  /** Multiply-adds spent tracing paths through Linear/Affine nodes. */
  work: 1e9,
  /** Steps (node visits) spent tracing paths. */
  steps: 1_000_000,
  /** Nodes along one path. */
  pathLength: 1000,
};

function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** Flat index -> [i][j] for the error message. */
function indexOf(flat: number, shape: number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return idx.map((i) => `[${i}]`).join('') || '[0]';
}

class Checker {
  nodes = 0;
  constructor(readonly where: string) {}

  fail(element: string, reason: string): never {
    throw new NirFileError(this.where, `${element}: ${reason}`, 'graph');
  }

  array(a: unknown, element: string, field: string): NirArray {
    if (!isObject(a)) this.fail(element, `${field} is not an array with a shape`);
    const shape = a.shape;
    if (!Array.isArray(shape) || shape.length > NIR_IMPORT_LIMITS.dims || !shape.every((s) => Number.isSafeInteger(s) && s >= 0))
      this.fail(element, `${field} has no valid shape (a list of at most ${NIR_IMPORT_LIMITS.dims} non-negative integers)`);
    const raw = a.data;
    const ok =
      raw instanceof Float64Array || raw instanceof Float32Array || (Array.isArray(raw) && raw.every((x) => typeof x === 'number'));
    if (!ok) this.fail(element, `${field} has no numeric data`);
    const data = Float64Array.from(raw as ArrayLike<number>);
    const count = (shape as number[]).reduce((x, y) => x * y, 1);
    if (count !== data.length) this.fail(element, `${field} has shape [${shape.join(', ')}] (${count} values) but ${data.length} values`);
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i]))
        this.fail(element, `${field}${indexOf(i, shape as number[])} is ${data[i]} (every value must be finite)`);
    return { shape: [...(shape as number[])], data };
  }

  metadata(m: unknown, element: string): NirMetadata {
    const out = record<string | number>();
    if (m === undefined) return out;
    if (!isObject(m)) this.fail(element, 'metadata is not a record');
    for (const [k, v] of Object.entries(m)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
      else this.fail(element, `metadata ${k} is ${typeof v === 'number' ? v : typeof v} (a string or a finite number expected)`);
    }
    return out;
  }

  node(n: unknown, path: string, depth: number): NirNode {
    const element = `node "${path}"`;
    if (++this.nodes > NIR_IMPORT_LIMITS.nodes) this.fail(element, `more than ${NIR_IMPORT_LIMITS.nodes} nodes in the graph`);
    if (!isObject(n) || typeof n.type !== 'string') this.fail(element, 'has no type');
    const metadata = this.metadata(n.metadata, element);
    if (n.graph !== undefined || n.type === 'NIRGraph') {
      if (depth >= NIR_IMPORT_LIMITS.depth) this.fail(element, `NIRGraph nodes nested deeper than ${NIR_IMPORT_LIMITS.depth}`);
      return { type: n.type, params: record(), metadata, graph: this.graph(n.graph, `${path}.`, depth + 1) };
    }
    const params = record<NirArray>();
    if (n.params !== undefined) {
      if (!isObject(n.params)) this.fail(element, 'params is not a record');
      for (const [k, a] of Object.entries(n.params)) params[k] = this.array(a, element, k);
    }
    return { type: n.type, params, metadata };
  }

  graph(g: unknown, prefix: string, depth: number): NirGraph {
    const element = prefix ? `node "${prefix.slice(0, -1)}"` : 'the graph';
    if (!isObject(g) || !isObject(g.nodes)) this.fail(element, 'has no nodes record');
    const nodes = record<NirNode>();
    for (const [k, n] of Object.entries(g.nodes)) nodes[k] = this.node(n, prefix + k, depth);
    const edges: [string, string][] = [];
    if (g.edges !== undefined) {
      if (!Array.isArray(g.edges)) this.fail(element, 'edges is not a list');
      for (const e of g.edges) {
        if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'string')
          this.fail(element, 'an edge is not a (source, target) pair of names');
        edges.push([e[0], e[1]]);
      }
    }
    return { nodes, edges, metadata: this.metadata(g.metadata, element) };
  }
}

/**
 * Checks a NIR graph and returns a clean copy (null-prototype records, Float64Array data); throws a
 * NirFileError naming `where` (the file), the node and the field of the first value it refuses.
 */
export function checkNirFile(file: unknown, where: string): NirFile {
  const c = new Checker(where);
  if (!isObject(file)) return c.fail('the file', 'is not a NIR graph');
  const version = typeof file.version === 'string' ? file.version : 'unknown';
  return { version, graph: c.graph(file.graph, '', 0) };
}
