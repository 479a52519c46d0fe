// The dashboard's HTTP side: the guards every request and every write pass (the pure checks of
// ui/security.ts, applied to express requests), the page and its scripts, and the JSON API (the
// circuit, status, edits, extension nodes, the component browser, saving).
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Edit } from '../engine/engine.js';
import { CircuitError } from '../engine/circuit/errors.js';
import type { NodeSpec } from '../extensions/host.js';
import { installedCircuits } from '../sharing/packages.js';
import { EditBucket, requestRefusal, requestTarget, tokenCookie, writeRefusal, type Bind } from './security.js';
import { equationsHelp } from './equations-help.js';
import { BRIDGE_SCHEMA } from '../bridge/config.js';
import { ELEMENT_SECTIONS, RebuildFailed, RefusedEdit, SaveError, type EditSession, type RunningNode } from './session.js';
import { CSP, pageHtml } from './page.js';
import { parseRunRequest, type RunControl } from './run-control.js';
import { MAX_PROBES, parseProbes, traceableVariables, type Traces } from './traces.js';
import { WeightReads } from './weights.js';
import { newCircuit } from './new-circuit.js';
import { circuitSchema } from '../engine/circuit/schema.js';
import { bridgeView, fieldPaths, graphTopics, knownTypes, setBinding, type BindingSection, type BridgeHost } from './bridge-edit.js';

/** What the routes serve and how writes are bounded. */
export interface RoutesContext {
  bind: Bind;
  node: RunningNode;
  session: EditSession;
  /** The traced neurons (membrane traces in the page). */
  traces: Traces;
  /** Run control (flux edit: a circuit without a robot); absent next to a robot. */
  run?: RunControl;
  /** Whether the node drives hardware, so that the page may declare devices (ui/bridge-edit.ts). */
  devices: boolean;
  /** The compiled browser code (dist/ui/web). */
  web: string;
  /** GET /api/status. */
  status: () => Record<string, unknown>;
  bodyBytes: number;
  editsPerSecond: number;
  /** Least time between two rebuilds (POST /api/element, a reset), ms. */
  rebuildIntervalMs: number;
}

/** The express app: guards, page, API, and an error handler that answers in JSON. */
export function createApp(ctx: RoutesContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestGate(ctx.bind));
  mountPage(app, ctx.web);
  // Writes: same origin only, JSON only, bounded size, bounded rate; one edit at a time, in arrival order.
  const writes: Writes = {
    guard: writeGuard(ctx.bodyBytes, ctx.editsPerSecond),
    json: express.json({ limit: ctx.bodyBytes, type: 'application/json' }),
    serial: serialQueue(),
    rebuild: rebuildGate(ctx.rebuildIntervalMs),
  };
  mountCircuitApi(app, ctx, writes);
  mountExtensionsApi(app, ctx.node, writes);
  mountPackagesApi(app, ctx.session, writes);
  mountBridgeApi(app, ctx, writes);
  mountViewsApi(app, ctx, writes);
  app.use('/api', (_req, res) => void res.status(404).json({ error: 'no such API' }));
  app.use(errorHandler(ctx.bodyBytes));
  return app;
}

interface Writes {
  guard: RequestHandler;
  json: RequestHandler;
  serial: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Admits a rebuild (or answers 429 and returns null); the release gives the turn back when nothing was built. */
  rebuild: (res: Response) => (() => void) | null;
}

/**
 * Rebuilds (an element set, a reset, a module insert) at most once per `ms`: each holds a robot in its
 * safe command while the engine is built, so a client with the token must not keep it there by
 * rebuilding again and again. The turn is taken when a request is admitted (requests at once get 429,
 * not a queue of builds) and given back when it was refused before anything was built.
 */
function rebuildGate(ms: number): (res: Response) => (() => void) | null {
  let last = -Infinity;
  return (res) => {
    const wait = last + ms - performance.now();
    if (wait > 0) {
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      res.status(429).json({ error: `the engine was built again less than ${ms} ms ago; try again in ${Math.ceil(wait)} ms` });
      return null;
    }
    const before = last;
    last = performance.now();
    return () => void (last = before);
  };
}

