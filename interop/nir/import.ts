// NIR graph -> Flux circuit document. The units and scale factors are derived in conventions.ts.
//
// The graph is read as spike sources, membranes and the linear paths between them:
//   - membranes (populations): LIF, CubaLIF, IF (spiking); LI, CubaLI, I (non-spiking, unless an LI
//     is a synapse, below). Each becomes a Flux `lif` population; its parameters must be the same
//     for every neuron of the node (Flux parameters are per population).
//   - spike sources: the spiking membranes, and the graph's Input nodes, which become `poisson`
//     populations driven by a rate input of the same name (inputs: current reads an Input as a
//     current instead; Flux's own exports say which in metadata).
//   - paths: from a source along edges through Affine, Linear, Scale, Delay (and the Input/Output
//     nodes of nested subgraphs, Flatten, Identity: pass-through) and at most one exponential filter
//     (an LI synapse, or the synapse of a CubaLIF target) to a membrane. A path's matrix is the
//     product of the matrices along it; its delay the sum of the (uniform) delays; paths between the
//     same two nodes with the same delay add up. Each becomes one Flux projection per sign
//     (excitatory > 0, inhibitory < 0) with current synapses.
//   - Affine biases: constant currents that follow the same paths and end as the target's i_offset.
//     Through a filter the constant starts at 0 and rises with the filter's tau; Flux reproduces that
//     exactly by starting the matching synaptic channel at -i_offset.
//   - Output nodes fed directly by a population: Flux outputs (spikes: count per step, unless
//     metadata says otherwise; non-spiking populations: voltage).
// A projection's matrix becomes a rule where one reproduces it exactly: all one value (all_to_all),
// one value off the diagonal of a self-projection (all_to_all, autapses false), one value on the
// diagonal (one_to_one). Any other matrix (trained, randomly wired) is written as it is: connectivity
// `matrix` (rows = targets, as the Linear) or, when under a third of its entries are nonzero, `list`
// ([source, target, weight] per synapse); no `weight` then. Per-neuron parameters, per-element
// delays, analog (non-spike) couplings between nodes, two filters in a row, Conv/Pool/Threshold
// nodes and readouts through weights are reported by name (NirProblem). Without `partial` any
// problem fails the import with the whole list.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import YAML from 'yaml';
import type { CircuitDoc, PopulationDoc, ProjectionDoc } from '../../engine/circuit/document.js';
import { loadCircuit } from '../../engine/engine.js';
import { NirConversionError, NirFileError, elementCount, type NirArray, type NirFile, type NirMetadata, type NirNode, type NirProblem } from './graph.js';
import { NIR_IMPORT_LIMITS, checkNirFile } from './check.js';
import { FAST_TAU_SYN_MS, IF_TAU_M_MS, META, MS_PER_S, NONSPIKING_THRESHOLD_MV } from './conventions.js';
import { readNirFile, type NirReadOptions } from './hdf5.js';

export interface NirImportOptions {
  /** Integration step of the circuit (ms); default: the graph's flux_dt_ms metadata, else 0.1 ms. */
  dt?: number;
  /** Write what maps and return the problems instead of failing with the list (default false). */
  partial?: boolean;
  /** What one spike delivers, in seconds of unit input (default 1: a Dirac pulse, NIR's convention). */
  spikeIntegral?: number;
  /** How Input nodes without Flux metadata are read: spike trains (default) or currents. */
  inputs?: 'spikes' | 'current';
  /** Circuit name (default: the graph's flux_name metadata, else the file name). */
  name?: string;
  /** Bounds of the file read (time, size): readNirFile's options. */
  read?: NirReadOptions;
}

export interface NirImportResult {
  doc: CircuitDoc;
  yaml: string;
  problems: NirProblem[];
  notes: string[];
  /** NIR node name -> Flux population name. */
  populations: Record<string, string>;
}

interface Node {
  name: string;
  type: string;
  params: Record<string, NirArray>;
  metadata: NirMetadata;
}

const MEMBRANES = new Set(['LIF', 'CubaLIF', 'IF', 'LI', 'CubaLI', 'I']);
const SPIKING = new Set(['LIF', 'CubaLIF', 'IF']);
const TRANSFORMS = new Set(['Affine', 'Linear', 'Scale', 'Delay', 'pass', 'Flatten', 'Identity']);

/** A path's effect on a membrane: matrix [rows x cols] (rows = target size), delay (s), filter. */
interface Path {
  source: string;
  sink: string;
  m: Float64Array;
  rows: number;
  cols: number;
  delay: number;
  filter: { tau: number } | null;
  via: string[];
}

interface Membrane {
  node: Node;
  pop: string;
  size: number;
  spiking: boolean;
  /** ms; IF_TAU_M_MS for IF and I */
  tauM: number;
  cm: number;
  vRest: number;
  vThresh: number;
  vReset: number;
  offset: number;
  /** CubaLIF / CubaLI: the synapse inside the node */
  intrinsic: { tauMs: number; wIn: Float64Array } | null;
  tauExc?: number;
  tauInh?: number;
  iOffset: number;
  initIe: number;
  initIi: number;
}

