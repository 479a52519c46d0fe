// The dashboard server, in the Flux process: express serves the page (Preact and htm as ES modules,
// no bundler) and a small JSON API; a WebSocket streams spikes (binary, decimated) and telemetry (JSON,
// ~10 Hz). It talks to the running node only through the node's current engine and bridge (a hot swap
// replaces both) and never blocks the engine: a slow client loses frames, the controller does not wait.
//
// Security: it binds 127.0.0.1 unless told otherwise. Every bind needs a token (random, printed once in
// the URL; Jupyter's rule: any local process could otherwise edit the controller of a robot), on every
// HTTP request (header X-Flux-Token or Authorization: Bearer, ?token=, or the cookie the page gets) and
// on the WebSocket (?token=); only a loopback bind may waive it, when asked to (noToken). Loopback binds
// check the Host header (DNS rebinding) and every bind checks Origin on writes and on the WebSocket.
// Requests over 64 KiB are refused (413), edits beyond 20 per second too (429), a request whose target
// is not a URL gets 400 (it never reaches a handler), and saving writes only the circuit file the node
// opened. Connections, WebSocket clients and the time to send headers are bounded.
import type { ControlledClock } from '../bridge/clock.js';
import { Traces } from './traces.js';
import { RunControl } from './run-control.js';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Simulation } from '../sim/simulation.js';
import { isLoopback, type Bind } from './security.js';
import { EditSession, type RunningNode, type SessionLimits } from './session.js';
import { createApp } from './routes.js';
import { DashboardStream, type StreamLimits } from './dashboard-stream.js';
import { WebSocketUpgrade } from './ws.js';

export const DEFAULT_PORT = 8765;

export interface DashboardLimits extends SessionLimits {
  /** Largest request body (bytes, default 64 KiB): larger ones get 413. */
  bodyBytes?: number;
  /** Edits (edit, undo, save) per second, with a burst of as many (default 20): beyond, 429. */
  editsPerSecond?: number;
  /** Least time between two rebuilds from the page (an element set, a reset), ms (default 1000): each sends a robot its safe command. */
  rebuildIntervalMs?: number;
  /** Bandwidth bound per client (bytes/s, default 256 KiB/s): spike frames beyond it are dropped. */
  clientBytesPerSecond?: number;
  /** A client with more than this queued (bytes, default 1 MiB) gets no frames until it drains. */
  clientBufferBytes?: number;
  /** Raster rows per population (default 128) and spikes per frame (default 4000, fewer when a frame would not fit the bound). */
  rowsPerPopulation?: number;
  spikesPerFrame?: number;
  /** Spike frames and telemetry messages per second (defaults 20 and 10). */
  frameHz?: number;
  telemetryHz?: number;
  /** Open TCP connections (default 256): beyond, new ones are closed at once. */
  connections?: number;
  /** WebSocket clients at once (default 16): beyond, 503. */
  webSocketClients?: number;
}

export interface DashboardOptions {
  /** The running node (a FluxNode, or anything with its engine, bridge and loaded documents). */
  node: RunningNode;
  /** The simulated robot next to the node, for the arena view. */
  sim?: Simulation;
  /** Default 127.0.0.1. Any other address requires a token. */
  host?: string;
  /** Default 8765; 0 for any free port. */
  port?: number;
  /** When the port is taken, take a free one instead of failing (default: when no port was given). */
  fallback?: boolean;
  /** The token (default: 24 random bytes, base64url). Required on every bind unless noToken. */
  token?: string;
  /** Serve without a token: on a loopback bind only (anything else throws). Any local process can then edit and save. */
  noToken?: boolean;
  /** @deprecated the token is required by default now; kept so older callers still compile. */
  requireToken?: boolean;
  limits?: DashboardLimits;
  /** The clock the node ticks on when the page controls the run (flux edit: no robot): run, pause, step, reset, speed. */
  run?: ControlledClock;
}

export interface Dashboard {
  readonly host: string;
  readonly port: number;
  /** The page's address (with ?token= when a token is required). */
  readonly url: string;
  readonly token: string | null;
  readonly session: EditSession;
  /** Bytes and frames sent and dropped, over all clients so far. */
  stats(): { clients: number; bytesSent: number; framesSent: number; framesDropped: number; telemetrySent: number };
  close(): Promise<void>;
}

