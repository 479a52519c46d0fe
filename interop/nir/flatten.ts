// Import step 1: nested NIRGraph nodes flattened into one level, with each node's outgoing edges.
import type { NirArray, NirFile, NirMetadata } from './graph.js';
import type { ImportReport } from './report.js';

export interface Node {
  name: string;
  type: string;
  params: Record<string, NirArray>;
  metadata: NirMetadata;
}

export interface FlatGraph {
  nodes: Map<string, Node>;
  /** Node name -> the nodes its edges lead to. */
  out: Map<string, string[]>;
}

/** Names that are properties of every object: kept out of the document's records. */
export const reserved = (name: string) => name in Object.prototype || name === 'prototype';

/** Flattens nested NIRGraph nodes into one level: names joined with '.', subgraph Input/Output nodes pass through. */
function flattenNodes(file: NirFile, report: ImportReport): { nodes: Map<string, Node>; edges: [string, string][] } {
  const nodes = new Map<string, Node>();
  const edges: [string, string][] = [];
  const walk = (g: NirFile['graph'], prefix: string, top: boolean): { ins: string[]; outs: string[] } => {
    const ins: string[] = [];
    const outs: string[] = [];
    const ports = new Map<string, { ins: string[]; outs: string[] }>();
    for (const [k, n] of Object.entries(g.nodes)) {
      const name = prefix + k;
      if (n.graph) {
        ports.set(k, walk(n.graph, `${name}.`, false));
        continue;
      }
      let type = n.type;
      if (!top && (type === 'Input' || type === 'Output')) {
        (type === 'Input' ? ins : outs).push(name);
        type = 'pass';
      }
      nodes.set(name, { name, type, params: n.params, metadata: n.metadata });
    }
    for (const [a, b] of g.edges) {
      const from = ports.get(a)?.outs ?? [prefix + a];
      const to = ports.get(b)?.ins ?? [prefix + b];
      if (from.length !== 1 || to.length !== 1) {
        report.problems.push({
          element: `edge ${prefix}${a} -> ${prefix}${b}`,
          kind: 'unsupported',
          message: 'a subgraph with no or several Input/Output nodes cannot be wired by name',
        });
        continue;
      }
      edges.push([from[0], to[0]]);
    }
    return { ins, outs };
  };
  walk(file.graph, '', true);
  return { nodes, edges };
}

/** The graph in one level; edges naming a node that is not there are reported and left out. */
export function flatten(file: NirFile, report: ImportReport): FlatGraph {
  const { nodes, edges } = flattenNodes(file, report);
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) {
    if (!nodes.has(a) || !nodes.has(b)) {
      report.problem(`edge ${a} -> ${b}`, 'unsupported', `names a node that is not in the graph (${nodes.has(a) ? b : a})`);
      continue;
    }
    if (!out.has(a)) out.set(a, []);
    out.get(a)!.push(b);
  }
  return { nodes, out };
}
