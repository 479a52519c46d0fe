// The published JSON Schema of circuit documents. Built from the model registry so a new model's
// parameters appear in editors' completion without editing this file. `flux schema` prints it and
// schema/circuit.schema.json is the committed copy (a test keeps the two equal).
import { MODELS } from '../models/registry.js';
import { QUANTITY_PATTERN, INTERNAL_UNIT } from '../units.js';
import { METHODS } from '../equations/integrate.js';

type Schema = Record<string, unknown>;

export const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** A reference may reach into modules: "left.flexor", "left.out" (a port). */
export const REF_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$';

const quantity = (doc: string): Schema => ({
  description: doc,
  type: ['number', 'string'],
  pattern: QUANTITY_PATTERN,
});

const ref = (doc: string): Schema => ({ description: doc, type: 'string', pattern: REF_PATTERN });

const distribution: Schema = {
  // The name the element form gives this form of a value (a weight: a value or a distribution).
  title: 'distribution',
  description: 'A value drawn per element: exactly one of constant/uniform/normal/lognormal, optionally clipped',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    constant: quantity('the same value everywhere'),
    uniform: {
      type: 'object',
      additionalProperties: false,
      required: ['low', 'high'],
      properties: { low: quantity('lower bound'), high: quantity('upper bound (exclusive)') },
    },
    normal: {
      type: 'object',
      additionalProperties: false,
      required: ['mean', 'sd'],
      properties: { mean: quantity('mean'), sd: quantity('standard deviation') },
    },
    lognormal: {
      type: 'object',
      additionalProperties: false,
      required: ['mean', 'sd'],
      properties: {
        mean: quantity('mean of the values (not of their logarithm)'),
        sd: quantity('standard deviation of the values'),
      },
    },
    clip: {
      description: 'draws outside [min, max] are set to the nearer bound',
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: quantity('bound'),
    },
  },
};

const value = (doc: string): Schema => ({ description: doc, anyOf: [quantity(doc), distribution] });

const synapse: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'receptor'],
  properties: {
    type: { enum: ['current', 'conductance'], description: 'exponential current (weight in pA) or conductance (weight in nS)' },
    receptor: { enum: ['excitatory', 'inhibitory'], description: "channel; its time constant is the target's tau_syn_exc / tau_syn_inh" },
  },
};

function modelBranches(): Schema[] {
  return Object.values(MODELS).map((m) => ({
    if: { properties: { model: { const: m.name } }, required: ['model'] },
    then: {
      properties: {
        integration: {
          enum: ['default', ...Object.keys(m.alternatives ?? {})],
          description:
            `default: ${m.integration}; ` +
            Object.entries(m.alternatives ?? {})
              .map(([k, d]) => `${k}: ${d}`)
              .join('; '),
        },
        params: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(
            Object.entries(m.params).map(([k, spec]) => [
              k,
              quantity(
                `${spec.doc} (${spec.dimension}${INTERNAL_UNIT[spec.dimension] ? ', number in ' + INTERNAL_UNIT[spec.dimension] : ''}; default ${spec.default})`,
              ),
            ]),
          ),
        },
        init: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries([...Object.keys(m.state), 'ie', 'ii', 'ge', 'gi'].map((k) => [k, value(`initial ${k}`)])),
        },
      },
    },
  }));
}

const population: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'size'],
  properties: {
    model: {
      type: 'string',
      pattern: REF_PATTERN,
      description: `neuron model: a built-in family (${Object.keys(MODELS).join(', ')}) or a model defined under models`,
    },
    size: { type: 'integer', minimum: 1, description: 'number of neurons' },
    grid: {
      description: '[width] or [width, height], row-major; width*height must equal size',
      type: 'array',
      minItems: 1,
      maxItems: 2,
      items: { type: 'integer', minimum: 1 },
    },
    params: {
      type: 'object',
      description:
        'model parameters; numbers are in internal units. For models defined under models, a value may also vary per neuron: a distribution or a list of size values',
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: {
        anyOf: [{ type: ['number', 'string'] }, distribution, { type: 'array', items: { type: ['number', 'string'] } }],
      },
    },
    init: { type: 'object', description: 'initial state per variable: a value or a distribution' },
    integration: { type: 'string', description: "integration scheme other than the model's default (lif: euler)" },
    description: { type: 'string' },
  },
  allOf: modelBranches(),
};

const expressionText = (doc: string, maxLength = 2000): Schema => ({ type: 'string', minLength: 1, maxLength, description: doc });

