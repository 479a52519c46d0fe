// Statistics of the connectivity generators, weight and delay distributions, and determinism of
// wiring. Circuits are written inline (YAML text given to loadCircuit) and compiled with compile().
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadCircuit } from '../engine/engine.js';
import { compile, type CompiledProjection, type Network } from '../engine/compile/compiler.js';
import { connect } from '../engine/compile/connectivity.js';
import { MAX_PROJECTION_SYNAPSES } from '../engine/circuit/limits.js';
import { fill } from '../engine/compile/distributions.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { Rng } from '../engine/rng.js';
import type { Circuit, PopulationSpec } from '../engine/circuit/circuit.js';

const FILE = join(tmpdir(), 'flux-connectivity-test', 'circuit.yaml');

function circuitOf(yaml: string): Circuit {
  return loadCircuit(FILE, yaml).circuit;
}

/** The checker's issues for a circuit it must refuse. */
function refusal(yaml: string): CircuitError['issues'] {
  let err: unknown;
  try {
    circuitOf(yaml);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CircuitError);
  return (err as CircuitError).issues;
}

function net(yaml: string, options: { seed?: number; dt?: number } = {}): Network {
  return compile(circuitOf(yaml), options);
}

function proj(n: Network, name: string): CompiledProjection {
  const p = n.projections.find((x) => x.spec.name === name);
  if (!p) throw new Error(`no projection ${name}`);
  return p;
}

/** All (source, target) pairs of a projection in CSR order. */
function pairs(p: CompiledProjection): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < p.rowPtr.length; i++) for (let k = p.rowPtr[i]; k < p.rowPtr[i + 1]; k++) out.push([i, p.targets[k]]);
  return out;
}

function inDegrees(p: CompiledProjection, nTarget: number): number[] {
  const d = new Array<number>(nTarget).fill(0);
  for (const t of p.targets) d[t]++;
  return d;
}

function outDegrees(p: CompiledProjection): number[] {
  const d: number[] = [];
  for (let i = 0; i + 1 < p.rowPtr.length; i++) d.push(p.rowPtr[i + 1] - p.rowPtr[i]);
  return d;
}

function meanSd(xs: ArrayLike<number>): { mean: number; sd: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, sd: Math.sqrt(v / (xs.length - 1)) };
}

const SYN_CUR = '{ type: current, receptor: excitatory }';

/** A circuit with populations a (size na) and b (size nb) and one projection p. */
function twoPops(opts: {
  na: number;
  nb: number;
  conn: string;
  weight?: string;
  delay?: string;
  gridA?: string;
  gridB?: string;
  self?: boolean;
  extra?: string;
  seed?: number;
  dt?: string;
}): string {
  const tgt = opts.self ? 'a' : 'b';
  return [
    `seed: ${opts.seed ?? 7}`,
    opts.dt ? `dt: ${opts.dt}` : '',
    'populations:',
    `  a: { model: lif, size: ${opts.na}${opts.gridA ? `, grid: ${opts.gridA}` : ''} }`,
    `  b: { model: lif, size: ${opts.nb}${opts.gridB ? `, grid: ${opts.gridB}` : ''} }`,
    'projections:',
    `  p: { source: a, target: ${tgt}, connectivity: ${opts.conn}, weight: ${opts.weight ?? '1'}${opts.delay ? `, delay: ${opts.delay}` : ''}, synapse: ${SYN_CUR} }`,
    opts.extra ?? '',
  ].join('\n');
}

function expectCsrWellFormed(p: CompiledProjection, nSrc: number, nTgt: number): void {
  expect(p.rowPtr.length).toBe(nSrc + 1);
  expect(p.rowPtr[0]).toBe(0);
  expect(p.rowPtr[nSrc]).toBe(p.targets.length);
  expect(p.weights.length).toBe(p.targets.length);
  // Counted rather than asserted per synapse, to stay fast on large projections.
  let bad = 0;
  for (let i = 0; i < nSrc; i++) {
    if (p.rowPtr[i + 1] < p.rowPtr[i]) bad++;
    for (let k = p.rowPtr[i]; k < p.rowPtr[i + 1]; k++) {
      if (p.targets[k] >= nTgt) bad++;
      if (k > p.rowPtr[i] && p.targets[k] < p.targets[k - 1]) bad++;
    }
  }
  expect(bad).toBe(0);
}

/** Number of rows with a repeated target (targets are ascending within a row). */
function repeatedPairs(p: CompiledProjection): number {
  let n = 0;
  for (let i = 0; i + 1 < p.rowPtr.length; i++)
    for (let k = p.rowPtr[i] + 1; k < p.rowPtr[i + 1]; k++) if (p.targets[k] === p.targets[k - 1]) n++;
  return n;
}

describe('one_to_one', () => {
  it('connects neuron i to neuron i and nothing else', () => {
    const n = net(twoPops({ na: 37, nb: 37, conn: '{ type: one_to_one }' }));
    const p = proj(n, 'p');
    expectCsrWellFormed(p, 37, 37);
    expect(Array.from(p.rowPtr)).toEqual(Array.from({ length: 38 }, (_, i) => i));
    expect(Array.from(p.targets)).toEqual(Array.from({ length: 37 }, (_, i) => i));
  });

  it('on the same population it is the identity (autapses by definition)', () => {
    const p = proj(net(twoPops({ na: 9, nb: 1, conn: '{ type: one_to_one }', self: true })), 'p');
    expect(pairs(p)).toEqual(Array.from({ length: 9 }, (_, i) => [i, i]));
  });
});