/** Every request: a target that is a path, the right Host, the token (see requestRefusal). */
function requestGate(bind: Bind): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const target = requestTarget(req.url);
    const refusal = requestRefusal(bind, target, req.headers);
    if (refusal) return void res.status(refusal.status).json({ error: refusal.error });
    const cookie = target ? tokenCookie(bind.token, target.searchParams) : null;
    if (cookie) res.setHeader('Set-Cookie', cookie);
    next();
  };
}

/** Writes: see writeRefusal (403, 413, 415), then the edit rate (429). */
function writeGuard(bodyBytes: number, editsPerSecond: number): RequestHandler {
  const bucket = new EditBucket(editsPerSecond, performance.now());
  return (req, res, next) => {
    const refusal = writeRefusal(
      {
        origin: req.headers.origin,
        host: req.headers.host,
        contentLength: req.headers['content-length'],
        transferEncoding: req.headers['transfer-encoding'],
        isJson: () => !!req.is('application/json'),
      },
      bodyBytes,
    );
    if (refusal?.status === 413) res.setHeader('Connection', 'close');
    if (refusal) return void res.status(refusal.status).json({ error: refusal.error });
    if (!bucket.take(performance.now())) {
      res.setHeader('Retry-After', '1');
      return void res.status(429).json({ error: `more than ${editsPerSecond} edits per second` });
    }
    next();
  };
}

/** One at a time, in arrival order (a failed one does not stop the next). */
function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  };
}

/** The page, its compiled scripts and the libraries it imports (Preact, htm and yaml, as ES modules). */
function mountPage(app: Express, web: string): void {
  app.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', CSP);
    res.type('html').send(pageHtml());
  });
  app.use('/app', express.static(web, { index: false, fallthrough: false }));
  app.use('/vendor/preact', express.static(packageDir('preact'), { index: false, fallthrough: false }));
  app.use('/vendor/htm', express.static(packageDir('htm'), { index: false, fallthrough: false }));
  // The yaml package's browser build: the IDE's fields take YAML values (a distribution, a quantity).
  app.use('/vendor/yaml', express.static(join(packageDir('yaml'), 'browser', 'dist'), { index: false, fallthrough: false }));
}

/** A refused edit's answer: the circuit's issues (400), the session's own status, or 400. */
function editError(res: Response, e: unknown): void {
  if (e instanceof CircuitError) return void res.status(400).json({ error: e.message, issues: e.issues });
  if (e instanceof RefusedEdit) return void res.status(e.status).json({ error: e.message });
  res.status(400).json({ error: (e as Error).message });
}