/** A neuron model defined by equations in Brian2's syntax (engine/equations). */
const model: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['equations'],
  properties: {
    kind: { enum: ['neuron', 'synapse'], description: 'a neuron model (default) or a synapse/learning model used by projections' },
    description: { type: 'string' },
    parameters: {
      type: 'object',
      description:
        'parameter defaults: a number (internal units) or a quantity in Brian2 unit syntax ("281 pF", "0.7 pA/mV**2", "0.02/ms")',
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: { type: ['number', 'string'], maxLength: 200 },
    },
    equations: expressionText(
      'Brian2 Equations: `dv/dt = ... : volt (unless refractory)`, `I = ... : amp`, `C : farad`, one a line',
      20000,
    ),
    threshold: expressionText('spike condition, e.g. `v > v_t`'),
    reset: expressionText('statements run at a spike, e.g. `v = v_r; w += b`'),
    on_pre: expressionText('synapse models: statements run for each synapse of a presynaptic spike, e.g. `g_exc_post += w`'),
    on_post: expressionText('synapse models: statements run for each synapse onto a postsynaptic spike'),
    on_step: expressionText(
      "synapse models: statements every synapse runs each step after on_pre and on_post (Brian2's run_regularly), changing w and the synapse's own variables",
    ),
    refractory: {
      type: ['number', 'string'],
      maxLength: 2000,
      description: 'a time (`2 ms`, an expression of parameters) or a condition (`v > -20*mV`)',
    },
    method: { enum: [...METHODS], description: 'integration method (default: exact when the equations are linear, else euler)' },
    initial: {
      type: 'object',
      description: 'initial value per state variable: a quantity or an expression of parameters (default 0)',
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: { type: ['number', 'string'], maxLength: 2000 },
    },
    voltage: { type: 'string', pattern: NAME_PATTERN, description: 'the state variable that voltage outputs read (default v)' },
  },
};

const connectivity: Schema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: {
      enum: [
        'one_to_one',
        'all_to_all',
        'fixed_probability',
        'fixed_indegree',
        'fixed_outdegree',
        'fixed_total_number',
        'gaussian',
        'matrix',
        'list',
      ],
      description:
        'a rule (the synapses are drawn, weight gives their weights), or explicit synapses: matrix (dense) or list (sparse), whose entries are the weights (no weight property then)',
    },
    p: { type: 'number', minimum: 0, maximum: 1, description: 'connection probability (fixed_probability)' },
    n: {
      type: 'integer',
      minimum: 0,
      description:
        'synapses per target (fixed_indegree), per source (fixed_outdegree), or in all, each between a random source and target (fixed_total_number)',
    },
    sigma: { type: 'number', exclusiveMinimum: 0, description: 'Gaussian width in target grid cells (gaussian)' },
    p_max: { type: 'number', minimum: 0, maximum: 1, description: 'probability at zero distance (gaussian, default 1)' },
    cutoff: { type: 'number', exclusiveMinimum: 0, description: 'no synapse beyond cutoff*sigma (gaussian, default 4)' },
    periodic: { type: 'boolean', description: 'wrap distances around the grid edges (gaussian)' },
    autapses: { type: 'boolean', description: 'allow a neuron to connect to itself when source = target (default false)' },
    multapses: { type: 'boolean', description: 'allow repeated pairs (fixed_indegree/outdegree/total_number, default false)' },
    weights: {
      description:
        "matrix: weights[target][source], one row per target neuron with one entry per source neuron (as NIR's Linear); each entry is a weight magnitude in the projection's weight unit (pA for current, nS for conductance synapses; the receptor gives the sign), 0 = no synapse",
      type: 'array',
      items: { type: 'array', items: { type: 'number' } },
    },
    pairs: {
      description:
        'list: one synapse per [source, target, weight] (neuron indices from 0; weight a magnitude in pA for current, nS for conductance synapses, 0 allowed: a synapse that starts at 0); a repeated pair is a second synapse',
      type: 'array',
      items: {
        type: 'array',
        minItems: 3,
        maxItems: 3,
        items: [
          { type: 'integer', minimum: 0, description: 'source neuron index' },
          { type: 'integer', minimum: 0, description: 'target neuron index' },
          { type: 'number', description: 'weight magnitude (pA or nS)' },
        ],
      },
    },
  },
  allOf: [
    { if: { properties: { type: { const: 'fixed_probability' } } }, then: { required: ['p'] } },
    { if: { properties: { type: { const: 'fixed_indegree' } } }, then: { required: ['n'] } },
    { if: { properties: { type: { const: 'fixed_outdegree' } } }, then: { required: ['n'] } },
    { if: { properties: { type: { const: 'fixed_total_number' } } }, then: { required: ['n'] } },
    { if: { properties: { type: { const: 'gaussian' } } }, then: { required: ['sigma'] } },
    { if: { properties: { type: { const: 'matrix' } } }, then: { required: ['weights'] } },
    { if: { properties: { type: { const: 'list' } } }, then: { required: ['pairs'] } },
  ],
};

