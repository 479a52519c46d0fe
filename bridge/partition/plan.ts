// One circuit over N processes (issue 22): which neurons each partition runs, and what the partitions
// must exchange. Pure and deterministic: the same circuit, count and rates give the same plan.
//
// The unit of placement is a slice of a population (a contiguous range of its neurons). A population
// whose load is more than a partition's share is cut into equal slices, so that the partitions can be
// balanced; the rest stay whole, so that their spikes cross as few partitions as possible.
//
// Load, what a partition computes per biological second: its neuron updates (neurons × steps per
// second) plus its synaptic events (the synapses onto its neurons × their sources' rates), each counted
// once. Synapses live with their target neuron (as the CPU backend's threads keep them), so a spike
// crosses to a partition once, whatever the number of synapses it reaches there. The two counts are
// operations, not measured costs: a first balance, stated as such.
//
// Traffic: a slice's spikes go, once per exchange, to every other partition that holds a target of a
// projection from its population. The exchange period is the shortest delay of a projection that
// crosses partitions (NEST's min_delay): a spike fired in one period is needed elsewhere no sooner than
// the next. A projection whose delays can be shorter than one step cannot cross: its two populations
// are placed together (and such a population is not cut), or the plan is refused.
//
// Greedy placement: units in order of load (largest first), each to the partition with room for it
// that saves the most traffic (its spikes already needed there, or spikes it needs from there), ties to
// the least loaded, then the lowest index.
import type { Circuit, Distribution, ProjectionSpec } from '../../engine/circuit/circuit.js';
import { estimateSynapses } from '../../engine/circuit/estimate.js';

export interface PartitionOptions {
  /** Processes (1 to MAX_PARTITIONS). */
  partitions: number;
  /** Assumed firing rate of every population (Hz) unless `rates` names it. */
  rateHz: number;
  /** Firing rates by population (Hz). */
  rates?: Readonly<Record<string, number>>;
  /** How far a partition's load may exceed the mean share (0.05: 5 %) before the next partition takes a unit. */
  imbalance?: number;
  /** Place whole populations only (what a run needs for now: split.ts). */
  wholePopulations?: boolean;
  /** A robot's bridge runs with the circuit: its tick, and the populations its bindings drive and read. */
  bridge?: BridgeConstraints;
}

/**
 * What a bridge document asks of a plan (bridge/partition/bridge-constraints.ts): the partitions exchange
 * once per bridge tick, so a projection may cross only with delays of a tick or more; and the
 * populations its bindings drive and decode run in one partition, the one that runs the bridge.
 */
export interface BridgeConstraints {
  /** Steps per bridge tick. */
  tickSteps: number;
  /** Populations the bindings name (they are placed together). */
  populations: string[];
}

export const MAX_PARTITIONS = 4096;

/** A contiguous range of a population's neurons, [from, to). */
export interface Slice {
  population: string;
  from: number;
  to: number;
}

export interface PartitionLoad {
  index: number;
  slices: Slice[];
  neurons: number;
  /** Synapses onto the partition's neurons (estimated from the connectivity rules). */
  synapses: number;
  /** Neuron updates plus synaptic events per biological second. */
  load: number;
}

/** What one partition sends another, per biological second. */
export interface PairTraffic {
  from: number;
  to: number;
  spikesPerSecond: number;
  /** Slices whose spikes go from `from` to `to`: one message each per exchange. */
  streams: number;
}

export interface PartitionPlan {
  partitions: PartitionLoad[];
  /**
   * Steps between two exchanges: the shortest delay of a cut projection (with a bridge, its tick); null
   * when nothing crosses.
   */
  exchangeSteps: number | null;
  /** The projection with the shortest crossing delay (which sets the exchange period without a bridge). */
  exchangeSetBy: string | null;
  dt: number;
  /** Projections with synapses in more than one partition's pair (source slice in one, target slice in another). */
  cutProjections: string[];
  traffic: PairTraffic[];
  /** The most loaded partition's load over the mean (1: perfectly balanced). */
  imbalance: number;
  /** The node (machine) of each partition, from the circuit's placement section; absent for an automatic plan. */
  nodes?: string[];
  /** With a bridge: steps per tick (the partitions exchange every tick) and the partition that runs the bridge. */
  bridge?: { tickSteps: number; partition: number };
}

/** A plan that cannot be made, said to the user. */
export class PartitionError extends Error {}