/** Names that are properties of every object: kept out of the document's records. */
const reserved = (name: string) => name in Object.prototype || name === 'prototype';

/** A NIR name as a document key: letters, digits and _, never a reserved name. */
const docKey = (raw: string) => {
  const k = raw.replace(/[^A-Za-z0-9_]/g, '_');
  return reserved(k) ? `n_${k}` : k;
};

function matmul(a: Float64Array, ar: number, ac: number, b: Float64Array, bc: number): Float64Array {
  const out = new Float64Array(ar * bc);
  for (let i = 0; i < ar; i++)
    for (let k = 0; k < ac; k++) {
      const x = a[i * ac + k];
      if (x === 0) continue;
      for (let j = 0; j < bc; j++) out[i * bc + j] += x * b[k * bc + j];
    }
  return out;
}

function scaleRows(m: Float64Array, cols: number, s: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.length);
  for (let i = 0; i < s.length; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = m[i * cols + j] * s[i];
  return out;
}

const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

function uniformValue(a: Float64Array): number | null {
  for (let i = 1; i < a.length; i++) if (!close(a[i], a[0])) return null;
  return a.length ? a[0] : null;
}

/** Flattens nested NIRGraph nodes into one level: names joined with '.', subgraph Input/Output nodes pass through. */
function flatten(file: NirFile, problems: NirProblem[]): { nodes: Map<string, Node>; edges: [string, string][] } {
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
        problems.push({ element: `edge ${prefix}${a} -> ${prefix}${b}`, kind: 'unsupported', message: 'a subgraph with no or several Input/Output nodes cannot be wired by name' });
        continue;
      }
      edges.push([from[0], to[0]]);
    }
    return { ins, outs };
  };
  walk(file.graph, '', true);
  return { nodes, edges };
}

