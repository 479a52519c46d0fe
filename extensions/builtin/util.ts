// Helpers shared by the built-in nodes: options declared once (a TypeBox schema is the JSON Schema ajv
// validates and, through Static, the TypeScript type), option checks that name the option, defaults
// read from the schema, and element-wise application of a per-sample function to scalar or vector
// port values.
import { Type, type SchemaOptions, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import type { PortValue } from '../api.js';

/**
 * An optional option with a default: ajv's useDefaults fills it in before create, `defaultsOf` reads
 * it, and OptionsOf makes it present in the type create gets. The default is stated only here.
 */
export function withDefault<T extends TSchema>(schema: T, value: Static<T>) {
  return Type.Optional(Object.assign(schema, { default: value }));
}

/** One of a list of strings, as a plain `enum` (ajv's message stays "must be equal to one of the allowed values"). */
export function stringEnum<const V extends readonly string[]>(values: V, options: SchemaOptions = {}) {
  return Type.Unsafe<V[number]>({ enum: [...values], ...options });
}

type DefaultedKeys<P extends TProperties> = { [K in keyof P]: P[K] extends { default: unknown } ? K : never }[keyof P];

/** The options create gets (validated, defaults filled in): the schema's type with every defaulted option present. */
export type OptionsOf<T extends TObject> = Static<T> & { [K in DefaultedKeys<T['properties']>]-?: Static<T['properties'][K]> };

/** An option that would make a node compute NaN (or nonsense): the error names the node type and the option. */
export class OptionError extends Error {
  constructor(
    readonly type: string,
    readonly option: string,
    message: string,
  ) {
    super(`${type}: option "${option}" ${message}`);
    this.name = 'OptionError';
  }
}

/** `v` as a finite number, or an OptionError saying why a non-finite one is refused. */
export function finite(type: string, option: string, v: unknown, why: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(type, option, `must be a finite number, got ${show(v)}: ${why}`);
  return v;
}

/** `v` as a finite number > 0. */
export function positive(type: string, option: string, v: unknown, why: string): number {
  const x = finite(type, option, v, why);
  if (!(x > 0)) throw new OptionError(type, option, `must be > 0, got ${x}: ${why}`);
  return x;
}

/** `v` as a finite number >= 0. */
export function nonNegative(type: string, option: string, v: unknown, why: string): number {
  const x = finite(type, option, v, why);
  if (!(x >= 0)) throw new OptionError(type, option, `must be >= 0, got ${x}: ${why}`);
  return x;
}

/** An optional finite number (undefined stays undefined). */
export function optionalFinite(type: string, option: string, v: unknown, why: string): number | undefined {
  return v === undefined || v === null ? undefined : finite(type, option, v, why);
}

/** Optional lower and upper bounds (`min` <= `max` when both are given). */
export function bounds(type: string, min: unknown, max: unknown, names: [string, string] = ['min', 'max']): { lo: number; hi: number } {
  const lo = optionalFinite(type, names[0], min, 'it bounds the output') ?? -Infinity;
  const hi = optionalFinite(type, names[1], max, 'it bounds the output') ?? Infinity;
  if (lo > hi) throw new OptionError(type, names[0], `(${lo}) must not exceed "${names[1]}" (${hi}): no output would satisfy both`);
  return { lo, hi };
}

export function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** The `default` of each top-level property of an object schema (what ajv's useDefaults fills in). */
export function defaultsOf<T extends TObject>(schema: T): Partial<OptionsOf<T>> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema.properties)) if (p.default !== undefined) out[k] = p.default;
  return out as Partial<OptionsOf<T>>;
}

/**
 * `options` with the schema's defaults under them, for create and reconfigure called without
 * validation (a test, a JS caller): the fallbacks are the schema's, never restated in code.
 */
export function withDefaults<T extends TObject>(schema: T, options: OptionsOf<T>): OptionsOf<T> {
  // An option given as undefined is an option not given (as ajv's useDefaults treats it).
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...defaultsOf(schema), ...given } as OptionsOf<T>;
}

/**
 * Element-wise application of a stateful per-sample function: a scalar value (or a one-element
 * array, as the API's `scalar` reads it) goes through one state; a vector through one state per
 * element (recreated when the vector's length changes). A non-finite sample is "no value": the
 * scalar output is left out (undefined: the port keeps its last value), a vector element repeats
 * its last output (NaN before its first).
 */
export class Elementwise<S> {
  private one: S | undefined;
  private many: S[] = [];
  private last: number[] = [];

  constructor(
    private readonly init: (x: number) => S,
    private readonly f: (s: S, x: number, dtMs: number) => number,
  ) {}

  step(v: PortValue | undefined, dtMs: number): PortValue | undefined {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return undefined;
      this.one ??= this.init(v);
      return this.f(this.one, v, dtMs);
    }
    if (!Array.isArray(v)) return undefined;
    if (this.many.length !== v.length) {
      this.many = new Array<S>(v.length);
      this.last = new Array<number>(v.length).fill(NaN);
    }
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'number' && Number.isFinite(x)) {
        this.many[i] ??= this.init(x);
        this.last[i] = this.f(this.many[i], x, dtMs);
      }
      out[i] = this.last[i];
    }
    return out;
  }

  /** Every live state (for reconfiguration that adjusts state in place). */
  states(): S[] {
    const all = this.many.filter((s) => s !== undefined);
    return this.one === undefined ? all : [this.one, ...all];
  }

  reset(): void {
    this.one = undefined;
    this.many = [];
    this.last = [];
  }
}

/** One output port's value, or nothing (the port keeps its last value) when `v` is undefined. */
export const port = (name: string, v: PortValue | undefined): Record<string, PortValue> => (v === undefined ? {} : { [name]: v });

/** A time step in ms as a usable number: negative or non-finite steps count as 0. */
export const dtOf = (dtMs: number) => (Number.isFinite(dtMs) && dtMs > 0 ? dtMs : 0);

/** alpha = 1 - exp(-2π fc dt): the exact discretisation of dy/dt = 2π fc (x - y) with x held over dt (fc in Hz, dt in ms). */
export const lowpassAlpha = (cutoffHz: number, dtMs: number) => 1 - Math.exp((-2 * Math.PI * cutoffHz * dtOf(dtMs)) / 1000);
