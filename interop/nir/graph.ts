// The NIR graph in memory: what an HDF5 file written by the NIR reference implementation
// (nir.write) holds, without the file. Parameters are arrays of numbers with a shape (row-major);
// strings only appear as node types, edges and metadata.
//
// HDF5 layout (nir/serialization.py, NIR 1.0):
//   /version                      string dataset, e.g. "1.0.7"
//   /node/type                    "NIRGraph"
//   /node/edges                   string dataset of shape [E, 2]: (source name, target name)
//   /node/nodes/<name>/type       "LIF", "CubaLIF", "Affine", ... (or "NIRGraph" for a subgraph,
//                                 which then has its own nodes/ and edges)
//   /node/nodes/<name>/<param>    numeric dataset per parameter (tau, r, v_leak, weight, ...);
//                                 Input and Output nodes hold `shape` (int64)
//   .../metadata/<key>            optional group of scalar or string datasets per node or graph
export interface NirArray {
  shape: number[];
  data: Float64Array;
}

export type NirMetadata = Record<string, string | number>;

export interface NirNode {
  type: string;
  /** Numeric parameters (for NIRGraph nodes: none). */
  params: Record<string, NirArray>;
  metadata: NirMetadata;
  /** Present when type is NIRGraph. */
  graph?: NirGraph;
}

export interface NirGraph {
  nodes: Record<string, NirNode>;
  edges: [string, string][];
  metadata: NirMetadata;
}

export interface NirFile {
  version: string;
  graph: NirGraph;
}

/** The NIR version this module writes (the reference implementation's release it was checked against). */
export const NIR_VERSION = '1.0.7';

export function nirArray(data: ArrayLike<number>, shape: number[] = [data.length]): NirArray {
  return { shape, data: Float64Array.from(data) };
}

export function elementCount(a: NirArray): number {
  return a.shape.reduce((x, y) => x * y, 1);
}

/** A problem found while converting: the element it concerns (by name) and what cannot be expressed. */
export interface NirProblem {
  /** e.g. "populations.exc", "projections.ee", "modulators.dopamine", "node lif1" */
  element: string;
  /** unsupported: left out of the result; approximated: kept, but something about it is lost or changed */
  kind: 'unsupported' | 'approximated';
  message: string;
}

export function formatProblems(problems: NirProblem[]): string {
  return problems.map((p) => `  ${p.element}: ${p.kind}: ${p.message}`).join('\n');
}

export class NirConversionError extends Error {
  constructor(
    readonly direction: 'export' | 'import',
    readonly problems: NirProblem[],
  ) {
    super(
      `NIR ${direction}: ${problems.length} element${problems.length === 1 ? '' : 's'} cannot be converted exactly` +
        ` (pass partial to ${direction} the rest and get this list back):\n${formatProblems(problems)}`,
    );
    this.name = 'NirConversionError';
  }
}

/**
 * A NIR file or graph refused as input: unreadable (`could not read <file>: <reason>`, kind 'read')
 * or holding what no circuit may (`<file>: node "x": <field> ...`, kind 'graph': non-finite values,
 * inconsistent shapes, sizes beyond the importer's bounds).
 */
export class NirFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly kind: 'read' | 'graph' = 'read',
  ) {
    super(kind === 'read' ? `could not read ${file}: ${reason}` : `${file}: ${reason}`);
    this.name = 'NirFileError';
  }
}
