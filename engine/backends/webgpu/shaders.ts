// Loads the WGSL kernels from shaders/ (next to package.json). Every kernel gets shaders/common.wgsl
// (the word layout shared with layout.ts) and shaders/bindings.wgsl (the bind group) in front of it;
// a neuron update kernel is neuron.wgsl plus the modelStep generated from the model's definition by
// engine/equations/codegen-wgsl.ts.
import { host } from '../../platform/host.js';

const cache = new Map<string, string>();

function read(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = host().shader(name);
    cache.set(name, text);
  }
  return text;
}

/** common.wgsl and bindings.wgsl: what every Flux kernel starts with. */
const prelude = (): string[] => [read('common.wgsl'), read('bindings.wgsl')];

/** The bind group's declarations (shaders/bindings.wgsl), for the check against layout.ts. */
export const bindingsSource = (): string => read('bindings.wgsl');

/** Source of a kernel file with the common definitions (and any shared files it names) in front. */
export function kernelSource(file: string, ...shared: string[]): string {
  return [...prelude(), ...shared.map(read), read(file)].join('\n');
}

/** The module of a synapse model's kernels (engine/equations/codegen-synapse-wgsl.ts), with the record word it reads. */
export function synapseModuleSource(module: string, recordWord: number): string {
  return `${read('common.wgsl')}\nconst R_SM: u32 = ${recordWord}u;\n${module}`;
}

/** The reset kernel of a model defined by equations (shaders/reset.wgsl), given its generated modelReset. */
export function generatedResetSource(modelReset: string): string {
  return [...prelude(), read('reset.wgsl'), modelReset].join('\n');
}

/** The signature of familyStep, which neuron-step.wgsl calls for the model of the neuron's family. */
const FAMILY_STEP = 'fn familyStep(family: u32, pb: u32, pop: u32, i: u32, g: u32, sb: u32, n: u32, iext: f32, step: u32) -> bool';

/** The neuron update kernel of one family (shaders/neuron.wgsl), given its generated modelStep. */
export function generatedNeuronSource(modelStep: string): string {
  const familyStep = `${FAMILY_STEP} { return modelStep(pb, pop, i, g, sb, n, iext, step); }`;
  return [...prelude(), read('ring.wgsl'), read('neuron-step.wgsl'), read('neuron.wgsl'), modelStep, familyStep].join('\n');
}

/**
 * The resident kernel (shaders/resident.wgsl), given each family's step function as NEURON_HELPERS
 * and `modelStep_<family>` (null for a family without neurons, which the loop never calls).
 */
export function residentSource(helpers: string, steps: (string | null)[]): string {
  const cases = steps.flatMap((f, k) =>
    f === null ? [] : [`    case ${k}u: { return modelStep_${k}(pb, pop, i, g, sb, n, iext, step); }`],
  );
  const familyStep = [`${FAMILY_STEP} {`, '  switch (family) {', ...cases, '    default: { return false; }', '  }', '}'].join('\n');
  const files = [
    'ring.wgsl',
    'modulators.wgsl',
    'work.wgsl',
    'neuron-step.wgsl',
    'propagate-step.wgsl',
    'stdp-step.wgsl',
    'end-step.wgsl',
    'resident.wgsl',
  ];
  return [...prelude(), ...files.map(read), helpers, ...steps.filter((f) => f !== null), familyStep].join('\n');
}
