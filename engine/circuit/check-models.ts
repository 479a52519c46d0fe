// Checks for models defined by equations (the `models:` section) and for populations that use them:
// every equation's units, per-neuron parameter values (a distribution or one value per neuron) and
// initial state in the units the model declares.
import { defineModel, type ModelDefinition, type ModelDoc } from '../equations/model-definition.js';
import { bindSynapse, CHANNEL_TARGETS, defineSynapse, type SynapseDefinition, type SynapseDoc } from '../equations/synapse-definition.js';
import { parseQuantity } from '../equations/quantity.js';
import { dimEqual, formatDim, isDimensionless, type Dim } from '../equations/dimension.js';
import { symbolsOf } from '../equations/symbolic.js';
import { MODELS } from '../models/registry.js';
import type { Checker, Converter } from './checker.js';
import type { Distribution, PopulationSpec, ProjectionSpec, SynapseSpec } from './circuit.js';
import type { Dimension } from '../units.js';
import { dimOfNamed } from '../models/generated.js';
import type { PopulationDoc, Quantity, ValueDoc } from './document.js';
import { isPlainObject } from './merge.js';

/** Largest magnitude of a value of a model defined by equations, in internal units (finite and float32-safe with room). */
const MAX_MAGNITUDE = 1e15;

/** The models that check out, and the names of those that do not (their populations are not reported again). */
export interface ModelContext {
  models: Record<string, ModelDefinition>;
  synapses: Record<string, SynapseDefinition>;
  failed: Set<string>;
}

export function modelDefinitions(c: Checker, docs: Record<string, ModelDoc | SynapseDoc | string> | undefined): ModelContext {
  const out: Record<string, ModelDefinition> = {};
  const synapses: Record<string, SynapseDefinition> = {};
  const failed = new Set<string>();
  for (const [name, doc] of Object.entries(docs ?? {})) {
    // A reference the resolver could not load is reported there already.
    if (typeof doc === 'string') {
      failed.add(name);
      continue;
    }
    if (Object.hasOwn(MODELS, name.split('.').pop()!)) {
      c.report('models', name, '', `"${name}" is a built-in model; give the new model another name`);
      failed.add(name);
      continue;
    }
    const r = doc.kind === 'synapse' ? defineSynapse(name, doc) : defineModel(name, doc);
    if (!Array.isArray(r)) {
      if ('weight' in r) synapses[name] = r;
      else out[name] = r;
      continue;
    }
    failed.add(name);
    for (const p of r) {
      const text = p.line !== undefined ? lineOf(doc, p.sub, p.line) : undefined;
      const where =
        p.line !== undefined && multiline(doc, p.sub) ? ` (line ${p.line} of ${p.sub.slice(1)}: "${text}")` : text ? ` ("${text}")` : '';
      const symbol = p.symbol !== undefined ? ` [symbol ${p.symbol}]` : '';
      c.report('models', name, p.sub, `${p.message}${where}${symbol}`, p.line !== undefined && multiline(doc, p.sub) ? p.line : undefined);
    }
  }
  return { models: out, synapses, failed };
}

type AnyModelDoc = ModelDoc | SynapseDoc;
function textAt(doc: AnyModelDoc, sub: string): string | undefined {
  const key = sub.split('/')[1];
  const v: unknown = Object.hasOwn(doc, key) ? Object.getOwnPropertyDescriptor(doc, key)?.value : undefined;
  return typeof v === 'string' ? v : undefined;
}
const multiline = (doc: AnyModelDoc, sub: string): boolean => (textAt(doc, sub) ?? '').includes('\n');
const lineOf = (doc: AnyModelDoc, sub: string, line: number): string | undefined => textAt(doc, sub)?.split('\n')[line - 1]?.trim();

/** A converter for one dimension of a model: a number is in internal units, a string a quantity that must have that dimension. */
export function converterFor(dim: Dim): Converter {
  return (v) => {
    const q = parseQuantity(v);
    if (typeof q === 'string') return q;
    if (!dimEqual(q.dim, dim) && !(typeof v === 'number' || isDimensionless(q.dim)))
      return `${JSON.stringify(v)} has units of ${formatDim(q.dim)}, expected ${formatDim(dim)}`;
    if (!(Math.abs(q.value) <= MAX_MAGNITUDE))
      return `${JSON.stringify(v)} is out of the plausible range (at most ${MAX_MAGNITUDE} in magnitude)`;
    return q.value;
  };
}