const plasticity: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['rule', 'w_max'],
  properties: {
    rule: {
      enum: ['stdp', 'reward_stdp'],
      description: 'pair-based STDP, or STDP into an eligibility trace turned into weight change by a modulator',
    },
    tau_plus: quantity('pre-synaptic trace time constant (default 20 ms)'),
    tau_minus: quantity('post-synaptic trace time constant (default 20 ms)'),
    a_plus: { type: 'number', minimum: 0, description: 'potentiation amplitude as a fraction of w_max (default 0.01)' },
    a_minus: { type: 'number', minimum: 0, description: 'depression amplitude as a fraction of w_max (default 0.0105)' },
    w_min: quantity('lower weight bound (default 0)'),
    w_max: quantity('upper weight bound'),
    update: { enum: ['additive', 'multiplicative'], description: 'multiplicative: depression proportional to w (default additive)' },
    bounds: { enum: ['hard', 'soft'], description: 'soft: changes shrink near the bounds; hard: clip (default hard)' },
    pairing: { enum: ['all', 'nearest'], description: 'all-to-all trace accumulation or nearest-spike (default all)' },
    tau_eligibility: quantity('eligibility trace time constant (reward_stdp, default 1000 ms)'),
    learning_rate: {
      type: 'number',
      minimum: 0,
      description: 'dw/dt = learning_rate * modulator * eligibility, per second (reward_stdp, default 1)',
    },
    modulator: { type: 'string', pattern: REF_PATTERN, description: 'the modulator that gates learning (reward_stdp)' },
  },
  allOf: [{ if: { properties: { rule: { const: 'reward_stdp' } } }, then: { required: ['modulator'] } }],
};

const projection: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'target', 'connectivity', 'synapse'],
  properties: {
    source: ref('source population (or module.port)'),
    target: ref('target population (or module.port)'),
    connectivity,
    weight: value(
      'synaptic weight magnitude: nS for conductance, pA for current synapses (required with a rule connectivity; absent with matrix and list, whose entries are the weights)',
    ),
    delay: value('transmission delay (default 0 ms: felt from the next step on)'),
    synapse: {
      description: 'a built-in synapse (type and receptor) or a synapse model defined under models ({ model, params })',
      oneOf: [
        synapse,
        {
          type: 'object',
          additionalProperties: false,
          required: ['model'],
          properties: {
            model: ref('a synapse model defined under models (kind: synapse)'),
            params: { type: 'object', propertyNames: { pattern: NAME_PATTERN }, additionalProperties: quantity('parameter value') },
          },
        },
      ],
    },
    plasticity,
    description: { type: 'string' },
  },
  // Rules need a weight; matrix and list carry theirs (check.ts reports a weight given with them).
  if: {
    required: ['connectivity'],
    properties: { connectivity: { required: ['type'], properties: { type: { enum: ['matrix', 'list'] } } } },
  },
  else: { required: ['weight'] },
};

const modulator: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['tau'],
  properties: {
    tau: quantity('decay time constant towards baseline + drive'),
    baseline: { type: 'number', description: 'resting level (default 0)' },
    sources: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          population: ref('each spike of this population adds gain to the level'),
          input: { type: 'string', pattern: NAME_PATTERN, description: 'the level relaxes towards gain * input value' },
          constant: { type: 'number', description: 'the level relaxes towards this value (added to baseline)' },
          gain: { type: 'number', description: 'scale (default 1)' },
        },
        minProperties: 1,
      },
    },
    targets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['effect'],
        properties: {
          population: ref('affected population'),
          projection: ref('affected projection (learning_rate)'),
          effect: {
            enum: ['gain', 'threshold', 'excitability', 'learning_rate'],
            description: 'gain: synaptic input x (1 + s*m); threshold: + s*m mV; excitability: + s*m pA; learning_rate: x (1 + s*m)',
          },
          sensitivity: { type: 'number', description: 's in the effect formula (default 1)' },
        },
      },
    },
    description: { type: 'string' },
  },
};