/** What is placed as one: a slice of one population, or whole populations bound together. */
interface Unit {
  slices: Slice[];
  neurons: number;
  synapses: number;
  load: number;
  /** Spikes per second its neurons fire. */
  spikes: number;
}

/** The shortest delay a projection's synapses can have, in ms (a distribution without a lower bound: 0). */
export function minDelayMs(d: Distribution): number {
  const low = d.kind === 'constant' ? d.value : d.kind === 'uniform' ? d.low : 0;
  return Math.max(low, d.clip ? d.clip[0] : -Infinity, 0);
}

/** Delay steps of a projection's shortest delay, as the compiler rounds them. */
export const minDelaySteps = (p: ProjectionSpec, dt: number): number => Math.max(0, Math.round(minDelayMs(p.delay) / dt));

/** The options checked: every population's rate, and the allowed imbalance with its default. */
function checkOptions(circuit: Circuit, o: PartitionOptions): { rates: Map<string, number>; imbalance: number } {
  if (!Number.isInteger(o.partitions) || o.partitions < 1 || o.partitions > MAX_PARTITIONS)
    throw new PartitionError(`partitions: a whole number from 1 to ${MAX_PARTITIONS}, not ${o.partitions}`);
  return checkRates(circuit, o);
}

function checkRates(
  circuit: Circuit,
  o: Pick<PartitionOptions, 'rateHz' | 'rates' | 'imbalance'>,
): { rates: Map<string, number>; imbalance: number } {
  const rate = (name: string, hz: unknown): number => {
    if (typeof hz !== 'number' || !Number.isFinite(hz) || hz < 0 || hz > 10_000)
      throw new PartitionError(`rate of ${name}: a rate in Hz from 0 to 10000, not ${String(hz)}`);
    return hz;
  };
  rate('every population', o.rateHz);
  const rates = new Map(circuit.populations.map((p) => [p.name, o.rateHz]));
  for (const [name, hz] of Object.entries(o.rates ?? {})) {
    if (!rates.has(name)) throw new PartitionError(`rates: the circuit has no population ${name}`);
    rates.set(name, rate(name, hz));
  }
  const imbalance = o.imbalance ?? 0.05;
  if (!(imbalance >= 0 && imbalance <= 1)) throw new PartitionError(`imbalance: from 0 to 1, not ${imbalance}`);
  return { rates, imbalance };
}

/**
 * Populations that must share a partition: joined by a projection whose delay can round to under one
 * exchange (a step; with a bridge, its tick), and the populations a bridge's bindings name.
 */
function bound(circuit: Circuit, bridge: BridgeConstraints | undefined): Map<string, string[]> {
  const parent = new Map(circuit.populations.map((p) => [p.name, p.name]));
  const find = (x: string): string => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  const join = (x: string, y: string) => {
    const [a, b] = [find(x), find(y)].sort();
    parent.set(b, a);
  };
  const shortest = bridge?.tickSteps ?? 1;
  for (const p of circuit.projections) if (minDelaySteps(p, circuit.dt) < shortest) join(p.source, p.target);
  for (const name of bridge?.populations ?? []) join(bridge!.populations[0], name);
  const groups = new Map<string, string[]>();
  for (const p of circuit.populations) {
    const root = find(p.name);
    groups.set(root, [...(groups.get(root) ?? []), p.name]);
  }
  return groups;
}

/**
 * The plan a circuit's placement section gives: one partition per node, in the order the section first
 * names them, each with its whole populations. The rates only weigh the loads and the traffic it reports.
 */
export function placementPlan(circuit: Circuit, o: Pick<PartitionOptions, 'rateHz' | 'rates' | 'bridge'>): PartitionPlan {
  const placement = circuit.placement;
  if (!placement) throw new PartitionError(`${circuit.file}: the circuit has no placement section`);
  const { rates } = checkRates(circuit, o);
  const nodes = [...new Set(Object.values(placement))];
  if (nodes.length > MAX_PARTITIONS) throw new PartitionError(`placement: more than ${MAX_PARTITIONS} nodes`);
  const { unit } = populationLoads(circuit, rates);
  const placed: Unit[][] = nodes.map(() => []);
  const totals = nodes.map(() => 0);
  for (const p of circuit.populations) {
    const k = nodes.indexOf(placement[p.name]);
    const u = unit([{ population: p.name, from: 0, to: p.size }]);
    placed[k].push(u);
    totals[k] += u.load;
  }
  const bridgeNodes = [...new Set((o.bridge?.populations ?? []).map((p) => placement[p]))];
  if (bridgeNodes.length > 1)
    throw new PartitionError(
      `placement: the bridge's bindings drive and read populations on ${bridgeNodes.length} nodes (${o.bridge!.populations.map((p) => `${p}: ${placement[p]}`).join(', ')}); place them on one node, the one that runs the bridge`,
    );
  const plan = describe(circuit, placed, totals, totals.reduce((a, x) => a + x, 0) / nodes.length, rates, o.bridge);
  return { ...plan, nodes };
}