/** A population of a model defined by equations. */
export function userPopulationSpec(c: Checker, name: string, p: PopulationDoc, def: ModelDefinition, base: PopulationSpec): PopulationSpec {
  const params: Record<string, number> = {};
  const perNeuron: Record<string, Distribution | number[]> = {};
  const given = p.params ?? {};
  for (const k of Object.keys(given))
    if (!Object.hasOwn(def.parameters, k))
      c.report(
        'populations',
        name,
        `/params/${k}`,
        `${def.name} has no parameter "${k}"; it has ${Object.keys(def.parameters).join(', ')}`,
      );
  for (const [k, spec] of Object.entries(def.parameters)) {
    const sub = `/params/${k}`;
    const conv = converterFor(spec.dim);
    const v = Object.hasOwn(given, k) ? given[k] : undefined;
    params[k] = spec.default;
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length !== p.size) {
        c.report('populations', name, sub, `${v.length} values for ${p.size} neurons: give one value per neuron`);
        continue;
      }
      perNeuron[k] = v.map((x, i) => c.quantity('populations', name, `${sub}/${i}`, x, conv, spec.default));
    } else if (isPlainObject(v)) perNeuron[k] = c.distribution('populations', name, sub, v as ValueDoc, conv, spec.default);
    else params[k] = c.quantity('populations', name, sub, v as Quantity, conv, spec.default);
  }
  const coefficients = new Set<string>();
  for (const row of def.plan.linear?.matrix ?? []) for (const a of row) symbolsOf(a, coefficients);
  for (const k of Object.keys(perNeuron))
    if (coefficients.has(k))
      c.report(
        'populations',
        name,
        `/params/${k}`,
        `${def.name} is integrated exactly, so ${k} (a coefficient of the linear system) must be the same for every neuron`,
      );
  for (const k of ['tau_syn_exc', 'tau_syn_inh']) {
    if (!(params[k] >= 1e-3)) c.report('populations', name, `/params/${k}`, `must be a time of at least 1 µs (got ${params[k]} ms)`);
    // The engine decays a population's channels with one time constant each.
    if (Object.hasOwn(perNeuron, k)) {
      c.report(
        'populations',
        name,
        `/params/${k}`,
        `the synaptic channels decay with one time constant per population: give ${k} one value`,
      );
      delete perNeuron[k];
    }
  }
  const init: Record<string, Distribution> = {};
  // The engine's channels (ie, ii, ge, gi) in the units synapse statements write them.
  const channels: Record<string, Dim> = Object.fromEntries(Object.values(CHANNEL_TARGETS).map((t) => [t.channel, t.dim]));
  for (const [k, v] of Object.entries(p.init ?? {})) {
    const dim = Object.hasOwn(def.states, k) ? def.states[k].dim : Object.hasOwn(channels, k) ? channels[k] : null;
    if (!dim) {
      c.report(
        'populations',
        name,
        `/init/${k}`,
        `${def.name} has no state variable "${k}"; it has ${[...Object.keys(def.states), 'ie', 'ii', 'ge', 'gi'].join(', ')}`,
      );
      continue;
    }
    init[k] = c.distribution('populations', name, `/init/${k}`, v, converterFor(dim), 0);
  }
  if (p.integration !== undefined && p.integration !== 'default')
    c.report('populations', name, '/integration', `${def.name} sets its method in its definition (method: ${def.method})`);
  return { ...base, params, init, integration: 'default', ...(Object.keys(perNeuron).length ? { perNeuron } : {}) };
}

/** The dimensions of a neuron model's variables and parameters, for the synapse statements that read them. */
function neuronDims(
  model: string,
  mc: ModelContext,
): { read: (n: string) => Dim | undefined; state: (n: string) => boolean; param: (n: string) => Dim | undefined } {
  if (Object.hasOwn(mc.models, model)) {
    const def = mc.models[model];
    return {
      read: (n) =>
        Object.hasOwn(def.states, n) ? def.states[n].dim : Object.hasOwn(def.parameters, n) ? def.parameters[n].dim : undefined,
      state: (n) => Object.hasOwn(def.states, n),
      param: (n) => (Object.hasOwn(def.parameters, n) ? def.parameters[n].dim : undefined),
    };
  }
  const m = Object.hasOwn(MODELS, model) ? MODELS[model] : undefined;
  const dimOf = (d: Dimension | undefined) => (d === undefined ? undefined : dimOfNamed(d));
  return {
    read: (n) =>
      dimOf(m && Object.hasOwn(m.state, n) ? m.state[n].dimension : m && Object.hasOwn(m.params, n) ? m.params[n].dimension : undefined),
    state: (n) => !!m && Object.hasOwn(m.state, n),
    param: () => undefined,
  };
}

