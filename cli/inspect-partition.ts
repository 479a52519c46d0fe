// `flux inspect <circuit> --partition N`: how the circuit would run on N processes, before it is built
// (issue 22): which neurons each partition runs and its share of the work, how often the partitions
// exchange spikes, and what each pair would send, from the document alone (synapse counts estimated
// from the connectivity rules, firing rates assumed or given).
import { loadCircuit } from '../engine/engine.js';
import { partitionCircuit, type PartitionPlan } from '../bridge/partition/plan.js';
import { planOf } from './partition-run.js';
import { trafficModel, type TrafficModel } from '../bridge/partition/traffic.js';

export interface PartitionInspectOptions {
  partitions: number;
  /** Every population's rate (Hz) unless `rates` names it. */
  rateHz: number;
  rates?: Record<string, number>;
  json?: boolean;
}

/** Pairs listed one by one up to this many; beyond, the busiest of them. */
const LISTED_PAIRS = 24;

const count = (x: number) => Math.round(x).toLocaleString('en-US');
function bytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${b.toFixed(0)} B`;
}

export function inspectPartition(file: string, o: PartitionInspectOptions): string {
  const { circuit } = loadCircuit(file);
  // A placement section decides (and the count must be its node count); else the plan may cut populations.
  const plan = circuit.placement
    ? planOf(circuit, o)
    : partitionCircuit(circuit, { partitions: o.partitions, rateHz: o.rateHz, rates: o.rates });
  const model = trafficModel(plan);
  if (o.json)
    return JSON.stringify(
      { circuit: circuit.name, file: circuit.file, rateHz: o.rateHz, rates: o.rates ?? {}, plan, traffic: model },
      null,
      2,
    );
  return report(circuit.name, plan, model, o).join('\n');
}

function report(name: string, plan: PartitionPlan, model: TrafficModel, o: PartitionInspectOptions): string[] {
  const given = Object.keys(o.rates ?? {});
  const everyGiven = plan.partitions.flatMap((p) => p.slices).every((s) => given.includes(s.population));
  const rates = everyGiven
    ? 'given for every population'
    : `${given.length ? `given for ${given.join(', ')}, ` : ''}${o.rateHz} Hz assumed for ${given.length ? 'the rest' : 'every population'}`;
  const out = [
    `circuit ${name} on ${o.partitions} partition${o.partitions > 1 ? 's' : ''}${plan.nodes ? ` (its placement section: ${plan.nodes.join(', ')})` : ''} (a model from the document: synapses estimated from the connectivity rules; firing rates ${rates})`,
  ];
  const total = plan.partitions.reduce((a, p) => a + p.load, 0);
  for (const p of plan.partitions)
    out.push(
      `  ${String(p.index).padStart(3)}${plan.nodes ? ` ${plan.nodes[p.index]}` : ''}: ${count(p.neurons).padStart(9)} neurons ${count(p.synapses).padStart(13)} synapses  ${((100 * p.load) / (total || 1)).toFixed(1).padStart(5)}% of the work  ${p.slices.map((s) => `${s.population}[${s.from}:${s.to})`).join(' ')}`,
    );
  out.push(`balance: the busiest partition does ${plan.imbalance.toFixed(3)}x the mean (neuron updates and synaptic events counted)`);
  if (plan.exchangeSteps === null) {
    out.push('nothing crosses: no spikes are exchanged');
    return out;
  }
  out.push(
    `exchange every ${plan.exchangeSteps} step${plan.exchangeSteps > 1 ? 's' : ''} (${(plan.exchangeSteps * plan.dt).toPrecision(3)} ms, the shortest delay of a projection that crosses: ${plan.exchangeSetBy}), ${count(model.exchangesPerSecond)} exchanges per biological second; ${plan.cutProjections.length} projection${plan.cutProjections.length > 1 ? 's' : ''} cross`,
  );
  out.push(
    `per biological second: ${count(model.spikesPerSecond)} spikes cross, ${bytes(model.bytesPerSecond)} in SpikeTick messages (${model.framingBytes} B each and ${model.bytesPerSpike} B per spike; DDS headers not counted)${model.busiestSender ? `; partition ${model.busiestSender.partition} sends the most, ${bytes(model.busiestSender.bytesPerSecond)}` : ''}`,
  );
  const pairs = [...model.pairs].sort((a, b) => b.bytesPerSecond - a.bytesPerSecond || a.from - b.from || a.to - b.to);
  const shown = pairs.length > LISTED_PAIRS ? pairs.slice(0, LISTED_PAIRS) : pairs.sort((a, b) => a.from - b.from || a.to - b.to);
  out.push(pairs.length > LISTED_PAIRS ? `the ${LISTED_PAIRS} busiest of ${pairs.length} pairs:` : 'pairs:');
  for (const p of shown)
    out.push(
      `  ${String(p.from).padStart(3)} -> ${String(p.to).padEnd(3)} ${count(p.spikesPerSecond).padStart(11)} spikes/s  ${p.spikesPerExchange.toFixed(1).padStart(9)} spikes and ${p.messagesPerExchange} message${p.messagesPerExchange > 1 ? 's' : ''} per exchange  ${bytes(p.bytesPerSecond)}/s`,
    );
  return out;
}
