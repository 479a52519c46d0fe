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

/** One value of a per-neuron parameter (Flux parameters are per population); NaN, reported, when there is none. */
function param(report: ImportReport, n: Node, key: string, fallback?: number): number {
  const a = n.params[key];
  if (!a) {
    if (fallback !== undefined) return fallback;
    report.problem(`node ${n.name}`, 'unsupported', `${n.type} without ${key}`);
    return NaN;
  }
  const u = uniformValue(a.data);
  if (a.data.length === 0) {
    report.problem(`node ${n.name}`, 'unsupported', `${key} has no values`);
    return NaN;
  }
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
      `${key} differs between neurons (${lo} .. ${hi}); a Flux population has one value per parameter: used ${a.data[0]}`,
    );
    return a.data[0];
  }
  return u;
}

/** The population name a node asks for: Flux's own name when Flux exported it, else the NIR name. */
function fluxName(n: Node): string {
  const name = n.metadata[META.name];
  return n.metadata[META.role] === 'population' && typeof name === 'string' ? name : n.name;
}

/** A membrane node as an LIF population; null (reported) when it cannot be one. */
function membraneOf(n: Node, size: number, report: ImportReport, name: (raw: string) => string): Membrane | null {
  const spiking = SPIKING.has(n.type);
  const leaky = n.type !== 'IF' && n.type !== 'I';
  const cuba = n.type === 'CubaLIF' || n.type === 'CubaLI';
  const r = param(report, n, 'r');
  const tauS = leaky ? param(report, n, cuba ? 'tau_mem' : 'tau') : 0;
  if (!(r > 0) || (leaky && !(tauS > 0))) {
    report.problem(`node ${n.name}`, 'unsupported', `needs r > 0${leaky ? ' and tau > 0' : ''} (r ${r}${leaky ? `, tau ${tauS}` : ''})`);
    return null;
  }
  const vOffset = n.metadata[META.vOffset];
  const offset = typeof vOffset === 'number' ? vOffset : 0;
  const tauM = leaky ? tauS * MS_PER_S : IF_TAU_M_MS;
  const m: Membrane = {
    node: n,
    pop: name(fluxName(n)),
    size,
    spiking,
    tauM,
    cm: leaky ? tauM / r : MS_PER_S / r,
    vRest: (leaky ? param(report, n, 'v_leak', 0) : 0) + offset,
    vThresh: spiking ? param(report, n, 'v_threshold') + offset : NONSPIKING_THRESHOLD_MV,
    vReset: (spiking ? param(report, n, 'v_reset', 0) : 0) + offset,
    offset,
    intrinsic: null,
    iOffset: 0,
    initIe: 0,
    initIi: 0,
  };
  const computed = { cm: m.cm, tau_m: m.tauM, v_rest: m.vRest, v_threshold: m.vThresh, v_reset: m.vReset };
  const bad = Object.entries(computed).find(([, x]) => !Number.isFinite(x));
  if (bad) {
    report.problem(`node ${n.name}`, 'unsupported', `${bad[0]} would be ${bad[1]} (a parameter is missing or too large)`);
    return null;
  }
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
