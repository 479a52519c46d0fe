// The built-in families' definitions as documents (the `models:` form, Brian2's syntax), by family and
// variant: what `model: lif` runs, written out so that a circuit can use (or copy and change) them as
// models of its own. tests/builtin-definitions.test.ts runs both forms side by side.
import type { ModelDoc } from '../equations/model-definition.js';
import { adex } from './adex.js';
import { izhikevich } from './izhikevich.js';
import { lif } from './lif.js';

export const BUILTIN_DEFINITIONS: Readonly<Record<string, Readonly<Record<string, ModelDoc>>>> = {
  lif: lif.documents,
  izhikevich: izhikevich.documents,
  adex: adex.documents,
};
