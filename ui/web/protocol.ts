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
  /**
   * Mean weight per block of the window's sources (rows) and targets (columns), [from, to) each; null
   * where a block has no synapse. Row-major, rows × cols. A block is one neuron a side when the window is
   * at most 48 neurons a side: then a cell is one synapse (the mean of repeated pairs).
   */
  matrix: {
    rows: number;
    cols: number;
    sources: number;
    targets: number;
    window: { sources: [number, number]; targets: [number, number] };
    /** The first source (target) neuron of each row (column) of blocks, and the window's end last: rows + 1 (cols + 1) of them. */
    rowStarts: number[];
    colStarts: number[];
    /** Each cell is one source and one target, every synapse of the window read (no stride over it). */
    single: boolean;
    /** The most blocks a side: a window of at most this many neurons a side shows single synapses. */
    maxCells: number;
    values: (number | null)[];
  };
}

/** What a model's equations may use (GET /api/equations-help; made by ui/equations-help.ts from the engine's tables). */
export interface EquationsHelp {
  /** Names a neuron model's statements may read: what the engine provides, with its unit and meaning. */
  neuron: { name: string; unit: string; doc: string }[];
  /** What a synapse model's on_pre may add to: the target's channels. */
  synapse: { name: string; unit: string }[];
  functions: { name: string; arity: number }[];
  constants: string[];
  /** The base units (each with whether it takes a prefix and a power 2 or 3), Brian2's short names, the SI prefixes. */
  units: { base: { name: string; prefixed: boolean; powered: boolean }[]; short: string[]; prefixes: string[] };
}