describe('all_to_all', () => {
  it('makes n*m synapses between different populations', () => {
    const p = proj(net(twoPops({ na: 13, nb: 17, conn: '{ type: all_to_all }' })), 'p');
    expectCsrWellFormed(p, 13, 17);
    expect(p.targets.length).toBe(13 * 17);
    for (const d of outDegrees(p)) expect(d).toBe(17);
    for (let i = 0; i < 13; i++)
      expect(Array.from(p.targets.subarray(p.rowPtr[i], p.rowPtr[i + 1]))).toEqual(Array.from({ length: 17 }, (_, j) => j));
  });

  it('excludes autapses on the same population by default', () => {
    const p = proj(net(twoPops({ na: 11, nb: 1, conn: '{ type: all_to_all }', self: true })), 'p');
    expect(p.targets.length).toBe(11 * 10);
    for (const [i, j] of pairs(p)) expect(i).not.toBe(j);
    for (const d of outDegrees(p)) expect(d).toBe(10);
  });

  it('keeps autapses when autapses: true', () => {
    const p = proj(net(twoPops({ na: 11, nb: 1, conn: '{ type: all_to_all, autapses: true }', self: true })), 'p');
    expect(p.targets.length).toBe(121);
    expect(pairs(p).filter(([i, j]) => i === j).length).toBe(11);
  });

  it('autapses: false has no effect between different populations', () => {
    const p = proj(net(twoPops({ na: 6, nb: 6, conn: '{ type: all_to_all, autapses: false }' })), 'p');
    expect(p.targets.length).toBe(36);
  });
});

describe('fixed_probability', () => {
  it('N=2000, p=0.05 on one population: count within 4 sigma of the binomial expectation, no autapses', () => {
    const N = 2000;
    const p = 0.05;
    const c = proj(net(twoPops({ na: N, nb: 1, conn: `{ type: fixed_probability, p: ${p} }`, self: true })), 'p');
    expectCsrWellFormed(c, N, N);
    const trials = N * (N - 1);
    const expected = trials * p;
    const sigma = Math.sqrt(trials * p * (1 - p));
    expect(Math.abs(c.targets.length - expected)).toBeLessThan(4 * sigma);
    let autapses = 0;
    for (const [i, j] of pairs(c)) if (i === j) autapses++;
    expect(autapses).toBe(0);
    expect(repeatedPairs(c)).toBe(0);
  });

  it('N=2000 between two populations: count within 4 sigma; per-row degrees are binomial', () => {
    const N = 2000;
    const p = 0.05;
    const c = proj(net(twoPops({ na: N, nb: N, conn: `{ type: fixed_probability, p: ${p} }` })), 'p');
    const trials = N * N;
    expect(Math.abs(c.targets.length - trials * p)).toBeLessThan(4 * Math.sqrt(trials * p * (1 - p)));
    const deg = meanSd(outDegrees(c));
    const sdExpected = Math.sqrt(N * p * (1 - p));
    expect(deg.sd).toBeGreaterThan(0.85 * sdExpected);
    expect(deg.sd).toBeLessThan(1.15 * sdExpected);
    // Targets are spread over the whole range, not bunched at the start of each row.
    const inDeg = inDegrees(c, N);
    const firstHalf = inDeg.slice(0, N / 2).reduce((a, b) => a + b, 0);
    expect(Math.abs(firstHalf / c.targets.length - 0.5)).toBeLessThan(0.01);
  });

  it('autapses: true keeps about p*N self-connections', () => {
    const N = 2000;
    const c = proj(net(twoPops({ na: N, nb: 1, conn: '{ type: fixed_probability, p: 0.05, autapses: true }', self: true })), 'p');
    const self = pairs(c).filter(([i, j]) => i === j).length;
    const sigma = Math.sqrt(N * 0.05 * 0.95);
    expect(Math.abs(self - N * 0.05)).toBeLessThan(4 * sigma);
  });

  it('p = 0 makes no synapse and p = 1 makes all of them (minus autapses)', () => {
    expect(proj(net(twoPops({ na: 20, nb: 30, conn: '{ type: fixed_probability, p: 0 }' })), 'p').targets.length).toBe(0);
    expect(proj(net(twoPops({ na: 20, nb: 30, conn: '{ type: fixed_probability, p: 1 }' })), 'p').targets.length).toBe(600);
    expect(proj(net(twoPops({ na: 20, nb: 1, conn: '{ type: fixed_probability, p: 1 }', self: true })), 'p').targets.length).toBe(380);
  });
});

