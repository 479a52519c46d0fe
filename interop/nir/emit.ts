// Import step 4: the circuit document from the classified graph and its paths. Spike paths into
// membranes become projections (weights in pA with the channel's tau), biases become i_offset,
// Input nodes poisson populations or current inputs, Output nodes outputs.
import YAML from 'yaml';
import type { CircuitDoc, OutputDoc, PopulationDoc, ProjectionDoc } from '../../engine/circuit/document.js';
import { FAST_TAU_SYN_MS, META, MS_PER_S } from './conventions.js';
import { close, diagonalValue, scaleRows, uniformValue } from './matrix.js';
import { nameAllocator, type Classified, type Membrane } from './classify.js';
import { reserved } from './flatten.js';
import type { Path } from './paths.js';
import type { ImportReport } from './report.js';
import { LIF_PER_NEURON, lifPerNeuronModel, perNeuronPopulation, varyingOf } from './per-neuron.js';
import type { ModelDoc } from '../../engine/equations/model-definition.js';

/** A spike path into a membrane: weights in pA with the channel's tau. */
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

/** A NIR name as a document key: letters, digits and _, never a reserved name. */
const docKey = (raw: string) => {
  const k = raw.replace(/[^A-Za-z0-9_]/g, '_');
  return reserved(k) ? `n_${k}` : k;
};

/** A metadata entry that is a string, else undefined. */
function metaString(m: Record<string, string | number>, key: string): string | undefined {
  const v = m[key];
  return typeof v === 'string' ? v : undefined;
}

/** A metadata entry that is a number, else undefined. */
export function metaNumber(m: Record<string, string | number>, key: string): number | undefined {
  const v = m[key];
  return typeof v === 'number' ? v : undefined;
}

/** Spike paths sorted: into Output nodes, from current Inputs, and into membranes (as parts). */
function splitSpikePaths(
  g: Classified,
  spikePaths: Path[],
  spikeIntegral: number,
  report: ImportReport,
): { parts: Part[]; inputCurrents: Path[]; outputs: Path[] } {
  const parts: Part[] = [];
  const inputCurrents: Path[] = [];
  const outputs: Path[] = [];
  for (const p of spikePaths) {
    const sink = g.nodes.get(p.sink)!;
    if (sink.type === 'Output') {
      outputs.push(p);
      continue;
    }
    const src = g.inputs.get(p.source);
    if (src?.current) {
      inputCurrents.push(p);
      continue;
    }
    const t = g.membranes.get(p.sink)!;
    let w: Float64Array;
    let tau: number;
    if (t.intrinsic) {
      if (p.filter) {
        report.problem(
          `node ${p.sink}`,
          'unsupported',
          `input from "${p.source}" passes an LI synapse and then the ${t.node.type}'s own synapse (two filters in a row)`,
        );
        continue;
      }
      const tauS = t.intrinsic.tauMs / MS_PER_S;
      w = scaleRows(
        p.m,
        p.cols,
        Array.from(t.intrinsic.wIn, (x) => (x * spikeIntegral) / tauS),
      );
      tau = t.intrinsic.tauMs;
    } else if (p.filter) {
      w = p.m.map((x) => x * spikeIntegral);
      tau = p.filter.tau * MS_PER_S;
    } else {
      // A Dirac input into the membrane: charge Q = W (pA*s) through a fast synapse (conventions.ts).
      const ts = FAST_TAU_SYN_MS;
      const k = Array.from(t.tauM, (tauM) => (MS_PER_S * spikeIntegral * (tauM - ts)) / (ts * tauM));
      w = scaleRows(p.m, p.cols, k);
      tau = ts;
    }
    if (!Number.isFinite(tau) || !w.every(Number.isFinite) || !Number.isFinite(p.delay * MS_PER_S))
      report.refuse(`node "${p.sink}"`, `the weights, delay or time constant of its input from "${p.source}" overflow (values too large)`);
    parts.push({ source: p.source, target: p.sink, delay: p.delay, tau, w, rows: p.rows, cols: p.cols, via: p.via });
  }
  return { parts, inputCurrents, outputs };
}

