// A built-in model family: the parameters, state and documentation a circuit document sees (`model:
// lif`), advanced by code generated from its definitions (engine/equations), one per way of
// integrating it. Which definition runs is decided per step from the population's state: lif
// integrates current synapses exactly and conductances by exponential Euler, or everything by Euler
// when the population asks for it. The parameters' defaults are written once, in the family's
// ParamSpecs; the definitions take them from there.
import type { NeuronModel, ParamSpec, PopulationState } from './model.js';
import { defineModel, type ModelDefinition, type ModelDoc } from '../equations/model-definition.js';
import { INTERNAL_UNIT } from '../units.js';
import { generatedModel, type GeneratedModel } from './generated.js';

/** What decides a family's definition: the population's `integration` and whether conductance synapses reach it. */
export type VariantState = Pick<PopulationState, 'integration' | 'conductance'>;

export interface FamilySpec extends Omit<NeuronModel, 'step'> {
  /** The definitions, without parameters (they come from `params`). */
  variants: Record<string, Omit<ModelDoc, 'parameters'>>;
  variantFor(s: VariantState): string;
  /** Units of parameters whose ParamSpec dimension is not their exact one (Izhikevich's a is per ms). */
  units?: Record<string, string>;
}

export interface FamilyModel extends NeuronModel {
  /** The definitions, by variant name. */
  definitions: Readonly<Record<string, ModelDefinition>>;
  /** The same as documents (the `models:` form), parameters included. */
  documents: Readonly<Record<string, ModelDoc>>;
  variantFor(s: VariantState): string;
}

export const isFamily = (m: NeuronModel): m is FamilyModel => 'definitions' in m;

/** The parameters of a definition, from the family's ParamSpecs (their defaults in internal units). */
export function parametersOf(params: Record<string, ParamSpec>, units: Record<string, string> = {}): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, p] of Object.entries(params)) {
    const unit = Object.hasOwn(units, k) ? units[k] : INTERNAL_UNIT[p.dimension];
    out[k] = unit ? `(${p.default})*(${unit})` : p.default;
  }
  return out;
}

export function builtinFamily(spec: FamilySpec): FamilyModel {
  const parameters = parametersOf(spec.params, spec.units);
  const definitions: Record<string, ModelDefinition> = {};
  const documents: Record<string, ModelDoc> = {};
  for (const [k, variant] of Object.entries(spec.variants)) {
    const doc = { ...variant, parameters };
    const d = defineModel(`${spec.name}_${k}`, doc);
    if (Array.isArray(d))
      throw new Error(`internal: the built-in ${spec.name} (${k}) does not define: ${d.map((p) => p.message).join('; ')}`);
    definitions[k] = d;
    documents[k] = doc;
  }
  const { name, doc, integration, params, state, alternatives, voltage, variantFor } = spec;
  return {
    name,
    doc,
    integration,
    params,
    state,
    alternatives,
    voltage,
    definitions,
    documents,
    variantFor,
    step: (p, s, dt, spikes) => generatedModel(definitions[variantFor(s)]).step(p, s, dt, spikes),
  };
}

/** The generated model that advances the population now: a model defined by equations, or a family's variant. */
export function definedModel(m: NeuronModel, s: VariantState): GeneratedModel | null {
  if ('stepPhase' in m && 'definition' in m) return m as GeneratedModel;
  if (isFamily(m)) return generatedModel(m.definitions[m.variantFor(s)]);
  return null;
}
