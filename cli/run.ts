// `flux run`: a bridge document (topics <-> circuit) as a running robot node, on a transport of
// bridge/node/transports.ts (--transport, or its short forms --ros and --dds), on the built-in
// simulated robot (--sim <arena>), or on an empty in-process graph, until a signal.
import { stopWithLauncher } from './partition-run.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FluxNode, exitOnFatal, exitOnSignals, shutdownSummary } from '../bridge/node/node.js';
import { ControlledClock } from '../bridge/clock.js';
import { TRANSPORTS, type TransportName } from '../bridge/node/transports.js';
import { installTestHooks } from './test-hooks.js';
import type { BackendChoice } from '../engine/engine.js';
import { ClosedLoop } from '../sim/loop.js';
import { ProgressReward } from '../sim/reward.js';
import { trajectorySvg } from './trajectory.js';
import { startDashboard, type Dashboard } from '../ui/server.js';
import type { Simulation } from '../sim/simulation.js';

export interface RunOptions {
  /** Serve the dashboard on loopback without a token (by default it asks for one, as Jupyter does). */
  dashboardNoToken?: boolean;
  /** An entry of the transport table; none chosen: the memory transport, on an empty graph. */
  transport?: TransportName;
  /** An arena name or file: drive the simulated robot. */
  sim?: string;
  /** With --sim: pace to the wall clock at this real-time factor (0: as fast as possible); without: 1 or 0 only. */
  paced?: number;
  /** With --sim: re-place the arena's random obstacles. */
  seed?: number;
  /** With --sim: where to write the trajectory plot at the end. */
  plot?: string;
  /** With --sim: publish sim/reward.ts's reward (progress without collision) on /reward, for circuits that learn. */
  reward?: boolean;
  backend: BackendChoice;
  threads?: number;
  /** Seconds between status lines; 0 for none. */
  status: number;
  /** Stop after this long (ms): wall time, or simulated time with --sim. Default: until SIGINT or SIGTERM. */
  durationMs?: number;
  /**
   * The dashboard's address (host:port, host, or port); false for none. By default it runs on the
   * transports that leave this process (--ros, --dds) and with --sim, on 127.0.0.1:8765 (a free port
   * if that one is taken), and not on an in-process graph.
   */
  dashboard?: string | false;
  /** Every population's spikes, written to this CSV file (step,population,neuron) when the node stops; kept in memory until then. */
  spikes?: string;
}

/** "host:port", "[v6]:port", "host" or "port". */
export function parseAddress(text: string): { host?: string; port?: number } {
  // A bare IPv6 address (two colons or more, no brackets) is a host.
  if ((text.match(/:/g)?.length ?? 0) > 1 && !text.includes('[')) return { host: text.trim() };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d*))?$/.exec(text.trim());
  const portOnly = /^\d+$/.test(text.trim());
  const host = portOnly ? undefined : (m?.[1] ?? m?.[2]) || undefined;
  const portText = portOnly ? text.trim() : m?.[3];
  const port = portText === undefined || portText === '' ? undefined : Number(portText);
  if (!m && !portOnly) throw new Error(`--dashboard "${text}": expected host:port, host or port`);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new Error(`--dashboard "${text}": port ${portText} is not in 0-65535`);
  return { host, port };
}

/** Starts the dashboard next to a running node; a dashboard that cannot start is reported, never fatal. */
async function openDashboard(node: FluxNode, sim: Simulation | undefined, o: RunOptions, byDefault: boolean): Promise<Dashboard | null> {
  if (o.dashboard === false || (o.dashboard === undefined && !byDefault)) return null;
  try {
    const { host, port } = parseAddress(o.dashboard ?? '');
    const dash = await startDashboard({ node, sim, host, port, noToken: o.dashboardNoToken });
    console.log(
      `flux: dashboard: ${dash.url}${dash.token ? '  (the token is printed only now; it is needed on every address unless --dashboard-no-token on loopback)' : ''}`,
    );
    return dash;
  } catch (e) {
    console.log(`flux: dashboard not started: ${(e as Error).message}`);
    return null;
  }
}

export async function run(bridgeFile: string, rosArgs: string[], o: RunOptions): Promise<void> {
  if (o.sim !== undefined) return runSim(bridgeFile, rosArgs, o);
  if (o.transport === undefined)
    console.log(
      'flux: no transport chosen (--ros for ROS 2, --dds for ROS 2 over DDS without a ROS install, --sim <arena> for the simulated robot): running on an empty in-process graph, so inputs stay stale and outputs publish their safe values',
    );
  // --paced 0: ticks as fast as they run (a benchmark, a partition of a circuit); the wall clock otherwise.
  if (o.paced !== undefined && o.paced !== 0 && o.paced !== 1)
    throw new Error(`--paced ${o.paced}: without --sim a node runs in real time (1) or as fast as it runs (0)`);
  const clock = o.paced === 0 ? new ControlledClock() : undefined;
  clock?.setSpeed('fast');
  const node = await FluxNode.start({
    bridge: bridgeFile,
    transport: o.transport ?? 'memory',
    rosArgs,
    backend: o.backend,
    threads: o.threads,
    clock,
  });
  const dash = await openDashboard(node, undefined, o, o.transport !== undefined && !TRANSPORTS[o.transport].inProcess);
  const spikes = o.spikes ? recordSpikes(node) : null;
  const stop = async () => {
    await dash?.close();
    const summary = await shutdownSummary(node);
    if (spikes && o.spikes) {
      mkdirSync(dirname(o.spikes), { recursive: true });
      writeFileSync(o.spikes, spikes());
    }
    return summary;
  };
  const release = exitOnSignals(stop);
  exitOnFatal(() => node.bridge);
  stopWithLauncher();
  installTestHooks();
  console.log('flux: running; Ctrl-C (SIGINT) or SIGTERM stops it after publishing the safe command');
  const status = statusLines(node, o.status, () => '');
  if (o.durationMs !== undefined) {
    await new Promise((r) => setTimeout(r, o.durationMs));
    release();
    if (status) clearInterval(status);
    console.log(`flux: done after ${(o.durationMs / 1000).toFixed(1)} s: ${await stop()}`);
  }
}

