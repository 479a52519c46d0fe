// Decoders: the spikes of an output population become one number per publish (or a vector).
// They see which neurons spiked in every engine step and keep filtered state.
//
// Every decoder is one module in decoders/ (its options schema, how they are read, its factory),
// registered once in DECODERS below: the document schema's `decoder` object, DecoderSpec, the checks
// of a term's decoder and createDecoder all come from this table.
import type { Static, TObject } from '@sinclair/typebox';
import { isKindOf, kindsSchema, readKind, type DocChecks } from './encoders/kinds.js';
import type { Decoder, DecoderKernel } from './decoders/decoder.js';
import { rate } from './decoders/rate.js';
import { populationVector } from './decoders/population-vector.js';
import { winnerTakeAll } from './decoders/winner-take-all.js';
import { count } from './decoders/count.js';

export type { Decoder } from './decoders/decoder.js';
export { COUNT_WINDOW_MS } from './decoders/count.js';

const KERNELS = { rate, population_vector: populationVector, winner_take_all: winnerTakeAll, count };

type Kernels = typeof KERNELS;
export type DecoderKind = keyof Kernels;
type SpecOf<K extends DecoderKind> = Kernels[K] extends DecoderKernel<TObject, infer S extends object> ? S : never;
type OptionsOf<K extends DecoderKind> = Static<Kernels[K]['options']>;

/** The registry, typed so that a kind's read spec is what its create takes. */
const DECODERS: { [K in DecoderKind]: DecoderKernel<Kernels[K]['options'], SpecOf<K>> } = KERNELS;

/** A decoder as the bridge runs it: its kind and its options in internal units. */
export type DecoderSpec<K extends DecoderKind = DecoderKind> = { [P in K]: { kind: P } & SpecOf<P> }[K];

/** The document's `decoder: { <kind>: options }`. */
export const DECODER_SCHEMA = kindsSchema(KERNELS);
export type DecoderDoc = Static<typeof DECODER_SCHEMA>;

const isDecoderKind = isKindOf(DECODERS);

export function createDecoder<K extends DecoderKind>(spec: DecoderSpec<K>, size: number): Decoder {
  return DECODERS[spec.kind].create(spec, size);
}

/** The decoder a term names (schema-checked: exactly one kind), its numbers checked, its quantities in internal units. */
export function readDecoder(ck: DocChecks, at: string[], doc: DecoderDoc): DecoderSpec {
  const kind = Object.keys(doc).find(isDecoderKind);
  const options = kind && doc[kind];
  if (!kind || !options) throw new Error(`a decoder names one of ${Object.keys(DECODERS).join(', ')}`);
  return readAs(ck, [...at, 'decoder', kind], kind, options);
}

function readAs<K extends DecoderKind>(ck: DocChecks, at: string[], kind: K, options: OptionsOf<K>): DecoderSpec<K> {
  return readKind(ck, at, kind, DECODERS[kind], options);
}
