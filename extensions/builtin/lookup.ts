// lookup: a table of (x, y) points, linear interpolation between them; outside the table the end
// values are held (clamp) or the end segments extended (extrapolate).
import { defineExtension } from '../api.js';
import { Type } from '@sinclair/typebox';
import { Elementwise, OptionError, defaultsOf, show, port, stringEnum, withDefault, withDefaults, type OptionsOf } from './util.js';

/** An [x, y] point (kept as the array schema it was, with min/maxItems, rather than TypeBox's tuple form). */
const point = Type.Unsafe<[number, number]>(Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }));

const lookupSchema = Type.Object(
  {
    points: Type.Array(point, {
      minItems: 2,
      description: 'The table: [x, y] pairs (input units, output units), x strictly increasing, at least two. Required.',
    }),
    outside: withDefault(
      stringEnum(['clamp', 'extrapolate'], {
        description: 'Beyond the first or last x: clamp (default) holds the end y; extrapolate extends the end segment.',
      }),
      'clamp',
    ),
  },
  { additionalProperties: false },
);

export type LookupOptions = OptionsOf<typeof lookupSchema>;

export interface Table {
  xs: Float64Array;
  ys: Float64Array;
  extrapolate: boolean;
}

/** Checks a table: two points or more, finite, x strictly increasing (errors name the point's index). */
export function tableOf(options: LookupOptions): Table {
  const o = withDefaults(lookupSchema, options);
  const pts = o.points;
  if (!Array.isArray(pts) || pts.length < 2)
    throw new OptionError('lookup', 'points', `must list at least two [x, y] points, got ${show(pts)}: interpolation needs a segment`);
  const xs = new Float64Array(pts.length);
  const ys = new Float64Array(pts.length);
  pts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new OptionError('lookup', `points[${i}]`, `must be [x, y] with two finite numbers, got ${show(p)}`);
    }
    [xs[i], ys[i]] = p;
    if (i > 0 && !(xs[i] > xs[i - 1])) {
      throw new OptionError(
        'lookup',
        `points[${i}]`,
        `has x = ${xs[i]}, not greater than points[${i - 1}]'s x = ${xs[i - 1]}: x must be strictly increasing (a segment of zero or negative width would divide by zero)`,
      );
    }
  });
  return { xs, ys, extrapolate: o.outside === 'extrapolate' };
}

/** The table's value at x. */
export function interpolate(t: Table, x: number): number {
  const { xs, ys } = t;
  const n = xs.length;
  if (!t.extrapolate) {
    if (x <= xs[0]) return ys[0];
    if (x >= xs[n - 1]) return ys[n - 1];
  }
  // The segment [xs[i], xs[i+1]] holding x (the first or last one outside the table).
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  const f = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + f * (ys[hi] - ys[lo]);
}

export const lookup = defineExtension<LookupOptions>({
  name: 'lookup',
  kind: 'compute',
  doc:
    'Lookup table with linear interpolation between [x, y] points (x strictly increasing). Outside the ' +
    'table: clamp (hold the end values, default) or extrapolate (extend the end segments). Scalar, or ' +
    'element-wise on a vector. Stateless; a missing or non-finite input holds the output.',
  options: lookupSchema,
  defaults: defaultsOf(lookupSchema),
  inputs: { x: { type: 'scalar', doc: 'Value to look up (a vector is looked up element-wise).' } },
  outputs: { y: { type: 'scalar', doc: 'Interpolated table value.', safe: 0 } },
  create(options) {
    let table = tableOf(options);
    const cells = new Elementwise<null>(
      () => null,
      (_s, x) => interpolate(table, x),
    );
    return {
      step(inputs) {
        const y = cells.step(inputs.x, 0);
        return port('y', y);
      },
      reconfigure(o) {
        table = tableOf(o as LookupOptions);
      },
    };
  },
});
