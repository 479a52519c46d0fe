// A circuit driving the simulated robot: the simulator and a Flux node on one in-process graph, in
// lockstep on simulated time. Before each chunk of physics the simulator waits until the node has
// run every tick due so far and its commands have arrived (Bridge.caughtUp), so the controller never
// lags the robot and a run is the same for the same arena, seed and circuit.
import { FluxNode, type FluxNodeOptions } from '../bridge/node/node.js';
import { MemoryGraph } from '../bridge/transport/memory.js';
import { clearance, findArena, type Arena } from './arena.js';
import { Simulation, type RunOptions, type SimulationOptions, type TrailPoint } from './simulation.js';

export interface ClosedLoopOptions extends Omit<FluxNodeOptions, 'transport' | 'graph'> {
  /** An arena name ('default', 'cluttered'), a file, or an arena object. */
  arena?: string | Arena;
  /** Re-places the arena's random obstacles (and seeds sensor noise). */
  seed?: number;
  sim?: Omit<SimulationOptions, 'transport' | 'seed'>;
}

export interface LoopSummary {
  simSeconds: number;
  /** Path length driven since the start (m). */
  distance: number;
  collisions: number;
  /** Smallest free distance between the robot's body and any wall or obstacle along the trail (m). */
  minClearance: number;
  pose: { x: number; y: number; yaw: number };
}

export class ClosedLoop {
  private constructor(
    readonly sim: Simulation,
    readonly node: FluxNode,
    readonly graph: MemoryGraph,
  ) {}

  static async create(options: ClosedLoopOptions): Promise<ClosedLoop> {
    const graph = new MemoryGraph();
    const arena =
      typeof options.arena === 'string' || options.arena === undefined
        ? findArena(options.arena ?? 'default', options.seed)
        : options.arena;
    const sim = await Simulation.create(arena, { ...options.sim, transport: graph, seed: options.seed });
    try {
      const node = await FluxNode.start({ ...options, transport: 'memory', graph, useSimTime: options.useSimTime ?? true });
      return new ClosedLoop(sim, node, graph);
    } catch (e) {
      sim.close();
      throw e;
    }
  }

  private gate(): RunOptions['gate'] {
    // The node's bridge may be swapped live (a new circuit): always ask the current one.
    return (t) => this.node.bridge.caughtUp(t * 1000);
  }

  /** Runs `seconds` of simulated time in lockstep (as fast as it can unless paced). */
  runFor(seconds: number, options: Omit<RunOptions, 'gate'> = {}): Promise<void> {
    return this.sim.runFor(seconds, { ...options, gate: this.gate() });
  }

  /** Runs until stop(). */
  start(options: Omit<RunOptions, 'gate'> = {}): Promise<void> {
    return this.sim.start({ ...options, gate: this.gate() });
  }

  summary(): LoopSummary {
    const trail = this.sim.trail();
    const body = this.sim.robot.bodyRadius;
    let minClearance = Infinity;
    for (const p of trail) minClearance = Math.min(minClearance, clearance(this.sim.arena, p.x, p.y) - body);
    // The whole run's distance: the trail is bounded and drops its oldest points on long runs.
    return { simSeconds: this.sim.time, distance: this.sim.driven, collisions: this.sim.collisions, minClearance, pose: this.sim.pose() };
  }

  /** Stops the simulation, then the node (which publishes its safe command), and frees both. */
  async close(): Promise<void> {
    await this.sim.stop();
    await this.node.shutdown();
    this.sim.close();
  }
}

/** Length of the path through the trail's points (m). */
export function pathLength(trail: readonly TrailPoint[]): number {
  let d = 0;
  for (let i = 1; i < trail.length; i++) d += Math.hypot(trail[i].x - trail[i - 1].x, trail[i].y - trail[i - 1].y);
  return d;
}
