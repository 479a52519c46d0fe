// Reading and writing NIR graphs as HDF5 files (the layout of nir/serialization.py, described in
// graph.ts) through h5wasm, the HDF5 C library compiled to WebAssembly. Files written here are read
// by nir.read(); files written by nir.write() (h5py: fixed- or variable-length strings, float32 or
// float64 parameters, int64 shapes, gzip-compressed datasets, nested NIRGraph nodes) are read here.
//
// A NIR file comes from outside: the HDF5 library can loop forever on a damaged one, and nothing can
// interrupt WebAssembly on the thread running it. So readNirFile reads in a worker thread that is
// terminated after a time bound, after checking the file's size; the reader itself bounds nesting,
// node count and values before it asks h5wasm for them. Names are kept in null-prototype records, so
// a node or dataset named `__proto__` or `constructor` is an ordinary name.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import h5wasm from 'h5wasm/node';
import type { NirArray, NirFile, NirGraph, NirMetadata, NirNode } from './graph.js';
import { NIR_VERSION, NirFileError } from './graph.js';

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** How long a read may take before the reader is stopped (ms). */
export const NIR_READ_TIMEOUT_MS = 5000;
/** The largest file read (bytes). */
export const NIR_MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Limits on what one file may hold; a file beyond them is refused, not read. */
export const NIR_READ_LIMITS = { depth: 16, nodes: 100_000, values: 1 << 25, edges: 1_000_000 };

export interface NirReadOptions {
  /** Time bound of the read (ms, default NIR_READ_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Largest file accepted (bytes, default NIR_MAX_FILE_BYTES). */
  maxBytes?: number;
}

let ready: Promise<unknown> | null = null;
async function h5(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Every view of an ArrayBuffer but a DataView is one of the typed arrays. */
const isTypedArray = (v: unknown): v is TypedArray => ArrayBuffer.isView(v) && !(v instanceof DataView);

function toNumbers(v: unknown): Float64Array | null {
  if (typeof v === 'number') return Float64Array.of(v);
  if (typeof v === 'bigint') return Float64Array.of(Number(v));
  if (typeof v === 'boolean') return Float64Array.of(v ? 1 : 0);
  if (isTypedArray(v)) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  // A DataView has no elements of its own: it reads as no values.
  if (ArrayBuffer.isView(v)) return new Float64Array(0);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean'))
    return Float64Array.from(v, (x) => Number(x));
  return null;
}

function asString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
}

/** What one read has used of NIR_READ_LIMITS, and where it is (for the error). */
class Budget {
  nodes = 0;
  values = 0;
  constructor(readonly file: string) {}

  /** Counts a dataset's elements before its value is read (the value is what allocates). */
  dataset(d: H5Dataset, path: string): void {
    const shape = d.shape ?? [];
    let n = 1;
    for (const x of shape) n *= x;
    if (!Number.isSafeInteger(n) || n < 0) throw new NirFileError(this.file, `${path}: shape [${shape.join(', ')}] is not a valid size`);
    this.values += n;
    if (this.values > NIR_READ_LIMITS.values)
      throw new NirFileError(this.file, `${path}: more than ${NIR_READ_LIMITS.values} values in the file`);
  }

  node(path: string, depth: number): void {
    if (++this.nodes > NIR_READ_LIMITS.nodes) throw new NirFileError(this.file, `${path}: more than ${NIR_READ_LIMITS.nodes} nodes`);
    if (depth > NIR_READ_LIMITS.depth)
      throw new NirFileError(this.file, `${path}: NIRGraph nodes nested deeper than ${NIR_READ_LIMITS.depth}`);
  }
}

function readValue(d: H5Dataset, budget: Budget, path: string): unknown {
  budget.dataset(d, path);
  return d.value;
}

