// Reading and writing NIR graphs as HDF5 files (the layout of nir/serialization.py, described in
// graph.ts) through h5wasm, the HDF5 C library compiled to WebAssembly. Files written here are read
// by nir.read(); files written by nir.write() (h5py: fixed- or variable-length strings, float32 or
// float64 parameters, int64 shapes, gzip-compressed datasets, nested NIRGraph nodes) are read here.
import h5wasm from 'h5wasm/node';
import type { NirArray, NirFile, NirGraph, NirMetadata, NirNode } from './graph.js';
import { NIR_VERSION } from './graph.js';

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

let ready: Promise<unknown> | null = null;
async function h5(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

function toNumbers(v: unknown): Float64Array | null {
  if (typeof v === 'number') return Float64Array.of(v);
  if (typeof v === 'bigint') return Float64Array.of(Number(v));
  if (typeof v === 'boolean') return Float64Array.of(v ? 1 : 0);
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
    return out;
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean')) return Float64Array.from(v, (x) => Number(x));
  return null;
}

function asString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
}

function readMetadata(g: H5Group, H: typeof h5wasm): NirMetadata {
  const out: NirMetadata = {};
  const m = g.get('metadata');
  if (!(m instanceof H.Group)) return out;
  for (const k of m.keys()) {
    const d = m.get(k);
    if (!(d instanceof H.Dataset)) continue;
    const v = d.value;
    const s = asString(v);
    if (s !== null) out[k] = s;
    else {
      const n = toNumbers(v);
      if (n && n.length === 1) out[k] = n[0];
      else if (n) out[k] = JSON.stringify(Array.from(n));
    }
  }
  return out;
}

function readNode(g: H5Group, H: typeof h5wasm, path: string): NirNode {
  const t = g.get('type');
  const type = t instanceof H.Dataset ? asString(t.value) : null;
  if (type === null) throw new Error(`NIR file: ${path} has no type`);
  const metadata = readMetadata(g, H);
  if (type === 'NIRGraph') return { type, params: {}, metadata, graph: readGraph(g, H, path) };
  const params: Record<string, NirArray> = {};
  for (const k of g.keys()) {
    if (k === 'type' || k === 'metadata') continue;
    const d = g.get(k);
    if (!(d instanceof H.Dataset)) continue;
    const data = toNumbers((d as H5Dataset).value);
    if (!data) continue; // string-valued fields (none among the primitives Flux maps)
    params[k] = { shape: (d as H5Dataset).shape ?? [], data };
  }
  return { type, params, metadata };
}

function readGraph(g: H5Group, H: typeof h5wasm, path: string): NirGraph {
  const nodes: Record<string, NirNode> = {};
  const ng = g.get('nodes');
  if (ng instanceof H.Group) for (const k of ng.keys()) nodes[k] = readNode(ng.get(k) as H5Group, H, `${path}/nodes/${k}`);
  const edges: [string, string][] = [];
  const e = g.get('edges');
  if (e instanceof H.Dataset) {
    const v = e.value;
    const flat = (Array.isArray(v) ? v.flat(2) : v === null ? [] : [v]).map((x) => asString(x));
    if (flat.some((x) => x === null) || flat.length % 2 !== 0) throw new Error(`NIR file: ${path}/edges is not a list of (source, target) names`);
    for (let i = 0; i < flat.length; i += 2) edges.push([flat[i]!, flat[i + 1]!]);
  }
  return { nodes, edges, metadata: readMetadata(g, H) };
}

/** Reads a NIR graph from an HDF5 file. */
export async function readNirFile(file: string): Promise<NirFile> {
  const H = await h5();
  const f = new H.File(file, 'r');
  try {
    const v = f.get('version');
    const version = v instanceof H.Dataset ? (asString(v.value) ?? 'unknown') : 'unknown';
    const root = f.get('node');
    if (!(root instanceof H.Group)) throw new Error(`NIR file ${file}: no /node group (not a NIR graph)`);
    const node = readNode(root, H, '/node');
    if (!node.graph) throw new Error(`NIR file ${file}: /node is a ${node.type}, expected a NIRGraph`);
    return { version, graph: node.graph };
  } finally {
    f.close();
  }
}

function writeMetadata(g: H5Group, m: NirMetadata): void {
  const keys = Object.keys(m);
  if (keys.length === 0) return; // nir.write skips empty metadata too
  const mg = g.create_group('metadata');
  for (const k of keys) mg.create_dataset({ name: k, data: m[k] as string | number });
}

function writeNode(g: H5Group, node: NirNode, compress: boolean): void {
  g.create_dataset({ name: 'type', data: node.type });
  if (node.graph) {
    writeGraph(g, node.graph, compress);
  } else {
    for (const [k, a] of Object.entries(node.params)) {
      // Input/Output shapes are int64 as the reference implementation writes them.
      if ((node.type === 'Input' || node.type === 'Output') && k === 'shape') {
        g.create_dataset({ name: k, data: BigInt64Array.from(a.data, (x) => BigInt(Math.round(x))), shape: a.shape });
        continue;
      }
      const big = compress && a.data.length >= 64;
      g.create_dataset({ name: k, data: a.data, shape: a.shape, ...(big ? { compression: 'gzip' as const, chunks: a.shape } : {}) });
    }
  }
  writeMetadata(g, node.metadata);
}

function writeGraph(g: H5Group, graph: NirGraph, compress: boolean): void {
  const flat = graph.edges.flatMap(([a, b]) => [a, b]);
  g.create_dataset({ name: 'edges', data: flat, shape: [graph.edges.length, 2], ...(flat.length === 0 ? { dtype: 'S' } : {}) });
  const ng = g.create_group('nodes');
  for (const [name, node] of Object.entries(graph.nodes)) writeNode(ng.create_group(name), node, compress);
}

/** Writes a NIR graph as an HDF5 file (overwriting it); arrays of 64 or more values are gzip-compressed. */
export async function writeNirFile(file: string, nir: NirFile | NirGraph, options: { compress?: boolean } = {}): Promise<void> {
  const H = await h5();
  const { version, graph } = 'graph' in nir ? nir : { version: NIR_VERSION, graph: nir };
  const f = new H.File(file, 'w');
  try {
    f.create_dataset({ name: 'version', data: version });
    const root = f.create_group('node');
    writeNode(root, { type: 'NIRGraph', params: {}, metadata: graph.metadata, graph }, options.compress ?? true);
  } finally {
    f.close();
  }
}
