// Checks that need more than the schema: references, units, parameter ranges, sizes that must
// agree. Converts every quantity to internal units on the way. All problems are collected first.
import { MODELS, modelOf } from '../models/registry.js';
import { takesRateInputs } from '../models/model.js';
import { Checker } from './checker.js';
import { checkSummedTargets, modelDefinitions, synapseModelSpec, userPopulationSpec, type ModelContext } from './check-models.js';
import type { ModelDefinition } from '../equations/model-definition.js';
import { checkQuantity, quantityProblem, type Dimension, type Sign } from '../units.js';
import { MAX_DELAY_STEPS, MAX_PROJECTION_SYNAPSES, partnersProblem, synapseBound } from './limits.js';
import { CircuitError } from './errors.js';
import { locateIn, type FlatCircuit, type Section } from './flat.js';
import type {
  Circuit,
  Connectivity,
  Distribution,
  ModulatorSpec,
  PlasticitySpec,
  PopulationSpec,
  ProjectionSpec,
  SourceSpec,
  SynapseSpec,
  InputSpec,
  OutputSpec,
} from './circuit.js';
import type { ConnectivityDoc, PopulationDoc, ProjectionDoc, ModulatorDoc, SourceDoc, InputDoc, OutputDoc, Quantity } from './document.js';

const STATE_CHANNELS: Record<string, Dimension> = { ie: 'current', ii: 'current', ge: 'conductance', gi: 'conductance' };

/** Most neurons in one population: neuron and synapse indices are 32-bit. */
export const MAX_POPULATION_SIZE = 2 ** 32 - 1;

/** A population's size and grid, whatever its model. */
/** Modulators whose names are identifiers: synapse models read their levels by name. */
function identifierNames(names: Set<string>): Set<string> {
  return new Set([...names].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)));
}

function checkShape(c: Checker, name: string, p: PopulationDoc): void {
  if (!(Number.isSafeInteger(p.size) && p.size <= MAX_POPULATION_SIZE))
    c.report(
      'populations',
      name,
      '/size',
      `${p.size} neurons: a population holds at most ${MAX_POPULATION_SIZE} (neuron indices are 32-bit)`,
    );
  if (p.grid) {
    const cells = p.grid.reduce((a, b) => a * b, 1);
    if (cells !== p.size) c.report('populations', name, '/grid', `grid ${p.grid.join('x')} has ${cells} cells but size is ${p.size}`);
  }
}

export function populationSpec(
  c: Checker,
  name: string,
  p: PopulationDoc,
  models: Record<string, ModelDefinition> = {},
  failed: ReadonlySet<string> = new Set(),
): PopulationSpec {
  if (Object.hasOwn(models, p.model)) {
    const base = { name, model: p.model, size: p.size, grid: p.grid, params: {}, init: {}, integration: 'default' };
    checkShape(c, name, p);
    return userPopulationSpec(c, name, p, models[p.model], base);
  }
  if (!Object.hasOwn(MODELS, p.model)) {
    if (!failed.has(p.model) && !c.broken(p.model))
      c.report(
        'populations',
        name,
        '/model',
        `unknown model "${p.model}": expected one of ${Object.keys(MODELS).join(', ')}, or a model defined under models`,
      );
    return { name, model: p.model, size: p.size, params: {}, init: {}, integration: 'default' };
  }
  const model = MODELS[p.model];
  const params: Record<string, number> = {};
  for (const [k, spec] of Object.entries(model.params)) {
    // A bound of 0 is the shared sign rule (which also refuses a denormal time constant); others are the model's own.
    const sign: Sign = spec.exclusiveMin === 0 ? 'positive' : spec.min === 0 ? 'nonNegative' : 'any';
    const given = Object.hasOwn(p.params ?? {}, k) ? (p.params![k] as Quantity) : undefined;
    const v = c.quantity('populations', name, `/params/${k}`, given, spec.dimension, spec.default, sign);
    if (spec.min !== undefined && spec.min !== 0 && v < spec.min)
      c.report('populations', name, `/params/${k}`, `must be >= ${spec.min} (got ${v})`);
    if (spec.exclusiveMin !== undefined && spec.exclusiveMin !== 0 && !(v > spec.exclusiveMin))
      c.report('populations', name, `/params/${k}`, `must be > ${spec.exclusiveMin} (got ${v})`);
    params[k] = v;
  }
  const init: Record<string, Distribution> = {};
  for (const [k, v] of Object.entries(p.init ?? {})) {
    const dim =
      (Object.hasOwn(model.state, k) ? model.state[k].dimension : undefined) ??
      (Object.hasOwn(STATE_CHANNELS, k) ? STATE_CHANNELS[k] : 'dimensionless');
    init[k] = c.distribution('populations', name, `/init/${k}`, v, dim, 0);
  }
  checkShape(c, name, p);
  return { name, model: p.model, size: p.size, grid: p.grid, params, init, integration: p.integration ?? 'default' };
}

