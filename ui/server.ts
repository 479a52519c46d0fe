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
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bridge } from '../bridge/bridge.js';
import type { Simulation } from '../sim/simulation.js';
import type { Edit } from '../engine/engine.js';
import type { NodeSpec } from '../extensions/host.js';
import { installedCircuits } from '../sharing/packages.js';
import { requestTarget } from './security.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { EditSession, RefusedEdit, SaveError, type RunningNode, type SessionLimits } from './session.js';
import { ClientBudget, SpikeFrames } from './stream.js';
import { CSP, pageHtml } from './page.js';

export const DEFAULT_PORT = 8765;

export interface DashboardLimits extends SessionLimits {
  /** Largest request body (bytes, default 64 KiB): larger ones get 413. */
  bodyBytes?: number;
  /** Edits (edit, undo, save) per second, with a burst of as many (default 20): beyond, 429. */
  editsPerSecond?: number;
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

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The repository (or installed package) root: dist/ui/web holds the compiled browser code. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'flux-ans') return dir;
    dir = dirname(dir);
  }
  throw new Error('dashboard: cannot find the Flux package root');
}

/** The folder of an installed package (from its resolved entry). */
function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`dashboard: cannot find package ${name}`);
    dir = up;
  }
  return dir;
}

/** The compiled browser code (tsc -p ui/tsconfig.json). */
export function webDir(): string {
  return join(packageRoot(), 'dist', 'ui', 'web');
}

interface Client {
  ws: WebSocket;
  budget: ClientBudget;
  /** Simulated time of the last trail point sent. */
  trailTime: number;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
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

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { node, sim } = options;
  const host = options.host ?? '127.0.0.1';
  const limits = options.limits ?? {};
  const bodyBytes = limits.bodyBytes ?? 64 * 1024;
  const editsPerSecond = limits.editsPerSecond ?? 20;
  const clientBytesPerSecond = limits.clientBytesPerSecond ?? 256 * 1024;
  const clientBufferBytes = limits.clientBufferBytes ?? 1024 * 1024;
  const frameHz = limits.frameHz ?? 20;
  const telemetryHz = limits.telemetryHz ?? 10;
  const loopback = isLoopback(host);
  if (options.noToken && !loopback) throw new Error(`dashboard: serving without a token is allowed on loopback only, not on ${host}`);
  const token = options.noToken ? null : (options.token ?? randomBytes(24).toString('base64url'));
  const session = new EditSession(node, limits);
  // A frame must fit a client's share of the bound (with a quarter left for telemetry), or it could never be sent.
  const fitting = Math.floor(((clientBytesPerSecond * 0.75) / frameHz - 20 - 12 * 64) / 4);
  const frames = new SpikeFrames(limits.rowsPerPopulation ?? 128, Math.max(64, Math.min(limits.spikesPerFrame ?? 4000, fitting)));
  const clients = new Set<Client>();
  const totals = { bytesSent: 0, framesSent: 0, framesDropped: 0, telemetrySent: 0 };
  const web = webDir();
  if (!existsSync(join(web, 'main.js'))) throw new Error(`dashboard: the browser code is not built (${web}/main.js is missing): run npm run build`);

  // ---- HTTP ------------------------------------------------------------------------------------
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  let port = options.port ?? DEFAULT_PORT;

