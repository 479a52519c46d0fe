// The checker's state: the flat circuit it reads, the problems found so far, and the shared rules for
// reading a quantity or a distribution and reporting a problem where it was written.
import { checkQuantity, type Dimension, type Sign } from '../units.js';
import type { CircuitIssue } from './errors.js';
import { locateIn, followPorts, type FlatCircuit, type Section } from './flat.js';
import type { Distribution } from './circuit.js';
import type { DistributionDoc, ValueDoc, Quantity } from './document.js';
import { isPlainObject } from './merge.js';

/** Reads one value of a document into internal units, or says what is wrong with it. */
export type Converter = (v: unknown) => number | string;

export class Checker {
  readonly issues: CircuitIssue[] = [];
  constructor(private readonly flat: FlatCircuit) {}

  /**
   * Records a problem where it was written. `lineWithin` is a line inside a multi-line text value (an
   * equations block): in YAML, where such text is a block starting on the line after its key, the
   * issue then points at that very line.
   */
  report(section: Section, name: string, sub: string, message: string, lineWithin?: number): void {
    const origin = this.flat.origins.get(`${section}:${name}`);
    if (!origin) {
      this.issues.push({ file: this.flat.rootFile, path: `/${section}/${name}${sub}`, message });
      return;
    }
    const at = locateIn(origin.layers, origin.local + sub);
    if (lineWithin !== undefined && at.line !== undefined && !/\.json$/i.test(at.file)) at.line += lineWithin;
    this.issues.push({ ...at, message });
  }

  /** A quantity in internal units, checked by the shared rule (units.ts QUANTITY_LIMITS). */
  quantity(
    section: Section,
    name: string,
    sub: string,
    v: Quantity | undefined,
    dim: Dimension | Converter,
    fallback: number,
    sign: Sign = 'any',
  ): number {
    if (v === undefined) return fallback;
    const r = typeof dim === 'function' ? dim(v) : checkQuantity(v, dim, sign);
    if (typeof r === 'string') {
      this.report(section, name, sub, r);
      return fallback;
    }
    return r;
  }

  /** A plain number of the document (a gain, a sensitivity, an amplitude): finite and plausible. */
  number(section: Section, name: string, sub: string, v: number | undefined, fallback: number, sign: Sign = 'any'): number {
    return this.quantity(section, name, sub, v, 'dimensionless', fallback, sign);
  }

  distribution(
    section: Section,
    name: string,
    sub: string,
    v: ValueDoc | undefined,
    dim: Dimension | Converter,
    fallback: number,
  ): Distribution {
    if (v === undefined) return { kind: 'constant', value: fallback };
    if (!isPlainObject(v)) return { kind: 'constant', value: this.quantity(section, name, sub, v as Quantity, dim, fallback) };
    const d = v as DistributionDoc;
    const kinds = (['constant', 'uniform', 'normal', 'lognormal'] as const).filter((k) => d[k] !== undefined);
    if (kinds.length !== 1) {
      this.report(
        section,
        name,
        sub,
        `expected exactly one of constant, uniform, normal, lognormal (got ${kinds.length ? kinds.join(', ') : 'none'})`,
      );
      return { kind: 'constant', value: fallback };
    }
    const q = (key: string, x: Quantity) => this.quantity(section, name, `${sub}/${key}`, x, dim, fallback);
    let clip: [number, number] | undefined;
    if (d.clip) {
      clip = [q('clip/0', d.clip[0]), q('clip/1', d.clip[1])];
      if (clip[0] > clip[1]) this.report(section, name, `${sub}/clip`, `clip bounds are reversed: ${clip[0]} > ${clip[1]}`);
    }
    switch (kinds[0]) {
      case 'constant':
        return { kind: 'constant', value: q('constant', d.constant!), clip };
      case 'uniform': {
        const low = q('uniform/low', d.uniform!.low);
        const high = q('uniform/high', d.uniform!.high);
        if (low > high) this.report(section, name, `${sub}/uniform`, `low (${low}) must not exceed high (${high})`);
        return { kind: 'uniform', low, high, clip };
      }
      case 'normal': {
        const sd = q('normal/sd', d.normal!.sd);
        if (sd < 0) this.report(section, name, `${sub}/normal/sd`, 'standard deviation must be >= 0');
        return { kind: 'normal', mean: q('normal/mean', d.normal!.mean), sd, clip };
      }
      case 'lognormal': {
        const mean = q('lognormal/mean', d.lognormal!.mean);
        const sd = q('lognormal/sd', d.lognormal!.sd);
        if (!(mean > 0) || sd < 0) {
          this.report(section, name, `${sub}/lognormal`, 'lognormal needs mean > 0 and sd >= 0');
          return { kind: 'constant', value: fallback };
        }
        // Parameters of the underlying normal from the mean and sd of the values themselves.
        const sigma2 = Math.log(1 + (sd * sd) / (mean * mean));
        // sd / mean beyond ~1e150 overflows: the draws would be 0 or Infinity.
        if (!Number.isFinite(sigma2) || !Number.isFinite(Math.log(mean) - sigma2 / 2)) {
          this.report(section, name, `${sub}/lognormal`, `sd (${sd}) is too large for the mean (${mean}): the values would overflow`);
          return { kind: 'constant', value: fallback };
        }
        return { kind: 'lognormal', mu: Math.log(mean) - sigma2 / 2, sigma: Math.sqrt(sigma2), clip };
      }
    }
  }

  /** A reference to an element the schema already rejected: not reported a second time. */
  broken(ref: string): boolean {
    return this.flat.broken.has(ref) || this.flat.broken.has(this.resolvePop(ref));
  }

  resolvePop(ref: string): string {
    return followPorts(this.flat.aliases, ref);
  }
}