function connectivity(d: ProjectionDoc['connectivity']): Connectivity {
  if (d.type === 'matrix' || d.type === 'list') return { type: 'explicit', form: d.type, sources: [], targets: [], weights: [] };
  const autapses = ('autapses' in d ? d.autapses : undefined) ?? false;
  const multapses = ('multapses' in d ? d.multapses : undefined) ?? false;
  switch (d.type) {
    case 'one_to_one':
      return { type: 'one_to_one' };
    case 'all_to_all':
      return { type: 'all_to_all', autapses };
    case 'fixed_probability':
      return { type: 'fixed_probability', p: d.p, autapses };
    case 'fixed_indegree':
      return { type: 'fixed_indegree', n: d.n, autapses, multapses };
    case 'fixed_outdegree':
      return { type: 'fixed_outdegree', n: d.n, autapses, multapses };
    case 'fixed_total_number':
      return { type: 'fixed_total_number', n: d.n, autapses, multapses };
    case 'gaussian':
      return { type: 'gaussian', sigma: d.sigma, pMax: d.p_max ?? 1, cutoff: d.cutoff ?? 4, periodic: d.periodic ?? false, autapses };
  }
}

/** Reports the first of several problems of the same kind, with how many there are. */
function firstOf(c: Checker, name: string, found: { sub: string; message: string }[]): void {
  if (found.length === 0) return;
  const more = found.length - 1;
  c.report('projections', name, found[0].sub, found[0].message + (more > 0 ? ` (and ${more} more like it)` : ''));
}

type ExplicitDoc = Extract<ConnectivityDoc, { type: 'matrix' | 'list' }>;
const isExplicit = (d: ConnectivityDoc): d is ExplicitDoc => d.type === 'matrix' || d.type === 'list';

const MATRIX_KEYS = new Set(['type', 'weights']);
const LIST_KEYS = new Set(['type', 'pairs']);

/**
 * Matrix and list connectivity: shapes and indices against the population sizes, entries finite and
 * >= 0, no weight beside them. Returns the synapses in the compiled order (by source, then target).
 */