/** Channel time constants: every excitatory part of a target shares one tau, every inhibitory part another. */
function assignChannelTaus(g: Classified, parts: Part[], report: ImportReport): void {
  for (const part of parts) {
    const t = g.membranes.get(part.target)!;
    const pos = part.w.some((x) => x > 0);
    const neg = part.w.some((x) => x < 0);
    const clash =
      (pos && t.tauExc !== undefined && !close(t.tauExc, part.tau)) || (neg && t.tauInh !== undefined && !close(t.tauInh, part.tau));
    if (clash) {
      report.problem(
        `node ${part.target}`,
        'unsupported',
        `inputs with synaptic time constants ${pos ? t.tauExc : t.tauInh} ms and ${part.tau} ms of the same sign ` +
          `(the one from "${part.source}" is left out): a Flux population has one time constant per receptor`,
      );
      part.w = new Float64Array(0);
      continue;
    }
    if (pos) t.tauExc = part.tau;
    if (neg) t.tauInh = part.tau;
  }
}

/** Constants (Affine biases) into membranes: i_offset, with the filter's rise reproduced by the channel's initial value. */
function applyBiases(g: Classified, constPaths: Path[], report: ImportReport): void {
  for (const c of constPaths) {
    const t = g.membranes.get(c.sink);
    if (!t) {
      report.problem(`node ${c.source}`, 'unsupported', `its bias reaches ${g.nodes.get(c.sink)!.type} "${c.sink}", which is not a neuron`);
      continue;
    }
    let v = c.m;
    let tau = c.filter ? c.filter.tau * MS_PER_S : null;
    if (t.intrinsic) {
      if (c.filter) {
        report.problem(`node ${c.source}`, 'unsupported', `its bias passes two filters on the way to "${c.sink}"`);
        continue;
      }
      v = scaleRows(v, 1, t.intrinsic.wIn);
      tau = t.intrinsic.tauMs;
    }
    // A bias that differs between the neurons is one per neuron (lif_per_neuron's i_offset, i_exc0, i_inh0).
    v.forEach((amp, i) => (t.iOffset[i] += amp));
    if (tau !== null) {
      if (t.tauExc === undefined || close(t.tauExc, tau)) {
        t.tauExc = tau;
        v.forEach((amp, i) => (t.initIe[i] -= amp));
      } else if (t.tauInh === undefined || close(t.tauInh, tau)) {
        t.tauInh = tau;
        v.forEach((amp, i) => (t.initIi[i] += amp));
      } else
        report.problem(
          `node ${c.sink}`,
          'approximated',
          `the bias from "${c.source}" rises with tau ${tau} ms in NIR; both synaptic channels are taken, so it is on from t = 0`,
        );
    }
  }
}

/** A membrane as a built-in lif population (its neurons alike), as it always was. */
function lifPopulation(m: Membrane, tauRefrac: number, report: ImportReport): PopulationDoc {
  const fmt = (x: number) => report.fmt(x);
  const one = (a: Float64Array) => uniformValue(a)!;
  const params: Record<string, string> = {
    cm: `${fmt(one(m.cm))} pF`,
    tau_m: `${fmt(one(m.tauM))} ms`,
    v_rest: `${fmt(one(m.vRest))} mV`,
    v_thresh: `${fmt(one(m.vThresh))} mV`,
    v_reset: `${fmt(one(m.vReset))} mV`,
    tau_refrac: `${fmt(tauRefrac)} ms`,
  };
  if (m.tauExc !== undefined) params.tau_syn_exc = `${fmt(m.tauExc)} ms`;
  if (m.tauInh !== undefined) params.tau_syn_inh = `${fmt(m.tauInh)} ms`;
  if (one(m.iOffset) !== 0) params.i_offset = `${fmt(one(m.iOffset))} pA`;
  const init: Record<string, string> = { v: `${fmt(m.offset)} mV` };
  const pd: PopulationDoc = { model: 'lif', size: m.size, params, init, description: `NIR ${m.node.type} "${m.node.name}"` };
  if (one(m.initIe) !== 0) init.ie = `${fmt(one(m.initIe))} pA`;
  if (one(m.initIi) !== 0) init.ii = `${fmt(one(m.initIi))} pA`;
  const integration = metaString(m.node.metadata, META.integration);
  if (integration !== undefined) pd.integration = integration;
  return pd;
}

