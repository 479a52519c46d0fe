// Flux circuit -> NIR graph. The circuit is compiled first, so random connectivity, weight and delay
// distributions are exported as the concrete matrices of its seed. The units and scale factors are
// derived in conventions.ts; what maps to what:
//
//   Flux                                   NIR
//   lif population, one synaptic tau        CubaLIF "<pop>" (tau_mem, tau_syn, r, v_leak, v_threshold, v_reset, w_in = 1)
//   lif population with direct current      LIF "<pop>" fed by LI "<pop>.syn_exc"/".syn_inh" (or ".syn")
//     inputs, or two different synaptic     (r = 1, v_leak = 0: exponential synapses)
//     time constants in use
//   lif with tau_m >= 1e9 ms               IF "<pop>" (with LI synapse nodes)
//   poisson population                      Input "<pop>" (its spikes are data fed to the graph; rate in metadata)
//   projection (current synapses, any       Linear "<proj>" [target x source] of charges +-w*tau_syn (pA*s),
//     connectivity: rules, matrix, list)    after Delay "<proj>.delay" (d/1000 s) when d > 0;
//                                           one Linear per delay value when delays differ
//   input (mode current)                    Input "<input>" -> Scale "<input>.gain" (s = gain) -> LIF "<pop>"
//   input (mode rate, into a poisson pop)   the Input node of that population (metadata)
//   output                                  Output "<output>" fed by the population's node
//   i_offset, constant sources              folded into v_leak (exact)
//
// Reported by name, never dropped silently (NirProblem): izhikevich/adex populations, models defined
// by equations (the import's lif_per_neuron included) and every
// projection, input and output that touches them; conductance synapses; plasticity (exported frozen
// at its initial weights: approximated); modulators; Poisson and step sources; signal inputs;
// refractory periods; random initial states; voltage outputs (NIR outputs of LIF nodes are spikes).
// Without `partial`, any problem makes the export fail with the whole list (NirConversionError);
// with `partial`, the rest is written and the list is returned.
import { loadCircuit } from '../../engine/engine.js';
import { compile, type Network, type CompiledProjection } from '../../engine/compile/compiler.js';
import type { Circuit, PopulationSpec } from '../../engine/circuit/circuit.js';
import {
  NIR_VERSION,
  NirConversionError,
  nirArray,
  type NirFile,
  type NirGraph,
  type NirMetadata,
  type NirNode,
  type NirProblem,
} from './graph.js';
import { IF_TAU_M_MS, META, MS_PER_S } from './conventions.js';
import { writeNirFile } from './hdf5.js';
import { LIF_PER_NEURON } from './per-neuron.js';

export interface NirExportOptions {
  /** Write what maps and return the problems instead of failing on the first list (default false). */
  partial?: boolean;
}

export interface NirExportResult {
  nir: NirFile;
  problems: NirProblem[];
  /** Informational lines (what was mapped how), not problems. */
  notes: string[];
}

interface LifInfo {
  spec: PopulationSpec;
  node: string;
  /** Membrane resistance tau_m/cm (GOhm). */
  r: number;
  offset: number;
  isIF: boolean;
  form: 'cuba' | 'split';
  /** Where a projection of each receptor enters, and the channel's tau (ms). */
  entry: { excitatory: string; inhibitory: string };
  tau: { excitatory: number; inhibitory: number };
}

const full = (n: number, x: number) => nirArray(new Float64Array(n).fill(x));

type Receptor = 'excitatory' | 'inhibitory';

/** What the populations receive, which decides the form of each LIF node. */
interface Inflow {
  /** Receptors of the current projections into each LIF population. */
  currentIn: Map<string, Set<Receptor>>;
  /** LIF populations with a direct current input. */
  directIn: Set<string>;
  /** Constant source currents per LIF population (pA), folded into v_leak. */
  bias: Map<string, number>;
}

/** The graph being written, with the problems and notes found on the way. */
class NirBuilder {
  readonly problems: NirProblem[] = [];
  readonly notes: string[] = [];
  readonly nodes: Record<string, NirNode> = {};
  readonly edges: [string, string][] = [];
  readonly lifs = new Map<string, LifInfo>();
  readonly pops: Map<string, PopulationSpec>;
  private readonly taken = new Set<string>();

