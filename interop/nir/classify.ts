// Import step 2: what each node of the flat graph is to Flux. Membranes become populations, Input
// nodes spike sources (or currents), LI nodes that only feed spiking membranes through transforms are
// synapses (filters) on the paths into them; everything else is a transform, or reported.
import { elementCount } from './graph.js';
import { IF_TAU_M_MS, META, MS_PER_S, NONSPIKING_THRESHOLD_MV } from './conventions.js';
import { uniformValue } from './matrix.js';
import { reserved, type FlatGraph, type Node } from './flatten.js';
import type { ImportReport } from './report.js';

export const MEMBRANES = new Set(['LIF', 'CubaLIF', 'IF', 'LI', 'CubaLI', 'I']);
const SPIKING = new Set(['LIF', 'CubaLIF', 'IF']);
export const TRANSFORMS = new Set(['Affine', 'Linear', 'Scale', 'Delay', 'pass', 'Flatten', 'Identity']);

export interface Membrane {
  node: Node;
  pop: string;
  size: number;
  spiking: boolean;
  /** Per neuron (`size` values each), in Flux's units. tau_m in ms, IF_TAU_M_MS for IF and I. */
  tauM: Float64Array;
  cm: Float64Array;
  vRest: Float64Array;
  vThresh: Float64Array;
  vReset: Float64Array;
  offset: number;
  /** CubaLIF / CubaLI: the synapse inside the node */
  intrinsic: { tauMs: number; wIn: Float64Array } | null;
  tauExc?: number;
  tauInh?: number;
  /** Per neuron: the bias current (pA) and the synaptic channels' initial values (pA; a filtered bias rises from them). */
  iOffset: Float64Array;
  initIe: Float64Array;
  initIi: Float64Array;
}

/** An Input node: spikes (a poisson population `pop`) or a current. */
export interface InputInfo {
  node: Node;
  size: number;
  current: boolean;
  pop?: string;
}

export interface Classified extends FlatGraph {
  /** LI nodes read as synapses on the paths through them. */
  filters: Set<string>;
  membranes: Map<string, Membrane>;
  inputs: Map<string, InputInfo>;
  /** NIR node name -> Flux population name. */
  populationOf: Map<string, string>;
}

/**
 * Unique document names from NIR names: letters, digits and _, `prefix` in front of one that would not
 * start a name (or is reserved), _2, _3... after one already given.
 */
