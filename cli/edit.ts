// `flux edit <circuit>`: the IDE on a circuit file, with the engine running it live. A file that does
// not exist yet starts as an empty circuit (written there, so that Save has a file to keep). Its
// bridge document (topics <-> circuit) is <name>.bridge.yaml beside it, or --bridge: while that file
// does not exist the node runs a document that binds nothing, kept in memory; bindings made in the
// page are written to it by Save, with the circuit. Without --sim there is no robot: the node runs on the memory transport and ticks
// on a ControlledClock (the page runs, pauses, steps and resets it). With --sim the simulated robot
// runs beside it in lockstep, and the page binds the circuit to its topics.
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FluxNode, exitOnFatal, exitOnSignals, shutdownSummary } from '../bridge/node/node.js';
import { ControlledClock } from '../bridge/clock.js';
import { loadBridge } from '../bridge/config.js';
import type { BackendChoice } from '../engine/engine.js';
import { ClosedLoop } from '../sim/loop.js';
import { startDashboard, type Dashboard } from '../ui/server.js';
import { defaultBridgeFile, emptyCircuit, startingBridge } from '../ui/new-circuit.js';
import { parseAddress } from './run.js';
import { installTestHooks } from './test-hooks.js';

export interface EditOptions {
  backend: BackendChoice;
  threads?: number;
  /** The page's host:port (default 127.0.0.1:8765, a free port if taken). */
  dashboard?: string;
  dashboardNoToken?: boolean;
  speed: 'realtime' | 'fast';
  /** The bridge document (default: <circuit name>.bridge.yaml beside the circuit; written by Save once something is bound). */
  bridge?: string;
  /** An arena name or file: edit next to the simulated robot (lockstep on simulated time). */
  sim?: string;
  /** With sim: pace to the wall clock at this real-time factor (0: as fast as possible; default 1). */
  paced?: number;
  /** With sim: re-place the arena's random obstacles. */
  seed?: number;
}

/**
 * The bridge document's text while it has no file: the circuit and nothing bound. A document that
 * exists must name this circuit (flux edit edits one circuit; a bridge for another would run that one).
 */
function bridgeStart(bridge: string, circuit: string, robot: boolean): string | undefined {
  if (!existsSync(bridge)) return startingBridge(bridge, circuit);
  const loaded = loadBridge(bridge);
  if (realpathSync(loaded.circuitFile) !== realpathSync(circuit))
    throw new Error(`${bridge} binds ${loaded.circuitFile}, not ${circuit}: give --bridge another file`);
  // Without a robot the page pauses and steps the clock, which would leave a real actuator holding
  // its last command: devices are driven by flux run, not here.
  if (!robot && Object.keys(loaded.devices).length)
    throw new Error(
      `${bridge} declares devices (${Object.keys(loaded.devices).join(', ')}): flux edit without --sim drives no hardware; use flux run ${bridge}, or --bridge another file`,
    );
  return undefined;
}

export async function edit(file: string, o: EditOptions): Promise<void> {
  const circuit = resolve(file);
  if (!existsSync(circuit)) {
    mkdirSync(dirname(circuit), { recursive: true });
    writeFileSync(circuit, emptyCircuit(circuit), { flag: 'wx' });
    console.log(`flux: created ${circuit} (an empty circuit)`);
  }
  const bridge = resolve(o.bridge ?? defaultBridgeFile(circuit));
  const bridgeText = bridgeStart(bridge, circuit, o.sim !== undefined);
  if (o.sim !== undefined) return editWithRobot(circuit, bridge, bridgeText, o);
  const clock = new ControlledClock();
  clock.setSpeed(o.speed);
  const node = await FluxNode.start({ bridge, bridgeText, transport: 'memory', backend: o.backend, threads: o.threads, clock });
  const dash = await serve(node, o, { run: clock }, () => node.shutdown());
  exitOnSignals(async () => {
    await dash.close();
    return shutdownSummary(node);
  });
  exitOnFatal(() => node.bridge);
  installTestHooks();
  console.log(`flux: editing ${circuit}: the engine runs it ${o.speed === 'fast' ? 'as fast as it goes' : 'in real time'}; Ctrl-C stops`);
}

async function serve(
  node: FluxNode,
  o: EditOptions,
  extra: Partial<Parameters<typeof startDashboard>[0]>,
  close: () => Promise<void>,
): Promise<Dashboard> {
  const { host, port } = parseAddress(o.dashboard ?? '');
  let dash: Dashboard;
  try {
    dash = await startDashboard({ node, host, port, noToken: o.dashboardNoToken, ...extra });
  } catch (e) {
    await close();
    throw e;
  }
  console.log(`flux: IDE: ${dash.url}${dash.token ? '  (the token is printed only now; the page needs it)' : ''}`);
  return dash;
}

/** The IDE next to the simulated robot: run control belongs to the simulator's lockstep, not to the page. */
async function editWithRobot(circuit: string, bridge: string, bridgeText: string | undefined, o: EditOptions): Promise<void> {
  const loop = await ClosedLoop.create({ bridge, bridgeText, arena: o.sim, seed: o.seed, backend: o.backend, threads: o.threads });
  const { sim, node } = loop;
  const dash = await serve(node, o, { sim }, () => loop.close());
  const pace = o.paced ?? 1;
  exitOnSignals(async () => {
    await dash.close();
    await loop.close();
    const s = loop.summary();
    return `${s.simSeconds.toFixed(1)} s simulated, ${s.distance.toFixed(2)} m driven, ${s.collisions} collisions`;
  });
  exitOnFatal(() => node.bridge);
  installTestHooks();
  console.log(
    `flux: editing ${circuit} on the simulated robot in arena "${sim.arena.name}" (bridge ${bridge}${bridgeText === undefined ? '' : ', written by Save once something is bound'}), ${pace > 0 ? `paced at ${pace}x real time` : 'as fast as it runs'}; Ctrl-C stops`,
  );
  await loop.start({ paced: pace > 0 ? pace : false });
}