function readMetadata(g: H5Group, H: typeof h5wasm, budget: Budget, path: string): NirMetadata {
  const out = record<string | number>();
  const m = g.get('metadata');
  if (!(m instanceof H.Group)) return out;
  for (const k of m.keys()) {
    const d = m.get(k);
    if (!(d instanceof H.Dataset)) continue;
    const v = readValue(d, budget, `${path}/metadata/${k}`);
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

function readNode(g: H5Group, H: typeof h5wasm, path: string, budget: Budget, depth: number): NirNode {
  budget.node(path, depth);
  const t = g.get('type');
  const type = t instanceof H.Dataset ? asString(readValue(t, budget, `${path}/type`)) : null;
  if (type === null) throw new NirFileError(budget.file, `${path} has no type`);
  const metadata = readMetadata(g, H, budget, path);
  if (type === 'NIRGraph') return { type, params: record(), metadata, graph: readGraph(g, H, path, budget, depth + 1) };
  const params = record<NirArray>();
  for (const k of g.keys()) {
    if (k === 'type' || k === 'metadata') continue;
    const d = g.get(k);
    if (!(d instanceof H.Dataset)) continue;
    const data = toNumbers(readValue(d as H5Dataset, budget, `${path}/${k}`));
    if (!data) continue; // string-valued fields (none among the primitives Flux maps)
    params[k] = { shape: [...((d as H5Dataset).shape ?? [])], data };
  }
  return { type, params, metadata };
}

function readGraph(g: H5Group, H: typeof h5wasm, path: string, budget: Budget, depth: number): NirGraph {
  const nodes = record<NirNode>();
  const ng = g.get('nodes');
  if (ng instanceof H.Group)
    for (const k of ng.keys()) {
      const child = ng.get(k);
      if (!(child instanceof H.Group)) throw new NirFileError(budget.file, `${path}/nodes/${k} is not a group`);
      nodes[k] = readNode(child, H, `${path}/nodes/${k}`, budget, depth);
    }
  const edges: [string, string][] = [];
  const e = g.get('edges');
  if (e instanceof H.Dataset) {
    const v = readValue(e, budget, `${path}/edges`);
    const flat = (Array.isArray(v) ? v.flat(2) : v === null ? [] : [v]).map((x) => asString(x));
    if (flat.some((x) => x === null) || flat.length % 2 !== 0)
      throw new NirFileError(budget.file, `${path}/edges is not a list of (source, target) names`);
    if (flat.length / 2 > NIR_READ_LIMITS.edges)
      throw new NirFileError(budget.file, `${path}/edges: more than ${NIR_READ_LIMITS.edges} edges`);
    for (let i = 0; i < flat.length; i += 2) edges.push([flat[i]!, flat[i + 1]!]);
  }
  return { nodes, edges, metadata: readMetadata(g, H, budget, path) };
}

/** The innermost frame of an HDF5 error stack (what went wrong, not where it was noticed). */
export function hdf5Message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const frames = [...text.matchAll(/#\d+: .* in (\w+)\(\): (.*)$/gm)];
  return frames.length ? frames[frames.length - 1][2] : text.split('\n')[0];
}

/**
 * Reads a NIR graph from an HDF5 file on the calling thread, with no time bound: for the worker
 * (hdf5-worker.ts) and for files this process wrote itself. Outside files go through readNirFile.
 */
export async function readNirFileInThread(file: string): Promise<NirFile> {
  const H = await h5();
  // HDF5 errors as exceptions instead of error stacks printed on stderr.
  (await h5wasm.ready).activate_throwing_error_handler();
  let f: InstanceType<typeof H.File>;
  try {
    f = new H.File(file, 'r');
  } catch (e) {
    throw new NirFileError(file, `not an HDF5 file (${hdf5Message(e)})`);
  }
  const budget = new Budget(file);
  try {
    const v = f.get('version');
    const version = v instanceof H.Dataset ? (asString(readValue(v, budget, '/version')) ?? 'unknown') : 'unknown';
    const root = f.get('node');
    if (!(root instanceof H.Group)) throw new NirFileError(file, 'no /node group (not a NIR graph)');
    const node = readNode(root, H, '/node', budget, 0);
    if (!node.graph) throw new NirFileError(file, `/node is a ${node.type}, expected a NIRGraph`);
    return { version, graph: node.graph };
  } finally {
    f.close();
  }
}

// The compiled worker next to this file; from the sources (vitest), the build's copy.
const here = dirname(fileURLToPath(import.meta.url));
const WORKER = [join(here, 'hdf5-worker.js'), join(here, '../../dist/interop/nir/hdf5-worker.js')].find((p) => existsSync(p));

/** What the worker posts: the graph, or why not (a NirFileError's reason, or another error's message). */
export type WorkerAnswer = { ok: true; nir: NirFile } | { ok: false; message: string };

/**
 * Reads a NIR graph from an HDF5 file, in a worker thread stopped after `timeoutMs`; a file larger
 * than `maxBytes` is refused unread. Every failure is a NirFileError "could not read <file>: ...".
 */
export async function readNirFile(file: string, options: NirReadOptions = {}): Promise<NirFile> {
  const timeoutMs = options.timeoutMs ?? NIR_READ_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? NIR_MAX_FILE_BYTES;
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new NirFileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  if (size > maxBytes) throw new NirFileError(file, `${size} bytes, more than the ${maxBytes} accepted`);
  if (!WORKER) throw new NirFileError(file, 'the reader thread (hdf5-worker.js) is not built: run `npm run build`');
  const answer = await inWorker(WORKER, file, timeoutMs);
  if (!answer.ok) throw new NirFileError(file, answer.message);
  return adopt(answer.nir);
}

function inWorker(script: string, file: string, timeoutMs: number): Promise<WorkerAnswer> {
  return new Promise((resolve) => {
    // stderr: true keeps the HDF5 library's error stacks out of the process's own stderr.
    const worker = new Worker(script, { workerData: { file }, stderr: true, stdout: true });
    worker.stderr.resume();
    worker.stdout.resume();
    let settled = false;
    const settle = (a: WorkerAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(a);
    };
    const timer = setTimeout(
      () =>
        settle({
          ok: false,
          message: `timed out after ${timeoutMs} ms (the HDF5 reader was stopped; the file is damaged or not a NIR file)`,
        }),
      timeoutMs,
    );
    worker.on('message', (m: WorkerAnswer) => settle(m));
    worker.on('error', (e) => settle({ ok: false, message: `the reader failed: ${e.message}` }));
    worker.on('exit', (code) => settle({ ok: false, message: `the reader stopped (exit code ${code})` }));
  });
}

/** The graph as structured clone delivers it, in null-prototype records again. */
function adopt(nir: NirFile): NirFile {
  const graph = (g: NirGraph): NirGraph => {
    const nodes = record<NirNode>();
    for (const [k, n] of Object.entries(g.nodes))
      nodes[k] = {
        type: n.type,
        params: Object.assign(record<NirArray>(), n.params),
        metadata: Object.assign(record<string | number>(), n.metadata),
        ...(n.graph ? { graph: graph(n.graph) } : {}),
      };
    return { nodes, edges: g.edges, metadata: Object.assign(record<string | number>(), g.metadata) };
  };
  return { version: nir.version, graph: graph(nir.graph) };
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