function mountCircuitApi(app: Express, ctx: RoutesContext, w: Writes): void {
  const { session } = ctx;
  app.get('/api/circuit', (_req, res) => void res.json(session.view()));
  app.get('/api/status', (_req, res) => void res.json(ctx.status()));

  app.post('/api/edit', w.guard, w.json, async (req, res) => {
    const edit = req.body as Edit;
    try {
      const { result, notes } = await w.serial(() => session.apply(edit));
      res.json({ ok: true, result, notes, version: session.version });
    } catch (e) {
      editError(res, e);
    }
  });

  // Undo and redo: the session's history, one step back or forward (409 when there is none).
  for (const [path, step] of [
    ['undo', () => session.undo()],
    ['redo', () => session.redo()],
  ] as const)
    app.post(`/api/${path}`, w.guard, w.json, async (_req, res) => {
      // Undoing or redoing an element builds the engine again: spaced as any rebuild.
      const release = session.nextIsRebuild(path) ? w.rebuild(res) : () => undefined;
      if (!release) return;
      try {
        const r = await w.serial<object | null>(step);
        if (!r) return void res.status(409).json({ error: `nothing to ${path}` });
        res.json({ ok: true, ...r, version: session.version });
      } catch (e) {
        if (!(e instanceof RebuildFailed)) release();
        res.status(409).json({ error: e instanceof CircuitError ? e.message : (e as Error).message });
      }
    });

  // The element forms: each section's element schema (from the circuit schema, its one definition),
  // and one element as the running document has it, to edit.
  app.get('/api/schema/elements', (_req, res) => void res.json(elementSchemas()));
  app.get('/api/equations-help', (_req, res) => void res.json(equationsHelp()));
  // A device's form is the bridge schema's (one definition).
  app.get('/api/schema/bridge-devices', (_req, res) => void res.json(BRIDGE_SCHEMA.properties.devices.additionalProperties));
  app.get('/api/element', (req, res) => {
    const { section, name } = req.query;
    const table =
      typeof section === 'string' && (ELEMENT_SECTIONS as readonly string[]).includes(section)
        ? (session.documentSection(section) ?? {})
        : null;
    if (!table) return void res.status(400).json({ error: `section: one of ${ELEMENT_SECTIONS.join(', ')}` });
    if (typeof name !== 'string' || !Object.hasOwn(table, name))
      return void res.status(404).json({ error: `${String(section)}.${String(name)} does not exist` });
    res.json({ section, name, value: table[name] });
  });

  // A model, modulator, source, input or output set or removed: the engine is built again (see EditSession.setElement).
  app.post('/api/element', w.guard, w.json, async (req, res) => {
    const body = (req.body ?? {}) as { section?: unknown; name?: unknown; value?: unknown };
    const release = w.rebuild(res);
    if (!release) return;
    try {
      const r = await w.serial(() => session.setElement(body.section, body.name, body.value));
      res.json({ ok: true, ...r, version: session.version });
    } catch (e) {
      // Refused before anything was built: it takes no turn from the next rebuild.
      if (!(e instanceof RebuildFailed)) release();
      if (e instanceof SaveError) return void res.status(409).json({ error: e.message });
      editError(res, e);
    }
  });

  // New circuit: an empty one beside the open circuit, which the node switches to (ui/new-circuit.ts).
  app.post('/api/new', w.guard, w.json, async (req, res) => {
    const node = ctx.node;
    if (!node.openCircuit) return void res.status(409).json({ error: 'this node cannot switch circuits' });
    const release = w.rebuild(res);
    if (!release) return;
    try {
      const opener = { openCircuit: (b: string, t: string) => node.openCircuit!.call(node, b, t) };
      const r = await w.serial(() =>
        newCircuit(opener, session.circuitFile, (req.body as { name?: unknown } | undefined)?.name, session.unsaved()),
      );
      res.json({ ok: true, ...r });
    } catch (e) {
      if (!(e instanceof RebuildFailed)) release();
      editError(res, e);
    }
  });

  // Run control: only for a circuit without a robot (flux edit), where pausing stops nothing that moves.
  app.post('/api/run', w.guard, w.json, async (req, res) => {
    const run = ctx.run;
    if (!run) return void res.status(409).json({ error: 'run control is for a circuit without a robot (flux edit)' });
    const r = parseRunRequest(req.body);
    if (typeof r === 'string') return void res.status(400).json({ error: r });
    const release = r.action === 'reset' ? w.rebuild(res) : () => undefined;
    if (!release) return;
    try {
      res.json({ ok: true, ...(await w.serial(() => run.perform(r))) });
    } catch (e) {
      // The running circuit could not be written as a document: nothing was built.
      if (e instanceof SaveError) release();
      res.status(409).json({ error: e instanceof CircuitError || e instanceof SaveError ? e.message : (e as Error).message });
    }
  });

  app.post('/api/save', w.guard, w.json, async (req, res) => {
    const path = (req.body as { path?: unknown } | undefined)?.path;
    if (path !== undefined && (typeof path !== 'string' || !session.isCircuitFile(resolve(path))))
      return void res.status(403).json({ error: `the dashboard saves only the opened circuit file (${session.circuitFile})` });
    try {
      const plan = await w.serial(async () => session.save());
      res.json({ ok: true, file: plan.file, changed: plan.changed, bridge: plan.bridge });
    } catch (e) {
      if (e instanceof SaveError) return void res.status(409).json({ error: e.message });
      throw e;
    }
  });
}

/** A POST /api/extensions body, as sent (checked by the host, which refuses what does not fit). */
interface ExtensionChange {
  op?: string;
  node?: NodeSpec;
  name?: string;
  options?: Record<string, unknown>;
}

