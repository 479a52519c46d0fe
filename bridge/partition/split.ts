// A partition plan (plan.ts) made runnable: for each partition, a circuit document and a bridge
// document that run its populations in a Flux process of their own, linked to the others by spike
// links in lockstep (bridge/spike-link.ts). Whole populations only, for now: a slice of a population
// would need its neurons' randomness keyed by global index.
//
// Same spikes as one process. Every random stream of the engine is named after its population or
// projection (initial state, connectivity blocks, synapse draws, Poisson sources), so a partition that
// holds a population with the same name and seed draws what the whole circuit draws. A remote source
// is a relay: a `poisson` population of rate 0 and the source's size (and grid), which fires the
// sender's spikes one tick late; one tick is the exchange period (the shortest delay that crosses),
// and every projection from a relay has its delays shortened by that tick. So each spike reaches its
// target in the step it would in one process.
//
// Refused, with the reason: modulators (their sources and targets would span processes), plasticity
// on a projection that crosses (its weights would live far from its pre-synaptic traces), a
// log-normal delay that crosses (shortened by a constant it is no log-normal), a plan that cuts a
// population.
import type { Circuit, Distribution } from '../../engine/circuit/circuit.js';
import type { CircuitDoc, DistributionDoc, InputDoc, ProjectionDoc, ValueDoc } from '../../engine/circuit/document.js';
import type { FlatCircuit } from '../../engine/circuit/resolve.js';
import { PartitionError, minDelaySteps, type PartitionPlan } from './plan.js';

export interface PartitionDocuments {
  index: number;
  /** File names the documents expect (the bridge document names the circuit by this name, beside it). */
  circuitFile: string;
  bridgeFile: string;
  circuit: CircuitDoc;
  bridge: Record<string, unknown>;
}

/** The suffix of a relay population and of the input that drives it. */
export const RELAY = '__relay';
const INPUT = '__spikes';

/** A topic name for a population's spikes (ROS names: letters, digits, _ and /). */
const ros = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
const topicOf = (circuit: string, population: string, run: string | undefined): string =>
  `/flux/partition/${ros(circuit)}/${run ? `${ros(run)}/` : ''}${ros(population)}`;

/** A delay distribution shortened by `ms`, as a document writes it (internal ms as numbers). */
function shortened(d: Distribution, ms: number, where: string): ValueDoc {
  // Never below 0: a delay that rounds to a whole tick can be a little under it (0.96 ms for a 1 ms tick),
  // and what is left rounds to 0 steps either way.
  const clip = d.clip ? { clip: [Math.max(0, d.clip[0] - ms), Math.max(0, d.clip[1] - ms)] as [number, number] } : {};
  switch (d.kind) {
    case 'constant':
      return { constant: Math.max(0, d.value - ms), ...clip } satisfies DistributionDoc;
    case 'uniform':
      return { uniform: { low: d.low - ms, high: d.high - ms }, ...clip };
    case 'normal':
      return { normal: { mean: d.mean - ms, sd: d.sd }, ...clip };
    case 'lognormal':
      throw new PartitionError(
        `${where}: a log-normal delay cannot cross partitions (shortened by the exchange period it is no log-normal)`,
      );
  }
}

/** Which other partitions need each population's spikes (a population nobody elsewhere reads is absent). */
function readersOf(circuit: Circuit, home: Map<string, number>): Map<string, Set<number>> {
  const readers = new Map<string, Set<number>>();
  for (const pr of circuit.projections) {
    const from = home.get(pr.source)!;
    const to = home.get(pr.target)!;
    if (from !== to) readers.set(pr.source, (readers.get(pr.source) ?? new Set()).add(to));
  }
  return readers;
}

const withoutKeys = (doc: Readonly<Record<string, unknown>>, keys: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(doc).filter(([k]) => !keys.includes(k)));

/** The populations whose spikes a run of `plan` sends to other partitions (whole populations), with their readers. */
export function sentPopulations(circuit: Circuit, plan: PartitionPlan): Map<string, Set<number>> {
  return readersOf(circuit, new Map(plan.partitions.flatMap((p) => p.slices.map((sl) => [sl.population, p.index] as const))));
}

/**
 * Documents for every partition of `plan`, which must place whole populations. `base` is the files'
 * path without extension; `run` keeps two runs of one circuit on one DDS domain apart (in the topics).
 * `bridgeDoc`, a robot's bridge document as written (a plan made with its constraints): the partition
 * that runs it gets its bindings, watchdog and limits beside the spike links; every partition ticks at
 * its tick.
 */