  constructor(readonly circuit: Circuit) {
    this.pops = new Map(circuit.populations.map((p) => [p.name, p]));
    for (const p of circuit.populations) this.taken.add(p.name);
  }

  problem(element: string, kind: NirProblem['kind'], message: string): void {
    this.problems.push({ element, kind, message });
  }

  /** A node under a name no other node has (base, base_2, ...). */
  add(base: string, type: string, params: Record<string, ReturnType<typeof nirArray>>, metadata: NirMetadata): string {
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    this.nodes[name] = { type, params, metadata };
    return name;
  }

  exportedModel(name: string): boolean {
    const m = this.pops.get(name)?.model;
    return m === 'lif' || m === 'poisson';
  }
}

/** Which projections and inputs each LIF population receives decides its form. */
function inflowOf(b: NirBuilder): Inflow {
  const { circuit, pops } = b;
  const currentIn = new Map<string, Set<Receptor>>();
  for (const pr of circuit.projections) {
    if (pr.synapse.type !== 'current' || !b.exportedModel(pr.source) || pops.get(pr.target)?.model !== 'lif') continue;
    if (!currentIn.has(pr.target)) currentIn.set(pr.target, new Set());
    currentIn.get(pr.target)!.add(pr.synapse.receptor);
  }
  const directIn = new Set(
    circuit.inputs.filter((i) => i.mode === 'current' && i.target && pops.get(i.target)?.model === 'lif').map((i) => i.target!),
  );
  const bias = new Map<string, number>();
  for (const s of circuit.sources) {
    if (s.type === 'constant' && pops.get(s.target)?.model === 'lif') bias.set(s.target, (bias.get(s.target) ?? 0) + s.amplitude);
    else if (s.type === 'constant')
      b.problem(
        `sources.${s.name}`,
        'unsupported',
        `constant current into ${pops.get(s.target)?.model ?? 'unknown'} population "${s.target}", which is not exported`,
      );
    else if (s.type === 'step')
      b.problem(`sources.${s.name}`, 'unsupported', 'a step current is input data that changes in time, not part of a NIR graph');
    else
      b.problem(
        `sources.${s.name}`,
        'unsupported',
        'a Poisson source (background noise into a population) has no NIR primitive; ' +
          'model it as a poisson population, which exports as an Input',
      );
  }
  return { currentIn, directIn, bias };
}

/** Approximations of an LIF population that NIR cannot state: random initial state, refractory period. */
function reportLifApproximations(b: NirBuilder, p: PopulationSpec, el: string): number {
  const q = p.params;
  let offset = q.v_rest;
  const v0 = p.init.v;
  if (v0 && v0.kind === 'constant') offset = v0.value;
  else if (v0)
    b.problem(
      el,
      'approximated',
      `initial v is drawn from a ${v0.kind} distribution; ` +
        `NIR runtimes start every neuron at the same state (exported as v = ${q.v_rest} mV, v_rest)`,
    );
  for (const ch of ['ie', 'ii', 'ge', 'gi']) {
    const d = p.init[ch];
    if (d && !(d.kind === 'constant' && d.value === 0))
      b.problem(el, 'approximated', `initial ${ch} is not zero; NIR runtimes start synaptic currents at 0`);
  }
  if (q.tau_refrac > 0)
    b.problem(
      el,
      'approximated',
      `tau_refrac ${q.tau_refrac} ms: NIR neurons have no refractory period (kept as metadata ${META.tauRefrac}, which only Flux reads)`,
    );
  if (p.integration !== 'default')
    b.notes.push(`${el}: integration ${p.integration} is a Flux runtime choice; NIR describes the continuous equation`);
  return offset;
}