/** Membranes as lif populations (lif_per_neuron where their neurons differ); spiking Inputs as poisson populations with rate inputs. */
function emitPopulations(g: Classified, doc: CircuitDoc, dt: number, report: ImportReport): void {
  const fmt = (x: number) => report.fmt(x);
  let rising: boolean | null = null;
  for (const m of g.membranes.values()) {
    const n = m.node;
    for (const [k, a] of Object.entries({ i_offset: m.iOffset, ie: m.initIe, ii: m.initIi }))
      if (!a.every(Number.isFinite))
        report.refuse(`node "${n.name}"`, `${k} would be ${a.find((x) => !Number.isFinite(x))} (values too large)`);
    for (const [k, x] of Object.entries({ tau_syn_exc: m.tauExc ?? 0, tau_syn_inh: m.tauInh ?? 0 }))
      if (!Number.isFinite(x)) report.refuse(`node "${n.name}"`, `${k} would be ${x} (values too large)`);
    const tr = metaNumber(n.metadata, META.tauRefrac) ?? 0;
    const varying = varyingOf(m);
    if (varying.length === 0) {
      doc.populations![m.pop] = lifPopulation(m, tr, report);
      continue;
    }
    doc.populations![m.pop] = perNeuronPopulation(m, tr, dt, varying, report);
    rising = (rising ?? false) || varying.includes('i_exc0') || varying.includes('i_inh0');
  }
  if (rising !== null) addModel(doc, lifPerNeuronModel(rising));
  for (const info of g.inputs.values()) {
    if (info.current || info.pop === undefined) continue;
    const n = info.node;
    const rate = metaNumber(n.metadata, META.rate) ?? 0;
    doc.populations![info.pop] = {
      model: 'poisson',
      size: info.size,
      params: { rate: `${fmt(rate)} Hz` },
      description: `NIR Input "${n.name}" (spikes: a Poisson source driven by the rate input "${info.pop}")`,
    };
    // A Flux poisson population keeps the rate input it had (if any); a foreign Input gets one of its name.
    const fromFlux = n.metadata[META.role] === 'population';
    if (fromFlux && typeof n.metadata.flux_rate_input !== 'string') continue;
    const inName = typeof n.metadata.flux_rate_input === 'string' ? n.metadata.flux_rate_input : info.pop;
    const gain = typeof n.metadata.flux_rate_input_gain === 'number' ? n.metadata.flux_rate_input_gain : 1;
    doc.inputs![docKey(inName)] = { target: info.pop, mode: 'rate', gain };
  }
}

/** Current inputs: a diagonal, uniform, undelayed, unfiltered path into one membrane. */
function emitCurrentInputs(g: Classified, doc: CircuitDoc, inputCurrents: Path[], report: ImportReport): void {
  const byInput = new Map<string, Path[]>();
  for (const p of inputCurrents) byInput.set(p.source, [...(byInput.get(p.source) ?? []), p]);
  for (const [name, paths] of byInput) {
    const p = paths[0];
    const t = g.membranes.get(p.sink)!;
    const gain = diagonalValue(p.m, p.rows, p.cols);
    if (paths.length !== 1 || p.filter || p.delay !== 0 || t.intrinsic || gain === null) {
      report.problem(
        `node ${name}`,
        'unsupported',
        'a current Input must reach one LIF/IF/LI/I node element by element (through Scale or an identity), without delay or synapse',
      );
      continue;
    }
    const n = g.nodes.get(name)!;
    const given = metaString(n.metadata, META.name);
    const inName = docKey(n.metadata[META.role] === 'input' && given !== undefined ? given : name);
    doc.inputs![inName] = { target: t.pop, mode: 'current', gain };
  }
}

/**
 * Projections: sum the parts between the same nodes with the same delay, one projection per sign.
 * Paths through a Linear node that Flux exported from one projection stay that projection (two Flux
 * projections between the same populations are not merged); other paths between the same nodes with
 * the same delay add up.
 */