export function nirToCircuit(input: NirFile, options: NirImportOptions & { fileName?: string } = {}): NirImportResult {
  const where = options.fileName ?? 'NIR graph';
  const file = checkNirFile(input, where);
  const refuse = (element: string, reason: string): never => {
    throw new NirFileError(where, `${element}: ${reason}`, 'graph');
  };
  // A number as the document writes it: the checks above keep non-finite values out; this is the last one.
  const fmt = (x: number) => (Number.isFinite(x) ? String(x) : refuse('the graph', `a computed value is ${x} (parameters too large)`));
  const problems: NirProblem[] = [];
  const notes: string[] = [];
  const problem = (element: string, kind: NirProblem['kind'], message: string) => {
    if (!problems.some((p) => p.element === element && p.message === message)) problems.push({ element, kind, message });
  };
  const { nodes, edges } = flatten(file, problems);
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) {
    if (!nodes.has(a) || !nodes.has(b)) {
      problem(`edge ${a} -> ${b}`, 'unsupported', `names a node that is not in the graph (${nodes.has(a) ? b : a})`);
      continue;
    }
    if (!out.has(a)) out.set(a, []);
    out.get(a)!.push(b);
  }
  const gmeta = file.graph.metadata;
  const spikeIntegral = options.spikeIntegral ?? 1;
  const dt = options.dt ?? (typeof gmeta[META.dt] === 'number' ? (gmeta[META.dt] as number) : 0.1);
  if (!(Number.isFinite(dt) && dt > 0)) refuse('the graph', `dt ${dt} ms is not a positive finite step`);
  if (!(Number.isFinite(spikeIntegral) && spikeIntegral > 0)) refuse('the graph', `spikeIntegral ${spikeIntegral} is not a positive finite number`);

  for (const n of nodes.values())
    if (!MEMBRANES.has(n.type) && !TRANSFORMS.has(n.type) && n.type !== 'Input' && n.type !== 'Output')
      problem(`node ${n.name}`, 'unsupported', `${n.type} has no Flux equivalent (Flux maps LIF, CubaLIF, IF, LI, CubaLI, I, Affine, Linear, Scale, Delay, Input, Output)`);

  // A size the importer can build (a positive integer); null when missing or not one.
  const sizeOf = (n: Node): number | null => {
    const s = rawSizeOf(n);
    return s !== null && Number.isSafeInteger(s) && s > 0 ? s : null;
  };
  const rawSizeOf = (n: Node): number | null => {
    const p = n.params;
    switch (n.type) {
      case 'Input':
      case 'Output':
        return p.shape ? p.shape.data.reduce((a, b) => a * b, 1) : null;
      case 'Affine':
      case 'Linear':
        return p.weight?.shape.length === 2 ? p.weight.shape[0] : null;
      case 'Scale':
        return p.scale ? elementCount(p.scale) : null;
      case 'Delay':
        return p.delay ? elementCount(p.delay) : null;
      default: {
        const any = p.v_threshold ?? p.tau ?? p.tau_mem ?? p.r;
        return any ? elementCount(any) : null;
      }
    }
  };

  // Sinks reached from a node through transforms only (to decide whether an LI is a synapse).
  const sinksFrom = (start: string): Set<string> => {
    const seen = new Set<string>();
    const sinks = new Set<string>();
    const stack = [...(out.get(start) ?? [])];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      const n = nodes.get(x)!;
      if (TRANSFORMS.has(n.type)) stack.push(...(out.get(x) ?? []));
      else sinks.add(x);
    }
    return sinks;
  };
  const filters = new Set<string>();
  for (const n of nodes.values()) {
    if (n.type !== 'LI') continue;
    const leak = n.params.v_leak?.data ?? new Float64Array(1);
    const sinks = [...sinksFrom(n.name)];
    const { tau, r } = n.params;
    const size = sizeOf(n);
    if (!tau || !r || (r.data.length !== 1 && r.data.length !== size)) continue;
    if (uniformValue(tau.data) !== null && leak.every((x) => x === 0) && sinks.length > 0 && sinks.every((s) => ['LIF', 'IF'].includes(nodes.get(s)!.type))) filters.add(n.name);
  }

  // Membranes -> populations.
  const taken = new Set<string>();
  const flux = (raw: string) => {
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base) || reserved(base)) base = `n_${base}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const membranes = new Map<string, Membrane>();
  const populationOf = new Map<string, string>();
  const param = (n: Node, key: string, fallback?: number): number => {
    const a = n.params[key];
    if (!a) {
      if (fallback !== undefined) return fallback;
      problem(`node ${n.name}`, 'unsupported', `${n.type} without ${key}`);
      return NaN;
    }
    const u = uniformValue(a.data);
    if (a.data.length === 0) {
      problem(`node ${n.name}`, 'unsupported', `${key} has no values`);
      return NaN;
    }
    if (u === null) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const x of a.data) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
      problem(`node ${n.name}`, 'approximated', `${key} differs between neurons (${lo} .. ${hi}); a Flux population has one value per parameter: used ${a.data[0]}`);
      return a.data[0];
    }
    return u;
  };
  for (const n of nodes.values()) {
    if (!MEMBRANES.has(n.type) || filters.has(n.name)) continue;
    const size = sizeOf(n);
    if (!size) {
      problem(`node ${n.name}`, 'unsupported', `${n.type} without parameters to size it`);
      continue;
    }
    const spiking = SPIKING.has(n.type);
    const leaky = n.type !== 'IF' && n.type !== 'I';
    const cuba = n.type === 'CubaLIF' || n.type === 'CubaLI';
    const r = param(n, 'r');
    const tauS = leaky ? param(n, cuba ? 'tau_mem' : 'tau') : 0;
    if (!(r > 0) || (leaky && !(tauS > 0))) {
      problem(`node ${n.name}`, 'unsupported', `needs r > 0${leaky ? ' and tau > 0' : ''} (r ${r}${leaky ? `, tau ${tauS}` : ''})`);
      continue;
    }
    const offset = typeof n.metadata[META.vOffset] === 'number' ? (n.metadata[META.vOffset] as number) : 0;
    const tauM = leaky ? tauS * MS_PER_S : IF_TAU_M_MS;
    const m: Membrane = {
      node: n,
      pop: flux(n.metadata[META.role] === 'population' && typeof n.metadata[META.name] === 'string' ? (n.metadata[META.name] as string) : n.name),
      size,
      spiking,
      tauM,
      cm: leaky ? tauM / r : MS_PER_S / r,
      vRest: (leaky ? param(n, 'v_leak', 0) : 0) + offset,
      vThresh: spiking ? param(n, 'v_threshold') + offset : NONSPIKING_THRESHOLD_MV,
      vReset: (spiking ? param(n, 'v_reset', 0) : 0) + offset,
      offset,
      intrinsic: null,
      iOffset: 0,
      initIe: 0,
      initIi: 0,
    };
    const computed = { cm: m.cm, tau_m: m.tauM, v_rest: m.vRest, v_threshold: m.vThresh, v_reset: m.vReset };
    const bad = Object.entries(computed).find(([, x]) => !Number.isFinite(x));
    if (bad) {
      problem(`node ${n.name}`, 'unsupported', `${bad[0]} would be ${bad[1]} (a parameter is missing or too large)`);
      continue;
    }
    if (cuba) {
      const ts = param(n, 'tau_syn');
      if (!(ts > 0) || !Number.isFinite(ts * MS_PER_S)) {
        problem(`node ${n.name}`, 'unsupported', `needs tau_syn > 0 (got ${ts})`);
        continue;
      }
      const wIn = n.params.w_in?.data ?? Float64Array.of(1);
      if (wIn.length !== 1 && wIn.length !== size) {
        problem(`node ${n.name}`, 'unsupported', `w_in has ${wIn.length} values for ${size} neurons`);
        continue;
      }
      m.intrinsic = { tauMs: ts * MS_PER_S, wIn: wIn.length === size ? wIn : new Float64Array(size).fill(wIn[0]) };
      m.tauExc = m.tauInh = ts * MS_PER_S;
    }
    if (!spiking) notes.push(`node ${n.name}: non-spiking ${n.type} -> lif population "${m.pop}" with v_thresh ${NONSPIKING_THRESHOLD_MV} mV (never reached)`);
    if (n.type === 'IF' || n.type === 'I') notes.push(`node ${n.name}: ${n.type} -> lif population "${m.pop}" with tau_m ${IF_TAU_M_MS} ms (no leak)`);
    membranes.set(n.name, m);
    populationOf.set(n.name, m.pop);
  }

  // Spike sources: spiking membranes and Input nodes. Non-spiking membranes are analog sources.
  interface InputInfo {
    node: Node;
    size: number;
    current: boolean;
    pop?: string;
  }
  const inputs = new Map<string, InputInfo>();
  for (const n of nodes.values()) {
    if (n.type !== 'Input') continue;
    const size = sizeOf(n);
    if (!size) {
      problem(`node ${n.name}`, 'unsupported', 'Input without a shape');
      continue;
    }
    const mode = n.metadata[META.inputMode] ?? (n.metadata[META.role] === 'population' ? 'spikes' : (options.inputs ?? 'spikes'));
    const info: InputInfo = { node: n, size, current: mode === 'current' };
    if (!info.current) {
      info.pop = flux(n.metadata[META.role] === 'population' && typeof n.metadata[META.name] === 'string' ? (n.metadata[META.name] as string) : n.name);
      populationOf.set(n.name, info.pop);
    }
    inputs.set(n.name, info);
  }

  // Tracing paths is bounded: a hostile graph can hold exponentially many paths (diamonds of
  // transforms), very long chains, or matrices too large to build.
  let steps = 0;
  let work = 0;
  const matrix = (rows: number, cols: number, element: string): Float64Array => {
    if (rows * cols > NIR_IMPORT_LIMITS.matrix) refuse(element, `a ${rows} x ${cols} path matrix is beyond the importer's bound (${NIR_IMPORT_LIMITS.matrix} elements)`);
    return new Float64Array(rows * cols);
  };
  const product = (w: NirArray, m: Float64Array, cols: number, element: string): Float64Array => {
    matrix(w.shape[0], cols, element);
    work += w.shape[0] * w.shape[1] * cols;
    if (work > NIR_IMPORT_LIMITS.work) refuse(element, `tracing the graph's paths needs more than ${NIR_IMPORT_LIMITS.work} multiply-adds (the importer's bound)`);
    return matmul(w.data, w.shape[0], w.shape[1], m, cols);
  };

  // Walk every path from a source (rows x cols matrix, starting as the identity or a bias column).
  const walkPaths = (source: string, start: Float64Array, rows: number, cols: number, constant: boolean, firstEdges: string[], via0: string[]): Path[] => {
    const found: Path[] = [];
    const step = (to: string, m: Float64Array, rows: number, delay: number, filter: Path['filter'], via: string[]) => {
      const n = nodes.get(to)!;
      const here = `${via.length ? via[via.length - 1] : source} -> ${to}`;
      if (++steps > NIR_IMPORT_LIMITS.steps) refuse(`node "${source}"`, `its paths take more than ${NIR_IMPORT_LIMITS.steps} steps to trace (the importer's bound)`);
      if (via.length > NIR_IMPORT_LIMITS.pathLength) refuse(`node "${to}"`, `a path from "${source}" is longer than ${NIR_IMPORT_LIMITS.pathLength} nodes`);
      if (via.includes(to)) {
        problem(`node ${to}`, 'unsupported', 'a loop through transforms only (no neuron in it)');
        return;
      }
      if (membranes.has(to) || n.type === 'Output') {
        found.push({ source, sink: to, m, rows, cols, delay, filter, via });
        return;
      }
      if (!TRANSFORMS.has(n.type) && !filters.has(to)) {
        if (MEMBRANES.has(n.type) || n.type === 'Input') problem(`edge ${here}`, 'unsupported', `${n.type} "${to}" cannot be reached here`);
        return; // unsupported node types are reported once above
      }
      const size = filters.has(to) ? sizeOf(n) : n.type === 'pass' || n.type === 'Flatten' || n.type === 'Identity' ? rows : n.type === 'Affine' || n.type === 'Linear' ? n.params.weight?.shape[1] : sizeOf(n);
      if (size !== rows && !(n.type === 'Affine' || n.type === 'Linear')) {
        problem(`node ${to}`, 'unsupported', `expects ${size} inputs but receives ${rows} from "${via[via.length - 1] ?? source}"`);
        return;
      }
      let next = m;
      let nrows = rows;
      let ndelay = delay;
      let nfilter = filter;
      switch (n.type) {
        case 'Affine':
        case 'Linear': {
          const w = n.params.weight;
          if (!w || w.shape.length !== 2) {
            problem(`node ${to}`, 'unsupported', `${n.type} weight must be a 2-D matrix [out, in] (got shape [${w?.shape.join(', ') ?? ''}])`);
            return;
          }
          if (w.shape[1] !== rows) {
            problem(`node ${to}`, 'unsupported', `weight is [${w.shape.join(', ')}] but its input has ${rows} elements`);
            return;
          }
          next = product(w, m, cols, `node "${to}"`);
          nrows = w.shape[0];
          break;
        }
        case 'Scale':
          next = scaleRows(m, cols, n.params.scale.data);
          break;
        case 'Delay': {
          const d = uniformValue(n.params.delay.data);
          if (d !== null && d < 0) {
            problem(`node ${to}`, 'unsupported', `a negative delay (${d} s)`);
            return;
          }
          if (d === null) {
            problem(`node ${to}`, 'unsupported', 'per-element delays differ; a Flux projection has one delay (or a distribution)');
            return;
          }
          ndelay += d;
          break;
        }
        case 'LI': {
          if (filter) {
            problem(`node ${to}`, 'unsupported', `a second exponential filter on the path from "${source}" (two synapses in a row)`);
            return;
          }
          const tau = n.params.tau.data[0];
          const r = n.params.r.data.length === rows ? n.params.r.data : new Float64Array(rows).fill(n.params.r.data[0]);
          // Spikes: tau dv/dt = -v + r x jumps v by r W / tau; a constant x settles at r x.
          next = scaleRows(m, cols, constant ? r : Array.from(r, (x) => x / tau));
          nfilter = { tau };
          break;
        }
      }
      for (const t of out.get(to) ?? []) step(t, next, nrows, ndelay, nfilter, [...via, to]);
    };
    for (const t of firstEdges) step(t, start, rows, 0, null, via0);
    return found;
  };
  const identity = (n: number, element: string) => {
    const m = matrix(n, n, element);
    for (let i = 0; i < n; i++) m[i * n + i] = 1;
    return m;
  };

  const spikePaths: Path[] = [];
  for (const [name, m] of membranes) {
    const paths = walkPaths(name, identity(m.size, `node "${name}"`), m.size, m.size, false, out.get(name) ?? [], []);
    if (!m.spiking) {
      for (const p of paths)
        if (nodes.get(p.sink)!.type !== 'Output')
          problem(`node ${name}`, 'unsupported', `the potential of non-spiking ${m.node.type} "${name}" drives "${p.sink}": Flux projections carry spikes only`);
      spikePaths.push(...paths.filter((p) => nodes.get(p.sink)!.type === 'Output'));
    } else spikePaths.push(...paths);
  }
  for (const [name, info] of inputs) spikePaths.push(...walkPaths(name, identity(info.size, `node "${name}"`), info.size, info.size, false, out.get(name) ?? [], []));

  const constPaths: Path[] = [];
  for (const n of nodes.values()) {
    if (n.type !== 'Affine' || !n.params.bias || n.params.bias.data.every((x) => x === 0)) continue;
    const b = n.params.bias.data;
    constPaths.push(...walkPaths(n.name, Float64Array.from(b), b.length, 1, true, out.get(n.name) ?? [], [n.name]));
  }

  const doc: CircuitDoc = {
    name: options.name ?? (typeof gmeta[META.name] === 'string' ? (gmeta[META.name] as string) : basename(options.fileName ?? 'nir', '.nir')),
    description: `Imported from NIR${options.fileName ? ` file ${basename(options.fileName)}` : ''} (NIR version ${file.version}) by flux nir import; conventions in interop/nir/README.md`,
    dt: `${fmt(dt)} ms`,
    seed: typeof gmeta[META.seed] === 'number' ? (gmeta[META.seed] as number) : 1,
    populations: {},
    projections: {},
    inputs: {},
    outputs: {},
  };

  // Spike paths into membranes: weights in pA with the channel's tau.
  interface Part {
    source: string;
    target: string;
    delay: number;
    tau: number;
    w: Float64Array;
    rows: number;
    cols: number;
    via: string[];
  }
  const parts: Part[] = [];
  const inputCurrents: Path[] = [];
  const outputs: Path[] = [];
  for (const p of spikePaths) {
    const sink = nodes.get(p.sink)!;
    if (sink.type === 'Output') {
      outputs.push(p);
      continue;
    }
    const src = inputs.get(p.source);
    if (src?.current) {
      inputCurrents.push(p);
      continue;
    }
    const t = membranes.get(p.sink)!;
    let w: Float64Array;
    let tau: number;
    if (t.intrinsic) {
      if (p.filter) {
        problem(`node ${p.sink}`, 'unsupported', `input from "${p.source}" passes an LI synapse and then the ${t.node.type}'s own synapse (two filters in a row)`);
        continue;
      }
      const tauS = t.intrinsic.tauMs / MS_PER_S;
      w = scaleRows(p.m, p.cols, Array.from(t.intrinsic.wIn, (x) => (x * spikeIntegral) / tauS));
      tau = t.intrinsic.tauMs;
    } else if (p.filter) {
      w = p.m.map((x) => x * spikeIntegral);
      tau = p.filter.tau * MS_PER_S;
    } else {
      // A Dirac input into the membrane: charge Q = W (pA*s) through a fast synapse (conventions.ts).
      const ts = FAST_TAU_SYN_MS;
      const k = (MS_PER_S * spikeIntegral * (t.tauM - ts)) / (ts * t.tauM);
      w = p.m.map((x) => x * k);
      tau = ts;
    }
    if (!Number.isFinite(tau) || !w.every(Number.isFinite) || !Number.isFinite(p.delay * MS_PER_S)) refuse(`node "${p.sink}"`, `the weights, delay or time constant of its input from "${p.source}" overflow (values too large)`);
    parts.push({ source: p.source, target: p.sink, delay: p.delay, tau, w, rows: p.rows, cols: p.cols, via: p.via });
  }

  // Channel time constants: every excitatory part of a target shares one tau, every inhibitory part another.
  for (const part of parts) {
    const t = membranes.get(part.target)!;
    const pos = part.w.some((x) => x > 0);
    const neg = part.w.some((x) => x < 0);
    const clash = (pos && t.tauExc !== undefined && !close(t.tauExc, part.tau)) || (neg && t.tauInh !== undefined && !close(t.tauInh, part.tau));
    if (clash) {
      problem(`node ${part.target}`, 'unsupported', `inputs with synaptic time constants ${pos ? t.tauExc : t.tauInh} ms and ${part.tau} ms of the same sign (the one from "${part.source}" is left out): a Flux population has one time constant per receptor`);
      part.w = new Float64Array(0);
      continue;
    }
    if (pos) t.tauExc = part.tau;
    if (neg) t.tauInh = part.tau;
  }

  // Constants (Affine biases) into membranes: i_offset, with the filter's rise reproduced by the channel's initial value.
  for (const c of constPaths) {
    const t = membranes.get(c.sink);
    if (!t) {
      problem(`node ${c.source}`, 'unsupported', `its bias reaches ${nodes.get(c.sink)!.type} "${c.sink}", which is not a neuron`);
      continue;
    }
    let v = c.m;
    let tau = c.filter ? c.filter.tau * MS_PER_S : null;
    if (t.intrinsic) {
      if (c.filter) {
        problem(`node ${c.source}`, 'unsupported', `its bias passes two filters on the way to "${c.sink}"`);
        continue;
      }
      v = scaleRows(v, 1, t.intrinsic.wIn);
      tau = t.intrinsic.tauMs;
    }
    let amp = uniformValue(v);
    if (amp === null) {
      amp = v.reduce((a, b) => a + b, 0) / v.length;
      problem(`node ${c.source}`, 'approximated', `its bias differs between the neurons of "${c.sink}"; a Flux population has one bias current: used the mean ${amp} pA`);
    }
    t.iOffset += amp;
    if (tau !== null) {
      if (t.tauExc === undefined || close(t.tauExc, tau)) (t.tauExc = tau), (t.initIe -= amp);
      else if (t.tauInh === undefined || close(t.tauInh, tau)) (t.tauInh = tau), (t.initIi += amp);
      else problem(`node ${c.sink}`, 'approximated', `the bias from "${c.source}" rises with tau ${tau} ms in NIR; both synaptic channels are taken, so it is on from t = 0`);
    }
  }

  // Populations.
  for (const m of membranes.values()) {
    const n = m.node;
    for (const [k, x] of Object.entries({ i_offset: m.iOffset, ie: m.initIe, ii: m.initIi, tau_syn_exc: m.tauExc ?? 0, tau_syn_inh: m.tauInh ?? 0 }))
      if (!Number.isFinite(x)) refuse(`node "${n.name}"`, `${k} would be ${x} (values too large)`);
    const tr = typeof n.metadata[META.tauRefrac] === 'number' ? (n.metadata[META.tauRefrac] as number) : 0;
    const params: Record<string, string> = {
      cm: `${fmt(m.cm)} pF`,
      tau_m: `${fmt(m.tauM)} ms`,
      v_rest: `${fmt(m.vRest)} mV`,
      v_thresh: `${fmt(m.vThresh)} mV`,
      v_reset: `${fmt(m.vReset)} mV`,
      tau_refrac: `${fmt(tr)} ms`,
    };
    if (m.tauExc !== undefined) params.tau_syn_exc = `${fmt(m.tauExc)} ms`;
    if (m.tauInh !== undefined) params.tau_syn_inh = `${fmt(m.tauInh)} ms`;
    if (m.iOffset !== 0) params.i_offset = `${fmt(m.iOffset)} pA`;
    const pd: PopulationDoc = { model: 'lif', size: m.size, params, init: { v: `${fmt(m.offset)} mV` }, description: `NIR ${n.type} "${n.name}"` };
    if (m.initIe !== 0) pd.init!.ie = `${fmt(m.initIe)} pA`;
    if (m.initIi !== 0) pd.init!.ii = `${fmt(m.initIi)} pA`;
    if (typeof n.metadata[META.integration] === 'string') pd.integration = n.metadata[META.integration] as string;
    doc.populations![m.pop] = pd;
  }
  for (const info of inputs.values()) {
    if (info.current) continue;
    const n = info.node;
    const rate = typeof n.metadata[META.rate] === 'number' ? (n.metadata[META.rate] as number) : 0;
    doc.populations![info.pop!] = { model: 'poisson', size: info.size, params: { rate: `${fmt(rate)} Hz` }, description: `NIR Input "${n.name}" (spikes: a Poisson source driven by the rate input "${info.pop}")` };
    // A Flux poisson population keeps the rate input it had (if any); a foreign Input gets one of its name.
    const fromFlux = n.metadata[META.role] === 'population';
    if (fromFlux && typeof n.metadata.flux_rate_input !== 'string') continue;
    const inName = typeof n.metadata.flux_rate_input === 'string' ? n.metadata.flux_rate_input : info.pop!;
    const gain = typeof n.metadata.flux_rate_input_gain === 'number' ? n.metadata.flux_rate_input_gain : 1;
    doc.inputs![docKey(inName)] = { target: info.pop!, mode: 'rate', gain };
  }

  // Current inputs: a diagonal, uniform, undelayed, unfiltered path into one membrane.
  const byInput = new Map<string, Path[]>();
  for (const p of inputCurrents) byInput.set(p.source, [...(byInput.get(p.source) ?? []), p]);
  for (const [name, paths] of byInput) {
    const p = paths[0];
    const t = membranes.get(p.sink)!;
    const g = diagonalValue(p.m, p.rows, p.cols);
    if (paths.length !== 1 || p.filter || p.delay !== 0 || t.intrinsic || g === null) {
      problem(`node ${name}`, 'unsupported', 'a current Input must reach one LIF/IF/LI/I node element by element (through Scale or an identity), without delay or synapse');
      continue;
    }
    const n = nodes.get(name)!;
    const inName = docKey(n.metadata[META.role] === 'input' && typeof n.metadata[META.name] === 'string' ? (n.metadata[META.name] as string) : name);
    doc.inputs![inName] = { target: t.pop, mode: 'current', gain: g };
  }

  // Projections: sum the parts between the same nodes with the same delay, one projection per sign.
  // Paths through a Linear node that Flux exported from one projection stay that projection (two
  // Flux projections between the same populations are not merged); other paths between the same
  // nodes with the same delay add up.
  const fluxProjection = (part: Part) => {
    const lin = part.via.map((v) => nodes.get(v)!).find((n) => n.type === 'Linear' || n.type === 'Affine');
    return lin?.metadata[META.role] === 'projection' && typeof lin.metadata[META.name] === 'string' ? (lin.metadata[META.name] as string) : '';
  };
  const groups = new Map<string, Part[]>();
  for (const part of parts) {
    if (part.w.length === 0) continue;
    const key = `${part.source}\u0000${part.target}\u0000${part.delay}\u0000${fluxProjection(part)}`;
    groups.set(key, [...(groups.get(key) ?? []), part]);
  }
  const projNames = new Set<string>();
  const projName = (base: string) => {
    let b = base.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(b) || reserved(b)) b = `p_${b}`;
    let name = b;
    for (let k = 2; projNames.has(name); k++) name = `${b}_${k}`;
    projNames.add(name);
    return name;
  };
  const baseName = (ps: Part[]) => {
    const first = ps[0].via.map((v) => nodes.get(v)!).find((n) => n.type === 'Linear' || n.type === 'Affine');
    return fluxProjection(ps[0]) || (first ? first.name : `${populationOf.get(ps[0].source)}_to_${populationOf.get(ps[0].target)}`);
  };
  const sameBase = new Map<string, number>();
  for (const ps of groups.values()) sameBase.set(baseName(ps), (sameBase.get(baseName(ps)) ?? 0) + 1);
  for (const ps of groups.values()) {
    const { source, target, delay, rows, cols } = ps[0];
    const pos = new Float64Array(rows * cols);
    const neg = new Float64Array(rows * cols);
    for (const part of ps) part.w.forEach((x, k) => (x > 0 ? (pos[k] += x) : (neg[k] -= x)));
    let base = baseName(ps);
    // one name for several delays (a Flux projection with a delay distribution, or a branching graph)
    if ((sameBase.get(base) ?? 1) > 1) base = `${base}_d${fmt(Math.round(delay * MS_PER_S * 1e6) / 1e6)}ms`;
    if (!pos.every(Number.isFinite) || !neg.every(Number.isFinite)) refuse(`node "${target}"`, `the summed weights of its inputs from "${source}" overflow (values too large)`);
    const signs = [pos.some((x) => x > 0), neg.some((x) => x > 0)];
    for (const [k, receptor] of (['excitatory', 'inhibitory'] as const).entries()) {
      if (!signs[k]) continue;
      const w = k === 0 ? pos : neg;
      const name = projName(signs[0] && signs[1] ? `${base}_${receptor === 'excitatory' ? 'exc' : 'inh'}` : base);
      const conn = connectivityOf(w, rows, cols, source === target);
      if (conn.weight === undefined) notes.push(`projection ${name}: its ${rows}x${cols} ${receptor} weight matrix is not one rule -> connectivity ${conn.connectivity.type} (${w.reduce((a, x) => a + (x !== 0 ? 1 : 0), 0)} synapses, weights in pA)`);
      const pd: ProjectionDoc = {
        source: populationOf.get(source)!,
        target: populationOf.get(target)!,
        connectivity: conn.connectivity,
        ...(conn.weight !== undefined ? { weight: `${fmt(conn.weight)} pA` } : {}),
        synapse: { type: 'current', receptor },
      };
      if (delay !== 0) pd.delay = `${fmt(delay * MS_PER_S)} ms`;
      doc.projections![name] = pd;
    }
  }

  // Outputs fed directly by a population.
  for (const p of outputs) {
    const n = nodes.get(p.sink)!;
    const name = docKey(n.metadata[META.role] === 'output' && typeof n.metadata[META.name] === 'string' ? (n.metadata[META.name] as string) : p.sink);
    const pop = populationOf.get(p.source);
    const identityPath = p.rows === p.cols && diagonalValue(p.m, p.rows, p.cols) === 1 && p.delay === 0 && !p.filter;
    if (!pop || !identityPath) {
      problem(`node ${p.sink}`, 'unsupported', `reads "${p.source}" through weights, delays or filters; a Flux output reads one population (rate, spike count or mean voltage)`);
      continue;
    }
    const m = membranes.get(p.source);
    let measure = typeof n.metadata[META.measure] === 'string' ? (n.metadata[META.measure] as 'rate' | 'spikes' | 'voltage') : m && !m.spiking ? 'voltage' : 'spikes';
    if (m && !m.spiking && measure !== 'voltage') measure = 'voltage';
    if (m && !m.spiking && m.size > 1) problem(`node ${p.sink}`, 'approximated', `reads the ${m.size} potentials of "${p.source}"; a Flux voltage output is their mean (record v for each neuron)`);
    doc.outputs![name] = { source: pop, measure, ...(typeof n.metadata[META.measureTau] === 'number' ? { tau: `${fmt(n.metadata[META.measureTau] as number)} ms` } : {}) };
  }

  for (const k of ['projections', 'inputs', 'outputs'] as const) if (Object.keys(doc[k]!).length === 0) delete doc[k];
  if (problems.length && !options.partial) throw new NirConversionError('import', problems);
  const header = [
    `Imported from NIR by flux nir import.`,
    `Time constants: NIR seconds x 1000 = ms. Voltages read as mV, currents as pA, r as GOhm.`,
    `A spike delivers its weight as a Dirac pulse (spikeIntegral ${spikeIntegral}). dt is Flux's, not the graph's.`,
  ];
  const ydoc = new YAML.Document(doc);
  ydoc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  // A matrix row or a [source, target, weight] triple on one line each.
  for (const [name, pd] of Object.entries(doc.projections ?? {})) {
    const key = pd.connectivity.type === 'matrix' ? 'weights' : pd.connectivity.type === 'list' ? 'pairs' : null;
    if (!key) continue;
    const seq = ydoc.getIn(['projections', name, 'connectivity', key], true);
    if (YAML.isSeq(seq)) for (const item of seq.items) if (YAML.isSeq(item)) item.flow = true;
  }
  return { doc, yaml: ydoc.toString({ lineWidth: 0 }), problems, notes, populations: Object.fromEntries(populationOf) };
}

