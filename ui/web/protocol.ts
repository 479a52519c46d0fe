// Types both sides of the dashboard's stream share. They live with the browser code because the page is
// compiled on its own (ui/tsconfig.json, rootDir web/); the server imports them as types only.

/** A population as the spike frames show it: every stride-th neuron, `rows` of them. */
export interface LayoutPopulation {
  name: string;
  size: number;
  stride: number;
  rows: number;
}

/** A circuit of an installed Flux package, as the component browser lists it (GET /api/packages). */
export interface InstalledCircuit {
  package: string;
  version: string;
  description?: string;
  /** What an include names: `<package>/<circuit>`. */
  module: string;
  circuit: string;
  populations: number;
  neurons: number;
  ports: string[];
  problem?: string;
}

/** The populations of the spike frames, in frame order; a new id when the circuit changes. */
export interface Layout {
  id: number;
  dt: number;
  populations: LayoutPopulation[];
}
