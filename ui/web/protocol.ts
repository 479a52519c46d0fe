// Types both sides of the dashboard's stream share. They live with the browser code because the page is
// compiled on its own (ui/tsconfig.json, rootDir web/); the server imports them as types only.

/** A population as the spike frames show it: every stride-th neuron, `rows` of them. */
export interface LayoutPopulation {
  name: string;
  size: number;
  stride: number;
  rows: number;
}

/** The populations of the spike frames, in frame order; a new id when the circuit changes. */
export interface Layout {
  id: number;
  dt: number;
  populations: LayoutPopulation[];
}