function explicitConnectivity(
  c: Checker,
  name: string,
  d: ProjectionDoc,
  conn: ExplicitDoc,
  src: PopulationSpec | undefined,
  tgt: PopulationSpec | undefined,
): Connectivity {
  const form = conn.type;
  const unit = d.synapse.type === 'conductance' ? 'nS' : 'pA';
  if (d.weight !== undefined)
    c.report(
      'projections',
      name,
      '/weight',
      `must be absent with ${form} connectivity: the ${form === 'matrix' ? 'matrix entries' : 'third element of each pair'} are the weights (in ${unit} for ${d.synapse.type} synapses)`,
    );
  const allowed = form === 'matrix' ? MATRIX_KEYS : LIST_KEYS;
  for (const k of Object.keys(conn))
    if (!allowed.has(k))
      c.report(
        'projections',
        name,
        `/connectivity/${k}`,
        `${form} connectivity takes only ${[...allowed].join(' and ')} (the ${form} gives every synapse, autapses and repeated pairs included)`,
      );
  const out = { type: 'explicit' as const, form, sources: [] as number[], targets: [] as number[], weights: [] as number[] };
  const wdim: Dimension = d.synapse.type === 'conductance' ? 'conductance' : 'current';
  const bad = (w: number) => quantityProblem(w, wdim, 'nonNegative') !== null;
  const badWeight = (w: number) =>
    !Number.isFinite(w) || w < 0
      ? `weights are magnitudes in ${unit} and must be finite and >= 0 (the receptor gives the sign)`
      : `weights are magnitudes in ${unit}; ${quantityProblem(w, wdim)}`;
  if (conn.type === 'matrix') {
    const m = conn.weights;
    if (tgt && m.length !== tgt.size)
      c.report(
        'projections',
        name,
        '/connectivity/weights',
        `the matrix has ${m.length} rows but target population "${tgt.name}" has ${tgt.size} neurons (one row per target neuron, one column per source neuron)`,
      );
    const nS = src ? src.size : m.reduce((a, r) => Math.max(a, r.length), 0);
    const rows: { sub: string; message: string }[] = [];
    const entries: { sub: string; message: string }[] = [];
    m.forEach((row, i) => {
      if (src && row.length !== src.size)
        rows.push({
          sub: `/connectivity/weights/${i}`,
          message: `row ${i} has ${row.length} entries but source population "${src.name}" has ${src.size} neurons (one column per source neuron)`,
        });
      row.forEach((w, j) => {
        if (bad(w)) entries.push({ sub: `/connectivity/weights/${i}/${j}`, message: `${w}: ${badWeight(w)}` });
      });
    });
    firstOf(c, name, rows);
    firstOf(c, name, entries);
    for (let j = 0; j < nS; j++)
      for (let i = 0; i < m.length; i++) {
        const w = m[i][j];
        if (w === undefined || w === 0 || bad(w)) continue;
        out.sources.push(j);
        out.targets.push(i);
        out.weights.push(w);
      }
    return out;
  }
  const pairs = conn.pairs;
  const problems: { sub: string; message: string }[][] = [[], [], []];
  pairs.forEach(([s, t, w], k) => {
    if (src && s >= src.size)
      problems[0].push({
        sub: `/connectivity/pairs/${k}/0`,
        message: `source index ${s} is out of range: population "${src.name}" has ${src.size} neurons (0..${src.size - 1})`,
      });
    if (tgt && t >= tgt.size)
      problems[1].push({
        sub: `/connectivity/pairs/${k}/1`,
        message: `target index ${t} is out of range: population "${tgt.name}" has ${tgt.size} neurons (0..${tgt.size - 1})`,
      });
    if (bad(w)) problems[2].push({ sub: `/connectivity/pairs/${k}/2`, message: `${w}: ${badWeight(w)}` });
  });
  for (const p of problems) firstOf(c, name, p);
  // The compiled order: by source, then target; repeated pairs keep the document's order (stable sort).
  const order = pairs.map((_, k) => k).sort((a, b) => pairs[a][0] - pairs[b][0] || pairs[a][1] - pairs[b][1]);
  for (const k of order) {
    out.sources.push(pairs[k][0]);
    out.targets.push(pairs[k][1]);
    out.weights.push(pairs[k][2]);
  }
  return out;
}

