// The Flux node's ROS parameters, each declared once (as ros2_control declares its parameters): type,
// description, accepted values, and whether a change needs a new engine. The declarations on the node
// (ROS descriptors or the local store), the checks of -p, params files and `ros2 param set`, and the
// TypeScript types of the values all come from this table.
import type { Parameters, ParamDecl, ParamSpec, ParamType, ParamValue } from './parameters.js';
import { checkValue } from './parameters.js';
import { TICK_HZ, WATCHDOG_MS } from '../loop-limits.js';
import { BACKEND_CHOICES } from '../../engine/engine.js';

/** The value type a ParamType holds. */
export type ValueOf<T extends ParamType> = T extends 'string' ? string : T extends 'bool' ? boolean : number;

interface NodeParam extends ParamDecl {
  /** A change builds a new engine and swaps it in (a hot swap) instead of applying to the running bridge. */
  swap?: boolean;
}

export const NODE_PARAMS = {
  bridge: { type: 'string', swap: true, description: 'the bridge document (topics <-> circuit); changing it swaps in a new engine' },
  circuit: {
    type: 'string',
    swap: true,
    description: 'the circuit file (default: the one the bridge names); changing it swaps in a new engine',
  },
  backend: {
    type: 'string',
    swap: true,
    choices: BACKEND_CHOICES,
    description: 'auto, cpu or webgpu; changing it swaps in a new engine',
  },
  use_sim_time: { type: 'bool', swap: true, description: 'follow /clock instead of the wall clock' },
  tick_hz: {
    type: 'double',
    range: { min: TICK_HZ.min, max: TICK_HZ.max, what: 'rate' },
    description: 'engine ticks per second (live)',
  },
  watchdog_ms: {
    type: 'double',
    range: { min: WATCHDOG_MS.min, minExclusive: true, max: WATCHDOG_MS.max, what: 'time' },
    description: 'no finished tick for this long sends every output to its safe value (live)',
  },
} as const satisfies Record<string, NodeParam>;

export type NodeParamName = keyof typeof NODE_PARAMS;
/** The values of the node's parameters, typed from the table. */
export type NodeParamValues = {
  [K in NodeParamName]: (typeof NODE_PARAMS)[K] extends { choices: readonly (infer C)[] } ? C : ValueOf<(typeof NODE_PARAMS)[K]['type']>;
};

/** Parameters whose change needs a new engine. */
export const SWAP_PARAMS: ReadonlySet<string> = new Set(
  Object.entries(NODE_PARAMS)
    .filter(([, d]) => 'swap' in d && d.swap)
    .map(([k]) => k),
);

/** Per-binding parameters (`inputs.<name>.topic`, `outputs.<name>.stamped`, ...): name pattern and declaration. */
export const BINDING_PARAMS = {
  inputTopic: (input: string) => ({ name: `inputs.${input}.topic`, type: 'string', description: `topic of input ${input} (live)` }),
  outputTopic: (output: string) => ({ name: `outputs.${output}.topic`, type: 'string', description: `topic of output ${output} (live)` }),
  outputStamped: (output: string, stamped: string, plain: string) => ({
    name: `outputs.${output}.stamped`,
    type: 'bool',
    description: `publish ${stamped} instead of ${plain} (live)`,
  }),
  outputFrameId: (output: string) => ({
    name: `outputs.${output}.frame_id`,
    type: 'string',
    description: `header.frame_id of the stamped ${output} (live)`,
  }),
} as const satisfies Record<string, (...names: string[]) => ParamDecl & { name: string }>;

/** `v` as the type the table gives `name` (after the check the declaration states, so the narrowing holds). */
function typed<K extends NodeParamName>(name: K, v: ParamValue): NodeParamValues[K] {
  const bad = checkValue(name, NODE_PARAMS[name], v);
  if (bad) throw new Error(bad);
  return v as NodeParamValues[K];
}

/** Declares one of the node's parameters with `value` as its default; returns the value in effect (an override's). */
export function declareNodeParam<K extends NodeParamName>(params: Parameters, name: K, value: NodeParamValues[K]): NodeParamValues[K] {
  const spec: ParamSpec = { name, value, ...NODE_PARAMS[name] };
  return typed(name, params.declare(spec));
}

/** The current value of one of the node's parameters, typed from the table. */
export function nodeParam<K extends NodeParamName>(params: Parameters, name: K): NodeParamValues[K] {
  return typed(name, params.get(name));
}

/** Declares a per-binding parameter (BINDING_PARAMS) with `value` as its default; returns the value in effect. */
export function declareBindingParam<T extends ParamType>(
  params: Parameters,
  decl: ParamDecl & { name: string; type: T },
  value: ValueOf<T>,
): ValueOf<T> {
  const v = params.declare({ ...decl, value });
  const bad = checkValue(decl.name, decl, v);
  if (bad) throw new Error(bad);
  return v as ValueOf<T>;
}
