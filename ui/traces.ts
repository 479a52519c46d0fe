// Traces of chosen neurons' state (a membrane potential, a conductance) for the dashboard: the page
// names up to MAX_PROBES (population, neuron, variable); the bridge records them once per millisecond
// of simulated time and hands each tick's samples over (Bridge.setStateTap); the telemetry carries the
// samples taken since its last message. Kept on the node's current bridge (a hot swap replaces it).
import type { Bridge } from '../bridge/bridge.js';
import type { RunningNode } from './session.js';
import type { StateProbe } from '../engine/recorder.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { modelOf } from '../engine/models/registry.js';
import { RefusedEdit } from './session.js';

/** Most traced neurons at once: each adds a sample per ms to every telemetry message. */
export const MAX_PROBES = 8;
/** Samples kept per probe between two telemetry messages: the newest, a stalled timer must not grow them. */
const MAX_PENDING = 2000;
/**
 * Samples in one telemetry message (10 a second), all traces together: about 6 KB, a quarter of a
 * client's default byte bound. One trace in real time (100 samples a message) travels whole; eight,
 * or a run faster than real time, are thinned evenly.
 */
const PER_MESSAGE = 300;
/** Sampling period in simulated time (ms): fine enough to show a reset, coarse enough for the wire. */
const SAMPLE_MS = 1;
/** Conductances and synaptic currents every LIF-family population has besides its model's state. */
const CHANNELS = ['ge', 'gi', 'ie', 'ii'];

export interface TraceProbe {
  population: string;
  neuron: number;
  variable: string;
}

/** The variables a population's neurons can be traced by: its model's state, then its channels. */
export function traceableVariables(circuit: Circuit, population: string): string[] {
  const pop = circuit.populations.find((p) => p.name === population);
  if (!pop) return [];
  const model = modelOf(pop.model, circuit.models);
  return [...Object.keys(model?.state ?? {}), ...CHANNELS];
}

/** A request's probes, checked against the running circuit (own names only, indices in range). */
export function parseProbes(body: unknown, circuit: Circuit): TraceProbe[] {
  const list = (body as { probes?: unknown } | null)?.probes;
  if (!Array.isArray(list)) throw new RefusedEdit('probes: a list of { population, neuron, variable }', 400);
  if (list.length > MAX_PROBES) throw new RefusedEdit(`probes: at most ${MAX_PROBES}`, 400);
  return list.map((x: unknown, k) => {
    const p = x as Partial<Record<'population' | 'neuron' | 'variable', unknown>> | null;
    const pop = typeof p?.population === 'string' ? circuit.populations.find((q) => q.name === p.population) : undefined;
    if (!pop) throw new RefusedEdit(`probes/${k}/population: one of the circuit's populations`, 400);
    const neuron = p!.neuron;
    if (typeof neuron !== 'number' || !Number.isInteger(neuron) || neuron < 0 || neuron >= pop.size)
      throw new RefusedEdit(`probes/${k}/neuron: an index from 0 to ${pop.size - 1}`, 400);
    const vars = traceableVariables(circuit, pop.name);
    if (typeof p!.variable !== 'string' || !vars.includes(p!.variable))
      throw new RefusedEdit(`probes/${k}/variable: one of ${vars.join(', ')}`, 400);
    return { population: pop.name, neuron, variable: p!.variable };
  });
}

export interface TraceSamples {
  probes: TraceProbe[];
  /** Per probe: times (ms) and values since the last take. */
  series: { t: number[]; v: number[] }[];
}

export class Traces {
  private probes: TraceProbe[] = [];
  private pending: { t: number[]; v: number[] }[] = [];
  private tapped: Bridge | null = null;
  private circuit: Circuit | null = null;

  constructor(private readonly node: Pick<RunningNode, 'bridge' | 'engine'>) {}

  get current(): TraceProbe[] {
    return this.probes;
  }

  set(probes: TraceProbe[]): void {
    this.probes = probes;
    this.pending = probes.map(() => ({ t: [], v: [] }));
    this.tapped?.setStateTap(null, null);
    this.tapped = null;
    this.circuit = null;
    this.follow();
  }

  /**
   * The samples since the last take (at most PER_MESSAGE in all, evenly thinned; times to the
   * microsecond, values to 6 significant digits: the wire's size, not the plot's precision); also
   * moves the tap to a bridge a hot swap brought, and drops probes a live edit made invalid.
   */
  take(): TraceSamples {
    this.follow();
    const each = Math.floor(PER_MESSAGE / Math.max(1, this.pending.length));
    const series = this.pending.map(({ t, v }) => {
      const every = Math.max(1, Math.ceil(t.length / each));
      const out = { t: [] as number[], v: [] as number[] };
      for (let i = t.length - 1 - Math.floor((t.length - 1) / every) * every; i < t.length; i += every) {
        out.t.push(Math.round(t[i] * 1e6) / 1e6);
        out.v.push(Number(v[i].toPrecision(6)));
      }
      return out;
    });
    this.pending = this.probes.map(() => ({ t: [], v: [] }));
    return { probes: this.probes, series };
  }

  stop(): void {
    this.tapped?.setStateTap(null, null);
    this.tapped = null;
  }

  private follow(): void {
    const bridge = this.probes.length ? this.node.bridge : null;
    const circuit = this.node.engine.circuit;
    // Every edit gives the engine a new circuit: a live edit may have removed or resized a population.
    if (bridge === this.tapped && circuit === this.circuit) return;
    this.tapped?.setStateTap(null, null);
    this.tapped = bridge;
    this.circuit = circuit;
    if (!bridge) return;
    // Probes of populations that are gone, past a population's new size, or of a variable its model
    // no longer has, are dropped.
    this.probes = this.probes.filter(
      (p) =>
        (circuit.populations.find((q) => q.name === p.population)?.size ?? 0) > p.neuron &&
        traceableVariables(circuit, p.population).includes(p.variable),
    );
    this.pending = this.probes.map(() => ({ t: [], v: [] }));
    const dt = this.node.engine.backend.dt;
    const every = Math.max(1, Math.round(SAMPLE_MS / dt));
    const groups = new Map<string, StateProbe & { indices: number[] }>();
    for (const p of this.probes) {
      const key = `${p.population}\u0000${p.variable}`;
      const g = groups.get(key) ?? { population: p.population, variable: p.variable, indices: [], every };
      if (!g.indices.includes(p.neuron)) g.indices.push(p.neuron);
      groups.set(key, g);
    }
    const probes = [...groups.values()];
    bridge.setStateTap(probes, (samples) => {
      samples.forEach((s) => {
        this.probes.forEach((p, k) => {
          if (p.population !== s.population || p.variable !== s.variable) return;
          const col = s.indices.indexOf(p.neuron);
          const out = this.pending[k];
          for (let j = 0; j < s.steps.length; j++) {
            // A sample is the state after its step, at the step's end (as recording files time it).
            out.t.push((s.steps[j] + 1) * dt);
            out.v.push(s.values[j][col]);
          }
          // Behind (a stalled telemetry timer): the newest are kept.
          if (out.t.length > MAX_PENDING) {
            out.t.splice(0, out.t.length - MAX_PENDING);
            out.v.splice(0, out.v.length - MAX_PENDING);
          }
        });
      });
    });
  }
}
