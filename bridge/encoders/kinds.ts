// What encoders and decoders share, and what the bridge document builds its schema from: the plain
// number and the quantity of the document, the checks a value needs beyond the schema (DocChecks,
// implemented by bridge/config.ts), and a registry of kinds (`encoder: { <kind>: options }`), each
// kind declaring its options once as a TypeBox schema. From the registry come the document schema's
// one-of-the-kinds object, the checks of the numbers in it, and the reading into internal units.
import { Type, type SchemaOptions, type Static, type TObject, type TOptional } from '@sinclair/typebox';
import { QUANTITY_PATTERN, type Dimension, type Sign } from '../../engine/units.js';

/** A plain number of the document (ajv's strictNumbers refuses NaN and infinities). */
export const Num = Type.Number();

/** A number in internal units, or a string with a unit (`100 ms`, `20 Hz`); converted by DocChecks.q. */
export const Quantity = (options: SchemaOptions = {}) => Type.Union([Type.Number(), Type.String({ pattern: QUANTITY_PATTERN })], options);

/**
 * The checks of a document's values beyond its schema; each problem is recorded with its path (a
 * list of keys) and the reading goes on with a fallback, so that one run reports every problem.
 */
export interface DocChecks {
  add(path: string[], message: string): void;
  /** A quantity in internal units, or `fallback` when it is not given (or wrong: the problem is added). */
  q(path: string[], v: unknown, dim: Dimension, fallback: number, sign?: Sign): number;
  /** A quantity > 0 within `range` (the fallback, used when it is not given, is in range). */
  within(path: string[], v: unknown, dim: Dimension, fallback: number, range: { min: number; max: number }): number;
  /** A plain number: finite and plausible (and of `sign`). */
  plain<T extends number | undefined>(path: string[], v: T, sign?: Sign): T;
}

/** One kind of encoder or decoder as the document names it: its options and how they are read. */
export interface Kind<O extends TObject, S extends object> {
  /** The options under `<kind>:` in the document. */
  readonly options: O;
  /**
   * Numbers of the options that must have a sign as well as be finite and plausible. Every number
   * and list of numbers the options declare is checked so; only the sign is stated here.
   */
  readonly signs?: { readonly [K in keyof Static<O>]?: Sign };
  /** The options (checked against `options`) in internal units: what the kind's create takes. */
  read(options: Static<O>, ck: DocChecks, at: string[]): S;
}

/**
 * The document's `{ <kind>: options }` object: exactly one of the registry's kinds, each with its own
 * options schema.
 */
export function kindsSchema<R extends Record<string, Kind<TObject, object>>>(
  registry: R,
): TObject<{ [K in keyof R]: TOptional<R[K]['options']> }> {
  const properties: Record<string, TOptional<TObject>> = {};
  for (const [kind, k] of Object.entries(registry)) properties[kind] = Type.Optional(k.options);
  // Object.entries forgets which kind holds which options; the loop pairs each with its own.
  return Type.Object(properties as { [K in keyof R]: TOptional<R[K]['options']> }, {
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  });
}

/**
 * Checks the numbers of one kind's options: plain numbers first, then lists of numbers, then the
 * numbers with a sign (the order the document's problems have always been listed in).
 */
export function checkNumbers<O extends TObject>(ck: DocChecks, at: string[], kind: Kind<O, object>, options: Static<O>): void {
  const values: Record<string, unknown> = options;
  const signs: Partial<Record<string, Sign>> = kind.signs ?? {};
  const props = Object.entries(kind.options.properties);
  const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
  for (const [k, p] of props) if (p.type === 'number' && !signs[k]) ck.plain([...at, k], number(values[k]));
  for (const [k, p] of props) {
    const list = values[k];
    if (p.type === 'array' && Array.isArray(list)) list.forEach((x, i) => ck.plain([...at, k, String(i)], number(x)));
  }
  for (const [k, p] of props) if (p.type === 'number' && signs[k]) ck.plain([...at, k], number(values[k]), signs[k]);
}

/** The kinds a registry holds (a type guard: a document key is one of them). */
/** A kind's options, its numbers checked, read into internal units and tagged with the kind's name. */
export function readKind<N extends string, O extends TObject, S extends object>(
  ck: DocChecks,
  at: string[],
  name: N,
  kind: Kind<O, S>,
  options: Static<O>,
): { kind: N } & S {
  checkNumbers(ck, at, kind, options);
  return { kind: name, ...kind.read(options, ck, at) };
}

export const isKindOf =
  <R extends object>(registry: R) =>
  (name: string): name is Extract<keyof R, string> =>
    Object.hasOwn(registry, name);
