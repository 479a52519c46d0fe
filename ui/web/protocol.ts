// Types both sides of the dashboard's stream share. They live with the browser code because the page is
// compiled on its own (ui/tsconfig.json); the server imports them as types only. The package listing's
// type is declared where the listing is made (sharing/catalog.ts), the one file outside web/ the page
// may import.

/** A population as the spike frames show it: every stride-th neuron, `rows` of them. */
export interface LayoutPopulation {
  name: string;
  size: number;
  stride: number;
  rows: number;
}

export type { InstalledCircuit } from '../../sharing/catalog.js';

/** The populations of the spike frames, in frame order; a new id when the circuit changes. */
export interface Layout {
  id: number;
  dt: number;
  populations: LayoutPopulation[];
}

/** A projection's weights as the page plots them (GET /api/weights; made by ui/weights.ts). */
export interface WeightView {
  projection: string;
  plastic: boolean;
  unit: string;
  synapses: number;
  /** Synapses the view was computed from (all of them up to the server's read bound). */
  sampled: number;
  min: number;
  max: number;
  mean: number;
  histogram: { lo: number; hi: number; counts: number[] };
  /** Mean weight per block; null where a block has no synapse. Row-major, rows × cols. */
  matrix: { rows: number; cols: number; sources: number; targets: number; values: (number | null)[] };
}