  const allowedHost = (h: string | undefined): boolean => {
    if (!loopback) return true; // the token guards it
    if (!h) return false;
    const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0];
    return isLoopback(name) || name === host;
  };
  const sameOrigin = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };
  const authorized = (req: IncomingMessage, query: URLSearchParams): boolean => {
    if (token === null) return true;
    const auth = req.headers.authorization;
    const given = (req.headers['x-flux-token'] as string | undefined) ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ?? query.get('token') ?? cookie(req, 'flux_token');
    return sameToken(given ?? undefined, token);
  };

  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const target = requestTarget(req.url);
    if (!target) return void res.status(400).json({ error: 'the request target is not a path' });
    if (!allowedHost(req.headers.host)) return void res.status(403).json({ error: `unexpected Host ${JSON.stringify(String(req.headers.host).slice(0, 100))}: the dashboard answers on ${host} only` });
    const query = target.searchParams;
    if (!authorized(req, query)) return void res.status(401).json({ error: 'this dashboard needs its token: ?token=..., header X-Flux-Token or Authorization: Bearer' });
    // The page was opened with ?token=: later requests (scripts, modules) carry it as a cookie.
    if (token !== null && sameToken(query.get('token') ?? undefined, token)) res.setHeader('Set-Cookie', `flux_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    next();
  });

  // Writes: same origin only, JSON only, bounded size, bounded rate.
  let bucket = editsPerSecond;
  let bucketAt = performance.now();
  const guardWrite = (req: Request, res: Response, next: NextFunction) => {
    if (!sameOrigin(req)) return void res.status(403).json({ error: 'cross-origin request refused' });
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > bodyBytes) {
      res.setHeader('Connection', 'close');
      return void res.status(413).json({ error: `request body over ${bodyBytes} bytes` });
    }
    const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) return void res.status(415).json({ error: 'send JSON (Content-Type: application/json)' });
    const now = performance.now();
    bucket = Math.min(editsPerSecond, bucket + ((now - bucketAt) / 1000) * editsPerSecond);
    bucketAt = now;
    if (bucket < 1) {
      res.setHeader('Retry-After', '1');
      return void res.status(429).json({ error: `more than ${editsPerSecond} edits per second` });
    }
    bucket -= 1;
    next();
  };
  const json = express.json({ limit: bodyBytes, type: 'application/json' });

  app.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', CSP);
    res.type('html').send(pageHtml());
  });
  app.use('/app', express.static(web, { index: false, fallthrough: false }));
  app.use('/vendor/preact', express.static(packageDir('preact'), { index: false, fallthrough: false }));
  app.use('/vendor/htm', express.static(packageDir('htm'), { index: false, fallthrough: false }));

  app.get('/api/circuit', (_req, res) => void res.json(session.view()));
  app.get('/api/status', (_req, res) => {
    // The last sample when clients keep it fresh; else a new one.
    if (!lastSample || performance.now() - lastSampleAt > 500) (lastSample = sample()), (lastSampleAt = performance.now());
    const { type: _t, ...status } = lastSample;
    res.json(status);
  });

  // One edit at a time, in arrival order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  };

  app.post('/api/edit', guardWrite, json, async (req, res) => {
    const edit = req.body as Edit;
    try {
      const { result, notes } = await serial(() => session.apply(edit));
      res.json({ ok: true, result, notes, version: session.version });
    } catch (e) {
      if (e instanceof CircuitError) return void res.status(400).json({ error: e.message, issues: e.issues });
      if (e instanceof RefusedEdit) return void res.status(e.status).json({ error: e.message });
      res.status(400).json({ error: (e as Error).message });
    }
  });

  // Extension nodes, live: { op: 'add', node: {name, type, options, in, rateHz?, isolate?} } |
  // { op: 'remove', name } | { op: 'reconfigure', name, options }. Applied between two ticks; a refused
  // change (bad options, unknown type, a node still read by another) changes nothing.
  app.get('/api/extensions', (_req, res) => void res.json(node.bridge.host?.status() ?? []));
  app.post('/api/extensions', guardWrite, json, async (req, res) => {
    const host = node.bridge.host;
    // No body, or JSON that is not an object, is a request with no fields (refused below), not a crash.
    const b = (req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as { op?: string; node?: NodeSpec; name?: string; options?: Record<string, unknown> };
    if (!host) return void res.status(409).json({ error: 'this bridge runs no extension host (its document declares no extensions)' });
    // From the browser only compute nodes are added or reconfigured: inputs and outputs reach files,
    // devices and topics (a recorder's path, an actuator), which belong in the document. Whether a
    // node is isolated is the document's and the registry's choice, never a request's.
    const kindOf = (type: unknown) => (typeof type === 'string' && type ? host.kindOf(type) : undefined);
    const target = b.op === 'add' ? b.node?.type : b.op === 'reconfigure' ? host.status().find((n) => n.name === b.name)?.type : undefined;
    if ((b.op === 'add' || b.op === 'reconfigure') && target !== undefined && kindOf(target) !== undefined && kindOf(target) !== 'compute')
      return void res.status(403).json({ error: `the dashboard adds and reconfigures compute nodes only; ${target} is an ${kindOf(target)} extension: declare it in the bridge document` });
    try {
      // The host's operations are safe between any two ticks (a node joins the tick once started),
      // so a worker that takes a second to start never holds the engine.
      await serial(() =>
        b.op === 'add' && b.node
          ? host.add({ name: b.node.name, type: b.node.type, options: b.node.options ?? {}, in: b.node.in ?? {}, ...(b.node.rateHz ? { rateHz: b.node.rateHz } : {}) })
          : b.op === 'remove' && b.name
            ? host.remove(b.name)
            : b.op === 'reconfigure' && b.name && b.options
              ? host.reconfigure(b.name, b.options)
              : Promise.reject(new Error('expected {op: add, node} | {op: remove, name} | {op: reconfigure, name, options}')),
      );
      res.json({ ok: true, extensions: host.status() });
    } catch (e) {
      res.status(400).json({ error: (e as Error).message });
    }
  });

  // The component browser: circuits of the Flux packages installed where the circuit file can see
  // them, and inserting one as a module (through the file and a rebuild: see EditSession.insertModule).
  app.get('/api/packages', (_req, res) => void res.json(installedCircuits(dirname(session.circuitFile))));
  app.post('/api/insert', guardWrite, json, async (req, res) => {
    const b = (req.body ?? {}) as { module?: unknown; package?: unknown; circuit?: unknown; prefix?: unknown; version?: unknown };
    // By the listing's id: "<package>/<circuit>", or the two apart. Never a path.
    const module = b.module ?? (typeof b.package === 'string' && typeof b.circuit === 'string' ? `${b.package}/${b.circuit}` : undefined);
    try {
      const r = await serial(() => session.insertModule(module as string, b.prefix as string, b.version as string | undefined));
      res.json({ ok: true, ...r });
    } catch (e) {
      if (e instanceof CircuitError) return void res.status(400).json({ error: e.message, issues: e.issues });
      if (e instanceof RefusedEdit) return void res.status(e.status).json({ error: e.message });
      res.status(400).json({ error: (e as Error).message });
    }
  });

  app.post('/api/undo', guardWrite, json, async (_req, res) => {
    try {
      const r = await serial(() => session.undo());
      if (!r) return void res.status(409).json({ error: 'nothing to undo' });
      res.json({ ok: true, ...r, version: session.version });
    } catch (e) {
      res.status(409).json({ error: e instanceof CircuitError ? e.message : (e as Error).message });
    }
  });

  app.post('/api/save', guardWrite, json, async (req, res) => {
    const path = (req.body as { path?: unknown } | undefined)?.path;
    if (path !== undefined && (typeof path !== 'string' || !session.isCircuitFile(resolve(path))))
      return void res.status(403).json({ error: `the dashboard saves only the opened circuit file (${session.circuitFile})` });
    try {
      const plan = await serial(async () => session.save());
      res.json({ ok: true, file: plan.file, changed: plan.changed });
    } catch (e) {
      if (e instanceof SaveError) return void res.status(409).json({ error: e.message });
      throw e;
    }
  });

  app.use('/api', (_req, res) => void res.status(404).json({ error: 'no such API' }));

  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    if (status === 413) res.setHeader('Connection', 'close');
    res.status(status).json({ error: err.type === 'entity.too.large' ? `request body over ${bodyBytes} bytes` : status === 404 ? 'not found' : err.message });
  });

  // Slow clients (a byte every so often) are cut after 10 s, checked every second, not Node's 30.
  const server = createServer({ connectionsCheckingInterval: 1000, headersTimeout: 10_000, requestTimeout: 10_000 }, app);
  server.maxConnections = limits.connections ?? 256;
  server.keepAliveTimeout = 5000;

  // ---- WebSocket ---------------------------------------------------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const refuse = (socket: Duplex, code: number, text: string) => {
    if (socket.writable) socket.write(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };
  const maxSockets = limits.webSocketClients ?? 16;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A socket that errors after we let go of it must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    try {
      const url = requestTarget(req.url);
      if (!url) return refuse(socket, 400, 'Bad Request');
      if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found');
      if (!allowedHost(req.headers.host) || !sameOrigin(req)) return refuse(socket, 403, 'Forbidden');
      // The WebSocket takes the token from the query only (a cookie would ride along with cross-site attempts).
      if (token !== null && !sameToken(url.searchParams.get('token') ?? undefined, token)) return refuse(socket, 401, 'Unauthorized');
      if (clients.size >= maxSockets) return refuse(socket, 503, 'Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      // Whatever a request holds, it gets an answer and the process goes on.
      refuse(socket, 400, 'Bad Request');
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    const client: Client = { ws, budget: new ClientBudget(clientBytesPerSecond, clientBufferBytes), trailTime: -Infinity };
    clients.add(client);
    ws.on('close', () => {
      clients.delete(client);
      updateTap();
    });
    ws.on('error', () => ws.terminate());
    // Clients only listen; anything they send is ignored.
    ws.on('message', () => undefined);
    sendJson(client, { type: 'hello', version: session.version, layout: frames.layout, arena: sim ? arenaOf(sim) : null, limits: { clientBytesPerSecond, frameHz, telemetryHz, rowsPerPopulation: frames.rowsPerPopulation, spikesPerFrame: frames.spikesPerFrame } }, true);
    updateTap();
    sendJson(client, telemetry(client), true);
  });

  /** JSON messages always go (they are small), unless the client is backed up; they count against its budget. */
  function sendJson(c: Client, msg: unknown, always = false): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    // A client that has not read for this long gets cut: what waits for it is memory of this process.
    if (c.ws.bufferedAmount > 8 * clientBufferBytes) return void c.ws.terminate();
    const text = JSON.stringify(msg);
    if (!c.budget.admitJson(Buffer.byteLength(text), c.ws.bufferedAmount, always)) return;
    totals.bytesSent += Buffer.byteLength(text);
    c.ws.send(text);
  }
  function sendFrame(c: Client, frame: Buffer): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (!c.budget.admitFrame(frame.length, c.ws.bufferedAmount)) {
      totals.framesDropped++;
      return;
    }
    totals.bytesSent += frame.length;
    totals.framesSent++;
    c.ws.send(frame, { binary: true });
  }
  const broadcast = (msg: unknown) => {
    for (const c of clients) sendJson(c, msg, true);
  };

  // ---- the tap and the layout --------------------------------------------------------------------
  let tapped: Bridge | null = null;
  let layoutOf: unknown = null;
  const refreshLayout = () => {
    const e = node.engine;
    frames.setLayout(e.circuit.populations.map((p) => ({ name: p.name, size: p.size })), e.backend.dt);
    layoutOf = e;
    broadcast({ type: 'layout', layout: frames.layout });
  };
  function updateTap(): void {
    const want = clients.size > 0 ? node.bridge : null;
    if (tapped === want) return;
    tapped?.setSpikeTap(null);
    tapped = want;
    want?.setSpikeTap((t) => frames.add(t));
  }
  refreshLayout();
  session.onChange = (reason) => {
    refreshLayout();
    broadcast({ type: 'circuit', version: session.version, reason });
  };

  // ---- telemetry --------------------------------------------------------------------------------
  // Rates of the engine (real-time factor, ticks per second, tick time) over the last second of samples.
  type Mark = { wall: number; timeMs: number; ticks: number; busy: number; maxMs: number; engine: unknown };
  let marks: Mark[] = [];
  let lastRates: Record<string, number> = {};
  let shared: Record<string, unknown> | null = null;
  let lastSample: Record<string, unknown> | null = null;
  let lastSampleAt = 0;
  /** The telemetry common to every client, computed once per period. */
  function sample(): Record<string, unknown> {
    session.poll();
    if (layoutOf !== node.engine) refreshLayout();
    updateTap();
    const e = node.engine;
    const b = node.bridge;
    const now = performance.now();
    const timing = b.timing;
    const mark: Mark = { wall: now, timeMs: e.timeMs, ticks: timing.ticks, busy: timing.busyMs, maxMs: timing.maxMs, engine: e };
    timing.maxMs = 0;
    // A new engine (hot swap) or bridge starts the window afresh.
    if (marks.length && (marks[0].engine !== e || mark.ticks < marks[marks.length - 1].ticks)) marks = [];
    marks.push(mark);
    while (marks.length > 2 && now - marks[1].wall >= 1000) marks.shift();
    const first = marks[0];
    const wallS = (now - first.wall) / 1000;
    const ticks = mark.ticks - first.ticks;
    const busy = mark.busy - first.busy;
    const rtf = wallS > 0 ? (mark.timeMs - first.timeMs) / 1000 / wallS : 0;
    const maxMs = Math.max(...marks.slice(1).map((m) => m.maxMs), marks.length === 1 ? mark.maxMs : 0);
    const { counts, steps } = frames.takeCounts();
    const secs = (steps * e.backend.dt) / 1000;
    if (secs > 0) lastRates = Object.fromEntries(e.circuit.populations.map((p) => [p.name, (counts.get(p.name) ?? 0) / p.size / secs]));
    const st = b.stats;
    return {
      type: 'telemetry',
      version: session.version,
      step: e.backend.stepIndex,
      timeMs: e.timeMs,
      dt: e.backend.dt,
      backend: e.backend.name,
      rtf,
      tick: { perSecond: wallS > 0 ? ticks / wallS : 0, meanMs: ticks > 0 ? busy / ticks : 0, maxMs, hz: b.settings.tickHz },
      stats: { ...st, dropped: st.malformed + st.nonFinite + st.outOfRange },
      rates: lastRates,
      modulators: Object.fromEntries(e.circuit.modulators.map((m) => [m.name, e.backend.modulatorLevel(m.name)])),
      io: b.snapshot(),
      robot: sim ? robotOf(sim) : null,
    };
  }
  function telemetry(client: Client | null): Record<string, unknown> {
    const base = shared ?? sample();
    const own: Record<string, unknown> = { ...base };
    if (client) {
      own.stream = { bytesSent: client.budget.sent, droppedFrames: client.budget.dropped, boundBytesPerSecond: clientBytesPerSecond };
      if (sim) {
        const trail = sim.trail();
        let from = trail.length;
        while (from > 0 && trail[from - 1].time > client.trailTime) from--;
        const fresh = trail.slice(from);
        const step = Math.max(1, Math.ceil(fresh.length / 600));
        const pts = fresh.filter((_, i) => i % step === 0 || i === fresh.length - 1).map((p) => [round(p.time, 3), round(p.x, 3), round(p.y, 3)]);
        if (fresh.length) client.trailTime = fresh[fresh.length - 1].time;
        own.trail = pts;
      }
    }
    return own;
  }

  const telemetryTimer = setInterval(() => {
    if (clients.size === 0) return;
    shared = lastSample = sample();
    lastSampleAt = performance.now();
    for (const c of clients) sendJson(c, telemetry(c));
    shared = null;
    totals.telemetrySent++;
  }, 1000 / telemetryHz);
  telemetryTimer.unref();
  const frameTimer = setInterval(() => {
    if (clients.size === 0) {
      frames.take();
      return;
    }
    for (const f of frames.take()) for (const c of clients) sendFrame(c, f);
  }, 1000 / frameHz);
  frameTimer.unref();

  // ---- listen ---------------------------------------------------------------------------------
  try {
    await listen(server, host, port);
  } catch (e) {
    const fallback = options.fallback ?? options.port === undefined;
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !fallback || port === 0) {
      clearInterval(telemetryTimer);
      clearInterval(frameTimer);
      throw new Error(`dashboard: cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
    await listen(server, host, 0);
  }
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;

  let closed = false;
  return {
    host,
    port,
    url,
    token,
    session,
    stats: () => ({ clients: clients.size, ...totals }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(telemetryTimer);
      clearInterval(frameTimer);
      tapped?.setSpikeTap(null);
      tapped = null;
      for (const c of clients) c.ws.terminate();
      clients.clear();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

function arenaOf(sim: Simulation): unknown {
  const a = sim.arena;
  return { name: a.name, size: a.size, wall: a.wall, start: a.start, obstacles: a.obstacles, robot: { radius: sim.robot.bodyRadius } };
}

function robotOf(sim: Simulation): unknown {
  const p = sim.pose();
  const c = sim.commanded();
  const scan = sim.lastScan();
  let lidar: unknown = null;
  if (scan) {
    // Every other beam at most 180: enough for a top-down picture at 10 Hz.
    const every = Math.max(1, Math.ceil(scan.ranges.length / 180));
    const ranges: (number | null)[] = [];
    for (let i = 0; i < scan.ranges.length; i += every) ranges.push(Number.isFinite(scan.ranges[i]) ? round(scan.ranges[i], 3) : null);
    lidar = { time: scan.time, angleMin: scan.angleMin, angleIncrement: scan.angleIncrement * every, rangeMax: scan.rangeMax, ranges, pose: scan.pose };
  }
  return { time: sim.time, pose: p, commanded: { linear: c.linear, angular: c.angular }, collisions: sim.collisions, touching: sim.touching, lidar };
}