export function partitionDocuments(
  flat: FlatCircuit,
  circuit: Circuit,
  plan: PartitionPlan,
  base: string,
  run?: string,
  bridgeDoc?: Readonly<Record<string, unknown>>,
): PartitionDocuments[] {
  if (bridgeDoc && !plan.bridge) throw new PartitionError('internal: a bridge document with a plan made without its constraints');
  const doc = flat.doc;
  const home = new Map<string, number>();
  for (const p of plan.partitions)
    for (const s of p.slices) {
      const size = circuit.populations.find((x) => x.name === s.population)!.size;
      if (s.from !== 0 || s.to !== size || home.has(s.population))
        throw new PartitionError(`population ${s.population} is cut across partitions: a run places whole populations (for now)`);
      home.set(s.population, p.index);
    }
  if (circuit.modulators.length)
    throw new PartitionError(`modulators (${circuit.modulators.map((m) => m.name).join(', ')}) do not run across partitions yet`);
  // One tick is one exchange period.
  const tick = plan.exchangeSteps ?? 0;
  const tickMs = tick * circuit.dt;
  for (const pr of circuit.projections)
    if (home.get(pr.source) !== home.get(pr.target) && pr.plasticity)
      throw new PartitionError(`projection ${pr.name} is plastic and crosses partitions: plasticity does not run across partitions yet`);

  const readers = readersOf(circuit, home);
  const name = circuit.name;
  return plan.partitions.map((part) => {
    const mine = (population: string) => home.get(population) === part.index;
    const populations: NonNullable<CircuitDoc['populations']> = {};
    const projections: Record<string, ProjectionDoc> = {};
    const inputs: Record<string, InputDoc> = {};
    const receive: Record<string, unknown> = {};
    for (const [popName, p] of Object.entries(doc.populations ?? {})) if (mine(popName)) populations[popName] = p;
    for (const pr of circuit.projections) {
      if (!mine(pr.target)) continue;
      const written = doc.projections![pr.name];
      if (mine(pr.source)) {
        projections[pr.name] = written;
        continue;
      }
      const relay = `${pr.source}${RELAY}`;
      if (!populations[relay]) {
        const source = circuit.populations.find((x) => x.name === pr.source)!;
        populations[relay] = {
          model: 'poisson',
          size: source.size,
          ...(source.grid ? { grid: source.grid } : {}),
          params: { rate: '0 Hz' },
        };
        inputs[`${pr.source}${INPUT}`] = {
          target: relay,
          mode: 'rate',
          description: `the spikes of ${pr.source}, from partition ${home.get(pr.source)}`,
        };
        // A sender silent for a second is reported (its link goes free, the tick counted missed).
        receive[`${pr.source}${INPUT}`] = { topic: topicOf(name, pr.source, run), delay: 1, sync: 'lockstep', timeout: '1 s' };
      }
      // In steps, as the plan and the compiler round them (0.96 ms is 10 steps of 0.1 ms, one 1 ms tick).
      if (minDelaySteps(pr, circuit.dt) < tick)
        throw new PartitionError(`internal: projection ${pr.name} crosses with delays under the exchange period`);
      projections[pr.name] = { ...written, source: relay, delay: shortened(pr.delay, tickMs, `projection ${pr.name}`) };
    }
    const send: Record<string, unknown> = {};
    for (const [popName, to] of readers) if (mine(popName)) send[popName] = { topic: topicOf(name, popName, run), wait_for: to.size };
    const sections = <T>(all: Record<string, T> | undefined, keep: (x: T) => boolean) =>
      Object.fromEntries(Object.entries(all ?? {}).filter(([, x]) => keep(x)));
    const circuitFile = `${base}.part${part.index}.json`;
    const out: CircuitDoc = {
      name: `${name}.part${part.index}`,
      dt: circuit.dt,
      seed: circuit.seed,
      ...(doc.models ? { models: doc.models } : {}),
      populations,
      projections,
      sources: sections(doc.sources, (s) => mine(s.target)),
      inputs: { ...sections(doc.inputs, (i) => i.target !== undefined && mine(i.target)), ...inputs },
      outputs: sections(doc.outputs, (o) => mine(o.source)),
    };
    // The robot's bindings, watchdog and limits, where its partition runs them ($schema would point elsewhere from here).
    const robot = bridgeDoc && part.index === plan.bridge!.partition ? withoutKeys(bridgeDoc, ['$schema', 'circuit', 'tick']) : {};
    return {
      index: part.index,
      circuitFile,
      bridgeFile: `${base}.part${part.index}.bridge.json`,
      circuit: out,
      bridge: {
        ...robot,
        circuit: `./${circuitFile.split('/').pop()}`,
        // One tick is one exchange period: a relay fires a spike one tick after its sender did.
        ...(tick ? { tick: `${+(1000 / tickMs).toPrecision(12)} Hz` } : bridgeDoc?.tick !== undefined ? { tick: bridgeDoc.tick } : {}),
        ...(Object.keys(send).length || Object.keys(receive).length ? { spikes: { send, receive } } : {}),
      },
    };
  });
}