function diagonalValue(m: Float64Array, rows: number, cols: number): number | null {
  if (rows !== cols) return null;
  const d = m[0];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const x = m[i * cols + j];
      if (i === j ? !close(x, d) : x !== 0) return null;
    }
  return d;
}

/**
 * The connectivity of a matrix of magnitudes [rows = targets x cols = sources] (pA): a rule and its
 * weight where one reproduces the matrix exactly, else the matrix itself (connectivity matrix, or
 * list when under a third of the entries are nonzero: three numbers per synapse), without weight.
 */
function connectivityOf(w: Float64Array, rows: number, cols: number, self: boolean): { connectivity: ProjectionDoc['connectivity']; weight?: number } {
  const nz = w.filter((x) => x !== 0);
  const v = uniformValue(nz);
  if (v !== null) {
    if (nz.length === rows * cols) return { connectivity: self ? { type: 'all_to_all', autapses: true } : { type: 'all_to_all' }, weight: v };
    if (rows === cols) {
      let diag = 0;
      for (let i = 0; i < rows; i++) if (w[i * cols + i] !== 0) diag++;
      if (diag === rows && nz.length === rows) return { connectivity: { type: 'one_to_one' }, weight: v };
      if (self && diag === 0 && nz.length === rows * cols - rows) return { connectivity: { type: 'all_to_all', autapses: false }, weight: v };
    }
  }
  if (3 * nz.length < rows * cols) {
    // In the compiled order (by source, then target), so the list reads like the synapse arrays.
    const pairs: [number, number, number][] = [];
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) if (w[i * cols + j] !== 0) pairs.push([j, i, w[i * cols + j]]);
    return { connectivity: { type: 'list', pairs } };
  }
  const weights: number[][] = [];
  for (let i = 0; i < rows; i++) weights.push(Array.from(w.subarray(i * cols, (i + 1) * cols)));
  return { connectivity: { type: 'matrix', weights } };
}

/** Reads a NIR file and writes the circuit document (YAML) to `outFile`, which `flux validate` accepts. */
export async function importNir(nirFile: string, outFile: string, options: NirImportOptions = {}): Promise<NirImportResult> {
  const file = await readNirFile(nirFile, options.read);
  const result = nirToCircuit(file, { ...options, fileName: nirFile });
  writeFileSync(outFile, result.yaml);
  loadCircuit(outFile); // throws CircuitError with file:line if the document is not valid
  return result;
}
