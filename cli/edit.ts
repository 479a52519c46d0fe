// `flux edit <circuit>`: the IDE on a circuit file, with the engine running it live and no robot. A
// file that does not exist yet starts as an empty circuit (written there, so that Save has a file to
// keep). The node runs on the memory transport with a bridge document of its own that binds no topics
// (never written to disk), and ticks on a ControlledClock: the page runs, pauses, steps and resets it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FluxNode, exitOnFatal, exitOnSignals, shutdownSummary } from '../bridge/node/node.js';
import { ControlledClock } from '../bridge/clock.js';
import type { BackendChoice } from '../engine/engine.js';
import { startDashboard } from '../ui/server.js';
import { parseAddress } from './run.js';
import { installTestHooks } from './test-hooks.js';

export interface EditOptions {
  backend: BackendChoice;
  threads?: number;
  /** The page's host:port (default 127.0.0.1:8765, a free port if taken). */
  dashboard?: string;
  dashboardNoToken?: boolean;
  speed: 'realtime' | 'fast';
}

/** The document an absent circuit file starts as: a name and a step, nothing else. */
export function emptyCircuit(file: string): string {
  const name = basename(file).replace(/\.(ya?ml|json)$/i, '') || 'circuit';
  if (/\.json$/i.test(file)) return `${JSON.stringify({ name, dt: '0.1 ms', populations: {} }, null, 2)}\n`;
  return `# A circuit made in the Flux IDE (flux edit)\nname: ${JSON.stringify(name)}\ndt: 0.1 ms\npopulations: {}\n`;
}

export async function edit(file: string, o: EditOptions): Promise<void> {
  const circuit = resolve(file);
  if (!existsSync(circuit)) {
    mkdirSync(dirname(circuit), { recursive: true });
    writeFileSync(circuit, emptyCircuit(circuit), { flag: 'wx' });
    console.log(`flux: created ${circuit} (an empty circuit)`);
  }
  const clock = new ControlledClock();
  clock.setSpeed(o.speed);
  const node = await FluxNode.start({
    // Beside the circuit, so that its relative paths resolve as from any bridge document there.
    bridge: join(dirname(circuit), `.${basename(circuit)}.flux-edit.yaml`),
    bridgeText: `circuit: ${JSON.stringify(`./${basename(circuit)}`)}\n`,
    transport: 'memory',
    backend: o.backend,
    threads: o.threads,
    clock,
  });
  const { host, port } = parseAddress(o.dashboard ?? '');
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dash = await startDashboard({ node, host, port, noToken: o.dashboardNoToken, run: clock });
  } catch (e) {
    await node.shutdown();
    throw e;
  }
  console.log(`flux: IDE: ${dash.url}${dash.token ? '  (the token is printed only now; the page needs it)' : ''}`);
  exitOnSignals(async () => {
    await dash.close();
    return shutdownSummary(node);
  });
  exitOnFatal(() => node.bridge);
  installTestHooks();
  console.log(`flux: editing ${circuit}: the engine runs it ${o.speed === 'fast' ? 'as fast as it goes' : 'in real time'}; Ctrl-C stops`);
}