export function nameAllocator(prefix: string): (raw: string) => string {
  const taken = new Set<string>();
  return (raw) => {
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base) || reserved(base)) base = `${prefix}${base}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
}

/** The number of elements a node has, as its parameters say; null when missing. */
function rawSizeOf(n: Node): number | null {
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
}

/** A size the importer can build (a positive integer); null when missing or not one. */
export function sizeOf(n: Node): number | null {
  const s = rawSizeOf(n);
  return s !== null && Number.isSafeInteger(s) && s > 0 ? s : null;
}

function reportUnsupportedTypes(graph: FlatGraph, report: ImportReport): void {
  for (const n of graph.nodes.values())
    if (!MEMBRANES.has(n.type) && !TRANSFORMS.has(n.type) && n.type !== 'Input' && n.type !== 'Output')
      report.problem(
        `node ${n.name}`,
        'unsupported',
        `${n.type} has no Flux equivalent (Flux maps LIF, CubaLIF, IF, LI, CubaLI, I, Affine, Linear, Scale, Delay, Input, Output)`,
      );
}

/** Sinks reached from a node through transforms only (to decide whether an LI is a synapse). */
function sinksFrom({ nodes, out }: FlatGraph, start: string): Set<string> {
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
}

/** LI nodes without leak, with one tau, feeding only LIF/IF membranes: synapses, not populations. */
function findFilters(graph: FlatGraph): Set<string> {
  const filters = new Set<string>();
  for (const n of graph.nodes.values()) {
    if (n.type !== 'LI') continue;
    const leak = n.params.v_leak?.data ?? new Float64Array(1);
    const sinks = [...sinksFrom(graph, n.name)];
    const { tau, r } = n.params;
    const size = sizeOf(n);
    if (!tau || !r || (r.data.length !== 1 && r.data.length !== size)) continue;
    if (
      uniformValue(tau.data) !== null &&
      leak.every((x) => x === 0) &&
      sinks.length > 0 &&
      sinks.every((s) => ['LIF', 'IF'].includes(graph.nodes.get(s)!.type))
    )
      filters.add(n.name);
  }
  return filters;
}

/** One value of a parameter that must be the same for every neuron (CubaLIF's tau_syn); NaN, reported, when there is none. */
function param(report: ImportReport, n: Node, key: string): number {
  const a = n.params[key];
  if (!a || a.data.length === 0) {
    report.problem(`node ${n.name}`, 'unsupported', a ? `${key} has no values` : `${n.type} without ${key}`);
    return NaN;
  }
  const u = uniformValue(a.data);
  if (u === null) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of a.data) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    report.problem(
      `node ${n.name}`,
      'approximated',
      `${key} differs between neurons (${lo} .. ${hi}); the synaptic channels of a Flux population decay with one time constant: used ${a.data[0]}`,
    );
    return a.data[0];
  }
  return u;
}

/**
 * A parameter's value for each of `size` neurons (one value, or one per neuron). Missing without a
 * fallback, or with another number of values: reported, and NaN for every neuron, which the range
 * checks then refuse (as a missing value always was).
 */
function perNeuron(report: ImportReport, n: Node, key: string, size: number, fallback?: number): Float64Array {
  const a = n.params[key];
  if (!a && fallback !== undefined) return new Float64Array(size).fill(fallback);
  if (a && a.data.length === size) return Float64Array.from(a.data);
  const u = a ? uniformValue(a.data) : null;
  if (u !== null) return new Float64Array(size).fill(u);
  const why = !a
    ? `${n.type} without ${key}`
    : a.data.length
      ? `${key} has ${a.data.length} values for ${size} neurons`
      : `${key} has no values`;
  report.problem(`node ${n.name}`, 'unsupported', why);
  return new Float64Array(size).fill(NaN);
}

/** The population name a node asks for: Flux's own name when Flux exported it, else the NIR name. */
function fluxName(n: Node): string {
  const name = n.metadata[META.name];
  return n.metadata[META.role] === 'population' && typeof name === 'string' ? name : n.name;
}

/** The membrane's per-neuron values in Flux's units; null (reported) when a parameter is missing or out of range. */
function membraneValues(n: Node, size: number, offset: number, report: ImportReport) {
  const spiking = SPIKING.has(n.type);
  const leaky = n.type !== 'IF' && n.type !== 'I';
  const cuba = n.type === 'CubaLIF' || n.type === 'CubaLI';
  const r = perNeuron(report, n, 'r', size);
  const tauS = leaky ? perNeuron(report, n, cuba ? 'tau_mem' : 'tau', size) : null;
  const bad = r.findIndex((x, i) => !(x > 0) || (tauS !== null && !(tauS[i] > 0)));
  if (bad >= 0) {
    const which = size > 1 ? ` of neuron ${bad}` : '';
    report.problem(
      `node ${n.name}`,
      'unsupported',
      `needs r > 0${tauS ? ' and tau > 0' : ''} (r${which} ${r[bad]}${tauS ? `, tau ${tauS[bad]}` : ''})`,
    );
    return null;
  }
  const tauM = tauS ? tauS.map((x) => x * MS_PER_S) : new Float64Array(size).fill(IF_TAU_M_MS);
  const values = {
    cm: tauS ? tauM.map((x, i) => x / r[i]) : r.map((x) => MS_PER_S / x),
    tau_m: tauM,
    v_rest: tauS ? perNeuron(report, n, 'v_leak', size, 0).map((x) => x + offset) : new Float64Array(size).fill(offset),
    v_threshold: spiking
      ? perNeuron(report, n, 'v_threshold', size).map((x) => x + offset)
      : new Float64Array(size).fill(NONSPIKING_THRESHOLD_MV),
    v_reset: (spiking ? perNeuron(report, n, 'v_reset', size, 0) : new Float64Array(size)).map((x) => x + offset),
  };
  for (const [k, a] of Object.entries(values)) {
    const i = a.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) {
      report.problem(`node ${n.name}`, 'unsupported', `${k} would be ${a[i]} (a parameter is missing or too large)`);
      return null;
    }
  }
  return values;
}

/** A membrane node as an LIF population (per-neuron values where the node's differ); null (reported) when it cannot be one. */
function membraneOf(n: Node, size: number, report: ImportReport, name: (raw: string) => string): Membrane | null {
  const spiking = SPIKING.has(n.type);
  const cuba = n.type === 'CubaLIF' || n.type === 'CubaLI';
  const vOffset = n.metadata[META.vOffset];
  const offset = typeof vOffset === 'number' ? vOffset : 0;
  const v = membraneValues(n, size, offset, report);
  if (!v) return null;
  const m: Membrane = {
    node: n,
    pop: name(fluxName(n)),
    size,
    spiking,
    tauM: v.tau_m,
    cm: v.cm,
    vRest: v.v_rest,
    vThresh: v.v_threshold,
    vReset: v.v_reset,
    offset,
    intrinsic: null,
    iOffset: new Float64Array(size),
    initIe: new Float64Array(size),
    initIi: new Float64Array(size),
  };
  if (cuba) {
    const ts = param(report, n, 'tau_syn');
    if (!(ts > 0) || !Number.isFinite(ts * MS_PER_S)) {
      report.problem(`node ${n.name}`, 'unsupported', `needs tau_syn > 0 (got ${ts})`);
      return null;
    }
    const wIn = n.params.w_in?.data ?? Float64Array.of(1);
    if (wIn.length !== 1 && wIn.length !== size) {
      report.problem(`node ${n.name}`, 'unsupported', `w_in has ${wIn.length} values for ${size} neurons`);
      return null;
    }
    m.intrinsic = { tauMs: ts * MS_PER_S, wIn: wIn.length === size ? wIn : new Float64Array(size).fill(wIn[0]) };
    m.tauExc = m.tauInh = ts * MS_PER_S;
  }
  if (!spiking)
    report.notes.push(
      `node ${n.name}: non-spiking ${n.type} -> lif population "${m.pop}" with v_thresh ${NONSPIKING_THRESHOLD_MV} mV (never reached)`,
    );
  if (n.type === 'IF' || n.type === 'I')
    report.notes.push(`node ${n.name}: ${n.type} -> lif population "${m.pop}" with tau_m ${IF_TAU_M_MS} ms (no leak)`);
  return m;
}

/** Sorts the flat graph's nodes into membranes, inputs and filters; populations are named in node order. */
export function classify(graph: FlatGraph, inputMode: 'spikes' | 'current' | undefined, report: ImportReport): Classified {
  reportUnsupportedTypes(graph, report);
  const filters = findFilters(graph);
  const name = nameAllocator('n_');
  const membranes = new Map<string, Membrane>();
  const populationOf = new Map<string, string>();
  for (const n of graph.nodes.values()) {
    if (!MEMBRANES.has(n.type) || filters.has(n.name)) continue;
    const size = sizeOf(n);
    if (!size) {
      report.problem(`node ${n.name}`, 'unsupported', `${n.type} without parameters to size it`);
      continue;
    }
    const m = membraneOf(n, size, report, name);
    if (!m) continue;
    membranes.set(n.name, m);
    populationOf.set(n.name, m.pop);
  }
  // Spike sources: spiking membranes and Input nodes. Non-spiking membranes are analog sources.
  const inputs = new Map<string, InputInfo>();
  for (const n of graph.nodes.values()) {
    if (n.type !== 'Input') continue;
    const size = sizeOf(n);
    if (!size) {
      report.problem(`node ${n.name}`, 'unsupported', 'Input without a shape');
      continue;
    }
    const mode = n.metadata[META.inputMode] ?? (n.metadata[META.role] === 'population' ? 'spikes' : (inputMode ?? 'spikes'));
    const info: InputInfo = { node: n, size, current: mode === 'current' };
    if (!info.current) {
      info.pop = name(fluxName(n));
      populationOf.set(n.name, info.pop);
    }
    inputs.set(n.name, info);
  }
  return { ...graph, filters, membranes, inputs, populationOf };
}
