// The IDE's JSON API as a table of routes, free of any web framework: each route takes a request's
// query and body and gives a status and a JSON body. The Flux process serves it over HTTP (routes.ts:
// express, behind the guards of ui/security.ts); a browser tab calls it in the page (web/ide.ts), with
// the engine there. One definition of what each request does, whichever way it arrives.
import { resolve } from 'node:path';
import type { Edit } from '../engine/engine.js';
import { CircuitError } from '../engine/circuit/errors.js';
import type { NodeSpec } from '../extensions/host.js';
import { equationsHelp } from './equations-help.js';
import { BRIDGE_SCHEMA } from '../bridge/config.js';
import { ELEMENT_SECTIONS, RebuildFailed, RefusedEdit, SaveError, type EditSession, type RunningNode } from './session.js';
import { parseRunRequest, type RunControl } from './run-control.js';
import { MAX_PROBES, parseProbes, traceableVariables, type Traces } from './traces.js';
import { WeightReads } from './weights.js';
import { newCircuit } from './new-circuit.js';
import { circuitSchema } from '../engine/circuit/schema.js';
import { bridgeView, fieldPaths, graphTopics, knownTypes, setBinding, type BindingSection, type BridgeHost } from './bridge-edit.js';

/** A request as a route sees it: the query's fields (strings, as sent) and the parsed JSON body. */
export interface ApiRequest {
  query: Record<string, unknown>;
  body: unknown;
}

/** A route's answer: the status, the JSON body, and Retry-After (seconds) for a 429. */
export interface ApiAnswer {
  status: number;
  body: unknown;
  retryAfter?: number;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  /** The exact path ('/api/edit'). */
  path: string;
  handle(request: ApiRequest): ApiAnswer | Promise<ApiAnswer>;
}

/** What the routes act on. */
export interface ApiContext {
  node: RunningNode;
  session: EditSession;
  /** The traced neurons (membrane traces in the page). */
  traces: Traces;
  /** Run control (flux edit: a circuit without a robot); absent next to a robot. */
  run?: RunControl;
  /** Whether the node drives hardware, so that the page may declare devices (ui/bridge-edit.ts). */
  devices: boolean;
  /** GET /api/status. */
  status: () => Record<string, unknown>;
  /** Least time between two rebuilds (POST /api/element, a reset), ms. */
  rebuildIntervalMs: number;
}

const ok = (body: object = {}): ApiAnswer => ({ status: 200, body: { ok: true, ...body } });
const json = (body: unknown): ApiAnswer => ({ status: 200, body });
const refuse = (status: number, error: string): ApiAnswer => ({ status, body: { error } });