async function runSim(bridgeFile: string, rosArgs: string[], o: RunOptions): Promise<void> {
  const loop = await ClosedLoop.create({ bridge: bridgeFile, arena: o.sim, seed: o.seed, rosArgs, backend: o.backend, threads: o.threads });
  const { sim, node } = loop;
  const reward = o.reward ? new ProgressReward(loop.graph) : null;
  const plot = o.plot ?? 'out/trajectory.svg';
  const pace = o.paced ?? 1;
  console.log(
    `flux: simulated robot in arena "${sim.arena.name}" (${sim.arena.size} m, ${sim.arena.obstacles.length} obstacles, seed ${sim.arena.seed}), ${pace > 0 ? `paced at ${pace}x real time` : 'as fast as it runs'}, lockstep on simulated time${reward ? ', reward on /reward' : ''}`,
  );
  const dash = await openDashboard(node, sim, o, true);
  const finish = async (): Promise<string> => {
    await dash?.close();
    reward?.close();
    await loop.close();
    mkdirSync(dirname(plot), { recursive: true });
    const s = loop.summary();
    writeFileSync(
      plot,
      trajectorySvg(sim.arena, sim.trail(), sim.collisionEvents(), `${node.loaded.circuitFile.split('/').pop()} in ${sim.arena.name}`),
    );
    return `${s.simSeconds.toFixed(1)} s simulated, ${s.distance.toFixed(2)} m driven, ${s.collisions} collisions, closest approach ${(s.minClearance * 100).toFixed(0)} cm; trajectory plot ${plot} (open it in a browser)`;
  };
  const release = exitOnSignals(finish, undefined, 1800);
  exitOnFatal(() => node.bridge);
  installTestHooks();
  console.log(`flux: running; Ctrl-C stops it (safe command, then the trajectory plot in ${plot})`);
  const t0 = performance.now();
  let last = { wall: t0, sim: 0 };
  const status = statusLines(node, o.status, () => {
    const now = performance.now();
    const rtf = (sim.time - last.sim) / ((now - last.wall) / 1000);
    last = { wall: now, sim: sim.time };
    const p = sim.pose();
    const c = sim.commanded();
    const s = loop.summary();
    return `sim ${sim.time.toFixed(1)} s (${rtf.toFixed(1)}x real time), pose (${p.x.toFixed(2)}, ${p.y.toFixed(2)}, ${((p.yaw * 180) / Math.PI).toFixed(0)} deg), cmd ${c.linear.toFixed(2)} m/s ${c.angular.toFixed(2)} rad/s, driven ${s.distance.toFixed(1)} m, collisions ${s.collisions}${reward ? `, mean reward ${reward.mean.toFixed(2)}` : ''}; `;
  });
  if (o.durationMs !== undefined) {
    await loop.runFor(o.durationMs / 1000, { paced: pace > 0 ? pace : false });
    release();
    if (status) clearInterval(status);
    console.log(`flux: done: ${await finish()}`);
  } else await loop.start({ paced: pace > 0 ? pace : false });
}

/** Every population's spikes from now on (the bridge's spike tap), as CSV text when asked. */
function recordSpikes(node: FluxNode): () => string {
  const rows: string[] = ['step,population,neuron'];
  node.bridge.setSpikeTap((t) => {
    for (const [population, s] of t.populations)
      for (let i = 0; i < s.steps.length; i++) rows.push(`${s.steps[i]},${population},${s.indices[i]}`);
  });
  return () => rows.join('\n') + '\n';
}

function statusLines(node: FluxNode, seconds: number, prefix: () => string): NodeJS.Timeout | null {
  if (!(seconds > 0)) return null;
  const t0 = performance.now();
  let last = { ...node.bridge.stats, at: t0 };
  const timer = setInterval(() => {
    const st = node.bridge.stats;
    const now = performance.now();
    const s = (now - last.at) / 1000;
    const per = (k: keyof typeof st) => ((st[k] - last[k]) / s).toFixed(0);
    const stale = node.bridge.staleInputs();
    console.log(
      `flux: t=${((now - t0) / 1000).toFixed(0)}s ${prefix()}ticks ${per('ticks')}/s, overruns ${st.overruns}, published ${per('published')}/s (safe ${per('safePublished')}/s), ` +
        `received ${per('received')}/s, dropped ${st.malformed + st.nonFinite + st.outOfRange}, watchdog ${st.watchdogTrips}${stale.length ? `, stale: ${stale.join(' ')}` : ''}`,
    );
    last = { ...st, at: now };
  }, seconds * 1000);
  timer.unref();
  return timer;
}
