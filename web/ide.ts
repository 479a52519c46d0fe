/// <reference types="vite/client" />
// The IDE in a browser tab (issue 21): the dashboard `flux edit` serves, with the engine, the bridge
// and (for a bridge document) the simulated robot running in this page. It is the same IDE: the same
// browser code (ui/web), the same route table (ui/api.ts) and the same stream (ui/dashboard-stream.ts)
// as in a Flux process, reached in the page instead of over HTTP (page-connection.ts). What it opens
// comes from the address as on the run page (request.ts). Save writes to the page's documents; Share
// makes a link that carries them.
import kernelsUrl from '../dist/engine/backends/wasm/kernels.wasm?url';
import { pageDocuments, provideFiles } from '../engine/platform/browser-host.js';
import { recordDocuments } from '../engine/platform/host.js';
import { isBridgeDocument } from '../bridge/config.js';
import { ControlledClock } from '../bridge/clock.js';
import { FluxNode } from '../bridge/node/node.js';
import { ClosedLoop } from '../sim/loop.js';
import type { SharedRun } from '../sharing/link.js';
import { checkBridgeForPage, checkCircuitSize } from '../sharing/page-limits.js';
import { apiRoutes } from '../ui/api.js';
import { DashboardStream } from '../ui/dashboard-stream.js';
import { EditSession, type RunningNode } from '../ui/session.js';
import { RunControl } from '../ui/run-control.js';
import { Traces } from '../ui/traces.js';
import { defaultBridgeFile, emptyCircuit, startingBridge } from '../ui/new-circuit.js';
import { mountDashboard } from '../ui/web/app.js';
import { useConnection } from '../ui/web/live.js';
import { CSS } from '../ui/web/styles.js';
import { provideEngineAssets } from './assets.js';
import { shippedDocuments } from './documents.js';
import { pageConnection } from './page-connection.js';
import { showProblem, showShareLink } from './page-ui.js';
import { requested } from './request.js';
import { arenaPath } from './robot-run.js';

const $ = (id: string) => document.getElementById(id)!;

/** What the page opened: the node the IDE edits, and how it ends. */
interface Opened {
  node: RunningNode;
  loop?: ClosedLoop;
  run?: RunControl;
  close(): Promise<void>;
}

/** A bridge document: its circuit drives the simulated robot in lockstep, paced to real time (flux edit --sim). */
async function withRobot(asked: SharedRun): Promise<Opened> {
  checkBridgeForPage(asked.document);
  // The CPU (WebAssembly): see web/robot-run.ts.
  const loop = await ClosedLoop.create({
    bridge: asked.document,
    arena: arenaPath(asked.arena ?? 'default'),
    seed: asked.seed,
    backend: 'cpu',
    log: (l) => console.log(l),
  });
  return { node: loop.node, loop, close: () => loop.close() };
}

/**
 * A circuit: it runs on a clock the page controls (run, pause, step, reset, speed), with a bridge
 * document beside it that binds nothing until the page binds something (flux edit without --sim).
 */
async function circuitAlone(asked: SharedRun): Promise<Opened> {
  checkCircuitSize(asked.document);
  const clock = new ControlledClock();
  const bridge = defaultBridgeFile(asked.document);
  const bridgeText = pageDocuments().has(bridge) ? undefined : startingBridge(bridge, asked.document);
  const node = await FluxNode.start({ bridge, bridgeText, transport: 'memory', backend: 'cpu', clock, log: (l) => console.log(l) });
  const run = new RunControl(clock, node, () => node.loaded.circuitFile);
  return { node, run, close: () => node.shutdown() };
}

async function main(): Promise<void> {
  document.head.append(Object.assign(document.createElement('style'), { textContent: CSS }));
  await provideEngineAssets(kernelsUrl);
  provideFiles(shippedDocuments());
  const asked = await requested(location);
  provideFiles(asked.documents);
  // A circuit the page does not have yet starts empty, there (flux edit's rule): the IDE builds it.
  const created = !pageDocuments().has(asked.document) && /\.(ya?ml|json)$/i.test(asked.document);
  if (created) provideFiles({ [asked.document]: emptyCircuit(asked.document) });
  // What the IDE reads while it runs (documents, packages, arena): what Share carries, as saved.
  const read = new Set<string>();
  let stopRecording = recordDocuments();
  const opened = isBridgeDocument(asked.document) ? await withRobot(asked) : await circuitAlone(asked);
  const { node, loop } = opened;
  const session = new EditSession(node);
  const traces = new Traces(node);
  const stream = new DashboardStream(
    node,
    session,
    loop?.sim,
    // The bounds a Flux process gives each client (ui/server.ts): the IDE draws the same.
    {
      clientBytesPerSecond: 256 * 1024,
      clientBufferBytes: 1024 * 1024,
      frameHz: 20,
      telemetryHz: 10,
      rowsPerPopulation: 128,
      spikesPerFrame: 4000,
      webSocketClients: 1,
    },
    opened.run,
    traces,
  );
  stream.start();
  const routes = apiRoutes({
    node,
    session,
    traces,
    run: opened.run,
    devices: false,
    status: () => stream.status(),
    rebuildIntervalMs: 1000,
  });
  useConnection(pageConnection(routes, stream));
  mountDashboard($('app'));
  const where = loop ? `, driving the simulated robot in ${loop.sim.arena.name}` : created ? ' (a new, empty circuit)' : '';
  $('what').textContent = `${asked.document}${where}: the engine runs in this page.`;
  document.body.dataset.status = 'running';

  let stopped = false;
  const stopAll = async (why: unknown) => {
    if (stopped) return;
    stopped = true;
    stream.close();
    await opened.close().catch(() => undefined);
    // What the robot was last commanded, once the node has ended (its safe command): for the person and the test.
    if (loop) document.body.dataset.commanded = JSON.stringify(loop.sim.commanded());
    showProblem(why, true);
  };
  // A failure anywhere in the page (also on a later turn) ends the run: the loop closes, the node
  // publishes its safe command, and the page says why.
  addEventListener('error', (e) => void stopAll(e.error));
  addEventListener('unhandledrejection', (e) => void stopAll(e.reason));

  const share = $('share') as HTMLButtonElement;
  share.disabled = false;
  share.onclick = () => {
    for (const path of stopRecording().documents.keys()) read.add(path);
    stopRecording = recordDocuments();
    void shareLink(asked, read, session.unsaved());
  };
  if (loop) await loop.start({ paced: 1 }).catch((e: unknown) => stopAll(e));
}

/** Share: a link carrying every document the IDE read, as the page holds them now (with what Save wrote). */
function shareLink(asked: SharedRun, read: Set<string>, unsaved: string[]): Promise<void> {
  const docs = pageDocuments();
  const documents = Object.fromEntries([...read].flatMap((p) => (docs.has(p) ? [[p, docs.get(p)!]] : [])));
  return showShareLink(asked, documents, unsaved.length ? `Not in the link (not saved): ${unsaved.join(', ')}.` : '');
}

main().catch((e: unknown) => showProblem(e));