function emitProjections(g: Classified, doc: CircuitDoc, parts: Part[], report: ImportReport): void {
  const fmt = (x: number) => report.fmt(x);
  const linearOf = (part: Part) => part.via.map((v) => g.nodes.get(v)!).find((n) => n.type === 'Linear' || n.type === 'Affine');
  const fluxProjection = (part: Part) => {
    const lin = linearOf(part);
    const name = lin ? metaString(lin.metadata, META.name) : undefined;
    return lin?.metadata[META.role] === 'projection' && name !== undefined ? name : '';
  };
  const groups = new Map<string, Part[]>();
  for (const part of parts) {
    if (part.w.length === 0) continue;
    const key = `${part.source}\u0000${part.target}\u0000${part.delay}\u0000${fluxProjection(part)}`;
    groups.set(key, [...(groups.get(key) ?? []), part]);
  }
  const projName = nameAllocator('p_');
  const baseName = (ps: Part[]) => {
    const first = linearOf(ps[0]);
    return fluxProjection(ps[0]) || (first ? first.name : `${g.populationOf.get(ps[0].source)}_to_${g.populationOf.get(ps[0].target)}`);
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
    if (!pos.every(Number.isFinite) || !neg.every(Number.isFinite))
      report.refuse(`node "${target}"`, `the summed weights of its inputs from "${source}" overflow (values too large)`);
    const signs = [pos.some((x) => x > 0), neg.some((x) => x > 0)];
    for (const [k, receptor] of (['excitatory', 'inhibitory'] as const).entries()) {
      if (!signs[k]) continue;
      const w = k === 0 ? pos : neg;
      const name = projName(signs[0] && signs[1] ? `${base}_${receptor === 'excitatory' ? 'exc' : 'inh'}` : base);
      const conn = connectivityOf(w, rows, cols, source === target);
      if (conn.weight === undefined)
        report.notes.push(
          `projection ${name}: its ${rows}x${cols} ${receptor} weight matrix is not one rule -> ` +
            `connectivity ${conn.connectivity.type} (${w.reduce((a, x) => a + (x !== 0 ? 1 : 0), 0)} synapses, weights in pA)`,
        );
      const pd: ProjectionDoc = {
        source: g.populationOf.get(source)!,
        target: g.populationOf.get(target)!,
        connectivity: conn.connectivity,
        ...(conn.weight !== undefined ? { weight: `${fmt(conn.weight)} pA` } : {}),
        synapse: { type: 'current', receptor },
      };
      if (delay !== 0) pd.delay = `${fmt(delay * MS_PER_S)} ms`;
      doc.projections![name] = pd;
    }
  }
}

/** Outputs fed directly by a population. */
function emitOutputs(g: Classified, doc: CircuitDoc, outputs: Path[], report: ImportReport): void {
  for (const p of outputs) {
    const n = g.nodes.get(p.sink)!;
    const given = metaString(n.metadata, META.name);
    const name = docKey(n.metadata[META.role] === 'output' && given !== undefined ? given : p.sink);
    const pop = g.populationOf.get(p.source);
    const identityPath = p.rows === p.cols && diagonalValue(p.m, p.rows, p.cols) === 1 && p.delay === 0 && !p.filter;
    if (!pop || !identityPath) {
      report.problem(
        `node ${p.sink}`,
        'unsupported',
        `reads "${p.source}" through weights, delays or filters; a Flux output reads one population (rate, spike count or mean voltage)`,
      );
      continue;
    }
    const m = g.membranes.get(p.source);
    // The measure Flux wrote is taken as written: the document check refuses one it does not know.
    const written = metaString(n.metadata, META.measure);
    let measure = written !== undefined ? (written as OutputDoc['measure']) : m && !m.spiking ? 'voltage' : 'spikes';
    if (m && !m.spiking && measure !== 'voltage') measure = 'voltage';
    if (m && !m.spiking && m.size > 1)
      report.problem(
        `node ${p.sink}`,
        'approximated',
        `reads the ${m.size} potentials of "${p.source}"; a Flux voltage output is their mean (record v for each neuron)`,
      );
    const tau = metaNumber(n.metadata, META.measureTau);
    doc.outputs![name] = { source: pop, measure, ...(tau !== undefined ? { tau: `${report.fmt(tau)} ms` } : {}) };
  }
}