// Extension nodes, live: { op: 'add', node: {name, type, options, in, rateHz?, isolate?} } |
// { op: 'remove', name } | { op: 'reconfigure', name, options }. Applied between two ticks; a refused
// change (bad options, unknown type, a node still read by another) changes nothing.
function mountExtensionsApi(app: Express, node: RunningNode, w: Writes): void {
  app.get('/api/extensions', (_req, res) => void res.json(node.bridge.host?.status() ?? []));
  app.post('/api/extensions', w.guard, w.json, async (req, res) => {
    const host = node.bridge.host;
    // No body, or JSON that is not an object, is a request with no fields (refused below), not a crash.
    const b: ExtensionChange = req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
    if (!host) return void res.status(409).json({ error: 'this bridge runs no extension host (its document declares no extensions)' });
    // From the browser only compute nodes are added or reconfigured: inputs and outputs reach files,
    // devices and topics (a recorder's path, an actuator), which belong in the document. Whether a
    // node is isolated is the document's and the registry's choice, never a request's.
    const target: unknown =
      b.op === 'add' ? b.node?.type : b.op === 'reconfigure' ? host.status().find((n) => n.name === b.name)?.type : undefined;
    const kind = typeof target === 'string' && target ? host.kindOf(target) : undefined;
    if (kind !== undefined && kind !== 'compute') {
      const error =
        `the dashboard adds and reconfigures compute nodes only; ${target} is an ${kind} extension: ` + 'declare it in the bridge document';
      return void res.status(403).json({ error });
    }
    try {
      // The host's operations are safe between any two ticks (a node joins the tick once started),
      // so a worker that takes a second to start never holds the engine.
      await w.serial(() =>
        b.op === 'add' && b.node
          ? host.add({
              name: b.node.name,
              type: b.node.type,
              options: b.node.options ?? {},
              in: b.node.in ?? {},
              ...(b.node.rateHz ? { rateHz: b.node.rateHz } : {}),
            })
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
}

// The component browser: circuits of the Flux packages installed where the circuit file can see
// them, and inserting one as a module (through the file and a rebuild: see EditSession.insertModule).
function mountPackagesApi(app: Express, session: EditSession, w: Writes): void {
  app.get('/api/packages', (_req, res) => void res.json(installedCircuits(dirname(session.circuitFile))));
  app.post('/api/insert', w.guard, w.json, async (req, res) => {
    const b = (req.body ?? {}) as { module?: unknown; package?: unknown; circuit?: unknown; prefix?: unknown; version?: unknown };
    // By the listing's id: "<package>/<circuit>", or the two apart. Never a path.
    const module = b.module ?? (typeof b.package === 'string' && typeof b.circuit === 'string' ? `${b.package}/${b.circuit}` : undefined);
    const release = w.rebuild(res);
    if (!release) return;
    try {
      // insertModule checks what it is given at run time (a request's fields may be anything).
      const r = await w.serial(() => session.insertModule(module as string, b.prefix as string, b.version as string | undefined));
      res.json({ ok: true, ...r });
    } catch (e) {
      if (!(e instanceof RebuildFailed)) release();
      editError(res, e);
    }
  });
}

// What the page plots besides the telemetry: traced neurons (their samples come with the telemetry) and
// a projection's weights (a histogram, and a matrix of block means), read between two ticks.
function mountViewsApi(app: Express, ctx: RoutesContext, w: Writes): void {
  const { node, traces } = ctx;
  app.get('/api/traces', (_req, res) => {
    const c = node.engine.circuit;
    res.json({
      probes: traces.current,
      max: MAX_PROBES,
      variables: Object.fromEntries(c.populations.map((p) => [p.name, traceableVariables(c, p.name)])),
    });
  });
  app.post('/api/traces', w.guard, w.json, (req, res) => {
    try {
      traces.set(parseProbes(req.body, node.engine.circuit));
      res.json({ ok: true, probes: traces.current });
    } catch (e) {
      editError(res, e);
    }
  });
  const weights = new WeightReads();
  app.get('/api/weights', async (req, res) => {
    try {
      res.json(await weights.read(node, req.query.projection, { sources: req.query.sources, targets: req.query.targets }));
    } catch (e) {
      if (e instanceof RefusedEdit && e.status === 429) res.setHeader('Retry-After', '1');
      editError(res, e);
    }
  });
}

// Bridge editing: the node's bridge document, the live graph's topics, a type's field paths, and
// binding an input to a topic or an output to message fields (a rebuild: see ui/bridge-edit.ts).
function mountBridgeApi(app: Express, ctx: RoutesContext, w: Writes): void {
  const { node, session } = ctx;
  const host = (): BridgeHost | null => {
    const { bridgeDocument, reloadBridgeFrom, transport } = node;
    if (!bridgeDocument || !reloadBridgeFrom || !transport) return null;
    return {
      bridgeDocument: () => bridgeDocument.call(node),
      reloadBridgeFrom: (text, circuitText, binding) => reloadBridgeFrom.call(node, text, circuitText, binding),
      transport,
      devices: ctx.devices,
      // Read anew: a hot swap replaces what the node loaded.
      get loaded() {
        return node.loaded;
      },
    };
  };
  app.get('/api/bridge', (_req, res) => {
    const h = host();
    if (!h) return void res.status(409).json({ error: 'this node cannot edit its bridge document' });
    const circuit = node.engine.circuit;
    res.json({
      ...bridgeView(h),
      topics: graphTopics(h),
      types: knownTypes(),
      circuitInputs: circuit.inputs.map((i) => i.name),
      populations: circuit.populations.map((p) => p.name),
    });
  });
  app.get('/api/fields', (req, res) => {
    const h = host();
    if (!h) return void res.status(409).json({ error: 'this node cannot edit its bridge document' });
    try {
      res.json(fieldPaths(req.query.type, h.loaded.config.definitions));
    } catch (e) {
      editError(res, e);
    }
  });
  app.post('/api/binding', w.guard, w.json, async (req, res) => {
    const h = host();
    if (!h) return void res.status(409).json({ error: 'this node cannot edit its bridge document' });
    const body = (req.body ?? {}) as { section?: unknown; name?: unknown; value?: unknown };
    const release = w.rebuild(res);
    if (!release) return;
    try {
      const r = await w.serial(async () => {
        const before = h.bridgeDocument().text;
        const bound = await setBinding(h, body.section, body.name, body.value, session.runningCircuitText());
        // Checked by setBinding: a binding section and a name.
        const binding = { section: body.section as BindingSection, name: body.name as string };
        session.boundBinding(`${body.value === null ? 'unbind' : 'bind'} ${bound.bound}`, binding, before, h.bridgeDocument().text);
        return bound;
      });
      res.json({ ok: true, ...r, version: session.version });
    } catch (e) {
      if (!(e instanceof RebuildFailed)) release();
      editError(res, e);
    }
  });
}

/**
 * One element's schema per section the element form edits (a model: its equations form). A module is
 * an include entry without its prefix (the form's name is the prefix); a port, its population.
 */
function elementSchemas(): Record<string, unknown> {
  type S = { additionalProperties?: { anyOf?: unknown[] }; items?: { properties: Record<string, unknown>; required?: string[] } };
  const props = (circuitSchema() as { properties: Record<string, S> }).properties;
  const include = props.include.items!;
  const { prefix: _prefix, ...moduleProps } = include.properties;
  const named = {
    modules: { ...include, properties: moduleProps, required: (include.required ?? []).filter((k) => k !== 'prefix') },
    ports: { type: 'object', required: ['population'], properties: { population: props.ports.additionalProperties } },
  };
  return Object.fromEntries(
    ELEMENT_SECTIONS.map((s) => {
      if (s === 'modules' || s === 'ports') return [s, named[s]];
      const item = props[s]?.additionalProperties;
      return [s, item?.anyOf ? item.anyOf[0] : item];
    }),
  );
}

/** Errors of the body parser and the static files, and anything thrown, as JSON. */
function errorHandler(bodyBytes: number) {
  return (err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    if (status === 413) res.setHeader('Connection', 'close');
    const error = err.type === 'entity.too.large' ? `request body over ${bodyBytes} bytes` : status === 404 ? 'not found' : err.message;
    res.status(status).json({ error });
  };
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
