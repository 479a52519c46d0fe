// A model defined by equations in a document, as a NeuronModel the engine runs like a built-in one.
// The step function is JavaScript generated from the definition (engine/equations/codegen-js.ts), once
// per variant of the population (which parameters vary per neuron) and reused afterwards.
import type { NeuronModel, ParamSpec, PopulationState, StateSpec } from './model.js';
import type { ModelDefinition } from '../equations/model-definition.js';
import { JS_HELPERS, constantOf, jsStepSource, type Phase } from '../equations/codegen-js.js';
import { evaluate } from '../equations/evaluate.js';
import { optimize } from '../equations/optimize.js';
import { propagators } from '../equations/propagator.js';
import { expDet } from '../equations/exp.js';
import { DIMENSIONLESS, UNITS, dimEqual, formatDim, type Dim } from '../equations/dimension.js';
import { INTERNAL_UNIT, type Dimension } from '../units.js';

type Step = (p: Record<string, number>, s: PopulationState, dt: number, spikes: Uint32Array, h: Helpers, count: number) => number;
interface Helpers {
  expDet: (x: number) => number;
  exprel: (x: number) => number;
  clip: (x: number, lo: number, hi: number) => number;
  linear: (p: Record<string, number>, dt: number) => { phi: number[][]; psi: number[][] };
}

/** The built-in dimensions whose internal unit is also the equations' internal unit (rates are not: Hz vs 1/ms). */
const NAMED: [Dimension, Dim][] = [
  ['time', UNITS.second.dim],
  ['voltage', UNITS.volt.dim],
  ['current', UNITS.amp.dim],
  ['conductance', UNITS.siemens.dim],
  ['capacitance', UNITS.farad.dim],
  ['resistance', UNITS.ohm.dim],
  ['dimensionless', DIMENSIONLESS],
];

/** The exact dimension of a built-in dimension name whose internal unit the equations share (not rate). */
export function dimOfNamed(d: Dimension): Dim | undefined {
  return NAMED.find(([n]) => n === d)?.[1];
}

/** The unit a parameter's number is in (Flux's internal units: mV, pA, nS, pF, ms, µm, ...). */
export function internalUnit(d: Dim): string {
  const named = namedDimension(d);
  if (named) return INTERNAL_UNIT[named];
  return `${formatDim(d)} in Flux's internal scale (ms, mV, pA, nS, pF, µm)`;
}

export function namedDimension(d: Dim): Dimension | undefined {
  return NAMED.find(([, x]) => dimEqual(x, d))?.[0];
}

/** A parameter's or state's value given the population's (or one neuron's) parameters. */
export function valueOf(def: ModelDefinition, lookup: (name: string) => number | undefined): (name: string) => number {
  return (name) => {
    const v = lookup(name);
    if (v !== undefined) return v;
    const c = constantOf(name, def);
    if (c === null) throw new Error(`${name} has no value here`);
    return c;
  };
}

const cache = new WeakMap<ModelDefinition, GeneratedModel>();

export interface GeneratedModel extends NeuronModel {
  definition: ModelDefinition;
  /**
   * One phase of a step in Brian2's order (update, threshold, then after the synapses reset), used
   * when synapse models run; returns the spike count (threshold) or the count it was given.
   */
  stepPhase(
    phase: Exclude<Phase, 'all'>,
    p: Record<string, number>,
    s: PopulationState,
    dt: number,
    spikes: Uint32Array,
    count: number,
  ): number;
  /** The generated JavaScript of a population whose parameters in `perNeuron` vary per neuron. */
  source(perNeuron: ReadonlySet<string>): string;
}

export function generatedModel(def: ModelDefinition): GeneratedModel {
  const hit = cache.get(def);
  if (hit) return hit;
  const params: Record<string, ParamSpec> = {};
  for (const [k, p] of Object.entries(def.parameters))
    params[k] = {
      dimension: namedDimension(p.dim) ?? 'dimensionless',
      dim: p.dim,
      unit: internalUnit(p.dim),
      default: p.default,
      doc: formatDim(p.dim),
    };
  const state: Record<string, StateSpec> = {};
  for (const [k, s] of Object.entries(def.states))
    state[k] = {
      dimension: namedDimension(s.dim) ?? 'dimensionless',
      doc: s.unit,
      init: (p) =>
        evaluate(
          s.initial,
          valueOf(def, (n) => (Object.hasOwn(p, n) ? p[n] : undefined)),
        ),
    };
  const compiled = new Map<string, Step>();
  const linearCache = new WeakMap<object, { dt: number; value: { phi: number[][]; psi: number[][] } }>();
  const helpers: Helpers = {
    ...JS_HELPERS,
    expDet,
    linear(p, dt) {
      const hit = linearCache.get(p);
      if (hit && hit.dt === dt) return hit.value;
      const look = valueOf(def, (n) => (Object.hasOwn(p, n) ? p[n] : undefined));
      const value = propagators(
        def.plan.linear!.matrix.map((row) => row.map((a) => evaluate(a, look))),
        dt,
      );
      linearCache.set(p, { dt, value });
      return value;
    },
  };
  const variantOf = (s: PopulationState) => new Set(Object.keys(def.parameters).filter((k) => Object.hasOwn(s.vars, k)));
  const compile = (s: PopulationState, phase: Phase): Step => {
    const perNeuron = variantOf(s);
    const key = `${phase}:${s.inputs}:${[...perNeuron].join(',')}`;
    let fn = compiled.get(key);
    if (!fn) {
      // The source is built from checked syntax trees only: every name in it is a mangled identifier.
      fn = new Function(
        'p',
        's',
        'dt',
        'spikes',
        'H',
        'nGiven',
        jsStepSource(optimize({ def, perNeuron, inputs: s.inputs }), phase),
      ) as Step;
      compiled.set(key, fn);
    }
    return fn;
  };
  const model: GeneratedModel = {
    name: def.name,
    doc: def.description || `user model ${def.name}`,
    integration: `${def.method} (code generated from the equations)`,
    params,
    state,
    voltage: def.voltage ?? undefined,
    definition: def,
    source: (perNeuron) => jsStepSource(optimize({ def, perNeuron })),
    step(p, s, dt, spikes) {
      return compile(s, 'all')(p, s, dt, spikes, helpers, 0);
    },
    stepPhase(phase, p, s, dt, spikes, count) {
      s.frozen ??= new Uint8Array(s.n);
      return compile(s, phase)(p, s, dt, spikes, helpers, count);
    },
  };
  cache.set(def, model);
  return model;
}