/** An LIF population as an IF, CubaLIF or LIF node (with LI synapse nodes in front of a split one). */
function writeLif(b: NirBuilder, p: PopulationSpec, inflow: Inflow): LifInfo {
  const n = p.size;
  const el = `populations.${p.name}`;
  const q = p.params;
  const r = q.tau_m / q.cm;
  const isIF = q.tau_m >= IF_TAU_M_MS;
  const offset = reportLifApproximations(b, p, el);
  const used = inflow.currentIn.get(p.name) ?? new Set();
  const tauE = q.tau_syn_exc;
  const tauI = q.tau_syn_inh;
  const oneTau = !(used.has('excitatory') && used.has('inhibitory') && tauE !== tauI);
  const form: LifInfo['form'] = !isIF && oneTau && !inflow.directIn.has(p.name) ? 'cuba' : 'split';
  const bias = q.i_offset + (inflow.bias.get(p.name) ?? 0);
  const meta: NirMetadata = { [META.role]: 'population', [META.name]: p.name, [META.vOffset]: offset };
  if (q.tau_refrac > 0) meta[META.tauRefrac] = q.tau_refrac;
  if (p.integration !== 'default') meta[META.integration] = p.integration;
  const common = { v_threshold: full(n, q.v_thresh - offset), v_reset: full(n, q.v_reset - offset) };
  const info: LifInfo = {
    spec: p,
    node: p.name,
    r,
    offset,
    isIF,
    form,
    entry: { excitatory: p.name, inhibitory: p.name },
    tau: { excitatory: tauE, inhibitory: tauI },
  };
  if (isIF) {
    if (bias !== 0)
      b.problem(
        el,
        'approximated',
        `IF population (tau_m >= ${IF_TAU_M_MS} ms) with a bias current of ${bias} pA: ` +
          'an IF has no v_leak to fold it into; the bias is not exported',
      );
    b.nodes[p.name] = { type: 'IF', params: { r: full(n, MS_PER_S / q.cm), ...common }, metadata: meta };
  } else if (form === 'cuba') {
    const tauS = used.has('inhibitory') && !used.has('excitatory') ? tauI : tauE;
    info.tau = { excitatory: tauS, inhibitory: tauS };
    b.nodes[p.name] = {
      type: 'CubaLIF',
      params: {
        tau_mem: full(n, q.tau_m / MS_PER_S),
        tau_syn: full(n, tauS / MS_PER_S),
        r: full(n, r),
        v_leak: full(n, q.v_rest + r * bias - offset),
        ...common,
        w_in: full(n, 1),
      },
      metadata: meta,
    };
  } else {
    b.nodes[p.name] = {
      type: 'LIF',
      params: { tau: full(n, q.tau_m / MS_PER_S), r: full(n, r), v_leak: full(n, q.v_rest + r * bias - offset), ...common },
      metadata: meta,
    };
  }
  if (form === 'split') {
    const syn = (suffix: string, tau: number) => {
      const s = b.add(
        `${p.name}.${suffix}`,
        'LI',
        { tau: full(n, tau / MS_PER_S), r: full(n, 1), v_leak: full(n, 0) },
        { [META.role]: 'synapse', [META.name]: p.name },
      );
      b.edges.push([s, p.name]);
      return s;
    };
    if (used.size && tauE === tauI) {
      const s = syn('syn', tauE);
      info.entry = { excitatory: s, inhibitory: s };
    } else {
      if (used.has('excitatory')) info.entry.excitatory = syn('syn_exc', tauE);
      if (used.has('inhibitory')) info.entry.inhibitory = syn('syn_inh', tauI);
    }
  }
  return info;
}

function writePopulations(b: NirBuilder, inflow: Inflow): void {
  for (const p of b.circuit.populations) {
    const el = `populations.${p.name}`;
    if (p.model === 'poisson') {
      b.nodes[p.name] = {
        type: 'Input',
        params: { shape: nirArray([p.size]) },
        metadata: { [META.role]: 'population', [META.name]: p.name, [META.rate]: p.params.rate },
      };
      b.notes.push(
        `${el}: poisson population -> Input "${p.name}" (its spikes are data fed to the graph; rate ${p.params.rate} Hz kept as metadata)`,
      );
      continue;
    }
    if (p.model === LIF_PER_NEURON) {
      b.problem(
        el,
        'unsupported',
        `${LIF_PER_NEURON} (the LIF with per-neuron parameters that the NIR import writes) is not exported: ` +
          'export writes built-in lif populations only; the population is not exported',
      );
      continue;
    }
    if (p.model !== 'lif') {
      b.problem(
        el,
        'unsupported',
        `${p.model} neurons have no NIR primitive (NIR has LIF, CubaLIF, IF, LI, I); the population is not exported`,
      );
      continue;
    }
    b.lifs.set(p.name, writeLif(b, p, inflow));
  }
}