/**
 * Each population's load (neuron updates and synaptic events per biological second), and a unit of
 * slices with its neurons, synapses, load and spikes (a slice's share of its population's).
 */
function populationLoads(circuit: Circuit, rates: Map<string, number>) {
  const stepsPerSecond = 1000 / circuit.dt;
  const size = new Map(circuit.populations.map((p) => [p.name, p.size]));
  // Synapses onto each population, and the events they carry per second.
  const synapsesOnto = new Map(circuit.populations.map((p) => [p.name, 0]));
  const eventsOnto = new Map(circuit.populations.map((p) => [p.name, 0]));
  for (const p of circuit.projections) {
    const s = estimateSynapses(p.connectivity, size.get(p.source)!, size.get(p.target)!);
    synapsesOnto.set(p.target, synapsesOnto.get(p.target)! + s);
    eventsOnto.set(p.target, eventsOnto.get(p.target)! + s * rates.get(p.source)!);
  }
  const popLoad = (name: string) => size.get(name)! * stepsPerSecond + eventsOnto.get(name)!;
  const unit = (slices: Slice[]): Unit => {
    const part = (sl: Slice) => (sl.to - sl.from) / Math.max(1, size.get(sl.population)!);
    return {
      slices,
      neurons: slices.reduce((a, sl) => a + sl.to - sl.from, 0),
      synapses: slices.reduce((a, sl) => a + synapsesOnto.get(sl.population)! * part(sl), 0),
      load: slices.reduce((a, sl) => a + popLoad(sl.population) * part(sl), 0),
      spikes: slices.reduce((a, sl) => a + (sl.to - sl.from) * rates.get(sl.population)!, 0),
    };
  };
  return { size, popLoad, unit };
}

export function partitionCircuit(circuit: Circuit, o: PartitionOptions): PartitionPlan {
  const { rates, imbalance } = checkOptions(circuit, o);
  const n = o.partitions;
  const { size, popLoad, unit } = populationLoads(circuit, rates);
  const total = circuit.populations.reduce((a, p) => a + popLoad(p.name), 0);
  const share = total / n;

  // Units: groups bound by sub-step projections stay whole; other populations are cut into equal
  // slices when they are larger than a share.
  const units: Unit[] = [];
  for (const group of bound(circuit, o.bridge).values()) {
    const whole = group.map((name) => ({ population: name, from: 0, to: size.get(name)! }));
    // Cut only what does not fit a share with its allowed imbalance: a whole population crosses less.
    const fit = share * (1 + imbalance);
    const pieces =
      group.length > 1 || fit === 0 || o.wholePopulations
        ? 1
        : Math.min(size.get(group[0])!, Math.max(1, Math.ceil(popLoad(group[0]) / fit - 1e-9)));
    if (pieces === 1) units.push(unit(whole));
    else
      for (let k = 0; k < pieces; k++) {
        const neurons = size.get(group[0])!;
        units.push(
          unit([{ population: group[0], from: Math.floor((k * neurons) / pieces), to: Math.floor(((k + 1) * neurons) / pieces) }]),
        );
      }
  }

  // Which populations each population projects to (for the savings of placing a unit next to others).
  const targets = new Map(circuit.populations.map((p) => [p.name, new Set<string>()]));
  for (const p of circuit.projections) targets.get(p.source)!.add(p.target);
  const projectsTo = (a: Unit, b: Unit) => a.slices.some((x) => b.slices.some((y) => targets.get(x.population)!.has(y.population)));

  const order = units
    .map((u, i) => ({ u, i }))
    .sort((a, b) => b.u.load - a.u.load || a.i - b.i)
    .map(({ u }) => u);
  const placed: Unit[][] = Array.from({ length: n }, () => []);
  const loads = new Array<number>(n).fill(0);
  const cap = share * (1 + imbalance);
  for (const u of order) {
    let best = -1;
    let bestSaving = -1;
    for (let p = 0; p < n; p++) {
      if (loads[p] > 0 && loads[p] + u.load > cap) continue;
      // Spikes that would not cross if u goes here: u's own (when a target of u is here) and those of
      // the units here that u needs.
      const saving =
        (placed[p].some((v) => projectsTo(u, v)) ? u.spikes : 0) + placed[p].reduce((a, v) => a + (projectsTo(v, u) ? v.spikes : 0), 0);
      if (best < 0 || saving > bestSaving || (saving === bestSaving && loads[p] < loads[best])) {
        best = p;
        bestSaving = saving;
      }
    }
    // Nothing has room (a unit larger than the cap): the least loaded takes it.
    if (best < 0) best = loads.indexOf(Math.min(...loads));
    placed[best].push(u);
    loads[best] += u.load;
  }

  return describe(circuit, placed, loads, total / n, rates, o.bridge);
}