/** The model in the document's `models:`, which comes before its populations. */
function addModel(doc: CircuitDoc, model: ModelDoc): void {
  const { populations, projections, inputs, outputs } = doc;
  for (const k of ['populations', 'projections', 'inputs', 'outputs'] as const) delete doc[k];
  Object.assign(doc, { models: { [LIF_PER_NEURON]: model }, populations, projections, inputs, outputs });
}

/** Sections with nothing in them are left out of the document. */
function finishDoc(doc: CircuitDoc): void {
  for (const k of ['projections', 'inputs', 'outputs'] as const) if (Object.keys(doc[k]!).length === 0) delete doc[k];
}

/** The document as YAML under a header of the conventions used; a matrix row or a [source, target, weight] triple on one line each. */
export function toYaml(doc: CircuitDoc, spikeIntegral: number): string {
  const header = [
    `Imported from NIR by flux nir import.`,
    `Time constants: NIR seconds x 1000 = ms. Voltages read as mV, currents as pA, r as GOhm.`,
    `A spike delivers its weight as a Dirac pulse (spikeIntegral ${spikeIntegral}). dt is Flux's, not the graph's.`,
  ];
  const ydoc = new YAML.Document(doc);
  ydoc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  for (const [name, pd] of Object.entries(doc.populations ?? {}))
    for (const k of Object.keys(pd.params ?? {})) {
      const seq = ydoc.getIn(['populations', name, 'params', k], true);
      if (YAML.isSeq(seq)) seq.flow = true;
    }
  for (const [name, pd] of Object.entries(doc.projections ?? {})) {
    const key = pd.connectivity.type === 'matrix' ? 'weights' : pd.connectivity.type === 'list' ? 'pairs' : null;
    if (!key) continue;
    const seq = ydoc.getIn(['projections', name, 'connectivity', key], true);
    if (YAML.isSeq(seq)) for (const item of seq.items) if (YAML.isSeq(item)) item.flow = true;
  }
  return ydoc.toString({ lineWidth: 0 });
}

/**
 * The connectivity of a matrix of magnitudes [rows = targets x cols = sources] (pA): a rule and its
 * weight where one reproduces the matrix exactly, else the matrix itself (connectivity matrix, or
 * list when under a third of the entries are nonzero: three numbers per synapse), without weight.
 */
function connectivityOf(
  w: Float64Array,
  rows: number,
  cols: number,
  self: boolean,
): { connectivity: ProjectionDoc['connectivity']; weight?: number } {
  const nz = w.filter((x) => x !== 0);
  const v = uniformValue(nz);
  if (v !== null) {
    if (nz.length === rows * cols)
      return { connectivity: self ? { type: 'all_to_all', autapses: true } : { type: 'all_to_all' }, weight: v };
    if (rows === cols) {
      let diag = 0;
      for (let i = 0; i < rows; i++) if (w[i * cols + i] !== 0) diag++;
      if (diag === rows && nz.length === rows) return { connectivity: { type: 'one_to_one' }, weight: v };
      if (self && diag === 0 && nz.length === rows * cols - rows)
        return { connectivity: { type: 'all_to_all', autapses: false }, weight: v };
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

/** Writes the document's sections from the classified graph and its paths, in the order the import always has. */
export function emit(
  g: Classified,
  paths: { spikePaths: Path[]; constPaths: Path[] },
  doc: CircuitDoc,
  spikeIntegral: number,
  dt: number,
  report: ImportReport,
): void {
  const { parts, inputCurrents, outputs } = splitSpikePaths(g, paths.spikePaths, spikeIntegral, report);
  assignChannelTaus(g, parts, report);
  applyBiases(g, paths.constPaths, report);
  emitPopulations(g, doc, dt, report);
  emitCurrentInputs(g, doc, inputCurrents, report);
  emitProjections(g, doc, parts, report);
  emitOutputs(g, doc, outputs, report);
  finishDoc(doc);
}