describe('fixed_indegree', () => {
  it('every target has exactly n distinct sources', () => {
    const n = 25;
    const c = proj(net(twoPops({ na: 60, nb: 200, conn: `{ type: fixed_indegree, n: ${n} }` })), 'p');
    expectCsrWellFormed(c, 60, 200);
    expect(c.targets.length).toBe(200 * n);
    const sources = Array.from({ length: 200 }, () => [] as number[]);
    for (const [i, j] of pairs(c)) sources[j].push(i);
    for (const s of sources) {
      expect(s.length).toBe(n);
      expect(new Set(s).size).toBe(n);
    }
  });

  it('sources are drawn uniformly (every source used about equally often)', () => {
    const c = proj(net(twoPops({ na: 50, nb: 2000, conn: '{ type: fixed_indegree, n: 10 }' })), 'p');
    const out = outDegrees(c);
    // Each source is chosen by each target with probability 10/50: mean 400, sd sqrt(2000*0.2*0.8) ~ 17.9.
    for (const d of out) expect(Math.abs(d - 400)).toBeLessThan(5 * 17.9);
  });

  it('no autapses on the same population, even when n is all other neurons', () => {
    const N = 30;
    const c = proj(net(twoPops({ na: N, nb: 1, conn: `{ type: fixed_indegree, n: ${N - 1} }`, self: true })), 'p');
    expect(c.targets.length).toBe(N * (N - 1));
    for (const [i, j] of pairs(c)) expect(i).not.toBe(j);
  });

  it('with multapses repeated pairs are allowed and n may exceed the source count', () => {
    const c = proj(net(twoPops({ na: 5, nb: 40, conn: '{ type: fixed_indegree, n: 12, multapses: true }' })), 'p');
    const sources = Array.from({ length: 40 }, () => [] as number[]);
    for (const [i, j] of pairs(c)) sources[j].push(i);
    for (const s of sources) {
      expect(s.length).toBe(12);
      expect(new Set(s).size).toBeLessThan(12);
    }
  });

  it('is an error when n exceeds the available distinct sources', () => {
    const issues = refusal(twoPops({ na: 10, nb: 1, conn: '{ type: fixed_indegree, n: 10 }', self: true }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('/projections/p/connectivity/n');
    expect(issues[0].message).toMatch(/only 9 available/);
    // Between two populations the limit is the source size.
    expect(() => circuitOf(twoPops({ na: 10, nb: 3, conn: '{ type: fixed_indegree, n: 11 }' }))).toThrow(CircuitError);
    expect(() => circuitOf(twoPops({ na: 10, nb: 3, conn: '{ type: fixed_indegree, n: 10 }' }))).not.toThrow();
  });
});

describe('fixed_total_number', () => {
  it('makes exactly n synapses, each pair equally likely: in- and out-degrees binomial (NEST fixed_total_number)', () => {
    // 300 targets: three blocks of columns, so the split between blocks and within them is covered.
    const [na, nb, n] = [400, 300, 30000];
    const c = proj(net(twoPops({ na, nb, conn: `{ type: fixed_total_number, n: ${n}, multapses: true }` })), 'p');
    expectCsrWellFormed(c, na, nb);
    expect(c.targets.length).toBe(n);
    // Binomial(n, 1/nb) in-degrees: mean 100, variance 100 * (1 - 1/300). A fixed in-degree would have variance 0.
    const inStats = meanSd(inDegrees(c, nb));
    expect(inStats.mean).toBe(n / nb);
    const inVar = (n / nb) * (1 - 1 / nb);
    expect(Math.abs(inStats.sd ** 2 / inVar - 1)).toBeLessThan(5 * Math.sqrt(2 / nb));
    const outStats = meanSd(outDegrees(c));
    const outVar = (n / na) * (1 - 1 / na);
    expect(Math.abs(outStats.sd ** 2 / outVar - 1)).toBeLessThan(5 * Math.sqrt(2 / na));
    // Repeated pairs happen at the multinomial's rate: n^2 / (2 * pairs) expected, about 3750.
    const repeats = repeatedPairs(c);
    expect(repeats).toBeGreaterThan(3000);
    expect(repeats).toBeLessThan(4500);
  });

  it('without multapses every pair is distinct, and can take every pair there is', () => {
    const some = proj(net(twoPops({ na: 50, nb: 200, conn: '{ type: fixed_total_number, n: 6000 }' })), 'p');
    expect(some.targets.length).toBe(6000);
    expect(repeatedPairs(some)).toBe(0);
    const all = proj(net(twoPops({ na: 20, nb: 150, conn: '{ type: fixed_total_number, n: 3000 }' })), 'p');
    expect(all.targets.length).toBe(3000);
    expect(repeatedPairs(all)).toBe(0);
    expect(outDegrees(all).every((d) => d === 150)).toBe(true);
  });

  it('no autapses on the same population unless asked', () => {
    const N = 200;
    const without = proj(net(twoPops({ na: N, nb: 1, conn: '{ type: fixed_total_number, n: 20000, multapses: true }', self: true })), 'p');
    expect(without.targets.length).toBe(20000);
    expect(pairs(without).filter(([i, j]) => i === j)).toHaveLength(0);
    const withSelf = proj(
      net(twoPops({ na: N, nb: 1, conn: '{ type: fixed_total_number, n: 20000, multapses: true, autapses: true }', self: true })),
      'p',
    );
    // 20000 synapses over 200 x 200 pairs: 100 on the diagonal expected (sd 10).
    const diagonal = pairs(withSelf).filter(([i, j]) => i === j).length;
    expect(Math.abs(diagonal - 100)).toBeLessThan(50);
  });

  it('more distinct synapses than pairs, or synapses with no pair, is refused with the path', () => {
    const issues = refusal(twoPops({ na: 10, nb: 1, conn: '{ type: fixed_total_number, n: 91 }', self: true }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('/projections/p/connectivity/n');
    expect(issues[0].message).toMatch(/only 90 source-target pairs/);
    expect(() => circuitOf(twoPops({ na: 10, nb: 1, conn: '{ type: fixed_total_number, n: 90 }', self: true }))).not.toThrow();
    expect(() => circuitOf(twoPops({ na: 1, nb: 1, conn: '{ type: fixed_total_number, n: 5, multapses: true }', self: true }))).toThrow(
      /only 0 source-target pairs exist \(the only neuron is the neuron itself/,
    );
    // The generator refuses the same on its own (a caller that skips the checker).
    expect(() =>
      connect({ type: 'fixed_total_number', n: 91, autapses: false, multapses: false }, { name: 'a', size: 10 }, { name: 'a', size: 10 }),
    ).toThrow(/only 90 source-target pairs exist/);
  });
});

describe('fixed_outdegree', () => {
  it('every source has exactly n distinct targets', () => {
    const c = proj(net(twoPops({ na: 150, nb: 40, conn: '{ type: fixed_outdegree, n: 15 }' })), 'p');
    expectCsrWellFormed(c, 150, 40);
    for (let i = 0; i < 150; i++) {
      const row = Array.from(c.targets.subarray(c.rowPtr[i], c.rowPtr[i + 1]));
      expect(row.length).toBe(15);
      expect(new Set(row).size).toBe(15);
    }
    const inDeg = inDegrees(c, 40);
    // each target picked with probability 15/40 by 150 sources: mean 56.25, sd ~5.9
    for (const d of inDeg) expect(Math.abs(d - 56.25)).toBeLessThan(5 * 5.93);
  });

  it('no autapses on the same population; multapses allow repeats', () => {
    const c = proj(net(twoPops({ na: 20, nb: 1, conn: '{ type: fixed_outdegree, n: 19 }', self: true })), 'p');
    for (const [i, j] of pairs(c)) expect(i).not.toBe(j);
    expect(c.targets.length).toBe(20 * 19);
    const m = proj(net(twoPops({ na: 20, nb: 4, conn: '{ type: fixed_outdegree, n: 9, multapses: true }' })), 'p');
    for (const d of outDegrees(m)) expect(d).toBe(9);
    expect(() => circuitOf(twoPops({ na: 20, nb: 4, conn: '{ type: fixed_outdegree, n: 5 }' }))).toThrow(CircuitError);
  });
});

describe('gaussian', () => {
  /** Connection probability per (rounded) distance, with trial counts. */
  function byDistance(
    p: CompiledProjection,
    nSrc: number,
    nTgt: number,
    dist: (i: number, j: number) => number,
    include: (i: number) => boolean,
    candidates: (i: number) => number[],
  ) {
    const made = new Map<number, number>();
    const tried = new Map<number, number>();
    const connected = new Set<number>();
    for (const [i, j] of pairs(p)) connected.add(i * nTgt + j);
    for (let i = 0; i < nSrc; i++) {
      if (!include(i)) continue;
      for (const j of candidates(i)) {
        const d = dist(i, j);
        tried.set(d, (tried.get(d) ?? 0) + 1);
        if (connected.has(i * nTgt + j)) made.set(d, (made.get(d) ?? 0) + 1);
      }
    }
    return { made, tried, prob: (d: number) => (made.get(d) ?? 0) / tried.get(d)! };
  }

  const within = (observed: number, expected: number, trials: number) => {
    const se = Math.sqrt((expected * (1 - expected)) / trials);
    expect(Math.abs(observed - expected)).toBeLessThan(5 * se + 1e-9);
  };

  it('1-D: probability p_max at distance 0, p_max*exp(-2) at 2 sigma, nothing beyond cutoff*sigma', () => {
    const N = 3000;
    const sigma = 4;
    const pMax = 0.6;
    const c = proj(
      net(
        twoPops({ na: N, nb: N, gridA: `[${N}]`, gridB: `[${N}]`, conn: `{ type: gaussian, sigma: ${sigma}, p_max: ${pMax}, cutoff: 3 }` }),
      ),
      'p',
    );
    expectCsrWellFormed(c, N, N);
    expect(pairs(c).filter(([i, j]) => Math.abs(i - j) > 3 * sigma)).toEqual([]);
    const margin = 3 * sigma + 2;
    const window = (i: number) => Array.from({ length: 2 * margin + 1 }, (_, k) => i - margin + k);
    const s = byDistance(
      c,
      N,
      N,
      (i, j) => Math.abs(i - j),
      (i) => i >= margin && i < N - margin,
      window,
    );
    within(s.prob(0), pMax, s.tried.get(0)!);
    within(s.prob(2 * sigma), pMax * Math.exp(-2), s.tried.get(2 * sigma)!);
    within(s.prob(sigma), pMax * Math.exp(-0.5), s.tried.get(sigma)!);
    expect(s.prob(2 * sigma)).toBeLessThan(s.prob(sigma));
    expect(s.prob(sigma)).toBeLessThan(s.prob(0));
    expect(s.made.get(3 * sigma + 1) ?? 0).toBe(0);
  });

  it('default cutoff is 4 sigma', () => {
    const N = 4000;
    const c = proj(net(twoPops({ na: N, nb: N, gridA: `[${N}]`, gridB: `[${N}]`, conn: '{ type: gaussian, sigma: 2 }' })), 'p');
    const far = new Map<number, number>();
    for (const [i, j] of pairs(c)) if (Math.abs(i - j) > 6) far.set(Math.abs(i - j), (far.get(Math.abs(i - j)) ?? 0) + 1);
    // p(7) = exp(-49/8) ~ 0.0022 over ~8000 pairs: ~17 synapses just beyond 3 sigma; none beyond 4 sigma = 8.
    expect(far.get(7) ?? 0).toBeGreaterThan(5);
    expect([...far.keys()].every((d) => d <= 8)).toBe(true);
  });

  it('2-D: probability falls with Euclidean distance; nothing beyond the cutoff radius', () => {
    const W = 60;
    const H = 50;
    const sigma = 2;
    const pMax = 0.7;
    const c = proj(
      net(
        twoPops({
          na: W * H,
          nb: W * H,
          gridA: `[${W}, ${H}]`,
          gridB: `[${W}, ${H}]`,
          conn: `{ type: gaussian, sigma: ${sigma}, p_max: ${pMax}, cutoff: 3 }`,
        }),
      ),
      'p',
    );
    const xy = (k: number) => [k % W, Math.floor(k / W)];
    const d2 = (i: number, j: number) => {
      const [xi, yi] = xy(i);
      const [xj, yj] = xy(j);
      return (xi - xj) ** 2 + (yi - yj) ** 2;
    };
    expect(pairs(c).filter(([i, j]) => d2(i, j) > 36)).toEqual([]);
    const inner = (i: number) => {
      const [x, y] = xy(i);
      return x >= 7 && x < W - 7 && y >= 7 && y < H - 7;
    };
    const square = (i: number) => {
      const out: number[] = [];
      for (let dy = -7; dy <= 7; dy++) for (let dx = -7; dx <= 7; dx++) out.push(i + dy * W + dx);
      return out;
    };
    const s = byDistance(c, W * H, W * H, d2, inner, square);
    // nothing made beyond the cutoff inside the examined window either
    for (const d of s.made.keys()) expect(d).toBeLessThanOrEqual(36);
    within(s.prob(0), pMax, s.tried.get(0)!);
    // squared distance 16 = (2 sigma)^2: (+-4, 0), (0, +-4)
    within(s.prob(16), pMax * Math.exp(-2), s.tried.get(16)!);
    // squared distance 8 = (2,2): exp(-1)
    within(s.prob(8), pMax * Math.exp(-1), s.tried.get(8)!);
    // Anisotropy check: rows and columns are not mixed up (dx=4 and dy=4 behave alike).
    let madeX = 0;
    let madeY = 0;
    const conn = new Set(pairs(c).map(([i, j]) => i * W * H + j));
    let trials = 0;
    for (let i = 0; i < W * H; i++) {
      if (!inner(i)) continue;
      trials++;
      if (conn.has(i * W * H + i + 2)) madeX++;
      if (conn.has(i * W * H + i + 2 * W)) madeY++;
    }
    const p2 = pMax * Math.exp(-4 / 8);
    within(madeX / trials, p2, trials);
    within(madeY / trials, p2, trials);
  });

  it('periodic: connections wrap around the edges and edge neurons get as many as central ones', () => {
    const N = 200;
    const sigma = 3;
    const yaml = (periodic: boolean) =>
      twoPops({
        na: N,
        nb: N,
        gridA: `[${N}]`,
        gridB: `[${N}]`,
        conn: `{ type: gaussian, sigma: ${sigma}, p_max: 1, cutoff: 3, periodic: ${periodic} }`,
      });
    const per = proj(net(yaml(true)), 'p');
    const flat = proj(net(yaml(false)), 'p');
    const wrapped = (i: number, j: number) => Math.min(Math.abs(i - j), N - Math.abs(i - j));
    let across = 0;
    for (const [i, j] of pairs(per)) {
      expect(wrapped(i, j)).toBeLessThanOrEqual(3 * sigma);
      if (Math.abs(i - j) > 3 * sigma) across++;
    }
    expect(across).toBeGreaterThan(0);
    for (const [i, j] of pairs(flat)) expect(Math.abs(i - j)).toBeLessThanOrEqual(3 * sigma);
    // Expected out-degree with p_max 1: sum over d in [-9, 9] of exp(-d^2/18) ~ 7.5.
    const outPer = outDegrees(per);
    const outFlat = outDegrees(flat);
    const edgesPer = [0, 1, N - 2, N - 1].reduce((a, i) => a + outPer[i], 0);
    const edgesFlat = [0, 1, N - 2, N - 1].reduce((a, i) => a + outFlat[i], 0);
    expect(edgesPer).toBeGreaterThan(edgesFlat);
    const m = meanSd(outPer).mean;
    expect(Math.abs(m - 7.52)).toBeLessThan(0.6);
    const mFlat = meanSd(outFlat).mean;
    expect(mFlat).toBeLessThan(m);
  });

  it('periodic 2-D wraps on both axes', () => {
    const W = 20;
    const c = proj(
      net(
        twoPops({
          na: W * W,
          nb: W * W,
          gridA: `[${W}, ${W}]`,
          gridB: `[${W}, ${W}]`,
          conn: '{ type: gaussian, sigma: 1.5, p_max: 1, cutoff: 2, periodic: true }',
        }),
      ),
      'p',
    );
    // neuron (0,0) connects to (W-1, 0) and (0, W-1) with probability exp(-1/4.5) ~ 0.8 each; check over all corners/edges.
    let wrapX = 0;
    let wrapY = 0;
    for (const [i, j] of pairs(c)) {
      const [xi, yi] = [i % W, Math.floor(i / W)];
      const [xj, yj] = [j % W, Math.floor(j / W)];
      if (Math.abs(xi - xj) > 3) wrapX++;
      if (Math.abs(yi - yj) > 3) wrapY++;
      const dx = Math.min(Math.abs(xi - xj), W - Math.abs(xi - xj));
      const dy = Math.min(Math.abs(yi - yj), W - Math.abs(yi - yj));
      expect(dx * dx + dy * dy).toBeLessThanOrEqual(9);
    }
    expect(wrapX).toBeGreaterThan(0);
    expect(wrapY).toBeGreaterThan(0);
  });

  it('excludes autapses on the same grid population by default', () => {
    const c = proj(net(twoPops({ na: 100, nb: 1, gridA: '[100]', self: true, conn: '{ type: gaussian, sigma: 2, p_max: 1 }' })), 'p');
    for (const [i, j] of pairs(c)) expect(i).not.toBe(j);
    const withSelf = proj(
      net(twoPops({ na: 100, nb: 1, gridA: '[100]', self: true, conn: '{ type: gaussian, sigma: 2, p_max: 1, autapses: true }' })),
      'p',
    );
    expect(pairs(withSelf).filter(([i, j]) => i === j).length).toBe(100);
  });
});

describe('weight distributions', () => {
  // all_to_all 150 x 150 = 22500 synapses
  const weights = (weight: string, syn = SYN_CUR, seed = 7): Float32Array =>
    proj(
      net(
        `seed: ${seed}\npopulations:\n  a: { model: lif, size: 150 }\n  b: { model: lif, size: 150 }\nprojections:\n  p: { source: a, target: b, connectivity: { type: all_to_all }, weight: ${weight}, synapse: ${syn} }\n`,
      ),
      'p',
    ).weights;

  it('constant: every weight equal, units converted (pA for current, nS for conductance)', () => {
    const w = weights('42 pA');
    expect(w.every((x) => x === 42)).toBe(true);
    const n = weights('0.5 nA');
    expect(n.every((x) => x === 500)).toBe(true);
    const g = weights('6 nS', '{ type: conductance, receptor: excitatory }');
    expect(g.every((x) => x === 6)).toBe(true);
    const c = weights('{ constant: 3 }');
    expect(c.every((x) => x === 3)).toBe(true);
  });

  it('uniform: within [low, high) with mean and sd of the uniform distribution', () => {
    const w = weights('{ uniform: { low: 2 pA, high: 10 pA } }');
    expect(Math.min(...w)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...w)).toBeLessThan(10);
    const { mean, sd } = meanSd(w);
    const sdTrue = 8 / Math.sqrt(12);
    expect(Math.abs(mean - 6)).toBeLessThan((5 * sdTrue) / Math.sqrt(w.length));
    expect(Math.abs(sd - sdTrue) / sdTrue).toBeLessThan(0.03);
    // quartiles roughly at 4, 6, 8
    const sorted = Float64Array.from(w).sort();
    expect(sorted[Math.floor(w.length / 4)]).toBeCloseTo(4, 0);
    expect(sorted[Math.floor((3 * w.length) / 4)]).toBeCloseTo(8, 0);
  });

  it('normal: mean and sd within tolerance', () => {
    const w = weights('{ normal: { mean: 50 pA, sd: 5 pA } }');
    const { mean, sd } = meanSd(w);
    expect(Math.abs(mean - 50)).toBeLessThan((5 * 5) / Math.sqrt(w.length));
    expect(Math.abs(sd - 5) / 5).toBeLessThan(0.03);
    // about 68% within one sd
    const inside = w.filter((x) => Math.abs(x - 50) < 5).length / w.length;
    expect(Math.abs(inside - 0.6827)).toBeLessThan(0.02);
  });

  it('lognormal: mean and sd are those of the values (not of their logarithm)', () => {
    const w = weights('{ lognormal: { mean: 2 nS, sd: 1 nS } }', '{ type: conductance, receptor: excitatory }');
    expect(Math.min(...w)).toBeGreaterThan(0);
    const { mean, sd } = meanSd(w);
    expect(Math.abs(mean - 2)).toBeLessThan((5 * 1) / Math.sqrt(w.length));
    expect(Math.abs(sd - 1)).toBeLessThan(0.06);
    // skewed right: median below mean. median = mean / sqrt(1 + cv^2) = 2/sqrt(1.25) ~ 1.789
    const sorted = Float64Array.from(w).sort();
    expect(Math.abs(sorted[w.length >> 1] - 2 / Math.sqrt(1.25))).toBeLessThan(0.03);
  });

  it('clip bounds are respected and hit', () => {
    const w = weights('{ normal: { mean: 10 pA, sd: 10 pA }, clip: [5 pA, 20 pA] }');
    expect(Math.min(...w)).toBe(5);
    expect(Math.max(...w)).toBe(20);
    // P(x < 5) = Phi(-0.5) ~ 0.3085 ; P(x > 20) = 1 - Phi(1) ~ 0.1587
    const low = w.filter((x) => x === 5).length / w.length;
    const high = w.filter((x) => x === 20).length / w.length;
    expect(Math.abs(low - 0.3085)).toBeLessThan(0.02);
    expect(Math.abs(high - 0.1587)).toBeLessThan(0.02);
    const c = weights('{ constant: 50, clip: [0, 12.5] }');
    expect(c.every((x) => x === 12.5)).toBe(true);
  });

  it('negative draws are clipped to 0 (weights are magnitudes)', () => {
    const w = weights('{ normal: { mean: 0 pA, sd: 4 pA } }');
    expect(Math.min(...w)).toBe(0);
    expect(w.every((x) => x >= 0)).toBe(true);
    const zeros = w.filter((x) => x === 0).length / w.length;
    expect(Math.abs(zeros - 0.5)).toBeLessThan(0.02);
    const u = weights('{ uniform: { low: -3, high: 1 } }');
    expect(u.every((x) => x >= 0)).toBe(true);
    expect(Math.abs(u.filter((x) => x === 0).length / u.length - 0.75)).toBeLessThan(0.02);
  });
});

describe('delays', () => {
  const delayed = (delay: string, dt = '0.1 ms', conn = '{ type: all_to_all }') =>
    proj(net(twoPops({ na: 40, nb: 40, conn, delay, dt })), 'p');

  it('constant delays become round(delay/dt) steps', () => {
    for (const [d, steps] of [
      ['1.5 ms', 15],
      ['1.26 ms', 13],
      ['1.24 ms', 12],
      ['2 ms', 20],
      ['0 ms', 0],
      ['0.04 ms', 0],
      ['0.06 ms', 1],
    ] as const) {
      const p = delayed(d);
      expect(p.delays, d).toBeNull();
      expect(p.delaySteps, d).toBe(steps);
      expect(p.maxDelay, d).toBe(steps);
    }
    // seconds are converted; dt changes the step count
    expect(delayed('0.003 s', '0.5 ms').delaySteps).toBe(6);
    expect(delayed('3 ms', '1 ms').delaySteps).toBe(3);
  });

  it('default delay is 0 steps', () => {
    const p = proj(net(twoPops({ na: 3, nb: 3, conn: '{ type: all_to_all }' })), 'p');
    expect(p.delaySteps).toBe(0);
    expect(p.delays).toBeNull();
  });

  it('drawn delays are per synapse, each round(delay/dt), within the distribution range', () => {
    const circuit = circuitOf(
      twoPops({ na: 40, nb: 40, conn: '{ type: all_to_all }', delay: '{ uniform: { low: 1 ms, high: 5 ms } }', dt: '0.1 ms' }),
    );
    const n = compile(circuit);
    const p = proj(n, 'p');
    expect(p.delays).not.toBeNull();
    const d = p.delays!;
    expect(d.length).toBe(p.targets.length);
    expect(d).toBeInstanceOf(Uint8Array);
    let min = Infinity;
    let max = -Infinity;
    for (const x of d) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(10);
    expect(max).toBeLessThanOrEqual(50);
    expect(p.maxDelay).toBe(max);
    expect(new Set(d).size).toBeGreaterThan(30);
    const { mean } = meanSd(d);
    expect(Math.abs(mean - 30)).toBeLessThan(1);
    // Reproduce the millisecond draws from the projection's own stream: every step count is round(ms/dt).
    const ms = new Float64Array(d.length);
    // (1600 synapses: one block of the stream.)
    fill(ms, circuit.projections[0].delay, Rng.forBlock(circuit.seed, 'delay:p', 0), 0);
    for (let k = 0; k < d.length; k++) expect(d[k]).toBe(Math.round(ms[k] / 0.1));
  });

  it('long drawn delays use 16-bit storage; negative draws become 0', () => {
    const p = delayed('{ uniform: { low: 20 ms, high: 40 ms } }');
    expect(p.delays).toBeInstanceOf(Uint16Array);
    expect(p.maxDelay).toBeGreaterThan(255);
    expect(p.maxDelay).toBeLessThanOrEqual(400);
    const q = delayed('{ normal: { mean: 0.2 ms, sd: 1 ms } }');
    expect(q.delays!.every((x) => x >= 0)).toBe(true);
    expect(q.delays!.filter((x) => x === 0).length).toBeGreaterThan(q.delays!.length * 0.3);
  });
});

describe('determinism', () => {
  const base = (seed: number, extra = '') =>
    [
      `seed: ${seed}`,
      'populations:',
      '  a: { model: lif, size: 300, grid: [20, 15] }',
      '  b: { model: lif, size: 300, grid: [20, 15] }',
      '  c: { model: lif, size: 50 }',
      'projections:',
      `  fp: { source: a, target: b, connectivity: { type: fixed_probability, p: 0.1 }, weight: { normal: { mean: 5, sd: 2 } }, delay: { uniform: { low: 0.5 ms, high: 3 ms } }, synapse: ${SYN_CUR} }`,
      `  ind: { source: b, target: a, connectivity: { type: fixed_indegree, n: 20 }, weight: { lognormal: { mean: 3, sd: 1 } }, synapse: ${SYN_CUR} }`,
      `  outd: { source: a, target: a, connectivity: { type: fixed_outdegree, n: 7 }, weight: { uniform: { low: 1, high: 2 } }, synapse: ${SYN_CUR} }`,
      `  g: { source: a, target: b, connectivity: { type: gaussian, sigma: 2, p_max: 0.5 }, weight: 1, synapse: ${SYN_CUR} }`,
      extra,
    ].join('\n');

  const bytes = (a: ArrayBufferView | null) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : Buffer.alloc(0));
  const NAMES = ['fp', 'ind', 'outd', 'g'];

  it('same seed gives byte-identical rowPtr, targets, weights and delays', () => {
    const x = net(base(11));
    const y = net(base(11));
    for (const name of NAMES) {
      const p = proj(x, name);
      const q = proj(y, name);
      expect(bytes(p.rowPtr).equals(bytes(q.rowPtr)), name).toBe(true);
      expect(bytes(p.targets).equals(bytes(q.targets)), name).toBe(true);
      expect(bytes(p.weights).equals(bytes(q.weights)), name).toBe(true);
      expect(bytes(p.delays).equals(bytes(q.delays)), name).toBe(true);
    }
  });

  it('a different seed gives different synapses (document seed or compile option)', () => {
    const x = net(base(11));
    const y = net(base(12));
    const z = compile(circuitOf(base(11)), { seed: 12 });
    for (const name of NAMES) {
      expect(bytes(proj(x, name).targets).equals(bytes(proj(y, name).targets)), name).toBe(false);
      expect(bytes(proj(y, name).targets).equals(bytes(proj(z, name).targets)), name).toBe(true);
    }
    expect(bytes(proj(x, 'fp').weights).equals(bytes(proj(y, 'fp').weights))).toBe(false);
  });

  it('adding an unrelated projection (and population) does not change another projection', () => {
    const x = net(base(11));
    const y = net(
      base(
        11,
        `  extra: { source: c, target: a, connectivity: { type: fixed_probability, p: 0.3 }, weight: { normal: { mean: 1, sd: 1 } }, synapse: ${SYN_CUR} }`,
      ).replace('  c: { model: lif, size: 50 }', '  c: { model: lif, size: 50 }\n  d: { model: lif, size: 10 }'),
    );
    expect(y.projections.length).toBe(5);
    for (const name of NAMES) {
      const p = proj(x, name);
      const q = proj(y, name);
      expect(bytes(p.rowPtr).equals(bytes(q.rowPtr)), name).toBe(true);
      expect(bytes(p.targets).equals(bytes(q.targets)), name).toBe(true);
      expect(bytes(p.weights).equals(bytes(q.weights)), name).toBe(true);
      expect(bytes(p.delays).equals(bytes(q.delays)), name).toBe(true);
    }
  });

  it('connect() with the same named stream repeats exactly', () => {
    const c = circuitOf(base(3));
    const pops = new Map<string, PopulationSpec>(c.populations.map((p) => [p.name, p]));
    const spec = c.projections.find((p) => p.name === 'fp')!;
    const r1 = connect(spec.connectivity, pops.get('a')!, pops.get('b')!, { seed: 3, name: 'fp' });
    const r2 = connect(spec.connectivity, pops.get('a')!, pops.get('b')!, { seed: 3, name: 'fp' });
    const r3 = connect(spec.connectivity, pops.get('a')!, pops.get('b')!, { seed: 3, name: 'other' });
    expect(Array.from(r1.targets)).toEqual(Array.from(r2.targets));
    expect(Array.from(r1.targets)).not.toEqual(Array.from(r3.targets));
    // compile() uses exactly this stream
    expect(Array.from(proj(compile(c), 'fp').targets)).toEqual(Array.from(r1.targets));
  });
});

describe('every generator finishes in work bounded by its output, or refuses (issue 16, D2)', () => {
  /** Block streams that fail the test (instead of hanging it) once a generator draws more than `budget` numbers in all. */
  class BudgetRng {
    draws = 0;
    constructor(private readonly budget: number) {}
    readonly rngFor = (_stream: unknown, block: number): Rng => {
      const counter = this as BudgetRng;
      return new (class extends Rng {
        override nextU32(): number {
          if (++counter.draws > counter.budget) throw new Error(`more than ${counter.budget} random draws: the generator does not finish`);
          return super.nextU32();
        }
      })(1, block);
    };
  }
  const pop = (name: string, size: number, grid?: number[]): PopulationSpec => ({
    name,
    model: 'lif',
    size,
    grid,
    params: {},
    init: {},
    integration: 'default',
  });
  const N = 1000;

  for (const p of [1e-17, 1e-300, 5e-324]) {
    it(`fixed_probability p = ${p} finishes with no synapse, one draw per row`, { timeout: 5000 }, () => {
      const rng = new BudgetRng(10 * N);
      const csr = connect({ type: 'fixed_probability', p, autapses: false }, pop('a', N), pop('b', N), rng);
      expect(csr.targets.length).toBe(0);
      expect(csr.rowPtr.length).toBe(N + 1);
      expect(rng.draws).toBeLessThanOrEqual(N);
    });
  }

  it(
    'fixed_probability p = 1 - 1e-17 (which is 1) makes every synapse; p = 1 - 1e-16 nearly every one, with one draw per synapse',
    { timeout: 5000 },
    () => {
      const all = connect({ type: 'fixed_probability', p: 1 - 1e-17, autapses: false }, pop('a', 100), pop('b', 100), new BudgetRng(0));
      expect(all.targets.length).toBe(100 * 100);
      const rng = new BudgetRng(3 * 100 * 100);
      const nearly = connect({ type: 'fixed_probability', p: 1 - 1e-16, autapses: false }, pop('a', 100), pop('b', 100), rng);
      expect(nearly.targets.length).toBeGreaterThan(100 * 100 - 5);
      expect(rng.draws).toBeLessThanOrEqual(nearly.targets.length + 2 * 100);
    },
  );

  it('a document with p: 1e-17 validates and compiles (flux validate said ok and the compile never ended)', { timeout: 5000 }, () => {
    const n = net(twoPops({ na: 200, nb: 200, conn: '{ type: fixed_probability, p: 1e-17 }' }));
    expect(proj(n, 'p').targets.length).toBe(0);
    expect(proj(n, 'p').rowPtr.length).toBe(201);
  });

  it('fixed_probability with p outside [0, 1] or NaN is refused', { timeout: 5000 }, () => {
    for (const p of [NaN, -1e-300, 1 + 1e-15, Infinity])
      expect(() => connect({ type: 'fixed_probability', p, autapses: false }, pop('a', 10), pop('b', 10), new BudgetRng(1000))).toThrow(
        /probability/,
      );
  });

  it('fixed_indegree / fixed_outdegree without multapses: more partners than exist is refused, not drawn', { timeout: 5000 }, () => {
    expect(() =>
      connect({ type: 'fixed_indegree', n: 11, autapses: false, multapses: false }, pop('a', 10), pop('b', 3), new BudgetRng(1e5)),
    ).toThrow(/only 10 available/);
    expect(() =>
      connect({ type: 'fixed_outdegree', n: 4, autapses: false, multapses: false }, pop('a', 10), pop('b', 3), new BudgetRng(1e5)),
    ).toThrow(/only 3 available/);
    expect(() =>
      connect({ type: 'fixed_indegree', n: 10, autapses: false, multapses: false }, pop('a', 10), pop('a', 10), new BudgetRng(1e5)),
    ).toThrow(/only 9 available/);
    expect(() =>
      connect({ type: 'fixed_indegree', n: 1e12, autapses: false, multapses: false }, pop('a', 10), pop('b', 3), new BudgetRng(1e5)),
    ).toThrow(/available/);
  });

  it(
    'with multapses but nobody to draw from (one neuron, no autapses) it is refused instead of wiring neuron 1 of 1',
    { timeout: 5000 },
    () => {
      expect(() =>
        connect({ type: 'fixed_indegree', n: 3, autapses: false, multapses: true }, pop('a', 1), pop('a', 1), new BudgetRng(1e5)),
      ).toThrow(/only 0 available/);
      expect(() =>
        connect({ type: 'fixed_outdegree', n: 3, autapses: false, multapses: true }, pop('a', 1), pop('a', 1), new BudgetRng(1e5)),
      ).toThrow(/only 0 available/);
      let err: unknown;
      try {
        circuitOf(twoPops({ na: 1, nb: 1, conn: '{ type: fixed_indegree, n: 3, multapses: true }', self: true }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CircuitError);
      expect((err as CircuitError).issues.map((i) => i.path)).toEqual(['/projections/p/connectivity/n']);
    },
  );

  it('one_to_one between different sizes is refused by the generator too', { timeout: 5000 }, () => {
    expect(() => connect({ type: 'one_to_one' }, pop('a', 10), pop('b', 3), new BudgetRng(0))).toThrow(/equal sizes/);
  });

  it('fixed_indegree with multapses draws exactly n per target: work bounded by the output', { timeout: 5000 }, () => {
    const rng = new BudgetRng(50 * 20);
    const csr = connect({ type: 'fixed_indegree', n: 50, autapses: false, multapses: true }, pop('a', 3), pop('b', 20), rng);
    expect(csr.targets.length).toBe(50 * 20);
    expect(rng.draws).toBe(50 * 20);
  });

  it(
    'rules that would make more synapses than one projection holds are refused by the checker (no endless compile)',
    { timeout: 5000 },
    () => {
      const refused = (conn: string, gridA?: string, gridB?: string) => {
        let err: unknown;
        try {
          circuitOf(twoPops({ na: 70000, nb: 70000, conn, gridA, gridB }));
        } catch (e) {
          err = e;
        }
        expect(err, conn).toBeInstanceOf(CircuitError);
        const issue = (err as CircuitError).issues[0];
        expect(issue.path).toBe('/projections/p/connectivity');
        expect(issue.message).toContain(String(MAX_PROJECTION_SYNAPSES));
      };
      refused('{ type: all_to_all }');
      refused('{ type: fixed_probability, p: 0.9 }');
      refused('{ type: fixed_indegree, n: 70000, multapses: true }');
      refused('{ type: fixed_outdegree, n: 1000000, multapses: true }');
      refused('{ type: gaussian, sigma: 1e300, cutoff: 1e300 }', '[70000]', '[70000]');
      expect(() => connect({ type: 'all_to_all', autapses: false }, pop('a', 70000), pop('b', 70000), new BudgetRng(0))).toThrow(/at most/);
    },
  );

  it('gaussian with an infinite radius looks at each target cell once per source', { timeout: 5000 }, () => {
    const rng = new BudgetRng(30 * 30);
    const csr = connect(
      { type: 'gaussian', sigma: 1e300, cutoff: 1e300, pMax: 1, periodic: false, autapses: false },
      pop('a', 30, [30]),
      pop('b', 30, [30]),
      rng,
    );
    expect(csr.targets.length).toBe(30 * 30);
    expect(rng.draws).toBe(30 * 30);
  });
});