function projectionSpec(
  c: Checker,
  name: string,
  d: ProjectionDoc,
  pops: Map<string, PopulationSpec>,
  modulators: Set<string>,
  dt: number,
  mc: ModelContext,
): ProjectionSpec {
  const source = c.resolvePop(d.source);
  const target = c.resolvePop(d.target);
  const src = pops.get(source);
  const tgt = pops.get(target);
  if (!src && !c.broken(d.source))
    c.report(
      'projections',
      name,
      '/source',
      `no population "${d.source}"${source !== d.source ? ` (port resolves to "${source}")` : ''}; known: ${[...pops.keys()].join(', ')}`,
    );
  if (!tgt && !c.broken(d.target))
    c.report(
      'projections',
      name,
      '/target',
      `no population "${d.target}"${target !== d.target ? ` (port resolves to "${target}")` : ''}; known: ${[...pops.keys()].join(', ')}`,
    );
  if (tgt && tgt.model === 'poisson')
    c.report('projections', name, '/target', `population "${target}" is a Poisson source and cannot receive synapses`);
  const explicit = isExplicit(d.connectivity);
  const conn = isExplicit(d.connectivity) ? explicitConnectivity(c, name, d, d.connectivity, src, tgt) : connectivity(d.connectivity);
  if (!explicit)
    for (const k of ['weights', 'pairs'])
      if (k in d.connectivity)
        c.report(
          'projections',
          name,
          `/connectivity/${k}`,
          `${k} belongs to connectivity type ${k === 'weights' ? 'matrix' : 'list'}; the ${d.connectivity.type} rule draws its synapses and takes their weights from weight`,
        );
  if (src && tgt) {
    const self = source === target;
    if (conn.type === 'one_to_one' && src.size !== tgt.size)
      c.report('projections', name, '/connectivity', `one_to_one needs equal sizes (source ${src.size}, target ${tgt.size})`);
    const short = partnersProblem(conn, src.size, tgt.size, self);
    if (short) c.report('projections', name, '/connectivity/n', short);
    // The generators' work is bounded by their synapses; a projection holds at most 2^32 - 1 of them.
    const bound = synapseBound(conn, src.size, tgt.size);
    if (!(bound <= MAX_PROJECTION_SYNAPSES))
      c.report(
        'projections',
        name,
        '/connectivity',
        `${d.connectivity.type} ${conn.type === 'gaussian' ? 'looks at' : 'makes'} about ${bound} synapses; one projection holds at most ${MAX_PROJECTION_SYNAPSES}`,
      );
    if (conn.type === 'gaussian') {
      if (!src.grid) c.report('projections', name, '/connectivity', `gaussian wiring needs a grid on source population "${source}"`);
      if (!tgt.grid) c.report('projections', name, '/connectivity', `gaussian wiring needs a grid on target population "${target}"`);
      if (src.grid && tgt.grid && src.grid.length !== tgt.grid.length)
        c.report('projections', name, '/connectivity', `source grid is ${src.grid.length}-D but target grid is ${tgt.grid.length}-D`);
    }
  }
  const modelled =
    d.synapse.model !== undefined ? synapseModelSpec(c, name, d.synapse, src, tgt, mc, identifierNames(modulators)) : undefined;
  if (d.synapse.model !== undefined && d.plasticity)
    c.report(
      'projections',
      name,
      '/plasticity',
      `a synapse model (${d.synapse.model}) brings its own learning (on_pre, on_post): remove plasticity`,
    );
  const wdim: Dimension = d.synapse.type === 'conductance' ? 'conductance' : 'current';
  // Explicit connectivity carries its weights; a synapse model that failed its checks has no weight unit to check against.
  const weight =
    explicit || (d.synapse.model !== undefined && !modelled)
      ? ({ kind: 'constant', value: 0 } as Distribution)
      : c.distribution('projections', name, '/weight', d.weight, modelled ? modelled.weight : wdim, 0);
  const delay = c.distribution('projections', name, '/delay', d.delay, 'time', 0);
  checkNonNegative(c, 'projections', name, '/delay', delay, 'delays');
  const longest = delay.clip ? delay.clip[1] : delay.kind === 'constant' ? delay.value : delay.kind === 'uniform' ? delay.high : 0;
  if (longest / dt > MAX_DELAY_STEPS)
    c.report(
      'projections',
      name,
      '/delay',
      `a delay of ${longest} ms is ${Math.round(longest / dt)} steps at dt ${dt} ms; at most ${MAX_DELAY_STEPS} steps are supported`,
    );
  const plasticity = d.plasticity && !modelled ? plasticitySpec(c, name, d.plasticity, wdim, modulators) : undefined;
  const synapse: SynapseSpec = modelled
    ? modelled.synapse
    : { type: d.synapse.type ?? 'current', receptor: d.synapse.receptor ?? 'excitatory' };
  return { name, source, target, connectivity: conn, weight, delay, synapse, plasticity };
}

