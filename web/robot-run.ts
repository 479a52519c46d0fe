// One run of a bridge document driving the simulated robot in the page: the same ClosedLoop that
// `flux demo` runs in Node (simulator and Flux node on one in-process graph, in lockstep on simulated
// time), with every population's spikes counted for the summary.
import { ClosedLoop, type LoopSummary } from '../sim/loop.js';
import { isBuiltInArena } from '../sim/arena.js';
import type { TickSpikes } from '../bridge/bridge.js';
import { FLUX } from './documents.js';
import type { BackendChoice } from '../engine/engine.js';

export interface RobotRunOptions {
  bridge: string;
  /** A path in the page, or a built-in arena's name. */
  arena: string;
  seed?: number;
  backend: BackendChoice;
  threads?: number;
  log: (line: string) => void;
}

export interface RunSummary extends LoopSummary {
  backend: string;
  /** Spikes of each population since the start. */
  spikes: Record<string, number>;
}

/** A built-in arena's name as its document in the page; a path as it is (sim/arena.ts's rule). */
export const arenaPath = (arena: string): string => (isBuiltInArena(arena) ? `${FLUX}/examples/arenas/${arena}.yaml` : arena);

export class RobotRun {
  private readonly spikes = new Map<string, number>();

  private constructor(readonly loop: ClosedLoop) {}

  static async start(o: RobotRunOptions): Promise<RobotRun> {
    const loop = await ClosedLoop.create({
      bridge: o.bridge,
      arena: arenaPath(o.arena),
      seed: o.seed,
      backend: o.backend,
      threads: o.threads,
      log: o.log,
    });
    const run = new RobotRun(loop);
    // Set before the simulator publishes its first clock: no tick has run yet.
    loop.node.bridge.setSpikeTap((t: TickSpikes) => {
      for (const [population, s] of t.populations) run.spikes.set(population, (run.spikes.get(population) ?? 0) + s.steps.length);
    });
    return run;
  }

  summary(): RunSummary {
    return { ...this.loop.summary(), backend: this.loop.node.engine.backend.name, spikes: Object.fromEntries(this.spikes) };
  }
}
