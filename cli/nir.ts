// `flux nir import <file.nir> <out.yaml>` and `flux nir export <circuit> <out.nir>`: NIR graphs
// (HDF5) to and from circuit documents. Conventions: interop/nir/README.md.
// Both print what they did and every problem (element, kind, reason). Without --partial a problem
// fails the command (exit code 1, nothing written on export); with it the rest is written and the
// problems are listed.
import {
  importNir,
  exportNir,
  NirConversionError,
  formatProblems,
  type NirImportOptions,
  type NirExportOptions,
  type NirProblem,
} from '../interop/nir/index.js';

export interface NirCliOptions {
  /** Write what maps and list the rest (default false: fail with the list). */
  partial?: boolean;
  /** Show the mapping notes (what became what). */
  verbose?: boolean;
  /** Where lines go (default console.log / console.error). */
  log?: (line: string) => void;
  error?: (line: string) => void;
}

function report(problems: NirProblem[], error: (l: string) => void): void {
  if (problems.length === 0) return;
  error(`${problems.length} element${problems.length === 1 ? '' : 's'} not converted exactly:\n${formatProblems(problems)}`);
}

/**
 * Imports a NIR file as a circuit document. Returns true when written (problems, if any, were
 * allowed by `partial` and printed), false when the import failed (printed; process.exitCode = 1).
 */
export async function nirImport(
  file: string,
  out: string,
  options: NirCliOptions & Omit<NirImportOptions, 'partial'> = {},
): Promise<boolean> {
  const log = options.log ?? ((l: string) => console.log(l));
  const error = options.error ?? ((l: string) => console.error(l));
  try {
    const r = await importNir(file, out, options);
    const pops = Object.keys(r.doc.populations ?? {}).length;
    const projs = Object.keys(r.doc.projections ?? {}).length;
    log(
      `ok ${file} -> ${out}: ${pops} populations, ${projs} projections, ${Object.keys(r.doc.inputs ?? {}).length} inputs, ${Object.keys(r.doc.outputs ?? {}).length} outputs (dt ${r.doc.dt})`,
    );
    if (options.verbose) for (const n of r.notes) log(`  ${n}`);
    report(r.problems, error);
    return true;
  } catch (e) {
    if (!(e instanceof NirConversionError)) {
      error(`flux nir import: ${(e as Error).message}`);
    } else error(e.message);
    process.exitCode = 1;
    return false;
  }
}

/**
 * Exports a circuit document as a NIR file (HDF5). Returns true when written, false when the export
 * failed (every problem printed; process.exitCode = 1; nothing written).
 */
export async function nirExport(
  circuit: string,
  out: string,
  options: NirCliOptions & Omit<NirExportOptions, 'partial'> = {},
): Promise<boolean> {
  const log = options.log ?? ((l: string) => console.log(l));
  const error = options.error ?? ((l: string) => console.error(l));
  try {
    const r = await exportNir(circuit, out, { partial: options.partial });
    const g = r.nir.graph;
    log(
      `ok ${circuit} -> ${out}: NIR ${r.nir.version}, ${Object.keys(g.nodes).length} nodes, ${g.edges.length} edges (time constants in seconds)`,
    );
    if (options.verbose) for (const n of r.notes) log(`  ${n}`);
    report(r.problems, error);
    return true;
  } catch (e) {
    if (e instanceof NirConversionError) error(e.message);
    else error(`flux nir export: ${(e as Error).message}`);
    process.exitCode = 1;
    return false;
  }
}
