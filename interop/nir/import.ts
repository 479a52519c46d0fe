// NIR graph -> Flux circuit document. The units and scale factors are derived in conventions.ts.
// The steps: flatten.ts (one level of nodes and edges) -> classify.ts (membranes, inputs, synapses)
// -> paths.ts (the linear paths between them) -> emit.ts (the document).
//
// The graph is read as spike sources, membranes and the linear paths between them:
//   - membranes (populations): LIF, CubaLIF, IF (spiking); LI, CubaLI, I (non-spiking, unless an LI
//     is a synapse, below). Each becomes a Flux `lif` population, or, where its neurons' parameters or
//     biases differ, a population of `lif_per_neuron` (the lif as equations, per-neuron.ts).
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
// ([source, target, weight] per synapse); no `weight` then. A CubaLIF's per-neuron tau_syn, per-element
// delays, analog (non-spike) couplings between nodes, two filters in a row, Conv/Pool/Threshold
// nodes and readouts through weights are reported by name (NirProblem). Without `partial` any
// problem fails the import with the whole list.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CircuitDoc } from '../../engine/circuit/document.js';
import { loadCircuit } from '../../engine/engine.js';
import { NirConversionError, type NirFile, type NirProblem } from './graph.js';
import { checkNirFile } from './check.js';
import { META } from './conventions.js';
import { readNirFile, type NirReadOptions } from './hdf5.js';
import { ImportReport } from './report.js';
import { flatten } from './flatten.js';
import { classify } from './classify.js';
import { tracePaths } from './paths.js';
import { emit, metaNumber, toYaml } from './emit.js';

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

export function nirToCircuit(input: NirFile, options: NirImportOptions & { fileName?: string } = {}): NirImportResult {
  const where = options.fileName ?? 'NIR graph';
  const file = checkNirFile(input, where);
  const report = new ImportReport(where);
  const graph = flatten(file, report);
  const gmeta = file.graph.metadata;
  const spikeIntegral = options.spikeIntegral ?? 1;
  const dt = options.dt ?? metaNumber(gmeta, META.dt) ?? 0.1;
  if (!(Number.isFinite(dt) && dt > 0)) report.refuse('the graph', `dt ${dt} ms is not a positive finite step`);
  if (!(Number.isFinite(spikeIntegral) && spikeIntegral > 0))
    report.refuse('the graph', `spikeIntegral ${spikeIntegral} is not a positive finite number`);

  const classified = classify(graph, options.inputs, report);
  const paths = tracePaths(classified, report);
  const name = gmeta[META.name];
  const doc: CircuitDoc = {
    name: options.name ?? (typeof name === 'string' ? name : basename(options.fileName ?? 'nir', '.nir')),
    description:
      `Imported from NIR${options.fileName ? ` file ${basename(options.fileName)}` : ''} (NIR version ${file.version}) ` +
      'by flux nir import; conventions in interop/nir/README.md',
    dt: `${report.fmt(dt)} ms`,
    seed: metaNumber(gmeta, META.seed) ?? 1,
    populations: {},
    projections: {},
    inputs: {},
    outputs: {},
  };
  emit(classified, paths, doc, spikeIntegral, dt, report);
  const problems: NirProblem[] = report.problems;
  if (problems.length && !options.partial) throw new NirConversionError('import', problems);
  return { doc, yaml: toYaml(doc, spikeIntegral), problems, notes: report.notes, populations: Object.fromEntries(classified.populationOf) };
}

/** Reads a NIR file and writes the circuit document (YAML) to `outFile`, which `flux validate` accepts. */
export async function importNir(nirFile: string, outFile: string, options: NirImportOptions = {}): Promise<NirImportResult> {
  const file = await readNirFile(nirFile, options.read);
  const result = nirToCircuit(file, { ...options, fileName: nirFile });
  writeFileSync(outFile, result.yaml);
  loadCircuit(outFile); // throws CircuitError with file:line if the document is not valid
  return result;
}