/** The repository (or installed package) root: dist/ui/web holds the compiled browser code. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'flux-ans') return dir;
    dir = dirname(dir);
  }
  throw new Error('dashboard: cannot find the Flux package root');
}

/** The compiled browser code (tsc -p ui/tsconfig.json). */
export function webDir(): string {
  return join(packageRoot(), 'dist', 'ui', 'web');
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The stream's bounds from the dashboard's limits, with their defaults. */
function streamLimits(limits: DashboardLimits): StreamLimits {
  return {
    clientBytesPerSecond: limits.clientBytesPerSecond ?? 256 * 1024,
    clientBufferBytes: limits.clientBufferBytes ?? 1024 * 1024,
    frameHz: limits.frameHz ?? 20,
    telemetryHz: limits.telemetryHz ?? 10,
    rowsPerPopulation: limits.rowsPerPopulation ?? 128,
    spikesPerFrame: limits.spikesPerFrame ?? 4000,
  };
}

/** The address and token of a bind; serving without a token is for loopback only. */
function bindOf(options: DashboardOptions): Bind {
  const host = options.host ?? '127.0.0.1';
  if (options.noToken && !isLoopback(host))
    throw new Error(`dashboard: serving without a token is allowed on loopback only, not on ${host}`);
  return { host, token: options.noToken ? null : (options.token ?? randomBytes(24).toString('base64url')) };
}

/** Listens on the port asked for; when it is taken and falling back is allowed, on a free one. Returns the port. */
async function listenFallback(server: Server, options: DashboardOptions, host: string): Promise<number> {
  const port = options.port ?? DEFAULT_PORT;
  try {
    await listen(server, host, port);
  } catch (e) {
    const fallback = options.fallback ?? options.port === undefined;
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !fallback || port === 0)
      throw new Error(`dashboard: cannot listen on ${host}:${port}: ${(e as Error).message}`, { cause: e });
    await listen(server, host, 0);
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`dashboard: ${host}:${port} is not a TCP address`);
  return address.port;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { node, sim } = options;
  const limits = options.limits ?? {};
  const bind = bindOf(options);
  const { host, token } = bind;
  const session = new EditSession(node, limits);
  const web = webDir();
  if (!existsSync(join(web, 'main.js')))
    throw new Error(`dashboard: the browser code is not built (${web}/main.js is missing): run npm run build`);
  const run = options.run ? new RunControl(options.run, node, () => session.circuitFile) : undefined;
  const traces = new Traces(node);
  const streaming = streamLimits(limits);
  const stream = new DashboardStream(node, session, sim, streaming, run, traces);
  const sockets = new WebSocketUpgrade(stream, bind, limits.webSocketClients ?? 16);
  const app = createApp({
    bind,
    node,
    session,
    run,
    traces,
    web,
    // Hardware is driven by flux run, not by flux edit (run control) nor beside the simulated robot.
    devices: !run && !sim,
    status: () => stream.status(),
    bodyBytes: limits.bodyBytes ?? 64 * 1024,
    editsPerSecond: limits.editsPerSecond ?? 20,
    rebuildIntervalMs: limits.rebuildIntervalMs ?? 1000,
  });

  // Slow clients (a byte every so often) are cut after 10 s, checked every second, not Node's 30.
  const server = createServer({ connectionsCheckingInterval: 1000, headersTimeout: 10_000, requestTimeout: 10_000 }, app);
  server.maxConnections = limits.connections ?? 256;
  server.keepAliveTimeout = 5000;
  server.on('upgrade', (req, socket, head: Buffer) => sockets.upgrade(req, socket, head));
  stream.start();

  let port: number;
  try {
    port = await listenFallback(server, options, host);
  } catch (e) {
    stream.stopTimers();
    throw e;
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;

  let closed = false;
  return {
    host,
    port,
    url,
    token,
    session,
    stats: () => stream.stats(),
    async close() {
      if (closed) return;
      closed = true;
      stream.close();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