/** The plan's figures from the placement: loads, the exchange period, what crosses between which partitions. */
function describe(
  circuit: Circuit,
  placed: Unit[][],
  loads: number[],
  mean: number,
  rates: Map<string, number>,
  bridge?: BridgeConstraints,
): PartitionPlan {
  const dt = circuit.dt;
  // Where each population's neurons are: the partitions that hold some of them.
  const where = new Map<string, Set<number>>(circuit.populations.map((p) => [p.name, new Set()]));
  placed.forEach((units, p) => units.forEach((u) => u.slices.forEach((sl) => where.get(sl.population)!.add(p))));
  const cut: string[] = [];
  let exchangeSteps: number | null = null;
  let exchangeSetBy: string | null = null;
  for (const pr of circuit.projections) {
    const crosses = [...where.get(pr.source)!].some((a) => [...where.get(pr.target)!].some((b) => a !== b));
    if (!crosses) continue;
    cut.push(pr.name);
    const steps = minDelaySteps(pr, dt);
    if (steps === 0)
      throw new PartitionError(
        `projection ${pr.name} (${pr.source} -> ${pr.target}) can deliver within the step its spike fires (delays under ${dt / 2} ms) and its populations cannot be placed together: give it delays of at least one step (${dt} ms)`,
      );
    if (bridge && steps < bridge.tickSteps)
      throw new PartitionError(
        `projection ${pr.name} (${pr.source} -> ${pr.target}) crosses partitions with delays under the bridge's tick (${+(bridge.tickSteps * dt).toPrecision(6)} ms), and the partitions exchange spikes once a tick: give it delays of at least one tick, or place its populations together`,
      );
    if (exchangeSteps === null || steps < exchangeSteps) {
      exchangeSteps = steps;
      exchangeSetBy = pr.name;
    }
  }
  // Each slice's spikes go once to every other partition that holds a target of its population.
  const dests = new Map(circuit.populations.map((p) => [p.name, new Set<number>()]));
  for (const pr of circuit.projections) for (const q of where.get(pr.target)!) dests.get(pr.source)!.add(q);
  const traffic = new Map<string, PairTraffic>();
  placed.forEach((units, p) => {
    for (const sl of units.flatMap((u) => u.slices))
      for (const q of [...dests.get(sl.population)!].sort((a, b) => a - b)) {
        if (q === p) continue;
        const t = traffic.get(`${p}>${q}`) ?? { from: p, to: q, spikesPerSecond: 0, streams: 0 };
        t.spikesPerSecond += (sl.to - sl.from) * rates.get(sl.population)!;
        t.streams++;
        traffic.set(`${p}>${q}`, t);
      }
  });
  const home = bridge?.populations.length
    ? placed.findIndex((units) => units.some((u) => u.slices.some((sl) => sl.population === bridge.populations[0])))
    : 0;
  return {
    ...(bridge ? { bridge: { tickSteps: bridge.tickSteps, partition: home } } : {}),
    partitions: placed.map((units, index) => ({
      index,
      slices: units.flatMap((u) => u.slices),
      neurons: units.reduce((a, u) => a + u.neurons, 0),
      synapses: units.reduce((a, u) => a + u.synapses, 0),
      load: loads[index],
    })),
    // With a bridge the partitions exchange once a tick, whatever the shortest crossing delay allows.
    exchangeSteps: bridge && exchangeSteps !== null ? bridge.tickSteps : exchangeSteps,
    exchangeSetBy,
    dt,
    cutProjections: cut,
    traffic: [...traffic.values()].sort((a, b) => a.from - b.from || a.to - b.to),
    imbalance: mean > 0 ? Math.max(...loads) / mean : 1,
  };
}