/** A projection's plasticity rule with its quantities in internal units (weights in the synapse's dimension). */
function plasticitySpec(
  c: Checker,
  name: string,
  pl: NonNullable<ProjectionDoc['plasticity']>,
  wdim: Dimension,
  modulators: Set<string>,
): PlasticitySpec {
  const q = (k: string, v: Quantity | undefined, dim: Dimension, def: number, sign: Sign = 'any') =>
    c.quantity('projections', name, `/plasticity/${k}`, v, dim, def, sign);
  const plasticity: PlasticitySpec = {
    rule: pl.rule,
    tauPlus: q('tau_plus', pl.tau_plus, 'time', 20, 'positive'),
    tauMinus: q('tau_minus', pl.tau_minus, 'time', 20, 'positive'),
    aPlus: q('a_plus', pl.a_plus, 'dimensionless', 0.01, 'nonNegative'),
    aMinus: q('a_minus', pl.a_minus, 'dimensionless', 0.0105, 'nonNegative'),
    wMin: q('w_min', pl.w_min, wdim, 0),
    wMax: q('w_max', pl.w_max, wdim, 0),
    update: pl.update ?? 'additive',
    bounds: pl.bounds ?? 'hard',
    pairing: pl.pairing ?? 'all',
    tauEligibility: q('tau_eligibility', pl.tau_eligibility, 'time', 1000, 'positive'),
    learningRate: q('learning_rate', pl.learning_rate, 'dimensionless', 1, 'nonNegative'),
    modulator: pl.modulator,
  };
  if (plasticity.wMax < plasticity.wMin)
    c.report('projections', name, '/plasticity/w_max', `w_max (${plasticity.wMax}) is below w_min (${plasticity.wMin})`);
  if (pl.rule === 'reward_stdp' && pl.modulator && !modulators.has(pl.modulator) && !c.broken(pl.modulator))
    c.report(
      'projections',
      name,
      '/plasticity/modulator',
      `no modulator "${pl.modulator}"; known: ${[...modulators].join(', ') || '(none)'}`,
    );
  if (pl.rule === 'stdp' && pl.modulator)
    c.report(
      'projections',
      name,
      '/plasticity/modulator',
      'a modulator gates only reward_stdp; use a learning_rate target on the modulator to scale plain stdp',
    );
  return plasticity;
}

function checkNonNegative(c: Checker, section: Section, name: string, sub: string, d: Distribution, what: string): void {
  const neg = (d.kind === 'constant' && d.value < 0) || (d.kind === 'uniform' && d.low < 0) || (d.kind === 'normal' && d.mean < 0);
  if (neg) c.report(section, name, sub, `${what} must be >= 0`);
}

function modulatorSpec(
  c: Checker,
  name: string,
  d: ModulatorDoc,
  pops: Map<string, PopulationSpec>,
  projs: Set<string>,
  inputs: Set<string>,
): ModulatorSpec {
  const tau = c.quantity('modulators', name, '/tau', d.tau, 'time', 1, 'positive');
  const sources = (d.sources ?? []).map((s, i) => {
    const keys = ['population', 'input', 'constant'].filter((k) => k in s);
    if (keys.length !== 1) c.report('modulators', name, `/sources/${i}`, 'expected exactly one of population, input, constant');
    if ('population' in s) {
      const pop = c.resolvePop(s.population);
      if (!pops.has(pop) && !c.broken(pop)) c.report('modulators', name, `/sources/${i}/population`, `no population "${s.population}"`);
      return { kind: 'population' as const, population: pop, gain: c.number('modulators', name, `/sources/${i}/gain`, s.gain, 1) };
    }
    if ('input' in s) {
      if (!inputs.has(s.input) && !c.broken(s.input))
        c.report('modulators', name, `/sources/${i}/input`, `no input "${s.input}"; declare it under inputs`);
      return { kind: 'input' as const, input: s.input, gain: c.number('modulators', name, `/sources/${i}/gain`, s.gain, 1) };
    }
    return {
      kind: 'constant' as const,
      value: c.number('modulators', name, `/sources/${i}/constant`, (s as { constant?: number }).constant, 0),
    };
  });
  const targets = (d.targets ?? []).map((t, i) => {
    const out = {
      effect: t.effect,
      sensitivity: c.number('modulators', name, `/targets/${i}/sensitivity`, t.sensitivity, 1),
    } as ModulatorSpec['targets'][number];
    if (t.effect === 'learning_rate') {
      if (!t.projection || t.population)
        c.report('modulators', name, `/targets/${i}`, 'learning_rate acts on a projection: give "projection" (and no "population")');
      else if (!projs.has(t.projection) && !c.broken(t.projection))
        c.report('modulators', name, `/targets/${i}/projection`, `no projection "${t.projection}"`);
      out.projection = t.projection;
    } else {
      if (!t.population || t.projection)
        c.report('modulators', name, `/targets/${i}`, `${t.effect} acts on a population: give "population" (and no "projection")`);
      else {
        out.population = c.resolvePop(t.population);
        if (!pops.has(out.population) && !c.broken(out.population))
          c.report('modulators', name, `/targets/${i}/population`, `no population "${t.population}"`);
      }
    }
    return out;
  });
  return { name, tau, baseline: c.number('modulators', name, '/baseline', d.baseline, 0), sources, targets };
}

