/// <reference types="vite/client" />
// The IDE in a browser tab (issue 21): the dashboard `flux edit` serves, with the engine, the bridge
// and (for a bridge document) the simulated robot running in this page. It is the same IDE: the same
// browser code (ui/web), the same route table (ui/api.ts) and the same stream (ui/dashboard-stream.ts)
// as in a Flux process, reached in the page instead of over HTTP (page-connection.ts). What it opens
// comes from the address as on the run page (request.ts). Save writes to the page's documents; Share
// makes a link that carries them.
import kernelsUrl from '../dist/engine/backends/wasm/kernels.wasm?url';
import { pageDocuments, provideFiles } from '../engine/platform/browser-host.js';
import { recordDocuments, type DocumentsRead } from '../engine/platform/host.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { isBridgeDocument, loadBridge } from '../bridge/config.js';
import { ControlledClock } from '../bridge/clock.js';
import { FluxNode } from '../bridge/node/node.js';
import { ClosedLoop } from '../sim/loop.js';
import type { SharedRun } from '../sharing/link.js';
import { PAGE_LIMITS, checkBridgeForPage, checkCircuitSize } from '../sharing/page-limits.js';
import { apiRoutes, type ApiRequest } from '../ui/api.js';
import { DashboardStream } from '../ui/dashboard-stream.js';
import { EditSession, type RunningNode } from '../ui/session.js';
import { RunControl } from '../ui/run-control.js';
import { Traces } from '../ui/traces.js';
import { defaultBridgeFile, emptyCircuit, startingBridge } from '../ui/new-circuit.js';
import { mountDashboard } from '../ui/web/app.js';
import { ApiError, useConnection } from '../ui/web/live.js';
import { CSS } from '../ui/web/styles.js';
import { provideEngineAssets } from './assets.js';
import { shippedDocuments } from './documents.js';
import { pageConnection } from './page-connection.js';
import { showProblem, showShareLink } from './page-ui.js';
import { requested, requestedEngine } from './request.js';
import { arenaPath } from './robot-run.js';

const $ = (id: string) => document.getElementById(id)!;

/** What the page opened: the node the IDE edits, and how it ends. */
interface Opened {
  node: RunningNode;
  loop?: ClosedLoop;
  run?: RunControl;
  /** The IDE's session, once it is started. */
  session?: EditSession;
  close(): Promise<void>;
}

