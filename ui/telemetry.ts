// The dashboard's telemetry (JSON, ~10 Hz): what every client gets (the engine's rates, the bridge's
// stats and I/O, the simulated robot) computed once per period, and what each gets of its own (its
// stream budget and the robot's trail since its last message).
import type { RunControl } from './run-control.js';
import type { Simulation } from '../sim/simulation.js';
import type { EditSession, RunningNode } from './session.js';
import type { ClientBudget, SpikeFrames } from './stream.js';

/** What the telemetry keeps of a client: its stream budget and how far it has the trail. */
export interface TrailClient {
  budget: ClientBudget;
  /** Simulated time of the last trail point sent. */
  trailTime: number;
}

/** One sample of the engine's clock and the bridge's tick timing. */
interface Mark {
  wall: number;
  timeMs: number;
  ticks: number;
  busy: number;
  maxMs: number;
  engine: unknown;
}

/** The engine's real-time factor and tick rate over the last second of marks. */
interface Rates {
  rtf: number;
  tick: { perSecond: number; meanMs: number; maxMs: number };
}

export class Telemetry {
  private marks: Mark[] = [];
  private lastRates: Record<string, number> = {};

  constructor(
    private readonly node: RunningNode,
    private readonly session: EditSession,
    private readonly frames: SpikeFrames,
    private readonly sim: Simulation | undefined,
    private readonly boundBytesPerSecond: number,
    private readonly run?: RunControl,
  ) {}

  /** The telemetry common to every client (the caller has polled the session and refreshed the layout and tap). */
  sample(): Record<string, unknown> {
    const e = this.node.engine;
    const b = this.node.bridge;
    const { rtf, tick } = this.rates(performance.now());
    const { counts, steps } = this.frames.takeCounts();
    const secs = (steps * e.backend.dt) / 1000;
    if (secs > 0)
      this.lastRates = Object.fromEntries(e.circuit.populations.map((p) => [p.name, (counts.get(p.name) ?? 0) / p.size / secs]));
    const st = b.stats;
    return {
      type: 'telemetry',
      version: this.session.version,
      step: e.backend.stepIndex,
      timeMs: e.timeMs,
      dt: e.backend.dt,
      backend: e.backend.name,
      rtf,
      tick: { ...tick, hz: b.settings.tickHz },
      stats: { ...st, dropped: st.malformed + st.nonFinite + st.outOfRange },
      rates: this.lastRates,
      modulators: Object.fromEntries(e.circuit.modulators.map((m) => [m.name, e.backend.modulatorLevel(m.name)])),
      io: b.snapshot(),
      robot: this.sim ? robotOf(this.sim) : null,
      // Run control (flux edit): running or paused, real time or as fast as possible; null with a robot.
      run: this.run?.state ?? null,
    };
  }

  /** Marks the engine's clock and ticks now; rates over the last second of marks. */
  private rates(now: number): Rates {
    const e = this.node.engine;
    const timing = this.node.bridge.timing;
    const mark: Mark = { wall: now, timeMs: e.timeMs, ticks: timing.ticks, busy: timing.busyMs, maxMs: timing.maxMs, engine: e };
    timing.maxMs = 0;
    const marks = this.marks;
    // A new engine (hot swap) or bridge starts the window afresh.
    if (marks.length && (marks[0].engine !== e || mark.ticks < marks[marks.length - 1].ticks)) marks.length = 0;
    marks.push(mark);
    while (marks.length > 2 && now - marks[1].wall >= 1000) marks.shift();
    const first = marks[0];
    const wallS = (now - first.wall) / 1000;
    const ticks = mark.ticks - first.ticks;
    const busy = mark.busy - first.busy;
    const rtf = wallS > 0 ? (mark.timeMs - first.timeMs) / 1000 / wallS : 0;
    const maxMs = Math.max(...marks.slice(1).map((m) => m.maxMs), marks.length === 1 ? mark.maxMs : 0);
    return { rtf, tick: { perSecond: wallS > 0 ? ticks / wallS : 0, meanMs: ticks > 0 ? busy / ticks : 0, maxMs } };
  }

  /** The shared sample with what is the client's own: its stream and, with a simulated robot, the new part of the trail. */
  forClient(base: Record<string, unknown>, client: TrailClient | null): Record<string, unknown> {
    const own: Record<string, unknown> = { ...base };
    if (!client) return own;
    own.stream = { bytesSent: client.budget.sent, droppedFrames: client.budget.dropped, boundBytesPerSecond: this.boundBytesPerSecond };
    if (this.sim) own.trail = freshTrail(this.sim, client);
    return own;
  }
}

/** The trail points after the client's last one, at most about 600 (evenly thinned, the newest kept). */
function freshTrail(sim: Simulation, client: TrailClient): number[][] {
  const trail = sim.trail();
  let from = trail.length;
  while (from > 0 && trail[from - 1].time > client.trailTime) from--;
  const fresh = trail.slice(from);
  const step = Math.max(1, Math.ceil(fresh.length / 600));
  const pts = fresh.filter((_, i) => i % step === 0 || i === fresh.length - 1).map((p) => [round(p.time, 3), round(p.x, 3), round(p.y, 3)]);
  if (fresh.length) client.trailTime = fresh[fresh.length - 1].time;
  return pts;
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

export function arenaOf(sim: Simulation): unknown {
  const a = sim.arena;
  return { name: a.name, size: a.size, wall: a.wall, start: a.start, obstacles: a.obstacles, robot: { radius: sim.robot.bodyRadius } };
}

export function robotOf(sim: Simulation): unknown {
  const p = sim.pose();
  const c = sim.commanded();
  const scan = sim.lastScan();
  let lidar: unknown = null;
  if (scan) {
    // Every other beam at most 180: enough for a top-down picture at 10 Hz.
    const every = Math.max(1, Math.ceil(scan.ranges.length / 180));
    const ranges: (number | null)[] = [];
    for (let i = 0; i < scan.ranges.length; i += every) ranges.push(Number.isFinite(scan.ranges[i]) ? round(scan.ranges[i], 3) : null);
    const { time, angleMin, rangeMax, pose } = scan;
    lidar = { time, angleMin, angleIncrement: scan.angleIncrement * every, rangeMax, ranges, pose };
  }
  const commanded = { linear: c.linear, angular: c.angular };
  return { time: sim.time, pose: p, commanded, collisions: sim.collisions, touching: sim.touching, driven: sim.driven, lidar };
}
