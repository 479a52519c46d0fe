// What the equations field of a model may use, for the page's syntax help: read from the engine's own
// tables (the symbols it provides, the functions, constants and units the checker knows), so the help
// names exactly what the checker accepts.
import { BASE_UNITS, PREFIXES, SHORT_NAMES, formatDim } from '../engine/equations/dimension.js';
import { CONSTANTS, FUNCTIONS } from '../engine/equations/check-units.js';
import { ENGINE_SYMBOLS } from '../engine/equations/model-definition.js';
import { CHANNEL_TARGETS } from '../engine/equations/synapse-definition.js';
import type { EquationsHelp } from './web/protocol.js';

export function equationsHelp(): EquationsHelp {
  return {
    neuron: Object.entries(ENGINE_SYMBOLS).map(([name, s]) => ({ name, unit: formatDim(s.dim), doc: s.doc })),
    synapse: Object.entries(CHANNEL_TARGETS).map(([name, s]) => ({ name, unit: formatDim(s.dim) })),
    functions: Object.entries(FUNCTIONS).map(([name, f]) => ({ name, arity: f.arity })),
    constants: Object.keys(CONSTANTS),
    units: { base: BASE_UNITS.map((u) => ({ ...u })), short: Object.keys(SHORT_NAMES), prefixes: Object.keys(PREFIXES) },
  };
}
