// Encoders: a sensor value (a number, or a vector such as laser ranges) becomes the value of a circuit
// input for the next engine steps. Each is a small object with state (the event trigger remembers the
// last value). Values are assumed finite: the stream layer drops and counts NaN before encoding.
// Vectors are resampled to the population size (mean over each neuron's share of the elements).
//
// Every encoder is one module in encoders/ (its options schema, how they are read, its factory),
// registered once in ENCODERS below: the document schema's `encoder` object, EncoderSpec, the checks
// of a binding's encoder and createEncoder all come from this table (as TensorFlow.js registers one
// kernel per op).
import type { Static, TObject } from '@sinclair/typebox';
import { isKindOf, kindsSchema, readKind, type DocChecks } from './encoders/kinds.js';
import type { Encoder, EncoderKernel } from './encoders/encoder.js';
import { rate } from './encoders/rate.js';
import { current } from './encoders/current.js';
import { population } from './encoders/population.js';
import { threshold } from './encoders/threshold.js';

export { mapRange, resample, type Encoder } from './encoders/encoder.js';

const KERNELS = { rate, current, population, threshold };

type Kernels = typeof KERNELS;
export type EncoderKind = keyof Kernels;
type SpecOf<K extends EncoderKind> = Kernels[K] extends EncoderKernel<TObject, infer S extends object> ? S : never;
type OptionsOf<K extends EncoderKind> = Static<Kernels[K]['options']>;

/** The registry, typed so that a kind's read spec is what its create takes. */
const ENCODERS: { [K in EncoderKind]: EncoderKernel<Kernels[K]['options'], SpecOf<K>> } = KERNELS;

/** An encoder as the bridge runs it: its kind and its options in internal units. */
export type EncoderSpec<K extends EncoderKind = EncoderKind> = { [P in K]: { kind: P } & SpecOf<P> }[K];

/** The document's `encoder: { <kind>: options }`. */
export const ENCODER_SCHEMA = kindsSchema(KERNELS);
export type EncoderDoc = Static<typeof ENCODER_SCHEMA>;

const isEncoderKind = isKindOf(ENCODERS);

export function createEncoder<K extends EncoderKind>(spec: EncoderSpec<K>): Encoder {
  return ENCODERS[spec.kind].create(spec);
}

/** The encoder a binding names (schema-checked), its numbers checked and its quantities in internal units. */
export function readEncoder(ck: DocChecks, at: string[], doc: EncoderDoc | undefined): EncoderSpec | undefined {
  const kind = Object.keys(doc ?? {}).find(isEncoderKind);
  const options = kind && doc?.[kind];
  return kind && options ? readAs(ck, [...at, 'encoder', kind], kind, options) : undefined;
}

function readAs<K extends EncoderKind>(ck: DocChecks, at: string[], kind: K, options: OptionsOf<K>): EncoderSpec<K> {
  return readKind(ck, at, kind, ENCODERS[kind], options);
}
