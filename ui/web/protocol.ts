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
