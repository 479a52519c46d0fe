// A robot's bridge document run with a partitioned circuit (issue 22): one partition runs the bridge
// (its topics, watchdog and safe outputs), so the populations its bindings drive and decode are placed
// there; every partition ticks at the bridge's tick and exchanges spikes once a tick, so a projection
// may cross only with delays of a tick or more (plan.ts checks both).
//
// Refused, with the reason: devices and extension modules (a document written elsewhere would lose the
// paths they name relative to it, and an extension node may read any population), and spike links of
// the document's own (its circuit is split by hand already).
import type { LoadedBridge } from '../config.js';
import { BRIDGE_DEFAULTS } from '../loop-limits.js';
import { PartitionError, type BridgeConstraints } from './plan.js';

/** The populations a bridge document's bindings name: inputs' target populations, and outputs' decoded ones. */
export function boundPopulations(loaded: LoadedBridge): string[] {
  const names = new Set<string>();
  for (const inp of loaded.config.inputs) {
    const target = loaded.circuit.inputs.find((i) => i.name === inp.input)?.target;
    if (target) names.add(target);
  }
  for (const out of loaded.config.outputs) for (const v of out.values) for (const t of v.terms) names.add(t.population);
  return [...names];
}

/** What the bridge document asks of the plan, or a PartitionError naming what a partitioned run cannot take yet. */
export function bridgeConstraints(loaded: LoadedBridge): BridgeConstraints {
  const { config, circuit, file } = loaded;
  const refuse = (what: string) => new PartitionError(`${file}: ${what}`);
  if (Object.keys(loaded.devices).length)
    throw refuse(
      `devices (${Object.keys(loaded.devices).join(', ')}) do not run in a partitioned bridge yet: run them in a bridge of their own`,
    );
  if (loaded.extensions.load.length || loaded.extensions.nodes.length)
    throw refuse('extension modules and nodes do not run in a partitioned bridge yet (a node may read any population)');
  if (config.spikes) throw refuse('the document has spike links of its own: its circuit is split by hand already');
  const periodMs = 1000 / (config.tickHz ?? BRIDGE_DEFAULTS.tickHz);
  const tickSteps = Math.max(1, Math.round(periodMs / circuit.dt));
  if (Math.abs(tickSteps * circuit.dt - periodMs) > 1e-9 * periodMs)
    throw refuse(
      `tick: ${+periodMs.toPrecision(6)} ms is not a whole number of the circuit's steps (${circuit.dt} ms), which a partitioned run exchanges spikes by`,
    );
  return { tickSteps, populations: boundPopulations(loaded) };
}
