// All neuron model families. A model added here is picked up by the schema, the compiler, the
// CLI's documentation and the per-model test suites without further edits.
import type { NeuronModel } from './model.js';
import { lif } from './lif.js';
import { izhikevich } from './izhikevich.js';
import { adex } from './adex.js';
import { poisson } from './poisson.js';

export const MODELS: Record<string, NeuronModel> = { lif, izhikevich, adex, poisson };

export function modelNames(): string[] {
  return Object.keys(MODELS);
}