/** The population's model takes rate inputs (it declares `drive`: poisson, or a model defined by equations). */
function rateDriven(pop: PopulationSpec, models: Record<string, ModelDefinition>): boolean {
  const m = modelOf(pop.model, models);
  return m !== undefined && m !== null && takesRateInputs(m);
}

function sourceSpec(
  c: Checker,
  name: string,
  d: SourceDoc,
  pops: Map<string, PopulationSpec>,
  models: Record<string, ModelDefinition>,
): SourceSpec | undefined {
  const target = c.resolvePop(d.target);
  const pop = pops.get(target);
  if (!pop) {
    if (!c.broken(d.target)) c.report('sources', name, '/target', `no population "${d.target}"`);
  } else if (pop.model === 'poisson')
    c.report('sources', name, '/target', `population "${target}" is a Poisson source and takes no input current`);
  else if (d.type !== 'poisson' && rateDriven(pop, models))
    c.report('sources', name, '/target', `population "${target}" is driven by rate (its model declares drive) and takes no input current`);
  switch (d.type) {
    case 'poisson': {
      const wdim: Dimension = d.synapse.type === 'conductance' ? 'conductance' : 'current';
      const rate = c.quantity('sources', name, '/rate', d.rate, 'rate', 0, 'nonNegative');
      return {
        name,
        type: 'poisson',
        target,
        rate,
        count: c.number('sources', name, '/count', d.count, 1, 'positive'),
        weight: c.quantity('sources', name, '/weight', d.weight, wdim, 0),
        synapse: d.synapse,
      };
    }
    case 'constant':
      return { name, type: 'constant', target, amplitude: c.quantity('sources', name, '/amplitude', d.amplitude, 'current', 0) };
    case 'step': {
      const times = d.times.map((t, i) => c.quantity('sources', name, `/times/${i}`, t, 'time', 0));
      const amplitudes = d.amplitudes.map((a, i) => c.quantity('sources', name, `/amplitudes/${i}`, a, 'current', 0));
      if (times.length !== amplitudes.length)
        c.report('sources', name, '/amplitudes', `${amplitudes.length} amplitudes for ${times.length} times`);
      for (let i = 1; i < times.length; i++)
        if (times[i] < times[i - 1]) c.report('sources', name, `/times/${i}`, 'times must be in increasing order');
      return { name, type: 'step', target, times, amplitudes };
    }
  }
}

function inputSpec(
  c: Checker,
  name: string,
  d: InputDoc,
  pops: Map<string, PopulationSpec>,
  models: Record<string, ModelDefinition>,
): InputSpec {
  const gain = c.number('inputs', name, '/gain', d.gain, 1);
  if (d.target === undefined) return { name, target: null, mode: 'signal', gain };
  const target = c.resolvePop(d.target);
  const pop = pops.get(target);
  const rate = pop !== undefined && rateDriven(pop, models);
  if (!pop) {
    if (!c.broken(d.target)) c.report('inputs', name, '/target', `no population "${d.target}"`);
  } else if (d.mode === 'rate' && !rate)
    c.report(
      'inputs',
      name,
      '/mode',
      `rate inputs drive Poisson populations and models that declare drive ("ddrive/dt = 0/second : 1"); "${target}" is ${pop.model} (use mode: current)`,
    );
  else if (d.mode !== 'rate' && rate)
    c.report('inputs', name, '/mode', `"${target}" is driven by rate (its model ${pop.model} declares drive): use mode: rate`);
  return { name, target, mode: d.mode ?? 'current', gain };
}

function outputSpec(
  c: Checker,
  name: string,
  d: OutputDoc,
  pops: Map<string, PopulationSpec>,
  models: Record<string, ModelDefinition>,
): OutputSpec {
  const source = c.resolvePop(d.source);
  const pop = pops.get(source);
  if (!pop) {
    if (!c.broken(d.source)) c.report('outputs', name, '/source', `no population "${d.source}"`);
  } else if (d.measure === 'voltage' && !modelOf(pop.model, models)?.voltage)
    c.report('outputs', name, '/measure', `${pop.model} neurons have no membrane potential`);
  const tau = c.quantity('outputs', name, '/tau', d.tau, 'time', 50, 'positive');
  return { name, source, measure: d.measure, tau };
}