const source: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'target'],
  properties: {
    type: { enum: ['poisson', 'constant', 'step'] },
    target: ref('population receiving the source'),
    rate: quantity('rate of each of the count independent Poisson trains per neuron (poisson)'),
    count: { type: 'integer', minimum: 1, description: 'independent trains per neuron (poisson, default 1)' },
    weight: quantity('weight of each Poisson spike (poisson)'),
    synapse,
    amplitude: quantity('current (constant)'),
    times: { type: 'array', items: quantity('time the amplitude starts') },
    amplitudes: { type: 'array', items: quantity('current from the matching time on') },
  },
  allOf: [
    { if: { properties: { type: { const: 'poisson' } } }, then: { required: ['rate', 'weight', 'synapse'] } },
    { if: { properties: { type: { const: 'constant' } } }, then: { required: ['amplitude'] } },
    { if: { properties: { type: { const: 'step' } } }, then: { required: ['times', 'amplitudes'] } },
  ],
};

export function circuitSchema(): Schema {
  const named = (item: Schema, doc: string): Schema => ({
    type: 'object',
    description: doc,
    propertyNames: { pattern: NAME_PATTERN },
    additionalProperties: item,
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://flux-ans.dev/schema/circuit.schema.json',
    title: 'Flux circuit',
    description: 'A spiking neural circuit: populations, projections, modulators, sources, modules and I/O extension points.',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      extends: { type: 'string', description: 'base circuit (path or package circuit) this document is merged over' },
      dt: quantity('default integration step (default 1 ms)'),
      seed: {
        type: 'integer',
        minimum: 0,
        maximum: 4294967295,
        description: 'seed (32-bit) for connectivity, initial state and Poisson draws',
      },
      include: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['module', 'prefix'],
          properties: {
            module: { type: 'string', minLength: 1, description: 'file path or package circuit name' },
            prefix: { type: 'string', pattern: NAME_PATTERN, description: 'names of the module become prefix.name' },
            override: { type: 'object', description: 'JSON merge patch applied to the module document' },
            version: {
              type: 'string',
              minLength: 1,
              description:
                'package circuits: the package versions this circuit works with, a semver range (e.g. ^1.2.0); the installed one must satisfy it',
            },
          },
        },
      },
      ports: named({ type: 'string', pattern: REF_PATTERN }, 'names exposing populations to circuits that include this one'),
      models: named(
        {
          anyOf: [
            model,
            {
              type: 'string',
              minLength: 1,
              description: 'a model from a package ("@lab/neurons/eif", its package.json flux.models) or a file ("./eif.yaml")',
            },
          ],
        },
        'neuron and synapse models defined by equations (Brian2 syntax), used as model: <name> by populations and projections',
      ),
      populations: named(population, 'neuron populations by name'),
      projections: named(projection, 'synaptic projections by name'),
      modulators: named(modulator, 'neuromodulator signals by name'),
      sources: named(source, 'Poisson, constant and step current sources by name'),
      inputs: named(
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            target: ref('population driven by the input (omit for a signal that only drives modulators, e.g. reward)'),
            mode: {
              enum: ['current', 'rate'],
              description: 'current (pA) into neurons, or rate (Hz) added to a Poisson population (required with target)',
            },
            gain: { type: 'number', description: 'multiplies the input value (default 1)' },
            description: { type: 'string' },
          },
          dependencies: { target: ['mode'], mode: ['target'] },
        },
        'named input extension points (bridged streams, sensors, reward signals)',
      ),
      outputs: named(
        {
          type: 'object',
          additionalProperties: false,
          required: ['source', 'measure'],
          properties: {
            source: ref('population read by the output'),
            measure: {
              enum: ['rate', 'spikes', 'voltage'],
              description: 'filtered rate (Hz), spike count per step, or mean membrane potential',
            },
            tau: quantity('rate filter time constant (default 50 ms)'),
            description: { type: 'string' },
          },
        },
        'named output extension points (actuators, topics)',
      ),
      placement: {
        type: 'object',
        description:
          'which machine runs each population when the circuit runs over several (flux run --node <name>): population -> node name; in the document that is run, not in a module',
        propertyNames: { pattern: REF_PATTERN },
        additionalProperties: { type: 'string', pattern: NAME_PATTERN, maxLength: 64 },
      },
    },
  };
}