function writeProjections(b: NirBuilder, net: Network): void {
  const compiled = new Map(net.projections.map((cp) => [cp.spec.name, cp]));
  for (const pr of b.circuit.projections) {
    const el = `projections.${pr.name}`;
    if (!b.exportedModel(pr.source) || !b.lifs.has(pr.target)) {
      const which = !b.exportedModel(pr.source) ? pr.source : pr.target;
      b.problem(el, 'unsupported', `connects ${b.pops.get(which)?.model} population "${which}", which is not exported`);
      continue;
    }
    if (pr.synapse.type === 'conductance') {
      b.problem(el, 'unsupported', 'conductance synapses (g * (E_rev - v)) have no NIR primitive; NIR synapses are current-based');
      continue;
    }
    if (pr.plasticity)
      b.problem(
        el,
        'approximated',
        `plasticity (${pr.plasticity.rule}) has no NIR primitive; exported with the weights it starts from, frozen`,
      );
    writeProjection(b, pr.name, compiled.get(pr.name)!, b.lifs.get(pr.target)!, b.pops.get(pr.source)!.size, net.dt);
  }
}

/** One Linear node (after a Delay node when delayed) per delay value, of charges +-w*tau_syn. */
function writeProjection(b: NirBuilder, name: string, cp: CompiledProjection, tgt: LifInfo, nS: number, dt: number): void {
  const receptor = cp.spec.synapse.receptor;
  const sign = receptor === 'excitatory' ? 1 : -1;
  const tauS = tgt.tau[receptor] / MS_PER_S;
  const nT = tgt.spec.size;
  const byDelay = new Map<number, Float64Array>();
  let zero = 0;
  let repeated = 0;
  for (let s = 0; s < nS; s++) {
    for (let k = cp.rowPtr[s]; k < cp.rowPtr[s + 1]; k++) {
      if (cp.weights[k] === 0) zero++;
      if (k > cp.rowPtr[s] && cp.targets[k] === cp.targets[k - 1]) repeated++;
      const d = cp.delays ? cp.delays[k] : cp.delaySteps;
      let m = byDelay.get(d);
      if (!m) byDelay.set(d, (m = new Float64Array(nT * nS)));
      m[cp.targets[k] * nS + s] += sign * cp.weights[k] * tauS;
    }
  }
  if (byDelay.size === 0) byDelay.set(cp.delaySteps, new Float64Array(nT * nS));
  // A Linear holds values, not synapses: what has no value of its own does not come back as a synapse.
  if (zero) b.notes.push(`projections.${name}: ${zero} synapses of weight 0 are zeros of the Linear matrix (no synapse when imported)`);
  if (repeated)
    b.notes.push(
      `projections.${name}: ${repeated} repeated source-target pairs are summed into one matrix entry (one synapse when imported)`,
    );
  const many = byDelay.size > 1;
  if (many) b.notes.push(`projections.${name}: ${byDelay.size} different delays -> one Linear node per delay`);
  for (const [d, m] of [...byDelay].sort((x, y) => x[0] - y[0])) {
    const base = many ? `${name}.d${d}` : name;
    const meta: NirMetadata = { [META.role]: 'projection', [META.name]: name };
    const lin = b.add(base, 'Linear', { weight: nirArray(m, [nT, nS]) }, meta);
    let from = cp.spec.source;
    if (d > 0) {
      const del = b.add(`${base}.delay`, 'Delay', { delay: full(nS, (d * dt) / MS_PER_S) }, { [META.role]: 'delay', [META.name]: name });
      b.edges.push([from, del]);
      from = del;
    }
    b.edges.push([from, lin], [lin, tgt.entry[receptor]]);
  }
}