/**
 * The placement section: each reference names a population (ports followed), each population is placed
 * once, and every population is placed (a machine left without its populations would run nothing of them).
 */
function placementOf(c: Checker, flat: FlatCircuit, pops: Map<string, PopulationSpec>): Record<string, string> | undefined {
  const doc = flat.doc.placement;
  if (doc === undefined) return undefined;
  const at = (local: string) => (flat.rootLayers ? locateIn(flat.rootLayers, local) : { file: flat.rootFile, path: local });
  const placement: Record<string, string> = {};
  for (const [ref, node] of Object.entries(doc)) {
    const name = c.resolvePop(ref);
    if (!pops.has(name)) {
      if (!c.broken(ref)) c.issues.push({ ...at(`/placement/${ref}`), message: `no population "${ref}"` });
    } else if (Object.hasOwn(placement, name) && placement[name] !== node)
      c.issues.push({ ...at(`/placement/${ref}`), message: `population ${name} is placed twice (${placement[name]} and ${node})` });
    else placement[name] = node;
  }
  const unplaced = [...pops.keys()].filter((p) => !Object.hasOwn(placement, p));
  if (unplaced.length > 0)
    c.issues.push({
      ...at('/placement'),
      message: `every population needs a node: ${unplaced.slice(0, 5).join(', ')}${unplaced.length > 5 ? ` and ${unplaced.length - 5} more` : ''} ${unplaced.length === 1 ? 'has' : 'have'} none`,
    });
  return placement;
}

/** Checks a flat circuit and converts it to internal units. Throws CircuitError listing every problem. */
export function checkCircuit(flat: FlatCircuit): Circuit {
  const c = new Checker(flat);
  const doc = flat.doc;
  const mc = modelDefinitions(c, doc.models);
  const { models, failed } = mc;
  const populations = Object.entries(doc.populations ?? {}).map(([n, p]) => populationSpec(c, n, p, models, failed));
  const pops = new Map(populations.map((p) => [p.name, p]));
  const modulatorNames = new Set(Object.keys(doc.modulators ?? {}));
  const dt = doc.dt === undefined ? 1 : checkQuantity(doc.dt, 'time', 'positive');
  if (typeof dt === 'string')
    c.issues.push({ ...(flat.rootLayers ? locateIn(flat.rootLayers, '/dt') : { file: flat.rootFile, path: '/dt' }), message: `dt ${dt}` });
  const projections = Object.entries(doc.projections ?? {}).map(([n, p]) =>
    projectionSpec(c, n, p, pops, modulatorNames, typeof dt === 'number' && dt > 0 ? dt : 1, mc),
  );
  checkSummedTargets(c, projections, pops, mc);
  const inputs = Object.entries(doc.inputs ?? {}).map(([n, d]) => inputSpec(c, n, d, pops, models));
  const modulators = Object.entries(doc.modulators ?? {}).map(([n, m]) =>
    modulatorSpec(c, n, m, pops, new Set(projections.map((p) => p.name)), new Set(inputs.map((i) => i.name))),
  );
  const sources = Object.entries(doc.sources ?? {})
    .map(([n, s]) => sourceSpec(c, n, s, pops, models))
    .filter((s): s is SourceSpec => s !== undefined);
  const outputs = Object.entries(doc.outputs ?? {}).map(([n, d]) => outputSpec(c, n, d, pops, models));
  const placement = placementOf(c, flat, pops);
  if (c.issues.length > 0) throw new CircuitError(c.issues);
  return {
    name: doc.name ?? 'circuit',
    file: flat.rootFile,
    dt: dt as number,
    seed: doc.seed ?? 1,
    populations,
    projections,
    modulators,
    sources,
    inputs,
    outputs,
    modules: flat.modules,
    ...(Object.keys(models).length ? { models } : {}),
    ...(Object.keys(mc.synapses).length ? { synapseModels: mc.synapses } : {}),
    ...(placement ? { placement } : {}),
  };
}