/**
 * A projection whose synapses are a synapse model: its parameters for this projection, the units of
 * every statement checked against the two populations' models, and the channel it drives (which
 * selects the target's integrator as a built-in synapse's type and receptor do).
 */
export function synapseModelSpec(
  c: Checker,
  name: string,
  d: { model: string; params?: Record<string, Quantity> },
  pre: PopulationSpec | undefined,
  post: PopulationSpec | undefined,
  mc: ModelContext,
  modulators: ReadonlySet<string>,
): { synapse: SynapseSpec; weight: Converter } | null {
  if (!Object.hasOwn(mc.synapses, d.model)) {
    if (!mc.failed.has(d.model))
      c.report('projections', name, '/synapse/model', `no synapse model "${d.model}" (define one under models with kind: synapse)`);
    return null;
  }
  const def = mc.synapses[d.model];
  const params: Record<string, number> = {};
  for (const [k, p] of Object.entries(def.parameters)) params[k] = p.default;
  for (const [k, v] of Object.entries(d.params ?? {})) {
    if (!Object.hasOwn(def.parameters, k)) c.report('projections', name, `/synapse/params/${k}`, `${d.model} has no parameter "${k}"`);
    else
      params[k] = c.quantity(
        'projections',
        name,
        `/synapse/params/${k}`,
        v,
        converterFor(def.parameters[k].dim),
        def.parameters[k].default,
      );
  }
  if (pre && post) {
    const a = neuronDims(pre.model, mc);
    const b = neuronDims(post.model, mc);
    const env = { pre: a.read, post: b.read, postWritable: b.state, summedTarget: b.param, modulators };
    for (const p of bindSynapse(def, env)) {
      const text = p.line !== undefined ? lineOf(def.source, p.sub, p.line) : undefined;
      c.report(
        'projections',
        name,
        '/synapse/model',
        `synapse model ${d.model}, ${p.sub.slice(1)}${p.line !== undefined ? ` line ${p.line}` : ''}${text ? ` ("${text}")` : ''}: ${p.message}${p.symbol ? ` [symbol ${p.symbol}]` : ''}`,
      );
    }
  }
  const written = [...def.onPre, ...def.onPost].map((s) => s.target).filter((t) => Object.hasOwn(CHANNEL_TARGETS, t));
  const first = written[0] ?? 'I_exc_post';
  return {
    synapse: {
      type: written.some((t) => t.startsWith('g_')) ? 'conductance' : 'current',
      receptor: first.includes('_inh') ? 'inhibitory' : 'excitatory',
      model: d.model,
      params,
    },
    weight: converterFor(def.weight.dim),
  };
}

/**
 * Two projections summing into the same parameter of a population would overwrite each other (each
 * sets it afresh every step): refused, as Brian2 refuses it. Summing into I_ext adds up and is fine.
 */
export function checkSummedTargets(c: Checker, projections: ProjectionSpec[], pops: Map<string, PopulationSpec>, mc: ModelContext): void {
  const seen = new Map<string, string>();
  for (const p of projections) {
    const model = p.synapse.model;
    if (model === undefined || !Object.hasOwn(mc.synapses, model)) continue;
    for (const sm of mc.synapses[model].summed) {
      if (sm.target === 'I_ext') continue;
      // A summed parameter changes every step: an exactly integrated target cannot fold it into its propagators.
      const post = pops.get(p.target);
      const def = post && Object.hasOwn(mc.models, post.model) ? mc.models[post.model] : undefined;
      const coefficients = new Set<string>();
      for (const row of def?.plan.linear?.matrix ?? []) for (const a of row) symbolsOf(a, coefficients);
      if (def && coefficients.has(sm.target))
        c.report(
          'projections',
          p.name,
          '/synapse/model',
          `${p.target}.${sm.target} is summed every step, but ${def.name} is integrated exactly with ${sm.target} in its coefficients: give ${def.name} method: exponential_euler (or euler)`,
        );
      const key = `${p.target}\u0000${sm.target}`;
      const first = seen.get(key);
      if (first !== undefined)
        c.report(
          'projections',
          p.name,
          '/synapse/model',
          `${p.target}.${sm.target} is already the sum of projection ${first}: two projections cannot fill one summed parameter`,
        );
      else seen.set(key, p.name);
    }
  }
}