/** A bridge document: its circuit drives the simulated robot in lockstep, paced to real time (flux edit --sim). */
async function withRobot(asked: SharedRun): Promise<Opened> {
  checkBridgeForPage(asked.document);
  const loop = await ClosedLoop.create({
    bridge: asked.document,
    arena: arenaPath(asked.arena ?? 'default'),
    seed: asked.seed,
    ...requestedEngine(location.search),
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
  const held = pageDocuments().has(bridge);
  // One the page holds (a link carried it, or Save wrote it) is checked as any bridge document the page
  // opens, and must bind this circuit (flux edit's rule): the node builds what the bridge names.
  if (held) {
    checkBridgeForPage(bridge);
    const names = loadBridge(bridge).circuitFile;
    if (names !== asked.document)
      throw new CircuitError([{ file: bridge, path: '/circuit', message: `binds ${names}, not ${asked.document}` }]);
  }
  const bridgeText = held ? undefined : startingBridge(bridge, asked.document);
  const node = await FluxNode.start({
    bridge,
    bridgeText,
    transport: 'memory',
    ...requestedEngine(location.search),
    clock,
    log: (l) => console.log(l),
  });
  const run = new RunControl(clock, node, () => node.loaded.circuitFile);
  return { node, run, close: () => node.shutdown() };
}

/** Documents read through the host while the IDE runs (what Share carries), with pauses. */
class ReadDocuments {
  private readonly paths = new Set<string>();
  private stop: (() => DocumentsRead) | null = recordDocuments();

  /** Runs `fn` without recording what it reads (the component browser's listing reads every package). */
  async unrecorded<T>(fn: () => T | Promise<T>): Promise<T> {
    this.pause();
    try {
      return await fn();
    } finally {
      this.stop ??= recordDocuments();
    }
  }

  all(): Set<string> {
    this.pause();
    this.stop = recordDocuments();
    return this.paths;
  }

  private pause(): void {
    if (this.stop) for (const path of this.stop().documents.keys()) this.paths.add(path);
    this.stop = null;
  }
}

/** The page's answer to a refused request or a telemetry hiccup is in the IDE; only these end a run. */
function isFatal(e: unknown): boolean {
  // An ErrorEvent without an error (a ResizeObserver loop, a cross-origin script) is the browser's notice, not a failure.
  return e !== null && e !== undefined && !(e instanceof ApiError);
}

async function main(): Promise<void> {
  document.head.append(Object.assign(document.createElement('style'), { textContent: CSS }));
  // The plain run of what this page opens.
  ($('plain') as HTMLAnchorElement).href = `./run.html${location.search}${location.hash}`;
  await provideEngineAssets(kernelsUrl);
  provideFiles(shippedDocuments());
  const asked = await requested(location);
  provideFiles(asked.documents);
  // A circuit the page does not have yet starts empty, there (flux edit's rule): the IDE builds it.
  const created = !pageDocuments().has(asked.document) && /\.(ya?ml|json)$/i.test(asked.document);
  if (created) provideFiles({ [asked.document]: emptyCircuit(asked.document) });
  const read = new ReadDocuments();
  const opened = isBridgeDocument(asked.document) ? await withRobot(asked) : await circuitAlone(asked);
  let stopAll: (why: unknown) => Promise<void>;
  try {
    stopAll = startIde(opened, read);
  } catch (e) {
    // Nothing half-started keeps running while the page says it failed.
    await opened.close().catch(() => undefined);
    throw e;
  }
  const { loop } = opened;
  const where = loop ? `, driving the simulated robot in ${loop.sim.arena.name}` : created ? ' (a new, empty circuit)' : '';
  $('what').textContent = `${asked.document}${where}: the engine runs in this page.`;
  document.body.dataset.status = 'running';
  // A failure anywhere in the page (also on a later turn) ends the run: the loop closes, the node
  // publishes its safe command, and the page says why.
  addEventListener('error', (e) => isFatal(e.error) && void stopAll(e.error));
  addEventListener('unhandledrejection', (e) => isFatal(e.reason) && void stopAll(e.reason));
  const share = $('share') as HTMLButtonElement;
  share.disabled = false;
  share.onclick = () => void shareLink(asked, opened, read.all());
  if (loop) await loop.start({ paced: 1 }).catch((e: unknown) => stopAll(e));
}

/** The IDE on an opened node: session, traces, stream, routes, the connection and the page; returns how to stop it all. */
function startIde(opened: Opened, read: ReadDocuments): (why: unknown) => Promise<void> {
  const { node, loop } = opened;
  // A page's live additions stay within what it would open (sharing/page-limits.ts).
  const session = new EditSession(node, { totalNeurons: PAGE_LIMITS.neurons, totalSynapses: PAGE_LIMITS.synapses });
  opened.session = session;
  const traces = new Traces(node);
  // The bounds a Flux process gives each client (ui/server.ts): the IDE draws the same.
  const limits = {
    clientBytesPerSecond: 256 * 1024,
    clientBufferBytes: 1024 * 1024,
    frameHz: 20,
    telemetryHz: 10,
    rowsPerPopulation: 128,
    spikesPerFrame: 4000,
  };
  const stream = new DashboardStream(node, session, loop?.sim, limits, opened.run, traces);
  stream.start();
  const routes = apiRoutes({
    node,
    session,
    traces,
    run: opened.run,
    devices: false,
    status: () => stream.status(),
    rebuildIntervalMs: 1000,
  }).map((r) => (r.path === '/api/packages' ? { ...r, handle: (q: ApiRequest) => read.unrecorded(() => r.handle(q)) } : r));
  const connection = pageConnection(routes, stream);
  useConnection(connection);
  mountDashboard($('app'));
  let stopped = false;
  return async (why) => {
    if (stopped) return;
    stopped = true;
    connection.end();
    stream.close();
    await opened.close().catch(() => undefined);
    // What the robot was last commanded, once the node has ended (its safe command): for the person and the test.
    if (loop) document.body.dataset.commanded = JSON.stringify(loop.sim.commanded());
    showProblem(why, true);
  };
}

/**
 * Share: a link carrying every document the IDE read, as the page holds them now (with what Save
 * wrote), opening what runs now (after New circuit: the new one).
 */
function shareLink(asked: SharedRun, opened: Opened, read: Set<string>): Promise<void> {
  const docs = pageDocuments();
  const documents = Object.fromEntries([...read].flatMap((p) => (docs.has(p) ? [[p, docs.get(p)!]] : [])));
  const document = opened.loop ? (opened.node.bridgeDocument?.().file ?? asked.document) : (opened.session?.circuitFile ?? asked.document);
  // A document of this run the page has not saved (a bridge document kept in memory) rides along as it runs.
  const current = opened.node.bridgeDocument?.();
  if (current && !Object.hasOwn(documents, current.file) && opened.loop) documents[current.file] = current.text;
  const unsaved = opened.session?.unsaved() ?? [];
  return showShareLink({ ...asked, document }, documents, unsaved.length ? `Not in the link (not saved): ${unsaved.join(', ')}.` : '');
}

main().catch((e: unknown) => showProblem(e));