function writeInputs(b: NirBuilder): void {
  for (const inp of b.circuit.inputs) {
    const el = `inputs.${inp.name}`;
    if (inp.mode === 'signal' || !inp.target) {
      b.problem(el, 'unsupported', 'a signal input only drives modulators, which NIR does not have');
      continue;
    }
    const tgt = b.pops.get(inp.target)!;
    if (inp.mode === 'rate') {
      if (tgt.model === 'poisson') {
        const node = b.nodes[tgt.name];
        node.metadata['flux_rate_input'] = inp.name;
        node.metadata['flux_rate_input_gain'] = inp.gain;
        b.notes.push(`${el}: rate input of poisson population "${tgt.name}": the Input node "${tgt.name}" is where the data enters`);
      } else b.problem(el, 'unsupported', `rate input into ${tgt.model} population "${tgt.name}", which is not exported`);
      continue;
    }
    const info = b.lifs.get(inp.target);
    if (!info) {
      b.problem(el, 'unsupported', `current input into ${tgt.model} population "${tgt.name}", which is not exported`);
      continue;
    }
    const n = tgt.size;
    const i = b.add(
      inp.name,
      'Input',
      { shape: nirArray([n]) },
      { [META.role]: 'input', [META.name]: inp.name, [META.inputMode]: 'current' },
    );
    const g = b.add(`${inp.name}.gain`, 'Scale', { scale: full(n, inp.gain) }, { [META.role]: 'gain', [META.name]: inp.name });
    b.edges.push([i, g], [g, info.node]);
  }
}

function writeOutputs(b: NirBuilder): void {
  for (const out of b.circuit.outputs) {
    const el = `outputs.${out.name}`;
    if (!b.exportedModel(out.source)) {
      b.problem(el, 'unsupported', `reads ${b.pops.get(out.source)?.model} population "${out.source}", which is not exported`);
      continue;
    }
    if (out.measure === 'voltage')
      b.problem(
        el,
        'approximated',
        'measures the mean membrane potential; a NIR Output of a spiking node carries its spikes (measure kept as metadata)',
      );
    const meta: NirMetadata = { [META.role]: 'output', [META.name]: out.name, [META.measure]: out.measure, [META.measureTau]: out.tau };
    const o = b.add(out.name, 'Output', { shape: nirArray([b.pops.get(out.source)!.size]) }, meta);
    b.edges.push([out.source, o]);
  }
}

export function circuitToNir(circuit: Circuit, network?: Network, options: NirExportOptions = {}): NirExportResult {
  const net = network ?? compile(circuit);
  const b = new NirBuilder(circuit);
  writePopulations(b, inflowOf(b));
  writeProjections(b, net);
  writeInputs(b);
  writeOutputs(b);
  for (const m of circuit.modulators) {
    const targets = m.targets.map((t) => `${t.effect} of ${t.population ?? t.projection}`).join(', ');
    b.problem(`modulators.${m.name}`, 'unsupported', `neuromodulation has no NIR primitive${targets ? ` (targets: ${targets})` : ''}`);
  }
  if (b.problems.length && !options.partial) throw new NirConversionError('export', b.problems);
  const graph: NirGraph = {
    nodes: b.nodes,
    edges: b.edges,
    metadata: { [META.generator]: 'flux', [META.name]: circuit.name, [META.dt]: net.dt, [META.seed]: circuit.seed },
  };
  return { nir: { version: NIR_VERSION, graph }, problems: b.problems, notes: b.notes };
}

/** Exports a circuit file to a NIR (HDF5) file. Throws NirConversionError listing every problem unless `partial`. */
export async function exportNir(circuitFile: string, outFile: string, options: NirExportOptions = {}): Promise<NirExportResult> {
  const { circuit } = loadCircuit(circuitFile);
  const result = circuitToNir(circuit, undefined, options);
  await writeNirFile(outFile, result.nir);
  return result;
}