/** A body's fields: an object as sent, or none (JSON that is no object is a request with no fields, not a crash). */
function fields(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** A refused edit's answer: the circuit's issues (400), the session's own status, or 400. */
function editError(e: unknown): ApiAnswer {
  if (e instanceof CircuitError) return { status: 400, body: { error: e.message, issues: e.issues } };
  if (e instanceof RefusedEdit) return refuse(e.status, e.message);
  return refuse(400, (e as Error).message);
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

/** An admitted rebuild's release (gives the turn back when nothing was built), or the 429 to answer. */
type Admission = { release: () => void } | { refused: ApiAnswer };

/**
 * Rebuilds (an element set, a reset, a module insert) at most once per `ms`: each holds a robot in its
 * safe command while the engine is built, so a client must not keep it there by rebuilding again and
 * again. The turn is taken when a request is admitted (requests at once get 429, not a queue of builds)
 * and given back when it was refused before anything was built.
 */
function rebuildGate(ms: number): () => Admission {
  let last = -Infinity;
  return () => {
    const wait = last + ms - performance.now();
    if (wait > 0)
      return {
        refused: {
          status: 429,
          body: { error: `the engine was built again less than ${ms} ms ago; try again in ${Math.ceil(wait)} ms` },
          retryAfter: Math.ceil(wait / 1000),
        },
      };
    const before = last;
    last = performance.now();
    return { release: () => void (last = before) };
  };
}

interface Gates {
  serial: <T>(fn: () => Promise<T>) => Promise<T>;
  rebuild: () => Admission;
}

/** Every route of the API, with one serial queue and one rebuild gate between them. */
export function apiRoutes(ctx: ApiContext): ApiRoute[] {
  const gates: Gates = { serial: serialQueue(), rebuild: rebuildGate(ctx.rebuildIntervalMs) };
  return [
    ...circuitRoutes(ctx, gates),
    ...historyRoutes(ctx.session, gates),
    ...extensionRoutes(ctx.node, gates),
    ...packageRoutes(ctx.session, gates),
    ...bridgeRoutes(ctx, gates),
    ...viewRoutes(ctx),
  ];
}

/**
 * A request that builds the engine again: admitted by the rebuild gate, run in the serial queue; a
 * refusal before anything was built (anything but RebuildFailed) gives the gate's turn back.
 */
async function rebuilding(g: Gates, build: () => Promise<ApiAnswer>, onError: (e: unknown) => ApiAnswer = editError): Promise<ApiAnswer> {
  const admitted = g.rebuild();
  if ('refused' in admitted) return admitted.refused;
  try {
    return await g.serial(build);
  } catch (e) {
    if (!(e instanceof RebuildFailed)) admitted.release();
    return onError(e);
  }
}

function circuitRoutes(ctx: ApiContext, g: Gates): ApiRoute[] {
  const { session } = ctx;
  return [
    { method: 'GET', path: '/api/circuit', handle: () => json(session.view()) },
    { method: 'GET', path: '/api/status', handle: () => json(ctx.status()) },
    {
      method: 'POST',
      path: '/api/edit',
      async handle({ body }) {
        try {
          const { result, notes } = await g.serial(() => session.apply(body as Edit));
          return ok({ result, notes, version: session.version });
        } catch (e) {
          return editError(e);
        }
      },
    },
    // The element forms: each section's element schema (from the circuit schema, its one definition),
    // and one element as the running document has it, to edit.
    { method: 'GET', path: '/api/schema/elements', handle: () => json(elementSchemas()) },
    { method: 'GET', path: '/api/equations-help', handle: () => json(equationsHelp()) },
    // A device's form is the bridge schema's (one definition).
    { method: 'GET', path: '/api/schema/bridge-devices', handle: () => json(BRIDGE_SCHEMA.properties.devices.additionalProperties) },
    {
      method: 'GET',
      path: '/api/element',
      handle({ query: { section, name } }) {
        const table =
          typeof section === 'string' && (ELEMENT_SECTIONS as readonly string[]).includes(section)
            ? (session.documentSection(section) ?? {})
            : null;
        if (!table) return refuse(400, `section: one of ${ELEMENT_SECTIONS.join(', ')}`);
        if (typeof name !== 'string' || !Object.hasOwn(table, name))
          return refuse(404, `${String(section)}.${String(name)} does not exist`);
        return json({ section, name, value: table[name] });
      },
    },
    // A model, modulator, source, input or output set or removed: the engine is built again (see EditSession.setElement).
    {
      method: 'POST',
      path: '/api/element',
      handle({ body }) {
        const b = fields(body);
        return rebuilding(
          g,
          async () => ok({ ...(await session.setElement(b.section, b.name, b.value)), version: session.version }),
          (e) => (e instanceof SaveError ? refuse(409, e.message) : editError(e)),
        );
      },
    },
    // New circuit: an empty one beside the open circuit, which the node switches to (ui/new-circuit.ts).
    {
      method: 'POST',
      path: '/api/new',
      handle({ body }) {
        const node = ctx.node;
        if (!node.openCircuit) return refuse(409, 'this node cannot switch circuits');
        const opener = { openCircuit: (b: string, t: string) => node.openCircuit!.call(node, b, t) };
        return rebuilding(g, async () => ok(await newCircuit(opener, session.circuitFile, fields(body).name, session.unsaved())));
      },
    },
    // Run control: only for a circuit without a robot (flux edit), where pausing stops nothing that moves.
    {
      method: 'POST',
      path: '/api/run',
      async handle({ body }) {
        const run = ctx.run;
        if (!run) return refuse(409, 'run control is for a circuit without a robot (flux edit)');
        const r = parseRunRequest(body);
        if (typeof r === 'string') return refuse(400, r);
        const runError = (e: unknown) => refuse(409, (e as Error).message);
        if (r.action !== 'reset') {
          try {
            return ok(await g.serial(() => run.perform(r)));
          } catch (e) {
            return runError(e);
          }
        }
        // A reset builds the engine again. One whose running circuit could not be written as a document
        // built nothing (SaveError), and gives the turn back.
        const admitted = g.rebuild();
        if ('refused' in admitted) return admitted.refused;
        try {
          return ok(await g.serial(() => run.perform(r)));
        } catch (e) {
          if (e instanceof SaveError) admitted.release();
          return runError(e);
        }
      },
    },
    {
      method: 'POST',
      path: '/api/save',
      async handle({ body }) {
        const path = fields(body).path;
        if (path !== undefined && (typeof path !== 'string' || !session.isCircuitFile(resolve(path))))
          return refuse(403, `the dashboard saves only the opened circuit file (${session.circuitFile})`);
        try {
          const plan = await g.serial(async () => session.save());
          return ok({ file: plan.file, changed: plan.changed, bridge: plan.bridge });
        } catch (e) {
          if (e instanceof SaveError) return refuse(409, e.message);
          throw e;
        }
      },
    },
  ];
}

/** Undo and redo: the session's history, one step back or forward (409 when there is none). */
function historyRoutes(session: EditSession, g: Gates): ApiRoute[] {
  return (['undo', 'redo'] as const).map((step) => ({
    method: 'POST',
    path: `/api/${step}`,
    async handle() {
      // Undoing or redoing an element builds the engine again: spaced as any rebuild.
      const admitted: Admission = session.nextIsRebuild(step) ? g.rebuild() : { release: () => undefined };
      if ('refused' in admitted) return admitted.refused;
      try {
        const r = await g.serial<object | null>(() => (step === 'undo' ? session.undo() : session.redo()));
        if (!r) return refuse(409, `nothing to ${step}`);
        return ok({ ...r, version: session.version });
      } catch (e) {
        if (!(e instanceof RebuildFailed)) admitted.release();
        return refuse(409, (e as Error).message);
      }
    },
  }));
}

// Extension nodes, live: { op: 'add', node: {name, type, options, in, rateHz?, isolate?} } |
// { op: 'remove', name } | { op: 'reconfigure', name, options }. Applied between two ticks; a refused
// change (bad options, unknown type, a node still read by another) changes nothing.
function extensionRoutes(node: RunningNode, g: Gates): ApiRoute[] {
  return [
    { method: 'GET', path: '/api/extensions', handle: () => json(node.bridge.host?.status() ?? []) },
    {
      method: 'POST',
      path: '/api/extensions',
      async handle({ body }) {
        const host = node.bridge.host;
        const b = fields(body) as { op?: unknown; node?: NodeSpec; name?: string; options?: Record<string, unknown> };
        if (!host) return refuse(409, 'this bridge runs no extension host (its document declares no extensions)');
        // From the browser only compute nodes are added or reconfigured: inputs and outputs reach files,
        // devices and topics (a recorder's path, an actuator), which belong in the document. Whether a
        // node is isolated is the document's and the registry's choice, never a request's.
        const target: unknown =
          b.op === 'add' ? b.node?.type : b.op === 'reconfigure' ? host.status().find((n) => n.name === b.name)?.type : undefined;
        const kind = typeof target === 'string' && target ? host.kindOf(target) : undefined;
        if (kind !== undefined && kind !== 'compute')
          return refuse(
            403,
            `the dashboard adds and reconfigures compute nodes only; ${target} is an ${kind} extension: declare it in the bridge document`,
          );
        try {
          // The host's operations are safe between any two ticks (a node joins the tick once started),
          // so a worker that takes a second to start never holds the engine.
          await g.serial(() =>
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
          return ok({ extensions: host.status() });
        } catch (e) {
          return refuse(400, (e as Error).message);
        }
      },
    },
  ];
}

// The component browser: circuits of the Flux packages installed where the circuit file can see
// them, and inserting one as a module (through the file and a rebuild: see EditSession.insertModule).
function packageRoutes(session: EditSession, g: Gates): ApiRoute[] {
  return [
    { method: 'GET', path: '/api/packages', handle: () => json(session.installed()) },
    {
      method: 'POST',
      path: '/api/insert',
      handle({ body }) {
        const b = fields(body);
        // By the listing's id: "<package>/<circuit>", or the two apart. Never a path.
        const module =
          b.module ?? (typeof b.package === 'string' && typeof b.circuit === 'string' ? `${b.package}/${b.circuit}` : undefined);
        // insertModule checks what it is given at run time (a request's fields may be anything).
        return rebuilding(g, async () =>
          ok(await session.insertModule(module as string, b.prefix as string, b.version as string | undefined)),
        );
      },
    },
  ];
}

// What the page plots besides the telemetry: traced neurons (their samples come with the telemetry) and
// a projection's weights (a histogram, and a matrix of block means), read between two ticks.
function viewRoutes(ctx: ApiContext): ApiRoute[] {
  const { node, traces } = ctx;
  const weights = new WeightReads();
  return [
    {
      method: 'GET',
      path: '/api/traces',
      handle() {
        const c = node.engine.circuit;
        return json({
          probes: traces.current,
          max: MAX_PROBES,
          variables: Object.fromEntries(c.populations.map((p) => [p.name, traceableVariables(c, p.name)])),
        });
      },
    },
    {
      method: 'POST',
      path: '/api/traces',
      handle({ body }) {
        try {
          traces.set(parseProbes(body, node.engine.circuit));
          return ok({ probes: traces.current });
        } catch (e) {
          return editError(e);
        }
      },
    },
    {
      method: 'GET',
      path: '/api/weights',
      async handle({ query }) {
        try {
          return json(await weights.read(node, query.projection, { sources: query.sources, targets: query.targets }));
        } catch (e) {
          // Reads beyond the bound: the client may ask again in a second.
          return e instanceof RefusedEdit && e.status === 429 ? { ...editError(e), retryAfter: 1 } : editError(e);
        }
      },
    },
  ];
}

// Bridge editing: the node's bridge document, the live graph's topics, a type's field paths, and
// binding an input to a topic or an output to message fields (a rebuild: see ui/bridge-edit.ts).
function bridgeRoutes(ctx: ApiContext, g: Gates): ApiRoute[] {
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
  const noBridge = refuse(409, 'this node cannot edit its bridge document');
  return [
    {
      method: 'GET',
      path: '/api/bridge',
      handle() {
        const h = host();
        if (!h) return noBridge;
        const circuit = node.engine.circuit;
        return json({
          ...bridgeView(h),
          topics: graphTopics(h),
          types: knownTypes(),
          circuitInputs: circuit.inputs.map((i) => i.name),
          populations: circuit.populations.map((p) => p.name),
        });
      },
    },
    {
      method: 'GET',
      path: '/api/fields',
      handle({ query }) {
        const h = host();
        if (!h) return noBridge;
        try {
          return json(fieldPaths(query.type, h.loaded.config.definitions));
        } catch (e) {
          return editError(e);
        }
      },
    },
    {
      method: 'POST',
      path: '/api/binding',
      handle({ body }) {
        const h = host();
        if (!h) return noBridge;
        const b = fields(body);
        return rebuilding(g, async () => {
          const before = h.bridgeDocument().text;
          const bound = await setBinding(h, b.section, b.name, b.value, session.runningCircuitText());
          // Checked by setBinding: a binding section and a name.
          const binding = { section: b.section as BindingSection, name: b.name as string };
          session.boundBinding(`${b.value === null ? 'unbind' : 'bind'} ${bound.bound}`, binding, before, h.bridgeDocument().text);
          return ok({ ...bound, version: session.version });
        });
      },
    },
  ];
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
