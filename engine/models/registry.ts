// All neuron model families. A model added here is picked up by the schema, the compiler, the
// CLI's documentation and the per-model test suites without further edits.
import type { NeuronModel } from './model.js';
import { lif } from './lif.js';
import { izhikevich } from './izhikevich.js';
import { adex } from './adex.js';
import { poisson } from './poisson.js';
import { generatedModel } from './generated.js';
import type { ModelDefinition } from '../equations/model-definition.js';

export const MODELS: Record<string, NeuronModel> = { lif, izhikevich, adex, poisson };

export function modelNames(): string[] {
  return Object.keys(MODELS);
}

/** A population's model: one defined by equations in the circuit's documents, else a built-in family. */
export function modelOf(name: string, models?: Readonly<Record<string, ModelDefinition>>): NeuronModel | undefined {
  if (models && Object.hasOwn(models, name)) return generatedModel(models[name]);
  return Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
}
